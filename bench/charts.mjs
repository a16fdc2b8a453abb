// Charts: time to the first chart in the built app against the same library
// on a bare page, in the same Chromium, alternating, same run (issue 13).
//
//   app   a <ci-output> with the chart's mime bundle is added to the app's
//         page (Python ready, the chart chunk not loaded yet): the lazy
//         chunk, the fetch of the library files, the sandboxed frame, the
//         library run from blob: URLs inside it, the spec rendered; until
//         <ci-chart> reports 'rendered'.
//   bare  a page with no CSP and no frame: the same library files
//         (dist/charts/*.js) added as <script src>, then the same renderer
//         draws the same spec, until it answers 'rendered'.
//   bare from blob: the bare page again, but the files fetched and run from
//         blob: URLs, as the frame runs them (separates "blob:" from "frame").
//   Then a second chart of the same kind on the same page: the app makes a
//   new frame that runs the library again (the bytes are in memory); the bare
//   page only renders.
// Also what each renderer adds to the download: raw and gzip -9 bytes of
// dist/charts/* and the <ci-chart> chunk.
//
//   node bench/charts.mjs [--rounds 5]
//
// Writes bench/results/charts.json and prints a table.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { launchBrowser, startApp, ROOT } from '../tests/e2e/harness.mjs';
import { copyDist } from '../tests/e2e/pwa-helpers.mjs';
import { waitReady } from '../tests/e2e/app-helpers.mjs';
import { VEGA_MIME, PLOTLY_MIME, VEGA_SPEC, PLOTLY_FIGURE } from '../tests/e2e/charts-helpers.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const ROUNDS = Number(opt('rounds', 5));
const OUT = path.join(ROOT, 'bench/results/charts.json');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const KINDS = {
  'vega-lite': { mime: VEGA_MIME, spec: VEGA_SPEC, files: ['vega.js'] },
  plotly: { mime: PLOTLY_MIME, spec: PLOTLY_FIGURE, files: ['style-shim.js', 'plotly-cartesian.min.js', 'plotly-renderer.js'] },
  // A trace the cartesian build lacks: the full ("strict") build.
  'plotly-full': {
    mime: PLOTLY_MIME,
    spec: { data: [{ type: 'sunburst', labels: ['all', 'a', 'b'], parents: ['', 'all', 'all'], values: [0, 3, 5] }] },
    files: ['style-shim.js', 'plotly.min.js', 'plotly-renderer.js'],
  },
};

// The baseline page: the renderer's own entry (frame-runtime's ciChartMain)
// driven over a MessageChannel in the page itself, no frame, no CSP.
const BARE = `<!doctype html><meta charset="utf-8"><title>bare chart</title><body><script>
window.drawBare = async (files, spec, viaBlob) => {
  const t0 = performance.now();
  // viaBlob: fetched, then run from blob: URLs, as the chart frame runs them (no frame, no CSP).
  const blobs = viaBlob ? await Promise.all(files.map(async (f) => URL.createObjectURL(await (await fetch('charts/' + f)).blob()))) : null;
  for (const [i, f] of files.entries()) {
    await new Promise((resolve, reject) => { const s = document.createElement('script'); s.src = blobs ? blobs[i] : 'charts/' + f; s.onload = resolve; s.onerror = reject; document.head.append(s); });
  }
  const channel = new MessageChannel();
  const wait = (type) => new Promise((resolve) => { channel.port2.onmessage = (e) => { if (e.data.type === type) resolve(e.data); }; });
  const loaded = wait('chart_loaded');
  self.ciChartMain(channel.port1);
  await loaded;
  let done = wait('chart_rendered');
  channel.port2.postMessage({ type: 'chart_render', spec, theme: 'light' });
  const first = await done;
  const t1 = performance.now();
  done = wait('chart_rendered');
  channel.port2.postMessage({ type: 'chart_render', spec, theme: 'light' });
  await done;
  const t2 = performance.now();
  return { first: t1 - t0, second: t2 - t1, marks: first.marks };
};
</script></body>`;

// In the app's page: adds a <ci-output> and resolves with ms until its chart is drawn.
function drawInApp([output]) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const el = document.createElement('ci-output');
    el.output = output;
    el.addEventListener('ci-chart-state', (e) => {
      if (e.detail.status === 'rendered') resolve({ ms: performance.now() - t0, marks: e.detail.marks, timings: e.detail.timings });
      else if (e.detail.status === 'failed') reject(new Error(e.detail.error?.message));
    });
    document.body.prepend(el);
  });
}

