// Write the runtime metadata (V16, SCALE bytes without the length prefix) of a running node to a
// file: the input of the subxt code generation in tools/ (scripts/update-metadata.sh).
// Usage: node e2e/tools/fetch-metadata.js <ws-url> <out-file>
import { ApiPromise, WsProvider } from '@polkadot/api';
import { writeFileSync } from 'node:fs';

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: fetch-metadata.js <ws-url> <out-file>');
  process.exit(2);
}
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
const metadata = await api.call.metadata.metadataAtVersion(16);
if (metadata.isNone) {
  console.error('the runtime does not serve metadata V16');
  process.exit(1);
}
const bytes = metadata.unwrap().toU8a(true);
writeFileSync(out, bytes);
console.log(`${out}: ${bytes.length} bytes, spec_version ${api.runtimeVersion.specVersion.toNumber()}`);
await api.disconnect();
