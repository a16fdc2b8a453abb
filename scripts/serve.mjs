// A small static server for development and tests: serves web/, js_glue/,
// public/, the built core (build/wasm/), Pyodide's files (node_modules/pyodide/:
// the sandbox host fetches them from its own origin and hands them in) and the
// browser test pages (tests/e2e/pages/) from this checkout on 127.0.0.1.
// Sends COOP/COEP so the page is cross-origin isolated (the sandbox's
// interrupt buffer needs it); --no-isolation serves like a plain static host.
//
//   node scripts/serve.mjs [--port 8080] [--no-isolation]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVED = ['web', 'js_glue', 'public', 'build/wasm', 'node_modules/pyodide', 'tests/e2e/pages'];
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.webmanifest': 'application/manifest+json', '.md': 'text/markdown; charset=utf-8', '.zip': 'application/zip',
  '.py': 'text/x-python; charset=utf-8',
};

export function createServer({ isolation = true } = {}) {
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/web/' });
      res.end();
      return;
    }
    let rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    if (rel.endsWith('/') || rel === 'web') rel = path.posix.join(rel, 'index.html');
    const file = path.resolve(ROOT, rel);
    const allowed = SERVED.some((dir) => file.startsWith(path.join(ROOT, dir) + path.sep));
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
    res.writeHead(200, headers);
    fs.createReadStream(file).pipe(res);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const port = Number(args[args.indexOf('--port') + 1] || process.env.PORT || 8080) || 8080;
  const isolation = !args.includes('--no-isolation');
  if (!fs.existsSync(path.join(ROOT, 'build/wasm/ci_core.wasm'))) {
    console.error('build/wasm/ci_core.wasm is missing: run "npm run build:wasm" (or bash scripts/start.sh)');
    process.exit(1);
  }
  createServer({ isolation }).listen(port, '127.0.0.1', () => {
    console.log(`Serving the app on http://127.0.0.1:${port}/  (cross-origin isolation ${isolation ? 'on' : 'off'})`);
  });
}
