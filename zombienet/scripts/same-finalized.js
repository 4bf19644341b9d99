// Returns 1 when all named nodes agree on the hash of their lowest common finalized block and
// that block is at most 2 behind the best finalized among them (finality caught up, no fork).
const { connect, heads, sleep } = require('./lib.js');

async function run(nodeName, networkInfo, args) {
  const names = args.length ? args : [nodeName]; // zombienet splits "a,b" into args
  const apis = await Promise.all(names.map((n) => connect(networkInfo, n)));
  try {
    // zombienet evaluates a js-script once: poll here until caught up (or give up after 100 s).
    const deadline = Date.now() + 100_000;
    for (;;) {
      const hs = await Promise.all(apis.map(heads));
      const minFin = Math.min(...hs.map((h) => h.finNum));
      const maxFin = Math.max(...hs.map((h) => h.finNum));
      const maxBest = Math.max(...hs.map((h) => h.best));
      const hashes = await Promise.all(apis.map((a) => a.rpc.chain.getBlockHash(minFin)));
      const agree = hashes.every((h) => h.eq(hashes[0]));
      const caughtUp = maxFin - minFin <= 2 && maxBest - maxFin <= 4;
      console.log(`finalized ${hs.map((h) => h.finNum)} best ${hs.map((h) => h.best)} agree=${agree}`);
      if (!agree) return 2; // a fork below finality is a failure at once
      if (caughtUp) return 1;
      if (Date.now() > deadline) return 2;
      await sleep(2000);
    }
  } finally {
    await Promise.all(apis.map((a) => a.disconnect()));
  }
}

module.exports = { run };
