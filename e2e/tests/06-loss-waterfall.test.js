// Issue 15's loss waterfall on a live --dev node through @polkadot/api: a writer made bankrupt
// by a 40% crash leaves more bad debt than the insurance fund may pay in one block; the fund
// takes all of it over, pays its cap in the liquidation's block and the rest first thing in the
// following blocks (`margin.uncoveredBadDebt` falls by exactly the cap per block), nothing is
// socialized (its cash backs the debt), a staker cannot withdraw while the fund owes, can once
// it is paid, and a donation raises the fund's value without minting shares. Afterwards the
// margin pallet's USD custody plus what the fund owes covers every account's cash.
//
// Prices: three dev feeders (Bob, Charlie, Dave; quorum 3) feed BTC spot and implied vol in the
// background; the test moves the spot by changing what they feed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, waitFor } from '../lib/node.js';
import { findEvents } from '../lib/tx.js';
import { fixedInner } from '../lib/feeder.js';
import {
  E18, USD, ASSET, submit, sendInBlock, startFeeding, waitForOracle, isAvailable, palletAccount,
  tokenBalance, nextExpiry, listSeries, sudoOutcome, withAccount, eventsInBlocks,
  fundedAccounts,
} from '../lib/market.js';

const SPOT_KEY = { Spot: ASSET.BTC };
const VOL_KEY = { ImpliedVol: ASSET.BTC };
const VOL = fixedInner('0.8');
const SLV = 10n ** 12n;
const SIZE = E18 / 10n; // 0.1 BTC per contract
const CONTRACTS = 20;

let node, api, feeding, alice, kr, fund, marginPallet;
let spot = 50_000n * E18;

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
});

after(async () => {
  if (feeding) await feeding.stop();
  if (node) await node.stop();
});

/** Fresh accounts with SLV for fees and `usd` USD units of tokens. */
const accounts = (names, usd) => fundedAccounts(api, kr, alice, 'Waterfall', names, usd);

async function sudo(call) {
  const r = await submit(api, api.tx.sudo.sudo(call), alice);
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(sudoOutcome(api, r.events), null, `${call.method.section}.${call.method.method}`);
}

const errorName = (r) => r.error && r.error.name;
const owedAt = async (hash) => (await (await api.at(hash)).query.margin.uncoveredBadDebt()).toBigInt();

