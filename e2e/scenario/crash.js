// Real-price crash scenario (issue 6), driven only through @polkadot/api and the feeder client.
//
//   node e2e/scenario/crash.js --short [--out DIR]   # --dev node, 2020-03-05..2020-03-20, 12 writers (in the test suite)
//   node e2e/scenario/crash.js --full  [--out DIR]   # 4 validators (--chain local, patched spec), 2020-02-15..2020-04-15, 30 writers
//
// Options: --from YYYY-MM-DD --to YYYY-MM-DD (any window of the data set), --csv PATH (another
// file of the same columns: Date,Open,High,Low,Close,...), --writers N, and on --dev (Sudo):
// --fund-usd X (the treasury unstakes all but X USD of the insurance fund before trading, so a
// crash can exhaust it) and --payout-cap X (the fund's cap per block, USD, set in 50% steps).
//
// 1. starts the network; 2. three feeder processes (Bob, Charlie, Dave) replay BTC-USD closes
// (data/btc-usd-daily.csv, Yahoo Finance via parsabe/Open-data, CC BY 4.0), one day
// per block, each with its own noise, implied vol from 30-day realized vol; 3. funds writers
// (different leverage) and buyers; writers sell BTC puts and a call through the order book;
// 4. lets the 2020-03-12 crash happen with no keeper: offchain workers liquidate; 5. meanwhile a
// referendum on the risk_admin track raises the options maintenance margin 7.5% -> 9%;
// 6. series expire and settle from the oracle TWAP; 7. writes report.json, summary.md and
// plot.png (matplotlib, e2e/scenario/plot.py). Exits non-zero if an assertion fails:
// zero uncovered negative equity, funds conserved to the unit, every liquidation within one
// block of its trigger, settlement payouts == formula.
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, mkdtempSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, encodeAddress } from '@polkadot/util-crypto';
import { stringToU8a, u8aConcat } from '@polkadot/util';
import { startNode, sleep, waitFor, nodeBinary } from '../lib/node.js';
import { submitAndFinalize, findEvents } from '../lib/tx.js';
import { BTC_CSV, spawnFeeder } from '../lib/feeder.js';

/** The margin pallet's cash index as a number: its value (18 decimals) is stored 10^9 times
 * larger per rescale, counted in the high 8 bits of its epoch (pallets/margin losses.rs). */
const cashIndexValue = (ci) => Number(BigInt(ci.value)) / 1e18 / 1e9 ** (Number(ci.epoch) >>> 24);

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const FULL = args.includes('--full');
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : join(here, '..', '..', 'target', FULL ? 'scenario-full' : 'scenario-short');
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const FROM = opt('--from', FULL ? '2020-02-15' : '2020-03-05');
const TO = opt('--to', FULL ? '2020-04-15' : '2020-03-20');
const CSV = opt('--csv', BTC_CSV);
const WRITERS = Number(opt('--writers', FULL ? 30 : 12));
const FUND_USD = args.includes('--fund-usd') ? BigInt(opt('--fund-usd')) : null;
const PAYOUT_CAP = args.includes('--payout-cap') ? BigInt(opt('--payout-cap')) : null;
for (const d of [FROM, TO]) if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) { console.error(`bad date ${d}: YYYY-MM-DD`); process.exit(2); }
const E18 = 10n ** 18n, USD = 1_000_000n, SLV = 10n ** 12n, BTC = 2;
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);

const csv = readFileSync(CSV, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','))
  .filter((r) => r[0] >= FROM && r[0] <= TO && r[4] !== 'null').map((r) => ({ date: r[0], close: Number(r[4]) }));
const DAYS = csv.length;
if (DAYS < 2) { console.error(`${CSV} has ${DAYS} rows in ${FROM}..${TO}`); process.exit(2); }
const first = csv[0].close;

function marginPalletAccount() {
  const raw = u8aConcat(stringToU8a('modl'), stringToU8a('sv/margn'), new Uint8Array(20));
  return encodeAddress(raw, 42);
}

