// The node spine: blocks, finality, signed transfers with exact balances, a failing extrinsic.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, waitFor } from '../lib/node.js';
import { submitAndFinalize, feePaid, findEvents } from '../lib/tx.js';

const USD = 1; // asset id of the USD stablecoin (6 decimals)
let node, api, alice, bob, charlie;

before(async () => {
  await cryptoWaitReady();
  node = await startNode();
  api = node.api;
  const keyring = new Keyring({ type: 'sr25519' });
  alice = keyring.addFromUri('//Alice');
  bob = keyring.addFromUri('//Bob');
  charlie = keyring.addFromUri('//Charlie');
});

after(async () => { if (node) await node.stop(); });

async function header(hash) { return hash ? api.rpc.chain.getHeader(hash) : api.rpc.chain.getHeader(); }

test('chain properties: SLV with 12 decimals', async () => {
  const props = await api.rpc.system.properties();
  assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'SLV');
  assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
  assert.equal(api.consts.timestamp.minimumPeriod.toNumber() * 2, 3000); // 3-second blocks
});

test('blocks are produced and finalized', async () => {
  const best0 = (await header()).number.toNumber();
  const fin0 = (await header(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  await waitFor(async () => (await header(await api.rpc.chain.getFinalizedHead())).number.toNumber() >= fin0 + 3, 60_000, 500);
  const best1 = (await header()).number.toNumber();
  const fin1 = (await header(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  assert.ok(best1 >= best0 + 3, `best advanced ${best0} -> ${best1}`);
  assert.ok(fin1 >= fin0 + 3, `finalized advanced ${fin0} -> ${fin1}`);
});

test('collateral assets exist with their decimals', async () => {
  const expected = { 1: ['USD', 6], 2: ['BTC', 8], 3: ['ETH', 18] };
  for (const [id, [symbol, decimals]] of Object.entries(expected)) {
    const md = await api.query.assets.metadata(Number(id));
    assert.equal(md.symbol.toUtf8(), symbol);
    assert.equal(md.decimals.toNumber(), decimals);
  }
});

test('balances transfer: included, finalized, exact balances after fees', async () => {
  const amount = 1_234_567_890_123n;
  const tx = api.tx.balances.transferKeepAlive(charlie.address, amount);
  const res = await submitAndFinalize(api, tx, alice);
  assert.equal(res.error, null);
  const blk = await api.rpc.chain.getBlock(res.blockHash);
  const before = await api.at(blk.block.header.parentHash);
  const after = await api.at(res.blockHash);
  const a0 = (await before.query.system.account(alice.address)).data.free.toBigInt();
  const a1 = (await after.query.system.account(alice.address)).data.free.toBigInt();
  const c0 = (await before.query.system.account(charlie.address)).data.free.toBigInt();
  const c1 = (await after.query.system.account(charlie.address)).data.free.toBigInt();
  const fee = feePaid(res.events);
  assert.ok(fee > 0n);
  assert.equal(a0 - a1, amount + fee);
  assert.equal(c1 - c0, amount);
  const [ev] = findEvents(res.events, 'balances', 'Transfer');
  assert.equal(ev.data.from.toString(), alice.address);
  assert.equal(ev.data.to.toString(), charlie.address);
  assert.equal(ev.data.amount.toBigInt(), amount);
  assert.equal(findEvents(res.events, 'system', 'ExtrinsicSuccess').length, 1);
});

test('assets transfer: USD moves exactly, fee paid in SLV', async () => {
  const amount = 2_500_000n; // 2.5 USD
  const res = await submitAndFinalize(api, api.tx.assets.transferKeepAlive(USD, bob.address, amount), alice);
  assert.equal(res.error, null);
  const blk = await api.rpc.chain.getBlock(res.blockHash);
  const before = await api.at(blk.block.header.parentHash);
  const after = await api.at(res.blockHash);
  const bal = async (at, who) => (await at.query.assets.account(USD, who)).unwrap().balance.toBigInt();
  assert.equal((await bal(before, alice.address)) - (await bal(after, alice.address)), amount);
  assert.equal((await bal(after, bob.address)) - (await bal(before, bob.address)), amount);
  const slv0 = (await before.query.system.account(alice.address)).data.free.toBigInt();
  const slv1 = (await after.query.system.account(alice.address)).data.free.toBigInt();
  assert.equal(slv0 - slv1, feePaid(res.events));
  const [ev] = findEvents(res.events, 'assets', 'Transferred');
  assert.equal(ev.data.assetId.toNumber(), USD);
  assert.equal(ev.data.amount.toBigInt(), amount);
});

test('insufficient balance: decoded module error, no balance changes but the fee', async () => {
  const held = (await api.query.assets.account(USD, bob.address)).unwrap().balance.toBigInt();
  const res = await submitAndFinalize(api, api.tx.assets.transfer(USD, charlie.address, held + 1n), bob);
  assert.deepEqual({ kind: res.error.kind, section: res.error.section, name: res.error.name },
    { kind: 'Module', section: 'assets', name: 'BalanceLow' });
  assert.equal(findEvents(res.events, 'system', 'ExtrinsicFailed').length, 1);
  const blk = await api.rpc.chain.getBlock(res.blockHash);
  const before = await api.at(blk.block.header.parentHash);
  const after = await api.at(res.blockHash);
  const bal = async (at, who) => (await at.query.assets.account(USD, who)).unwrap().balance.toBigInt();
  assert.equal(await bal(after, bob.address), await bal(before, bob.address));
  assert.equal(await bal(after, charlie.address), await bal(before, charlie.address));
  const s0 = (await before.query.system.account(bob.address)).data.free.toBigInt();
  const s1 = (await after.query.system.account(bob.address)).data.free.toBigInt();
  assert.equal(s0 - s1, feePaid(res.events));

  // SLV: more than the free balance fails with a decoded token error and moves nothing.
  const free = (await api.query.system.account(bob.address)).data.free.toBigInt();
  const res2 = await submitAndFinalize(api, api.tx.balances.transferKeepAlive(charlie.address, free * 2n), bob);
  assert.equal(res2.error.kind, 'Token');
  assert.equal(res2.error.detail.Token, 'FundsUnavailable');
  const blk2 = await api.rpc.chain.getBlock(res2.blockHash);
  const b2 = await api.at(blk2.block.header.parentHash);
  const a2 = await api.at(res2.blockHash);
  const c0 = (await b2.query.system.account(charlie.address)).data.free.toBigInt();
  const c1 = (await a2.query.system.account(charlie.address)).data.free.toBigInt();
  assert.equal(c1, c0);
  const bob0 = (await b2.query.system.account(bob.address)).data.free.toBigInt();
  const bob1 = (await a2.query.system.account(bob.address)).data.free.toBigInt();
  assert.equal(bob0 - bob1, feePaid(res2.events));
});
