// Measure block time and finality lag of a running node for a while.
// Usage: node tools/measure-chain.js [ws://127.0.0.1:9944] [seconds=60]
import { ApiPromise, WsProvider } from '@polkadot/api';

const url = process.argv[2] || 'ws://127.0.0.1:9944';
const seconds = Number(process.argv[3] || 60);
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const best = []; // [number, ms]
const lags = [];
let lastBest = 0;
const unsubNew = await api.rpc.chain.subscribeNewHeads((h) => {
  const n = h.number.toNumber();
  if (n > lastBest) { best.push([n, Date.now()]); lastBest = n; }
});
const unsubFin = await api.rpc.chain.subscribeFinalizedHeads((h) => {
  lags.push(lastBest - h.number.toNumber());
});
await new Promise((r) => setTimeout(r, seconds * 1000));
unsubNew(); unsubFin();
const intervals = best.slice(1).map(([, t], i) => t - best[i][1]);
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, min: s[0], median: q(0.5), mean: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(1), max: s[s.length - 1] };
};
console.log(JSON.stringify({ url, seconds, blocks: best.length, blockTimeMs: stats(intervals), finalityLagBlocks: stats(lags) }));
await api.disconnect();
