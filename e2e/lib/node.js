// Start a real solvent-node for a test and stop it afterwards, also on failure.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';

/** Path of the node binary: $SOLVENT_NODE, else the release build in the shared target dir. */
export function nodeBinary() {
  if (process.env.SOLVENT_NODE) return process.env.SOLVENT_NODE;
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'solvent', 'target');
  return join(target, 'release', 'solvent-node');
}

/** A free TCP port on localhost. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set();
function killAll() {
  for (const child of running) {
    try { process.kill(-child.pid, 'SIGKILL'); } catch (_) { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });

/**
 * Start `solvent-node --dev --tmp` (or with `args`) on free ports and connect an ApiPromise.
 * Returns { api, wsUrl, logFile, stop }. `stop()` disconnects and kills the node.
 */
export async function startNode({ args = ['--dev'], timeoutMs = 120_000, extraArgs = [] } = {}) {
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const promPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'solvent-e2e-'));
  const logFile = join(dir, 'node.log');
  const log = openSync(logFile, 'a');
  const child = spawn(nodeBinary(), [
    ...args, '--tmp', '--rpc-port', String(rpcPort), '--port', String(p2pPort),
    '--prometheus-port', String(promPort), '--no-mdns', '--no-telemetry', ...extraArgs,
    // SOLVENT_NODE_LOG=target=level,...: extra log targets for debugging (kept with KEEP_LOGS=1).
    ...(process.env.SOLVENT_NODE_LOG ? ['-l', process.env.SOLVENT_NODE_LOG] : []),
  ], { stdio: ['ignore', log, log], detached: true });
  running.add(child);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; running.delete(child); });

  const wsUrl = `ws://127.0.0.1:${rpcPort}`;
  const deadline = Date.now() + timeoutMs;
  let api;
  while (!api) {
    if (exited) throw new Error(`solvent-node exited early (${JSON.stringify(exited)}); log: ${logFile}\n${tail(logFile)}`);
    if (Date.now() > deadline) { kill(child); throw new Error(`solvent-node RPC not ready in ${timeoutMs} ms; log: ${logFile}`); }
    try {
      const provider = new WsProvider(wsUrl, false);
      await provider.connect();
      await waitFor(() => provider.isConnected, 2_000);
      api = await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
    } catch (_) {
      await sleep(500);
    }
  }
  const stop = async () => {
    try { await api.disconnect(); } catch (_) { /* ignore */ }
    kill(child);
    await waitFor(() => exited !== null, 10_000).catch(() => {});
    if (!process.env.KEEP_LOGS) rmSync(dir, { recursive: true, force: true });
  };
  return { api, wsUrl, logFile, stop, rpcPort, promPort, p2pPort };
}

function kill(child) {
  try { process.kill(-child.pid, 'SIGTERM'); } catch (_) { /* gone */ }
  setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch (_) { /* gone */ } }, 5_000).unref();
}

function tail(file) {
  try { return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n'); } catch (_) { return ''; }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(pred, timeoutMs, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error('timeout');
    await sleep(stepMs);
  }
}
