#!/usr/bin/env python3
"""Fail if Cargo.lock holds a polkadot-sdk crate at a version other than stable2609's.

The reference list (.ci/stable2609-versions.txt) is the dependency table of the umbrella crate
`polkadot-sdk = "=2609.2.0"`. A newer patch line (stable2606) publishes higher numbers for some
crates; a caret requirement deep in the graph could pull one in. This catches it.
"""
import pathlib, sys, tomllib

root = pathlib.Path(__file__).resolve().parent.parent
want = {}
for line in (root / ".ci/stable2609-versions.txt").read_text().splitlines():
    if line and not line.startswith("#"):
        name, ver = line.split()
        want[name] = ver
lock = tomllib.loads((root / "Cargo.lock").read_text())
bad = []
for pkg in lock["package"]:
    name, ver = pkg["name"], pkg["version"]
    if name in want and ver != want[name]:
        bad.append(f"{name} {ver} (stable2609: {want[name]})")
    if name == "librocksdb-sys":
        bad.append("librocksdb-sys present: RocksDB must not be compiled (ParityDB only)")
if bad:
    print("Cargo.lock mixes release lines:\n  " + "\n  ".join(bad))
    sys.exit(1)
n = sum(1 for p in lock["package"] if p["name"] in want)
print(f"Cargo.lock: {n} polkadot-sdk crates, all at stable2609 versions; no RocksDB")
