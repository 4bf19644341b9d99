#!/usr/bin/env bash
# Throughput and latency benchmarks (issue 8): start a network, measure block time and finality
# lag idle for a minute (e2e/tools/measure-chain.js), then run every `solvent-loadgen`
# workload on it (tools/loadgen, a subxt client), one after the other, and print one table.
#
#   scripts/bench-loadgen.sh dev     one validator (--dev --tmp)
#   scripts/bench-loadgen.sh local   four validators (Alice, Bob, Charlie, Dave) on this machine,
#                                    `local` spec with Alice as Sudo key (the order workloads list
#                                    series through Sudo; the shipped `local` has no Sudo key);
#                                    transactions go round-robin to all four nodes
#
# Env: OUT (results directory, default $CARGO_TARGET_DIR/loadgen-<mode>), WORKLOADS (default
# "transfer deposit order-rest order-match feed"; also `liquidation`: WRITERS option writers,
# default 10000, and two price drops, see `solvent-loadgen --help`), COUNT (default 8000),
# RATE (default 1500), IDLE_SECONDS (default 60), VOTE_LAG (--grandpa-vote-lag, default the
# node's), RPC_PORT / P2P_PORT / PROMETHEUS_PORT (first node's ports, default 9977 / 30977 /
# 9677 on dev; local uses four consecutive RPC and Prometheus ports and P2P 30533..30536).
# Binaries: SOLVENT_NODE and SOLVENT_LOADGEN (scripts/env.sh; build both with
# `cargo build --release -p solvent-node -p solvent-loadgen`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mode="${1:-dev}"
OUT="${OUT:-$CARGO_TARGET_DIR/loadgen-$mode}"
WORKLOADS="${WORKLOADS:-transfer deposit order-rest order-match feed}"
COUNT="${COUNT:-8000}"
RATE="${RATE:-1500}"
IDLE_SECONDS="${IDLE_SECONDS:-60}"
RPC_PORT="${RPC_PORT:-9977}"
P2P_PORT="${P2P_PORT:-30977}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9677}"
[ -x "$SOLVENT_NODE" ] || { echo "build first: cargo build --release -p solvent-node --features fast-runtime" >&2; exit 1; }
[ -x "$SOLVENT_LOADGEN" ] || { echo "build first: cargo build --release -p solvent-loadgen" >&2; exit 1; }
[ -d e2e/node_modules ] || (cd e2e && npm ci --no-audit --no-fund)
mkdir -p "$OUT"
base=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$base"; }
trap cleanup EXIT INT TERM
extra=(--pool-limit 40000 --pool-kbytes 400000 --no-telemetry --no-mdns)
[ -n "${VOTE_LAG:-}" ] && extra+=(--grandpa-vote-lag "$VOTE_LAG")

case "$mode" in
	dev)
		"$SOLVENT_NODE" --dev --base-path "$base/dev" --rpc-port "$RPC_PORT" --port "$P2P_PORT" \
			--prometheus-port "$PROMETHEUS_PORT" "${extra[@]}" > "$OUT/node.log" 2>&1 &
		pids+=($!)
		rpcs=ws://127.0.0.1:$RPC_PORT
		;;
	local)
		"$SOLVENT_NODE" export-chain-spec --chain local > "$base/local.json" 2>/dev/null
		# Python keeps the u128 balances exact (JavaScript's JSON would turn them into floats).
		python3 -c '
import json, sys
f = sys.argv[1]
spec = json.load(open(f))
spec["genesis"]["runtimeGenesis"]["patch"]["sudo"] = {"key": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"}  # Alice
json.dump(spec, open(f, "w"))' "$base/local.json"
		rpcs=""
		i=0
		for name in alice bob charlie dave; do
			"$SOLVENT_NODE" key generate-node-key --chain local --base-path "$base/$name" >/dev/null 2>&1
			args=(--chain "$base/local.json" "--$name" --validator --base-path "$base/$name"
				--port $((30533 + i)) --rpc-port $((RPC_PORT + i)) --prometheus-port $((PROMETHEUS_PORT + i)) "${extra[@]}")
			if [ "$name" != alice ]; then
				id=$("$SOLVENT_NODE" key inspect-node-key --file "$base/alice/chains/solvent_local/network/secret_ed25519")
				args+=(--bootnodes "/ip4/127.0.0.1/tcp/30533/p2p/$id")
			fi
			"$SOLVENT_NODE" "${args[@]}" > "$OUT/$name.log" 2>&1 &
			pids+=($!)
			rpcs="${rpcs:+$rpcs,}ws://127.0.0.1:$((RPC_PORT + i))"
			i=$((i + 1))
		done
		;;
	*) echo "usage: scripts/bench-loadgen.sh dev|local" >&2; exit 2 ;;
esac

first="${rpcs%%,*}"
for _ in $(seq 1 120); do
	curl -s -H 'Content-Type: application/json' \
		-d '{"id":1,"jsonrpc":"2.0","method":"chain_getHeader","params":[]}' \
		"http://${first#ws://}" 2>/dev/null | grep -q '"number"' && break
	sleep 1
done
echo "== idle: block time and finality lag over ${IDLE_SECONDS} s ($mode)"
(cd e2e && node tools/measure-chain.js "$first" "$IDLE_SECONDS") | tee "$OUT/idle.json"

seed=1
: > "$OUT/table.md"
for w in $WORKLOADS; do
	case "$w" in
		feed) args=(--accounts 11 --count 110) ;;
		# Not a throughput workload: WRITERS option writers, two price drops, liquidations.
		liquidation) args=(--count "${WRITERS:-10000}" --timeout 1200) ;;
		# 60 resting orders per series: at most 100 series (the runtime allows 128 active).
		order-rest) n=$(( COUNT < 6000 ? COUNT : 6000 )); args=(--accounts $(( (n + 29) / 30 )) --count "$n") ;;
		*) args=(--accounts $(( (COUNT + 9) / 10 )) --count "$COUNT") ;;
	esac
	echo "== $w"
	"$SOLVENT_LOADGEN" --rpc "$rpcs" --workload "$w" "${args[@]}" --rate "$RATE" \
		--seed "$seed" --json "$OUT/$w.json" | tee "$OUT/$w.md"
	seed=$((seed + 1))
done
echo "== results ($mode, $COUNT extrinsics per workload at $RATE/s; feed: 11 feeders x 10 rounds)"
python3 - "$OUT" $WORKLOADS <<'EOF'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
rows = {n: json.load(open(f"{out}/{n}.json")) for n in names if n != "liquidation"}
t = rows.get("transfer", {})
base, steady_base = t.get("included_per_second"), t.get("steady_included_per_second")
print("| workload | included | incl/s (run) | ratio | steady incl/s | steady ratio | incl p50/p95/p99 ms | final p50/p95/p99 ms | fullness mean/max % |")
print("|---|---|---|---|---|---|---|---|---|")
for n, r in rows.items():
    f = lambda d: "/".join("-" if d[k] is None else f"{d[k]:.0f}" for k in ("p50", "p95", "p99"))
    ratio = f"{r['included_per_second'] / base:.2f}" if base else "-"
    st = r.get("steady_included_per_second")
    sratio = f"{st / steady_base:.2f}" if st and steady_base else "-"
    sts = f"{st:.1f}" if st else "-"
    b = r["block_fullness_percent"]
    print(f"| {n} | {r['included']}/{r['sent']} | {r['included_per_second']:.1f} | {ratio} | {sts} | {sratio} | "
          f"{f(r['inclusion_latency_ms'])} | {f(r['finality_latency_ms'])} | {b['mean']:.1f}/{b['max']:.1f} |")
EOF
