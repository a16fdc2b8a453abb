// The app's build: web/ → dist/, with relative URLs (base './') so dist/
// works from any static host path. Files loaded at run time by URL (the
// core, Pyodide, the Python runner) are copied by web/build/copy-assets.mjs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { copyRuntimeAssets } from './web/build/copy-assets.mjs';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: path.join(ROOT, 'web'),
  base: './',
  publicDir: path.join(ROOT, 'public'), // copied as is (manifest, icons, service worker)
  build: {
    outDir: path.join(ROOT, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Only the app: the developer page (web/dev/) is served unbundled.
    rollupOptions: { input: path.join(ROOT, 'web/index.html') },
    chunkSizeWarningLimit: 1500,
  },
  plugins: [copyRuntimeAssets({ root: ROOT })],
});
