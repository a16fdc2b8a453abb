// Charts in every engine (issue 13): Python's display() of a Vega-Lite and a
// Plotly bundle in the built app, each drawn by its real library in the
// sandboxed chart frame (web/charts/); a spec that asks for url data and an
// image by URL draws with no connection to the canary server; PNG and SVG
// exports come back from the frame and pass the page's checks. Where an
// engine cannot draw a chart, the element must say so in words (status
// 'failed' with a message) rather than hang: the flow records that in the
// matrix's notes and fails, so the gap is seen.
// Run: node --test tests/engines/flows/charts.test.mjs   (CI_ENGINES=webkit narrows)
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startCanary } from '../../e2e/harness.mjs';
import { copyDist } from '../../e2e/pwa-helpers.mjs';
import { VEGA_MIME, PLOTLY_MIME, VEGA_SPEC, PLOTLY_FIGURE, displayChartsCode } from '../../e2e/charts-helpers.mjs';
import { defineFlows, openApp, closePage, runCode, canaries } from './common.mjs';

let dist;
let app;
let canary;
async function servers() {
  if (app) return;
  dist = await copyDist();
  app = await startApp({ isolation: true, dist: dist.dir, checkout: false });
  canary = await startCanary();
}
after(async () => {
  await Promise.all([app?.close(), canary?.close()]);
  dist?.remove();
});

/** Polls until `n` charts are there and none is loading (WebDriver gives no event for app state). */
async function waitCharts(page, n, timeout = 90000) {
  return page.waitFor((count) => {
    const out = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.localName === 'ci-chart') out.push({ mime: el.output?.mime, status: el.state?.status, marks: el.state?.marks ?? 0, error: el.state?.error?.message ?? null });
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return out.length >= count && out.every((s) => s.status !== 'loading') ? out : null;
  }, n, { timeout });
}

defineFlows(import.meta.url, [
  {
    name: 'a Vega-Lite and a Plotly chart draw in the sandboxed frame; hostile URLs reach nothing',
    async run({ browser, log, notes }) {
      await servers();
      const page = await openApp(browser, `${app.url}/`);
      try {
        const c0 = canary.counts.connections;
        const hostile = {
          data: { url: `${canary.url}/engine-data.csv` },
          layer: [{ mark: 'point' }, { data: { values: [{ x: 1 }] }, mark: { type: 'image', url: `${canary.url}/engine-image.png`, width: 20, height: 20 }, encoding: { x: { field: 'x', type: 'quantitative' }, href: { value: `${canary.url}/engine-href` } } }],
        };
        const t0 = Date.now();
        const exec = await runCode(page, displayChartsCode([[VEGA_MIME, VEGA_SPEC], [PLOTLY_MIME, PLOTLY_FIGURE], [VEGA_MIME, hostile]]));
        assert.equal(exec.status, 'ok', JSON.stringify(exec));
        const states = await waitCharts(page, 3);
        log(`charts (${Date.now() - t0} ms from the run): ${JSON.stringify(states)}`);
        notes.charts = states.map((s) => `${s.mime.includes('plotly') ? 'plotly' : 'vega-lite'}: ${s.status}${s.error ? ` (${s.error})` : ''}, ${s.marks} marks`);
        for (const s of states) {
          assert.ok(s.status === 'rendered' || (s.status === 'failed' && s.error), `a chart is drawn or says why: ${JSON.stringify(s)}`);
        }
        assert.deepEqual(states.map((s) => s.status), ['rendered', 'rendered', 'rendered'], `the charts are drawn: ${JSON.stringify(states)}`);
        assert.ok(states.every((s) => s.marks > 0));
        assert.equal(canary.counts.connections - c0, 0, `no connection to the canary (${canary.counts.log.join(', ')})`);
        // PNG and SVG made in the frame and checked by the page (what Download saves), in this engine.
        const exports = await page.evaluateAsync(async () => {
          const charts = [];
          const walk = (root) => {
            for (const el of root.querySelectorAll('*')) {
              if (el.localName === 'ci-chart') charts.push(el);
              if (el.shadowRoot) walk(el.shadowRoot);
            }
          };
          walk(document);
          const out = [];
          for (const el of charts.slice(0, 2)) {
            for (const format of ['png', 'svg']) {
              try {
                const { mime, bytes } = await el.host.exportImage(format);
                out.push(`${format}: ${mime} ${bytes.byteLength} bytes`);
              } catch (e) {
                out.push(`${format}: failed: ${e.message}`);
              }
            }
          }
          return out;
        });
        log(`exports: ${JSON.stringify(exports)}`);
        notes.exports = exports;
        assert.equal(exports.length, 4);
        for (const e of exports) assert.match(e, /^(png: image\/png|svg: image\/svg\+xml) \d+ bytes$/, `an export in this engine: ${e}`);
        const c = await canaries(page);
        assert.equal(c.pwned, 0);
        assert.deepEqual(c.dialogs, []);
        notes.hostileConnections = canary.counts.connections - c0;
      } finally {
        await closePage(page);
      }
    },
  },
]);