// ------------------------------------------------------------------ network
async function startNetwork() {
  if (!FULL) {
    const n = await startNode();
    return { api: n.api, wsUrl: n.wsUrl, nodes: [n], stop: () => n.stop() };
  }
  // Local 4-validator network from the `local` preset, patched for a scenario that fits in
  // minutes (the fast referendum tracks come from the node's `fast-runtime` build): 2-minute expiries, 30-second oracle staleness and a 50%
  // breaker band (the crash day moved 37%).
  const dir = mkdtempSync(join(tmpdir(), 'solvent-scenario-'));
  // Patched with Python: JSON.parse would round the u128 balances of the spec.
  const specPath = join(dir, 'scenario-local.json');
  const raw = join(dir, 'local.json');
  writeFileSync(raw, execFileSync(nodeBinary(), ['build-spec', '--chain', 'local'], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 }));
  execFileSync('python3', ['-c', `
import json, sys
s = json.load(open(sys.argv[1]))
p = s['genesis']['runtimeGenesis']['patch']
p['options']['params'].update(settlementWindow=60000, expiryInterval=120000, expiryOffset=0, minTimeToExpiry=60000)
p['priceOracle']['params'].update(maxAge=30000, maxDeviation=500000, maxVolDeviation='5000000000000000000', breakerWindow=30000)
json.dump(s, open(sys.argv[2], 'w'))
`, raw, specPath]);
  const key = '0000000000000000000000000000000000000000000000000000000000000001';
  const alice = await startNode({ args: ['--chain', specPath, '--alice', '--validator', '--node-key', key] });
  const boot = `/ip4/127.0.0.1/tcp/${alice.p2pPort}/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp`;
  const others = [];
  for (const [i, who] of ['--bob', '--charlie', '--dave'].entries()) {
    const nodeKey = String(i + 2).padStart(64, '0');
    others.push(await startNode({ args: ['--chain', specPath, who, '--validator', '--node-key', nodeKey, '--bootnodes', boot] }));
  }
  const nodes = [alice, ...others];
  return { api: alice.api, wsUrl: alice.wsUrl, nodes, stop: async () => { for (const n of nodes) await n.stop(); } };
}

// ------------------------------------------------------------------ helpers
let api;
/** Submit and resolve once in a block (not waiting for finality): { events, error }. */
function submitInBlock(tx, signer, opts = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = setTimeout(() => { unsub(); reject(new Error('extrinsic not included in 60 s')); }, 60_000);
    tx.signAndSend(signer, opts, ({ status, events, dispatchError }) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) { clearTimeout(timer); unsub(); reject(new Error(`extrinsic ${status.type}`)); return; }
      if (status.isInBlock) {
        clearTimeout(timer); unsub();
        let error = null;
        if (dispatchError?.isModule) error = api.registry.findMetaError(dispatchError.asModule);
        else if (dispatchError) error = { name: dispatchError.type };
        resolve({ events, error });
      }
    }).then((u) => { unsub = u; }).catch((e) => { clearTimeout(timer); reject(e); });
  });
}
const signedOf = (v) => { let x = BigInt(v.toString()); if (x >= 2n ** 127n) x -= 2n ** 128n; return x; };
const fixedNum = (v) => Number(signedOf(v)) / 1e18;

function holdFeed(feeders, price) {
  let on = true;
  const done = (async () => {
    while (on) {
      const vals = [[{ Spot: BTC }, BigInt(Math.round(price() * 1e6)) * 10n ** 12n], [{ ImpliedVol: BTC }, 8n * E18 / 10n]];
      await Promise.all(feeders.map((k) => api.tx.priceOracle.feedValues(vals).signAndSend(k, { nonce: -1 }).catch(() => {})));
      await sleep(3000);
    }
  })();
  return async () => { on = false; await done; };
}

function runFeederProcess(wsUrl, suri, seed) {
  return new Promise((resolve) => {
    const child = spawnFeeder(['--rpc', wsUrl, '--csv', CSV, '--asset', 'BTC',
      '--from', FROM, '--to', TO, '--blocks-per-round', '1', '--noise-bps', '20', '--seed', String(seed),
      '--realized-vol-window', '30'], { suri });
    child.stdout.on('data', () => {}); // the feeder's log: drained so that it never blocks
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => resolve({ code, err }));
  });
}

