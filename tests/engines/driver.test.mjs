// Smoke test of tests/engines/driver.mjs: the same checks in every engine of
// enginesToRun() (env CI_ENGINES narrows), one after another (2-core machine),
// against pages served here with COOP/COEP and a strict CSP (no
// 'unsafe-eval', no inline script). Run: node --test tests/engines/
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { ENGINES, enginesToRun, isAlive, launch } from './driver.mjs';

const HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'content-security-policy': "default-src 'self'; script-src 'self'",
  'cache-control': 'no-store',
};

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>engines smoke</title>
<script type="module" src="/app.js"></script></head>
<body><h1>engines smoke</h1><test-widget></test-widget></body></html>`;

const SECOND = `<!doctype html>
<html><head><meta charset="utf-8"><title>second page</title></head>
<body><p>second</p></body></html>`;

// The page's script (same-origin file: the CSP forbids inline script).
const APP = `
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
const log = window.__log = { entered: [], inputEvents: 0, clicks: { trusted: 0, untrusted: 0 }, files: null, lateClicks: 0 };
// Page code (not driver code) trying eval: proves the CSP is enforced and
// that the violation listener above works.
window.tryEval = () => { try { eval('1'); return 'eval ran'; } catch (e) { return e.name; } };

class TestWidget extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const textarea = document.createElement('textarea');
    const button = document.createElement('button');
    button.textContent = 'Count';
    const file = document.createElement('input');
    file.type = 'file';
    file.multiple = true;
    root.append(textarea, button, file);
    textarea.addEventListener('input', () => { log.inputEvents++; });
    textarea.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      log.entered.push(textarea.value);
      localStorage.setItem('entered', textarea.value);
    });
    button.addEventListener('click', (e) => { e.isTrusted ? log.clicks.trusted++ : log.clicks.untrusted++; });
    file.addEventListener('change', async () => {
      log.files = await Promise.all([...file.files].map(async (f) => ({
        name: f.name, size: f.size, type: f.type, bytes: [...new Uint8Array(await f.arrayBuffer())],
      })));
    });
    // An element that appears later, deep inside the shadow root.
    setTimeout(() => {
      const late = document.createElement('button');
      late.id = 'late-button';
      late.textContent = 'Late';
      late.addEventListener('click', () => { log.lateClicks++; });
      root.append(late);
    }, 500);
  }
}
customElements.define('test-widget', TestWidget);
setTimeout(() => { window.__late = 'late-value'; }, 300);
console.error('smoke-console-error');
`;

function startServer() {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url, 'http://x').pathname;
    const body = { '/': INDEX, '/index.html': INDEX, '/second.html': SECOND, '/app.js': APP }[pathname];
    if (body === undefined) {
      res.writeHead(404, { ...HEADERS, 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const type = pathname.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { ...HEADERS, 'content-type': `${type}; charset=utf-8` });
    res.end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

// The processes each launch must have started (and close() must end).
const EXPECTED_PROCESSES = {
  chromium: ['chromium'],
  firefox: ['firefox-esr'],
  webkit: ['WebKitWebDriver', 'MiniBrowser', 'Xvfb'],
};

const FILES = [
  { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello, engines\n') },
  { name: 'data.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 1, 2, 127, 128, 255, 10, 13]) },
];

let site;
// A test that times out leaves its body (and its finally) pending: close its
// browser here so no process outlives the run.
const open = new Set();
test.before(async () => { site = await startServer(); });
test.after(async () => {
  await Promise.all([...open].map((browser) => browser.close()));
  await new Promise((resolve) => { site.server.closeAllConnections(); site.server.close(resolve); });
});

const selected = enginesToRun();
for (const engine of ENGINES) {
  test(engine, { skip: !selected.includes(engine) && 'not in CI_ENGINES', timeout: 240000 }, async (t) => {
    const started = Date.now();
    const browser = await launch(engine);
    open.add(browser);
    t.diagnostic(`${engine}: launch ${Date.now() - started} ms, version ${browser.version}`);
    let procs = [];
    try {
      assert.equal(browser.engine, engine);
      assert.ok(browser.version, 'a version string');
      assert.ok(fs.existsSync(browser.profileDir), 'the profile dir exists while the browser runs');
      const page = await browser.newPage();

      // goto waits for the load event.
      await page.goto(`${site.url}/`);
      assert.equal(await page.evaluate(() => document.readyState), 'complete');
      assert.equal(await page.url(), `${site.url}/`);

      // evaluate: a value, with an argument (and the strict CSP in force).
      assert.deepEqual(await page.evaluate((arg) => ({ sum: arg.a + arg.b, title: document.title }), { a: 2, b: 3 }),
        { sum: 5, title: 'engines smoke' });
      assert.equal(await page.evaluate(() => undefined), undefined);
      // A page-side throw rejects with its message.
      await assert.rejects(page.evaluate(() => { throw new Error('boom-42'); }), { message: 'boom-42' });
      // evaluateAsync awaits; a rejection rejects.
      assert.equal(await page.evaluateAsync(async (ms) => { await new Promise((r) => setTimeout(r, ms)); return `async-${ms}`; }, 50), 'async-50');
      await assert.rejects(page.evaluateAsync(async () => { throw new Error('async-boom'); }), { message: 'async-boom' });

      // waitFor: a value set after a timer; a timeout names the function.
      assert.equal(await page.waitFor(() => window.__late), 'late-value');
      await assert.rejects(page.waitFor(() => window.__neverSet, null, { timeout: 300 }),
        (error) => error.message.includes('window.__neverSet') && error.message.includes('last value'));

      // Environment: cross-origin isolation headers honoured, service workers available.
      const env = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, sw: 'serviceWorker' in navigator }));
      t.diagnostic(`${engine}: crossOriginIsolated ${env.isolated}`);
      assert.equal(env.sw, true, 'navigator.serviceWorker exists on http://127.0.0.1');

      // fill + press Enter in the shadow textarea (fill clears what was there).
      await page.fill('test-widget >> textarea', 'first text');
      await page.fill('test-widget >> textarea', 'hello engines');
      assert.equal(await page.evaluate(() => document.querySelector('test-widget').shadowRoot.querySelector('textarea').value), 'hello engines');
      await page.press('test-widget >> textarea', 'Enter');
      const log = await page.evaluate(() => window.__log);
      assert.deepEqual(log.entered, ['hello engines']);
      assert.ok(log.inputEvents >= 2, `input events fired (${log.inputEvents})`);

      // A real click on the shadow button: the page sees a trusted event.
      await page.click('test-widget >> button');
      assert.deepEqual(await page.waitFor(() => window.__log.clicks.trusted + window.__log.clicks.untrusted && window.__log.clicks),
        browser.capabilities.trustedClicks ? { trusted: 1, untrusted: 0 } : { trusted: 0, untrusted: 1 });

      // Deep search (no ' >> ') waits for an element that appears later.
      await page.click('#late-button');
      assert.equal(await page.evaluate(() => window.__log.lateClicks), 1);
      // A selector that never matches fails, naming the selector.
      page.elementTimeout = 300;
      await assert.rejects(page.click('test-widget >> .missing'), { message: 'no element matches test-widget >> .missing' });
      page.elementTimeout = 10000;

      // setInputFiles: two files on the shadow file input; the page reads them.
      await page.setInputFiles('test-widget >> input[type=file]', FILES);
      const files = await page.waitFor(() => window.__log.files);
      assert.deepEqual(files.map((f) => [f.name, f.size, f.bytes]), FILES.map((f) => [f.name, f.buffer.length, [...f.buffer]]));
      assert.equal(files[0].type, 'text/plain');
      // The DataTransfer fallback (no engine needs it today; keep it working).
      await page.evaluate(() => { window.__log.files = null; });
      page.nativeUpload = false;
      await page.setInputFiles('test-widget >> input[type=file]', FILES.slice().reverse());
      page.nativeUpload = browser.capabilities.nativeUpload;
      const viaFallback = await page.waitFor(() => window.__log.files);
      assert.deepEqual(viaFallback.map((f) => [f.name, f.type, f.bytes]), FILES.slice().reverse().map((f) => [f.name, f.mimeType, [...f.buffer]]));

      // A second tab of the same browser sees the first tab's localStorage.
      const second = await browser.newPage();
      await second.goto(`${site.url}/second.html`);
      assert.equal(await second.url(), `${site.url}/second.html`);
      assert.equal(await second.evaluate(() => document.title), 'second page');
      assert.equal(await second.evaluate(() => localStorage.getItem('entered')), 'hello engines');
      // Two pages used at once each answer for themselves (WebKit: the window switch is serialized).
      const titles = await Promise.all([page, second, page, second].map((p) => p.evaluate(() => document.title)));
      assert.deepEqual(titles, ['engines smoke', 'second page', 'engines smoke', 'second page']);
      await second.close();

      // Reload: a fresh page (the log is gone), localStorage kept.
      await page.reload();
      assert.deepEqual(await page.evaluate(() => [window.__log.entered.length, localStorage.getItem('entered')]), [0, 'hello engines']);

      // Screenshot: a PNG file.
      const shot = path.join(os.tmpdir(), `ci-engine-shot-${engine}-${process.pid}.png`);
      await page.screenshot(shot);
      const png = fs.readFileSync(shot);
      fs.rmSync(shot);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
      assert.ok(png.length > 1000, `a real image (${png.length} bytes)`);

      // Console errors where the engine reports them.
      if (browser.capabilities.console) {
        assert.ok(page.consoleErrors.includes('smoke-console-error'), `console errors: ${JSON.stringify(page.consoleErrors)}`);
      } else {
        assert.deepEqual(page.consoleErrors, []);
      }

      // No CSP violation so far: nothing the driver did needed eval in the page.
      assert.deepEqual(await page.evaluate(() => window.__violations), []);
      // ... and the CSP is really enforced, and the listener really hears it.
      // Page code tries eval from a timer: while a driver evaluate runs,
      // Chromium lets even the page's own functions eval.
      await page.evaluate(() => { setTimeout(() => { window.__evalResult = window.tryEval(); }, 0); });
      assert.equal(await page.waitFor(() => window.__evalResult), 'EvalError');
      assert.ok(await page.waitFor(() => window.__violations.length > 0 && window.__violations));
      await page.close();

      procs = browser.processes();
      const names = procs.map((p) => p.name);
      for (const name of EXPECTED_PROCESSES[engine]) assert.ok(names.includes(name), `a ${name} process in ${JSON.stringify(names)}`);
    } finally {
      if (!procs.length) procs = browser.processes();
      await browser.close();
      open.delete(browser);
    }
    // close() leaves no process of this launch and no profile.
    assert.deepEqual(procs.filter(isAlive).map((p) => `${p.pid} ${p.name}`), []);
    assert.deepEqual(browser.processes(), []);
    assert.equal(fs.existsSync(browser.dir), false, 'profile dir removed');
  });
}
