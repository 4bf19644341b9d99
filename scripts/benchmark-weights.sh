#!/usr/bin/env bash
# Regenerate the runtime weights of Solvent's pallets from their frame-benchmarking (v2)
# benchmarks, on this machine:
#   1. build solvent-node with `--features runtime-benchmarks` (a separate feature set; the
#      normal node build is untouched in its cache but the binary is overwritten: rebuild it
#      with `cargo build --release -p solvent-node` afterwards);
#   2. run `solvent-node benchmark pallet` for each pallet against the dev runtime, writing
#      `runtime/src/weights/<pallet>.rs` (the runtime uses these; each pallet's own
#      `src/weights.rs` is the fallback for its unit tests).
# Usage: scripts/benchmark-weights.sh [pallet ...]   (default: all of ours)
# Env: STEPS (default 20), REPEAT (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
STEPS="${STEPS:-20}"
REPEAT="${REPEAT:-10}"
PALLETS=("$@")
if [ ${#PALLETS[@]} -eq 0 ]; then
	PALLETS=(pallet_price_oracle pallet_margin pallet_options pallet_insurance_fund)
fi
cargo build --release -p solvent-node --features runtime-benchmarks
mkdir -p runtime/src/weights
for pallet in "${PALLETS[@]}"; do
	echo "== $pallet"
	"$CARGO_TARGET_DIR/release/solvent-node" benchmark pallet \
		--runtime "$CARGO_TARGET_DIR/release/wbuild/solvent-runtime/solvent_runtime.compact.compressed.wasm" \
		--genesis-builder=runtime --genesis-builder-preset=development \
		--pallet "$pallet" --extrinsic '*' \
		--wasm-execution=compiled --steps "$STEPS" --repeat "$REPEAT" \
		--heap-pages=4096 \
		--output "runtime/src/weights/$pallet.rs"
done
echo "weights written to runtime/src/weights/"
