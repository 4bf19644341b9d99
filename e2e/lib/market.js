// Helpers for the margin and options end-to-end tests: one submission at a time per account
// (so a background price feeder and a test can sign with the same key without nonce races), a
// background feeder loop, fixed-point arithmetic on bigints, pallet account ids, and replicas
// of the on-chain formulas the tests check results against.
import { stringToU8a, u8aConcat } from '@polkadot/util';
import { submitAndFinalize } from './tx.js';
import { sleep } from './node.js';

export const E18 = 10n ** 18n;
/** One USD in the settlement asset's smallest units (6 decimals). */
export const USD = 1_000_000n;
export const ASSET = { USD: 1, BTC: 2, ETH: 3 };
export const DECIMALS = { 1: 6, 2: 8, 3: 18 };

// ----------------------------------------------------------------------------- submissions

const queues = new Map();

/**
 * Run `fn` when every earlier `withAccount(address, ...)` call has settled: submissions of one
 * account are serialized, so `nonce: -1` (the node's next index) is always right.
 */
export function withAccount(address, fn) {
  const prev = queues.get(address) ?? Promise.resolve();
  const run = prev.then(() => fn());
  queues.set(address, run.catch(() => {}));
  return run;
}

/** `submitAndFinalize` under the signer's account lock. Same result shape. */
export function submit(api, tx, pair, opts) {
  return withAccount(pair.address, () => submitAndFinalize(api, tx, pair, opts));
}

/**
 * Sign and send `tx` (at `nonce`, default the node's next index), resolve once it is in a block:
 * `{ blockHash, events, error }` (`error` as in `submitAndFinalize`). Rejects if the pool
 * refuses it or after `timeoutMs`.
 */
export function sendInBlock(api, tx, pair, { timeoutMs = 30_000, nonce = -1 } = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    let done = false;
    const finish = (f) => { if (!done) { done = true; clearTimeout(timer); try { unsub(); } catch (_) { /* gone */ } f(); } };
    const timer = setTimeout(() => finish(() => reject(new Error('not in a block in time'))), timeoutMs);
    tx.signAndSend(pair, { nonce }, ({ status, events, dispatchError }) => {
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        finish(() => reject(new Error(`extrinsic ${status.type}`)));
      } else if (status.isInBlock || status.isFinalized) {
        const blockHash = status.isInBlock ? status.asInBlock : status.asFinalized;
        finish(() => resolve({ blockHash, events, error: decodeDispatchError(api, dispatchError) }));
      }
    }).then((u) => { unsub = u; if (done) u(); }).catch((e) => finish(() => reject(e)));
  });
}

/** A `DispatchError` (or null) as `{ kind, section, name }` / `{ kind, detail }`. */
export function decodeDispatchError(api, dispatchError) {
  if (!dispatchError) return null;
  if (dispatchError.isModule) {
    const m = api.registry.findMetaError(dispatchError.asModule);
    return { kind: 'Module', section: m.section, name: m.name };
  }
  return { kind: dispatchError.type, detail: dispatchError.toHuman() };
}

/** The outcome of a `sudo.sudo` call from its `Sudid` event: null if Ok, else the decoded error. */
export function sudoOutcome(api, events) {
  const ev = events.find(({ event }) => event.section === 'sudo' && event.method === 'Sudid');
  if (!ev) throw new Error(`no sudo.Sudid event in ${events.map(({ event }) => `${event.section}.${event.method}`).join(', ')}`);
  const result = ev.event.data[0];
  return result.isErr ? decodeDispatchError(api, result.asErr) : null;
}

/**
 * Fresh dev accounts `//<prefix><name>` for each of `names`, each given 10 SLV for fees and `usd`
 * USD units of tokens by `faucet` (Alice on --dev, the USD asset's owner), all in parallel
 * under the faucet's account lock. Throws if any transfer or mint fails.
 */
export async function fundedAccounts(api, keyring, faucet, prefix, names, usd) {
  const out = names.map((n) => keyring.addFromUri(`//${prefix}${n}`));
  await withAccount(faucet.address, async () => {
    let nonce = (await api.rpc.system.accountNextIndex(faucet.address)).toNumber();
    const sent = [];
    for (const t of out) {
      sent.push(sendInBlock(api, api.tx.balances.transferKeepAlive(t.address, 10n * 10n ** 12n), faucet, { nonce: nonce++ }));
      sent.push(sendInBlock(api, api.tx.assets.mint(ASSET.USD, t.address, usd), faucet, { nonce: nonce++ }));
    }
    for (const r of await Promise.all(sent)) {
      if (r.error) throw new Error(`funding ${prefix} accounts: ${JSON.stringify(r.error)}`);
    }
  });
  return out;
}

// ----------------------------------------------------------------------------- price feeding

/**
 * Feed the oracle from `pairs` (dev feeders) in the background: each feeder sends
 * `priceOracle.feedValues(valuesFor(i, bestBlockNumber))` once its previous feed is in a block,
 * so every feeder feeds about once per block. Submissions go through `withAccount`, so the
 * feeders may also be used for other transactions. Returns `{ stats, pause, resume, stop }`.
 */
