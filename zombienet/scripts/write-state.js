// Writes state through a node (an assets transfer, a margin deposit and an oracle feed), waits
// for finality, and records what to read back in /tmp/solvent-zombienet-state.json. Returns 1
// on success.
const { connect } = require('./lib.js');
const { Keyring } = require('@polkadot/keyring');
const fs = require('fs');

const STATE = process.env.SOLVENT_ZN_STATE || '/tmp/solvent-zombienet-state.json';

function finalized(api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, dispatchError }) => {
      if (dispatchError) reject(new Error(dispatchError.toString()));
      if (status.isInvalid || status.isDropped) reject(new Error(status.type));
      if (status.isFinalized) resolve(status.asFinalized);
    }).catch(reject);
  });
}

async function snapshot(api, at) {
  const a = await api.at(at);
  const alice = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
  const out = { usdAlice: (await a.query.assets.account(1, alice)).toJSON() };
  out.margin = (await a.query.margin.accounts(alice)).toJSON();
  out.oracle = (await a.query.priceOracle.rawValues.entries()).map(([k, v]) => [k.toHuman(), v.toJSON()]);
  return out;
}

async function run(nodeName, networkInfo, args) {
  const name = args[0] || nodeName;
  const api = await connect(networkInfo, name);
  try {
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    // The chain must have our pallets: a runtime without them fails the test here.
    for (const pallet of ['margin', 'priceOracle', 'assets']) {
      if (!api.tx[pallet] || !api.query[pallet]) throw new Error(`runtime has no ${pallet} pallet`);
    }
    const txs = [
      api.tx.assets.transferKeepAlive(1, '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty', 1_000_000),
      api.tx.margin.deposit(1, 50_000_000_000n),
    ];
    // Alice is a genesis feeder on `local`.
    const feeders = (await api.query.priceOracle.feeders()).map((a) => a.toHex());
    if (!feeders.includes(api.createType('AccountId', alice.address).toHex())) throw new Error('Alice is not a feeder on this chain');
    let last;
    for (const tx of txs) last = await finalized(api, tx, alice);
    last = await finalized(api, api.tx.priceOracle.feedValues([[{ Spot: 2 }, '65000000000000000000000']]), alice);
    const snap0 = await snapshot(api, last);
    if (!snap0.margin || BigInt(snap0.margin.cash) < 50_000_000_000n) throw new Error(`margin deposit not in state: ${JSON.stringify(snap0.margin)}`);
    if (snap0.oracle.length === 0) throw new Error('no oracle feed in state');
    fs.writeFileSync(STATE, JSON.stringify({ block: last.toHex(), snap: snap0 }));
    console.log(`wrote state at ${last.toHex()}`);
    return 1;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run, snapshot, STATE };
