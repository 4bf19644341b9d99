// Oracle end to end: three feeder processes replay 30 days of real BTC-USD closes (CC BY 4.0,
// Yahoo Finance via parsabe/Open-data) into a --dev node; polkadot.js reads the aggregate
// through the runtime API and storage and checks it against the median of what was sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode } from '../lib/node.js';
import { runFeeder, readFeedLog, fixedInner, median, BTC_CSV } from '../lib/feeder.js';

const BTC = 2;
let node, api, keyring;
const dir = mkdtempSync(join(tmpdir(), 'solvent-oracle-'));

before(async () => {
  await cryptoWaitReady();
  node = await startNode();
  api = node.api;
  keyring = new Keyring({ type: 'sr25519' });
});
after(async () => { if (node) await node.stop(); });

test('feeder rejects bad input with a one-line error and exit code 1', async () => {
  const cases = [
    [['--csv', '/nonexistent.csv'], /cannot read CSV file/],
    [['--csv', BTC_CSV, '--asset', 'DOGE'], /unknown asset 'DOGE'/],
    [['--csv', BTC_CSV, '--column', 'Price'], /no column 'Price'/],
    [['--csv', BTC_CSV, '--from', '2030-01-01'], /no CSV rows with a price/],
    [['--csv', BTC_CSV, '--from', '2020-03-01', '--to', '2020-03-02', '--rpc', 'ws://127.0.0.1:1', '--startup-timeout', '0'], /cannot connect to node/],
    [['--csv', BTC_CSV, '--suri-file', '/nonexistent/suri'], /cannot read --suri-file/],
  ];
  for (const [args, re] of cases) {
    const r = await runFeeder(args, { suri: '//Alice', timeoutMs: 30_000 });
    assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  // No key: an error, never a default key; a secret on the command line is refused (clap: 2).
  const nokey = await runFeeder(['--csv', BTC_CSV], { timeoutMs: 30_000 });
  assert.equal(nokey.code, 1);
  assert.match(nokey.stderr, /no key: give --suri-file PATH or set SOLVENT_FEEDER_SURI/);
  const argv = await runFeeder(['--csv', BTC_CSV, '--suri', '//Alice'], { timeoutMs: 30_000 });
  assert.equal(argv.code, 2);
  assert.match(argv.stderr, /unexpected argument '--suri'/);
});

test('three feeders replay 30 days; aggregate == median of the last values sent', async () => {
  const feeders = ['Alice', 'Bob', 'Charlie'];
  const accounts = feeders.map((n) => keyring.addFromUri(`//${n}`).address);
  const slvBefore = await Promise.all(accounts.map(async (a) => (await api.query.system.account(a)).data.free.toBigInt()));
  const runs = feeders.map((n, i) => runFeeder([
    '--rpc', node.wsUrl, '--csv', BTC_CSV, '--asset', 'BTC',
    '--from', '2020-02-15', '--to', '2020-03-15', '--noise-bps', '25', '--seed', String(i + 1),
    '--realized-vol-window', '30', '--log', join(dir, `${n}.jsonl`),
  ], { suri: `//${n}` }));
  const results = await Promise.all(runs);
  results.forEach((r, i) => assert.equal(r.code, 0, `${feeders[i]} feeder failed: ${r.stderr}`));

  // Let the last feeds land.
  const logs = feeders.map((n) => readFeedLog(join(dir, `${n}.jsonl`)));
  logs.forEach((l) => assert.equal(l.length, 30));
  await new Promise((r) => setTimeout(r, 7_000));

  for (const [keyName, keyJson] of [['Spot(2)', { Spot: BTC }], ['ImpliedVol(2)', { ImpliedVol: BTC }]]) {
    const last = logs.map((l) => fixedInner(l[l.length - 1].values.find((v) => v.key === keyName).value));
    const info = (await api.call.oracleApi.value(keyJson)).unwrap();
    assert.equal(info.status.toString(), 'Available');
    assert.equal(info.fresh.toNumber(), 3);
    assert.equal(info.value.unwrap().toBigInt(), median(last), `${keyName} aggregate`);
    // The same aggregate in storage (`priceOracle.keyStates`), with its fresh count.
    const state = (await api.query.priceOracle.keyStates(keyJson)).unwrap();
    assert.equal(state.aggregate.unwrap().toBigInt(), median(last), `${keyName} stored aggregate`);
    assert.equal(state.fresh.toNumber(), 3);
    assert.ok(state.halt.isNone);
    // Each feeder's last value, through the runtime API and through storage.
    for (let i = 0; i < feeders.length; i++) {
      const f = info.feeders.find((x) => x.feeder.toString() === accounts[i]);
      assert.equal(f.value.toBigInt(), last[i]);
      const raw = (await api.query.priceOracle.rawValues(keyJson)).find((x) => x.feeder.toString() === accounts[i]);
      assert.equal(raw.value.toBigInt(), last[i]);
    }
  }
  // Valid feeds from current feeders pay no fee.
  const slvAfter = await Promise.all(accounts.map(async (a) => (await api.query.system.account(a)).data.free.toBigInt()));
  assert.deepEqual(slvAfter, slvBefore);
});

test('a non-feeder is rejected by the pool: no fee, no nonce, no state', async () => {
  const ferdie = keyring.addFromUri('//Ferdie');
  const before = await api.query.system.account(ferdie.address);
  await assert.rejects(
    api.tx.priceOracle.feedValues([[{ Spot: BTC }, 1n * 10n ** 18n]]).signAndSend(ferdie),
    /1010|Invalid Transaction/,
  );
  const after = await api.query.system.account(ferdie.address);
  assert.equal(after.nonce.toNumber(), before.nonce.toNumber());
  assert.equal(after.data.free.toBigInt(), before.data.free.toBigInt());
  const raw = await api.query.priceOracle.rawValues({ Spot: BTC });
  assert.ok(!raw.some((x) => x.feeder.toString() === ferdie.address));
});
