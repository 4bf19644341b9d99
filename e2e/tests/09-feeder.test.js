// solvent-feeder against live HTTP JSON sources on a --dev node (issue 17).
//
// A local HTTP server serves BTC-USD closes from data/btc-usd-daily.csv (CC BY 4.0) through
// five sources: two honest ones (`a`: the close; `b`: the close + 0.4%, as a string, with a
// millisecond timestamp), a liar (+25%), a stale one (the close, but timestamped an hour ago)
// and a dead one (nothing listens on its port). One feeder process (Alice, every block) runs
// through three phases:
// 1. sources: every fed spot value is the mean of the two honest quotes of a row the server
//    served (so within the honest range), the liar, the stale and the dead sources are logged
//    and dropped, the oracle holds Alice's value, and the metrics report the liar's deviation;
// 2. the node restarts under the feeder (same base path and port): the feeder reconnects and
//    feeds again within 2 rounds of the node's return (measured and printed);
// 3. a transaction from Alice with a tip takes the nonce the feeder was about to use: the
//    feeder's feed is rejected, it resyncs its nonce from the node and feeds again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { nodeBinary, freePort, sleep, waitFor } from '../lib/node.js';
import { spawnFeeder, runFeeder, readFeedLog, BTC_CSV } from '../lib/feeder.js';

const BTC = 2;
const dir = mkdtempSync(join(tmpdir(), 'solvent-feeder-e2e-'));
const rows = readFileSync(BTC_CSV, 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).filter((f) => f[0] >= '2021-01-01' && f[4] !== 'null')
  .map((f) => ({ date: f[0], close: Number(f[4]) }));
let row = 0;
const served = new Set([0]);

let server, srcPort, deadPort, node, api, feeder, feederOut = '', feederErr = '';
const ports = {};
const lines = []; // [receivedAtMs, line]

