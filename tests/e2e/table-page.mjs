// Builds tests/e2e/table-page/ (the table viewer alone, under the app's CSP)
// with Vite into a temp dir and serves it on 127.0.0.1: the page the table
// browser tests and bench/table.mjs open. Returns {url, close}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { build } from 'vite';
import { ROOT, listen, closeServer } from './harness.mjs';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css' };

export async function startTablePage() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-table-page-'));
  await build({
    configFile: false,
    root: path.join(ROOT, 'tests/e2e/table-page'),
    base: './',
    logLevel: 'warn',
    build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: true },
  });
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.join(out, rel);
    if (!file.startsWith(out) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  const url = await listen(server);
  return {
    url: `${url}/index.html`,
    dir: out,
    async close() {
      await closeServer(server);
      fs.rmSync(out, { recursive: true, force: true });
    },
  };
}
