// Issue 14's attacks on a live --dev node through @polkadot/api: colluding accounts try to move
// value through trades at absurd premiums (closing and opening, both directions), wash trades,
// book sides filled with unbacked orders, dust positions pushed onto the insurance fund across
// more series than a trader may hold, and a keeper liquidating itself. Each attempt fails with
// its specific error (or cancels the maker's order with its reason), and afterwards the pool is
// solvent: per asset, the margin pallet's custody covers every positive claim, and no account
// the attacks touched is liquidatable unless a price move made it so.
//
// Prices: three dev feeders (Bob, Charlie, Dave; quorum 3) feed BTC spot and implied vol in the
// background; the tests move the spot by changing what they feed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, sleep } from '../lib/node.js';
import { findEvents } from '../lib/tx.js';
import { fixedInner } from '../lib/feeder.js';
import {
  E18, USD, ASSET, submit, sendInBlock, startFeeding, waitForOracle, isAvailable, palletAccount,
  tokenBalance, nextExpiry, listSeries, divCeil, withAccount,
} from '../lib/market.js';

const SPOT_KEY = { Spot: ASSET.BTC };
const VOL_KEY = { ImpliedVol: ASSET.BTC };
const VOL = fixedInner('0.8');
const SLV = 10n ** 12n;
const SIZE = E18 / 10n; // 0.1 BTC per contract
/** Series expire 30 minutes out (the dev schedule is every 2 minutes): none expires mid-test. */
const EXPIRY_BUFFER_MS = 30 * 60_000;

let node, api, feeding, alice, kr, fund, marginPallet, params;
let spot = 50_000n * E18; // what the feeders feed (all three the same)
let expiry;
let nextId = 0;

before(async () => {
  await cryptoWaitReady();
  node = await startNode();
  api = node.api;
  kr = new Keyring({ type: 'sr25519' });
  alice = kr.addFromUri('//Alice');
  fund = palletAccount(api, 'sv/insfd');
  marginPallet = palletAccount(api, 'sv/margn');
  const feeders = ['Bob', 'Charlie', 'Dave'].map((n) => kr.addFromUri(`//${n}`));
  feeding = startFeeding(api, feeders, () => [[SPOT_KEY, spot], [VOL_KEY, VOL]]);
  await waitForOracle(api, SPOT_KEY, isAvailable, 60_000);
  await waitForOracle(api, VOL_KEY, isAvailable, 30_000);
  params = (await api.query.options.params()).toJSON();
  const now = (await api.query.timestamp.now()).toBigInt();
  expiry = nextExpiry(now, await api.query.options.params(), EXPIRY_BUFFER_MS);
});

after(async () => {
  if (feeding) await feeding.stop();
  if (node) await node.stop();
});

// ----------------------------------------------------------------------- helpers

/** Fresh accounts funded with SLV for fees and `usd` USD units in their margin accounts (none
 * if `usd` is 0). */
async function traders(n, usd) {
  const out = Array.from({ length: n }, () => kr.addFromUri(`//Attacker${nextId++}`));
  await withAccount(alice.address, async () => {
    let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    const sent = [];
    for (const t of out) {
      sent.push(sendInBlock(api, api.tx.balances.transferKeepAlive(t.address, 10n * SLV), alice, { nonce: nonce++ }));
      if (usd > 0n) sent.push(sendInBlock(api, api.tx.assets.mint(ASSET.USD, t.address, usd), alice, { nonce: nonce++ }));
    }
    for (const r of await Promise.all(sent)) assert.equal(r.error, null, JSON.stringify(r.error));
  });
  if (usd === 0n) return out;
  const deposits = await Promise.all(out.map((t) => submit(api, api.tx.margin.deposit(ASSET.USD, usd), t)));
  for (const d of deposits) assert.equal(d.error, null, `deposit: ${JSON.stringify(d.error)}`);
  return out;
}

/** List a BTC series of 0.1 BTC per contract; a (kind, strike) listed before by another test
 * goes on a later expiry, so each test starts from an empty series. */
const listed = new Set();
async function list(kind, strike) {
  let e = expiry;
  while (listed.has(`${kind}/${strike}/${e}`)) e += BigInt(params.expiryInterval);
  listed.add(`${kind}/${strike}/${e}`);
  const r = await listSeries(api, alice, { underlying: ASSET.BTC, kind, strike: BigInt(strike) * E18, expiry: e, size: SIZE });
  return r.id;
}

const order = (who, id, side, price, qty, tif = 'GoodTilCancelled') =>
  submit(api, api.tx.options.placeOrder(id, side, price, qty, tif), who);

