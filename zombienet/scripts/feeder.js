#!/usr/bin/env node
// A minimal price feeder (polkadot.js) for the zombienet runtime-upgrade test: one dev feeder
// key, one node. Feeds BTC spot and implied vol once per new best block (after its previous
// feed is in a block), re-reading the runtime version before each signature, so it keeps
// feeding across a runtime upgrade; a rejected or failed feed is logged and retried on the
// next block, never fatal. Runs until SIGTERM/SIGINT.
//
// Usage: node zombienet/scripts/feeder.js --rpc ws://127.0.0.1:9944 --suri //Alice
//        [--spot 52000] [--vol 0.8]   (USD per BTC, annualized vol; plain decimals)
// One line per included feed: `fed #<block> spec <spec_version>`; errors: `error: ...`.
const { ApiPromise, WsProvider } = require('@polkadot/api');
const { Keyring } = require('@polkadot/keyring');
const { cryptoWaitReady } = require('@polkadot/util-crypto');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) {
    if (fallback === undefined) {
      console.error(`missing --${name}`);
      process.exit(2);
    }
    return fallback;
  }
  return process.argv[i + 1];
}

/** A plain decimal string as a FixedU128 inner value (18 decimals); exits on bad input. */
function fixed(s) {
  const m = /^(\d+)(?:\.(\d{1,18}))?$/.exec(s);
  if (!m) {
    console.error(`not a non-negative decimal: ${s}`);
    process.exit(2);
  }
  return BigInt(m[1]) * 10n ** 18n + BigInt((m[2] || '').padEnd(18, '0'));
}

const BTC = 2;
const rpc = arg('rpc');
const suri = arg('suri');
const spot = fixed(arg('spot', '52000'));
const vol = fixed(arg('vol', '0.8'));
let running = true;
const stop = () => { running = false; };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

function inBlock(api, tx, pair) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = setTimeout(() => { unsub(); reject(new Error('not in a block within 30 s')); }, 30_000);
    tx.signAndSend(pair, { nonce: -1 }, ({ status, dispatchError }) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        clearTimeout(timer); unsub(); reject(new Error(`extrinsic ${status.type}`));
      } else if (status.isInBlock) {
        clearTimeout(timer); unsub();
        if (dispatchError) reject(new Error(`dispatch error ${dispatchError.toString()}`));
        else resolve(status.asInBlock);
      }
    }).then((u) => { unsub = u; }).catch((e) => { clearTimeout(timer); reject(e); });
  });
}

async function main() {
  await cryptoWaitReady();
  const pair = new Keyring({ type: 'sr25519' }).addFromUri(suri);
  const api = await ApiPromise.create({ provider: new WsProvider(rpc), noInitWarn: true });
  let best = 0;
  let fedAt = 0;
  await api.rpc.chain.subscribeNewHeads((h) => { best = h.number.toNumber(); });
  while (running) {
    if (best <= fedAt) { await new Promise((r) => setTimeout(r, 250)); continue; }
    const at = best;
    try {
      const tx = api.tx.priceOracle.feedValues([[{ Spot: BTC }, spot], [{ ImpliedVol: BTC }, vol]]);
      const hash = await inBlock(api, tx, pair);
      const header = await api.rpc.chain.getHeader(hash);
      console.log(`fed #${header.number.toNumber()} spec ${api.runtimeVersion.specVersion.toNumber()}`);
    } catch (e) {
      console.log(`error: ${e.message}`);
    }
    fedAt = at;
  }
  await api.disconnect();
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
