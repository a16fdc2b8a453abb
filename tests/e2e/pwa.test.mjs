// The offline PWA and "works from any static host", in real Chromium against
// private copies of dist/ (served with serve.mjs's createServer, without the
// checkout's folders: the copy alone must be a complete site):
//   a. load once → the service worker precaches → app server stopped, browser
//      offline → reload: the app starts, Python runs, the status says what
//      works (and that a cloud model does not); a conversation with the
//      scripted model on 127.0.0.1 works;
//   b. a package from a local package index is cached by the worker after its
//      sha256 check and loads again with the index gone and the browser
//      offline; a tampered one is not cached;
//   c. a new deploy (index.html changed, the worker rebuilt on the copy) →
//      "Update available · Reload" → the page runs the new version;
//   d. a plain static host (no COOP/COEP): the app works, and after the
//      worker takes control (one automatic reload) the page is
//      crossOriginIsolated, so Stop interrupts instead of restarting;
//   e. in a third-party iframe no worker is registered, and the app still
//      works (not isolated: Stop restarts Python);
// and no CSP violation on any page (openApp collects them).
// Screenshots: test-results/e2e/pwa-*.png.
//
// Chromium's offline emulation (context.setOffline) also blocks 127.0.0.1
// (checked in test a, which prints what it found), so "offline + a local model"
// is tested as: the app's own server closed (nothing can serve the app but the
// service worker), emulation off, the model server up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startApp, launchBrowser, listen, closeServer, artifactPath, ROOT } from './harness.mjs';
import { requireBuiltApp, openApp, waitReady, vm, configure, ask, waitIdle, assertNoViolations } from './app-helpers.mjs';
import { copyDist, waitControlled, runCell, cachedPackageFiles, canFetch, pollPage } from './pwa-helpers.mjs';
import { buildWheel, lockEntry } from './wheel.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { buildServiceWorker } from '../../web/build/service-worker.mjs';

const status = (page) => page.locator('ci-pwa-status');

