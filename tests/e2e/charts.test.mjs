// Charts (issue 13, the charts half) in the built app (dist/) in Chromium:
// Python emits a Vega-Lite and a Plotly mime bundle through the display
// protocol (display(bundle, raw=True)); each is drawn by its real library in
// a sandboxed frame (web/charts/), loaded only when a chart is shown; the
// charts come back after a reload and export into .ipynb as mime bundles; Download PNG / SVG give real images; the
// frame follows dark mode; a broken spec shows its text with a clear word.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { artifactPath, launchBrowser, startApp } from './harness.mjs';
import { requireBuiltApp, openApp, waitReady, assertNoViolations, canaryCalls } from './app-helpers.mjs';
import { runPython } from '../security/security-helpers.mjs';
import {
  VEGA_MIME, PLOTLY_MIME, VEGA_SPEC, PLOTLY_FIGURE, displayChartsCode, chartStates, waitCharts, mountCharts,
} from './charts-helpers.mjs';

let app;
let browser;
const SUNBURST = { data: [{ type: 'sunburst', labels: ['all', 'a', 'b'], parents: ['', 'all', 'all'], values: [0, 3, 5] }], layout: { title: { text: 'A sunburst' } } };

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.close();
});

const chartRequests = (page) => page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('/charts/')).map((n) => n.replace(/^.*\/charts\//, '')));

test('Python display() of a Vega-Lite and a Plotly bundle: both drawn in sandboxed frames, libraries loaded only then, back after a reload', async () => {
  const { page, violations } = await openApp(browser, app.url);
  assert.deepEqual(await chartRequests(page), [], 'no chart library is fetched before a chart is shown');

  const exec = await runPython(page, displayChartsCode([[VEGA_MIME, VEGA_SPEC], [PLOTLY_MIME, PLOTLY_FIGURE]]));
  assert.equal(exec.status, 'ok', JSON.stringify(exec));
  const states = await waitCharts(page, 2);
  await page.screenshot({ path: artifactPath('charts-01-drawn.png'), fullPage: true });
  assert.deepEqual(states.map((s) => [s.mime, s.status]), [[VEGA_MIME, 'rendered'], [PLOTLY_MIME, 'rendered']], JSON.stringify(states));
  for (const s of states) {
    assert.ok(s.marks > 0, `${s.mime}: marks drawn (${s.marks})`);
    assert.equal(s.frames.length, 1);
    assert.equal(s.frames[0].sandbox, 'allow-scripts', 'an opaque frame: scripts only, never allow-same-origin');
    assert.match(s.frames[0].csp, /connect-src 'none'/);
    assert.match(s.frames[0].csp, /default-src 'none'/);
    assert.doesNotMatch(s.frames[0].csp, /unsafe-eval/);
    assert.ok(s.frames[0].height > 100, `the frame sized itself to the chart (${s.frames[0].height}px)`);
  }
  // The notebook export carries the mime bundles (JSON mimes as objects, as nbformat wants).
  const nb = await page.evaluate(() => document.querySelector('code-interpreter').app.ci.exportNotebook());
  const shown = nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === 'display_data');
  assert.deepEqual(shown.map((o) => Object.keys(o.data).sort()), [[VEGA_MIME, 'text/plain'], [PLOTLY_MIME, 'text/plain']]);
  assert.deepEqual(shown[0].data[VEGA_MIME], VEGA_SPEC);
  assert.deepEqual(shown[1].data[PLOTLY_MIME], PLOTLY_FIGURE);
  assert.deepEqual((await chartRequests(page)).sort(), ['plotly-cartesian.min.js', 'plotly-renderer.js', 'style-shim.js', 'vega.js'], 'a cartesian figure loads the smaller Plotly build');

  // The outputs are part of the conversation: a reload draws them again.
  await page.reload();
  await waitReady(page);
  const again = await waitCharts(page, 2);
  assert.deepEqual(again.map((s) => s.status), ['rendered', 'rendered'], JSON.stringify(again));
  assertNoViolations(violations);
  assert.equal(await canaryCalls(page), 0);
  await page.close();
});

test('Download PNG and SVG: the page saves real images made in the frame; a sunburst uses the full Plotly build', async () => {
  const { page } = await openApp(browser, app.url);
  const states = await mountCharts(page, [
    { mime: VEGA_MIME, data: JSON.stringify(VEGA_SPEC), text: '<vega>' },
    { mime: PLOTLY_MIME, data: JSON.stringify(PLOTLY_FIGURE), text: '<plotly>' },
    { mime: PLOTLY_MIME, data: JSON.stringify(SUNBURST), text: '<sunburst>' },
  ]);
  assert.deepEqual(states.map((s) => s.status), ['rendered', 'rendered', 'rendered'], JSON.stringify(states));
  assert.ok(states[2].marks > 0, 'the sunburst drew its sectors');
  assert.ok((await chartRequests(page)).includes('plotly.min.js'), 'the full build was fetched for a trace the cartesian one lacks');
  const charts = page.locator('.chart-test-box ci-chart');
  for (const [i, name] of [[0, 'vega'], [1, 'plotly']]) {
    for (const format of ['png', 'svg']) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        charts.nth(i).getByRole('button', { name: `Download ${format.toUpperCase()}` }).click(),
      ]);
      assert.equal(download.suggestedFilename(), `chart.${format}`);
      const file = artifactPath(`charts-${name}.${format}`);
      await download.saveAs(file);
      const bytes = fs.readFileSync(file);
      if (format === 'png') {
        assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${name}: a PNG`);
        assert.ok(bytes.length > 2000, `${name}: a PNG with a picture in it (${bytes.length} bytes)`);
      } else {
        const text = bytes.toString('utf8');
        assert.match(text, /<svg[\s>]/, `${name}: an SVG`);
        assert.ok(text.includes(name === 'vega' ? 'North' : 'A Plotly figure'), `${name}: the SVG has the chart's text`);
      }
    }
  }
  await page.close();
});

test('dark mode reaches the frame, also when it changes after drawing; a broken spec shows its text and says why', async () => {
  const { page } = await openApp(browser, app.url);
  await page.emulateMedia({ colorScheme: 'light' });
  const states = await mountCharts(page, [
    { mime: VEGA_MIME, data: JSON.stringify(VEGA_SPEC), text: '<vega>' },
    { mime: PLOTLY_MIME, data: '{"data": [', text: '<the figure as text>' },
  ]);
  assert.equal(states[0].status, 'rendered');
  assert.equal(states[1].status, 'failed');
  assert.equal(states[1].error.code, 'bad_spec');
  const handle = await page.locator('.chart-test-box ci-chart').first().locator('iframe').elementHandle();
  const frame = await handle.contentFrame();
  const theme = () => frame.evaluate(() => ({ dark: document.documentElement.classList.contains('dark'), background: getComputedStyle(document.querySelector('#chart svg') ?? document.body).backgroundColor }));
  assert.equal((await theme()).dark, false, 'drawn light in a light page');
  await page.emulateMedia({ colorScheme: 'dark' });
  await frame.waitForFunction(() => document.documentElement.classList.contains('dark'));
  await page.screenshot({ path: artifactPath('charts-02-dark.png') });
  const failed = page.locator('.chart-test-box ci-chart').nth(1);
  await failed.getByText('could not be drawn').waitFor();
  await failed.getByText('<the figure as text>').waitFor();
  const all = await page.evaluate(chartStates);
  assert.equal(all.filter((s) => s.status === 'failed')[0].frames.length, 0, 'no frame for a spec that is not JSON');
  await page.close();
});
