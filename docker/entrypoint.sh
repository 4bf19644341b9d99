#!/bin/sh
# Entrypoint of the solvent-node image.
#
# When it runs the node (its first argument is a flag, not a subcommand such as `key`):
#  - the node's p2p key is generated into the data volume on first start
#    (`$SOLVENT_DATA/node-key`, default /data/node-key) and used from then on, so a container
#    keeps its peer id across restarts and no key is baked into the image or the compose file;
#  - if BOOTNODE_RPC is set (e.g. http://bootnode:9944), the bootnode's peer id is asked from its
#    JSON-RPC (`system_localPeerId`, a safe method) and `--bootnodes=$BOOTNODE_ADDR/p2p/<id>` is
#    added (BOOTNODE_ADDR defaults to /dns/bootnode/tcp/30333/ws: a node that is not a validator listens
#    for p2p over WebSocket by default); the node waits for the bootnode
#    up to BOOTNODE_WAIT seconds (default 120) and exits non-zero if it never answers.
# Anything else is passed to solvent-node unchanged.
set -eu

NODE="${SOLVENT_NODE:-solvent-node}"
DATA="${SOLVENT_DATA:-/data}"

case "${1:-}" in
-*) ;;
*) exec "$NODE" "$@" ;;
esac

if [ ! -s "$DATA/node-key" ]; then
	umask 077
	"$NODE" key generate-node-key --file "$DATA/node-key" 2>"$DATA/peer-id.tmp"
	mv "$DATA/peer-id.tmp" "$DATA/peer-id"
	echo "entrypoint: generated node key $DATA/node-key (peer id $(cat "$DATA/peer-id"))" >&2
fi
set -- "$@" "--node-key-file=$DATA/node-key"

if [ -n "${BOOTNODE_RPC:-}" ]; then
	wait_s="${BOOTNODE_WAIT:-120}"
	peer=""
	i=0
	while [ "$i" -lt "$wait_s" ]; do
		peer=$(curl -fsS -H 'Content-Type: application/json' \
			-d '{"id":1,"jsonrpc":"2.0","method":"system_localPeerId","params":[]}' \
			"$BOOTNODE_RPC" 2>/dev/null | sed -n 's/.*"result":"\([^"]*\)".*/\1/p') || true
		[ -n "$peer" ] && break
		i=$((i + 1))
		sleep 1
	done
	if [ -z "$peer" ]; then
		echo "entrypoint: the bootnode's RPC at $BOOTNODE_RPC did not answer in ${wait_s} s" >&2
		exit 1
	fi
	set -- "$@" "--bootnodes=${BOOTNODE_ADDR:-/dns/bootnode/tcp/30333/ws}/p2p/$peer"
	echo "entrypoint: bootnode ${BOOTNODE_ADDR:-/dns/bootnode/tcp/30333/ws}/p2p/$peer" >&2
fi

exec "$NODE" "$@"
