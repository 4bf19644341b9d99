// Options life cycle end to end on a --dev node, through @polkadot/api only (issue requirement):
// three dev feeders (Alice, Bob, Charlie; quorum 3) feed BTC spot and implied vol every block;
// Alice (sudo) lists a BTC call on the dev expiry schedule; Bob (writer) and Charlie (buyer)
// deposit USD into their margin accounts; Bob offers with PostOnly orders, Charlie buys with an
// ImmediateOrCancel order that takes two price levels (one fee under the 12.5% premium cap, one
// at the index rate); premium and fees move exactly; the mark price and Greeks (checked against
// an independent Black-Scholes in double precision) and both portfolios are read through
// OptionsApi and MarginApi; the spot then moves every block until past expiry; after
// settlement both margin accounts hold exactly the settlement formula
// max(S - K, 0) x size x quantity, with S the oracle TWAP of the settlement window, which the
// test recomputes from the oracle's history storage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, waitFor } from '../lib/node.js';
import { findEvents } from '../lib/tx.js';
import { fixedInner } from '../lib/feeder.js';
import {
  E18, USD, ASSET, submit, startFeeding, waitForOracle, isAvailable, palletAccount, storedCash,
  tokenBalance, aroundBlock, divNearest, contractsValue, optionFee, shortMargin, twap, readHistory,
  nextExpiry, listSeries, sudoOutcome, eventsInBlocks, signedBig, fixedNum,
} from '../lib/market.js';

const SPOT_KEY = { Spot: ASSET.BTC };
const VOL_KEY = { ImpliedVol: ASSET.BTC };
const STRIKE = 52_000n * E18;
const SIZE = E18 / 10n; // 0.1 BTC per contract
const SPOT_HOLD = fixedInner('52010.5'); // spot until the trades and Greeks are checked
const VOL = fixedInner('0.8');
const SPOT_OFFSETS = [-fixedInner('0.5'), 0n, fixedInner('0.75')]; // median = the middle feeder
const VOL_OFFSETS = [-fixedInner('0.01'), 0n, fixedInner('0.01')];
// After the Greeks check the spot moves every block: 52,100 + 7.654321 x (block mod 9).
const SPOT_MOVE_BASE = fixedInner('52100');
const SPOT_MOVE_STEP = fixedInner('7.654321');
const MS_PER_YEAR = 31_536_000_000n;
// Longest wait for the expiry this test accepts (the dev schedule gives at most ~3.3 min).
const MAX_EXPIRY_WAIT_MS = 215_000n;

const BOB_DEPOSIT = 5_000n * USD;
const CHARLIE_DEPOSIT = 1_000n * USD;
const ASK_LOW = 4_321_000n; // 4.321 USD per contract (on the 0.001 USD tick of a 0.1 BTC contract): fee capped at 12.5% of the premium
const ASK_HIGH = 15_500_000n; // 15.5 USD per contract: fee = 0.03% x S x size
const BUY_LIMIT = 16n * USD;

let node, api, feeding, mode = 'hold';
let alice, bob, charlie, fund, collector;
const s = {}; // state shared by the steps below: series id, expiry, cash after trading, ...

before(async () => {
  await cryptoWaitReady();
  node = await startNode();
  api = node.api;
  const kr = new Keyring({ type: 'sr25519' });
  [alice, bob, charlie] = ['Alice', 'Bob', 'Charlie'].map((n) => kr.addFromUri(`//${n}`));
  fund = palletAccount(api, 'sv/insfd');
  collector = palletAccount(api, 'sv/fees_');
  feeding = startFeeding(api, [alice, bob, charlie], (i, bn) => {
    const spot = mode === 'hold' ? SPOT_HOLD : SPOT_MOVE_BASE + SPOT_MOVE_STEP * BigInt(bn % 9);
    return [[SPOT_KEY, spot + SPOT_OFFSETS[i]], [VOL_KEY, VOL + VOL_OFFSETS[i]]];
  });
  const spot = await waitForOracle(api, SPOT_KEY, isAvailable, 60_000);
  assert.equal(spot.value.unwrap().toBigInt(), SPOT_HOLD, 'spot aggregate = median of the three feeds');
  const vol = await waitForOracle(api, VOL_KEY, isAvailable, 30_000);
  assert.equal(vol.value.unwrap().toBigInt(), VOL, 'implied vol aggregate = median of the three feeds');
});

