// The chart renderers' build step (run by web/build/build.mjs after the app,
// before the service worker, which precaches what this writes):
//   dist/charts/vega.js             vega + vega-lite + vega-embed + vega-interpreter
//                                   + web/charts/vega-renderer.mjs, one classic script (iife)
//   dist/charts/style-shim.js       web/charts/style-shim.mjs (iife), run before Plotly
//   dist/charts/plotly.min.js       plotly.js's "strict" build (no eval), as published
//   dist/charts/plotly-cartesian.min.js  plotly.js's cartesian build (bar, box, contour, heatmap,
//                                   histogram(2d), image, pie, scatter, violin…), for figures
//                                   that use only those: a third of the size, parsed ~4x faster
//   dist/charts/plotly-renderer.js  web/charts/plotly-renderer.mjs (iife; uses the global Plotly)
// Classic scripts, not modules: the chart frame runs them from blob: URLs in
// order (web/charts/frame.mjs); nothing is loaded until a chart is shown
// (web/charts/host.mjs fetches them from this origin, so the service worker
// serves them offline).
//   node web/build/charts.mjs [DIR]     (default dist/)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The files written (host.mjs's chartScripts says which a chart runs, in order).
export const CHART_FILES = {
  styleShim: { entry: 'web/charts/style-shim.mjs', out: 'style-shim.js' },
  vega: { entry: 'web/charts/vega-renderer.mjs', out: 'vega.js' },
  plotly: { copy: 'node_modules/plotly.js-strict-dist-min/plotly-strict.min.js', out: 'plotly.min.js' },
  plotlyCartesian: { copy: 'node_modules/plotly.js-cartesian-dist-min/plotly-cartesian.min.js', out: 'plotly-cartesian.min.js' },
  plotlyRenderer: { entry: 'web/charts/plotly-renderer.mjs', out: 'plotly-renderer.js' },
};

async function bundle(root, entry, outDir, fileName) {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    publicDir: false,
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      minify: true,
      copyPublicDir: false,
      reportCompressedSize: false,
      chunkSizeWarningLimit: 4000,
      lib: { entry: path.join(root, entry), formats: ['iife'], name: 'ciChartRenderer', fileName: () => fileName },
    },
  });
}

/** Writes outDir/charts/…; returns {file: bytes}. */
export async function buildCharts({ root = ROOT, outDir = path.join(ROOT, 'dist') } = {}) {
  const dir = path.join(outDir, 'charts');
  fs.mkdirSync(dir, { recursive: true });
  const sizes = {};
  for (const f of Object.values(CHART_FILES)) {
    if (f.copy) fs.copyFileSync(path.join(root, f.copy), path.join(dir, f.out));
    else await bundle(root, f.entry, dir, f.out);
    sizes[f.out] = fs.statSync(path.join(dir, f.out)).size;
  }
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist'));
  buildCharts({ outDir }).then((sizes) => console.log(`charts: ${JSON.stringify(sizes)}`), (error) => {
    console.error(error.message ?? error);
    process.exit(1);
  });
}