/** `seller` rests a sell, `buyer` takes it; both must succeed. */
async function trade(buyer, seller, id, price, qty = 1) {
  const s = await order(seller, id, 'Sell', price, qty);
  assert.equal(s.error, null, `sell @${price}: ${JSON.stringify(s.error)}`);
  const b = await order(buyer, id, 'Buy', price, qty, 'ImmediateOrCancel');
  assert.equal(b.error, null, `buy @${price}: ${JSON.stringify(b.error)}`);
  assert.equal(findEvents(b.events, 'options', 'OrderFilled').length, 1, 'filled');
}

/** Tick and price band of series `id` now (pallet-options `tick` and `price_band`), USD units.
 * `lowest` and `highest` are the edges moved inwards by `max(100 ticks, 2% of the mark)`: the
 * mark decays every block (theta), so a premium exactly on the edge read now may be outside the
 * band of the block that includes the order, or of the block in which it is filled. */
async function band(id) {
  const m = (await api.call.optionsApi.mark(id)).unwrap();
  const mark = m.markPerContract.toBigInt();
  const underlying = (m.spot.toBigInt() * SIZE) / 10n ** 30n;
  const byRate = (mark * BigInt(params.priceBandRate)) / 1_000_000n;
  const byFloor = (underlying * BigInt(params.priceBandFloor)) / 1_000_000n;
  const width = byRate > byFloor ? byRate : byFloor;
  let tick = (BigInt(params.tickSize) * SIZE) / E18;
  if (tick < 1n) tick = 1n;
  let lower = mark > width ? mark - width : 0n;
  if (lower < tick) lower = tick;
  const safety = 100n * tick > mark / 50n ? 100n * tick : mark / 50n;
  return { mark, tick, lowest: divCeil(lower + safety, tick) * tick, highest: ((mark + width - safety) / tick) * tick };
}

const view = async (who) => (await api.call.marginApi.account(who.address ?? who)).toJSON();
const surplus = (v) => BigInt(v.equity) - BigInt(v.maintenanceMargin);

/** Feed `usd` as the BTC spot and wait until the aggregate is it. */
async function moveSpot(usd) {
  spot = BigInt(usd) * E18;
  await waitForOracle(api, SPOT_KEY, (i) => isAvailable(i) && i.value.unwrap().toBigInt() === spot, 60_000);
}

/** Per asset, custody covers every positive claim; none of `touched` is liquidatable. */
async function assertSolvent(touched) {
  const accounts = await api.query.margin.accounts.entries();
  let cash = 0n;
  const held = {};
  for (const [, a] of accounts) {
    const acc = a.unwrap();
    const c = acc.cash.toBigInt();
    if (c > 0n) cash += c;
    for (const [asset, amount] of acc.collateral.entries()) held[asset.toNumber()] = (held[asset.toNumber()] ?? 0n) + amount.toBigInt();
  }
  const usd = await tokenBalance(api, ASSET.USD, marginPallet);
  assert.ok(usd >= cash, `USD custody ${usd} >= positive cash ${cash}`);
  for (const [asset, amount] of Object.entries(held)) {
    assert.ok(await tokenBalance(api, Number(asset), marginPallet) >= amount, `asset ${asset} custody`);
  }
  for (const who of touched) assert.equal((await view(who)).liquidatable, false, `${who.address} not liquidatable`);
}

const errorName = (r) => r.error && r.error.name;

// ----------------------------------------------------------------------- attacks

test('closing trade at an absurd premium: refused both ways, and at the band edge the pool stays whole', async () => {
  const id = await list('Put', 50_000);
  const [writer, colluder] = await traders(2, 10_000n * USD);
  const b0 = await band(id);
  await trade(colluder, writer, id, b0.lowest);
  // The writer buys its short back from the colluder at 1,000,000 USD: neither may place it.
  assert.equal(errorName(await order(colluder, id, 'Sell', 1_000_000n * USD, 1)), 'PriceOutsideBand');
  assert.equal(errorName(await order(writer, id, 'Buy', 1_000_000n * USD, 1, 'ImmediateOrCancel')), 'PriceOutsideBand');
  // At the band's highest premium: the writer pays its own money, no more than the band.
  const b = await band(id);
  const before = await view(writer);
  await trade(writer, colluder, id, b.highest);
  const after = await view(writer);
  assert.ok(surplus(after) >= 0n, 'the writer stays above maintenance');
  assert.ok(BigInt(before.equity) - BigInt(after.equity) <= b.highest - b.mark + 20n * USD, 'it lost at most the band plus fees');
  // The colluder withdraws everything it has; the pool still covers every claim.
  const cash = BigInt((await view(colluder)).cash);
  assert.equal((await submit(api, api.tx.margin.withdraw(ASSET.USD, cash), colluder)).error, null);
  await assertSolvent([writer, colluder]);
});

