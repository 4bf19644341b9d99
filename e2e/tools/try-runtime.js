// try-runtime against a live local chain (run by scripts/try-runtime.sh, which builds the wasm):
//
// 1. Starts a dev chain (`solvent-node --dev`, the node's own runtime) and writes state into
//    every pallet of ours: three feeders feed BTC spot and vol; Bob and Charlie deposit USD in
//    margin; Alice (sudo) lists a BTC call, Bob rests asks, Charlie buys (positions, resting
//    orders, fees), Dave stakes in the insurance fund and requests an unstake.
// 2. Starts a second, non-validating node on the same chain with
//    `--wasm-runtime-overrides <dir>`, the dir holding the runtime built with `try-runtime`
//    (same spec_version as the chain's, so it replaces the chain's code on this node only); once
//    synced, calls `TryRuntime_on_runtime_upgrade(UpgradeCheckSelect::All)` at its best block:
//    every migration of `Migrations` with its pre/post checks, the storage-version checks, a
//    decode of the entire state, and every pallet's `try_state`. A failed check panics in the
//    runtime and the call returns an error: exit 1.
// 3. Then `TryRuntime_execute_block` of that block with all `try_state` checks, too.
//
// Usage: SOLVENT_TRY_RUNTIME_DIR=<dir with the try-runtime wasm> node e2e/tools/try-runtime.js
// Prints the weights and durations; exits 0 if both calls succeed.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, sleep } from '../lib/node.js';
import {
  E18, USD, ASSET, submit, startFeeding, waitForOracle, isAvailable, nextExpiry, listSeries,
} from '../lib/market.js';

const dir = process.env.SOLVENT_TRY_RUNTIME_DIR;
if (!dir) {
  console.error('SOLVENT_TRY_RUNTIME_DIR: the directory holding the try-runtime wasm');
  process.exit(2);
}
const NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const log = (...a) => console.log(`[try-runtime ${new Date().toISOString().slice(11, 19)}]`, ...a);
const fixed = (s) => { const [i, f = ''] = s.split('.'); return BigInt(i) * E18 + BigInt(f.padEnd(18, '0')); };

function ok(r, what) {
  if (r.error) throw new Error(`${what}: ${JSON.stringify(r.error)}`);
  return r;
}

