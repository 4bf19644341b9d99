#!/usr/bin/env bash
# Run a zombienet test with the workspace's solvent-node (native provider).
# Usage: zombienet/run.sh smoke|faults|validators|upgrade [output-dir]
# upgrade: builds the upgrade wasm first (scripts/build-upgrade-wasm.sh, spec_version + 1);
# SOLVENT_FEEDER_CMD replaces its feeders (template with {rpc} and {suri}, see
# scripts/upgrade.js), e.g. SOLVENT_FEEDER_CMD='env SOLVENT_FEEDER_SURI={suri} solvent-feeder --rpc {rpc} --csv {csv} --implied-vol 0.8'.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
. scripts/env.sh
case "${1:-smoke}" in
	smoke) test=smoke-2.zndsl ;;
	faults) test=local-4.zndsl ;;
	validators) test=validators-5.zndsl ;;
	upgrade) test=upgrade-4.zndsl ;;
	*) echo "usage: zombienet/run.sh smoke|faults|validators|upgrade [output-dir]" >&2; exit 2 ;;
esac
out="${2:-$(mktemp -d /tmp/solvent-zombienet.XXXXXX)}"
[ -x "$SOLVENT_NODE" ] || { echo "solvent-node not built at $SOLVENT_NODE" >&2; exit 1; }
[ -d "$here/node_modules" ] || (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$out"
if [ "$test" = upgrade-4.zndsl ] && [ -z "${SOLVENT_UPGRADE_WASM:-}" ]; then
	SOLVENT_UPGRADE_WASM="$(scripts/build-upgrade-wasm.sh | tail -n 1)"
fi
export SOLVENT_UPGRADE_WASM="${SOLVENT_UPGRADE_WASM:-}" SOLVENT_ZN_OUT="$out"
echo "zombienet: $test (logs in $out)"
cd "$here"
SOLVENT_NODE="$SOLVENT_NODE" npx zombienet -p native -d "$out" -f test "$test"