test('a long sold for the least the band allows while it backs a short: refused as taker, cancelled as maker', async () => {
  await moveSpot(50_000);
  const call = await list('Call', 45_000); // in the money
  const put = await list('Put', 50_000);
  const [a, b] = await traders(2, 30_000n * USD);
  await trade(a, b, call, (await band(call)).mark / 1_000n * 1_000n); // a: long call at about its mark
  await trade(b, a, put, (await band(put)).lowest); // a: short put
  // a withdraws all its margin allows: exactly fully margined.
  const v = await view(a);
  const free = BigInt(v.equity) - BigInt(v.initialMargin) - BigInt(v.openOrderMargin);
  assert.equal((await submit(api, api.tx.margin.withdraw(ASSET.USD, free), a)).error, null);
  // BTC falls 6%: a is above maintenance, below initial margin.
  await moveSpot(47_000);
  const s0 = surplus(await view(a));
  assert.ok(s0 > 0n && s0 < 100n * USD, `a's surplus ${s0}`);
  const { lowest } = await band(call);
  // As taker: refused.
  const bid = await order(b, call, 'Buy', lowest, 1);
  assert.equal(bid.error, null);
  assert.equal(errorName(await order(a, call, 'Sell', lowest, 1, 'ImmediateOrCancel')), 'InsufficientMargin');
  const bidId = findEvents(bid.events, 'options', 'OrderPlaced')[0].data.orderId;
  assert.equal((await submit(api, api.tx.options.cancelOrder(bidId), b)).error, null);
  // As maker: the closing ask rests (it adds no margin), its fill is refused and it is cancelled.
  const ask = await order(a, call, 'Sell', lowest, 1);
  assert.equal(ask.error, null, `closing ask rests: ${JSON.stringify(ask.error)}`);
  const askId = findEvents(ask.events, 'options', 'OrderPlaced')[0].data.orderId.toBigInt();
  const take = await order(b, call, 'Buy', lowest, 1, 'ImmediateOrCancel');
  assert.equal(take.error, null);
  const cancelled = findEvents(take.events, 'options', 'OrderCancelled').find((e) => e.data.orderId.toBigInt() === askId);
  assert.ok(cancelled, 'the maker order is cancelled');
  assert.equal(cancelled.data.reason.type, 'MakerMarginCheckFailed');
  assert.equal(findEvents(take.events, 'options', 'OrderFilled').length, 0, 'nothing filled');
  assert.equal((await api.query.options.positions(call, a.address)).unwrap().toNumber(), 1, 'a keeps its long');
  // Buying back the short instead releases its maintenance margin: allowed, surplus rises.
  await trade(a, b, put, (await band(put)).highest);
  assert.ok(surplus(await view(a)) > s0, 'closing the short improved a');
  await moveSpot(50_000);
  await assertSolvent([a, b]);
});

test('opening at an absurd premium is refused; wash trades at the band edges only cost fees', async () => {
  const id = await list('Put', 49_000);
  const [a, b] = await traders(2, 20_000n * USD);
  const { mark, highest } = await band(id);
  // 1,000 times the mark, and at least 1,000 USD: far above the band (its width here is 1% of
  // the underlying, 50 USD, for a mark of cents).
  const absurd = mark * 1_000n > 1_000n * USD ? mark * 1_000n : 1_000n * USD; // on the tick (1,000 units)
  assert.ok(absurd > highest);
  assert.equal(errorName(await order(a, id, 'Sell', absurd, 1)), 'PriceOutsideBand');
  const equity = async (w) => BigInt((await view(w)).equity);
  const start = (await equity(a)) + (await equity(b));
  for (let i = 0; i < 6; i++) {
    const e = await band(id);
    if (i % 2 === 0) await trade(a, b, id, e.highest); else await trade(b, a, id, e.lowest);
  }
  assert.ok((await equity(a)) + (await equity(b)) < start, 'the pair lost its fees');
  await assertSolvent([a, b]);
});

