// The first paint of a first visit (issue 16: Lighthouse's mobile LCP). The
// page's own intro (web/index.html, light DOM) must paint before any of the
// app's code is requested (web/main.mjs waits for it: app/first-paint.mjs),
// and stay the largest paint once the app has rendered itself: Lighthouse's
// simulation charges the largest paint with every request sent before it,
// and the app chunk, the core's wasm and Pyodide's files would be those.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, launchBrowser, startApp } from './harness.mjs';
import { DIST_INDEX, requireBuiltApp } from './app-helpers.mjs';

const SMALL = 10_000; // bytes: what may load before the first paint besides HTML and CSS

test('the built page requests only small scripts before the first paint (no modulepreload of the app)', () => {
  requireBuiltApp();
  const index = fs.readFileSync(DIST_INDEX, 'utf8');
  const scripts = [...index.matchAll(/<script type="module"[^>]*src="\.\/([^"]+)"/g)].map((m) => m[1]);
  const preloads = [...index.matchAll(/<link rel="modulepreload"[^>]*href="\.\/([^"]+)"/g)].map((m) => m[1]);
  assert.equal(scripts.length, 1, 'one entry script');
  for (const file of [...scripts, ...preloads]) {
    const size = fs.statSync(path.join(ROOT, 'dist', file)).size;
    assert.ok(size < SMALL, `${file} loads before the first paint and has ${size} bytes`);
  }
});

for (const [width, height] of [[412, 823], [1280, 860]]) {
  test(`${width}×${height}: the intro paints before the app is requested and stays the largest paint`, async () => {
    requireBuiltApp();
    const app = await startApp({ isolation: true });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.setViewportSize({ width, height });
      await page.addInitScript(() => {
        window.__lcp = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            window.__lcp.push({ at: e.startTime, size: e.size, intro: !!e.element?.closest?.('.first-paint'), tag: e.element?.tagName ?? '(in a shadow root)' });
          }
        }).observe({ type: 'largest-contentful-paint', buffered: true });
      });
      await page.goto(`${app.url}/`);
      await page.waitForFunction(() => {
        const vm = document.querySelector('code-interpreter')?.app?.vm;
        if (vm?.phase === 'failed') throw new Error(vm.fatal);
        return vm?.phase === 'ready';
      }, null, { timeout: 90000 });
      // Two frames after the ready UI: its paints have been reported.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const seen = await page.evaluate(() => ({
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
        requests: performance.getEntriesByType('resource').map((e) => ({ url: e.name, start: e.startTime })),
        lcp: window.__lcp,
      }));
      assert.ok(seen.fcp > 0, 'a first contentful paint was reported');
      const index = fs.readFileSync(DIST_INDEX, 'utf8');
      const early = new Set([...index.matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]));
      const big = seen.requests.filter((r) => /\/(assets\/.*\.js|core\/|pyodide\/|python\/)/.test(new URL(r.url).pathname)
        && !early.has(new URL(r.url).pathname.slice(1)));
      assert.ok(big.some((r) => /\/core\/ci_core\.wasm$/.test(r.url)), 'the core was loaded (the app started)');
      for (const r of big) assert.ok(r.start >= seen.fcp, `${r.url} was requested at ${r.start.toFixed(0)} ms, before the first paint at ${seen.fcp.toFixed(0)} ms`);
      const last = seen.lcp.at(-1);
      assert.ok(last, 'a largest contentful paint was reported');
      assert.ok(last.intro, `the largest paint is the intro, not ${last.tag} (${last.size} px²) at ${last.at.toFixed(0)} ms: ${JSON.stringify(seen.lcp)}`);
    } finally {
      await browser.close();
      await app.close();
    }
  });
}
