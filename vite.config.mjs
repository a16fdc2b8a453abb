// The app's build: web/ → dist/, with relative URLs (base './') so dist/
// works from any static host path. Files loaded at run time by URL (the
// core, Pyodide, the Python runner) are copied by web/build/copy-assets.mjs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { copyRuntimeAssets } from './web/build/copy-assets.mjs';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

// The app's start as one chunk: every module that the app element and the
// service-worker glue import statically, except what the page's entry
// (web/main.mjs, which paints first) imports itself. Left to itself the
// bundler splits that code into ~10 shared chunks (the lazy chunks, the
// table, the charts and markdown, share pieces of it), each one more
// request and one more <link rel=modulepreload> inserted at start.
// Modules only the lazy chunks import stay in those.
function startChunk({ entries, page }) {
  let start = null;
  const closure = (from, getModuleInfo) => {
    const seen = new Set();
    const todo = [...from];
    while (todo.length) {
      const id = todo.pop();
      if (seen.has(id)) continue;
      seen.add(id);
      todo.push(...(getModuleInfo(id)?.importedIds ?? []));
    }
    return seen;
  };
  return (id, ctx) => {
    const getModuleInfo = (m) => ctx.getModuleInfo(m); // a method: keep its `this`
    if (!start) {
      const pageOwn = closure([page], getModuleInfo);
      start = new Set([...closure(entries, getModuleInfo)].filter((m) => !pageOwn.has(m)));
    }
    return start.has(id) ? 'app' : null;
  };
}

export default defineConfig({
  root: path.join(ROOT, 'web'),
  base: './',
  publicDir: path.join(ROOT, 'public'), // copied as is (manifest, icons, service worker)
  build: {
    outDir: path.join(ROOT, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Only the app: the developer page (web/dev/) is served unbundled.
    rollupOptions: {
      input: path.join(ROOT, 'web/index.html'),
      output: {
        codeSplitting: {
          groups: [
            // Vite's preload helper serves the page's entry too: a chunk of
            // its own first (else it joins the app chunk as a dependency, and
            // the entry would import the whole app before the first paint).
            { name: 'preload-helper', test: /vite\/preload-helper/, priority: 2 },
            {
              name: startChunk({
                entries: [path.join(ROOT, 'web/components/code-interpreter.mjs'), path.join(ROOT, 'web/app/pwa.mjs')],
                page: path.join(ROOT, 'web/main.mjs'),
              }),
              debugName: 'app',
              priority: 1,
            },
          ],
        },
      },
    },
    chunkSizeWarningLimit: 1500,
  },
  plugins: [copyRuntimeAssets({ root: ROOT })],
});
