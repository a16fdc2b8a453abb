// The embeddable parts, built after the app (web/build/build.mjs) into the
// same dist/ (not emptied):
//   dist/code-interpreter.js  an ES module for other pages: <code-interpreter> + createSession
//                             (web/embed/code-interpreter.mjs); it finds core/, pyodide/,
//                             python/ next to itself
//   dist/embed.html           the iframe embed with its postMessage API (web/embed/embed.html)
//   dist/embed-client.js      an ES module for pages holding that iframe: connectEmbed()
//                             (web/embed/embed-client.mjs), the same protocol module as the embed
//   dist/embed/…              the chunks and CSS both load (relative imports, so they work
//                             when code-interpreter.js is loaded from another origin)
// The runtime assets (core/, pyodide/, python/) are the app build's copies.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: path.join(ROOT, 'web/embed'), // so embed.html lands at dist/embed.html
  base: './',
  publicDir: false, // the app build copied public/ already
  logLevel: 'warn',
  build: {
    outDir: path.join(ROOT, 'dist'),
    emptyOutDir: false,
    target: 'es2022',
    assetsDir: 'embed',
    chunkSizeWarningLimit: 1500,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        'code-interpreter': path.join(ROOT, 'web/embed/code-interpreter.mjs'),
        embed: path.join(ROOT, 'web/embed/embed.html'),
        'embed-client': path.join(ROOT, 'web/embed/embed-client.mjs'),
      },
      // Keep the entry's exports (createSession, CodeInterpreter): an app build drops them by default.
      preserveEntrySignatures: 'exports-only',
      output: {
        entryFileNames: (chunk) => (['code-interpreter', 'embed-client'].includes(chunk.name) ? `${chunk.name}.js` : 'embed/[name]-[hash].js'),
        chunkFileNames: 'embed/[name]-[hash].js',
        assetFileNames: 'embed/[name]-[hash][extname]',
      },
    },
  },
});
