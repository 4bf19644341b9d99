// Options end to end (issue 5) on a --dev node, through @polkadot/api only: list a BTC call,
// write it with margin, buy it through the book, read mark price and Greeks through the runtime
// API (checked against an independent Black-Scholes in JavaScript), let it expire, and check
// both margin accounts after cash settlement from the oracle TWAP, to the smallest unit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, sleep, waitFor } from '../lib/node.js';
import { submitAndFinalize, findEvents } from '../lib/tx.js';

const E18 = 10n ** 18n;
const USD = 1_000_000n;
const BTC = 2;
const SPOT = 52_000n; // constant during the test, so the settlement TWAP is exactly this
const STRIKE = 50_000n;
const VOL = 0.8;
let node, api, feeding = true, feedLoop;
let alice, dave, ferdie, feeders;

// --- an independent Black-Scholes (no dividends, r = 0) in double precision ----------------
function normCdf(x) {
  // W. J. Cody's rational approximation via erfc (relative error < 1e-14 is not needed here;
  // this Hart-style series is accurate to ~1e-12 for |x| < 8).
  const a = Math.abs(x) / Math.SQRT2;
  let erfc;
  if (a < 0.5) {
    // erf series
    let sum = a, term = a, n = 0;
    while (Math.abs(term) > 1e-17) { n++; term *= -a * a / n; sum += term / (2 * n + 1); }
    erfc = 1 - 2 / Math.sqrt(Math.PI) * sum;
  } else {
    // continued fraction for erfc
    let f = 0;
    for (let k = 60; k >= 1; k--) f = k / 2 / (a + f);
    erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
  }
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}
function bsCall(S, K, sigma, T) {
  const d1 = (Math.log(S / K) + 0.5 * sigma * sigma * T) / (sigma * Math.sqrt(T));
  const d2 = d1 - sigma * Math.sqrt(T);
  const pdf = Math.exp(-d1 * d1 / 2) / Math.sqrt(2 * Math.PI);
  return {
    price: S * normCdf(d1) - K * normCdf(d2),
    delta: normCdf(d1),
    gamma: pdf / (S * sigma * Math.sqrt(T)),
    theta: -S * pdf * sigma / (2 * Math.sqrt(T)) / 365,
    vega: S * pdf * Math.sqrt(T) / 100,
  };
}
// FixedU128/FixedI128 inner (JSON: number, decimal or hex string; i128 as two's complement) -> number
const fixed = (v) => {
  let x = BigInt(v.toString());
  if (x >= 2n ** 127n) x -= 2n ** 128n;
  return Number(x) / 1e18;
};

before(async () => {
  await cryptoWaitReady();
  node = await startNode();
  api = node.api;
  const kr = new Keyring({ type: 'sr25519' });
  [alice, dave, ferdie] = ['Alice', 'Dave', 'Ferdie'].map((n) => kr.addFromUri(`//${n}`));
  feeders = ['Bob', 'Charlie', 'Eve'].map((n) => kr.addFromUri(`//${n}`)); // dev feeders, quorum 3
  const vals = [[{ Spot: BTC }, SPOT * E18], [{ ImpliedVol: BTC }, 8n * E18 / 10n]];
  feedLoop = (async () => {
    while (feeding) {
      await Promise.all(feeders.map((k) => api.tx.priceOracle.feedValues(vals).signAndSend(k, { nonce: -1 }).catch(() => {})));
      await sleep(3000);
    }
  })();
  await waitFor(async () => (await api.call.oracleApi.value({ Spot: BTC })).toJSON()?.value != null, 30_000, 1000);
});
after(async () => {
  feeding = false;
  if (feedLoop) await feedLoop;
  if (node) await node.stop();
});

const cashOf = async (who) => BigInt((await api.call.marginApi.account(who.address)).toJSON().cash);

