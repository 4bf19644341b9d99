#!/usr/bin/env bash
# try-runtime against a live local chain: builds the runtime's wasm with the `try-runtime`
# feature (same spec_version as the node's runtime), starts a dev chain with margin, options and
# insurance-fund state, and has a second node on that chain, running the try-runtime wasm through
# `--wasm-runtime-overrides`, call `TryRuntime_on_runtime_upgrade(All)` (every migration with its
# pre/post checks, storage versions, a decode of the whole state, every `try_state`) and
# `TryRuntime_execute_block` (all `try_state`). Exits non-zero if a check fails.
# Usage: scripts/try-runtime.sh    (needs the node built: cargo build --release -p solvent-node --features fast-runtime)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ -x "$SOLVENT_NODE" ] || { echo "solvent-node not built at $SOLVENT_NODE" >&2; exit 1; }
dir="$CARGO_TARGET_DIR/try-runtime"
rm -rf "$dir" && mkdir -p "$dir"
# The chain's spec_version: the first `VERSION` of runtime/src/lib.rs (the other one is the
# `upgrade-test` build's). The override replaces only a runtime of the same spec_version.
spec=$(grep -m1 -oP '^\s*spec_version: \K[0-9]+' runtime/src/lib.rs)
t0=$(date +%s)
scripts/build-runtime-wasm.sh try-runtime,fast-runtime "$dir/solvent_runtime_try.compact.compressed.wasm" \
	"$spec" >/dev/null
t1=$(date +%s)
[ -d e2e/node_modules ] || (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
SOLVENT_TRY_RUNTIME_DIR="$dir" node e2e/tools/try-runtime.js
echo "try-runtime: wasm build $((t1 - t0)) s, chain and checks $(($(date +%s) - t1)) s"