function priceServer() {
  return http.createServer((req, res) => {
    const c = rows[row].close;
    const now = Date.now();
    const body = {
      '/a': { price: c, time: Math.floor(now / 1000) },
      '/b': { data: { last: String(c * 1.004) }, ts: now },
      '/liar': { price: c * 1.25 },
      '/stale': { price: c, time: Math.floor(now / 1000) - 3600 },
    }[req.url];
    if (!body) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
}

/** Start `solvent-node --dev` with a persistent base path on fixed ports. */
async function startDevNode() {
  const log = openSync(join(dir, 'node.log'), 'a');
  const child = spawn(nodeBinary(), ['--dev', '--base-path', join(dir, 'chain'),
    '--rpc-port', String(ports.rpc), '--port', String(ports.p2p), '--prometheus-port', String(ports.prom),
    '--no-mdns', '--no-telemetry'], { stdio: ['ignore', log, log], detached: true });
  const state = { child, exited: false };
  child.on('exit', () => { state.exited = true; });
  // Wait for the RPC port before connecting (no reconnect spam in the test's log).
  await waitFor(() => new Promise((resolve, reject) => {
    const sock = connect(ports.rpc, '127.0.0.1');
    sock.on('connect', () => { sock.destroy(); resolve(true); });
    sock.on('error', () => (state.exited ? reject(new Error(`node exited; see ${dir}/node.log`)) : resolve(false)));
  }), 120_000, 250);
  const a = await ApiPromise.create({ provider: new WsProvider(`ws://127.0.0.1:${ports.rpc}`, 1000), noInitWarn: true });
  return { state, api: a };
}

async function stopDevNode(n, signal = 'SIGTERM') {
  try { await n.api.disconnect(); } catch (_) { /* gone */ }
  try { process.kill(-n.state.child.pid, signal); } catch (_) { /* gone */ }
  await waitFor(() => n.state.exited, 20_000).catch(() => {
    try { process.kill(-n.state.child.pid, 'SIGKILL'); } catch (_) { /* gone */ }
  });
}

const metricsText = async () => (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
function metric(text, name, labels = '') {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (!labels && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}
const included = () => lines.filter(([, l]) => / included in block /.test(l));
const bestNumber = async (a) => (await a.rpc.chain.getHeader()).number.toNumber();
const src = (path, ptr) => `spot:BTC=http://127.0.0.1:${ports.src}${path}#${ptr}`;

before(async () => {
  await cryptoWaitReady();
  for (const k of ['rpc', 'p2p', 'prom', 'metrics', 'src', 'dead']) ports[k] = await freePort();
  server = priceServer();
  await new Promise((r) => server.listen(ports.src, '127.0.0.1', r));
  node = await startDevNode();
  api = node.api;
  feeder = spawnFeeder([
    '--rpc', `ws://127.0.0.1:${ports.rpc}`,
    '--source', src('/a', '/price@/time'),
    '--source', src('/b', '/data/last@/ts'),
    '--source', src('/liar', '/price'),
    '--source', src('/stale', '/price@/time'),
    '--source', `spot:BTC=http://127.0.0.1:${ports.dead}/x#/price`,
    '--implied-vol', '0.8', '--max-deviation-bps', '200', '--max-age', '30', '--http-timeout-ms', '1000',
    '--blocks-per-round', '1', '--max-backoff', '2', '--prometheus-port', String(ports.metrics),
    '--log', join(dir, 'feeds.jsonl'),
  ], { suri: '//Alice' });
  let partial = '';
  feeder.stdout.on('data', (d) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop();
    for (const l of parts) { lines.push([Date.now(), l]); feederOut += `${l}\n`; }
  });
  feeder.stderr.on('data', (d) => { feederErr += d; });
});

after(async () => {
  if (feeder) feeder.kill('SIGKILL');
  if (node) await stopDevNode(node);
  if (server) server.close();
  writeFileSync(join(dir, 'feeder.log'), feederOut + feederErr);
  if (process.env.KEEP_LOGS) console.log(`feeder e2e files: ${dir}`); else rmSync(dir, { recursive: true, force: true });
});

test('median of the honest sources; a liar, a stale and a dead source are logged and dropped', async (t) => {
  // Six rounds, the server moving to the next CSV day every two.
  for (let i = 1; i <= 3; i++) {
    const n = included().length;
    await waitFor(() => included().length >= n + 2, 60_000, 200).catch(() => {
      throw new Error(`no feed included; feeder stdout:\n${feederOut}\nstderr: ${feederErr}`);
    });
    row = i; served.add(i);
  }
  const feeds = readFeedLog(join(dir, 'feeds.jsonl'));
  assert.ok(feeds.length >= 6, `${feeds.length} feeds`);
  for (const f of feeds) {
    const spot = Number(f.values.find((v) => v.key === `Spot(${BTC})`).value);
    assert.equal(f.values.find((v) => v.key === `ImpliedVol(${BTC})`).value, '0.800000000000000000');
    // Exactly the mean of the two honest quotes of a served row (9 decimals kept).
    const match = [...served].some((r) => Math.abs(spot - rows[r].close * 1.002) < 1e-6);
    assert.ok(match, `fed ${spot}: not the honest median of rows ${[...served]}`);
    assert.ok([...served].some((r) => spot >= rows[r].close && spot <= rows[r].close * 1.004));
  }
  const dropped = (path, re) => new RegExp(`source http://127\\.0\\.0\\.1:\\d+${path} for Spot\\(2\\) dropped: ${re}`);
  assert.match(feederOut, dropped('/liar', 'deviates \\+2[0-9]\\.\\d\\d% from the median \\(max 2\\.00%\\)'));
  assert.match(feederOut, dropped('/stale', 'stale: quote is 36\\d\\d\\.\\d s old \\(max 30 s\\)'));
  assert.match(feederOut, dropped('/x', 'failed: request failed'));
  // The oracle holds Alice's last included value: honest, nowhere near the liar's.
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice').address;
  const raw = (await api.query.priceOracle.rawValues({ Spot: BTC })).find((x) => x.feeder.toString() === alice);
  const onChain = Number(raw.value.toBigInt() / 10n ** 9n) / 1e9;
  assert.ok([...served].some((r) => Math.abs(onChain - rows[r].close * 1.002) < 1e-6), `on chain ${onChain}`);
  // Metrics: the liar's deviation from the median of the fresh quotes (a, b, liar: the median
  // is b = 1.004 c, so the liar is 1.25 / 1.004 - 1 = +24.5% off), inclusions, no failure.
  const m = await metricsText();
  const liar = `{key="Spot(2)",source="http://127.0.0.1:${ports.src}/liar"}`;
  assert.ok(Math.abs(metric(m, 'solvent_feeder_source_deviation_ratio', liar) - (1.25 / 1.004 - 1)) < 1e-9);
  assert.ok(metric(m, 'solvent_feeder_feeds_included_total') >= 6);
  assert.equal(metric(m, 'solvent_feeder_feeds_failed_total'), 0);
  assert.ok(metric(m, 'solvent_feeder_last_success_timestamp_seconds') > Date.now() / 1000 - 30);
  t.diagnostic(`${feeds.length} feeds, all at the honest median; liar deviation ${metric(m, 'solvent_feeder_source_deviation_ratio', liar).toFixed(4)}`);
});

test('the node restarts under the feeder: it reconnects and feeds again within 2 rounds', async (t) => {
  const before = included().length;
  const stoppedAt = Date.now();
  await stopDevNode(node, 'SIGKILL'); // a crash
  await sleep(6_000); // the feeder retries with backoff meanwhile
  node = await startDevNode();
  api = node.api;
  const back = Date.now();
  const head = await bestNumber(api);
  await waitFor(() => lines.some(([ts, l]) => ts >= back && / included in block /.test(l)), 60_000, 200);
  const firstSub = lines.find(([ts, l]) => ts >= back && /^\S+ block #\d+ live /.test(l));
  const firstInc = lines.find(([ts, l]) => ts >= back && / included in block /.test(l));
  const subBlock = Number(/block #(\d+)/.exec(firstSub[1])[1]);
  const reconnectMs = firstInc[0] - back;
  t.diagnostic(`node down ${back - stoppedAt} ms; back at #${head}; first feed after it submitted at #${subBlock}, included ${reconnectMs} ms after the node's RPC answered`);
  assert.ok(subBlock <= head + 2, `first feed at #${subBlock}, node back at #${head}`);
  assert.ok(reconnectMs < 2 * 3_000 + 3_000, `reconnected and included in ${reconnectMs} ms`);
  assert.ok(included().length > before);
  assert.equal(feeder.exitCode, null, 'the feeder is still running');
  assert.match(feederOut, /connection to ws:\/\/127\.0\.0\.1:\d+ lost; reconnecting|best-block stream failed/);
  assert.match(feederOut, /retrying in \d s/);
  assert.ok(metric(await metricsText(), 'solvent_feeder_reconnects_total') >= 1);
});

test('a rejected feed (its nonce taken) makes the feeder resync its nonce and feed again', async (t) => {
  const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  // Right after a submission, take the feeder's next nonce with a tipped remark.
  const n0 = lines.length;
  await waitFor(() => lines.slice(n0).some(([, l]) => / nonce \d+ tx /.test(l)), 30_000, 20);
  const last = lines.slice(n0).find(([, l]) => / nonce \d+ tx /.test(l));
  const taken = Number(/ nonce (\d+) tx /.exec(last[1])[1]) + 1;
  const sentAt = Date.now();
  await api.tx.system.remark('0x5ef0').signAndSend(alice, { nonce: taken, tip: 10n ** 15n });
  await waitFor(() => lines.some(([ts, l]) => ts >= sentAt && new RegExp(`nonce resynced from the node: ${taken + 1}`).test(l)), 30_000, 100)
    .catch(() => { throw new Error(`no resync to ${taken + 1}:\n${lines.filter(([ts]) => ts >= sentAt - 5000).map(([, l]) => l).join('\n')}`); });
  const rejected = lines.find(([ts, l]) => ts >= sentAt && new RegExp(`nonce ${taken} (rejected|.*rejected by the pool)`).test(l));
  assert.ok(rejected, `no rejection of nonce ${taken}:\n${feederOut.split('\n').slice(-20).join('\n')}`);
  await waitFor(() => lines.some(([ts, l]) => ts >= sentAt && new RegExp(`feed with nonce ${taken + 1} included`).test(l)), 30_000, 100);
  const inc = lines.find(([ts, l]) => ts >= sentAt && new RegExp(`feed with nonce ${taken + 1} included`).test(l));
  t.diagnostic(`nonce ${taken} taken; rejected: "${rejected[1].slice(25, 140)}"; fed again with ${taken + 1} ${inc[0] - rejected[0]} ms after the rejection`);
  const m = await metricsText();
  assert.ok(metric(m, 'solvent_feeder_feeds_failed_total') >= 1);
  assert.equal(feeder.exitCode, null);
});

test('--dry-run prints the live median without a key; --once feeds one round and exits 0', async () => {
  const args = ['--rpc', `ws://127.0.0.1:${ports.rpc}`, '--source', src('/a', '/price@/time'),
    '--source', src('/b', '/data/last@/ts'), '--source', src('/liar', '/price'), '--implied-vol', '0.8'];
  const dry = await runFeeder([...args, '--dry-run'], { timeoutMs: 30_000 });
  assert.equal(dry.code, 0, dry.stderr);
  const printed = Number(/Spot\(2\)=([0-9.]+) ImpliedVol\(2\)=0\.800000000000000000/.exec(dry.stdout)[1]);
  assert.ok(Math.abs(printed - rows[row].close * 1.002) < 1e-6, `dry run printed ${printed}`);
  const bob = new Keyring({ type: 'sr25519' }).addFromUri('//Bob').address;
  const once = await runFeeder([...args, '--once'], { suri: '//Bob', timeoutMs: 90_000 });
  assert.equal(once.code, 0, `${once.stdout}\n${once.stderr}`);
  assert.match(once.stdout, /feed with nonce \d+ included in block/);
  const raw = (await api.query.priceOracle.rawValues({ Spot: BTC })).find((x) => x.feeder.toString() === bob);
  assert.ok(Math.abs(Number(raw.value.toBigInt() / 10n ** 9n) / 1e9 - rows[row].close * 1.002) < 1e-6);
  // No source answers: --once exits 1 with one line on stderr, having fed nothing.
  const none = await runFeeder(['--rpc', `ws://127.0.0.1:${ports.rpc}`, '--source', `spot:BTC=http://127.0.0.1:${ports.dead}/x#/p`, '--dry-run'], { timeoutMs: 30_000 });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^solvent-feeder: no value from the sources\n$/);
});
