// The source of the sandbox's classic worker. It runs inside the opaque
// iframe's blob worker; it is serialized with Function.prototype.toString,
// so sandboxWorker() must not close over anything in this module: the
// message types (messages.mjs) come in as its argument, written into the
// source as JSON.
//
// What it does, and why:
// - A CLASSIC worker (module blob workers do not start in an opaque frame),
//   whose importScripts throws: Pyodide 314 refuses classic workers by
//   probing importScripts, and nothing here should load scripts that way.
// - fetch is replaced: URLs under a made-up base (https://pyodide.invalid/)
//   are served from bytes the host handed in; package files under
//   .../packages/ are asked of the host over the port (the host fetches them
//   and checks their sha256); every other URL is refused. The frame's CSP has
//   connect-src 'none' anyway, so this is belt and braces, and it turns a
//   blocked request into a clear error.
// - Pyodide's two modules are imported from blob URLs made here (relative
//   imports cannot resolve inside an opaque frame), and loadPyodide gets
//   createPyodideModule, lockFileContents, stdLibURL and indexURL.
// - Then the shared runner's message loop (js_glue/python/worker-main.mjs,
//   serveRunner) takes over the port. The bootstrap keeps its own messages
//   (the SANDBOX_* types of messages.mjs) and passes every other message to the runner.
//
// Two shapes, one source:
// - 'blob' (the default): a classic worker from a blob URL; Pyodide, the
//   runner and worker-main are imported from blob URLs made here.
// - 'data': WebKit (Safari's engine) refuses a blob: worker made by an opaque
//   document under Cross-Origin-Embedder-Policy: require-corp ("Refused to
//   load 'blob:null/…' worker because of Cross-Origin-Embedder-Policy"), and a
//   data: worker cannot import blob: modules either. A MODULE worker from a
//   data: URL starts there, and its static imports of data: URLs load (module
//   worker graphs are fetched as destination "worker", so the page's and the
//   frame's worker-src allow them; a dynamic import() of data: would need
//   data: in script-src, which the app's page must not allow). So the host
//   builds that worker's source (dataWorkerSource below): the four modules as
//   static imports of data: URLs, put on self.sandboxModules, then this same
//   bootstrap, which uses them instead of importing blobs. Python can start
//   no nested blob worker in that shape; nothing here needs one.

import { MSG as MESSAGES } from './messages.mjs';

