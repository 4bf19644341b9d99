// args "eve": the node `eve` (started with --validator, not in the genesis set) generates
// session keys (author_rotateKeysWithOwner), Eve registers them (session.setKeys), a root-track
// referendum adds her (validatorSet.addValidator), and from the session after next she is an
// Aura and GRANDPA authority, authors blocks and finality advances. Prints the time to add a
// validator. Returns 1 on success.
const v = require('./validators-lib.js');

async function run(nodeName, networkInfo, args) {
  const name = args[0] || 'eve';
  const who = v.account(name);
  const { api } = await v.connect(networkInfo, 'alice');
  try {
    const t0 = Date.now();
    const set0 = (await api.query.validatorSet.validators()).map(String);
    if (set0.includes(who.address)) throw new Error(`${name} is already a validator`);
    const s0 = await v.sessionIndex(api);
    const { keys, aura } = await v.rotateAndSetKeys(networkInfo, name, api, who);
    const grandpa = '0x' + keys.slice(2 + 64, 2 + 128);
    const referendumSecs = await v.rootReferendum(api, api.tx.validatorSet.addValidator(who.address),
      async () => (await api.query.validatorSet.validators()).map(String).includes(who.address));
    const sAdded = await v.sessionIndex(api);
    const sActive = await v.waitSession(api, sAdded + 2);
    const activeSecs = (Date.now() - t0) / 1000;
    const auras = (await api.query.aura.authorities()).map((a) => a.toHex());
    if (!auras.includes(aura) || auras.length !== set0.length + 1) throw new Error(`aura authorities ${auras} (expected ${set0.length + 1} with ${aura})`);
    const fin0 = await v.finalizedNumber(api);
    const authors = await v.authorsOfNext(api, 15);
    const mine = authors.filter((a) => a.author === aura);
    const grandpas = (await api.call.grandpaApi.grandpaAuthorities()).map(([id]) => id.toHex());
    const fin1 = await v.finalizedNumber(api);
    const secs = (Date.now() - t0) / 1000;
    const firstBlock = mine.length ? mine[0].number : null;
    const firstBlockSecs = mine.length ? (mine[0].seenAt - t0) / 1000 : null;
    console.log(`session ${s0} -> added in session ${sAdded}, active in session ${sActive}; ${auras.length} aura authorities, ${grandpas.length} grandpa authorities`);
    console.log(`${name} authored ${mine.length} of blocks ${authors[0].number}..${authors[authors.length - 1].number} (first #${firstBlock}); finalized ${fin0} -> ${fin1}`);
    console.log(`time to add a validator: ${activeSecs.toFixed(1)} s from key generation to its first session as an authority (keys + referendum ${referendumSecs.toFixed(1)} s, then the session after next); first block authored ${firstBlockSecs === null ? '-' : firstBlockSecs.toFixed(1)} s after key generation; step ${secs.toFixed(1)} s`);
    v.saveFigures({ add: { referendumSecs, activeSecs, firstBlockSecs, stepSecs: secs, sessionAdded: sAdded, sessionActive: sActive, firstBlock, blocksAuthored: mine.length, window: authors.length, finalized: [fin0, fin1] } });
    if (!grandpas.includes(grandpa)) throw new Error(`grandpa authorities lack ${name}'s key ${grandpa}`);
    if (mine.length < 2) throw new Error(`${name} authored ${mine.length} of ${authors.length} blocks (expected >= 2 of a 5-validator round robin)`);
    if (fin1 <= fin0) throw new Error(`finality stalled at ${fin0}`);
    return 1;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