test('unbacked orders cannot fill a book side, and a full side evicts its worst order for a better one', async () => {
  const id = await list('Put', 48_000);
  const { lowest, highest } = await band(id);
  // No margin account: no order rests.
  const [empty] = await traders(1, 0n);
  assert.equal(errorName(await order(empty, id, 'Buy', lowest, 1)), 'InsufficientMargin');
  // With the minimum deposit (10 USD): a sell that opens a short cannot rest at all.
  const [small] = await traders(1, 10n * USD);
  assert.equal(errorName(await order(small, id, 'Sell', highest, 1)), 'InsufficientMargin');
  // Two accounts fill the bid side (MaxOrdersPerSide = 64) at the lowest premium, each order
  // margined: 32 each (MaxOpenOrdersPerAccount).
  const fillers = await traders(2, 1_000n * USD);
  const side = Number(api.consts.options.maxOrdersPerSide.toString());
  const perAccount = Number(api.consts.options.maxOpenOrdersPerAccount.toString());
  assert.equal(side, 2 * perAccount, 'two accounts fill a side');
  await Promise.all(fillers.map((f) => withAccount(f.address, async () => {
    let nonce = (await api.rpc.system.accountNextIndex(f.address)).toNumber();
    const sent = [];
    for (let i = 0; i < perAccount; i++) {
      sent.push(sendInBlock(api, api.tx.options.placeOrder(id, 'Buy', lowest, 1, 'GoodTilCancelled'), f, { nonce: nonce++, timeoutMs: 120_000 }));
    }
    for (const r of await Promise.all(sent)) assert.equal(r.error, null, JSON.stringify(r.error));
  })));
  const book = (await api.call.optionsApi.orderBook(id, 100)).unwrap();
  assert.equal(book.bids.reduce((n, l) => n + l.orders.toNumber(), 0), side, 'the bid side is full');
  // The same price again: refused. One tick better: the latest order at the worst price goes.
  const [honest] = await traders(1, 1_000n * USD);
  assert.equal(errorName(await order(honest, id, 'Buy', lowest, 1)), 'BookSideFull');
  const better = await order(honest, id, 'Buy', lowest + (await band(id)).tick, 1);
  assert.equal(better.error, null, JSON.stringify(better.error));
  const evicted = findEvents(better.events, 'options', 'OrderCancelled');
  assert.equal(evicted.length, 1);
  assert.equal(evicted[0].data.reason.type, 'Evicted');
  assert.ok(fillers.some((f) => f.address === evicted[0].data.who.toString()), 'a filler order was evicted');
  await assertSolvent([small, honest, ...fillers]);
});

test('dust positions pushed onto the fund across more series than a trader may hold: all liquidated', async () => {
  await moveSpot(50_000);
  const max = Number(api.consts.options.maxPositionsPerAccount.toString());
  const n = max + 2;
  // n puts listed in one go (Alice's sudo calls at consecutive nonces), one writer and one
  // buyer per series, all trades at once.
  const strikes = Array.from({ length: n }, (_, i) => 50_000 + 100 * i);
  let e = expiry;
  while (strikes.some((k) => listed.has(`Put/${k}/${e}`))) e += BigInt(params.expiryInterval);
  const ids = await withAccount(alice.address, async () => {
    let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    const sent = [];
    for (const strike of strikes) {
      listed.add(`Put/${strike}/${e}`);
      const call = api.tx.options.listSeries(ASSET.BTC, 'Put', BigInt(strike) * E18, e, SIZE);
      sent.push(sendInBlock(api, api.tx.sudo.sudo(call), alice, { nonce: nonce++, timeoutMs: 60_000 }));
    }
    return (await Promise.all(sent)).map((r) => findEvents(r.events, 'options', 'SeriesListed')[0].data.series.toNumber());
  });
  const writers = await traders(n, 2_000n * USD);
  const buyers = await traders(n, 2_000n * USD);
  const prices = await Promise.all(ids.map(async (id) => (await band(id)).lowest));
  await Promise.all(ids.map((id, i) => trade(buyers[i], writers[i], id, prices[i])));
  const fundBefore = (await api.query.options.accountSeries(fund)).length;
  // BTC falls 20%: every writer is liquidatable; the offchain workers' batches move every short
  // to the fund, which may hold a position in every active series.
  await moveSpot(40_000);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const open = await Promise.all(ids.map(async (id, i) => (await api.query.options.positions(id, writers[i].address)).isSome));
    if (!open.some(Boolean)) break;
    assert.ok(Date.now() < deadline, `writers still open: ${open.filter(Boolean).length}`);
    await sleep(3_000);
  }
  const fundSeries = (await api.query.options.accountSeries(fund)).length;
  assert.ok(fundSeries >= fundBefore + n && fundSeries > max, `fund holds ${fundSeries} series (> ${max})`);
  await moveSpot(50_000);
});

test('a keeper cannot liquidate itself; the reward it is paid is the one emitted', async () => {
  await moveSpot(50_000);
  const id = await list('Put', 50_000);
  const [writer, buyer, keeper] = await traders(3, 1_000n * USD);
  await trade(buyer, writer, id, (await band(id)).lowest);
  // The offchain workers would liquidate the writer first: pause them by making it liquidatable
  // and calling in the same block is racy, so the self-liquidation is checked at the extrinsic
  // level (the error comes before the liquidatable check).
  assert.equal(errorName(await submit(api, api.tx.margin.liquidate(writer.address), writer)), 'SelfLiquidation');
  assert.equal(errorName(await submit(api, api.tx.margin.liquidate(writer.address), keeper)), 'NotLiquidatable');
  await assertSolvent([writer, buyer, keeper]);
});
