// The browser's parts of a Session (js_glue/session.mjs), laid out as the
// built app serves them from one folder (`assetBase`): core/ci_core.mjs,
// pyodide/, python/, config.json. Used by the app's controller and by
// createSession (web/embed/headless.mjs).
import { loadCore } from './core.mjs';
import { PythonSandbox } from './sandbox/python-sandbox.mjs';

/** The C++ core built to WebAssembly, from assetBase/core/. */
export function loadBrowserCore(assetBase) {
  return loadCore({ moduleUrl: new URL('core/ci_core.mjs', assetBase).href });
}

/**
 * A Session's createSandbox for the browser: the Python sandbox (an opaque
 * iframe + worker) with its assets from assetBase and packages from the
 * deployment's config ({packageBaseURL, lockFileURL}; null: the defaults).
 * `options`: more PythonSandbox options (snapshots, container, outputLimitBytes, …).
 */
export function browserSandbox(assetBase, config = {}, options = {}) {
  return (hooks) => new PythonSandbox({
    assetBaseURL: new URL('pyodide/', assetBase),
    runnerBaseURL: new URL('python/', assetBase),
    ...(config.packageBaseURL ? { packageBaseURL: config.packageBaseURL } : {}),
    ...(config.lockFileURL ? { lockFileURL: config.lockFileURL } : {}),
    ...options,
    ...hooks,
  });
}