export function startFeeding(api, pairs, valuesFor, { minIntervalMs = 1_000 } = {}) {
  let running = true;
  let paused = false;
  let best = 0;
  const stats = { included: 0, failed: 0, lastErrors: [], lastIncluded: new Map() };
  const unsubP = api.rpc.chain.subscribeNewHeads((h) => { best = h.number.toNumber(); });
  const loops = pairs.map(async (pair, i) => {
    while (running) {
      if (paused || best === 0) { await sleep(250); continue; }
      const started = Date.now();
      try {
        const r = await withAccount(pair.address, () => sendInBlock(api, api.tx.priceOracle.feedValues(valuesFor(i, best)), pair));
        if (r.error) throw new Error(`feed failed in block: ${JSON.stringify(r.error)}`);
        stats.included += 1;
        stats.lastIncluded.set(pair.address, r.blockHash.toHex());
      } catch (e) {
        stats.failed += 1;
        stats.lastErrors = [...stats.lastErrors.slice(-9), `${pair.address.slice(0, 8)}: ${e.message}`];
      }
      const wait = minIntervalMs - (Date.now() - started);
      if (wait > 0) await sleep(wait);
    }
  });
  return {
    stats,
    pause() { paused = true; },
    resume() { paused = false; },
    async stop() {
      running = false;
      await Promise.all(loops);
      try { (await unsubP)(); } catch (_) { /* disconnected */ }
    },
  };
}

/** Poll `oracleApi.value(key)` until `pred(info)` (info: the unwrapped KeyInfo or null). */
export async function waitForOracle(api, key, pred, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let info = null;
  for (;;) {
    const v = await api.call.oracleApi.value(key);
    info = v.isSome ? v.unwrap() : null;
    if (pred(info)) return info;
    if (Date.now() > deadline) throw new Error(`oracle ${JSON.stringify(key)} condition not met in ${timeoutMs} ms; last: ${JSON.stringify(info?.toHuman())}`);
    await sleep(1_000);
  }
}

/** Whether a KeyInfo is usable by consumers (status Available with a value). */
export const isAvailable = (info) => !!info && info.status.type === 'Available' && info.value.isSome;

// ----------------------------------------------------------------------------- accounts

/** `PalletId(id).into_account_truncating()`: "modl" ++ id ++ zero padding, as an address. */
export function palletAccount(api, id) {
  const raw = u8aConcat(stringToU8a('modl'), stringToU8a(id), new Uint8Array(32)).subarray(0, 32);
  return api.createType('AccountId32', raw).toString();
}

/** USD cash of `who`'s margin account from storage (0 if it has none). */
export async function storedCash(apiOrAt, who) {
  const a = await apiOrAt.query.margin.accounts(who);
  return a.isSome ? a.unwrap().cash.toBigInt() : 0n;
}

/** Non-USD collateral of `who`'s margin account from storage, as { assetId: bigint }. */
export async function storedCollateral(apiOrAt, who) {
  const a = await apiOrAt.query.margin.accounts(who);
  const out = {};
  if (a.isSome) for (const [k, v] of a.unwrap().collateral.entries()) out[k.toNumber()] = v.toBigInt();
  return out;
}

/** Token balance (pallet-assets) of `who` in `asset` (0 if no account). */
export async function tokenBalance(apiOrAt, asset, who) {
  const a = await apiOrAt.query.assets.account(asset, who);
  return a.isSome ? a.unwrap().balance.toBigInt() : 0n;
}

/** Decorated api at the parent of `blockHash` and at `blockHash`. */
export async function aroundBlock(api, blockHash) {
  const header = await api.rpc.chain.getHeader(blockHash);
  return { before: await api.at(header.parentHash), after: await api.at(blockHash), number: header.number.toNumber() };
}

// ----------------------------------------------------------------------------- arithmetic

export const divFloor = (a, b) => a / b; // non-negative bigints
export const divCeil = (a, b) => (a + b - 1n) / b; // non-negative bigints
/** Round half up, non-negative bigints. */
export const divNearest = (a, b) => (2n * a + b) / (2n * b);

/** `value_in_usd`: `amount x price / 10^(12 + decimals)`, rounded down (USD units). */
export const valueInUsd = (amount, decimals, priceInner) => divFloor(amount * priceInner, 10n ** BigInt(12 + decimals));

/** `Permill::left_from_one().mul_floor(v)`: `floor(v x (10^6 - haircutParts) / 10^6)`. */
export const afterHaircut = (v, haircutParts) => divFloor(v * (1_000_000n - BigInt(haircutParts)), 1_000_000n);

/** Options `contracts_value`: `contracts x size x perUnit` in USD units (`up`: round up). */
export const contractsValue = (contracts, sizeInner, perUnitInner, up = false) => {
  const num = perUnitInner * sizeInner * BigInt(contracts);
  return up ? divCeil(num, 10n ** 30n) : divFloor(num, 10n ** 30n);
};