async function nextGridExpiry(minAheadMs) {
  const p = (await api.query.options.params()).toJSON();
  const now = (await api.query.timestamp.now()).toBigInt();
  const earliest = now + BigInt(Math.max(minAheadMs, Number(p.minTimeToExpiry) + 6000));
  const interval = BigInt(p.expiryInterval), offset = BigInt(p.expiryOffset);
  let e = earliest - (earliest % interval) + offset;
  while (e < earliest) e += interval;
  return e;
}

/** Submit `call` as a referendum on the risk_admin track, place the decision deposit and vote
 * it through with `voters` (400,000 SLV each, conviction 1x). Returns the referendum index. */
async function riskAdminReferendum(call, proposer, voters) {
  const encoded = call.method.toHex();
  const hash = call.method.hash.toHex();
  const len = (encoded.length - 2) / 2;
  await submitInBlock(api.tx.preimage.notePreimage(encoded), proposer);
  const sub = await submitInBlock(api.tx.referenda.submit({ Origins: 'RiskAdmin' }, { Lookup: { hash, len } }, { After: 1 }), proposer);
  const index = findEvents(sub.events, 'referenda', 'Submitted')[0].data[0].toNumber();
  await submitInBlock(api.tx.referenda.placeDecisionDeposit(index), proposer);
  for (const v of voters) {
    await submitInBlock(api.tx.convictionVoting.vote(index, { Standard: { vote: { aye: true, conviction: 'Locked1x' }, balance: 400_000n * SLV } }), v);
  }
  return index;
}

async function governanceRaiseMm(proposer, voters) {
  const params = (await api.query.options.params()).toJSON();
  const target = Math.round(params.mmRate * 1.2); // the largest allowed step: +20%
  const call = api.tx.options.setParams({ ...params, mmRate: target });
  const index = await riskAdminReferendum(call, proposer, voters);
  const submittedAt = (await api.rpc.chain.getHeader()).number.toNumber();
  log(`referendum ${index}: mmRate ${params.mmRate} -> ${target} submitted at #${submittedAt}`);
  return { index, from: params.mmRate, to: target, submittedAt };
}

