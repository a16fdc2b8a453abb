// Package loading through the host: the sandbox has no network, so when the
// runner's loadPackage wants a file, the worker asks the host, which fetches
// it from the package location, checks the sha256 from the lock file and
// hands the bytes in. Tested against a local package index on 127.0.0.1
// serving a lock file (Pyodide's, plus our entries) and wheels built here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startApp, launchBrowser, openSandboxPage, listen, closeServer, ROOT } from './harness.mjs';
import { buildWheel, lockEntry } from './wheel.mjs';

let app;
let browser;
let page;
let index;
const indexLog = [];

before(async () => {
  const good = buildWheel('ci_testpkg', '1.0.0', 'hello from the test wheel');
  const bad = buildWheel('ci_badsum', '1.0.0', 'tampered');
  // Keys are canonical names (dashes), as in Pyodide's own lock file.
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/pyodide/pyodide-lock.json'), 'utf8'));
  lock.packages['ci-testpkg'] = lockEntry('ci_testpkg', '1.0.0', good.fileName, good.sha256);
  lock.packages['ci-badsum'] = lockEntry('ci_badsum', '1.0.0', bad.fileName, '0'.repeat(64)); // wrong on purpose
  lock.packages['ci-missing'] = lockEntry('ci_missing', '1.0.0', 'ci_missing-1.0.0-py3-none-any.whl', '1'.repeat(64));
  lock.packages['ci-offline'] = lockEntry('ci_offline', '1.0.0', 'ci_offline-1.0.0-py3-none-any.whl', '2'.repeat(64));
  const served = { [good.fileName]: good.bytes, [bad.fileName]: bad.bytes, 'pyodide-lock.json': Buffer.from(JSON.stringify(lock)) };
  index = http.createServer((req, res) => {
    indexLog.push(req.url);
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.replace(/^\/pkgs\//, ''));
    // The host page fetches cross-origin: CORS is what lets it read the bytes.
    const headers = { 'access-control-allow-origin': '*' };
    if (name.startsWith('ci_offline')) { req.socket.destroy(); return; } // like a dropped connection
    if (!served[name]) { res.writeHead(404, headers); res.end('not found'); return; }
    res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream' });
    res.end(served[name]);
  });
  const indexUrl = await listen(index);
  app = await startApp({ isolation: true });
  browser = await launchBrowser();
  page = await openSandboxPage(browser, app.url);
  await page.evaluate(async (indexUrl) => {
    window.sb = makeSandbox({ snapshots: false, lockFileURL: `${indexUrl}/pkgs/pyodide-lock.json`, packageBaseURL: `${indexUrl}/pkgs/` });
    await window.sb.start();
  }, indexUrl);
});

after(async () => {
  await browser?.close();
  await app?.close();
  if (index) await closeServer(index);
});

function run(code) {
  return page.evaluate(async (code) => {
    const exec_id = 'p' + Math.random().toString(36).slice(2);
    const from = window.events.length;
    const result = await window.sb.run({ exec_id, code, timeout_ms: 30000 });
    return { ...result, files: null, events: window.events.slice(from).filter((e) => e.exec_id === exec_id && e.type === 'package') };
  }, code);
}

test('a package from the lock file is fetched by the host, checked and installed', async () => {
  const r = await run('import ci_testpkg\nprint(ci_testpkg.VALUE)');
  assert.equal(r.status, 'ok', JSON.stringify(r.error) + r.stderr);
  assert.equal(r.stdout, 'hello from the test wheel\n');
  assert.deepEqual(r.events.map((e) => `${e.name}:${e.state}`), ['ci_testpkg:loading', 'ci_testpkg:loaded']);
  assert.ok(indexLog.includes('/pkgs/ci_testpkg-1.0.0-py3-none-any.whl'), 'the host fetched the wheel from the index');
});

test('a checksum mismatch is refused with a clear error naming the package', async () => {
  const r = await run('import ci_badsum');
  assert.equal(r.status, 'error');
  const failed = r.events.find((e) => e.state === 'failed');
  assert.ok(failed, JSON.stringify(r.events));
  console.log(`# checksum: ${failed.message}`);
  assert.match(failed.message, /ci_badsum/);
  assert.match(failed.message, /checksum/);
  assert.match(r.stderr + JSON.stringify(r.error), /ci_badsum/);
});

test('a missing file (404) and an unreachable server give clear errors', async () => {
  const missing = await run('import ci_missing');
  const m = missing.events.find((e) => e.state === 'failed');
  assert.ok(m, JSON.stringify(missing.events));
  console.log(`# not found: ${m.message}`);
  assert.match(m.message, /ci_missing/);
  assert.match(m.message, /not found|404/i);
  const offline = await run('import ci_offline');
  const o = offline.events.find((e) => e.state === 'failed');
  assert.ok(o, JSON.stringify(offline.events));
  console.log(`# unreachable: ${o.message}`);
  assert.match(o.message, /ci_offline/);
  assert.match(o.message, /offline|could not reach|network/i);
  // The sandbox still works.
  const r = await run('import ci_testpkg\nci_testpkg.VALUE');
  assert.equal(r.result, "'hello from the test wheel'");
});
