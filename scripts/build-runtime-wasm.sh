#!/usr/bin/env bash
# Build a variant of the runtime's wasm without touching the node's: solvent-runtime's wasm with
# FEATURES (comma-separated cargo features), copied to OUT; checks that its embedded
# spec_version is SPEC. Prints OUT on its last line.
# Usage: scripts/build-runtime-wasm.sh FEATURES OUT SPEC
#   upgrade test: scripts/build-runtime-wasm.sh upgrade-test,fast-runtime /tmp/u.wasm 101
#   try-runtime:  scripts/build-runtime-wasm.sh try-runtime,fast-runtime /tmp/t.wasm 100
#
# The wasm builder writes every feature set of the runtime to the same files
# (release/wbuild/solvent-runtime/*.wasm), and the node's runtime crate embeds those files with
# include_bytes!: a later node build would embed the upgrade wasm. So the files of the normal
# build are saved before and put back (with their timestamps) after, and the node's runtime is
# left exactly as built.
# `cargo check` runs the runtime's build script (the wasm build, in release) and only
# type-checks the native crates: `cargo build -p solvent-runtime` would compile them again,
# because without the node in the build some dependencies resolve to other feature sets. In the
# wasm build, only our runtime crate is rebuilt when only its own features differ
# (upgrade-test); try-runtime changes the features of the FRAME crates, rebuilt once.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ $# -eq 3 ] || { echo "usage: scripts/build-runtime-wasm.sh FEATURES OUT SPEC" >&2; exit 2; }
features="$1" out="$2" spec="$3"
wb="$CARGO_TARGET_DIR/release/wbuild/solvent-runtime"
mkdir -p "$(dirname "$out")"
save="$(mktemp -d)"
trap 'rm -rf "$save"' EXIT
saved=()
for f in solvent_runtime.wasm solvent_runtime.compact.wasm solvent_runtime.compact.compressed.wasm; do
	if [ -f "$wb/$f" ]; then cp -p "$wb/$f" "$save/$f" && saved+=("$f"); fi
done
restore() {
	for f in "${saved[@]}"; do cp -p "$save/$f" "$wb/$f"; done
}
start=$(date +%s)
# FORCE_WASM_BUILD (a new value each time) reruns the runtime's build script: after the restore
# below, the wbuild files hold the normal wasm, which a fresh build would otherwise copy out.
if ! FORCE_WASM_BUILD="$start" cargo check --release --locked -p solvent-runtime \
	--features "$features" >&2; then
	restore
	exit 1
fi
cp "$wb/solvent_runtime.compact.compressed.wasm" "$out"
restore
# The `runtime_version` custom section of the wasm: its spec_version is the u32 after spec_name
# and impl_name.
python3 - "$out" "$spec" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
# zstd-compressed runtime blob: 8-byte prefix then a zstd frame; the version section is in
# the compressed payload, so decompress with the zstd CLI if present, else skip the check.
import shutil, subprocess
prefix = bytes([0x52, 0xbc, 0x53, 0x76, 0x46, 0xdb, 0x8e, 0x05])
if data[:8] == prefix and shutil.which('zstd'):
    data = subprocess.run(['zstd', '-d', '-c'], input=data[8:], capture_output=True, check=True).stdout
elif data[:8] == prefix:
    print('zstd not installed: spec_version not checked', file=sys.stderr)
    sys.exit(0)
def leb(p):
    r = shift = 0
    while True:
        b = data[p]; p += 1
        r |= (b & 0x7f) << shift; shift += 7
        if b < 0x80: return r, p
p, payload = 8, None
while p < len(data):
    sid = data[p]; size, p = leb(p + 1); end = p + size
    if sid == 0:
        n, q = leb(p)
        if data[q:q + n] == b'runtime_version':
            payload = q + n
            break
    p = end
if payload is None:
    sys.exit(f'no runtime_version section in {sys.argv[1]}')
p = payload
def compact(p):
    b = data[p]
    mode = b & 3
    if mode == 0: return b >> 2, p + 1
    if mode == 1: return int.from_bytes(data[p:p+2], 'little') >> 2, p + 2
    return int.from_bytes(data[p:p+4], 'little') >> 2, p + 4
n, p = compact(p); p += n  # spec_name
n, p = compact(p); p += n  # impl_name
p += 4                     # authoring_version
spec = int.from_bytes(data[p:p+4], 'little')
if spec != int(sys.argv[2]):
    sys.exit(f'{sys.argv[1]}: spec_version {spec}, expected {sys.argv[2]}')
print(f'{sys.argv[1]}: spec_version {spec}', file=sys.stderr)
PY
echo "wasm ($features) built in $(($(date +%s) - start)) s: $(stat -c %s "$out") bytes" >&2
echo "$out"
