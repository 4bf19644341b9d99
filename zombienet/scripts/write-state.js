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
  if (a.query.margin) out.margin = (await a.query.margin.accounts(alice)).toJSON();
  if (a.query.priceOracle) out.oracle = (await a.query.priceOracle.rawValues.entries()).map(([k, v]) => [k.toHuman(), v.toJSON()]);
  return out;
}

async function run(nodeName, networkInfo, args) {
  const name = args[0] || nodeName;
  const api = await connect(networkInfo, name);
  try {
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const txs = [api.tx.assets.transferKeepAlive(1, '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty', 1_000_000)];
    if (api.tx.margin) txs.push(api.tx.margin.deposit(1, 50_000_000_000n));
    if (api.tx.priceOracle && api.tx.priceOracle.feedValues) {
      // Alice is a genesis feeder on `local`; only a chain with a Sudo key may add her.
      const feeders = (await api.query.priceOracle.feeders()).map((a) => a.toHex());
      const sudoKey = api.query.sudo ? (await api.query.sudo.key()).toJSON() : null;
      if (!feeders.includes(api.createType('AccountId', alice.address).toHex()) && sudoKey) {
        txs.push(api.tx.sudo.sudo(api.tx.priceOracle.addFeeder(alice.address)));
      }
    }
    let last;
    for (const tx of txs) last = await finalized(api, tx, alice);
    if (api.tx.priceOracle && api.tx.priceOracle.feedValues) {
      last = await finalized(api, api.tx.priceOracle.feedValues([[{ Spot: 2 }, '65000000000000000000000']]), alice);
    }
    const snap = await snapshot(api, last);
    fs.writeFileSync(STATE, JSON.stringify({ block: last.toHex(), snap }));
    console.log(`wrote state at ${last.toHex()}`);
    return 1;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run, snapshot, STATE };
