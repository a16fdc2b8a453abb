// A small static server for development and tests on 127.0.0.1. At / it
// serves the built app (dist/, made by "npm run build"; a short page saying
// so when it is missing). Beside it, unbundled from this checkout: web/ (the
// developer page is /web/dev/), js_glue/, public/, the built core
// (build/wasm/), Pyodide's files (node_modules/pyodide/: the sandbox host
// fetches them from its own origin and hands them in) and the browser test
// pages (tests/e2e/pages/).
// Sends COOP/COEP so the page is cross-origin isolated (the sandbox's
// interrupt buffer needs it); --no-isolation serves like a plain static host.
// --cors adds Access-Control-Allow-Origin: * and CORP cross-origin, as a host
// must for pages of other origins that load dist/code-interpreter.js.
// --dist DIR serves another build (tests serve copies of dist/).
//
//   node scripts/serve.mjs [--port 8080] [--no-isolation] [--cors] [--dist DIR]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVED = ['web', 'js_glue', 'public', 'build/wasm', 'node_modules/pyodide', 'node_modules/idb', 'tests/e2e/pages', 'bench/sandbox', 'examples'];
const DEFAULT_DIST = path.join(ROOT, 'dist');
const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Code Interpreter: not built</title>
<h1>The app is not built yet</h1><p>Run <code>npm run build</code> (or <code>bash scripts/start.sh</code>), then reload.
The developer page works without a build: <a href="web/dev/">web/dev/</a>.</p>`;
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.webmanifest': 'application/manifest+json', '.md': 'text/markdown; charset=utf-8', '.zip': 'application/zip',
  '.py': 'text/x-python; charset=utf-8',
};

/**
 * @param {object} [options]
 * @param {boolean} [options.isolation] send COOP/COEP (true)
 * @param {boolean} [options.cors]      allow every origin to load the files (false)
 * @param {string}  [options.dist]      the built site to serve at / (dist/)
 * @param {boolean} [options.checkout]  also serve the checkout's allowlisted folders (true)
 */
export function createServer({ isolation = true, cors = false, dist = DEFAULT_DIST, checkout = true } = {}) {
  const DIST = path.resolve(dist);
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    if (rel === 'web') rel = 'web/';
    if (rel === '' || rel.endsWith('/')) rel = path.posix.join(rel, 'index.html');
    // The checkout's allowlisted folders first, then the built app (dist/).
    let file = path.resolve(ROOT, rel);
    const inChecked = checkout && SERVED.some((dir) => file.startsWith(path.join(ROOT, dir) + path.sep));
    if (!inChecked) file = path.resolve(DIST, rel);
    const allowed = inChecked || file.startsWith(DIST + path.sep);
    if (rel === 'index.html' && !fs.existsSync(file)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(NOT_BUILT);
      return;
    }
    if (!allowed || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`not found: ${url.pathname}\n`);
      return;
    }
    const headers = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' };
    if (isolation) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
      headers['cross-origin-resource-policy'] = 'same-origin';
    }
    if (cors) {
      headers['access-control-allow-origin'] = '*';
      headers['cross-origin-resource-policy'] = 'cross-origin';
    }
    res.writeHead(200, headers);
    fs.createReadStream(file).pipe(res);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const port = Number(args[args.indexOf('--port') + 1] || process.env.PORT || 8080) || 8080;
  const isolation = !args.includes('--no-isolation');
  const cors = args.includes('--cors');
  const dist = args.includes('--dist') ? path.resolve(args[args.indexOf('--dist') + 1]) : DEFAULT_DIST;
  if (!fs.existsSync(path.join(ROOT, 'build/wasm/ci_core.wasm'))) {
    console.error('build/wasm/ci_core.wasm is missing: run "npm run build:wasm" (or bash scripts/start.sh)');
    process.exit(1);
  }
  createServer({ isolation, cors, dist }).listen(port, '127.0.0.1', () => {
    const built = fs.existsSync(path.join(dist, 'index.html'));
    console.log(`Serving the app on http://127.0.0.1:${port}/${built ? '' : ' (not built yet: run "npm run build")'}  (cross-origin isolation ${isolation ? 'on' : 'off'})`);
    console.log(`Developer page: http://127.0.0.1:${port}/web/dev/`);
  });
}
