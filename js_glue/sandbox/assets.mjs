// The bytes the sandbox needs, fetched by the HOST page with ordinary fetch
// from its own origin (so the app's service worker can serve them offline),
// then handed into the opaque frame: the frame's CSP has connect-src 'none',
// and an opaque origin could not read the app's files without CORS anyway.
//
// Package files (numpy, ...) are fetched here too when the sandbox asks for
// one, from the configured package location, and checked against the sha256
// in the lock file before a byte goes in.

export const PYODIDE_VERSION = '314.0.7';
export const DEFAULT_PACKAGE_BASE_URL = `https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`;

export class SandboxAssetError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'SandboxAssetError';
  }
}

export class PackageError extends Error {
  constructor(message, { reason, packageName, url } = {}, options) {
    super(message, options);
    this.name = 'PackageError';
    this.reason = reason; // 'not_in_lock' | 'offline' | 'not_found' | 'http' | 'checksum'
    this.packageName = packageName;
    this.url = url;
  }
}

async function get(fetchImpl, url, { timeoutMs = 60000, blob = false } = {}) {
  let response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new SandboxAssetError(`Could not load the Python sandbox file ${url}: ${error?.message ?? error} (offline, or the server is down?)`, { cause: error });
  }
  if (!response.ok) throw new SandboxAssetError(`Could not load the Python sandbox file ${url}: HTTP ${response.status}`);
  return blob ? response.blob() : response.arrayBuffer();
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Fetches the interpreter, the standard library, the lock file and the
 * shared runner's files (js_glue/python/runner.mjs, worker-main.mjs,
 * ci_runtime.py, ci_packages.py).
 * @returns {Promise<{pyodideMjs, pyodideAsmMjs, wasm, stdlib: Blob, runner, workerMain: ArrayBuffer,
 *   lock: string, lockJson: object, runtimeSource: string, runnerHash: string}>}
 */
export async function loadAssets({ assetBaseURL, runnerBaseURL, lockFileURL, fetch: fetchImpl = globalThis.fetch.bind(globalThis) }) {
  const at = (base, name) => new URL(name, base).href;
  const [pyodideMjs, pyodideAsmMjs, wasm, stdlib, lockBytes, runner, workerMain, runtime, packages] = await Promise.all([
    // The big ones stay Blobs: handed to the sandbox as they are, read there
    // (the wasm is compiled straight from its Blob), no copy in this page.
    get(fetchImpl, at(assetBaseURL, 'pyodide.mjs'), { blob: true }),
    get(fetchImpl, at(assetBaseURL, 'pyodide.asm.mjs'), { blob: true }),
    get(fetchImpl, at(assetBaseURL, 'pyodide.asm.wasm'), { blob: true }),
    get(fetchImpl, at(assetBaseURL, 'python_stdlib.zip'), { blob: true }),
    get(fetchImpl, lockFileURL ?? at(assetBaseURL, 'pyodide-lock.json')),
    get(fetchImpl, at(runnerBaseURL, 'runner.mjs')),
    get(fetchImpl, at(runnerBaseURL, 'worker-main.mjs')),
    get(fetchImpl, at(runnerBaseURL, 'ci_runtime.py')),
    get(fetchImpl, at(runnerBaseURL, 'ci_packages.py')),
  ]);
  const lock = new TextDecoder().decode(lockBytes);
  let lockJson;
  try {
    lockJson = JSON.parse(lock);
  } catch (error) {
    throw new SandboxAssetError(`The package lock file is not valid JSON: ${error.message}`);
  }
  // The snapshot key names the code that made the interpreter's memory.
  const parts = [runner, workerMain, runtime, packages, lockBytes];
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) { joined.set(new Uint8Array(p), o); o += p.byteLength; }
  return {
    pyodideMjs, pyodideAsmMjs, wasm, stdlib, lock, lockJson, runner, workerMain,
    runtimeSource: new TextDecoder().decode(runtime),
    packagesSource: new TextDecoder().decode(packages),
    runnerHash: (await sha256Hex(joined)).slice(0, 16),
  };
}

/** A map from a lock file's file_name to its package entry. */
export function packagesByFile(lockJson) {
  const map = new Map();
  for (const [key, p] of Object.entries(lockJson?.packages ?? {})) map.set(p.file_name, { ...p, name: p.name ?? key });
  return map;
}

/**
 * Fetches one package file named in the lock file and checks its sha256.
 * Errors name the package and say why (not in the lock file, offline,
 * not found, HTTP error, checksum mismatch).
 */
export async function fetchPackage({ fileName, byFile, packageBaseURL, fetch: fetchImpl = globalThis.fetch.bind(globalThis), timeoutMs = 120000 }) {
  const entry = byFile.get(fileName);
  if (!entry) {
    throw new PackageError(`The package file "${fileName}" is not in the sandbox's lock file, so it cannot be checked and is not loaded.`, { reason: 'not_in_lock' });
  }
  const name = entry.name;
  let url;
  try {
    url = new URL(fileName, packageBaseURL).href;
  } catch {
    throw new PackageError(`Cannot load package "${name}": bad package location ${packageBaseURL}`, { reason: 'http', packageName: name });
  }
  let response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    throw new PackageError(
      `Cannot load package "${name}": could not reach ${url} (${offline ? 'the browser is offline' : 'network error, offline or blocked'}: ${error?.message ?? error})`,
      { reason: 'offline', packageName: name, url }, { cause: error });
  }
  if (response.status === 404) {
    throw new PackageError(`Cannot load package "${name}": ${url} was not found (HTTP 404)`, { reason: 'not_found', packageName: name, url });
  }
  if (!response.ok) {
    throw new PackageError(`Cannot load package "${name}": ${url} answered HTTP ${response.status}`, { reason: 'http', packageName: name, url });
  }
  const bytes = await response.arrayBuffer();
  const actual = await sha256Hex(bytes);
  if (entry.sha256 && actual !== entry.sha256.toLowerCase()) {
    throw new PackageError(
      `Cannot load package "${name}": checksum mismatch for ${url} (expected sha256 ${entry.sha256}, got ${actual}); the file was not loaded`,
      { reason: 'checksum', packageName: name, url });
  }
  return bytes;
}