function sandboxWorker(MSG) {
  'use strict';
  const BASE = 'https://pyodide.invalid/';
  const PACKAGE_BASE = BASE + 'packages/';
  const refuse = (what) => { throw new Error(`${what} is disabled in the Python sandbox`); };
  self.importScripts = () => refuse('importScripts');

  const served = new Map(); // URL → { bytes, type }
  let port = null;
  let sharedInterrupt = null; // SharedArrayBuffer from the frame, when cross-origin isolated
  let nextId = 1;
  let bootSnapshot = null; // Promise<Uint8Array> of the snapshot sent with the boot, being read
  const pendingFetches = new Map(); // id → { resolve, reject }
  const runnerListeners = new Set();

  self.fetch = async (input) => {
    const url = String(typeof input === 'string' ? input : (input && input.url) || input);
    const file = served.get(url);
    if (file) return new Response(file.bytes, { status: 200, headers: { 'content-type': file.type } });
    if (url.startsWith(PACKAGE_BASE)) {
      const fileName = decodeURIComponent(url.slice(PACKAGE_BASE.length));
      const id = nextId++;
      const bytes = await new Promise((resolve, reject) => {
        pendingFetches.set(id, { resolve, reject });
        port.postMessage({ type: MSG.SANDBOX_FETCH, id, file_name: fileName });
      });
      return new Response(bytes, { status: 200, headers: { 'content-type': 'application/zip' } });
    }
    throw new TypeError(`The Python sandbox has no network access (refused: ${url})`);
  };

  // Until Python is ready, an error nobody catches ends the start with its
  // message: Pyodide leaves a failed wasm instantiation as an unhandled
  // rejection and never settles, which would hang the start until the
  // host's timeout. After that, such errors belong to user code.
  let ready = false;
  const startError = (what) => {
    if (!ready && port) port.postMessage({ type: MSG.SANDBOX_START_ERROR, message: String((what && what.message) || what || 'unknown error') });
  };
  self.addEventListener('unhandledrejection', (e) => startError(e.reason));
  self.addEventListener('error', (e) => startError(e.error || e.message));

  // What serveRunner sees as its port: our port, minus the bootstrap's own messages.
  const runnerPort = {
    postMessage: (message, transfer) => {
      if (message && message.type === MSG.READY) ready = true;
      port.postMessage(message, transfer || []);
    },
    addEventListener: (type, fn) => { if (type === 'message') runnerListeners.add(fn); },
    removeEventListener: (type, fn) => { if (type === 'message') runnerListeners.delete(fn); },
    on: (type, fn) => { if (type === 'message') runnerListeners.add((e) => fn(e.data)); },
    start: () => {},
    set onmessage(fn) { runnerListeners.add(fn); },
  };

  // Where a start's time goes (epoch times, so the host can place them).
  self.sandboxTiming = {};
  // Messages reach the runner in order; a step may wait (reading a Blob).
  let dispatch = Promise.resolve();

  const importBlob = (bytes) => {
    const url = URL.createObjectURL(new Blob([bytes], { type: 'text/javascript' }));
    return import(url).finally(() => URL.revokeObjectURL(url));
  };

  async function boot(m) {
    const t0 = performance.now();
    const a = m.assets;
    // The host hands Blobs (or ArrayBuffers); a Response streams a Blob, so
    // the wasm is compiled as it is read.
    const body = (x) => (x instanceof Blob ? x : new Uint8Array(x));
    // Started now, not when Pyodide asks: the wasm compiles (on the engine's
    // background threads) while the modules are imported, the snapshot is
    // read and the host's init is on its way. Pyodide's instantiateStreaming
    // then only instantiates (see below).
    const compiled = WebAssembly.compileStreaming(new Response(body(a.wasm), { headers: { 'content-type': 'application/wasm' } }));
    compiled.catch(() => {}); // reported when Pyodide asks for it
    // The snapshot, when the host has one, comes with the boot: read now,
    // beside the compile (the init then says snapshotFromBoot: true).
    if (a.snapshot) {
      bootSnapshot = a.snapshot instanceof Blob ? a.snapshot.arrayBuffer().then((b) => new Uint8Array(b)) : Promise.resolve(new Uint8Array(a.snapshot));
      bootSnapshot.catch(() => {}); // reported by the init that uses it
    }
    served.set(BASE + 'pyodide.asm.wasm', { bytes: body(a.wasm), type: 'application/wasm' });
    served.set(BASE + 'python_stdlib.zip', { bytes: body(a.stdlib), type: 'application/zip' });
    served.set(BASE + 'pyodide-lock.json', { bytes: new TextEncoder().encode(a.lock), type: 'application/json' });
    // The 'data' shape has its modules already (see the top of this file).
    const mods = self.sandboxModules;
    const [pyodideModule, asmModule] = mods ? [mods.pyodide, mods.pyodideAsm] : await Promise.all([importBlob(a.pyodideMjs), importBlob(a.pyodideAsmMjs)]);
    const createPyodideModule = asmModule.default;
    // The host decides these, whatever the runner passes.
    // Where the start's time goes, for the host's lastStart (see python-sandbox.mjs).
    const timing = self.sandboxTiming;
    timing.import_ms = Math.round(performance.now() - t0);
    WebAssembly.instantiateStreaming = async (source, imports) => {
      const t = performance.now();
      try {
        // `source` is the same wasm (served from a.wasm): compiled already.
        const module = await compiled;
        timing.wasm_wait_ms = Math.round(performance.now() - t);
        return { module, instance: await WebAssembly.instantiate(module, imports) };
      } catch (error) {
        // Pyodide only logs this and then waits for ever: end the start now.
        startError('the Python interpreter (pyodide.asm.wasm) could not be loaded: ' + ((error && error.message) || error));
        throw error;
      } finally { timing.wasm_instantiate_ms = Math.round(performance.now() - t); }
    };
    const loadPyodide = async (options = {}) => {
      const t = performance.now();
      timing.load_start_at = performance.timeOrigin + t;
      const pyodide = await pyodideModule.loadPyodide({
        ...options,
        indexURL: BASE,
        stdLibURL: BASE + 'python_stdlib.zip',
        lockFileContents: a.lock,
        packageBaseUrl: PACKAGE_BASE,
        createPyodideModule,
      });
      timing.load_pyodide_ms = Math.round(performance.now() - t);
      timing.load_end_at = performance.timeOrigin + performance.now();
      port.postMessage({ type: MSG.SANDBOX_TIMING, timing });
      return pyodide;
    };
    const workerMain = mods ? mods.workerMain : await importBlob(a.workerMain);
    const runnerBytes = a.runner;
    workerMain.serveRunner(runnerPort, { loadPyodide, importRunner: () => (mods ? Promise.resolve(mods.runner) : importBlob(runnerBytes)), messages: MSG });
    return 'runner';
  }

  self.onmessage = (event) => {
    const m = event.data || {};
    if (m.type !== MSG.PORT || port || !event.ports || event.ports.length !== 1) return;
    port = event.ports[0];
    sharedInterrupt = m.interruptBuffer || null;
    // Tells the frame this worker started (see frame.mjs: SPAWNED waits for it).
    self.postMessage({ type: MSG.ALIVE });
    // A message that cannot be deserialized here (for example a
    // SharedArrayBuffer from another agent cluster) must not vanish silently.
    port.onmessageerror = () => port.postMessage({ type: MSG.SANDBOX_MESSAGE_ERROR, crossOriginIsolated: self.crossOriginIsolated === true });
    port.onmessage = (e) => {
      const d = e.data || {};
      if (d.type === MSG.SANDBOX_BOOT) {
        boot(d).then(
          (mode) => port.postMessage({ type: MSG.SANDBOX_BOOTED, id: d.id, mode }),
          (error) => port.postMessage({ type: MSG.SANDBOX_BOOT_FAILED, id: d.id, error: { type: error.name || 'Error', message: String(error.message || error) } }),
        );
      } else if (d.type === MSG.SANDBOX_FETCH_RESULT) {
        const p = pendingFetches.get(d.id);
        pendingFetches.delete(d.id);
        if (p) d.error ? p.reject(new Error(d.error.message)) : p.resolve(new Uint8Array(d.bytes));
      } else {
        dispatch = dispatch.then(async () => {
          if (d.type === MSG.INIT && d.options) {
            self.sandboxTiming.init_received_at = performance.timeOrigin + performance.now();
            // The host cannot make the buffer (see frame.mjs); it asks for one with `true`.
            d.options.interruptBuffer = d.options.interruptBuffer && sharedInterrupt ? new Uint8Array(sharedInterrupt, 0, 1) : null;
            // A snapshot may come as a Blob (from the host's IndexedDB): read it here.
            const po = d.options.pyodideOptions;
            if (d.options.snapshotFromBoot) {
              if (!bootSnapshot) throw new Error('the init asks for the boot\'s snapshot, but the boot brought none');
              d.options.pyodideOptions = { ...po, _loadSnapshot: await bootSnapshot };
              delete d.options.snapshotFromBoot;
            } else if (po && po._loadSnapshot instanceof Blob) po._loadSnapshot = new Uint8Array(await po._loadSnapshot.arrayBuffer());
            self.sandboxTiming.snapshot_ready_at = performance.timeOrigin + performance.now();
          } else if (d.type === MSG.RUN && sharedInterrupt) {
            // Which run an interrupt may hit (checked by the frame), and no stale signal.
            Atomics.store(new Int32Array(sharedInterrupt, 4, 1), 0, d.id);
            Atomics.store(new Uint8Array(sharedInterrupt, 0, 1), 0, 0);
          }
          for (const fn of runnerListeners) fn(e);
        }).catch((error) => port.postMessage({ type: MSG.ERROR, id: d.id, error: { type: error.name || 'Error', message: String(error.message || error) } }));
      }
    };
  };
}

export const WORKER_SOURCE = `(${sandboxWorker.toString()})(${JSON.stringify(MESSAGES)});`;

/**
 * The 'data' shape's module source (see the top of this file): the four
 * modules as static imports, then the bootstrap.
 * @param {{pyodide: string, pyodideAsm: string, workerMain: string, runner: string}} urls  data: URLs of
 *   pyodide.mjs, pyodide.asm.mjs, worker-main.mjs and runner.mjs
 */
export function dataWorkerSource(urls) {
  const names = ['pyodide', 'pyodideAsm', 'workerMain', 'runner'];
  for (const n of names) if (!String(urls[n]).startsWith('data:')) throw new TypeError(`dataWorkerSource: ${n} must be a data: URL`);
  return [
    `import * as pyodide from ${JSON.stringify(urls.pyodide)};`,
    `import * as pyodideAsm from ${JSON.stringify(urls.pyodideAsm)};`,
    `import * as workerMain from ${JSON.stringify(urls.workerMain)};`,
    `import * as runner from ${JSON.stringify(urls.runner)};`,
    'self.sandboxModules = { pyodide, pyodideAsm, workerMain, runner };',
    WORKER_SOURCE,
  ].join('\n');
}
