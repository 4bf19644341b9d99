// args "node,seconds": returns 1 if, over the window, finality did not advance on that node
// while blocks did (best advanced), else 2.
const { connect, heads, sleep } = require('./lib.js');

async function run(nodeName, networkInfo, args) {
  const [name = nodeName, seconds = '15'] = args; // zombienet splits "node,secs" into args
  const api = await connect(networkInfo, name);
  try {
    // Let in-flight GRANDPA rounds settle first.
    await sleep(6000);
    const a = await heads(api);
    await sleep(Number(seconds) * 1000);
    const b = await heads(api);
    console.log(`${name}: finalized ${a.finNum} -> ${b.finNum}, best ${a.best} -> ${b.best}`);
    return b.finNum === a.finNum && b.best > a.best ? 1 : 2;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
