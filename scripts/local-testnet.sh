#!/usr/bin/env bash
# Start the four-validator local testnet (Alice, Bob, Charlie, Dave) on this machine.
# Usage: scripts/local-testnet.sh [base-dir]   (default /tmp/solvent-local; Ctrl-C stops all)
# RPC: Alice ws://127.0.0.1:9944, Bob 9945, Charlie 9946, Dave 9947.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
base="${1:-/tmp/solvent-local}"
[ -x "$SOLVENT_NODE" ] || { echo "build first: cargo build --release -p solvent-node --features fast-runtime" >&2; exit 1; }
mkdir -p "$base"
# Validators need a network key on disk: generate one per node on first start; the others
# boot from Alice's peer id.
for name in alice bob charlie dave; do
	key="$base/$name/chains/solvent_local/network/secret_ed25519"
	if [ ! -f "$key" ]; then
		mkdir -p "$(dirname "$key")"
		"$SOLVENT_NODE" key generate-node-key --file "$key" 2>/dev/null
	fi
done
ALICE_ID=$("$SOLVENT_NODE" key inspect-node-key --file "$base/alice/chains/solvent_local/network/secret_ed25519")
BOOT=/ip4/127.0.0.1/tcp/30333/p2p/$ALICE_ID
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
i=0
for name in alice bob charlie dave; do
	args=(--chain local "--$name" --validator --base-path "$base/$name" --port $((30333 + i))
		--rpc-port $((9944 + i)) --prometheus-port $((9615 + i)) --no-mdns --no-telemetry)
	if [ "$name" != alice ]; then args+=(--bootnodes "$BOOT"); fi
	"$SOLVENT_NODE" "${args[@]}" > "$base/$name.log" 2>&1 &
	pids+=($!)
	echo "$name: ws://127.0.0.1:$((9944 + i)) (log $base/$name.log)"
	i=$((i + 1))
done
wait
