// Issue 16's emergency brake on a live --dev node through @polkadot/api: a referendum on the
// `emergency` track (fast periods on --dev: it passes in a few blocks) enters safe mode. While
// it lasts, a trader's `options.placeOrder` and `margin.withdraw` are included but fail with
// `system.CallFiltered` (the runtime's BaseCallFilter; they pay their fee), a margin deposit
// goes through, the feeders keep feeding (the oracle serves the new price), and a writer the
// price move made liquidatable is liquidated by the offchain worker's unsigned batch. Sudo's
// `safeMode.forceExit` (Root) ends it, and the trader's order then succeeds.
//
// Prices: three dev feeders (Bob, Charlie, Dave; quorum 3) feed BTC spot and implied vol in the
// background; the test moves the spot by changing what they feed. Voters: Eve and Ferdie.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, waitFor } from '../lib/node.js';
import { findEvents } from '../lib/tx.js';
import { fixedInner } from '../lib/feeder.js';
import {
  E18, USD, ASSET, submit, sendInBlock, startFeeding, waitForOracle, isAvailable,
  nextExpiry, listSeries, sudoOutcome, withAccount, eventsInBlocks, storedCash,
  fundedAccounts,
} from '../lib/market.js';

const SPOT_KEY = { Spot: ASSET.BTC };
const VOL_KEY = { ImpliedVol: ASSET.BTC };
const VOL = fixedInner('0.8');
const SLV = 10n ** 12n;
const SIZE = E18 / 10n; // 0.1 BTC per contract
const CONTRACTS = 5;

let node, api, feeding, alice, kr;
let spot = 50_000n * E18;

before(async () => {
  await cryptoWaitReady();
  node = await startNode();
  api = node.api;
  kr = new Keyring({ type: 'sr25519' });
  alice = kr.addFromUri('//Alice');
  const feeders = ['Bob', 'Charlie', 'Dave'].map((n) => kr.addFromUri(`//${n}`));
  feeding = startFeeding(api, feeders, () => [[SPOT_KEY, spot], [VOL_KEY, VOL]]);
  await waitForOracle(api, SPOT_KEY, isAvailable, 60_000);
  await waitForOracle(api, VOL_KEY, isAvailable, 30_000);
});

after(async () => {
  if (feeding) await feeding.stop();
  if (node) await node.stop();
});

/** Fresh accounts with SLV for fees and `usd` USD units of tokens (before the halt: token
 * transfers and mints are halted by safe mode). */
const accounts = (names, usd) => fundedAccounts(api, kr, alice, 'Emergency', names, usd);

async function sudo(call) {
  const r = await submit(api, api.tx.sudo.sudo(call), alice);
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(sudoOutcome(api, r.events), null, `${call.method.section}.${call.method.method}`);
  return r;
}

/** `call` as a referendum on the emergency track (inline proposal, enacted 1 block after it
 * passes): Alice submits it and places the decision deposit, `voters` vote aye with 900,000
 * SLV each at 1x conviction (about 30% of the dev issuance: above the 10% support and 90%
 * approval the track asks at the start of its decision period). Returns its index. */
async function emergencyReferendum(call, voters) {
  const sub = await submit(api, api.tx.referenda.submit({ Origins: 'EmergencyAdmin' }, { Inline: call.method.toHex() }, { After: 1 }), alice);
  assert.equal(sub.error, null, JSON.stringify(sub.error));
  const index = findEvents(sub.events, 'referenda', 'Submitted')[0].data[0].toNumber();
  const track = findEvents(sub.events, 'referenda', 'Submitted')[0].data[1].toNumber();
  assert.equal(track, 2, 'the emergency track (id 2)');
  const dep = await submit(api, api.tx.referenda.placeDecisionDeposit(index), alice);
  assert.equal(dep.error, null, JSON.stringify(dep.error));
  for (const v of voters) {
    const r = await submit(api, api.tx.convictionVoting.vote(index, { Standard: { vote: { aye: true, conviction: 'Locked1x' }, balance: 900_000n * SLV } }), v);
    assert.equal(r.error, null, JSON.stringify(r.error));
  }
  return index;
}

const isEntered = async (apiOrAt = api) => (await apiOrAt.query.safeMode.enteredUntil()).isSome;
const position = async (id, who) => {
  const p = await api.query.options.positions(id, who);
  return p.isSome ? p.unwrap().toNumber() : 0;
};

/** A premium on the tick just above the series' mark (inside its band). */
async function priceNearMark(id) {
  const params = (await api.query.options.params()).toJSON();
  const m = (await api.call.optionsApi.mark(id)).unwrap();
  let tick = (BigInt(params.tickSize) * SIZE) / E18;
  if (tick < 1n) tick = 1n;
  return ((m.markPerContract.toBigInt() / tick) + 1n) * tick;
}

