// Package loading with REAL Pyodide from a LOCAL package index: a lock file
// (Pyodide's own, plus entries for wheels this test builds) and the wheels
// served from 127.0.0.1. The import scan before each run finds the imports,
// loads them with 'package' events, checks sha256, and explains failures.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { NodeSandbox } from '../../js_glue/python/node-sandbox.mjs';
import { makeWheel } from '../fixtures/python/wheel.mjs';

const require = createRequire(import.meta.url);
const baseLock = require('pyodide/pyodide-lock.json');

const served = new Map(); // file name → bytes
const hits = [];
let server;
let sandbox;
const events = [];

function entry(name, wheel, extra = {}) {
  return {
    name, version: '1.0.0', file_name: wheel.filename, install_dir: 'site', package_type: 'package',
    sha256: wheel.sha256, imports: [name], depends: [], unvendored_tests: false, ...extra,
  };
}

test.before(async () => {
  const dep = makeWheel({ name: 'ci_dep', modules: { 'ci_dep/__init__.py': 'VALUE = 41\n' } });
  const main = makeWheel({ name: 'ci_main', modules: { 'ci_main/__init__.py': 'from ci_dep import VALUE\ndef answer():\n    return VALUE + 1\n' } });
  const tampered = makeWheel({ name: 'ci_tampered', modules: { 'ci_tampered/__init__.py': 'X = 1\n' } });
  const missing = makeWheel({ name: 'ci_missing', modules: { 'ci_missing/__init__.py': 'X = 1\n' } });
  served.set(dep.filename, dep.bytes);
  served.set(main.filename, main.bytes);
  // Served bytes differ from what the lock file's sha256 describes.
  const evil = makeWheel({ name: 'ci_tampered', modules: { 'ci_tampered/__init__.py': 'X = "evil"\n' } });
  served.set(tampered.filename, evil.bytes);
  // ci_missing's wheel is never served (404).

  const lock = {
    ...baseLock,
    packages: {
      ...baseLock.packages,
      // Keys are normalized names (PEP 503), as in Pyodide's own lock file.
      'ci-dep': entry('ci_dep', dep),
      'ci-main': entry('ci_main', main, { depends: ['ci-dep'] }),
      'ci-tampered': entry('ci_tampered', tampered),
      'ci-missing': entry('ci_missing', missing),
    },
  };

  server = http.createServer((req, res) => {
    const name = decodeURIComponent(req.url.split('?')[0].slice(1));
    hits.push(name);
    const bytes = served.get(name);
    if (!bytes) { res.writeHead(404); res.end('not found'); return; }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    res.end(Buffer.from(bytes));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}/`;
  sandbox = new NodeSandbox({
    onEvent: (e) => events.push(e),
    pyodideOptions: { lockFileContents: JSON.stringify(lock), packageBaseUrl: base },
  });
  await sandbox.start();
});

test.after(async () => {
  await sandbox?.close();
  await new Promise((r) => server?.close(r));
});

let n = 0;
const run = (code) => sandbox.run({ exec_id: `p${++n}`, code, timeout_ms: 30000, files: { write: [], delete: [] } });
const packageEvents = (id) => events.filter((e) => e.type === 'package' && e.exec_id === id).map((e) => `${e.name}:${e.state}`);

test('an import found by the scan loads the package and its dependency from the local index (sha256 checked)', async () => {
  const res = await run('import ci_main\nci_main.answer()');
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.equal(res.result, '42');
  const got = packageEvents(`p${n}`);
  assert.deepEqual(got.filter((s) => s.endsWith(':loading')).sort(), ['ci_dep:loading', 'ci_main:loading']);
  assert.deepEqual(got.filter((s) => s.endsWith(':loaded')).sort(), ['ci_dep:loaded', 'ci_main:loaded']);
  assert.ok(hits.some((h) => h.startsWith('ci_main-')) && hits.some((h) => h.startsWith('ci_dep-')), 'fetched from the local server');
  // Loaded once: the next run does not fetch or announce it again.
  const before = hits.length;
  const again = await run('import ci_main\nci_main.answer()');
  assert.equal(again.result, '42');
  assert.equal(hits.length, before);
  assert.deepEqual(packageEvents(`p${n}`), []);
});

test('a wheel whose bytes do not match the lock file sha256 is refused, and the error says so', async () => {
  const res = await run('import ci_tampered\nci_tampered.X');
  assert.equal(res.status, 'error');
  assert.equal(res.error.type, 'ModuleNotFoundError');
  assert.match(res.error.message, /ci_tampered could not be loaded: the downloaded file does not match the checksum/);
  const failed = events.find((e) => e.type === 'package' && e.exec_id === `p${n}` && e.state === 'failed');
  assert.equal(failed.name, 'ci_tampered');
  assert.match(failed.message, /Could not load the package ci_tampered: .*checksum/);
  assert.match(res.stderr, /\[package\] the package ci_tampered could not be loaded/);
});

test('a package whose file is missing from the index gives a clear error naming it', async () => {
  const res = await run('import ci_missing');
  assert.equal(res.error.type, 'ModuleNotFoundError');
  assert.match(res.error.message, /the package ci_missing could not be loaded: it could not be downloaded/);
  const failed = events.find((e) => e.type === 'package' && e.exec_id === `p${n}` && e.state === 'failed');
  assert.match(failed.message, /ci_missing/);
});

test('code that guards an optional import still runs when the package cannot load', async () => {
  const res = await run('try:\n    import ci_missing\n    have = True\nexcept ImportError:\n    have = False\nhave');
  assert.equal(res.status, 'ok');
  assert.equal(res.result, 'False');
});

test('micropip.install takes an uploaded pure-Python wheel and lock-file packages; a URL gets a clear no-network error', async () => {
  const wheel = makeWheel({ name: 'ci_uploaded', modules: { 'ci_uploaded/__init__.py': 'GREETING = "hi from a wheel"\n' } });
  const res = await sandbox.run({
    exec_id: `p${++n}`,
    code: `import micropip\nawait micropip.install("${wheel.filename}")\nawait micropip.install("ci_dep")\nimport ci_uploaded, ci_dep\n(ci_uploaded.GREETING, ci_dep.VALUE)`,
    timeout_ms: 30000,
    files: { write: [{ path: wheel.filename, bytes: wheel.bytes }], delete: [] },
  });
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.equal(res.result, "('hi from a wheel', 41)");
  assert.ok(!packageEvents(`p${n}`).some((s) => s.startsWith('micropip')), 'the shim is never downloaded');
  const url = await run('import micropip\nawait micropip.install("https://example.com/x-1.0-py3-none-any.whl")');
  assert.equal(url.error.type, 'ValueError');
  assert.match(url.error.message, /no network access.*upload it/);
});
