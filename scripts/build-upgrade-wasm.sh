#!/usr/bin/env bash
# The runtime-upgrade test's wasm: solvent-runtime with `upgrade-test` (`spec_version` + 1,
# otherwise the same runtime) and `fast-runtime` (the tracks of the network it upgrades), at
# $CARGO_TARGET_DIR/upgrade-test/solvent_runtime_upgrade.compact.compressed.wasm (printed on the
# last line). Used by `zombienet/run.sh upgrade`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
exec scripts/build-runtime-wasm.sh upgrade-test,fast-runtime \
	"$CARGO_TARGET_DIR/upgrade-test/solvent_runtime_upgrade.compact.compressed.wasm" 101