test('a: offline reload starts the app and Python from the service worker; a local model still answers', { timeout: 300000 }, async () => {
  requireBuiltApp();
  const copy = await copyDist();
  const app = await startApp({ dist: copy.dir, isolation: true, checkout: false });
  const llm = await startLlmServer();
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'isolated from the start when the host sends COOP/COEP');
    await waitControlled(page);
    const precached = await page.evaluate(async () => (await Promise.all((await caches.keys()).map(async (n) => (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname)))).flat());
    for (const f of ['/index.html', '/pyodide/pyodide.asm.wasm', '/pyodide/python_stdlib.zip', '/core/ci_core.wasm', '/python/runner.mjs', '/manifest.webmanifest', '/icons/icon-192.png', '/config.json']) {
      assert.ok(precached.includes(f), `${f} is cached (${precached.length} entries)`);
    }
    assert.equal(await status(page).locator('summary', { hasText: 'Offline' }).count(), 0, 'online: no offline status');

    // The app's own server goes away, the browser goes offline.
    await app.close();
    await browser.context.setOffline(true);
    await page.reload();
    await waitReady(page);
    const v = await vm(page);
    assert.equal(v.phase, 'ready');
    const exec = await runCell(page, 'import sys, statistics\nprint(statistics.mean([1, 2, 3, 6]), sys.version_info[:2] >= (3, 12))');
    assert.equal(exec.status, 'ok', exec.stderr);
    assert.equal(exec.stdout, '3 True\n');
    assert.equal(await page.evaluate(() => navigator.onLine), false);
    const summary = status(page).locator('summary', { hasText: 'Offline' });
    await summary.waitFor();
    const panel = status(page).locator('.panel');
    await panel.waitFor();
    assert.match(await panel.locator('[data-item=python]').innerText(), /Python runs in this browser/);
    assert.match(await panel.locator('[data-item=packages]').innerText(), /no other package cached yet/);
    // The default preset is Ollama on localhost: a local server works offline.
    assert.match(await panel.locator('[data-item=model]').innerText(), /Local model server \(localhost:11434\) works/);
    await page.screenshot({ path: artifactPath('pwa-01-offline.png') });

    // Does Chromium's offline emulation block 127.0.0.1? (Asked from a blank page: the app's CSP stays untouched.)
    const probe = await browser.newPage();
    const reachableOffline = await canFetch(probe, `${llm.url}/v1/models`);
    console.log(`# setOffline(true) ${reachableOffline ? 'lets 127.0.0.1 through' : 'blocks 127.0.0.1 too'}`);
    assert.equal(reachableOffline, false, 'the emulation blocks localhost as well (see the comment at the top)');
    // So: emulation off, the app's server still closed, the model server up.
    await browser.context.setOffline(false);
    assert.equal(await canFetch(probe, `${app.url}/index.html`), false, 'the app server is really down');
    await probe.close();

    await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, '');
    llm.script([
      { tool_calls: [{ id: 'call_1', arguments: JSON.stringify({ code: 'print(sum(range(10)))' }) }] },
      { text: 'The sum is **45**, computed offline.' },
    ]);
    await ask(page, 'Sum 0..9 in Python.');
    const after = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant' && i.text.includes('45')), 90000);
    const cell = after.items.filter((i) => i.kind === 'cell').at(-1);
    assert.equal(cell.exec.stdout, '45\n');
    assert.equal(llm.requests.filter((r) => r.path.endsWith('/chat/completions')).length, 2, 'two model requests reached the local server');
    // Reload once more with the server still down: the conversation is back from IndexedDB
    // (once its last save has finished: a reload can cut an IndexedDB write short).
    await page.evaluate(() => document.querySelector('code-interpreter').app.flushSaves());
    await page.reload();
    await waitReady(page);
    assert.ok((await vm(page)).items.some((i) => i.kind === 'assistant' && i.text.includes('45')));

    // Offline with a cloud model chosen: the status says it needs the network.
    await browser.context.setOffline(true);
    await page.evaluate(() => document.querySelector('code-interpreter').app.saveSettings({ preset: 'openai', baseUrl: 'https://api.openai.com/v1', format: 'openai', model: 'gpt-4o-mini' }, ''))
      .catch(() => {}); // a new endpoint may reload the page (its connect-src policy)
    await pollPage(page, () => document.querySelector('code-interpreter')?.app?.vm?.settings?.preset === 'openai', { what: 'the cloud preset saved' });
    await waitReady(page);
    const model = status(page).locator('.panel [data-item=model]');
    await model.waitFor();
    assert.match(await model.innerText(), /cloud model \(api\.openai\.com\) needs the network/);
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await llm.close();
    await app.close();
    copy.remove();
  }
});

