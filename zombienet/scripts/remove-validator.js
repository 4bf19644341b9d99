// args "dave": a root-track referendum removes the validator (validatorSet.removeValidator);
// from the session after next its Aura key is no longer an authority, it authors none of the
// next 12 blocks, and finality advances with the others. Returns 1 on success.
const v = require('./validators-lib.js');

async function run(nodeName, networkInfo, args) {
  const name = args[0] || 'dave';
  const who = v.account(name);
  const { api } = await v.connect(networkInfo, 'alice');
  try {
    const t0 = Date.now();
    const aura = (await api.query.session.nextKeys(who.address)).unwrap().aura.toHex();
    const before = (await api.query.aura.authorities()).map((a) => a.toHex());
    if (!before.includes(aura)) throw new Error(`${name} is not an aura authority`);
    const referendumSecs = await v.rootReferendum(api, api.tx.validatorSet.removeValidator(who.address),
      async () => !(await api.query.validatorSet.validators()).map(String).includes(who.address));
    const sRemoved = await v.sessionIndex(api);
    const sGone = await v.waitSession(api, sRemoved + 2);
    const after = (await api.query.aura.authorities()).map((a) => a.toHex());
    const fin0 = await v.finalizedNumber(api);
    const authors = await v.authorsOfNext(api, 12);
    const fin1 = await v.finalizedNumber(api);
    const mine = authors.filter((a) => a.author === aura);
    const secs = (Date.now() - t0) / 1000;
    console.log(`${name} removed in session ${sRemoved}, gone from session ${sGone}: ${before.length} -> ${after.length} aura authorities; authored ${mine.length} of blocks ${authors[0].number}..${authors[authors.length - 1].number}; finalized ${fin0} -> ${fin1}; ${secs.toFixed(1)} s`);
    v.saveFigures({ remove: { referendumSecs, totalSecs: secs, sessionRemoved: sRemoved, sessionGone: sGone, authorities: [before.length, after.length], blocksAuthored: mine.length, finalized: [fin0, fin1] } });
    if (after.includes(aura) || after.length !== before.length - 1) throw new Error(`aura authorities after removal: ${after}`);
    if (mine.length !== 0) throw new Error(`${name} still authored ${mine.length} blocks`);
    if (fin1 <= fin0) throw new Error(`finality stalled at ${fin0}`);
    return 1;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