/** Options trading fee: `min(ceil(rate x S x size x q), ceil(12.5% x price x q))` (USD units). */
export function optionFee(ratePpm, spotInner, sizeInner, price, quantity) {
  const q = BigInt(quantity);
  const cap = divCeil(price * q * 125_000n, 1_000_000n);
  const indexFee = divCeil(spotInner * BigInt(ratePpm) * sizeInner * q, 10n ** 36n);
  return indexFee < cap ? indexFee : cap;
}

/** Short option margin (Deribit), USD units: `{ initial, maintenance }` (see pallet-options risk.rs). */
export function shortMargin(kind, spotInner, strikeInner, markInner, sizeInner, contracts, p) {
  const otm = kind === 'Call'
    ? (strikeInner > spotInner ? strikeInner - spotInner : 0n)
    : (spotInner > strikeInner ? spotInner - strikeInner : 0n);
  const mark24 = markInner * 1_000_000n;
  const a = BigInt(p.imBase) * spotInner - otm * 1_000_000n;
  const b = BigInt(p.imMin) * spotInner;
  const imUnit = (a > b ? a : b) + mark24;
  const mmUnit = BigInt(p.mmRate) * spotInner + mark24;
  const units = sizeInner * BigInt(contracts);
  let initial = divCeil(imUnit * units, 10n ** 36n);
  let maintenance = divCeil(mmUnit * units, 10n ** 36n);
  if (kind === 'Put') {
    const cap = contractsValue(contracts, sizeInner, strikeInner, true);
    if (initial > cap) initial = cap;
    if (maintenance > cap) maintenance = cap;
  }
  return { initial, maintenance };
}

/**
 * The oracle's time-weighted average (pallet-price-oracle `math::time_weighted_average`) of
 * `history` ([{ timestamp: bigint, value: bigint | null }], sorted) over `[start, end]`:
 * unavailable steps and time before the first step skipped, rounded down. null if no time.
 */
export function twap(history, start, end) {
  if (start >= end) return null;
  let total = 0n, sum = 0n;
  history.forEach((e, i) => {
    if (e.timestamp >= end || e.value === null) return;
    const next = history[i + 1];
    const stepEnd = next ? (next.timestamp < end ? next.timestamp : end) : end;
    const stepStart = e.timestamp > start ? e.timestamp : start;
    if (stepEnd > stepStart) { total += stepEnd - stepStart; sum += e.value * (stepEnd - stepStart); }
  });
  return total === 0n ? null : sum / total;
}

/** The oracle's History storage of `key` as [{ timestamp, value }] with bigints. */
export async function readHistory(apiOrAt, key) {
  const h = await apiOrAt.query.priceOracle.history(key);
  return h.map((e) => ({ timestamp: e.timestamp.toBigInt(), value: e.value.isSome ? e.value.unwrap().toBigInt() : null }));
}

/** A signed FixedI128 / i128 codec as a bigint (polkadot.js returns i128 codecs already signed). */
export const signedBig = (c) => BigInt(c.toString());
/** A FixedU128/FixedI128 codec as a JS number (for tolerance comparisons only). */
export const fixedNum = (c) => Number(BigInt(c.toString())) / 1e18;

// ----------------------------------------------------------------------------- options

/**
 * The earliest expiry on the options schedule (`expiry % expiryInterval == expiryOffset`) at
 * least `minTimeToExpiry + bufferMs` after `nowMs` (bigints, ms). `params`: the
 * `options.params` storage value.
 */
export function nextExpiry(nowMs, params, bufferMs) {
  const interval = params.expiryInterval.toBigInt();
  const offset = params.expiryOffset.toBigInt();
  const earliest = nowMs + params.minTimeToExpiry.toBigInt() + BigInt(bufferMs);
  let e = earliest - ((((earliest - offset) % interval) + interval) % interval);
  if (e < earliest) e += interval;
  return e;
}

/** List a series through `sudo.sudo(options.listSeries(...))`; returns its id (throws on error). */
export async function listSeries(api, sudoPair, { underlying, kind, strike, expiry, size }) {
  const r = await submit(api, api.tx.sudo.sudo(api.tx.options.listSeries(underlying, kind, strike, expiry, size)), sudoPair);
  if (r.error) throw new Error(`sudo extrinsic failed: ${JSON.stringify(r.error)}`);
  const err = sudoOutcome(api, r.events);
  if (err) throw new Error(`options.listSeries failed: ${JSON.stringify(err)}`);
  const ev = r.events.find(({ event }) => event.section === 'options' && event.method === 'SeriesListed');
  if (!ev) throw new Error('no options.SeriesListed event');
  return { id: ev.event.data.series.toNumber(), terms: ev.event.data.terms, result: r };
}

/** Events of blocks `from..=to` (numbers) passing `filter(event)`: [{ number, hash, event }]. */
export async function eventsInBlocks(api, from, to, filter) {
  const out = [];
  for (let n = from; n <= to; n++) {
    const hash = await api.rpc.chain.getBlockHash(n);
    const at = await api.at(hash);
    for (const { event } of await at.query.system.events()) if (filter(event)) out.push({ number: n, hash, event });
  }
  return out;
}
