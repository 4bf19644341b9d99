#!/usr/bin/env bash
# Install what is missing, build the node (with fast referendum tracks: `fast-runtime`), and
# start a single-validator dev chain.
# Extra arguments go to solvent-node (e.g. `--rpc-port 9955`). Data is temporary unless you
# pass `--base-path <dir>` instead of the default `--tmp`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/setup.sh
cargo build --release --locked -p solvent-node --features fast-runtime
args=("$@")
case " ${args[*]-} " in *" --base-path "*|*" -d "*) ;; *) args+=(--tmp) ;; esac
port=9944
for ((i = 0; i < ${#args[@]}; i++)); do
	if [ "${args[$i]}" = "--rpc-port" ]; then port="${args[$((i + 1))]}"; fi
done
echo "solvent: dev chain starting; JSON-RPC (WebSocket and HTTP) at ws://127.0.0.1:${port}"
echo "solvent: polkadot.js apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A${port}"
exec "$SOLVENT_NODE" --dev "${args[@]}"
