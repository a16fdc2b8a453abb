// Hostile charts (issue 13, item 5): Vega-Lite specs and Plotly figures
// written to escape, run code or reach the network, drawn by the real app
// (dist/) in Chromium through <ci-output> → <ci-chart> → the chart frame
// (web/charts/). Each payload points at a canary server on another port
// that counts every connection.
//   Vega-Lite: href channels (javascript: and http: links, clicked), url
//   data (csv, json, topojson, lookup), image marks, expressions reaching
//   for constructor / eval / window / this, the spec's usermeta.embedOptions
//   (ast off, a loader, a patch and a config by URL, the actions menu),
//   HTML in tooltips (hovered) and titles, a url() background.
//   Plotly: HTML and links in annotations, titles, hover templates and
//   axis labels (links clicked), layout images and image traces by URL,
//   the figure's own config (showLink, plotlyServerURL, topojsonURL),
//   map traces with a style URL, a geo trace.
//   The XSS and zero-click corpora (corpus/) as chart text.
// Asserted: 0 executions (__pwned / alert / prompt / print from any frame,
// dialogs), 0 connections to the canary (before and after clicks and
// hovers), the app's DOM clean (walkDom), every chart frame still the
// srcdoc it was made (no navigation), and the page's CSP unviolated.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, startCanary } from '../e2e/harness.mjs';
import { requireBuiltApp } from '../e2e/app-helpers.mjs';
import { openSecureApp, walkDom, settle, loadCorpus } from './security-helpers.mjs';
import { VEGA_MIME, PLOTLY_MIME, mountCharts } from '../e2e/charts-helpers.mjs';

let app;
let canary;
let browser;
let s;
const figures = {};

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  canary = await startCanary();
  browser = await launchBrowser();
  s = await openSecureApp(browser, app.url, { ready: false });
  await s.page.waitForFunction(() => customElements.get('ci-output'));
});

after(async () => {
  console.log(`[chart-xss figures] ${JSON.stringify(figures)}`);
  await browser?.close();
  await canary?.close();
  await app?.close();
});

const bars = (extra = {}) => ({
  data: { values: [{ a: 'A', b: 3, u: 'javascript:__pwned()' }, { a: 'B', b: 5, u: 'CANARY/href-field' }] },
  mark: 'bar',
  encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
  ...extra,
});

