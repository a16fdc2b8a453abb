// The page side of the chart frame, the parts that decide (web/charts/host.mjs),
// in Node: which library files a chart needs, what a chart output parses to,
// what the page accepts back from the untrusted frame (exports, heights), and
// the frame's bootstrap and CSP as the page builds them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { chartScripts, chartSpec, checkExport, clampHeight } from '../../web/charts/host.mjs';
import { chartFrameCsp, chartSrcdoc, CHART_BOOTSTRAP_SOURCE } from '../../web/charts/frame.mjs';
import { CHART_MSG, EXPORT_MAX_BYTES, MAX_FRAME_HEIGHT } from '../../web/charts/messages.mjs';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]).buffer;
const SVG = new TextEncoder().encode('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>').buffer;

test('chartScripts: Vega-Lite runs vega.js; Plotly the cartesian build when every trace is cartesian, else the full one', () => {
  assert.deepEqual(chartScripts('vega-lite', {}), ['vega.js']);
  assert.deepEqual(chartScripts('plotly', { data: [{ type: 'bar' }, { y: [1] }] }), ['style-shim.js', 'plotly-cartesian.min.js', 'plotly-renderer.js'], 'a trace without type is a scatter');
  assert.deepEqual(chartScripts('plotly', { data: [] }), ['style-shim.js', 'plotly-cartesian.min.js', 'plotly-renderer.js']);
  assert.deepEqual(chartScripts('plotly', { data: [{ type: 'bar' }, { type: 'sunburst' }] }), ['style-shim.js', 'plotly.min.js', 'plotly-renderer.js']);
  assert.deepEqual(chartScripts('plotly', { data: [{ type: 'bar' }], frames: [{ data: [{ type: 'scatter3d' }] }] }), ['style-shim.js', 'plotly.min.js', 'plotly-renderer.js'], "an animation frame's traces count");
  assert.deepEqual(chartScripts('plotly', { data: [{ type: 'toString' }] }), ['style-shim.js', 'plotly.min.js', 'plotly-renderer.js'], 'an unknown type gets the full build (which says what it cannot draw)');
});

test('chartSpec: the kind from the mime, the spec from JSON text; clear words for what cannot be drawn', () => {
  assert.deepEqual(chartSpec({ mime: 'application/vnd.vegalite.v4+json', data: '{"mark":"bar"}' }), { kind: 'vega-lite', spec: { mark: 'bar' } });
  assert.deepEqual(chartSpec({ mime: 'application/vnd.plotly.v1+json', data: { data: [] } }), { kind: 'plotly', spec: { data: [] } });
  assert.throws(() => chartSpec({ mime: 'image/png', data: '' }), /Not a chart/);
  assert.throws(() => chartSpec({ mime: 'application/vnd.plotly.v1+json', data: '{"data": [' }), /JSON is not valid/);
  assert.throws(() => chartSpec({ mime: 'application/vnd.plotly.v1+json', data: '[1]' }), /not a JSON object/);
  assert.throws(() => chartSpec({ mime: 'application/vnd.plotly.v1+json', data: 'null' }), /not a JSON object/);
});

test('checkExport: the mime asked for, a real PNG/SVG signature, not empty, not too large', () => {
  assert.deepEqual(checkExport('png', { mime: 'image/png', bytes: PNG }), { mime: 'image/png', bytes: PNG });
  assert.equal(checkExport('svg', { mime: 'image/svg+xml', bytes: SVG }).mime, 'image/svg+xml');
  assert.throws(() => checkExport('png', { mime: 'image/svg+xml', bytes: SVG }), (e) => e.code === 'bad_export');
  assert.throws(() => checkExport('png', { mime: 'image/png', bytes: SVG }), /not a PNG/);
  assert.throws(() => checkExport('svg', { mime: 'image/svg+xml', bytes: new TextEncoder().encode('<html><script>x</script>').buffer }), /not a SVG/);
  assert.throws(() => checkExport('png', { mime: 'image/png', bytes: new ArrayBuffer(0) }), /empty or too large/);
  assert.throws(() => checkExport('png', { mime: 'image/png', bytes: new ArrayBuffer(EXPORT_MAX_BYTES + 1) }), /empty or too large/);
  assert.throws(() => checkExport('png', { mime: 'image/png', bytes: 'not bytes' }), (e) => e.code === 'bad_export');
  assert.throws(() => checkExport('html', { mime: 'text/html', bytes: PNG }), (e) => e.code === 'bad_format');
});

test('clampHeight: a frame cannot make itself endless or vanish', () => {
  assert.equal(clampHeight(300.4), 300);
  assert.equal(clampHeight(1e9), MAX_FRAME_HEIGHT);
  assert.equal(clampHeight(-5), 40);
  assert.equal(clampHeight('x'), 40);
});

test('the chart frame: its CSP shuts every door but its own bootstrap and blob: scripts; the srcdoc names the parent origin, escaped', async () => {
  const csp = await chartFrameCsp();
  const d = Object.fromEntries(csp.split(';').map((x) => x.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(d['default-src'], ["'none'"]);
  assert.deepEqual(d['connect-src'], ["'none'"]);
  assert.deepEqual(d['img-src'], ['data:', 'blob:']);
  assert.equal(d['script-src'].length, 2);
  assert.match(d['script-src'][0], /^'sha256-[A-Za-z0-9+/]+=*'$/);
  assert.equal(d['script-src'][1], 'blob:');
  assert.ok(!csp.includes('unsafe-eval'));
  assert.ok(!/[`\\]/.test(CHART_BOOTSTRAP_SOURCE), 'the bootstrap has no backtick or backslash (its text is hashed as written)');
  for (const type of [CHART_MSG.READY, CHART_MSG.LOAD, CHART_MSG.FAILED]) assert.ok(CHART_BOOTSTRAP_SOURCE.includes(`'${type}'`), `the bootstrap speaks ${type}`);
  const doc = await chartSrcdoc('http://a.example"><script>x</script>', { dark: true });
  assert.ok(doc.includes('content="http://a.example&#34;&#62;&#60;script&#62;x&#60;/script&#62;"'));
  assert.ok(doc.startsWith('<!doctype html><html class="dark">'));
  assert.equal((doc.match(/<script>/g) ?? []).length, 1, 'one inline script: the bootstrap');
});

test('every chart message type is used by the page side and the frame side, and spelled only through CHART_MSG', async () => {
  const fs = await import('node:fs');
  const read = (f) => fs.readFileSync(new URL(`../../web/charts/${f}`, import.meta.url), 'utf8');
  const page = read('host.mjs');
  const frame = read('frame-runtime.mjs') + CHART_BOOTSTRAP_SOURCE;
  const keyOf = Object.fromEntries(Object.entries(CHART_MSG).map(([k, v]) => [v, k]));
  for (const [key, type] of Object.entries(CHART_MSG)) {
    const used = (text) => text.includes(`CHART_MSG.${key}`) || text.includes(`'${type}'`);
    assert.ok(used(page), `host.mjs uses ${key}`);
    assert.ok(used(frame), `the frame (bootstrap or frame-runtime.mjs) uses ${key}`);
  }
  for (const f of ['host.mjs', 'frame-runtime.mjs', 'vega-renderer.mjs', 'plotly-renderer.mjs', 'frame.mjs']) {
    for (const m of read(f).matchAll(/'(chart_[a-z]+|ci-chart-ready)'/g)) assert.fail(`${f} spells ${m[1]} raw: use CHART_MSG.${keyOf[m[1]]}`);
  }
});