after(async () => {
  if (feeding) await feeding.stop();
  if (node) await node.stop();
});

// ----------------------------------------------------------------------- independent reference

function erfc(z) {
  if (z < 0) return 2 - erfc(-z);
  if (z < 2) {
    // erf power series: 2/sqrt(pi) x sum (-1)^n z^(2n+1) / (n! (2n+1)).
    let sum = 0, term = z;
    for (let n = 0; n < 200; n++) {
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-18) break;
      term *= -z * z / (n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0; // continued fraction
  for (let k = 80; k >= 1; k--) f = k / 2 / (z + f);
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
}
const normCdf = (x) => 0.5 * erfc(-x / Math.SQRT2);

/** Black-Scholes-Merton call (no dividends): price, delta, gamma, theta per day, vega per vol point. */
function bsCall(S, K, sigma, T, r) {
  const sq = Math.sqrt(T);
  const d1 = (Math.log(S / K) + (r + sigma * sigma / 2) * T) / (sigma * sq);
  const d2 = d1 - sigma * sq;
  const disc = Math.exp(-r * T);
  const pdf = Math.exp(-d1 * d1 / 2) / Math.sqrt(2 * Math.PI);
  return {
    price: S * normCdf(d1) - K * disc * normCdf(d2),
    delta: normCdf(d1),
    gamma: pdf / (S * sigma * sq),
    theta: (-S * pdf * sigma / (2 * sq) - r * K * disc * normCdf(d2)) / 365,
    vega: S * pdf * sq / 100,
  };
}

function close(chain, ref, relTol, what) {
  const tol = relTol * Math.max(1, Math.abs(ref));
  assert.ok(Math.abs(chain - ref) <= tol, `${what}: chain ${chain} vs reference ${ref} (tolerance ${tol})`);
}

const cashView = async (apiOrAt, who) => (await apiOrAt.call.marginApi.account(who.address)).cash.toBigInt();

// ----------------------------------------------------------------------- steps

test('list a BTC call on the dev expiry schedule through sudo; writer and buyer deposit USD', async () => {
  const params = await api.query.options.params();
  s.params = params.toJSON();
  s.rate = signedBig(params.rate); // FixedI128 inner, per year
  const interval = params.expiryInterval.toBigInt();

  // A listing with an expiry on the schedule but in the past is rejected with ExpiryTooSoon.
  const now0 = (await api.query.timestamp.now()).toBigInt();
  const past = nextExpiry(now0, params, 0) - interval * (params.minTimeToExpiry.toBigInt() / interval + 2n);
  assert.ok(past < now0, 'premise: the rejected expiry is in the past');
  const tooSoon = await submit(api, api.tx.sudo.sudo(api.tx.options.listSeries(ASSET.BTC, 'Call', STRIKE, past, SIZE)), alice);
  assert.deepEqual(sudoOutcome(api, tooSoon.events), { kind: 'Module', section: 'options', name: 'ExpiryTooSoon' },
    `expiry ${past} (before now + min_time_to_expiry) rejected`);

  // The nearest valid expiry, with 20 s of slack for inclusion (ExpiryTooSoon is checked at the
  // including block's time). The pallet guarantees min_time_to_expiry (60 s on --dev) after
  // listing for the trades below. The writer and buyer deposit meanwhile.
  const now = (await api.query.timestamp.now()).toBigInt();
  s.expiry = nextExpiry(now, params, 20_000);
  const wait = s.expiry - now;
  assert.ok(wait <= MAX_EXPIRY_WAIT_MS,
    `the nearest valid expiry is ${wait} ms away (options params ${JSON.stringify(s.params)}); ` +
    'the dev genesis needs expiry_interval <= 120 s and min_time_to_expiry <= 60 s for this test');
  const [listed, d1, d2] = await Promise.all([
    listSeries(api, alice, { underlying: ASSET.BTC, kind: 'Call', strike: STRIKE, expiry: s.expiry, size: SIZE }),
    submit(api, api.tx.margin.deposit(ASSET.USD, BOB_DEPOSIT), bob),
    submit(api, api.tx.margin.deposit(ASSET.USD, CHARLIE_DEPOSIT), charlie),
  ]);
  assert.equal(d1.error, null, `Bob deposit: ${JSON.stringify(d1.error)}`);
  assert.equal(d2.error, null, `Charlie deposit: ${JSON.stringify(d2.error)}`);
  assert.equal(await storedCash(api, bob.address), BOB_DEPOSIT, 'Bob cash after deposit');
  assert.equal(await storedCash(api, charlie.address), CHARLIE_DEPOSIT, 'Charlie cash after deposit');

  s.id = listed.id;
  s.listedAt = (await api.rpc.chain.getHeader(listed.result.blockHash)).number.toNumber();
  const t = listed.terms;
  assert.equal(t.underlying.toNumber(), ASSET.BTC, 'terms.underlying');
  assert.equal(t.kind.type, 'Call', 'terms.kind');
  assert.equal(t.strike.toBigInt(), STRIKE, 'terms.strike');
  assert.equal(t.expiry.toBigInt(), s.expiry, 'terms.expiry');
  assert.equal(t.contractSize.toBigInt(), SIZE, 'terms.contractSize');
  const info = (await api.query.options.series(s.id)).unwrap();
  assert.equal(info.status.type, 'Trading', 'listed series is trading');
  assert.equal(info.openInterest.toBigInt(), 0n, 'no open interest yet');
  const views = await api.call.optionsApi.series();
  assert.ok(views.some((v) => v.id.toNumber() === s.id), 'OptionsApi.series lists it');
});

test('Bob writes (PostOnly asks), Charlie buys (IOC): premium and fees move exactly', async () => {
  // Bob rests two asks: 2 @ 4.321 and 2 @ 15.5 USD per contract.
  const askIds = [];
  for (const price of [ASK_LOW, ASK_HIGH]) {
    const r = await submit(api, api.tx.options.placeOrder(s.id, 'Sell', price, 2, 'PostOnly'), bob);
    assert.equal(r.error, null, `Bob ask @${price}: ${JSON.stringify(r.error)}`);
    const [placed] = findEvents(r.events, 'options', 'OrderPlaced');
    assert.ok(placed, 'options.OrderPlaced');
    assert.equal(placed.data.timeInForce.type, 'PostOnly');
    assert.equal(findEvents(r.events, 'options', 'OrderFilled').length, 0, 'a PostOnly order does not fill');
    askIds.push(placed.data.orderId.toBigInt());
  }
  const book = (await api.call.optionsApi.orderBook(s.id, 10)).unwrap();
  assert.deepEqual(book.asks.map((l) => [l.price.toBigInt(), l.quantity.toNumber(), l.orders.toNumber()]),
    [[ASK_LOW, 2, 1], [ASK_HIGH, 2, 1]], 'asks resting, best first');
  assert.equal(book.bids.length, 0, 'no bids');

  // Charlie buys 3 at up to 16 USD: 2 fill at 4.321, 1 at 15.5 (the makers' prices).
  const buy = await submit(api, api.tx.options.placeOrder(s.id, 'Buy', BUY_LIMIT, 3, 'ImmediateOrCancel'), charlie);
  assert.equal(buy.error, null, `Charlie buy: ${JSON.stringify(buy.error)}`);
  const fills = findEvents(buy.events, 'options', 'OrderFilled');
  assert.equal(fills.length, 2, 'two fills (two price levels)');
  const { before: b, after: a } = await aroundBlock(api, buy.blockHash);
  const spot = (await b.call.oracleApi.value(SPOT_KEY)).unwrap().value.unwrap().toBigInt();
  assert.equal(spot, SPOT_HOLD, 'index price during the trade');
  const p = s.params;
  let premium = 0n, makerFees = 0n, takerFees = 0n, toFund = 0n;
  const share = BigInt((await api.query.insuranceFund.params()).feeShare.toNumber());
  const shareOf = (fee) => (fee * share) / 1_000_000n; // Permill::mul_floor
  for (const [f, price, qty, makerOrder] of [[fills[0], ASK_LOW, 2, askIds[0]], [fills[1], ASK_HIGH, 1, askIds[1]]]) {
    assert.equal(f.data.series.toNumber(), s.id);
    assert.equal(f.data.makerOrder.toBigInt(), makerOrder, 'maker order id');
    assert.equal(f.data.maker.toString(), bob.address, 'maker = Bob');
    assert.equal(f.data.taker.toString(), charlie.address, 'taker = Charlie');
    assert.equal(f.data.takerSide.type, 'Buy');
    assert.equal(f.data.price.toBigInt(), price, 'fill at the maker price');
    assert.equal(f.data.quantity.toNumber(), qty);
    assert.equal(f.data.premium.toBigInt(), price * BigInt(qty), 'premium = price x quantity');
    const makerFee = optionFee(p.makerFeeRate, spot, SIZE, price, qty);
    const takerFee = optionFee(p.takerFeeRate, spot, SIZE, price, qty);
    assert.equal(f.data.makerFee.toBigInt(), makerFee, `maker fee @${price}`);
    assert.equal(f.data.takerFee.toBigInt(), takerFee, `taker fee @${price}`);
    premium += price * BigInt(qty);
    makerFees += makerFee;
    takerFees += takerFee;
    toFund += shareOf(makerFee);
  }
  toFund += shareOf(takerFees); // the taker's fees are paid once, summed over its fills
  // The two fee rules were both exercised (default dev rates 0.03%).
  assert.equal(fills[0].data.takerFee.toBigInt(), 1_080_250n, "2 @ 4.321: 12.5% x 8.642 USD");
  assert.equal(fills[1].data.takerFee.toBigInt(), 1_560_315n, '1 @ 15.5: 0.03% x 52,010.5 x 0.1 USD, rounded up');

  s.bobAfterTrade = BOB_DEPOSIT + premium - makerFees;
  s.charlieAfterTrade = CHARLIE_DEPOSIT - premium - takerFees;
  assert.equal(await storedCash(a, bob.address), s.bobAfterTrade, 'Bob cash = deposit + premium - maker fees');
  assert.equal(await storedCash(a, charlie.address), s.charlieAfterTrade, 'Charlie cash = deposit - premium - taker fees');
  const fees = makerFees + takerFees;
  assert.equal(await storedCash(a, fund) - await storedCash(b, fund), toFund, 'insurance fund share of the fees');
  assert.equal(await storedCash(a, collector) - await storedCash(b, collector), fees - toFund, 'fee collector gets the rest');

  assert.equal((await a.query.options.positions(s.id, bob.address)).unwrap().toNumber(), -3, 'Bob short 3');
  assert.equal((await a.query.options.positions(s.id, charlie.address)).unwrap().toNumber(), 3, 'Charlie long 3');
  assert.equal((await a.query.options.series(s.id)).unwrap().openInterest.toBigInt(), 3n, 'open interest 3');
  const book2 = (await a.call.optionsApi.orderBook(s.id, 10)).unwrap();
  assert.deepEqual(book2.asks.map((l) => [l.price.toBigInt(), l.quantity.toNumber()]), [[ASK_HIGH, 1]], '1 contract left at 15.5');
  s.restingAsk = askIds[1];
  // Greeks are checked at this block (spot still held); from now on the spot moves every block,
  // through the settlement window.
  s.greeksHash = await api.rpc.chain.getBlockHash();
  mode = 'move';
});

test('mark price, Greeks and portfolios through OptionsApi and MarginApi (at the block after the trades)', async () => {
  const at = await api.at(s.greeksHash);
  const now = (await at.query.timestamp.now()).toBigInt();
  assert.ok(now < s.expiry, 'before expiry');
  const mark = (await at.call.optionsApi.mark(s.id)).unwrap();
  assert.equal(mark.series.toNumber(), s.id);
  assert.equal(mark.spot.toBigInt(), SPOT_HOLD, 'mark uses the oracle spot');
  assert.equal(mark.volatility.unwrap().toBigInt(), VOL, 'mark uses the oracle implied vol');
  assert.equal(mark.timeToExpiry.toBigInt(), divNearest((s.expiry - now) * E18, MS_PER_YEAR), 'T = (expiry - now) / 365 days');

  const T = fixedNum(mark.timeToExpiry);
  const r = Number(s.rate) / 1e18;
  const ref = bsCall(Number(SPOT_HOLD) / 1e18, Number(STRIKE) / 1e18, Number(VOL) / 1e18, T, r);
  const u = mark.perUnit;
  close(fixedNum(u.price), ref.price, 1e-8, 'price per BTC');
  close(fixedNum(u.delta), ref.delta, 1e-9, 'delta');
  close(fixedNum(u.gamma), ref.gamma, 1e-7, 'gamma');
  close(fixedNum(u.theta), ref.theta, 1e-6, 'theta per day');
  close(fixedNum(u.vega), ref.vega, 1e-6, 'vega per vol point');
  assert.ok(ref.delta > 0.3 && ref.delta < 0.9, `near the money (delta ${ref.delta}): the Greeks are not degenerate`);

  const price = u.price.toBigInt();
  const c = mark.perContract;
  for (const g of ['price', 'delta', 'gamma', 'theta', 'vega']) {
    const want = (signedBig(u[g]) * SIZE) / E18;
    const got = signedBig(c[g]);
    assert.ok(got - want <= 1n && want - got <= 1n, `per-contract ${g} = per-unit x 0.1 (${got} vs ${want})`);
  }
  assert.equal(mark.markPerContract.toBigInt(), contractsValue(1, SIZE, price), 'mark per contract, USD units rounded down');
  assert.equal(signedBig(mark.thetaPerContract), signedBig(c.theta) / 10n ** 12n, 'theta per contract in USD units');
  assert.equal(signedBig(mark.vegaPerContract), signedBig(c.vega) / 10n ** 12n, 'vega per contract in USD units');

  // Portfolios: Bob short 3, Charlie long 3; Greeks = quantity x per-contract Greeks, exactly.
  const margin = shortMargin('Call', SPOT_HOLD, STRIKE, price, SIZE, 3, s.params);
  const notional = contractsValue(3, SIZE, SPOT_HOLD);
  for (const [who, q] of [[bob, -3], [charlie, 3]]) {
    const name = who === bob ? 'Bob' : 'Charlie';
    const v = await at.call.optionsApi.account(who.address);
    assert.equal(v.positions.length, 1, `${name}: one position`);
    const pos = v.positions[0];
    assert.equal(pos.series.toNumber(), s.id);
    assert.equal(pos.quantity.toNumber(), q, `${name}: quantity`);
    const risk = pos.risk.unwrap();
    const markValue = q < 0 ? -contractsValue(3, SIZE, price, true) : contractsValue(3, SIZE, price);
    assert.equal(risk.markValue.toBigInt(), markValue, `${name}: mark value (short rounded up, long down)`);
    // A long's initial margin is its mark value (paid in full), a short's the Deribit formula.
    assert.equal(risk.initialMargin.toBigInt(), q < 0 ? margin.initial : markValue, `${name}: initial margin`);
    assert.equal(risk.maintenanceMargin.toBigInt(), q < 0 ? margin.maintenance : 0n, `${name}: maintenance margin`);
    assert.equal(risk.notional.toBigInt(), notional, `${name}: notional = 3 x 0.1 x S`);
    const greeks = pos.greeks.unwrap();
    for (const g of ['delta', 'gamma', 'theta', 'vega']) {
      assert.equal(signedBig(greeks[g]), BigInt(q) * signedBig(c[g]), `${name}: position ${g}`);
      assert.equal(signedBig(v.totals[g]), BigInt(q) * signedBig(c[g]), `${name}: total ${g}`);
    }
    assert.equal(v.totalsByUnderlying.length, 1, `${name}: one underlying`);
    assert.equal(v.totalsByUnderlying[0][0].toNumber(), ASSET.BTC);
    const req = v.margin.unwrap();
    assert.equal(req.initial.toBigInt(), risk.initialMargin.toBigInt(), `${name}: account initial margin`);
    assert.equal(req.unrealizedPnl.toBigInt(), markValue, `${name}: account unrealized PnL`);

    // MarginApi agrees, and equity = cash + unrealized PnL.
    const m = await at.call.marginApi.account(who.address);
    const cash = who === bob ? s.bobAfterTrade : s.charlieAfterTrade;
    assert.equal(m.cash.toBigInt(), cash, `${name}: margin cash`);
    assert.equal(m.initialMargin.toBigInt(), risk.initialMargin.toBigInt(), `${name}: MarginApi initial margin`);
    assert.equal(m.maintenanceMargin.toBigInt(), risk.maintenanceMargin.toBigInt(), `${name}: MarginApi maintenance margin`);
    assert.equal(m.unrealizedPnl.toBigInt(), markValue, `${name}: MarginApi unrealized PnL`);
    assert.equal(m.equity.unwrap().toBigInt(), cash + markValue, `${name}: equity = cash + mark value`);
    assert.equal(m.liquidatable.isTrue, false, `${name}: not liquidatable`);
    assert.equal(m.positions.length, 1, `${name}: MarginApi lists the position`);
    assert.equal(m.positions[0].quantity.toNumber(), q);
    if (q < 0) {
      close(fixedNum(m.health.unwrap()), Number(cash + markValue) / Number(margin.maintenance), 1e-12, 'Bob health = equity / MM');
      assert.ok(m.equity.unwrap().toBigInt() >= margin.initial, 'Bob above initial margin');
    } else {
      assert.ok(m.health.isNone, 'Charlie: no maintenance margin, no health figure');
    }
  }
});

test('expiry and cash settlement at the oracle TWAP: both margin accounts exact', { timeout: 320_000 }, async () => {
  mode = 'move'; // (already since the trades)
  const remaining = Number(s.expiry - (await api.query.timestamp.now()).toBigInt());
  await waitFor(async () => (await api.query.timestamp.now()).toBigInt() >= s.expiry, remaining + 60_000, 1_000);

  // No orders after expiry.
  const late = await submit(api, api.tx.options.placeOrder(s.id, 'Buy', BUY_LIMIT, 1, 'ImmediateOrCancel'), charlie);
  assert.deepEqual(late.error && { section: late.error.section, name: late.error.name },
    { section: 'options', name: 'SeriesExpired' }, `order after expiry: ${JSON.stringify(late.error)}`);

  try {
    await waitFor(async () => (await api.query.options.series(s.id)).unwrap().status.type === 'Settled', 90_000, 1_000);
  } catch (_) {
    const st = (await api.query.options.series(s.id)).unwrap().status.toJSON();
    assert.fail(`series ${s.id} not settled within 90 s after expiry; status ${JSON.stringify(st)}`);
  }
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const evs = await eventsInBlocks(api, s.listedAt, head, (e) => e.section === 'options' && [
    'SeriesExpired', 'SettlementPriceUnavailable', 'SettlementStarted', 'SettledPosition', 'SettlementTransferFailed',
    'SeriesSettled', 'OrderCancelled',
  ].includes(e.method) && e.data.series.toNumber() === s.id);
  const byName = (m) => evs.filter((x) => x.event.method === m);
  assert.equal(byName('SeriesExpired').length, 1, 'options.SeriesExpired once');
  assert.equal(byName('SettlementTransferFailed').length, 0, 'no failed settlement transfer');
  const cancelled = byName('OrderCancelled').filter((x) => x.event.data.reason.type === 'Expired');
  assert.deepEqual(cancelled.map((x) => [x.event.data.orderId.toBigInt(), x.event.data.who.toString(), x.event.data.remaining.toNumber()]),
    [[s.restingAsk, bob.address, 1]], "Bob's resting ask cancelled at expiry");

  // Settlement price = oracle TWAP of BTC spot over [expiry - window, expiry], recomputed here
  // from the oracle's history as the options pallet's on_initialize saw it (the parent block).
  const [started] = byName('SettlementStarted');
  assert.ok(started, 'options.SettlementStarted');
  const S = started.event.data.price.toBigInt();
  const stored = (await api.query.options.settlements(s.id)).unwrap();
  assert.equal(stored.price.toBigInt(), S, 'Settlements storage price = event price');
  const startedHeader = await api.rpc.chain.getHeader(started.hash);
  const parent = await api.at(startedHeader.parentHash);
  const window = BigInt(s.params.settlementWindow);
  const history = await readHistory(parent, SPOT_KEY);
  const expectedTwap = twap(history, s.expiry - window, s.expiry);
  assert.equal(S, expectedTwap, `settlement price = TWAP of the oracle history over the last ${window} ms before expiry`);
  const inWindow = history.filter((h, i) => h.value !== null && h.timestamp < s.expiry
    && (history[i + 1] ? history[i + 1].timestamp : s.expiry) > s.expiry - window).map((h) => h.value);
  assert.ok(new Set(inWindow).size >= 2, `the spot moved inside the window (${inWindow.length} steps: ${inWindow.join(', ')})`);
  assert.ok(S > STRIKE, 'the call expires in the money');

  // Payout per contract = max(S - K, 0) x size, rounded down; P = open interest x that.
  const perContract = contractsValue(1, SIZE, S - STRIKE);
  const d = started.event.data;
  assert.equal(d.payoutPerContract.toBigInt(), perContract, 'payout per contract = (S - K) x 0.1, USD units rounded down');
  assert.equal(d.totalPayout.toBigInt(), 3n * perContract, 'total payout = 3 contracts');
  const owed = 3n * perContract;

  const settled = byName('SettledPosition').map((x) => [x.event.data.who.toString(), x.event.data.quantity.toNumber(), x.event.data.amount.toBigInt()]);
  settled.sort((x, y) => (x[1] - y[1]));
  assert.deepEqual(settled, [[bob.address, -3, owed], [charlie.address, 3, owed]], 'SettledPosition: Bob pays, Charlie receives');
  const [done] = byName('SeriesSettled');
  assert.ok(done, 'options.SeriesSettled');
  assert.deepEqual([done.event.data.collected.toBigInt(), done.event.data.paid.toBigInt(),
    signedBig(done.event.data.dust)], [owed, owed, 0n], 'collected = paid, no dust');

  // Both margin accounts, exactly.
  assert.equal(await storedCash(api, bob.address), s.bobAfterTrade - owed, 'Bob cash = after trade - (S - K) x 0.1 x 3');
  assert.equal(await storedCash(api, charlie.address), s.charlieAfterTrade + owed, 'Charlie cash = after trade + (S - K) x 0.1 x 3');
  assert.equal(await cashView(api, bob), s.bobAfterTrade - owed, 'Bob MarginApi cash');
  assert.equal(await cashView(api, charlie), s.charlieAfterTrade + owed, 'Charlie MarginApi cash');

  // Positions are gone; the record stays.
  for (const who of [bob, charlie]) {
    assert.ok((await api.query.options.positions(s.id, who.address)).isNone, 'position removed');
    assert.equal((await api.call.optionsApi.account(who.address)).positions.length, 0, 'OptionsApi: no positions');
    const m = await api.call.marginApi.account(who.address);
    assert.equal(m.initialMargin.toBigInt(), 0n, 'no margin requirement left');
    assert.equal(m.equity.unwrap().toBigInt(), m.cash.toBigInt(), 'equity = cash');
  }
  const info = (await api.query.options.series(s.id)).unwrap();
  assert.equal(info.openInterest.toBigInt(), 3n, 'open interest kept as the record');
  assert.equal(stored.collected.toBigInt(), owed);
  assert.equal(stored.paid.toBigInt(), owed);

  // Custody: the margin pallet holds exactly the sum of all accounts' cash in USD tokens.
  const accounts = await api.query.margin.accounts.entries();
  const cashSum = accounts.reduce((acc, [, a]) => acc + a.unwrap().cash.toBigInt(), 0n);
  assert.equal(await tokenBalance(api, ASSET.USD, palletAccount(api, 'sv/margn')), cashSum, 'USD custody = sum of cash');
  assert.ok(feeding.stats.included > 0, 'feeds were included');
});
