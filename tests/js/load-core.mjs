// Loads the built browser module in Node: the bytes go in as wasmBinary
// (Node 20's global fetch cannot load a file path; see TOOLCHAIN.md).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCore } from '../../js_glue/core.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = process.env.CI_WASM_BUILD ?? path.join(ROOT, 'build/wasm');

export async function loadBuiltCore() {
  const moduleFile = path.join(BUILD, 'ci_core.mjs');
  if (!fs.existsSync(moduleFile)) {
    throw new Error(`${moduleFile} is missing: build it with "npm run build:wasm"`);
  }
  return loadCore({ moduleUrl: pathToFileURL(moduleFile).href, wasmBinary: fs.readFileSync(path.join(BUILD, 'ci_core.wasm')) });
}
