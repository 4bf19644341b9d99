// Run `solvent-feeder` processes for tests.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Path of the feeder binary: $SOLVENT_FEEDER, else the release build in the shared target dir. */
export function feederBinary() {
  if (process.env.SOLVENT_FEEDER) return process.env.SOLVENT_FEEDER;
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache', 'solvent', 'target');
  return join(target, 'release', 'solvent-feeder');
}

/** Spawn `solvent-feeder ...args` with the key `suri` in SOLVENT_FEEDER_SURI (never argv). */
export function spawnFeeder(args, { suri, env = {} } = {}) {
  const childEnv = { ...process.env, ...env };
  if (suri !== undefined) childEnv.SOLVENT_FEEDER_SURI = suri; else delete childEnv.SOLVENT_FEEDER_SURI;
  return spawn(feederBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
}

/** BTC-USD daily prices shipped in the repository (data/README.md: source and CC BY 4.0 attribution). */
export const BTC_CSV = new URL('../../data/btc-usd-daily.csv', import.meta.url).pathname;

/** Run a feeder to completion with the key `suri`; resolves { code, stdout, stderr }. */
export function runFeeder(args, { suri, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawnFeeder(args, { suri });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** The JSON lines a feeder wrote with `--log`. */
export function readFeedLog(path) {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** A decimal string with 18 decimals -> bigint of the FixedU128 inner value. */
export function fixedInner(s) {
  const [i, f = ''] = s.split('.');
  return BigInt(i) * 10n ** 18n + BigInt((f + '0'.repeat(18)).slice(0, 18));
}

/** Median as the oracle computes it: middle value, or the floor of the mean of the two middle. */
export function median(values) {
  const v = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2n;
}
