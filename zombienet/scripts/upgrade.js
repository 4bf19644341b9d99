// Runtime upgrade by referendum on a running 4-validator network (zombienet js-script, run by
// upgrade-4.zndsl on node alice). Returns 1 if every check passes, else throws.
//
// 1. Starts one price feeder per validator (feeder keys Alice..Dave, each on its own node) in
//    the background. The command is a template: SOLVENT_FEEDER_CMD, with {rpc} and {suri}
//    replaced (default: `node zombienet/scripts/feeder.js --rpc {rpc} --suri {suri}`), e.g.
//    SOLVENT_FEEDER_CMD='env SOLVENT_FEEDER_SURI={suri} solvent-feeder --rpc {rpc} --csv {csv}
//    --implied-vol 0.8' ({csv}: a flat BTC-USD replay the test writes), as scripts/test.sh runs it.
// 2. Writes margin and options state: Ferdie deposits 1,000 USD into margin; a BTC call is
//    listed by a risk_admin referendum; Ferdie rests a bid in its book.
// 3. Upgrades: Eve notes the preimage of `system.setCode(<SOLVENT_UPGRADE_WASM>)`, submits it
//    on the root track, places the decision deposit; Eve and Ferdie vote aye (fast tracks).
// 4. Asserts: spec_version 101 is live on all four nodes; blocks and finality go on; the finality
//    lag (best - finalized, sampled at each new best block on every node) stays within
//    MAX_FINALITY_LAG around the upgrade; the state written in 2 reads back identical through
//    the new runtime (storage and runtime APIs); every feeder's feeds are included after the
//    upgrade and the BTC spot is Available. Prints the downtime figures.
const { connect, sleep } = require('./lib.js');
const { Keyring } = require('@polkadot/keyring');
const { cryptoWaitReady, blake2AsHex } = require('@polkadot/util-crypto');
const { u8aToHex, u8aToBn } = require('@polkadot/util');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const E18 = 10n ** 18n;
const USD = 1_000_000n;
const SLV = 10n ** 12n;
const BTC = 2;
const OLD_SPEC = 100;
const NEW_SPEC = 101;
// Finality lag at a new best block: the new block itself and its parent are not final yet in
// the normal course (GRANDPA finalizes a block about one block time after import), so 2 is the
// steady state; a stall of more than 2 blocks beyond it fails.
const MAX_FINALITY_LAG = Number(process.env.SOLVENT_MAX_FINALITY_LAG || 4);
// Blocks around the upgrade block that the figures cover.
const WINDOW_BEFORE = 10;
const WINDOW_AFTER = 20;

const log = (...a) => console.log(`[upgrade ${new Date().toISOString().slice(11, 19)}]`, ...a);

function feederCommand(rpc, suri, csv = '<csv>') {
  const template = process.env.SOLVENT_FEEDER_CMD
    || `node ${path.join(__dirname, 'feeder.js')} --rpc {rpc} --suri {suri}`;
  return template.replace(/\{rpc\}/g, rpc).replace(/\{suri\}/g, suri).replace(/\{csv\}/g, csv);
}

/** Sign, send, resolve at inclusion with the events; throws on a dispatch error. */
function send(api, tx, pair, what) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = setTimeout(() => { unsub(); reject(new Error(`${what}: not in a block within 60 s`)); }, 60_000);
    tx.signAndSend(pair, { nonce: -1 }, ({ status, events, dispatchError }) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        clearTimeout(timer); unsub(); reject(new Error(`${what}: extrinsic ${status.type}`));
      } else if (status.isInBlock) {
        clearTimeout(timer); unsub();
        if (dispatchError) {
          const d = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
          reject(new Error(`${what}: ${d ? `${d.section}.${d.name}` : dispatchError.toString()}`));
        } else resolve({ blockHash: status.asInBlock, events });
      }
    }).then((u) => { unsub = u; }).catch((e) => { clearTimeout(timer); reject(e); });
  });
}

const eventOf = (events, section, method) => events.find(({ event }) => event.section === section && event.method === method)?.event;

