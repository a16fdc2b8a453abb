// Charts offline (issue 13, item 2): the chart libraries are precached by the
// service worker when the app is installed, even though the page fetches
// them only when a chart is shown. So a person who never drew a chart while
// online, offline (the app's server gone, the browser offline) gets a
// Vega-Lite and a Plotly chart drawn from Python's display() all the same.
import test from 'node:test';
import assert from 'node:assert/strict';
import { artifactPath, launchBrowser, startApp } from './harness.mjs';
import { requireBuiltApp, openApp, waitReady, assertNoViolations } from './app-helpers.mjs';
import { copyDist, waitControlled, runCell } from './pwa-helpers.mjs';
import { VEGA_MIME, PLOTLY_MIME, VEGA_SPEC, PLOTLY_FIGURE, displayChartsCode, waitCharts } from './charts-helpers.mjs';

const FILES = ['/charts/vega.js', '/charts/style-shim.js', '/charts/plotly.min.js', '/charts/plotly-cartesian.min.js', '/charts/plotly-renderer.js'];

test('offline, a first Vega-Lite and Plotly chart draw from the precache', { timeout: 240000 }, async () => {
  requireBuiltApp();
  const copy = await copyDist();
  const app = await startApp({ dist: copy.dir, isolation: true, checkout: false });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    await waitControlled(page);
    const precached = await page.evaluate(async () => (await Promise.all((await caches.keys()).map(async (n) => (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname)))).flat());
    for (const f of FILES) assert.ok(precached.includes(f), `${f} is precached`);
    const fetched = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/charts/')).length);
    assert.equal(fetched, 0, 'the page itself has not fetched a chart library yet (lazy)');

    await app.close();
    await browser.context.setOffline(true);
    await page.reload();
    await waitReady(page);
    const exec = await runCell(page, displayChartsCode([[VEGA_MIME, VEGA_SPEC], [PLOTLY_MIME, PLOTLY_FIGURE]]));
    assert.equal(exec.status, 'ok', exec.stderr);
    const states = await waitCharts(page, 2);
    await page.screenshot({ path: artifactPath('charts-offline.png'), fullPage: true });
    assert.deepEqual(states.map((s) => s.status), ['rendered', 'rendered'], JSON.stringify(states));
    assert.ok(states.every((s) => s.marks > 0));
    assert.equal(await page.evaluate(() => navigator.onLine), false);
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await app.close();
    copy.remove();
  }
});
