// The whole static build, in order (each step is its own file):
//   1. the app:            vite build (vite.config.mjs) → dist/ (emptied first)
//   2. the embeddable parts: vite build (vite.embed.config.mjs) → dist/code-interpreter.js,
//                          dist/embed.html and what they load (added to dist/, not emptied)
//   3. the chart renderers: web/build/charts.mjs → dist/charts/ (classic scripts the
//                          chart frames run, fetched only when a chart is shown)
//   4. the service worker: web/build/service-worker.mjs → dist/sw.js with the
//                          precache manifest of everything above (last: it lists dist/)
//   node web/build/build.mjs        (npm run build)
//   node web/build/build.mjs DIR    the same into DIR instead of dist/ (a private
//                                   build to measure: dist/ is shared)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main() {
  const outDir = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist'));
  await build({ configFile: path.join(ROOT, 'vite.config.mjs'), build: { outDir } });
  const embedConfig = path.join(ROOT, 'vite.embed.config.mjs');
  if (fs.existsSync(embedConfig)) await build({ configFile: embedConfig, build: { outDir } });
  const { buildCharts } = await import(path.join(ROOT, 'web/build/charts.mjs'));
  await buildCharts({ root: ROOT, outDir });
  const sw = path.join(ROOT, 'web/build/service-worker.mjs');
  if (fs.existsSync(sw)) {
    const { buildServiceWorker } = await import(sw);
    await buildServiceWorker({ root: ROOT, outDir });
  }
}

main().catch((error) => {
  console.error(error.message ?? error);
  process.exit(1);
});
