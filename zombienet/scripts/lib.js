// Helpers for zombienet js-script assertions (CommonJS, loaded by zombienet).
const { ApiPromise, WsProvider } = require('@polkadot/api');

async function connect(networkInfo, name) {
  const { wsUri } = networkInfo.nodesByName[name];
  return ApiPromise.create({ provider: new WsProvider(wsUri), noInitWarn: true });
}

async function heads(api) {
  const fin = await api.rpc.chain.getFinalizedHead();
  const finNum = (await api.rpc.chain.getHeader(fin)).number.toNumber();
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  return { fin: fin.toHex(), finNum, best };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { connect, heads, sleep };
