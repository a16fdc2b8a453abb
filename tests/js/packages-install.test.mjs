// Packages from an index with REAL Pyodide (NodeSandbox): the run asks the
// host; the host resolves against the local PEP 691 index, asks (the test
// answers as the user would), fetches, checks sha256 and hands the bytes in.
// Python itself makes no request.
import test from 'node:test';
import assert from 'node:assert/strict';
import { NodeSandbox } from '../../js_glue/python/node-sandbox.mjs';
import { PackageHost, packagesPolicy } from '../../js_glue/packages/host.mjs';
import { startIndexServer } from '../support/pep691-server.mjs';

let server;
let sandbox;
let host;
const questions = [];
let answer = { allow: true, forConversation: false };
let restoring = false;

test.before(async () => {
  server = await startIndexServer();
  host = new PackageHost({
    policy: packagesPolicy({ indexes: [server.url], deny: ['ci-linux-only'] }),
    ask: async (q) => { questions.push(q); return typeof answer === 'function' ? answer() : answer; },
  });
  sandbox = new NodeSandbox({ packages: { request: (request) => host.handle(request), restore: () => (restoring ? host.restoreWheels() : []) } });
  await sandbox.start();
});
test.after(async () => { await sandbox?.close(); await server?.close(); });

let n = 0;
const run = (code, timeout_ms = 60000) => sandbox.run({ exec_id: `p${++n}`, code, timeout_ms });

test('an import of a missing package is offered, then installed with its dependencies', async () => {
  const r = await run('import ci_chain_a\nprint(ci_chain_a.VALUE)');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.equal(r.stdout.trim(), 'a+b+c');
  assert.equal(questions.length, 1);
  assert.equal(questions[0].kind, 'import');
  assert.deepEqual(questions[0].packages.map((p) => `${p.name} ${p.version}`), ['ci-chain-c 1.0.0', 'ci-chain-b 1.0.0', 'ci-chain-a 1.0.0']);
  assert.ok(questions[0].packages.every((p) => p.size > 0 && p.index === server.url));
  assert.match(r.stderr, /installed ci-chain-c 1\.0\.0, ci-chain-b 1\.0\.0, ci-chain-a 1\.0\.0/);
});

test('%pip install at the start of a cell, then micropip.install without asking again', async () => {
  answer = { allow: true, forConversation: true };
  let r = await run('%pip install ci-nometa\nimport ci_nometa\nprint(ci_nometa.VERSION)');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.match(r.stdout, /Installed ci-nometa 1\.0\.0 \(already installed: ci-chain-c 1\.0\.0\)/);
  assert.match(r.stdout, /^1\.0\.0$/m);
  assert.equal(questions.length, 2);
  r = await run('import micropip\nawait micropip.install("ci-chain-a[fast]")\nimport ci_extra_dep\nprint(ci_extra_dep.FAST)');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.equal(r.stdout.trim(), 'True');
  assert.equal(questions.length, 2, 'allowed for this conversation: no question');
});

test('clear errors: hash mismatch, compiled, not found, conflict, denied, declined', async () => {
  let r = await run('import micropip\nawait micropip.install("ci-badhash")');
  assert.equal(r.status, 'error');
  assert.match(r.error.message, /ci-badhash 1\.0\.0 was not installed: .* does not match the sha256/);
  r = await run('%pip install ci-cext');
  assert.equal(r.status, 'error');
  assert.match(r.error.message, /ci-cext 1\.0\.0 has compiled code .*linux_x86_64/);
  r = await run('import ci_no_such_thing');
  assert.equal(r.status, 'error');
  assert.equal(r.error.type, 'ModuleNotFoundError');
  assert.match(r.stderr, /No package named "ci_no_such_thing"/);
  r = await run('import micropip\nawait micropip.install("ci-conflict")');
  assert.match(r.error.message, /Version conflict for ci-chain-c/);
  r = await run('import micropip\nawait micropip.install("ci-linux-only")');
  assert.match(r.error.message, /not allowed in this deployment/);
  // A new index, not allowed yet: the user says no.
  host.allowedIndexes.clear();
  answer = { allow: false };
  const asked = questions.length;
  r = await run('import micropip\ntry:\n    await micropip.install("ci-plain")\nexcept micropip.PackageInstallError as e:\n    print(e)');
  assert.equal(questions.length, asked + 1);
  assert.match(r.stdout, /Not installed: the user declined ci-plain 1\.0\.0/);
  r = await run('import ci_plain');
  assert.equal(r.error.type, 'ModuleNotFoundError');
  assert.match(r.stderr, /declined ci-plain/);
  answer = { allow: true, forConversation: true };
});

test('a wheel built for this Pyodide (pyodide_2026_0_wasm32) is chosen over a manylinux one and installs', async () => {
  const r = await run('%pip install ci-pyodide-build\nimport ci_pyodide_build\nprint(ci_pyodide_build.BUILD)');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.match(r.stdout, /^pyodide$/m);
});

test('the time limit waits while the user decides', async () => {
  host.allowedIndexes.clear();
  // A user who takes longer than the run's whole limit (4 s) to answer (the
  // delay is the stimulus here, not a wait for something; the margins are
  // wide so a loaded machine does not decide the outcome).
  answer = () => new Promise((resolve) => setTimeout(() => resolve({ allow: true, forConversation: true }), 5000));
  const asked = questions.length;
  const r = await run('import micropip\nawait micropip.install("ci-plain")\nimport ci_plain\nprint("done")', 4000);
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.equal(r.stdout.trim(), 'done');
  assert.equal(questions.length, asked + 1);
  answer = { allow: true, forConversation: true };
});

test('a restarted sandbox gets the installed wheels back without asking', async () => {
  const asked = questions.length;
  restoring = true;
  await sandbox.restart();
  const r = await run('import ci_chain_a, ci_nometa\nprint(ci_chain_a.VALUE)');
  assert.equal(r.status, 'ok', JSON.stringify(r));
  assert.equal(r.stdout.trim(), 'a+b+c');
  assert.equal(questions.length, asked);
  assert.ok(!server.hits.some((h) => h.includes('ci-linux-only')));
});
