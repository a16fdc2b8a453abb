// The worker_threads entry of NodeSandbox: Pyodide + worker-main.mjs.
//
// Node-only duties that the browser's host page does in its own way:
// - package downloads are checked against the sha256 of the lock file
//   (Pyodide checks integrity only through the browser's fetch; in Node it
//   does not), so a tampered or truncated wheel is refused with a clear error;
// - a KeyboardInterrupt that asyncio re-raises into the event loop (an
//   interrupted user-created task) must not kill the thread.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import { loadPyodide } from 'pyodide';
import { serveRunner } from './worker-main.mjs';
import { MSG } from '../sandbox/messages.mjs';

const require = createRequire(import.meta.url);

function lockOf(options) {
  let lock = options.lockFileContents;
  if (!lock) {
    const file = options.lockFileURL && !options.lockFileURL.includes('://')
      ? options.lockFileURL
      : require.resolve('pyodide/pyodide-lock.json');
    try { lock = fs.readFileSync(file, 'utf8'); } catch { return null; }
  }
  try { return typeof lock === 'string' ? JSON.parse(lock) : lock; } catch { return null; }
}

function installChecksummedFetch(options) {
  const lock = lockOf(options);
  const expected = new Map();
  for (const pkg of Object.values(lock?.packages ?? {})) {
    if (pkg.file_name && pkg.sha256) expected.set(decodeURIComponent(pkg.file_name.split('/').pop()), pkg.sha256.toLowerCase());
  }
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = String(input?.url ?? input);
    const name = decodeURIComponent(url.split(/[?#]/)[0].split('/').pop());
    const response = await realFetch(input, init);
    const sha = expected.get(name);
    if (!sha || !response.ok) return response;
    const bytes = new Uint8Array(await response.arrayBuffer());
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha) {
      throw new Error(`sha256 checksum mismatch for ${name}: the package list says ${sha}, the download is ${got}`);
    }
    return new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

process.on('uncaughtException', (error) => {
  const text = `${error?.type ?? ''} ${error?.message ?? error}`;
  if (/KeyboardInterrupt|CancelledError/.test(text) && !error?.pyodide_fatal_error) return; // the run reports it
  // Anything else leaves Pyodide in an unknown state: say why, then end the
  // thread; NodeSandbox answers the run as crashed and starts a new worker.
  try { parentPort.postMessage({ type: MSG.CRASH, message: String(error?.message ?? error).split('\n')[0] }); } catch { /* closing */ }
  process.exit(70);
});

serveRunner(parentPort, {
  loadPyodide: (options) => {
    installChecksummedFetch(options);
    return loadPyodide(options);
  },
  importRunner: () => import('./runner.mjs'),
  messages: MSG,
});