// ------------------------------------------------------------------ main
async function main() {
  await cryptoWaitReady();
  mkdirSync(OUT, { recursive: true });
  const net = await startNetwork();
  api = net.api;
  const kr = new Keyring({ type: 'sr25519' });
  const [alice, eve, ferdie] = ['Alice', 'Eve', 'Ferdie'].map((n) => kr.addFromUri(`//${n}`));
  const feeders = ['Bob', 'Charlie', 'Dave'].map((n) => kr.addFromUri(`//${n}`));
  const hasSudo = !!api.query.sudo && (await api.query.sudo.key()).isSome;
  log(`network up (${net.nodes.length} node(s)), ${DAYS} days ${FROM}..${TO}, ${WRITERS} writers`);
  if ((FUND_USD !== null || PAYOUT_CAP !== null) && !hasSudo) throw new Error('--fund-usd and --payout-cap need Sudo (--dev)');
  // Prices first: the fund's stakers cannot withdraw (below) while a key margin accounts
  // depend on is unavailable.
  let stopHold = holdFeed(feeders, () => first);
  await waitFor(async () => (await api.call.oracleApi.value({ Spot: BTC })).toJSON()?.value != null, 60_000, 1000);
  const sudo = async (call) => {
    const r = await submitAndFinalize(api, api.tx.sudo.sudo(call), alice);
    const ev = r.events.find(({ event }) => event.section === 'sudo' && event.method === 'Sudid');
    if (!ev || ev.event.data[0].isErr) throw new Error(`sudo ${call.method.section}.${call.method.method} failed`);
  };
  if (PAYOUT_CAP !== null) {
    let cap = (await api.query.insuranceFund.params()).payoutCapPerBlock.toBigInt();
    const target = PAYOUT_CAP * USD;
    while (cap !== target) {
      cap = target < cap ? (cap / 2n > target ? cap / 2n : target) : (cap + cap / 2n < target ? cap + cap / 2n : target);
      await sudo(api.tx.insuranceFund.setParams({ ...(await api.query.insuranceFund.params()).toJSON(), payoutCapPerBlock: cap }));
    }
    log(`insurance fund payout cap ${PAYOUT_CAP} USD per block`);
  }
  if (FUND_USD !== null) {
    // The treasury (a pallet account, Sudo dispatches as it) unstakes all but FUND_USD.
    const treasury = encodeAddress(u8aConcat(stringToU8a('modl'), stringToU8a('sv/trsry'), new Uint8Array(20)), 42);
    const shares = (await api.query.insuranceFund.shares(treasury)).unwrap().shares.toBigInt();
    const keep = FUND_USD * USD; // one share unit per USD unit at genesis
    if (shares > keep) {
      const r = await submitAndFinalize(api, api.tx.sudo.sudoAs(treasury, api.tx.insuranceFund.requestUnstake(shares - keep)), alice);
      const unlockAt = findEvents(r.events, 'insuranceFund', 'UnstakeRequested')[0].data.unlockAt.toNumber();
      await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() >= unlockAt, 120_000, 1000);
      const w = await submitAndFinalize(api, api.tx.sudo.sudoAs(treasury, api.tx.insuranceFund.withdrawUnstaked()), alice);
      const done = findEvents(w.events, 'sudo', 'SudoAsDone')[0];
      if (!done || done.data[0].isErr) throw new Error(`the treasury's withdrawal failed: ${JSON.stringify(done?.data.toHuman())}`);
    }
    log(`insurance fund cash ${(await api.call.insuranceFundApi.fundInfo()).toJSON().cash / 1e6} USD`);
  }


  // Series: puts below and at the money, one call above; expiry after the replay.
  const expiry = await nextGridExpiry((hasSudo ? 120_000 : 300_000) + (DAYS + 10) * 3000 + 60_000);
  const strikes = [[Math.round(first * 0.85 / 500) * 500, 'Put'], [Math.round(first * 0.95 / 500) * 500, 'Put'], [Math.round(first / 500) * 500, 'Put'], [Math.round(first * 1.1 / 500) * 500, 'Call']];
  for (const [k, kind] of strikes) {
    const list = api.tx.options.listSeries(BTC, kind, BigInt(k) * E18, expiry, E18 / 10n); // 0.1 BTC per contract
    if (hasSudo) await submitAndFinalize(api, api.tx.sudo.sudo(list), alice);
    else await riskAdminReferendum(list, alice, [eve, ferdie]); // no Sudo: list through governance
  }
  await waitFor(async () => (await api.call.optionsApi.series()).toJSON().filter((s) => BigInt(s.terms.expiry) === expiry).length === strikes.length, 180_000, 2000)
    .catch(() => { throw new Error('series not listed in time'); });
  const series = (await api.call.optionsApi.series()).toJSON().filter((s) => BigInt(s.terms.expiry) === expiry);
  log(`listed ${series.length} series expiring ${new Date(Number(expiry)).toISOString()}`);

  // Traders: writers with leverage 1.2x..3x of initial margin, two buyers.
  const writers = Array.from({ length: WRITERS }, (_, i) => kr.addFromUri(`//Trader${i}`));
  const buyers = [kr.addFromUri('//Buyer0'), kr.addFromUri('//Buyer1')];
  let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  const funding = [];
  for (const w of [...writers, ...buyers]) {
    funding.push(api.tx.balances.transferKeepAlive(w.address, 100n * SLV).signAndSend(alice, { nonce: nonce++ }));
    // Alice is the test USD's issuer (dev and local presets): mint rather than transfer.
    funding.push(api.tx.assets.mint(1, w.address, 1_000_000n * USD).signAndSend(alice, { nonce: nonce++ }));
  }
  await Promise.all(funding);
  await waitFor(async () => (await api.query.assets.account(1, buyers[1].address)).isSome
    && (await api.query.system.account(buyers[1].address)).data.free.toBigInt() > 0n, 120_000, 1000)
    .catch(() => { throw new Error('funding of the traders not included in 120 s'); });
  await Promise.all(buyers.map((b) => submitInBlock(api.tx.margin.deposit(1, 900_000n * USD), b)));
  // Writers (in parallel): deposit initial margin x leverage, then rest a sell at mark + 1 USD.
  const trades = [];
  await Promise.all(writers.map(async (w, i) => {
    const s = series[i % series.length];
    const qty = 10 + (i % 5) * 10;
    const mark = (await api.call.optionsApi.mark(s.id)).toJSON();
    // Mark + 1 USD, on the series' tick (0.001 USD for a 0.1 BTC contract).
    const tick = 1_000n;
    const premium = (BigInt(mark.markPerContract) / tick) * tick + USD;
    // Initial margin per contract (Deribit shape), estimated from mark and spot.
    const K = fixedNum(s.terms.strike), S = first, size = 0.1;
    const otm = s.terms.kind === 'Put' ? Math.max(S - K, 0) : Math.max(K - S, 0);
    const im = (Math.max(0.15 - otm / S, 0.1) * S + Number(mark.markPerContract) / 1e6) * size;
    const leverage = 1.2 + (1.8 * i) / Math.max(WRITERS - 1, 1);
    const deposit = BigInt(Math.ceil(im * qty * leverage)) * USD;
    await submitInBlock(api.tx.margin.deposit(1, deposit), w);
    const sell = await submitInBlock(api.tx.options.placeOrder(s.id, 'Sell', premium, qty, 'GoodTilCancelled'), w);
    if (sell.error) { log(`writer ${i}: sell rejected ${sell.error.name}`); return; }
    trades.push({ writer: w.address, series: s.id, kind: s.terms.kind, strike: K, quantity: qty, premium: premium.toString(), leverage: Number(leverage.toFixed(2)), deposit: deposit.toString() });
  }));
  // Buyers take every resting sell, one immediate-or-cancel order per series.
  let filled = 0;
  for (const [j, s] of series.entries()) {
    const ts = trades.filter((t) => t.series === s.id);
    if (!ts.length) continue;
    const qty = ts.reduce((a, t) => a + t.quantity, 0);
    const limit = ts.reduce((a, t) => (BigInt(t.premium) > a ? BigInt(t.premium) : a), 0n);
    const buy = await submitInBlock(api.tx.options.placeOrder(s.id, 'Buy', limit, qty, 'ImmediateOrCancel'), buyers[j % 2]);
    filled += findEvents(buy.events, 'options', 'OrderFilled').reduce((a, e) => a + Number(e.data[7]), 0);
  }
  log(`buyers filled ${filled} contracts`);
  log(`${trades.length} writers sold ${trades.reduce((a, t) => a + t.quantity, 0)} contracts`);

  // Watch every block: price, unhealthy accounts, fund, liquidation events, triggers.
  const accounts = [...writers.map((w) => w.address), ...buyers.map((b) => b.address)];
  const blocks = [];
  const liquidations = [];
  const firstLiquidatable = {};
  const events = [];
  let referendum = null, mmEnactedAt = null;
  const unsub = await api.rpc.chain.subscribeNewHeads(async (h) => {
    try {
      const hash = h.hash;
      const at = await api.at(hash);
      const n = h.number.toNumber();
      const price = (await at.call.oracleApi.value({ Spot: BTC })).toJSON();
      const iv = (await at.call.oracleApi.value({ ImpliedVol: BTC })).toJSON();
      const statusOf = (k) => (k?.status == null ? null : typeof k.status === 'string' ? k.status : Object.keys(k.status)[0]);
      let unhealthy = 0;
      for (const a of accounts) {
        const v = (await at.call.marginApi.account(a)).toJSON();
        if (v.liquidatable) { unhealthy++; if (firstLiquidatable[a] === undefined) firstLiquidatable[a] = n; }
      }
      const fund = (await at.call.insuranceFundApi.fundInfo()).toJSON();
      const [uncovered, cashIndex] = (await at.call.marginApi.losses()).toJSON();
      const evs = await at.query.system.events();
      let socialized = 0n, badDebt = 0n, fundPaid = 0n;
      for (const { event } of evs) {
        if (event.section === 'margin' && event.method === 'Liquidated') {
          const d = event.data;
          liquidations.push({ block: n, account: d[0].toString(), keeper: d[1].toJSON(), equityBefore: signedOf(d[2]).toString(), maintenanceMarginBefore: d[3].toString(), equityAfter: signedOf(d[4]).toString(), initialMarginAfter: d[5].toString(), notional: d[6].toString(), penalty: d[7].toString(), healthBefore: Number(signedOf(d[2])) / Math.max(Number(d[3].toString()), 1) });
        }
        if (event.section === 'margin' && event.method === 'LossSocialized') socialized += BigInt(event.data.amount.toString());
        if (event.section === 'margin' && event.method === 'BadDebt') badDebt += BigInt(event.data.amount.toString());
        if (event.section === 'insuranceFund' && event.method === 'BadDebtCovered') fundPaid += BigInt(event.data.covered.toString());
        if (['margin', 'options', 'insuranceFund', 'referenda'].includes(event.section) && !['OrderPlaced'].includes(event.method)) {
          events.push({ block: n, event: `${event.section}.${event.method}`, data: event.data.toJSON() });
        }
      }
      const mm = (await at.query.options.params()).toJSON().mmRate;
      if (referendum && mmEnactedAt === null && mm === referendum.to) mmEnactedAt = n;
      blocks.push({ block: n, price: price?.value != null ? fixedNum(price.value) : null, priceStatus: statusOf(price), impliedVol: iv?.value != null ? fixedNum(iv.value) : null, impliedVolStatus: statusOf(iv), unhealthy, fundCash: fund.cash, fundValue: fund.value, coverageRatio: fund.coverageRatio == null ? null : fixedNum(fund.coverageRatio), uncoveredBadDebt: String(uncovered), cashIndex: cashIndexValue(cashIndex), cashIndexEpoch: cashIndex.epoch, badDebt: badDebt.toString(), fundPaid: fundPaid.toString(), socialized: socialized.toString(), mmRate: mm });
    } catch (e) { /* a block that is pruned or a transient RPC error: skip */ }
  });

  // Replay: the hold feeder stops, three feeder processes take over, one day per block.
  await stopHold();
  log('replay starts');
  const replay = Promise.all(feeders.map((_, i) => runFeederProcess(net.wsUrl, `//${['Bob', 'Charlie', 'Dave'][i]}`, i + 1)));
  await sleep(9000);
  referendum = await governanceRaiseMm(alice, [eve, ferdie]);
  const results = await replay;
  results.forEach((r, i) => assert.equal(r.code, 0, `feeder ${i} failed: ${r.err}`));
  const last = csv[csv.length - 1].close;
  log(`replay done; holding ${last} until settlement`);
  stopHold = holdFeed(feeders, () => last);
  await waitFor(async () => mmEnactedAt !== null, 240_000, 1000).catch(() => {});
  await waitFor(async () => {
    const all = (await api.call.optionsApi.series()).toJSON().filter((s) => BigInt(s.terms.expiry) === expiry);
    return all.every((s) => Object.keys(s.status)[0] === 'settled');
  }, 600_000, 2000);
  await sleep(4000);
  unsub();
  await stopHold();

  // ---------------------------------------------------------------- checks
  const failures = [];
  const check = (ok, msg) => { if (!ok) failures.push(msg); };
  // Liquidations within one block of the first block in which the account was liquidatable.
  const perAccount = {};
  for (const l of liquidations) { if (perAccount[l.account] === undefined) perAccount[l.account] = l.block; }
  const delays = [];
  for (const [a, b] of Object.entries(perAccount)) {
    const trig = firstLiquidatable[a];
    delays.push({ account: a, trigger: trig ?? null, liquidated: b, delay: trig === undefined ? null : b - trig });
    check(trig === undefined || b - trig <= 1, `account ${a} liquidated at #${b}, liquidatable since #${trig}`);
  }
  check(liquidations.every((l) => l.keeper === null), 'all liquidations automatic (no keeper)');
  // Custody (the loss waterfall's invariant): USD tokens held by the margin pallet + bad debt the
  // fund owes >= sum of cash after socialized losses (equal while nothing was socialized), and
  // the fund's cash backs what it owes; BTC == sum of collateral.
  const entries = await api.query.margin.accounts.entries();
  let cashSum = 0n; const coll = {};
  for (const [k, v] of entries) {
    const a = v.unwrap().toJSON();
    cashSum += signedOf((await api.call.marginApi.account(k.args[0])).toJSON().cash);
    for (const [asset, amt] of Object.entries(a.collateral)) coll[asset] = (coll[asset] ?? 0n) + BigInt(amt);
  }
  const pallet = marginPalletAccount();
  const held = (await api.query.assets.account(1, pallet)).unwrap().balance.toBigInt();
  const [uncoveredDebt, cashIndex] = (await api.call.marginApi.losses()).toJSON();
  const owed = BigInt(uncoveredDebt);
  check(held + owed >= cashSum, `USD held ${held} + owed ${owed} < sum of cash ${cashSum}`);
  check(cashIndex.epoch !== 0 || BigInt(cashIndex.value) !== 10n ** 18n || held + owed === cashSum,
    `nothing socialized, yet USD held ${held} + owed ${owed} != sum of cash ${cashSum}`);
  // No account left with negative equity (each was liquidated and its debt taken over).
  let negative = 0;
  for (const a of accounts) {
    const v = (await api.call.marginApi.account(a)).toJSON();
    if (v.equity !== null && signedOf(v.equity) < 0n) negative++;
  }
  check(negative === 0, `${negative} accounts with negative equity`);
  // Settlement payouts == formula: long/short amount = |qty| x max(+-(S - K), 0) x size.
  const settlements = [];
  for (const e of events.filter((x) => x.event === 'options.SettlementStarted')) {
    const [sid, price, perContract, total, source, fundShortfall] = e.data;
    const s = series.find((x) => x.id === sid);
    const S = Number(BigInt(price)) / 1e18, K = fixedNum(s.terms.strike);
    const intrinsic = s.terms.kind === 'Put' ? Math.max(K - S, 0) : Math.max(S - K, 0);
    const expected = BigInt(Math.floor(intrinsic * 0.1 * 1e6));
    settlements.push({ series: sid, kind: s.terms.kind, strike: K, settlementPrice: S, payoutPerContract: String(perContract), expectedPerContract: expected.toString(), totalPayout: String(total), source: typeof source === 'object' ? Object.keys(source)[0] : String(source), fundShortfall: String(fundShortfall ?? 0) });
    check(BigInt(perContract) - expected <= 1n && expected - BigInt(perContract) <= 1n, `series ${sid}: payout per contract ${perContract} != ${expected}`);
  }
  for (const e of events.filter((x) => x.event === 'options.SeriesSettled')) {
    const [sid, collected, paid, dust] = e.data;
    check(BigInt(collected) === BigInt(paid) + BigInt(signedOf(dust)), `series ${sid}: collected ${collected} != paid ${paid} + dust ${dust}`);
  }
  check(settlements.length === series.length, `${settlements.length} of ${series.length} series settled`);
  check(referendum && mmEnactedAt !== null, 'referendum enacted: new maintenance margin in force');

  const report = {
    scenario: FULL ? 'full' : 'short', network: FULL ? '4 validators (--chain local, patched)' : '--dev', from: FROM, to: TO, days: DAYS,
    csv: CSV, fundUsd: FUND_USD === null ? null : String(FUND_USD), payoutCapUsd: PAYOUT_CAP === null ? null : String(PAYOUT_CAP),
    waterfall: {
      badDebt: blocks.reduce((a, b) => a + BigInt(b.badDebt ?? 0), 0n).toString(),
      paidByFund: blocks.reduce((a, b) => a + BigInt(b.fundPaid ?? 0), 0n).toString(),
      socialized: blocks.reduce((a, b) => a + BigInt(b.socialized ?? 0), 0n).toString(),
      blocksWithUncoveredDebt: blocks.filter((b) => BigInt(b.uncoveredBadDebt ?? 0) > 0n).length,
    },
    data: 'BTC-USD daily closes, Yahoo Finance via parsabe/Open-data, CC BY 4.0',
    trades, liquidations, liquidationDelays: delays, referendum: { ...referendum, enactedAt: mmEnactedAt },
    settlements, blocks, conservation: { usdHeldByMarginPallet: held.toString(), sumOfCash: cashSum.toString(), collateralHeld: Object.fromEntries(Object.entries(coll).map(([k, v]) => [k, v.toString()])) },
    losses: { uncoveredBadDebt: owed.toString(), cashIndex },
    failures,
  };
  writeFileSync(join(OUT, 'report.json'), JSON.stringify(report, null, 1));
  const maxDelay = Math.max(0, ...delays.map((d) => d.delay ?? 0));
  const crash = blocks.filter((b) => b.price !== null).reduce((a, b) => (b.price < a.price ? b : a), { price: Infinity });
  const summary = [
    `# Crash scenario (${report.scenario}): ${FROM}..${TO}, ${report.network}`,
    '',
    `- ${trades.length} writers sold ${trades.reduce((a, t) => a + t.quantity, 0)} BTC option contracts (0.1 BTC each) at leverage 1.2x-3.0x of initial margin.`,
    `- Lowest oracle price ${crash.price?.toFixed(2)} USD at block #${crash.block}; ${liquidations.length} automatic liquidations of ${Object.keys(perAccount).length} accounts, max delay after trigger ${maxDelay} block(s).`,
    `- Penalties to the insurance fund: ${liquidations.reduce((a, l) => a + Number(l.penalty), 0) / 1e6} USD; bad debt events: ${events.filter((e) => e.event === 'margin.BadDebt').length}; bad debt the fund still owes: ${owed} units.`,
    `- Oracle: BTC spot unavailable in ${blocks.filter((b) => b.priceStatus !== 'available' && b.priceStatus !== 'Available').length} of ${blocks.length} blocks, implied vol in ${blocks.filter((b) => b.impliedVolStatus !== 'available' && b.impliedVolStatus !== 'Available').length} (no liquidation happens on an unavailable price).`,
    `- Referendum #${referendum?.index} raised the options maintenance margin ${referendum?.from} -> ${referendum?.to} ppm; in force from block #${mmEnactedAt}.`,
    `- ${settlements.length} series settled from the oracle TWAP: ${settlements.map((s) => `${s.kind} ${Number(s.strike).toFixed(2)} @ ${s.settlementPrice.toFixed(2)} pays ${Number(s.payoutPerContract) / 1e6} USD/contract${BigInt(s.fundShortfall) > 0n ? ` (fund short by ${Number(s.fundShortfall) / 1e6} USD: cut from the longs)` : ''}`).join('; ')}.`,
    `- Loss waterfall: bad debt ${Number(report.waterfall.badDebt) / 1e6} USD; paid by the fund ${Number(report.waterfall.paidByFund) / 1e6} USD (owed across ${report.waterfall.blocksWithUncoveredDebt} blocks); socialized ${Number(report.waterfall.socialized) / 1e6} USD; cash index ${cashIndexValue(cashIndex)} (epoch ${cashIndex.epoch}).`,
    `- Custody: USD held by the margin pallet ${held} + owed by the fund ${owed} >= sum of cash ${cashSum}.`,
    `- Result: ${failures.length === 0 ? 'all assertions passed' : 'FAILED: ' + failures.join('; ')}`,
  ].join('\n');
  writeFileSync(join(OUT, 'summary.md'), summary + '\n');
  const plot = spawnSync('python3', [join(here, 'plot.py'), join(OUT, 'report.json'), join(OUT, 'plot.png')], { stdio: 'inherit' });
  if (plot.status !== 0) log('plot.png not written (python3 with matplotlib needed: pip install --user matplotlib)');
  console.log(summary);
  await net.stop();
  if (failures.length) process.exit(1);
}

main().catch((e) => { console.error(e); process.exit(1); });