function sizes(dir) {
  const out = {};
  const gz = (p) => zlib.gzipSync(fs.readFileSync(p), { level: 9 }).length;
  for (const f of fs.readdirSync(path.join(dir, 'charts'))) {
    const p = path.join(dir, 'charts', f);
    out[`charts/${f}`] = { raw: fs.statSync(p).size, gzip: gz(p) };
  }
  for (const f of fs.readdirSync(path.join(dir, 'assets')).filter((n) => n.startsWith('ci-chart-'))) {
    const p = path.join(dir, 'assets', f);
    out['assets/ci-chart-*.js'] = { raw: fs.statSync(p).size, gzip: gz(p) };
  }
  return out;
}

async function main() {
  const copy = await copyDist();
  fs.writeFileSync(path.join(copy.dir, 'bench-chart-bare.html'), BARE);
  const app = await startApp({ isolation: true, dist: copy.dir, checkout: false });
  const browser = await launchBrowser();
  const runs = Object.fromEntries(Object.keys(KINDS).map((k) => [k, { app: [], app2: [], bare: [], bare2: [], bareBlob: [] }]));
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [kind, k] of Object.entries(KINDS)) {
        const output = { mime: k.mime, data: JSON.stringify(k.spec), text: 'chart' };
        // The app (Python ready first, so its start does not share the CPU with the chart).
        const page = await browser.newPage();
        await page.goto(`${app.url}/`);
        await waitReady(page);
        const a1 = await page.evaluate(drawInApp, [output]);
        const a2 = await page.evaluate(drawInApp, [output]);
        await page.close();
        // The bare page.
        const bare = await browser.newPage();
        await bare.goto(`${app.url}/bench-chart-bare.html`);
        const b = await bare.evaluate(([files, spec]) => window.drawBare(files, spec, false), [k.files, k.spec]);
        await bare.close();
        const blobPage = await browser.newPage();
        await blobPage.goto(`${app.url}/bench-chart-bare.html`);
        const bb = await blobPage.evaluate(([files, spec]) => window.drawBare(files, spec, true), [k.files, k.spec]);
        await blobPage.close();
        runs[kind].bareBlob.push(bb.first);
        runs[kind].app.push(a1.ms);
        runs[kind].app2.push(a2.ms);
        runs[kind].bare.push(b.first);
        runs[kind].bare2.push(b.second);
        if (a1.marks !== b.marks) console.warn(`${kind}: marks differ (app ${a1.marks}, bare ${b.marks})`);
        console.log(`round ${round + 1} ${kind}: app ${a1.ms.toFixed(0)} ms (second ${a2.ms.toFixed(0)}; libraries run ${a1.timings?.loaded} ms into the frame, drawn in ${a1.timings?.render} ms), bare ${b.first.toFixed(0)} ms (second ${b.second.toFixed(0)}), bare from blob: ${bb.first.toFixed(0)} ms`);
      }
    }
  } finally {
    await browser.close();
    await app.close();
  }
  const result = {
    date: new Date().toISOString(),
    rounds: ROUNDS,
    chromium: true,
    download: sizes(copy.dir),
    kinds: Object.fromEntries(Object.entries(runs).map(([kind, r]) => [kind, {
      first_chart_ms: { app: median(r.app), bare: median(r.bare), ratio: +(median(r.app) / median(r.bare)).toFixed(2) },
      second_chart_ms: { app: median(r.app2), bare: median(r.bare2), ratio: +(median(r.app2) / median(r.bare2)).toFixed(2) },
      bare_from_blob_ms: { ms: median(r.bareBlob), ratio_to_bare: +(median(r.bareBlob) / median(r.bare)).toFixed(2) },
      runs: r,
    }])),
  };
  copy.remove();
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log('\nwhat the charts add to the download (fetched only when a chart is shown; precached for offline):');
  for (const [f, s] of Object.entries(result.download)) console.log(`  ${f.padEnd(26)} ${(s.raw / 1024).toFixed(0).padStart(6)} KB raw ${(s.gzip / 1024).toFixed(0).padStart(6)} KB gzip`);
  console.log('\ntime to chart (median ms; ratio app/bare, same Chromium):');
  for (const [kind, k] of Object.entries(result.kinds)) {
    console.log(`  ${kind.padEnd(10)} first: app ${k.first_chart_ms.app.toFixed(0)} / bare ${k.first_chart_ms.bare.toFixed(0)} = ${k.first_chart_ms.ratio}x   second: app ${k.second_chart_ms.app.toFixed(0)} / bare ${k.second_chart_ms.bare.toFixed(0)} = ${k.second_chart_ms.ratio}x   bare from blob: ${k.bare_from_blob_ms.ms.toFixed(0)} = ${k.bare_from_blob_ms.ratio_to_bare}x bare`);
  }
  console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
