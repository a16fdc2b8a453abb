// Helpers for the embedding tests (embed-element, embed-iframe,
// tests/security/embed-fuzz): a copy of the built dist/ with its own
// config.json (embedAllowedOrigins naming the test's host origin), and tiny
// "host page" servers on other 127.0.0.1 ports: other origins than the app.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { ROOT, listen, closeServer } from './harness.mjs';
import { requireBuiltApp } from './app-helpers.mjs';

/** A copy of dist/ whose config.json allows these origins to drive embed.html. Returns { dir, remove() }. */
export function distWithConfig(config) {
  requireBuiltApp();
  if (!fs.existsSync(path.join(ROOT, 'dist/code-interpreter.js')) || !fs.existsSync(path.join(ROOT, 'dist/embed.html'))) {
    throw new Error('dist/code-interpreter.js or dist/embed.html is missing: run "npm run build"');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-embed-dist-'));
  // EMBED_TEST_DIST: another build to copy (used to check that the tests fail on a broken embed).
  fs.cpSync(process.env.EMBED_TEST_DIST || path.join(ROOT, 'dist'), dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A server for host pages: `pages` maps a path to HTML (a string, or a
 * function (url) → string). `isolation` sends COOP/COEP (the host page is
 * then cross-origin isolated). Listen first, fill `pages` later if the HTML
 * needs the origins. Returns { url, pages, close() }.
 */
export async function startHostServer({ isolation = false } = {}) {
  const pages = {};
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const page = pages[url.pathname];
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
    if (isolation) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    res.end(typeof page === 'function' ? page(url) : page);
  });
  const url = await listen(server);
  return { url, pages, server, close: () => closeServer(server) };
}

/** Records CSP violations and page errors of a page (and its same-process frames). */
export async function watchPage(page) {
  const problems = { violations: [], errors: [] };
  await page.exposeFunction('reportViolation', (v) => problems.violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });
  page.on('pageerror', (error) => problems.errors.push(error.message));
  return problems;
}

/** Waits until `fn` (run in Node) returns a truthy value; returns it. */
export async function until(fn, { timeout = 60000, what = 'a condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 500)})`);
}

// Python for a turn: reads the uploaded CSV, prints a total, writes a file.
export const SUM_CODE = `rows = open('sales.csv').read().split()[1:]
total = sum(int(r.split(',')[1]) for r in rows)
print('total:', total)
open('total.txt', 'w').write(f'total={total}')
total * 2`;

export const SALES_CSV = 'region,total\nN,10\nS,32\n';

/** The scripted model's replies for one full turn: a tool call running SUM_CODE, then the answer. */
export function sumTurnSteps() {
  return [
    { text: 'Let me add it up.', tool_calls: [{ id: 'call_1', arguments: JSON.stringify({ code: SUM_CODE }) }] },
    { text: 'The total is **42**; I saved total.txt.' },
  ];
}

/**
 * A parent page holding embed.html (iframe#embed), plus optional sibling
 * iframes (URLs). It records every message the embed posts to it in
 * window.got, and offers window.request(message, transfer) to post to the
 * embed (targeted at the app's origin).
 */
export function parentPage(appUrl, { siblings = [] } = {}) {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Parent page</title></head><body>
<iframe id="embed" src="${appUrl}/embed.html" width="900" height="640" title="Code Interpreter"></iframe>
${siblings.map((s, i) => `<iframe id="sibling${i}" src="${s}" width="200" height="50" title="sibling ${i}"></iframe>`).join('\n')}
<script>
window.got = [];
window.fromOthers = 0;
const frame = document.getElementById('embed');
const appOrigin = new URL(frame.src).origin;
window.addEventListener('message', (e) => {
  if (e.source === frame.contentWindow) window.got.push({ origin: e.origin, data: e.data });
  else window.fromOthers += 1;
});
window.request = (message, transfer = []) => frame.contentWindow.postMessage(message, appOrigin, transfer);
</script></body></html>`;
}

/**
 * A parent page holding embed.html (iframe#embed) and driving it through the
 * shipped client, dist/embed-client.js, imported from the app's origin (the
 * app must be served with CORS, as code-interpreter.js is). window.ci is
 * connectEmbed(iframe) once window.clientLoaded; window.got records every
 * message the embed posts, as in parentPage.
 */
export function clientParentPage(appUrl) {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Parent page (embed-client.js)</title></head><body>
<iframe id="embed" src="${appUrl}/embed.html" width="900" height="640" title="Code Interpreter"></iframe>
<script>
window.got = [];
const frame = document.getElementById('embed');
window.addEventListener('message', (e) => { if (e.source === frame.contentWindow) window.got.push({ origin: e.origin, data: e.data }); });
</script>
<script type="module">
import { connectEmbed } from '${appUrl}/embed-client.js';
window.ci = connectEmbed(document.getElementById('embed'));
window.clientLoaded = true;
</script></body></html>`;
}

/** A frame that only counts the messages it receives (window.got). */
export const SIBLING_PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>sibling
<script>window.got = []; window.addEventListener('message', (e) => window.got.push({ origin: e.origin, type: typeof e.data }));</script></body></html>`;

/** The embed's frame in a page. */
export function embedFrame(page) {
  return page.frames().find((f) => f.url().includes('/embed.html'));
}

/** What an embed holds, as plain data (compared before and after foreign messages). */
export function embedState(frame) {
  return frame.evaluate(() => {
    const el = document.querySelector('code-interpreter');
    const app = el?.app;
    const vm = app?.vm;
    if (!vm) return { phase: 'none' };
    return {
      phase: vm.phase,
      conversations: JSON.stringify(vm.conversations),
      currentId: vm.currentId,
      items: vm.items.length,
      files: vm.files.map((f) => `${f.path}:${f.version}`),
      settings: JSON.stringify(vm.settings),
      hasKey: vm.hasKey,
      keys: JSON.stringify(app.keys),
      running: vm.running,
      toasts: vm.toasts.length,
      session: app.session ? JSON.stringify(app.session.serialize()) : null,
      polluted: ({}).polluted !== undefined || Object.prototype.type !== undefined,
    };
  });
}

export function embedStats(frame) {
  return frame.evaluate(() => window.ciEmbed.stats());
}

/** Waits until the embed in `frame` is ready with Python running. */
export async function waitEmbedReady(frame) {
  await until(() => frame.evaluate(() => {
    const vm = document.querySelector('code-interpreter')?.app?.vm;
    if (vm?.phase === 'failed') throw new Error(vm.fatal);
    return vm?.phase === 'ready' && vm.python.state === 'ready';
  }), { what: 'the embed to be ready', timeout: 120000 });
}
