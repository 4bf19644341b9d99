#!/usr/bin/env bash
# Regenerate the runtime weights of Solvent's pallets from their frame-benchmarking (v2)
# benchmarks, on this machine:
#   1. build solvent-node with `--features runtime-benchmarks` into its own target directory
#      ($BENCH_TARGET_DIR, default ~/.cache/solvent/target-bench), so the normal node binary is
#      untouched (seed it with `cp -a ~/.cache/solvent/target/release ~/.cache/solvent/target-bench/`
#      to reuse the common artifacts);
#   2. run `solvent-node benchmark pallet` for each pallet against the dev runtime and write
#      the pallet's `src/weights.rs` with `.maintain/pallet-weight-template.hbs` (polkadot-sdk's
#      layout: the `WeightInfo` trait, `SubstrateWeight<T>` pricing storage with the runtime's
#      `DbWeight`, which the runtime uses, and `()` for the unit-test mocks).
# Usage: scripts/benchmark-weights.sh [pallet ...]   (default: all of ours)
# Env: STEPS (default 20), REPEAT (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/solvent/target-bench}"
STEPS="${STEPS:-20}"
REPEAT="${REPEAT:-10}"
PALLETS=("$@")
if [ ${#PALLETS[@]} -eq 0 ]; then
	PALLETS=(pallet_price_oracle pallet_margin pallet_options pallet_insurance_fund)
fi
# frame-benchmarking-cli pulls in a test runtime whose wasm build cannot find itself in our
# workspace metadata; pallet benchmarks do not need it.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
cargo build --release -p solvent-node --features runtime-benchmarks
for pallet in "${PALLETS[@]}"; do
	echo "== $pallet"
	"$CARGO_TARGET_DIR/release/solvent-node" benchmark pallet \
		--runtime "$CARGO_TARGET_DIR/release/wbuild/solvent-runtime/solvent_runtime.compact.compressed.wasm" \
		--genesis-builder=runtime --genesis-builder-preset=development \
		--pallet "$pallet" --extrinsic '*' \
		--wasm-execution=compiled --steps "$STEPS" --repeat "$REPEAT" \
		--heap-pages=4096 \
		--template .maintain/pallet-weight-template.hbs \
		--output "pallets/$(echo "${pallet#pallet_}" | tr _ -)/src/weights.rs"
done
echo "weights written to pallets/*/src/weights.rs"
