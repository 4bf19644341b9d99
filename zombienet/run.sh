#!/usr/bin/env bash
# Run a zombienet test with the workspace's solvent-node (native provider).
# Usage: zombienet/run.sh smoke|faults|validators [output-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
. scripts/env.sh
case "${1:-smoke}" in
	smoke) test=smoke-2.zndsl ;;
	faults) test=local-4.zndsl ;;
	validators) test=validators-5.zndsl ;;
	*) echo "usage: zombienet/run.sh smoke|faults|validators [output-dir]" >&2; exit 2 ;;
esac
out="${2:-$(mktemp -d /tmp/solvent-zombienet.XXXXXX)}"
[ -x "$SOLVENT_NODE" ] || { echo "solvent-node not built at $SOLVENT_NODE" >&2; exit 1; }
[ -d "$here/node_modules" ] || (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$out"
echo "zombienet: $test (logs in $out)"
cd "$here"
SOLVENT_NODE="$SOLVENT_NODE" npx zombienet -p native -d "$out" -f test "$test"