async function main() {
  await cryptoWaitReady();
  const kr = new Keyring({ type: 'sr25519' });
  const [alice, bob, charlie, dave] = ['Alice', 'Bob', 'Charlie', 'Dave'].map((n) => kr.addFromUri(`//${n}`));
  const nodes = [];
  let feeding;
  try {
    const chain = await startNode({ args: ['--dev', '--node-key', NODE_KEY] });
    nodes.push(chain);
    const api = chain.api;
    const spot = fixed('52010.5');
    const vol = fixed('0.8');
    feeding = startFeeding(api, [alice, bob, charlie], () => [[{ Spot: ASSET.BTC }, spot], [{ ImpliedVol: ASSET.BTC }, vol]]);
    await waitForOracle(api, { Spot: ASSET.BTC }, isAvailable, 60_000);
    await waitForOracle(api, { ImpliedVol: ASSET.BTC }, isAvailable, 30_000);

    ok(await submit(api, api.tx.margin.deposit(ASSET.USD, 5_000n * USD), bob), 'Bob deposit');
    ok(await submit(api, api.tx.margin.deposit(ASSET.USD, 1_000n * USD), charlie), 'Charlie deposit');
    const params = await api.query.options.params();
    const now = (await api.query.timestamp.now()).toBigInt();
    // The second expiry on the schedule: the series stays open while the checks run.
    const expiry = nextExpiry(now, params, 20_000) + params.expiryInterval.toBigInt();
    const { id } = await listSeries(api, alice, { underlying: ASSET.BTC, kind: 'Call', strike: 52_000n * E18, expiry, size: E18 / 10n });
    for (const price of [4_321_000n, 15_500_000n]) {
      ok(await submit(api, api.tx.options.placeOrder(id, 'Sell', price, 2, 'PostOnly'), bob), 'Bob ask');
    }
    ok(await submit(api, api.tx.options.placeOrder(id, 'Buy', 16n * USD, 3, 'ImmediateOrCancel'), charlie), 'Charlie buy');
    ok(await submit(api, api.tx.insuranceFund.stake(1_000n * USD), dave), 'Dave stake');
    const shares = (await api.query.insuranceFund.shares(dave.address)).unwrap().shares.toBigInt();
    ok(await submit(api, api.tx.insuranceFund.requestUnstake(shares / 2n), dave), 'Dave requestUnstake');
    const positions = (await api.query.options.positions.entries()).length;
    const best = (await api.rpc.chain.getHeader()).number.toNumber();
    log(`state written up to #${best}: series ${id}, ${positions} option positions, margin accounts of Bob and Charlie, Dave's fund shares`);

    // The try-runtime node: same chain, the override wasm, not a validator.
    const t0 = Date.now();
    const tr = await startNode({
      args: ['--chain', 'dev', '--bootnodes', `/ip4/127.0.0.1/tcp/${chain.p2pPort}/p2p/${PEER_ID}`],
      extraArgs: ['--wasm-runtime-overrides', dir],
    });
    nodes.push(tr);
    for (;;) {
      const n = (await tr.api.rpc.chain.getHeader()).number.toNumber();
      if (n >= best) break;
      if (Date.now() - t0 > 120_000) throw new Error(`try-runtime node not synced to #${best} (at #${n})`);
      await sleep(500);
    }
    const at = await tr.api.rpc.chain.getBlockHash(best);
    log(`try-runtime node synced to #${best} in ${Date.now() - t0} ms`);

    // UpgradeCheckSelect::All = 1.
    const t1 = Date.now();
    const raw = await tr.api.rpc.state.call('TryRuntime_on_runtime_upgrade', '0x01', at);
    const [used, max] = tr.api.createType('(Weight, Weight)', raw);
    log(`on_runtime_upgrade (checks: All) at #${best}: OK in ${Date.now() - t1} ms; weight ${used.refTime.toString()} ref_time of ${max.refTime.toString()} (migrations are no-ops at the current storage versions)`);

    // execute_block(block, state_root_check = true, signature_check = true, TryStateSelect::All).
    const block = await tr.api.rpc.chain.getBlock(at);
    const arg = tr.api.createType('(Block, bool, bool, u8)', [block.block, true, true, 1]).toHex();
    const t2 = Date.now();
    const raw2 = await tr.api.rpc.state.call('TryRuntime_execute_block', arg, block.block.header.parentHash);
    const w2 = tr.api.createType('Weight', raw2);
    log(`execute_block #${best} with all try_state checks: OK in ${Date.now() - t2} ms; weight ${w2.refTime.toString()} ref_time`);
    // The checks have teeth: Sudo overwrites margin's PositiveCashTotal (the running sum of
    // positive cash, which margin's try_state recomputes from every account) with a value one
    // unit off; on_runtime_upgrade must now fail with that check's message.
    const current = await api.query.margin.positiveCashTotal();
    const json = current.toJSON();
    const field = 'scaled';
    if (json[field] === undefined) throw new Error(`PositiveCashTotal has no ${field}: ${JSON.stringify(json)}`);
    const bad = api.createType(current.toRawType(), { ...json, [field]: BigInt(json[field]) + 1n });
    const key = api.query.margin.positiveCashTotal.key();
    const r = ok(await submit(api, api.tx.sudo.sudo(api.tx.system.setStorage([[key, bad.toHex()]])), alice), 'sudo setStorage');
    const corruptAt = (await api.rpc.chain.getHeader(r.blockHash)).number.toNumber();
    for (const t = Date.now(); (await tr.api.rpc.chain.getHeader()).number.toNumber() < corruptAt;) {
      if (Date.now() - t > 60_000) throw new Error('try-runtime node did not import the corrupting block');
      await sleep(500);
    }
    const at2 = await tr.api.rpc.chain.getBlockHash(corruptAt);
    let failure = null;
    try {
      await tr.api.rpc.state.call('TryRuntime_on_runtime_upgrade', '0x01', at2);
    } catch (e) {
      failure = e.message;
    }
    if (!failure) throw new Error(`on_runtime_upgrade passed on a corrupted PositiveCashTotal (${field} + 1) at #${corruptAt}`);
    // The RPC error carries the trap (the `expect` in the runtime API); the node logs the check.
    if (!/TryRuntime_on_runtime_upgrade/.test(failure)) throw new Error(`on_runtime_upgrade failed otherwise: ${failure}`);
    const { readFileSync } = await import('node:fs');
    const check = '"Margin" try_state checks failed: Other("PositiveCashTotal out of step")';
    if (!readFileSync(tr.logFile, 'utf8').includes(check)) {
      throw new Error(`the try-runtime node did not log ${check}; RPC error: ${failure.slice(0, 300)}`);
    }
    log(`corrupted PositiveCashTotal.${field} (+1) at #${corruptAt}: on_runtime_upgrade refused, node log: ${check}`);
    return 0;
  } finally {
    if (feeding) await feeding.stop();
    for (const n of nodes.reverse()) await n.stop();
  }
}

main().then((c) => process.exit(c), (e) => { console.error(`try-runtime: FAILED: ${e.message}`); process.exit(1); });
