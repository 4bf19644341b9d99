#!/usr/bin/env bash
# Regenerate tools/metadata/solvent.scale (the runtime metadata the subxt clients in tools/ are
# generated from) from the built solvent-node's dev runtime, or with --check fail if the file
# in the repository differs from the built runtime's (run by scripts/test.sh after the build).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
out=tools/metadata/solvent.scale
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SOLVENT_NODE" --dev --tmp --rpc-port "$port" --port 0 --no-prometheus >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 60); do
	curl -sf -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
		"http://127.0.0.1:$port" >/dev/null && break
	sleep 1
done
tmp=$(mktemp)
(cd e2e && node tools/fetch-metadata.js "ws://127.0.0.1:$port" "$tmp")
if [ "${1:-}" = "--check" ]; then
	if ! cmp -s "$tmp" "$out"; then
		echo "error: $out is not the built runtime's metadata; run scripts/update-metadata.sh and commit it" >&2
		exit 1
	fi
	echo "$out matches the built runtime"
else
	mv "$tmp" "$out"
fi
