// args "node,seconds": returns 1 if finality advanced on that node within the window, else 2.
const { connect, heads, sleep } = require('./lib.js');

async function run(nodeName, networkInfo, args) {
  const [name = nodeName, seconds = '15'] = args; // zombienet splits "node,secs" into args
  const api = await connect(networkInfo, name);
  try {
    const a = await heads(api);
    await sleep(Number(seconds) * 1000);
    const b = await heads(api);
    console.log(`${name}: finalized ${a.finNum} -> ${b.finNum}, best ${a.best} -> ${b.best}`);
    return b.finNum > a.finNum && b.best > a.best ? 1 : 2;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
