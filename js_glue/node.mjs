// The Node parts of a Session (js_glue/session.mjs): the core built to
// WebAssembly read from build/wasm (or $CI_WASM_BUILD), and NodeSandbox
// (Pyodide in a worker_thread). Used by the CLI and the Node tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCore } from './core.mjs';
import { NodeSandbox } from './python/node-sandbox.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The built core. @throws when build/wasm has no ci_core.mjs/.wasm (build it with `npm run build:wasm`). */
export function loadNodeCore(build = process.env.CI_WASM_BUILD ?? path.join(ROOT, 'build/wasm')) {
  // Node 20's fetch cannot load a file path: the bytes go in as wasmBinary.
  return loadCore({
    moduleUrl: pathToFileURL(path.join(build, 'ci_core.mjs')).href,
    wasmBinary: fs.readFileSync(path.join(build, 'ci_core.wasm')),
  });
}

/** A Session's createSandbox for Node; `options` go to NodeSandbox (pyodideOptions, graceMs, …). */
export function nodeSandbox(options = {}) {
  return (hooks) => new NodeSandbox({ ...options, ...hooks });
}
