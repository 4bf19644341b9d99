// Manual check: the offchain worker liquidates a writer within one block of the price drop.
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode, sleep } from '../lib/node.js';
import { submitAndFinalize } from '../lib/tx.js';

const E18 = 10n ** 18n, USD = 1_000_000n;
await cryptoWaitReady();
const node = await startNode();
const api = node.api;
const kr = new Keyring({ type: 'sr25519' });
const [alice, bob, charlie, dave, eve] = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve'].map((n) => kr.addFromUri(`//${n}`));
let price = 50_000n;
let feeding = true;
const feedLoop = (async () => {
  while (feeding) {
    const vals = [[{ Spot: 2 }, price * E18], [{ ImpliedVol: 2 }, 8n * E18 / 10n]];
    await Promise.all([alice, bob, charlie].map((k) => api.tx.priceOracle.feedValues(vals).signAndSend(k, { nonce: -1 }).catch(() => {})));
    await sleep(3000);
  }
})();
await sleep(7000);
const now = (await api.query.timestamp.now()).toBigInt();
const p = (await api.query.options.params()).toJSON();
console.log('options params', JSON.stringify(p));
const interval = BigInt(p.expiryInterval), offset = BigInt(p.expiryOffset), minT = BigInt(p.minTimeToExpiry);
let expiry = (now + minT) - ((now + minT) % interval) + offset + interval * 2n;
const listed = await submitAndFinalize(api, api.tx.sudo.sudo(api.tx.options.listSeries(2, 'Put', 50_000n * E18, expiry, E18)), alice);
console.log('listed', listed.events.map((e) => `${e.event.section}.${e.event.method}`).join(','));
const series = (await api.call.optionsApi.series()).toJSON();
console.log('series', JSON.stringify(series[0]));
const id = series[0].id;
await submitAndFinalize(api, api.tx.margin.deposit(1, 10_000n * USD), dave);
await submitAndFinalize(api, api.tx.margin.deposit(1, 100_000n * USD), eve);
const r1 = await submitAndFinalize(api, api.tx.options.placeOrder(id, 'Sell', 40n * USD, 1, 'GoodTilCancelled'), dave);
console.log('sell', r1.events.map((e) => `${e.event.section}.${e.event.method}`).join(','));
const r2 = await submitAndFinalize(api, api.tx.options.placeOrder(id, 'Buy', 40n * USD, 1, 'ImmediateOrCancel'), eve);
console.log('buy', r2.events.map((e) => `${e.event.section}.${e.event.method}`).join(','));
console.log('bob margin', JSON.stringify((await api.call.marginApi.account(dave.address)).toJSON()));
const unsub = await api.query.system.events(async (events) => {
  const hdr = await api.rpc.chain.getHeader();
  for (const { event } of events) {
    if (['margin', 'priceOracle'].includes(event.section) && !['FeedReceived', 'ValuesFed', 'Fed'].includes(event.method))
      console.log(`#${hdr.number} ${event.section}.${event.method} ${JSON.stringify(event.data.toJSON()).slice(0, 300)}`);
  }
});
price = 45_000n;
console.log('price -> 45,000');
await sleep(20000);
console.log('bob margin after', JSON.stringify((await api.call.marginApi.account(dave.address)).toJSON()));
console.log('fund', JSON.stringify((await api.call.insuranceFundApi.fundInfo()).toJSON()));
feeding = false; unsub();
await feedLoop;
await node.stop();
process.exit(0);
