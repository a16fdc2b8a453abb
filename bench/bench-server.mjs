// The server both browser benchmarks load bare Pyodide from (the checkout's
// bench/sandbox/ and node_modules/pyodide/ through scripts/serve.mjs).
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { createServer } from '../scripts/serve.mjs';
import { ROOT } from '../tests/e2e/harness.mjs';

/**
 * serve.mjs (COOP/COEP, cache-control: no-cache) plus validators: ETag and
 * Last-Modified, and 304 for a matching If-None-Match, like a real static
 * host. Without them every warm load would refetch everything and
 * Chromium's HTTP cache (and its wasm code cache) could not help bare Pyodide.
 */
export function benchServer() {
  const handler = createServer({ isolation: true }).listeners('request')[0];
  const isolationHeaders = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' };
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let st = null;
    try { st = fs.statSync(path.resolve(ROOT, decodeURIComponent(url.pathname).replace(/^\/+/, ''))); } catch {}
    if (st?.isFile()) {
      const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'cache-control': 'no-cache', ...isolationHeaders });
        res.end();
        return;
      }
      const writeHead = res.writeHead.bind(res);
      res.writeHead = (code, headers) => writeHead(code, code === 200 ? { ...headers, etag, 'last-modified': st.mtime.toUTCString() } : headers);
    }
    handler(req, res);
  });
}