function vegaSpecs(C) {
  const js = 'javascript:__pwned()';
  const specs = [
    bars({ encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' }, href: { value: js } } }),
    bars({ encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' }, href: { field: 'u' } } }),
    bars({ mark: { type: 'bar', href: `${C}/href-mark`, cursor: 'pointer' } }),
    { data: { url: `${C}/data.csv` }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } },
    { data: { url: `${C}/data.json`, format: { type: 'json' } }, mark: 'point' },
    { data: { url: `${C}/world.json`, format: { type: 'topojson', feature: 'countries' } }, mark: 'geoshape', projection: { type: 'mercator' } },
    bars({ transform: [{ lookup: 'a', from: { data: { url: `${C}/lookup.csv` }, key: 'a', fields: ['z'] } }] }),
    { data: { url: 'data:text/csv,a%0A1' }, mark: 'point' },
    { data: { values: [{ x: 1, y: 1, img: `${C}/image-mark.png` }, { x: 2, y: 2, img: 'javascript:__pwned()' }] }, mark: { type: 'image', width: 40, height: 40 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, url: { field: 'img' } } },
    { data: { values: [{ x: 1 }] }, mark: { type: 'image', url: `${C}/image-value.png`, width: 30, height: 30 }, encoding: { x: { field: 'x', type: 'quantitative' } } },
    bars({ transform: [{ calculate: "constructor.constructor('__pwned()')()", as: 'k' }] }),
    bars({ transform: [{ calculate: "eval('__pwned()')", as: 'k' }] }),
    bars({ transform: [{ calculate: 'window.__pwned()', as: 'k' }] }),
    bars({ transform: [{ calculate: "datum.constructor.constructor('return this')().__pwned()", as: 'k' }] }),
    bars({ transform: [{ calculate: "datum['__proto__']['constructor']['constructor']('__pwned()')()", as: 'k' }] }),
    bars({ transform: [{ filter: "(function(){__pwned()})()" }] }),
    bars({ transform: [{ calculate: 'this.__pwned()', as: 'k' }] }),
    bars({ params: [{ name: 'p', expr: "toString.constructor('__pwned()')()" }] }),
    bars({ params: [{ name: 'q', value: 1, bind: { input: 'range', min: 0, max: 10, name: '<img src=x onerror=__pwned()>' } }] }),
    bars({ usermeta: { embedOptions: { ast: false, actions: true, loader: { baseURL: `${C}/base/` }, patch: `${C}/patch.json`, config: `${C}/config.json`, defaultStyle: `@import url(${C}/style.css);` } } }),
    bars({ title: { text: '<img src=x onerror=__pwned()><script>__pwned()</script>', subtitle: `<a href="${C}/subtitle">x</a>` }, description: '<script>__pwned()</script>' }),
    bars({ encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' }, tooltip: { value: `<img src="${C}/tooltip.png" onerror="__pwned()"><script>__pwned()</script>` } } }),
    bars({ config: { background: `url(${C}/background.png)`, style: { cell: { fill: `url(${C}/fill.png)` } } } }),
    bars({ encoding: { x: { field: 'a', type: 'nominal', axis: { labelExpr: "'<img src=x onerror=__pwned()>'" } }, y: { field: 'b', type: 'quantitative' } } }),
    { $schema: `${C}/schema.json`, ...bars() },
  ];
  return specs.map((spec) => JSON.parse(JSON.stringify(spec).replaceAll('CANARY', C)));
}

function plotlyFigures(C) {
  const link = (href, text = 'link') => `<a href="${href}" target="_self">${text}</a>`;
  const html = `<img src="${C}/img-tag.png" onerror="__pwned()"><script>__pwned()</script><iframe src="${C}/iframe"></iframe>`;
  const base = { data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2] }] };
  return [
    { ...base, layout: { annotations: [{ text: link('javascript:__pwned()', 'js'), x: 0, y: 1, showarrow: false }, { text: link(`${C}/annotation-link`, 'http'), x: 1, y: 2, showarrow: false }, { text: html, x: 0.5, y: 1.5, showarrow: false }] } },
    { ...base, layout: { title: { text: `${html}${link(`${C}/title-link`, 'title')}` }, xaxis: { title: { text: link('javascript:__pwned()', 'axis') } } } },
    { data: [{ type: 'scatter', x: [1, 2], y: [1, 2], hovertemplate: `${html}%{y}`, text: [html, link(`${C}/text-link`)], mode: 'markers+text' }] },
    { ...base, layout: { images: [{ source: `${C}/layout-image.png`, xref: 'paper', yref: 'paper', x: 0, y: 1, sizex: 0.5, sizey: 0.5 }] } },
    { data: [{ type: 'image', source: `${C}/image-trace.png` }] },
    { ...base, config: { showLink: true, linkText: 'open', plotlyServerURL: C, showSendToCloud: true, showEditInChartStudio: true, topojsonURL: `${C}/topo/`, editable: true } },
    { data: [{ type: 'choropleth', locations: ['FRA', 'DEU'], z: [1, 2] }], layout: { geo: { showland: true } } },
    { data: [{ type: 'scattermap', lat: [45], lon: [5] }], layout: { map: { style: `${C}/map-style.json` } } },
    { ...base, layout: { template: { layout: { images: [{ source: `${C}/template-image.png`, xref: 'paper', yref: 'paper', x: 0, y: 1, sizex: 1, sizey: 1 }] } } } },
    { ...base, layout: { updatemenus: [{ buttons: [{ label: html, method: 'relayout', args: ['title.text', html] }] }], sliders: [{ steps: [{ label: link('javascript:__pwned()'), method: 'skip' }] }] } },
    { ...base, frames: [{ name: 'f', layout: { title: { text: html } } }], layout: { meta: [html] } },
  ];
}

/** Mounts the outputs, hovers and clicks inside every chart frame (links first), and checks nothing left. */
async function hostile(name, outputs) {
  const { page } = s;
  const c0 = canary.counts.connections;
  const r0 = canary.counts.requests;
  const e0 = s.executions.length;
  const d0 = s.dialogs.length;
  const v0 = s.violations.length;
  await page.evaluate(() => document.querySelector('.chart-test-box')?.remove());
  const states = await mountCharts(page, outputs);
  const drawn = states.filter((st) => st.status === 'rendered').length;
  await settle(page, 1000); // zero-click: give a load its chance before any interaction
  const zeroClick = canary.counts.connections - c0;

  // Interact: hover the middle, then click every link and the middle of each frame.
  let clicks = 0;
  const charts = page.locator('.chart-test-box ci-chart');
  const n = await charts.count();
  for (let i = 0; i < n; i += 1) {
    const handle = await charts.nth(i).locator('iframe').elementHandle({ timeout: 1000 }).catch(() => null);
    const frame = await handle?.contentFrame();
    if (!frame || !(await handle.isVisible())) continue;
    const box = await handle.boundingBox();
    if (!box || box.height < 20) continue;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (const target of ['.mark-rect path', '.mark-symbol path', '.mark-image image', 'a', '.point', '.bars path']) {
      const list = await frame.locator(target).all().catch(() => []);
      for (const el of list.slice(0, 4)) {
        await el.hover({ timeout: 2000, force: true }).catch(() => {});
        await el.click({ timeout: 2000, force: true }).catch(() => {});
        clicks += 1;
      }
    }
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    clicks += 1;
  }
  await settle(page, 1000);
  const after = await page.evaluate(() => [...document.querySelectorAll('.chart-test-box ci-chart')].map((el) => {
    const f = el.renderRoot.querySelector('iframe');
    return { status: el.state?.status, code: el.state?.error?.code ?? null, frame: !!f };
  }));
  const dom = await walkDom(page);
  const fig = {
    payloads: outputs.length, drawn, clicks,
    connections: canary.counts.connections - c0, requests: canary.counts.requests - r0, zeroClick,
    executions: s.executions.length - e0, dialogs: s.dialogs.length - d0,
    // Refused attempts inside the chart frames, by directive (a refused load or style is a defence, not a leak).
    frameViolations: s.violations.slice(v0).reduce((m, v) => ({ ...m, [v.directive]: (m[v.directive] ?? 0) + 1 }), {}),
  };
  figures[name] = fig;
  assert.deepEqual(canary.counts.log.slice(-fig.requests).filter(() => fig.requests > 0), [], `${name}: no request reached the canary`);
  assert.equal(fig.connections, 0, `${name}: 0 connections to the canary (${canary.counts.log.join(', ')})`);
  assert.deepEqual(s.executions.slice(e0), [], `${name}: 0 executions`);
  assert.equal(fig.dialogs, 0, `${name}: 0 dialogs`);
  assert.deepEqual(dom.offenders, [], `${name}: the app's DOM is clean`);
  assert.deepEqual(after.filter((a) => a.code === 'navigated'), [], `${name}: no chart frame navigated`);
  assert.deepEqual(s.violations.slice(v0).filter((v) => v.frame === `${app.url}/`), [], `${name}: the app page's CSP was not violated`);
  return { states, fig };
}

test('hostile Vega-Lite specs: href, url data, image marks, expressions, embed options, HTML text: 0 executions, 0 requests', async () => {
  const specs = vegaSpecs(canary.url);
  const { states, fig } = await hostile('vega-lite', specs.map((spec) => ({ mime: VEGA_MIME, data: JSON.stringify(spec), text: 'chart' })));
  // The harmless ones still draw: the defences refuse the attack, not the chart.
  assert.equal(states[0].status, 'rendered', JSON.stringify(states[0]));
  assert.ok(fig.drawn >= specs.length / 2, `most hostile specs still draw as charts (${fig.drawn}/${specs.length})`);
  assert.ok(fig.clicks >= specs.length, 'the charts were clicked');
});

test('hostile Plotly figures: HTML and links in text, images by URL, the figure config, maps: 0 executions, 0 requests', async () => {
  const list = plotlyFigures(canary.url);
  const { states, fig } = await hostile('plotly', list.map((f) => ({ mime: PLOTLY_MIME, data: JSON.stringify(f), text: 'figure' })));
  assert.equal(states[0].status, 'rendered', JSON.stringify(states[0]));
  assert.ok(fig.drawn >= list.length / 2, `most hostile figures still draw (${fig.drawn}/${list.length})`);
  // Plotly keeps <a> in its SVG text (with the href it allows): the click guard cancelled them.
  assert.ok(fig.clicks >= list.length, 'the figures were clicked');
});

test('a Plotly link clicked in the frame is not followed, and the figure config does not add a "send to cloud" link', async () => {
  const C = canary.url;
  const fig = { data: [{ type: 'bar', x: ['a'], y: [1] }], layout: { annotations: [{ text: `<a href="${C}/followed" target="_self">go</a>`, x: 0, y: 1, showarrow: false }] }, config: { showLink: true, linkText: 'EDIT-LINK' } };
  await hostile('plotly link', [{ mime: PLOTLY_MIME, data: JSON.stringify(fig), text: 'f' }]);
  const handle = await s.page.locator('.chart-test-box ci-chart iframe').elementHandle();
  const frame = await handle.contentFrame();
  const links = await frame.locator('a').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href') ?? a.getAttribute('xlink:href'), text: a.textContent })));
  assert.ok(links.some((l) => l.text === 'go'), `Plotly drew the annotation's link (${JSON.stringify(links)})`);
  assert.ok(!links.some((l) => l.text.includes('EDIT-LINK')), 'no "edit" link from the figure config');
  // Plotly's drag layer lies over the annotation, so the click is dispatched
  // on the link itself (a real, cancelable click: the browser would follow it).
  const followed = await frame.locator('a', { hasText: 'go' }).evaluate((a) => a.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true, composed: true })));
  assert.equal(followed, false, "the frame's click guard cancelled the link");
  await settle(s.page, 1000);
  assert.equal(canary.counts.log.filter((l) => l.includes('followed')).length, 0, 'the link was not followed');
  assert.equal(await frame.evaluate(() => location.href), 'about:srcdoc', 'the frame stayed where it was');
});

