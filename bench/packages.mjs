// Packages from an index (issue 14): the time from the user's consent to
// the import done, for a three-wheel chain (ci-chain-c ← b ← a) from the
// local PEP 691 index (tests/support/pep691-server.mjs), with real Pyodide
// in Node (NodeSandbox + PackageHost, the Session's path minus the model).
// Each round uses a fresh Python; the ratio is against the same cell with
// the chain already installed (restore from the host's cache), so load on
// the machine hits both alike.   node bench/packages.mjs [--runs 5]
// Results go to bench/results/packages.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeSandbox } from '../js_glue/python/node-sandbox.mjs';
import { PackageHost, packagesPolicy } from '../js_glue/packages/host.mjs';
import { startIndexServer } from '../tests/support/pep691-server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const CODE = 'import ci_chain_a\nprint(ci_chain_a.VALUE)';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const index = await startIndexServer();
const install = [];
const installed = [];
for (let i = 0; i < runs; i++) {
  let consentAt = 0;
  const host = new PackageHost({ policy: packagesPolicy({ indexes: [index.url] }), ask: async () => { consentAt = performance.now(); return { allow: true, forConversation: true }; } });
  let restore = false;
  const sandbox = new NodeSandbox({ packages: { request: (r) => host.handle(r), restore: () => (restore ? host.restoreWheels() : []) } });
  await sandbox.start();
  const r = await sandbox.run({ exec_id: `b${i}`, code: CODE, timeout_ms: 60000 });
  const doneAt = performance.now();
  if (r.status !== 'ok') throw new Error(JSON.stringify(r));
  install.push(doneAt - consentAt);
  restore = true;
  await sandbox.restart();
  const t0 = performance.now();
  const again = await sandbox.run({ exec_id: `c${i}`, code: CODE, timeout_ms: 60000 });
  if (again.status !== 'ok') throw new Error(JSON.stringify(again));
  installed.push(performance.now() - t0);
  await sandbox.close();
}
await index.close();
const result = {
  what: 'consent → import done, three-wheel chain from a local PEP 691 index, Node + real Pyodide',
  runs,
  consent_to_import_ms_median: Math.round(median(install)),
  same_cell_installed_ms_median: Math.round(median(installed)),
  ratio: Number((median(install) / median(installed)).toFixed(2)),
  at: new Date().toISOString(),
};
fs.writeFileSync(path.join(ROOT, 'bench/results/packages.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
