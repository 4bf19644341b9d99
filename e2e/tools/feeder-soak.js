// Soak test of solvent-feeder (issue 17): a --dev node, a local HTTP server serving BTC-USD
// closes from data/btc-usd-daily.csv (two honest sources and a liar, one CSV day per minute),
// and one feeder (Alice, every block, live sources, implied vol 0.8) for --minutes; the node is
// killed (SIGKILL) at --restart-at minutes and restarted 10 s later on the same base path.
//
//   node e2e/tools/feeder-soak.js [--minutes 30] [--restart-at 15] [--out report.json]
//
// Reports blocks produced, feeds included, feeds missed (blocks whose author had no feed from
// the feeder to include: blocks - included), failures, skipped rounds, the reconnect time (node
// RPC back -> first feed included) and the longest gap between included feeds. Exits non-zero
// if the feeder died, or missed more than 2 blocks outside the restart.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeBinary, freePort, sleep, waitFor } from '../lib/node.js';
import { spawnFeeder, BTC_CSV } from '../lib/feeder.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const minutes = Number(arg('minutes', 30));
const restartAt = Number(arg('restart-at', minutes / 2));
const dir = mkdtempSync(join(tmpdir(), 'solvent-feeder-soak-'));
const out = arg('out', join(dir, 'report.json'));
const log = (m) => console.log(`${new Date().toISOString()} soak: ${m}`);

const rows = readFileSync(BTC_CSV, 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split(',')).filter((f) => f[0] >= '2020-01-01' && f[4] !== 'null').map((f) => Number(f[4]));
const t0 = Date.now();
const close = () => rows[Math.floor((Date.now() - t0) / 60_000) % rows.length];
const server = http.createServer((req, res) => {
  const c = close();
  const body = { '/a': { price: c, time: Date.now() / 1000 }, '/b': { last: String(c * 1.004) }, '/liar': { price: c * 1.3 } }[req.url];
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(body ? JSON.stringify(body) : '');
});

const ports = {};
for (const k of ['rpc', 'p2p', 'prom', 'metrics', 'src']) ports[k] = await freePort();
await new Promise((r) => server.listen(ports.src, '127.0.0.1', r));

async function rpc(method, params = []) {
  const r = await fetch(`http://127.0.0.1:${ports.rpc}`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 1, jsonrpc: '2.0', method, params }),
  });
  return (await r.json()).result;
}
const best = async () => parseInt((await rpc('chain_getHeader')).number, 16);

let nodeChild, nodeExited;
async function startNode() {
  const fd = openSync(join(dir, 'node.log'), 'a');
  nodeChild = spawn(nodeBinary(), ['--dev', '--base-path', join(dir, 'chain'), '--rpc-port', String(ports.rpc),
    '--port', String(ports.p2p), '--prometheus-port', String(ports.prom), '--no-mdns', '--no-telemetry'],
  { stdio: ['ignore', fd, fd], detached: true });
  nodeExited = false;
  nodeChild.on('exit', () => { nodeExited = true; });
  await waitFor(() => new Promise((resolve) => {
    const s = connect(ports.rpc, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  }), 120_000, 250);
  await waitFor(async () => { try { return (await best()) >= 0; } catch (_) { return false; } }, 60_000, 250);
}
const killNode = () => { try { process.kill(-nodeChild.pid, 'SIGKILL'); } catch (_) { /* gone */ } };
process.on('exit', () => { killNode(); if (feeder) feeder.kill('SIGKILL'); });

await startNode();
const startBlock = await best();
log(`node up at #${startBlock}; files in ${dir}`);
const src = (p, ptr) => `spot:BTC=http://127.0.0.1:${ports.src}${p}#${ptr}`;
const feeder = spawnFeeder(['--rpc', `ws://127.0.0.1:${ports.rpc}`,
  '--source', src('/a', '/price@/time'), '--source', src('/b', '/last'), '--source', src('/liar', '/price'),
  '--implied-vol', '0.8', '--max-age', '30', '--max-backoff', '4',
  '--prometheus-port', String(ports.metrics), '--log', join(dir, 'feeds.jsonl')], { suri: '//Alice' });
const lines = [];
let partial = '';
feeder.stdout.on('data', (d) => {
  partial += d;
  const parts = partial.split('\n');
  partial = parts.pop();
  for (const l of parts) lines.push([Date.now(), l]);
});
let feederErr = '';
feeder.stderr.on('data', (d) => { feederErr += d; });

const endAt = t0 + minutes * 60_000;
await sleep(Math.max(0, t0 + restartAt * 60_000 - Date.now()));
const killedAt = Date.now();
const blockAtKill = await best();
killNode();
await waitFor(() => nodeExited, 10_000).catch(() => {});
log(`node killed at #${blockAtKill}`);
await sleep(10_000);
await startNode();
const backAt = Date.now();
const blockAtBack = await best();
log(`node back at #${blockAtBack} after ${backAt - killedAt} ms`);
await sleep(Math.max(0, endAt - Date.now()));
const endBlock = await best();

const metrics = await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text();
const m = (name) => Number((metrics.split('\n').find((l) => l.startsWith(`${name} `)) || ' NaN').split(' ').pop());
const inc = lines.filter(([, l]) => / included in block /.test(l)).map(([ts]) => ts);
const firstAfter = inc.find((ts) => ts >= backAt);
let maxGap = 0;
for (let i = 1; i < inc.length; i++) maxGap = Math.max(maxGap, inc[i] - inc[i - 1]);
const blocks = (blockAtKill - startBlock) + (endBlock - blockAtBack);
const included = m('solvent_feeder_feeds_included_total');
const report = {
  minutes, restartAtMinutes: restartAt, blocks, blocksBeforeRestart: blockAtKill - startBlock,
  blocksAfterRestart: endBlock - blockAtBack, feedsSubmitted: m('solvent_feeder_feeds_submitted_total'),
  feedsIncluded: included, feedsFailed: m('solvent_feeder_feeds_failed_total'),
  roundsSkipped: m('solvent_feeder_rounds_skipped_total'), reconnects: m('solvent_feeder_reconnects_total'),
  feedsMissed: blocks - included, nodeDownMs: backAt - killedAt,
  reconnectMs: firstAfter === undefined ? null : firstAfter - backAt, maxGapBetweenInclusionsMs: maxGap,
  feederAlive: feeder.exitCode === null, feederStderr: feederErr,
};
writeFileSync(out, JSON.stringify(report, null, 2));
writeFileSync(join(dir, 'feeder.log'), lines.map(([, l]) => l).join('\n'));
log(JSON.stringify(report));
feeder.kill('SIGTERM');
killNode();
server.close();
const ok = report.feederAlive && report.reconnectMs !== null && report.feedsMissed <= 2 + 2;
log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