// The whole XSS and zero-click corpora (tests/security/corpus/) as the text of
// charts: Vega-Lite axis labels, titles and tooltips; Plotly text labels,
// hover text, annotations and titles (payloads with the canary's URL in place
// of the corpus's host).
test('the XSS and zero-click corpora as chart text (labels, titles, tooltips, annotations): 0 executions, 0 requests', async () => {
  const C = canary.url;
  const xss = Object.values(loadCorpus('xss')).flat();
  const zero = Object.values(loadCorpus('zero-click')).flat().map((p) => p.replaceAll('CANARYPORT', new URL(C).port).replaceAll('CANARY', C));
  const all = [...xss, ...zero];
  const chunks = [];
  for (let i = 0; i < all.length; i += 120) chunks.push(all.slice(i, i + 120));
  const outputs = [];
  for (const list of chunks) {
    outputs.push({ mime: VEGA_MIME, data: JSON.stringify({
      title: { text: list[0], subtitle: list[1] ?? '' },
      data: { values: list.map((p, i) => ({ label: `${i}:${p}`, v: i % 7 + 1, tip: p })) },
      mark: 'bar',
      encoding: { y: { field: 'label', type: 'nominal', axis: { labelLimit: 400 } }, x: { field: 'v', type: 'quantitative' }, tooltip: [{ field: 'tip' }, { field: 'label' }] },
    }), text: 'corpus' });
    outputs.push({ mime: PLOTLY_MIME, data: JSON.stringify({
      data: [{ type: 'bar', x: list.map((_, i) => i), y: list.map((_, i) => i % 5 + 1), text: list, hovertext: list, textposition: 'outside' }],
      layout: { title: { text: list[0] }, annotations: list.slice(0, 30).map((p, i) => ({ text: p, x: i, y: 6, showarrow: false })) },
    }), text: 'corpus' });
  }
  const { states, fig } = await hostile('corpora as chart text', outputs);
  assert.equal(fig.drawn, outputs.length, `every corpus chart draws: ${JSON.stringify(states.filter((st) => st.status !== 'rendered'))}`);
  figures['corpora as chart text'].payloads = all.length;
});