test('list, write, buy, Greeks, expire, settle: balances exact', { timeout: 420_000 }, async () => {
  // 1. List a 50,000 call on the dev expiry grid (every 2 minutes, at least 1 minute ahead).
  const p = (await api.query.options.params()).toJSON();
  const now = (await api.query.timestamp.now()).toBigInt();
  const interval = BigInt(p.expiryInterval), offset = BigInt(p.expiryOffset);
  const earliest = now + BigInt(p.minTimeToExpiry) + 6_000n;
  let expiry = earliest - (earliest % interval) + offset;
  while (expiry < earliest) expiry += interval;
  const listed = await submitAndFinalize(api, api.tx.sudo.sudo(
    api.tx.options.listSeries(BTC, 'Call', STRIKE * E18, expiry, E18)), alice);
  const [ev] = findEvents(listed.events, 'options', 'SeriesListed');
  assert.ok(ev, 'SeriesListed emitted');
  const id = ev.data[0].toNumber();

  // A listing off the grid is rejected with a specific error.
  const bad = await submitAndFinalize(api, api.tx.sudo.sudo(
    api.tx.options.listSeries(BTC, 'Call', STRIKE * E18, expiry + 1n, E18)), alice);
  const sudid = findEvents(bad.events, 'sudo', 'Sudid')[0].data[0];
  assert.ok(sudid.isErr, 'off-grid expiry rejected');
  assert.equal(api.registry.findMetaError(sudid.asErr.asModule).name, 'ExpiryOffSchedule');

  // 2. Margin: the writer (Dave) and the buyer (Ferdie) deposit USD.
  await submitAndFinalize(api, api.tx.margin.deposit(1, 40_000n * USD), dave);
  await submitAndFinalize(api, api.tx.margin.deposit(1, 20_000n * USD), ferdie);
  assert.equal(await cashOf(dave), 40_000n * USD);

  // A writer without margin is rejected: an account with no margin cash sells into Ferdie's
  // bid; the fill would leave it below initial margin, so the whole call fails.
  const bid = await submitAndFinalize(api, api.tx.options.placeOrder(id, 'Buy', 400n * USD, 1, 'GoodTilCancelled'), ferdie);
  const bidId = findEvents(bid.events, 'options', 'OrderPlaced')[0].data[0];
  const nobody = new Keyring({ type: 'sr25519' }).addFromUri('//SolventE2eNobody');
  await submitAndFinalize(api, api.tx.balances.transferKeepAlive(nobody.address, 10n ** 13n), alice);
  const noMargin = await submitAndFinalize(api, api.tx.options.placeOrder(id, 'Sell', 400n * USD, 1, 'ImmediateOrCancel'), nobody);
  assert.equal(noMargin.error?.name, 'InsufficientMargin', 'naked write without margin fails');
  assert.equal((await api.query.options.positions(id, nobody.address)).toJSON() ?? 0, 0);
  const cancel = await submitAndFinalize(api, api.tx.options.cancelOrder(bidId), ferdie);
  assert.equal(findEvents(cancel.events, 'options', 'OrderCancelled').length, 1);

  // 3. Dave writes 2 calls at 500 USD; Ferdie buys them immediately.
  const sell = await submitAndFinalize(api, api.tx.options.placeOrder(id, 'Sell', 500n * USD, 2, 'PostOnly'), dave);
  assert.equal(findEvents(sell.events, 'options', 'OrderPlaced').length, 1);
  const buy = await submitAndFinalize(api, api.tx.options.placeOrder(id, 'Buy', 500n * USD, 2, 'ImmediateOrCancel'), ferdie);
  const [fill] = findEvents(buy.events, 'options', 'OrderFilled');
  assert.ok(fill, 'OrderFilled');
  const premium = BigInt(fill.data[8].toString());
  const makerFee = BigInt(fill.data[9].toString());
  const takerFee = BigInt(fill.data[10].toString());
  assert.equal(premium, 1_000n * USD, 'premium = 2 x 500 USD');
  // Fee (Deribit): min(0.03% x spot x size, 12.5% x premium) per contract = 0.03% x 52,000 = 15.6 USD.
  assert.equal(makerFee, 31_200_000n);
  assert.equal(takerFee, 31_200_000n);
  const daveAfterTrade = 40_000n * USD + premium - makerFee;
  const ferdieAfterTrade = 20_000n * USD - premium - takerFee;
  assert.equal(await cashOf(dave), daveAfterTrade);
  assert.equal(await cashOf(ferdie), ferdieAfterTrade);
  assert.equal((await api.query.options.positions(id, dave.address)).toJSON(), -2);
  assert.equal((await api.query.options.positions(id, ferdie.address)).toJSON(), 2);

  // 4. Mark price and Greeks through the runtime API vs an independent Black-Scholes.
  const mark = (await api.call.optionsApi.mark(id)).toJSON();
  assert.ok(mark, 'mark view');
  const T = fixed(mark.timeToExpiry);
  assert.ok(T > 0 && T < 600 / 31_536_000, `time to expiry ${T} years`);
  assert.equal(fixed(mark.spot), Number(SPOT));
  assert.ok(Math.abs(fixed(mark.volatility) - VOL) < 1e-12);
  const ref = bsCall(Number(SPOT), Number(STRIKE), VOL, T);
  const g = mark.perUnit;
  const close = (a, b, tol, what) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: chain ${a} vs reference ${b}`);
  close(fixed(g.price), ref.price, 1e-9, 'price');
  close(fixed(g.delta), ref.delta, 1e-9, 'delta');
  close(fixed(g.gamma), ref.gamma, 1e-9, 'gamma');
  close(fixed(g.theta), ref.theta, 1e-6, 'theta per day');
  close(fixed(g.vega), ref.vega, 1e-6, 'vega per vol point');
  // Portfolio Greeks: Dave is short 2, Ferdie long 2.
  const daveView = (await api.call.optionsApi.account(dave.address)).toJSON();
  close(fixed(daveView.totals.delta), -2 * fixed(g.delta), 1e-12, 'Dave portfolio delta');
  const ferdieView = (await api.call.optionsApi.account(ferdie.address)).toJSON();
  close(fixed(ferdieView.totals.delta), 2 * fixed(g.delta), 1e-12, 'Ferdie portfolio delta');
  // Margin view agrees: Dave carries initial margin, Ferdie none.
  const dm = (await api.call.marginApi.account(dave.address)).toJSON();
  assert.ok(BigInt(dm.initialMargin) > 0n && !dm.liquidatable);
  assert.equal(BigInt((await api.call.marginApi.account(ferdie.address)).toJSON().initialMargin), 0n);

  // 5. Expiry: no more orders; settlement from the TWAP of the last minute (constant 52,000).
  await waitFor(async () => (await api.query.timestamp.now()).toBigInt() > expiry, 300_000, 1000);
  const late = await submitAndFinalize(api, api.tx.options.placeOrder(id, 'Buy', 500n * USD, 1, 'ImmediateOrCancel'), ferdie);
  assert.equal(late.error?.name, 'SeriesExpired', 'no orders after expiry');
  await waitFor(async () => {
    const s = (await api.call.optionsApi.series()).toJSON().find((x) => x.id === id);
    return s && Object.keys(s.status)[0] === 'settled';
  }, 120_000, 1000);

  // 6. Long calls receive max(S - K, 0) x size x quantity = 2,000 x 1 x 2 = 4,000 USD, paid by
  //    the short, exactly.
  const payout = (SPOT - STRIKE) * 2n * USD;
  assert.equal(await cashOf(ferdie), ferdieAfterTrade + payout);
  assert.equal(await cashOf(dave), daveAfterTrade - payout);
  assert.equal((await api.query.options.positions(id, dave.address)).toJSON() ?? 0, 0);
  assert.equal((await api.query.options.positions(id, ferdie.address)).toJSON() ?? 0, 0);
});