async function waitFor(what, timeoutMs, fn) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out (${timeoutMs} ms): ${what}`);
    await sleep(1_000);
  }
}

/** Submit `call` on the track of `origin` (Inline if small, else a noted preimage), place the
 * decision deposit, vote aye with `voters`, and wait until it is approved. */
async function referendum(api, origin, call, proposer, voters, what, events) {
  const bytes = call.method.toU8a();
  let proposal;
  if (bytes.length <= 128) {
    proposal = { Inline: call.method.toHex() };
  } else {
    const t = Date.now();
    await send(api, api.tx.preimage.notePreimage(call.method.toHex()), proposer, `${what}: notePreimage`);
    log(`${what}: preimage of ${bytes.length} bytes noted in ${Date.now() - t} ms`);
    proposal = { Lookup: { hash: blake2AsHex(bytes), len: bytes.length } };
  }
  const sub = await send(api, api.tx.referenda.submit(origin, proposal, { After: 1 }), proposer, `${what}: submit`);
  const index = eventOf(sub.events, 'referenda', 'Submitted').data[0].toNumber();
  await send(api, api.tx.referenda.placeDecisionDeposit(index), proposer, `${what}: decision deposit`);
  for (const v of voters) {
    await send(api, api.tx.convictionVoting.vote(index, { Standard: { vote: { aye: true, conviction: 'Locked1x' }, balance: 400_000n * SLV } }), v, `${what}: vote`);
  }
  const submittedAt = (await api.rpc.chain.getHeader(sub.blockHash)).number.toNumber();
  log(`${what}: referendum ${index} submitted at #${submittedAt}, deposit placed, ${voters.length} votes`);
  await waitFor(`${what}: referendum ${index} approved`, 180_000, async () => {
    checkDispatched(api, events, submittedAt, what);
    const info = await api.query.referenda.referendumInfoFor(index);
    if (info.isSome && (info.unwrap().isRejected || info.unwrap().isCancelled || info.unwrap().isKilled || info.unwrap().isTimedOut)) {
      throw new Error(`${what}: referendum ${index} ${info.unwrap().type}`);
    }
    return info.isSome && info.unwrap().isApproved;
  });
  return { index, submittedAt };
}

/** Collects the events of every new best block of `api` into `out` ({ n, section, method, data }). */
async function collectEvents(api, out) {
  return api.query.system.events(async (events) => {
    const n = (await api.rpc.chain.getHeader()).number.toNumber();
    for (const { event } of events) out.push({ n, section: event.section, method: event.method, event });
  });
}

/** Throws if a scheduled call (a referendum's enactment) failed in a block from `from` on. */
function checkDispatched(api, events, from, what) {
  for (const e of events.filter((x) => x.n >= from && x.section === 'scheduler')) {
    if (e.method === 'PermanentlyOverweight' || e.method === 'CallUnavailable') {
      throw new Error(`${what}: scheduler.${e.method} at #${e.n}`);
    }
    if (e.method === 'Dispatched' && e.event.data.result.isErr) {
      const err = e.event.data.result.asErr;
      const d = err.isModule ? api.registry.findMetaError(err.asModule) : null;
      throw new Error(`${what}: enactment failed at #${e.n}: ${d ? `${d.section}.${d.name}` : err.toString()}`);
    }
  }
}

/** Follows best and finalized heads of a node: a sample (best, finalized, ms) per new best. */
async function followHeads(api, name, samples) {
  let fin = 0;
  const u1 = await api.rpc.chain.subscribeFinalizedHeads((h) => { fin = Math.max(fin, h.number.toNumber()); });
  const u2 = await api.rpc.chain.subscribeNewHeads((h) => {
    samples.push({ node: name, best: h.number.toNumber(), fin, ms: Date.now() });
  });
  return () => { u1(); u2(); };
}

/** The state written before the upgrade, read at the best block (storage and runtime API). */
async function snapshot(api, who, series) {
  return {
    marginAccount: (await api.query.margin.accounts(who)).toJSON(),
    marginParams: (await api.query.margin.params()).toJSON(),
    series: (await api.query.options.series(series)).toJSON(),
    optionsParams: (await api.query.options.params()).toJSON(),
    book: (await api.call.optionsApi.orderBook(series, 10)).toJSON(),
  };
}

