// Helpers of the validator-set test (validators-5.zndsl): session keys generated on a node,
// `session.setKeys`, root-track referenda, block authors and session waits.
const { ApiPromise, WsProvider } = require('@polkadot/api');
const { Keyring } = require('@polkadot/keyring');
const { u8aToHex } = require('@polkadot/util');
const fs = require('fs');
const { sleep } = require('./lib.js');

// Figures shared between the steps (zombienet runs each js-script in the same process, but a
// file keeps them readable after the run).
const FIGURES = process.env.SOLVENT_ZN_VALIDATORS || '/tmp/solvent-zombienet-validators.json';

function keyring() {
  return new Keyring({ type: 'sr25519', ss58Format: 42 });
}

// The dev account of a zombienet node name ("eve" -> //Eve).
function account(name) {
  return keyring().addFromUri(`//${name[0].toUpperCase()}${name.slice(1)}`);
}

async function connect(networkInfo, name) {
  const { wsUri } = networkInfo.nodesByName[name];
  const provider = new WsProvider(wsUri);
  const api = await ApiPromise.create({ provider, noInitWarn: true });
  return { api, provider };
}

// Sends `tx` signed by `signer`; resolves with the block hash once in a block (or finalized
// if `finalized`), rejects on a dispatch error or an invalid/dropped transaction.
function send(api, tx, signer, finalized = false) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, dispatchError, events }) => {
      if (dispatchError) {
        if (dispatchError.isModule) {
          const d = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${d.section}.${d.name}`));
        } else reject(new Error(dispatchError.toString()));
        return;
      }
      if (status.isInvalid || status.isDropped || status.isUsurped) reject(new Error(status.type));
      if (finalized ? status.isFinalized : status.isInBlock) {
        resolve({ hash: finalized ? status.asFinalized : status.asInBlock, events });
      }
    }).catch(reject);
  });
}

// New session keys generated in `name`'s keystore for `who` (author_rotateKeysWithOwner, an
// unsafe RPC: the node's own), registered with session.setKeys signed by `who`. Returns the
// keys (hex) and the Aura key.
async function rotateAndSetKeys(networkInfo, name, api, who) {
  const { provider, api: nodeApi } = await connect(networkInfo, name);
  let generated;
  try {
    const owner = u8aToHex(who.publicKey);
    generated = await provider.send('author_rotateKeysWithOwner', [owner]);
  } finally {
    await nodeApi.disconnect();
  }
  if (!generated || !generated.keys || !generated.proof) throw new Error(`no keys/proof from ${name}: ${JSON.stringify(generated)}`);
  await send(api, api.tx.session.setKeys(generated.keys, generated.proof), who);
  const next = (await api.query.session.nextKeys(who.address)).unwrap();
  if (next.toHex() !== generated.keys) throw new Error(`session.nextKeys(${name}) = ${next.toHex()}, expected ${generated.keys}`);
  console.log(`${name}: session keys ${generated.keys} registered`);
  return { keys: generated.keys, aura: next.aura.toHex() };
}

// A root-track referendum on `call`: preimage noted and submitted by Alice, decision deposit,
// aye votes of Bob, Charlie, Dave and Ferdie (900,000 SLV each, 1x). Resolves once the call
// is enacted (`check()` true); returns the seconds from submission to enactment.
async function rootReferendum(api, call, check, timeoutMs = 180_000) {
  const alice = account('alice');
  const t0 = Date.now();
  const encoded = call.method.toHex();
  const hash = call.method.hash.toHex();
  const len = call.method.encodedLength;
  await send(api, api.tx.preimage.notePreimage(encoded), alice);
  const index = (await api.query.referenda.referendumCount()).toNumber();
  await send(api, api.tx.referenda.submit({ system: 'Root' }, { Lookup: { hash, len } }, { After: 1 }), alice);
  await send(api, api.tx.referenda.placeDecisionDeposit(index), alice);
  const vote = { Standard: { vote: { aye: true, conviction: 'Locked1x' }, balance: 900_000n * 10n ** 12n } };
  await Promise.all(['bob', 'charlie', 'dave', 'ferdie'].map((n) => send(api, api.tx.convictionVoting.vote(index, vote), account(n))));
  console.log(`referendum ${index} submitted and voted`);
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`referendum ${index} not enacted in ${timeoutMs / 1000} s: ${JSON.stringify((await api.query.referenda.referendumInfoFor(index)).toHuman())}`);
    await sleep(1000);
  }
  const secs = (Date.now() - t0) / 1000;
  console.log(`referendum ${index} enacted ${secs.toFixed(1)} s after submission`);
  return secs;
}

async function sessionIndex(api) {
  return (await api.query.session.currentIndex()).toNumber();
}

async function waitSession(api, target, timeoutMs = 150_000) {
  const t0 = Date.now();
  for (;;) {
    const s = await sessionIndex(api);
    if (s >= target) return s;
    if (Date.now() - t0 > timeoutMs) throw new Error(`session ${target} not reached (at ${s})`);
    await sleep(1000);
  }
}

// The Aura key that authored block `hash`: authorities at the parent, indexed by slot.
async function auraAuthorOf(api, hash) {
  const header = await api.rpc.chain.getHeader(hash);
  const pre = header.digest.logs.find((l) => l.isPreRuntime && l.asPreRuntime[0].toString() === 'aura');
  if (!pre) throw new Error(`no aura pre-runtime digest in ${hash}`);
  const slot = api.createType('u64', pre.asPreRuntime[1]).toBigInt();
  const auths = await (await api.at(header.parentHash)).query.aura.authorities();
  return { number: header.number.toNumber(), author: auths[Number(slot % BigInt(auths.length))].toHex() };
}

// The Aura authors of the next `count` new best blocks (by number), from `api`, with the time
// each was seen (ms).
async function authorsOfNext(api, count) {
  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  const out = [];
  for (let n = start + 1; n <= start + count; n++) {
    for (;;) {
      const best = (await api.rpc.chain.getHeader()).number.toNumber();
      if (best >= n) break;
      await sleep(500);
    }
    const hash = await api.rpc.chain.getBlockHash(n);
    out.push({ ...(await auraAuthorOf(api, hash)), seenAt: Date.now() });
  }
  return out;
}

async function finalizedNumber(api) {
  const h = await api.rpc.chain.getFinalizedHead();
  return (await api.rpc.chain.getHeader(h)).number.toNumber();
}

function saveFigures(update) {
  let f = {};
  try {
    f = JSON.parse(fs.readFileSync(FIGURES, 'utf8'));
  } catch (_) {}
  Object.assign(f, update);
  fs.writeFileSync(FIGURES, JSON.stringify(f, null, 2));
  return f;
}

module.exports = {
  account, connect, send, rotateAndSetKeys, rootReferendum, sessionIndex, waitSession,
  auraAuthorOf, authorsOfNext, finalizedNumber, saveFigures, FIGURES,
};
