#!/usr/bin/env bash
# The staging chain spec (issue 16, point 3): from docs/staging.example.json it holds no dev key
# (neither as hex nor as SS58, in the plain and the raw form), no Sudo key, the assets are owned
# by the governance account, and the properties are SLV / 12 / 7006; a config naming a dev key
# is refused; and a node started from a spec generated with fresh keys (one validator, keys
# inserted with `key insert`) produces and finalizes blocks. About 1 minute.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
N="$SOLVENT_NODE"
[ -x "$N" ] || { echo "solvent-node not built at $N" >&2; exit 1; }
work=$(mktemp -d /tmp/solvent-staging-test.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# A fast-runtime build (as scripts/test.sh builds the node) is refused without
# --test-network: the spec embeds the runtime, whose referenda would pass in minutes.
FAST=
if ! "$N" staging-spec --config docs/staging.example.json > /dev/null 2> "$work/fast.err"; then
	grep -q 'fast-runtime' "$work/fast.err" || { cat "$work/fast.err" >&2; exit 1; }
	echo "staging-spec refuses a fast-runtime build without --test-network: ok"
	FAST=--test-network
fi

"$N" staging-spec $FAST --config docs/staging.example.json > "$work/plain.json"
"$N" staging-spec $FAST --config docs/staging.example.json --raw > "$work/raw.json"
python3 - "$N" "$work/plain.json" "$work/raw.json" <<'PY'
import json, subprocess, sys
node, plain_path, raw_path = sys.argv[1:4]
plain, raw = json.load(open(plain_path)), json.load(open(raw_path))
# The runtime code is the same on every chain (it embeds the dev and local presets): the
# check covers the genesis state, not the code.
del plain["genesis"]["runtimeGenesis"]["code"]
del raw["genesis"]["raw"]["top"]["0x3a636f6465"]
plain_text, raw_text = json.dumps(plain), json.dumps(raw)

def ss58(pub, prefix=42):
    import hashlib
    body = bytes([prefix]) + pub
    data = body + hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2]
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out
dev = []
for name in ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"]:
    for suri in [f"//{name}", f"//{name}//stash"]:
        for scheme in ["sr25519", "ed25519"]:
            k = json.loads(subprocess.check_output([node, "key", "inspect", "--scheme", scheme, "--output-type", "json", suri]))
            dev.append((f"{suri} {scheme}", k["publicKey"][2:].lower(), k["ss58Address"]))
for label, text in [("plain", plain_text.lower()), ("raw", raw_text.lower())]:
    found = [d[0] for d in dev if d[1] in text or d[2].lower() in text]
    assert not found, f"{label} spec holds dev keys: {found}"
spec = plain
props = spec["properties"]
assert props == {"ss58Format": 7006, "tokenDecimals": 12, "tokenSymbol": "SLV"}, props
assert spec["chainType"] == "Live", spec["chainType"]
patch = spec["genesis"]["runtimeGenesis"]["patch"]
assert "sudo" not in patch or patch["sudo"].get("key") is None, patch.get("sudo")
# The keyless governance account: PalletId(*b"sv/govrn") into an account ("modl" ++ id ++ 0s).
gov = ss58((b"modl" + b"sv/govrn").ljust(32, b"\0"))
owners = {a[1] for a in patch["assets"]["assets"]}
assert len(patch["assets"]["assets"]) == 3 and owners == {gov}, patch["assets"]["assets"]
assert patch["assets"]["accounts"] == [], patch["assets"]["accounts"]
assert len(patch["session"]["keys"]) == 4 and len(patch["validatorSet"]["initialValidators"]) == 4
assert len(patch["priceOracle"]["feeders"]) == 5
assert "origins" not in patch  # the tracks are a build feature (fast-runtime), not genesis
print(f"staging spec: no dev key among {len(dev)} (plain and raw), properties {props}, assets owned by {gov}, no sudo, 4 validators, 5 feeders")
PY

# A config naming a dev key is refused with a non-zero exit.
python3 - docs/staging.example.json "$work/dev.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["feeders"][0] = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"  # //Alice
json.dump(c, open(sys.argv[2], "w"))
PY
if "$N" staging-spec $FAST --config "$work/dev.json" > /dev/null 2> "$work/dev.err"; then
	echo "FAIL: a config with //Alice as a feeder was accepted" >&2; exit 1
fi
grep -q "dev key" "$work/dev.err" || { echo "FAIL: unexpected error: $(cat "$work/dev.err")" >&2; exit 1; }
echo "a config with //Alice as a feeder is refused: $(cat "$work/dev.err")"

# A node starts from a spec with a fresh validator and produces and finalizes blocks.
phrase=$("$N" key generate --scheme sr25519 --output-type json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secretPhrase"])')
inspect() { "$N" key inspect --scheme "$1" --output-type json "$phrase" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
acct=$(inspect sr25519 ss58Address); aura=$(inspect sr25519 publicKey); gran=$(inspect ed25519 publicKey)
python3 - docs/staging.example.json "$work/one.json" "$acct" "$aura" "$gran" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["validators"] = [{"account": sys.argv[3], "aura": sys.argv[4], "grandpa": sys.argv[5]}]
c["id"] = "solvent_staging_test"
json.dump(c, open(sys.argv[2], "w"))
PY
"$N" staging-spec $FAST --config "$work/one.json" --raw > "$work/one-raw.json"
base="$work/node"
"$N" key insert --chain "$work/one-raw.json" --base-path "$base" --scheme sr25519 --key-type aura --suri "$phrase"
"$N" key insert --chain "$work/one-raw.json" --base-path "$base" --scheme ed25519 --key-type gran --suri "$phrase"
"$N" key generate-node-key --chain "$work/one-raw.json" --base-path "$base" 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$N" --chain "$work/one-raw.json" --base-path "$base" --validator --rpc-port "$port" --port 0 \
	--no-prometheus --no-mdns > "$work/node.log" 2>&1 &
pid=$!
rpc() { curl -sf -H 'Content-Type: application/json' -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":[]}" "http://127.0.0.1:$port"; }
best=0; fin=0
for _ in $(seq 60); do
	sleep 1
	best=$(rpc chain_getHeader | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"]["number"],16))' 2>/dev/null || echo 0)
	fh=$(rpc chain_getFinalizedHead | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])' 2>/dev/null || echo)
	[ -n "$fh" ] && fin=$(curl -sf -H 'Content-Type: application/json' -d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"chain_getHeader\",\"params\":[\"$fh\"]}" "http://127.0.0.1:$port" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"]["number"],16))')
	[ "$best" -ge 5 ] && [ "$fin" -ge 3 ] && break
done
ss58=$(rpc system_properties | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["ss58Format"])')
echo "node from the staging spec: best #$best, finalized #$fin, ss58Format $ss58"
[ "$best" -ge 5 ] && [ "$fin" -ge 3 ] && [ "$ss58" = 7006 ] || { tail -20 "$work/node.log" >&2; echo "FAIL" >&2; exit 1; }
echo "staging spec test: ok"