test('b: a package is cached after its sha256 check and loads offline; a tampered one is not cached', { timeout: 300000 }, async () => {
  requireBuiltApp();
  const good = buildWheel('ci_pwapkg', '1.2.0', 'cached for offline');
  const bad = buildWheel('ci_pwabad', '1.0.0', 'tampered');
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/pyodide/pyodide-lock.json'), 'utf8'));
  lock.packages['ci-pwapkg'] = lockEntry('ci_pwapkg', '1.2.0', good.fileName, good.sha256);
  lock.packages['ci-pwabad'] = lockEntry('ci_pwabad', '1.0.0', bad.fileName, 'f'.repeat(64)); // not the file's sha256
  const served = { [good.fileName]: good.bytes, [bad.fileName]: bad.bytes, 'pyodide-lock.json': Buffer.from(JSON.stringify(lock)) };
  const log = [];
  const index = http.createServer((req, res) => {
    log.push(req.url);
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.replace(/^\/pkgs\//, ''));
    const headers = { 'access-control-allow-origin': '*' };
    if (!served[name]) { res.writeHead(404, headers); res.end('not found'); return; }
    res.writeHead(200, { ...headers, 'content-type': name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    res.end(served[name]);
  });
  const indexUrl = await listen(index);
  const copy = await copyDist();
  // The host's config: packages and lock file from the local index (config.json is not precached: no rebuild needed).
  fs.writeFileSync(path.join(copy.dir, 'config.json'), JSON.stringify({ packageBaseURL: `${indexUrl}/pkgs/`, lockFileURL: `${indexUrl}/pkgs/pyodide-lock.json` }));
  const app = await startApp({ dist: copy.dir, isolation: true, checkout: false });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    await waitControlled(page);
    const first = await runCell(page, 'import ci_pwapkg\nprint(ci_pwapkg.VALUE)');
    assert.equal(first.status, 'ok', first.stderr);
    assert.equal(first.stdout, 'cached for offline\n');
    assert.deepEqual(await cachedPackageFiles(page), [good.fileName], 'the checked wheel is in the package cache');

    const tampered = await runCell(page, 'import ci_pwabad');
    assert.equal(tampered.status, 'error');
    assert.match(JSON.stringify(tampered), /checksum/);
    assert.deepEqual(await cachedPackageFiles(page), [good.fileName], 'the tampered wheel was not cached');
    const badFetches = () => log.filter((u) => u.endsWith(bad.fileName)).length;
    const before = badFetches();
    assert.ok(before >= 1);
    await runCell(page, 'import ci_pwabad');
    assert.equal(badFetches(), before + 1, 'a refused file is fetched from the index again, never served from a cache');

    // The index and the app's server go away; the browser goes offline.
    const goodFetches = log.filter((u) => u.endsWith(good.fileName)).length;
    assert.equal(goodFetches, 1);
    await closeServer(index);
    await app.close();
    await browser.context.setOffline(true);
    await page.reload();
    await waitReady(page);
    const offline = await runCell(page, 'import ci_pwapkg\nprint(ci_pwapkg.VALUE.upper())');
    assert.equal(offline.status, 'ok', offline.stderr);
    assert.equal(offline.stdout, 'CACHED FOR OFFLINE\n');
    assert.equal(log.filter((u) => u.endsWith(good.fileName)).length, 1, 'served from the cache, not the index');
    const packages = status(page).locator('.panel [data-item=packages]');
    await packages.waitFor();
    assert.match(await packages.innerText(), /Cached packages: ci_pwapkg 1\.2\.0/);
    await page.screenshot({ path: artifactPath('pwa-02-offline-packages.png') });
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await app.close();
    await closeServer(index);
    copy.remove();
  }
});

test('c: a new deploy shows "Update available"; Reload switches to it', { timeout: 300000 }, async () => {
  requireBuiltApp();
  const copy = await copyDist();
  const app = await startApp({ dist: copy.dir, isolation: true, checkout: false });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    await waitControlled(page);
    const oldScript = await page.evaluate(() => navigator.serviceWorker.controller.scriptURL);
    assert.equal(await page.locator('meta[name=ci-test-build]').count(), 0);

    // The new deploy: a changed index.html, the worker rebuilt on the copy.
    const index = path.join(copy.dir, 'index.html');
    fs.writeFileSync(index, fs.readFileSync(index, 'utf8').replace('<meta charset="utf-8">', '<meta charset="utf-8">\n  <meta name="ci-test-build" content="2">'));
    const oldSw = fs.readFileSync(path.join(copy.dir, 'sw.js'), 'utf8');
    await buildServiceWorker({ root: ROOT, outDir: copy.dir });
    assert.notEqual(fs.readFileSync(path.join(copy.dir, 'sw.js'), 'utf8'), oldSw, 'the new index.html changed the precache manifest');

    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    const prompt = status(page).locator('.update');
    await prompt.waitFor({ timeout: 120000 });
    assert.match(await prompt.innerText(), /Update available/);
    assert.equal(await page.locator('meta[name=ci-test-build]').count(), 0, 'still the old page until the user says so');
    await page.screenshot({ path: artifactPath('pwa-03-update.png') });

    await Promise.all([
      page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 60000 }),
      prompt.getByRole('button', { name: 'Reload' }).click(),
    ]);
    await waitReady(page);
    assert.equal(await page.locator('meta[name=ci-test-build]').count(), 1, 'the new version is served');
    const now = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return { waiting: !!reg.waiting, controlled: !!navigator.serviceWorker.controller, script: navigator.serviceWorker.controller?.scriptURL };
    });
    assert.deepEqual({ waiting: now.waiting, controlled: now.controlled }, { waiting: false, controlled: true });
    assert.equal(now.script, oldScript, 'same worker URL, new worker');
    assert.equal(await status(page).locator('.update').count(), 0, 'no prompt after the switch');
    const exec = await runCell(page, 'print(6 * 7)');
    assert.equal(exec.stdout, '42\n');
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await app.close();
    copy.remove();
  }
});

