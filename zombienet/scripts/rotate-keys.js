// args "charlie": the validator generates new session keys on its node and registers them
// (session.setKeys); from the session after next its new Aura and GRANDPA keys replace the old
// ones, it keeps authoring with the new key and finality advances. Returns 1 on success.
const v = require('./validators-lib.js');

async function run(nodeName, networkInfo, args) {
  const name = args[0] || 'charlie';
  const who = v.account(name);
  const { api } = await v.connect(networkInfo, 'alice');
  try {
    const t0 = Date.now();
    const old = (await api.query.session.nextKeys(who.address)).unwrap();
    const oldAura = old.aura.toHex();
    const s0 = await v.sessionIndex(api);
    const { keys, aura } = await v.rotateAndSetKeys(networkInfo, name, api, who);
    if (aura === oldAura) throw new Error('rotateKeys returned the old key');
    const grandpa = '0x' + keys.slice(2 + 64, 2 + 128);
    const sActive = await v.waitSession(api, s0 + 2);
    const auras = (await api.query.aura.authorities()).map((a) => a.toHex());
    const fin0 = await v.finalizedNumber(api);
    const authors = await v.authorsOfNext(api, 12);
    const fin1 = await v.finalizedNumber(api);
    const grandpas = (await api.call.grandpaApi.grandpaAuthorities()).map(([id]) => id.toHex());
    const mine = authors.filter((a) => a.author === aura);
    const secs = (Date.now() - t0) / 1000;
    console.log(`${name} rotated in session ${s0}, new keys active in session ${sActive}: authored ${mine.length} of blocks ${authors[0].number}..${authors[authors.length - 1].number} with the new key; finalized ${fin0} -> ${fin1}; ${secs.toFixed(1)} s`);
    v.saveFigures({ rotate: { totalSecs: secs, session: s0, sessionActive: sActive, blocksAuthored: mine.length, window: authors.length, finalized: [fin0, fin1] } });
    if (!auras.includes(aura) || auras.includes(oldAura)) throw new Error(`aura authorities ${auras}: new ${aura}, old ${oldAura}`);
    if (!grandpas.includes(grandpa) || grandpas.includes(old.grandpa.toHex())) throw new Error(`grandpa authorities ${grandpas}`);
    if (mine.length < 2) throw new Error(`${name} authored ${mine.length} of ${authors.length} blocks with the new key`);
    if (fin1 <= fin0) throw new Error(`finality stalled at ${fin0}`);
    return 1;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
