// The offline reload through the service worker, in every engine (as
// tests/e2e/pwa.test.mjs a, on the driver interface): a private copy of
// dist/ served by a server we can close; a first visit in a fresh profile;
// the worker precaches and takes control; the app's server is closed (so
// nothing but the worker can serve the app); reload: the app starts,
// Python reaches ready and runs a cell typed in the input box.
//
// The drivers have no offline switch for all three engines, and Chromium's
// would block 127.0.0.1 too (see tests/e2e/pwa.test.mjs): a closed server
// is the honest "offline" here.
import assert from 'node:assert/strict';
import { startApp } from '../../e2e/harness.mjs';
import { copyDist } from '../../e2e/pwa-helpers.mjs';
import {
  defineFlows, closePage, openApp, waitReady, installCanaries, pythonMode, typeAndRun, domCells, waitCellDone, serviceWorkerState, waitControlled,
  sandboxFacts,
} from './common.mjs';

const PRECACHED = ['/index.html', '/pyodide/pyodide.asm.wasm', '/pyodide/python_stdlib.zip', '/core/ci_core.wasm', '/python/runner.mjs', '/manifest.webmanifest'];

async function reachable(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return response.ok;
  } catch {
    return false;
  }
}

defineFlows(import.meta.url, [
  {
    name: 'offline reload through the service worker',
    fresh: true, // a first visit: no worker, no cache
    async run({ browser, log, notes }) {
      const copy = await copyDist();
      const app = await startApp({ dist: copy.dir, isolation: true, checkout: false });
      let page;
      try {
        page = await openApp(browser, `${app.url}/`);
        const before = await serviceWorkerState(page);
        log(`first visit: ${JSON.stringify(before)}`);
        if (!before.supported) {
          // Say so plainly (the matrix records it): this engine's automation session has no service workers.
          notes.serviceWorker = 'navigator.serviceWorker is missing';
          assert.fail(`${browser.engine}: navigator.serviceWorker is missing in the automation session, so the app cannot work offline here`);
        }
        // The worker registers once Python is ready, precaches, and takes control.
        let controlled;
        try {
          controlled = await waitControlled(page, 120000);
        } catch (error) {
          notes.serviceWorker = error.message;
          throw error;
        }
        notes.serviceWorker = 'controls the page';
        const precached = await page.evaluateAsync(async () => (await Promise.all((await caches.keys()).map(async (n) => (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname)))).flat());
        log(`controlled: ${JSON.stringify(controlled)}; ${precached.length} precached entries`);
        for (const file of PRECACHED) assert.ok(precached.includes(file), `${file} is precached (${precached.length} entries)`);

        // The app's own server goes away: only the worker can serve the app now.
        await app.close();
        assert.equal(await reachable(`${app.url}/index.html`), false, 'the app server is really down');
        await page.reload();
        await installCanaries(page);
        const served = await page.evaluate(() => ({ controlled: !!navigator.serviceWorker.controller, title: document.title, isolated: self.crossOriginIsolated }));
        log(`after the reload with the server down: ${JSON.stringify(served)}`);
        assert.equal(served.controlled, true, 'the reloaded page is served by the worker');
        await waitReady(page);
        const facts = await sandboxFacts(page);
        notes.offlineStart = facts.lastStart?.mode;
        notes.isolated = facts.isolated;
        assert.equal(served.isolated, true, 'the worker keeps the page cross-origin isolated');

        const n = (await domCells(page)).length;
        await pythonMode(page);
        await typeAndRun(page, 'import statistics, json\nprint(statistics.mean([1, 2, 3, 6]), json.dumps({"offline": True}))');
        const cell = await waitCellDone(page, n);
        assert.equal(cell.status, 'Done', JSON.stringify(cell));
        assert.equal(cell.stdout, '3 {"offline": true}\n');
      } finally {
        await closePage(page);
        await app.close();
        copy.remove();
      }
    },
  },
]);