test('d: a plain static host (no COOP/COEP): the app works, and the worker makes the page cross-origin isolated', { timeout: 300000 }, async () => {
  requireBuiltApp();
  const copy = await copyDist();
  const app = await startApp({ dist: copy.dir, isolation: false, checkout: false });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    const mainNavigations = [];
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) mainNavigations.push(Date.now()); });
    // The first load works without isolation (Python started, Stop would restart it).
    const firstLoad = await page.evaluate(() => ({ isolated: crossOriginIsolated, canInterrupt: document.querySelector('code-interpreter').app.vm.python.canInterrupt }));
    assert.deepEqual(firstLoad, { isolated: false, canInterrupt: false });
    await waitControlled(page);
    await pollPage(page, () => crossOriginIsolated === true, { what: 'crossOriginIsolated after the one reload' });
    await waitReady(page);
    const after = await page.evaluate(() => ({
      isolated: crossOriginIsolated,
      canInterrupt: document.querySelector('code-interpreter').app.vm.python.canInterrupt,
      reloaded: sessionStorage.getItem('ci-pwa-isolation-reload') !== null,
    }));
    assert.deepEqual(after, { isolated: true, canInterrupt: true, reloaded: true });
    assert.ok(mainNavigations.length <= 1, `at most one automatic reload (${mainNavigations.length})`);
    const exec = await runCell(page, 'import sys\nprint(sys.platform)');
    assert.equal(exec.status, 'ok', exec.stderr);
    assert.equal(exec.stdout, 'emscripten\n');
    // Stop interrupts (keeps variables) now that the page is isolated.
    await runCell(page, 'kept = 7');
    await page.evaluate(() => document.querySelector('code-interpreter').app.runCode('while True: pass'));
    await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.running === true);
    await new Promise((r) => setTimeout(r, 500));
    await page.evaluate(() => document.querySelector('code-interpreter').app.stop());
    await waitIdle(page, () => true, 60000);
    const kept = await runCell(page, 'print(kept)');
    assert.equal(kept.stdout, '7\n', 'interrupted, not restarted: the variable survived');
    // A later visit is isolated from its first byte (the worker answers the navigation).
    await page.reload();
    await waitReady(page);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    await page.screenshot({ path: artifactPath('pwa-04-static-host-isolated.png') });
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await app.close();
    copy.remove();
  }
});

test('e: inside a third-party iframe (no worker registered there) the app still works, Stop by restart', { timeout: 300000 }, async () => {
  requireBuiltApp();
  const copy = await copyDist();
  const app = await startApp({ dist: copy.dir, isolation: false, checkout: false });
  const host = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><meta charset="utf-8"><title>host</title><iframe src="${app.url}/" width="1100" height="800"></iframe>`);
  });
  const hostUrl = await listen(host);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const violations = [];
    await page.exposeFunction('reportViolation', (v) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(hostUrl);
    const frame = page.frames().find((f) => f.url().startsWith(app.url)); // goto waited for the frame's load
    assert.ok(frame, 'the app frame loaded');
    await waitReady(frame);
    const state = await frame.evaluate(() => ({ top: window.top === window.self, isolated: crossOriginIsolated }));
    assert.deepEqual(state, { top: false, isolated: false });
    const exec = await runCell(frame, 'print(sum(range(5)))');
    assert.equal(exec.stdout, '10\n');
    // Time for a registration to happen if it were going to (it starts once Python is ready).
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await frame.evaluate(async () => (await navigator.serviceWorker.getRegistration()) === undefined), true, 'no service worker registered from a frame');
    assert.equal(await frame.evaluate(() => document.querySelector('code-interpreter').app.vm.python.canInterrupt), false, 'Stop restarts Python here');
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await app.close();
    await closeServer(host);
    copy.remove();
  }
});

test('f: no automatic reload once the user has done something; the next visit is isolated', { timeout: 300000 }, async () => {
  requireBuiltApp();
  const copy = await copyDist();
  const app = await startApp({ dist: copy.dir, isolation: false, checkout: false });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    let navigations = 0;
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
    await page.keyboard.press('Shift'); // a keydown: the user is here
    await waitControlled(page);
    await new Promise((r) => setTimeout(r, 2000)); // a reload would have started by now
    assert.equal(navigations, 0, 'the page was not reloaded under the user');
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    await page.reload();
    await waitReady(page);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'isolated on the next visit');
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await app.close();
    copy.remove();
  }
});