test('safe mode by the emergency track: trades refused, feeds and liquidations continue, exit restores trading', async () => {
  const [trader, writer, buyer] = await accounts(['Trader', 'Writer', 'Buyer'], 1_000_000n * USD);
  const [eve, ferdie] = ['Eve', 'Ferdie'].map((n) => kr.addFromUri(`//${n}`));

  // The writer sells 5 puts K = 50,000 (0.1 BTC each) with about their initial margin, so a
  // 10% fall of BTC puts it below maintenance. The series expires after the test.
  const params = (await api.query.options.params()).toJSON();
  const now = (await api.query.timestamp.now()).toBigInt();
  const expiry = nextExpiry(now, await api.query.options.params(), 30 * 60_000);
  const { id } = await listSeries(api, alice, { underlying: ASSET.BTC, kind: 'Put', strike: 50_000n * E18, expiry, size: SIZE });
  const perContract = (BigInt(params.imBase) * 5_000n * USD) / 1_000_000n + 60n * USD;
  assert.equal((await submit(api, api.tx.margin.deposit(ASSET.USD, perContract * BigInt(CONTRACTS)), writer)).error, null);
  assert.equal((await submit(api, api.tx.margin.deposit(ASSET.USD, 100_000n * USD), buyer)).error, null);
  assert.equal((await submit(api, api.tx.margin.deposit(ASSET.USD, 10_000n * USD), trader)).error, null);
  const price = await priceNearMark(id);
  const sell = await submit(api, api.tx.options.placeOrder(id, 'Sell', price, CONTRACTS, 'GoodTilCancelled'), writer);
  assert.equal(sell.error, null, `sell: ${JSON.stringify(sell.error)}`);
  const buy = await submit(api, api.tx.options.placeOrder(id, 'Buy', price, CONTRACTS, 'ImmediateOrCancel'), buyer);
  assert.equal(buy.error, null, `buy: ${JSON.stringify(buy.error)}`);
  assert.equal(await position(id, writer.address), -CONTRACTS);

  // Safe mode through a referendum on the emergency track.
  assert.equal(await isEntered(), false);
  await emergencyReferendum(api.tx.safeMode.forceEnter(), [eve, ferdie]);
  await waitFor(() => isEntered(), 90_000, 500);
  const seenAt = (await api.query.system.number()).toNumber();
  const until = (await api.query.safeMode.enteredUntil()).unwrap().toNumber();
  const [entered] = await eventsInBlocks(api, Math.max(1, seenAt - 10), seenAt,
    (e) => e.section === 'safeMode' && e.method === 'Entered');
  assert.ok(entered, 'safeMode.Entered');
  const enteredAt = entered.number;
  assert.equal(entered.event.data.until.toNumber(), until);
  assert.equal(until, enteredAt + 1_200, 'entered for one hour (1,200 blocks) by the referendum\'s enactment');

  // The trader's order and a withdrawal are refused by the call filter; nothing changed.
  const cashBefore = await storedCash(api, trader.address);
  const halted = await submit(api, api.tx.options.placeOrder(id, 'Buy', await priceNearMark(id), 1, 'GoodTilCancelled'), trader);
  assert.deepEqual(halted.error && [halted.error.section, halted.error.name], ['system', 'CallFiltered']);
  assert.equal(findEvents(halted.events, 'options', 'OrderPlaced').length, 0);
  assert.equal(findEvents(halted.events, 'system', 'ExtrinsicFailed').length, 1);
  const withdraw = await submit(api, api.tx.margin.withdraw(ASSET.USD, 1_000n * USD), trader);
  assert.deepEqual(withdraw.error && [withdraw.error.section, withdraw.error.name], ['system', 'CallFiltered']);
  assert.equal(await storedCash(api, trader.address), cashBefore);
  assert.equal(await position(id, trader.address), 0);
  // Adding margin is allowed during the halt.
  const dep = await submit(api, api.tx.margin.deposit(ASSET.USD, 500n * USD), trader);
  assert.equal(dep.error, null, JSON.stringify(dep.error));
  assert.equal(await storedCash(api, trader.address), cashBefore + 500n * USD);

  // BTC falls 10%: the feeders' new values are included and served during the halt...
  const crashedAt = (await api.query.system.number()).toNumber();
  spot = 45_000n * E18;
  const info = await waitForOracle(api, SPOT_KEY, (i) => isAvailable(i) && i.value.unwrap().toBigInt() === 45_000n * E18, 60_000);
  assert.ok(info.value.unwrap().toBigInt() === 45_000n * E18);
  assert.ok(await isEntered(), 'still in safe mode');
  // ...and the offchain worker liquidates the writer (partially: it closes puts until the
  // writer's equity covers its initial margin again).
  await waitFor(async () => (await position(id, writer.address)) > -CONTRACTS, 90_000, 500);
  const head = (await api.query.system.number()).toNumber();
  const [liq] = await eventsInBlocks(api, crashedAt, head,
    (e) => e.section === 'margin' && e.method === 'Liquidated' && e.data.who.toString() === writer.address);
  assert.ok(liq, 'margin.Liquidated of the writer');
  assert.ok(liq.event.data.keeper.isNone, 'by the offchain worker (unsigned batch, no keeper)');
  assert.ok(await isEntered(await api.at(liq.hash)), 'liquidated while in safe mode');
  const feeds = await eventsInBlocks(api, enteredAt + 1, head, (e) => e.section === 'priceOracle' && e.method === 'Fed');
  assert.ok(feeds.length >= 3, `${feeds.length} feeds included during the halt`);

  // Sudo (Root) exits; the trader's order now goes through.
  const exit = await sudo(api.tx.safeMode.forceExit());
  assert.deepEqual(findEvents(exit.events, 'safeMode', 'Exited').map((e) => e.data.reason.toString()), ['Force']);
  assert.equal(await isEntered(), false);
  const placed = await submit(api, api.tx.options.placeOrder(id, 'Buy', await priceNearMark(id), 1, 'GoodTilCancelled'), trader);
  assert.equal(placed.error, null, JSON.stringify(placed.error));
  const ev = findEvents(placed.events, 'options', 'OrderPlaced');
  assert.equal(ev.length, 1);
  assert.equal(ev[0].data.who.toString(), trader.address);
});
