// The service worker's build step (run last by web/build/build.mjs, because
// it lists what the steps before wrote): bundles web/sw/sw.mjs and its
// Workbox modules into one classic script (Vite, iife), then injects the
// precache manifest of the built site (workbox-build injectManifest: each
// file with a revision, so a new deploy installs a new worker) → dist/sw.js.
// Re-runnable on any built site, e.g. a copy of dist/ after editing it
// (tests/e2e/pwa.test.mjs makes a "new deploy" that way):
//   node web/build/service-worker.mjs [DIR]     (default dist/)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { injectManifest } from 'workbox-build';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// What the worker precaches: the app. Not config.json (hosts edit it after a
// build; the worker fetches it network first), not sw.js itself, not the
// embeddable parts (code-interpreter.js, embed.html, embed/: they run inside
// other sites' pages, which this worker does not control), not docs.
export const PRECACHE = {
  globPatterns: [
    'index.html',
    'manifest.webmanifest',
    'assets/**/*',
    'icons/*',
    'core/*.{mjs,wasm}',
    'pyodide/*.{mjs,wasm,zip,json}',
    'python/*',
    // The chart renderers (web/build/charts.mjs): fetched by the page only
    // when a chart is shown, precached so a chart draws offline.
    'charts/*.js',
  ],
  globIgnores: ['sw.js', '**/*.map'],
  // pyodide.asm.wasm is ~10 MB.
  maximumFileSizeToCacheInBytes: 32 * 1024 * 1024,
  // Vite's assets/ names carry a content hash: no revision needed.
  dontCacheBustURLsMatching: /^assets\//,
};

/** Bundles the worker into a temporary folder; returns the path of the bundle. */
async function bundle(root) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-sw-'));
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    publicDir: false,
    // Workbox's modules log in development builds only.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: tmp,
      emptyOutDir: false,
      target: 'es2022',
      minify: true,
      copyPublicDir: false,
      lib: { entry: path.join(root, 'web/sw/sw.mjs'), formats: ['iife'], name: 'ciServiceWorker', fileName: () => 'sw.js' },
    },
  });
  return { tmp, file: path.join(tmp, 'sw.js') };
}

/**
 * Writes outDir/sw.js with the precache manifest of outDir.
 * @returns {Promise<{count: number, size: number}>} files and bytes precached
 */
export async function buildServiceWorker({ root = ROOT, outDir = path.join(ROOT, 'dist') } = {}) {
  const { tmp, file } = await bundle(root);
  try {
    const { count, size, warnings } = await injectManifest({
      swSrc: file,
      swDest: path.join(outDir, 'sw.js'),
      globDirectory: outDir,
      ...PRECACHE,
    });
    for (const w of warnings) console.warn(`service worker: ${w}`);
    return { count, size };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(process.argv[2] ?? path.join(ROOT, 'dist'));
  buildServiceWorker({ outDir }).then(({ count, size }) => {
    console.log(`${path.relative(process.cwd(), path.join(outDir, 'sw.js'))}: precaches ${count} files, ${(size / 1e6).toFixed(1)} MB`);
  }, (error) => {
    console.error(error.message ?? error);
    process.exit(1);
  });
}
