// After a restart: reads the state recorded by write-state.js at the same block through the
// restarted node and compares it. Returns 1 if identical, else 2.
const { connect } = require('./lib.js');
const { snapshot, STATE } = require('./write-state.js');
const fs = require('fs');

async function run(nodeName, networkInfo, args) {
  const name = args[0] || nodeName;
  const saved = JSON.parse(fs.readFileSync(STATE, 'utf8'));
  const api = await connect(networkInfo, name);
  try {
    const now = await snapshot(api, saved.block);
    const same = JSON.stringify(now) === JSON.stringify(saved.snap);
    console.log(`read-back at ${saved.block}: ${same ? 'identical' : 'DIFFERENT'}`);
    return same ? 1 : 2;
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