test('bad debt above the per-block cap: the fund pays it over the next blocks, stakers wait, a donation adds value', async () => {
  // The payout cap from 100,000 USD down to 3,125 USD a block, within the 50% step per change.
  let cap = (await api.query.insuranceFund.params()).payoutCapPerBlock.toBigInt();
  while (cap > 3_125n * USD) {
    cap /= 2n;
    const p = (await api.query.insuranceFund.params()).toJSON();
    await sudo(api.tx.insuranceFund.setParams({ ...p, payoutCapPerBlock: cap }));
  }
  assert.equal(cap, 3_125n * USD);

  // A staker stakes and asks to leave; the cooldown (10 blocks on --dev) passes before the crash.
  const [staker, writer, buyer, donor] = await accounts(['Staker', 'Writer', 'Buyer', 'Donor'], 1_000_000n * USD);
  assert.equal((await submit(api, api.tx.insuranceFund.stake(1_000n * USD), staker)).error, null);
  const shares = (await api.query.insuranceFund.shares(staker.address)).unwrap().shares.toBigInt();
  const req = await submit(api, api.tx.insuranceFund.requestUnstake(shares), staker);
  assert.equal(req.error, null);
  const unlockAt = findEvents(req.events, 'insuranceFund', 'UnstakeRequested')[0].data.unlockAt.toNumber();

  // The writer sells 20 puts K = 50,000 (0.1 BTC each) with about their initial margin.
  const params = (await api.query.options.params()).toJSON();
  const now = (await api.query.timestamp.now()).toBigInt();
  const expiry = nextExpiry(now, await api.query.options.params(), 30 * 60_000);
  const { id } = await listSeries(api, alice, { underlying: ASSET.BTC, kind: 'Put', strike: 50_000n * E18, expiry, size: SIZE });
  const perContract = (BigInt(params.imBase) * 5_000n * USD) / 1_000_000n + 60n * USD;
  const deposit = perContract * BigInt(CONTRACTS);
  assert.equal((await submit(api, api.tx.margin.deposit(ASSET.USD, deposit), writer)).error, null);
  assert.equal((await submit(api, api.tx.margin.deposit(ASSET.USD, 100_000n * USD), buyer)).error, null);
  const m = (await api.call.optionsApi.mark(id)).unwrap();
  let tick = (BigInt(params.tickSize) * SIZE) / E18;
  if (tick < 1n) tick = 1n;
  const price = ((m.markPerContract.toBigInt() / tick) + 1n) * tick;
  const sell = await submit(api, api.tx.options.placeOrder(id, 'Sell', price, CONTRACTS, 'GoodTilCancelled'), writer);
  assert.equal(sell.error, null, `sell: ${JSON.stringify(sell.error)}`);
  const buy = await submit(api, api.tx.options.placeOrder(id, 'Buy', price, CONTRACTS, 'ImmediateOrCancel'), buyer);
  assert.equal(buy.error, null, `buy: ${JSON.stringify(buy.error)}`);
  await waitFor(async () => (await api.query.system.number()).toNumber() >= unlockAt, 60_000, 1_000);

  // BTC falls 40% (inside the dev breaker's 50%): each put is worth about 2,000 USD, the writer
  // owes about 40,000 - 1,000 x 20: bankrupt. The offchain worker liquidates it.
  const owed = async () => (await api.query.margin.uncoveredBadDebt()).toBigInt();
  const crashedAt = (await api.query.system.number()).toNumber();
  spot = 30_000n * E18;
  await waitFor(async () => (await owed()) > 0n, 90_000, 500);

  // While the fund owes, the staker cannot leave.
  const early = await submit(api, api.tx.insuranceFund.withdrawUnstaked(), staker);
  assert.equal(errorName(early), 'BadDebtPending');

  await waitFor(async () => (await owed()) === 0n, 90_000, 500);
  const head = (await api.query.system.number()).toNumber();
  const [bad] = await eventsInBlocks(api, crashedAt, head,
    (e) => e.section === 'margin' && e.method === 'BadDebt' && e.data.who.toString() === writer.address);
  assert.ok(bad, 'margin.BadDebt of the writer');
  const amount = bad.event.data.amount.toBigInt();
  assert.ok(amount > 4n * cap, `bad debt ${amount} above four blocks of cover`);
  assert.equal(bad.event.data.toFund.toBigInt(), amount, 'the fund takes all of it over: its cash backs it');
  assert.equal(bad.event.data.paid.toBigInt(), cap, 'and pays its cap in the same block');
  assert.equal(bad.event.data.socialized.toBigInt(), 0n, 'nothing socialized');
  // Block by block, the fund paid exactly its cap, first thing, until the debt was paid.
  const blocks = Number((amount + cap - 1n) / cap);
  for (let k = 0; k < blocks; k++) {
    const hash = await api.rpc.chain.getBlockHash(bad.number + k);
    const expected = amount - cap * BigInt(k + 1);
    assert.equal(await owedAt(hash), expected > 0n ? expected : 0n, `owed after block ${bad.number + k}`);
  }
  const social = await eventsInBlocks(api, crashedAt, head, (e) => e.section === 'margin' && e.method === 'LossSocialized');
  assert.equal(social.length, 0, 'nothing socialized');

  // Paid: the staker leaves with its shares' value.
  const before = await tokenBalance(api, ASSET.USD, staker.address);
  const out = await submit(api, api.tx.insuranceFund.withdrawUnstaked(), staker);
  assert.equal(out.error, null, JSON.stringify(out.error));
  const paid = findEvents(out.events, 'insuranceFund', 'Unstaked')[0].data.amount.toBigInt();
  assert.equal(await tokenBalance(api, ASSET.USD, staker.address), before + paid);

  // A donation raises the fund's cash and mints no shares.
  const sharesBefore = (await api.query.insuranceFund.totalShares()).toBigInt();
  const d = await submit(api, api.tx.insuranceFund.donate(500n * USD), donor);
  assert.equal(d.error, null);
  assert.deepEqual(findEvents(d.events, 'insuranceFund', 'Donated').map((e) => [e.data.who.toString(), e.data.amount.toBigInt()]),
    [[donor.address, 500n * USD]]);
  assert.deepEqual(findEvents(d.events, 'margin', 'Deposited').map((e) => [e.data.who.toString(), e.data.amount.toBigInt()]),
    [[fund, 500n * USD]], 'into the fund\'s margin account');
  assert.equal((await api.query.insuranceFund.totalShares()).toBigInt(), sharesBefore);

  // Custody: USD held + owed by the fund >= every account's cash (at the cash index).
  const held = await tokenBalance(api, ASSET.USD, marginPallet);
  const [stillOwed] = (await api.call.marginApi.losses()).toJSON();
  let cash = 0n;
  for (const [k] of await api.query.margin.accounts.entries()) {
    cash += BigInt((await api.call.marginApi.account(k.args[0])).toJSON().cash);
  }
  assert.ok(held + BigInt(stillOwed) >= cash, `custody ${held} + owed ${stillOwed} >= cash ${cash}`);
});
