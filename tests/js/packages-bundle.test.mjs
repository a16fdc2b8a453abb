// The offline bundle (scripts/packages.mjs, `npm run packages -- --from URL
// name…`) against a local mirror: the chosen packages and what they depend
// on (and Pyodide's stdlib modules) are copied with sha256 checks, the lock
// file beside them, config.json pointed there; then real Pyodide loads a
// package from the copy with the mirror gone. A tampered file, an unknown
// name and a mirror that is down fail with the package's name.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { makeWheel } from '../fixtures/python/wheel.mjs';
import { NodeSandbox } from '../../js_glue/python/node-sandbox.mjs';

const require = createRequire(import.meta.url);
const baseLock = require('pyodide/pyodide-lock.json');
const SCRIPT = new URL('../../scripts/packages.mjs', import.meta.url).pathname;

function serve(files) {
  const server = http.createServer((req, res) => {
    const body = files.get(decodeURIComponent(req.url.split('?')[0].slice(1)));
    if (!body) { res.writeHead(404); res.end('not found'); return; }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

const run = (args) => new Promise((resolve) => {
  const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  child.on('close', (code) => resolve({ code, stdout, stderr }));
});

test('npm run packages: a chain copied from a mirror, checked, and loaded from the copy', async (t) => {
  const entry = (name, w, extra = {}) => ({
    name, version: '1.0.0', file_name: w.filename, install_dir: 'site', package_type: 'package',
    sha256: w.sha256, imports: [name], depends: [], unvendored_tests: false, ...extra,
  });
  const dep = makeWheel({ name: 'ci_dep', modules: { 'ci_dep/__init__.py': 'VALUE = 41\n' } });
  const main = makeWheel({ name: 'ci_main', modules: { 'ci_main/__init__.py': 'from ci_dep import VALUE\nANSWER = VALUE + 1\n' } });
  const other = makeWheel({ name: 'ci_other', modules: { 'ci_other/__init__.py': '' } });
  const evil = makeWheel({ name: 'ci_evil', modules: { 'ci_evil/__init__.py': '' } });
  const lock = {
    info: baseLock.info,
    packages: {
      'ci-dep': entry('ci_dep', dep),
      'ci-main': entry('ci_main', main, { depends: ['ci-dep'] }),
      'ci-other': entry('ci_other', other),
      'ci-evil': entry('ci_evil', evil, { sha256: '0'.repeat(64) }),
    },
  };
  const files = new Map([['pyodide-lock.json', Buffer.from(JSON.stringify(lock))], [dep.filename, dep.bytes], [main.filename, main.bytes], [other.filename, other.bytes], [evil.filename, evil.bytes]]);
  const mirror = await serve(files);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-bundle-'));
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ embedAllowedOrigins: ['https://blog.example'] }));

  let r = await run(['--from', mirror.url, '--out', out, 'ci-main']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /bundled 2 package files/);
  assert.deepEqual(fs.readdirSync(path.join(out, 'packages')).sort(), [dep.filename, main.filename, 'pyodide-lock.json'].sort());
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config, { embedAllowedOrigins: ['https://blog.example'], packageBaseURL: 'packages/', lockFileURL: 'packages/pyodide-lock.json' });

  r = await run(['--from', mirror.url, '--out', out, 'ci-evil']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ci_evil: .* does not match the lock file's sha256/);
  assert.ok(!fs.existsSync(path.join(out, 'packages', evil.filename)));
  r = await run(['--from', mirror.url, '--out', out, 'ci-nothere']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ci-nothere is not in the lock file/);
  r = await run(['--out', out]);
  assert.equal(r.code, 2);
  await new Promise((resolve) => mirror.server.close(resolve));
  r = await run(['--from', mirror.url, '--out', out, 'ci-main']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /could not reach/);

  // The deployment serves its copy; the mirror is gone.
  const copy = new Map(fs.readdirSync(path.join(out, 'packages')).map((f) => [`packages/${f}`, fs.readFileSync(path.join(out, 'packages', f))]));
  const site = await serve(copy);
  t.after(() => new Promise((resolve) => site.server.close(resolve)));
  const sandbox = new NodeSandbox({
    pyodideOptions: { lockFileContents: fs.readFileSync(path.join(out, 'packages/pyodide-lock.json'), 'utf8'), packageBaseUrl: new URL(config.packageBaseURL, site.url).href },
  });
  t.after(() => sandbox.close());
  const res = await sandbox.run({ exec_id: 'b1', code: 'import ci_main\nci_main.ANSWER', timeout_ms: 60000 });
  assert.equal(res.status, 'ok', JSON.stringify(res.error) + res.stderr);
  assert.equal(res.result, '42');
});
