#!/usr/bin/env bash
# Install what is missing, build, and run every test: unit, runtime, and end-to-end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/setup.sh

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "versions: one polkadot-sdk release line, no RocksDB"
python3 .ci/check-sdk-versions.py

step "build: solvent-node (release, --features fast-runtime: fast referendum tracks) and solvent-feeder"
cargo build --release --locked -p solvent-node --features fast-runtime
cargo build --release --locked -p solvent-feeder

step "build: solvent-loadgen (release; subxt client generated from tools/metadata/solvent.scale)"
cargo build --release --locked -p solvent-loadgen

step "the subxt clients' metadata (tools/metadata/solvent.scale) is the built runtime's"
scripts/update-metadata.sh --check

step "unit and runtime tests (cargo test --release --workspace, fast-runtime)"
# The same runtime features as the node above, so the runtime (native and wasm) builds once.
cargo test --release --locked --workspace --features solvent-runtime/fast-runtime

step "benchmark tests of our pallets (--features runtime-benchmarks, native, own target dir)"
# The benchmarks run against each pallet's mock so that a benchmark that no longer sets up its
# worst case fails here, not when weights are regenerated. SKIP_WASM_BUILD in a separate
# directory: setting it in the main one would make cargo rebuild the runtime.
SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="${CARGO_TARGET_DIR}-pallets" cargo test --locked \
	-p pallet-price-oracle -p pallet-margin -p pallet-options -p pallet-insurance-fund \
	-p pallet-validator-set --features runtime-benchmarks --lib benchmarking

step "end-to-end tests (solvent-node + @polkadot/api)"
(cd e2e && npm test)

step "crash scenario, short (--dev: real BTC-USD 2020-03-05..2020-03-20, liquidations, referendum, settlement)"
node e2e/scenario/crash.js --short --out "${SCENARIO_OUT:-$CARGO_TARGET_DIR/scenario-short}"

step "staging chain spec: no dev key, governance-owned assets, a node from it finalizes"
scripts/staging-spec-test.sh

step "zombienet faults (4 validators: one paused, two paused, a restart with state read back)"
zombienet/run.sh faults

step "zombienet validator set (add a fifth validator by referendum, remove one, rotate keys; ~6 min)"
zombienet/run.sh validators

step "zombienet runtime upgrade (4 validators, 4 solvent-feeders: spec_version + 1 by a root referendum; ~4 min)"
SOLVENT_FEEDER_CMD="env SOLVENT_FEEDER_SURI={suri} $SOLVENT_FEEDER --rpc {rpc} --csv {csv} --implied-vol 0.8" \
	zombienet/run.sh upgrade

step "docker compose services run natively (bootnode + 4 validators finalize; no Docker on CI)"
python3 scripts/compose-native.py --node "$SOLVENT_NODE"

step "all tests passed"
