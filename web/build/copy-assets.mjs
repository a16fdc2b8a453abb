// A Vite plugin that copies into the build the files the app loads at run
// time by URL instead of bundling them:
//   core/    the C++ core (build/wasm/ci_core.mjs + .wasm; Emscripten's loader
//            finds the .wasm next to itself)
//   pyodide/ the interpreter and standard library (the sandbox host fetches
//            them and hands the bytes into the opaque frame)
//   python/  the shared Python runner (loaded inside the sandbox from blob URLs)
// Fails the build with a clear message when a source file is missing (most
// often: the core was not built; run "npm run build:wasm").
import fs from 'node:fs';
import path from 'node:path';

export const RUNTIME_ASSETS = {
  core: ['build/wasm/ci_core.mjs', 'build/wasm/ci_core.wasm'],
  pyodide: ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json']
    .map((f) => `node_modules/pyodide/${f}`),
  python: ['js_glue/python/runner.mjs', 'js_glue/python/worker-main.mjs', 'js_glue/python/ci_runtime.py', 'js_glue/python/ci_packages.py'],
};

/** Throws when a runtime asset is missing; the message says how to make it. */
export function checkRuntimeAssets(root) {
  const missing = Object.values(RUNTIME_ASSETS).flat().filter((f) => !fs.existsSync(path.join(root, f)));
  if (missing.length === 0) return;
  const hint = missing.some((f) => f.startsWith('build/wasm/'))
    ? 'The C++ core is not built: run "npm run build:wasm" (or bash scripts/start.sh) first.'
    : 'Run "npm install" (or bash scripts/setup.sh) first.';
  throw new Error(`Cannot build the app: missing ${missing.join(', ')}. ${hint}`);
}

export function copyRuntimeAssets({ root }) {
  let outDir;
  return {
    name: 'ci-copy-runtime-assets',
    apply: 'build',
    buildStart() {
      checkRuntimeAssets(root);
    },
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      for (const [dir, files] of Object.entries(RUNTIME_ASSETS)) {
        fs.mkdirSync(path.join(outDir, dir), { recursive: true });
        for (const f of files) fs.copyFileSync(path.join(root, f), path.join(outDir, dir, path.basename(f)));
      }
    },
  };
}
