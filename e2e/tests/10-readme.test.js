// The README's polkadot.js snippets run as written against a --dev node (issue 16): every ```js
// block of README.md preceded by the marker comment below is concatenated, in order, into one
// ES module, which runs in a child `node` process with the node's RPC URL substituted for
// ws://127.0.0.1:9944. Feeds come from Dave, Eve and Ferdie (Ferdie added as a feeder by Sudo
// first), so the snippets' own accounts (Alice, Bob, Charlie) have no concurrent transactions.
// Asserted: the module exits 0, Bob writes and Charlie holds one put of the series the snippet
// listed, and the risk-admin referendum of the governance walkthrough raised `mmRate` by 20%.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode } from '../lib/node.js';
import { fixedInner } from '../lib/feeder.js';
import { ASSET, submit, sudoOutcome, startFeeding, waitForOracle, isAvailable } from '../lib/market.js';

const MARKER = '<!-- e2e/tests/10-readme.test.js runs this block -->';
const README = new URL('../../README.md', import.meta.url).pathname;
const E2E_DIR = new URL('..', import.meta.url).pathname;

/** The marked ```js blocks of the README, in order. */
export function readmeSnippets(text) {
  const blocks = [];
  const re = new RegExp(`${MARKER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\n\`\`\`js\\n([\\s\\S]*?)\\n\`\`\``, 'g');
  for (let m; (m = re.exec(text));) blocks.push(m[1]);
  return blocks;
}

let node, api, feeding;

before(async () => {
  await cryptoWaitReady();
  node = await startNode();
  api = node.api;
  const kr = new Keyring({ type: 'sr25519' });
  const [alice, dave, eve, ferdie] = ['Alice', 'Dave', 'Eve', 'Ferdie'].map((n) => kr.addFromUri(`//${n}`));
  const r = await submit(api, api.tx.sudo.sudo(api.tx.priceOracle.addFeeder(ferdie.address)), alice);
  assert.equal(r.error, null);
  assert.equal(sudoOutcome(api, r.events), null, 'priceOracle.addFeeder(Ferdie)');
  const spot = [fixedInner('64990'), fixedInner('65000'), fixedInner('65010')];
  const vol = [fixedInner('0.59'), fixedInner('0.6'), fixedInner('0.61')];
  feeding = startFeeding(api, [dave, eve, ferdie], (i) => [[{ Spot: ASSET.BTC }, spot[i]], [{ ImpliedVol: ASSET.BTC }, vol[i]]]);
  await waitForOracle(api, { Spot: ASSET.BTC }, isAvailable, 60_000);
  await waitForOracle(api, { ImpliedVol: ASSET.BTC }, isAvailable, 30_000);
});

after(async () => {
  if (feeding) await feeding.stop();
  if (node) await node.stop();
});

test('the README snippets (connect, trade, risk-admin referendum) run as written', { timeout: 600_000 }, async () => {
  const snippets = readmeSnippets(readFileSync(README, 'utf8'));
  assert.equal(snippets.length, 3, 'three marked blocks: connecting, trading, governance walkthrough');
  const source = snippets.join('\n').replaceAll('ws://127.0.0.1:9944', node.wsUrl);
  const dir = mkdtempSync(join(E2E_DIR, '.readme-'));
  try {
    const file = join(dir, 'readme.mjs');
    writeFileSync(file, source);
    const paramsBefore = (await api.query.options.params()).toJSON();
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 540_000 });
    assert.equal(run.status, 0, `README snippets failed (status ${run.status}):\n${run.stdout}\n${run.stderr}`);
    console.log(run.stdout.split('\n').filter((l) => /referendum|mmRate/.test(l)).join('\n'));
    assert.match(run.stdout, /referendum \d+ Approved/, 'the walkthrough referendum was approved');

    const kr = new Keyring({ type: 'sr25519' });
    const [bob, charlie] = ['Bob', 'Charlie'].map((n) => kr.addFromUri(`//${n}`));
    const series = (await api.call.optionsApi.series()).toJSON();
    assert.ok(series.length >= 1, 'the snippet listed a series');
    const listed = series[series.length - 1];
    const id = listed.id;
    const pos = async (who) => {
      const p = await api.query.options.positions(id, who.address);
      return p.isSome ? p.unwrap().toNumber() : 0;
    };
    assert.equal(await pos(bob), -1, 'Bob wrote one put');
    assert.equal(await pos(charlie), 1, 'Charlie bought it');
    const after = (await api.query.options.params()).toJSON();
    assert.equal(after.mmRate, Math.round(paramsBefore.mmRate * 1.2), 'mmRate raised 20% by the RiskAdmin referendum');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