async function run(nodeName, networkInfo, args) {
  await cryptoWaitReady();
  const names = ['alice', 'bob', 'charlie', 'dave'];
  const wasmPath = process.env.SOLVENT_UPGRADE_WASM;
  if (!wasmPath || !fs.existsSync(wasmPath)) throw new Error(`SOLVENT_UPGRADE_WASM not set or missing: ${wasmPath}`);
  const wasm = fs.readFileSync(wasmPath);
  const outDir = process.env.SOLVENT_ZN_OUT || fs.mkdtempSync('/tmp/solvent-upgrade-');
  const kr = new Keyring({ type: 'sr25519' });
  const [eve, ferdie] = ['//Eve', '//Ferdie'].map((s) => kr.addFromUri(s));
  const apis = {};
  for (const n of names) apis[n] = await connect(networkInfo, n);
  const api = apis.alice;
  const feeders = [];
  const unsubs = [];
  const samples = [];
  try {
    const spec0 = api.runtimeVersion.specVersion.toNumber();
    if (spec0 !== OLD_SPEC) throw new Error(`premise: the network starts at spec_version ${OLD_SPEC}, not ${spec0}`);
    for (const n of names) unsubs.push(await followHeads(apis[n], n, samples));
    const events = [];
    unsubs.push(await collectEvents(api, events));

    // 1. Feeders, one per validator.
    const suris = ['//Alice', '//Bob', '//Charlie', '//Dave'];
    // Compared as public keys: independent of the chain's SS58 prefix.
    const feederKeys = suris.map((s) => u8aToHex(kr.addFromUri(s).publicKey));
    // {csv} in the template: a flat BTC-USD replay (50,000 every row, 1,000 rows: longer than
    // the test), so that feeders a row apart agree and no move trips the breaker.
    const csv = path.join(outDir, 'btc-usd-flat.csv');
    const day = (k) => new Date(Date.UTC(2021, 0, 1) + k * 86_400_000).toISOString().slice(0, 10);
    fs.writeFileSync(csv, ['Date,Close', ...Array.from({ length: 1000 }, (_, k) => `${day(k)},50000`)].join('\n') + '\n');
    names.forEach((n, i) => {
      const cmd = feederCommand(networkInfo.nodesByName[n].wsUri, suris[i], csv);
      const out = fs.openSync(path.join(outDir, `feeder-${n}.log`), 'w');
      const child = spawn('sh', ['-c', `exec ${cmd}`], { stdio: ['ignore', out, out] });
      feeders.push(child);
    });
    log(`feeders started: ${feederCommand('<rpc>', '<suri>')} (logs in ${outDir}/feeder-*.log)`);
    const oracleAvailable = async (key) => {
      const v = await api.call.oracleApi.value(key);
      return v.isSome && v.unwrap().status.type === 'Available' && v.unwrap().value.isSome;
    };
    await waitFor('BTC spot and vol available from the feeders', 120_000, async () => (await oracleAvailable({ Spot: BTC })) && oracleAvailable({ ImpliedVol: BTC }));
    log('oracle: BTC spot and implied vol available');

    // 2. Margin and options state.
    await send(api, api.tx.margin.deposit(1, 1_000n * USD), ferdie, 'margin deposit');
    const params = await api.query.options.params();
    const now = (await api.query.timestamp.now()).toBigInt();
    const interval = params.expiryInterval.toBigInt();
    const offset = params.expiryOffset.toBigInt();
    const earliest = now + params.minTimeToExpiry.toBigInt() + 600_000n;
    let expiry = earliest - ((((earliest - offset) % interval) + interval) % interval);
    if (expiry < earliest) expiry += interval;
    const strike = 80_000n * E18;
    const list = api.tx.options.listSeries(BTC, 'Call', strike, expiry, E18 / 10n);
    const listRef = await referendum(api, { Origins: 'RiskAdmin' }, list, eve, [eve, ferdie], 'listing', events);
    // Enacted a couple of blocks after its approval: options.SeriesListed.
    const seriesId = await waitFor('the series listed by the referendum (options.SeriesListed)', 60_000, async () => {
      checkDispatched(api, events, listRef.submittedAt, 'listing');
      const e = events.find((x) => x.section === 'options' && x.method === 'SeriesListed');
      return e ? e.event.data.series.toNumber() + 1 : null;
    }) - 1;
    const bid = await send(api, api.tx.options.placeOrder(seriesId, 'Buy', USD, 1, 'PostOnly'), ferdie, 'resting bid');
    if (!eventOf(bid.events, 'options', 'OrderPlaced')) throw new Error('no options.OrderPlaced for the resting bid');
    const before = await snapshot(api, ferdie.address, seriesId);
    if (!before.marginAccount || before.series === null || before.book?.bids?.length !== 1) {
      throw new Error(`state not written: ${JSON.stringify(before)}`);
    }
    log(`state written: margin account of Ferdie, series ${seriesId} with a resting bid`);

    // 3. Upgrade by a root referendum.
    const baselineFrom = samples.length;
    await sleep(15_000);
    const baseline = samples.slice(baselineFrom);
    const code = api.tx.system.setCode(`0x${wasm.toString('hex')}`);
    const ref = await referendum(api, { system: 'Root' }, code, eve, [eve, ferdie], 'setCode', events);
    const approvedAt = Date.now();
    const upgraded = await waitFor(`spec_version ${NEW_SPEC} live on all nodes`, 120_000, async () => {
      checkDispatched(api, events, ref.submittedAt, 'setCode');
      for (const n of names) {
        if ((await apis[n].rpc.state.getRuntimeVersion()).specVersion.toNumber() !== NEW_SPEC) return null;
      }
      return Date.now();
    });
    // The upgrade block: the first whose state has the new spec_version (it holds CodeUpdated).
    let u = (await api.rpc.chain.getHeader()).number.toNumber();
    while ((await api.rpc.state.getRuntimeVersion(await api.rpc.chain.getBlockHash(u - 1))).specVersion.toNumber() === NEW_SPEC) u -= 1;
    const uHash = await api.rpc.chain.getBlockHash(u);
    const uEvents = await (await api.at(uHash)).query.system.events();
    if (!uEvents.some(({ event }) => event.section === 'system' && event.method === 'CodeUpdated')
      && !events.some((e) => e.n === u && e.section === 'system' && e.method === 'CodeUpdated')) {
      throw new Error(`no system.CodeUpdated in the upgrade block #${u}`);
    }
    log(`upgrade enacted in block #${u} (referendum ${ref.index}, submitted at #${ref.submittedAt}); all nodes at ${NEW_SPEC}`);

    // Blocks and finality after the upgrade.
    await waitFor(`${WINDOW_AFTER} blocks after the upgrade, finalized on every node`, 180_000, async () => {
      for (const n of names) {
        const f = await apis[n].rpc.chain.getHeader(await apis[n].rpc.chain.getFinalizedHead());
        if (f.number.toNumber() < u + WINDOW_AFTER) return false;
      }
      return true;
    });
    const finU = await Promise.all(names.map(async (n) => (await apis[n].rpc.chain.getBlockHash(u)).toHex()));
    if (new Set(finU).size !== 1) throw new Error(`nodes disagree on the upgrade block: ${finU}`);

    // Figures: block times and finality lag around the upgrade.
    // Raw storage reads: polkadot.js's api.at() mis-decodes blocks on the other side of the
    // upgrade (type ids of the two metadata versions), and the figures need both sides.
    const nowKey = api.query.timestamp.now.key();
    const times = [];
    for (let n = u - WINDOW_BEFORE; n <= u + WINDOW_AFTER; n++) {
      const h = await api.rpc.chain.getBlockHash(n);
      const raw = await api.rpc.state.getStorage(nowKey, h);
      const bytes = raw.isSome !== undefined ? raw.unwrap().toU8a(true) : raw.toU8a(true);
      times.push({ n, t: Number(u8aToBn(bytes.subarray(0, 8), { isLe: true }).toString()) });
    }
    const gaps = times.slice(1).map((x, i) => ({ n: x.n, ms: x.t - times[i].t }));
    const gapsBefore = gaps.filter((g) => g.n <= u).map((g) => g.ms);
    const gapsAfter = gaps.filter((g) => g.n > u).map((g) => g.ms);
    const around = samples.filter((s) => s.best >= u - WINDOW_BEFORE && s.best <= u + WINDOW_AFTER);
    const lag = (ss) => ss.reduce((m, s) => Math.max(m, s.best - s.fin), 0);
    const maxLag = lag(around);
    const worst = around.reduce((w, s) => (!w || s.best - s.fin > w.best - w.fin ? s : w), null);
    const mean = (a) => Math.round(a.reduce((x, y) => x + y, 0) / Math.max(1, a.length));
    const figures = {
      upgradeBlock: u,
      blockTimeMs: { meanBefore: mean(gapsBefore), maxBefore: Math.max(...gapsBefore), meanAfter: mean(gapsAfter), maxAfter: Math.max(...gapsAfter), upgradeToNext: gaps.find((g) => g.n === u + 1)?.ms },
      finalityLagBlocks: { baselineMax: lag(baseline), aroundUpgradeMax: maxLag, worst: worst && `${worst.node} at best #${worst.best}, finalized #${worst.fin}` },
    };
    log('downtime figures:', JSON.stringify(figures));
    log(`block gaps (ms) #${u - WINDOW_BEFORE + 1}..#${u + WINDOW_AFTER}: ${gaps.map((g) => (g.n === u ? `[${g.ms}]` : g.ms)).join(' ')}`);
    fs.writeFileSync(path.join(outDir, 'upgrade-figures.json'), JSON.stringify(figures, null, 2));
    if (maxLag > MAX_FINALITY_LAG) throw new Error(`finality lag ${maxLag} blocks around the upgrade > ${MAX_FINALITY_LAG} (${figures.finalityLagBlocks.worst})`);

    // State reads back through the new runtime (storage decoded with its metadata, runtime APIs).
    // Through a client connected after the upgrade (to another node): it decodes with the new
    // runtime's metadata and calls the new runtime's APIs.
    const fresh = await connect(networkInfo, 'bob');
    const fedAfter = new Map(feederKeys.map((k) => [k, 0]));
    let after;
    let best;
    let spotAfter = false;
    try {
      if (fresh.runtimeVersion.specVersion.toNumber() !== NEW_SPEC) throw new Error('fresh client not on the new runtime');
      after = await snapshot(fresh, ferdie.address, seriesId);
      // Feeds included after the upgrade, from the blocks' events (decoded by this client: the
      // client that followed the upgrade keeps the old runtime's event types).
      best = (await fresh.rpc.chain.getHeader()).number.toNumber();
      for (let n = u + 1; n <= best; n++) {
        const at = await fresh.at(await fresh.rpc.chain.getBlockHash(n));
        for (const { event } of await at.query.system.events()) {
          if (event.section === 'priceOracle' && event.method === 'Fed') {
            const who = event.data[0].toHex();
            if (fedAfter.has(who)) fedAfter.set(who, fedAfter.get(who) + 1);
          }
        }
      }
      const v = await fresh.call.oracleApi.value({ Spot: BTC });
      spotAfter = v.isSome && v.unwrap().status.type === 'Available' && v.unwrap().value.isSome;
    } finally {
      await fresh.disconnect();
    }
    for (const k of Object.keys(before)) {
      if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) {
        throw new Error(`${k} differs after the upgrade: ${JSON.stringify(before[k])} -> ${JSON.stringify(after[k])}`);
      }
    }
    log('state read back identical after the upgrade: margin account, params, series, order book');

    // Feeds included after the upgrade, from every feeder; the spot stays available.
    const counts = [...fedAfter.values()];
    log(`feeds included in #${u + 1}..#${best} (${best - u} blocks): ${counts.join(', ')} (Alice, Bob, Charlie, Dave)`);
    if (counts.some((c) => c < 3)) throw new Error(`a feeder stopped after the upgrade: ${counts}`);
    if (!spotAfter) throw new Error('BTC spot not available after the upgrade');
    log(`PASS: spec ${OLD_SPEC} -> ${NEW_SPEC} by referendum; max finality lag ${maxLag} blocks; spec live on all nodes ${Math.round((upgraded - approvedAt) / 1000)} s after approval`);
    return 1;
  } finally {
    for (const c of feeders) { try { c.kill('SIGTERM'); } catch (_) { /* gone */ } }
    for (const u of unsubs) { try { u(); } catch (_) { /* gone */ } }
    for (const n of names) { try { await apis[n]?.disconnect(); } catch (_) { /* gone */ } }
  }
}

module.exports = { run };
