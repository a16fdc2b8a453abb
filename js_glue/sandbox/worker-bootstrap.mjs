// The source of the sandbox's classic worker. It runs inside the opaque
// iframe's blob worker; it is serialized with Function.prototype.toString,
// so sandboxWorker() must not close over anything in this module.
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
//   (type 'sandbox_*') and passes every other message to the runner.

function sandboxWorker() {
  'use strict';
  const BASE = 'https://pyodide.invalid/';
  const PACKAGE_BASE = BASE + 'packages/';
  const refuse = (what) => { throw new Error(`${what} is disabled in the Python sandbox`); };
  self.importScripts = () => refuse('importScripts');

  const served = new Map(); // URL → { bytes, type }
  let port = null;
  let sharedInterrupt = null; // SharedArrayBuffer from the frame, when cross-origin isolated
  let nextId = 1;
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
        port.postMessage({ type: 'sandbox_fetch', id, file_name: fileName });
      });
      return new Response(bytes, { status: 200, headers: { 'content-type': 'application/zip' } });
    }
    throw new TypeError(`The Python sandbox has no network access (refused: ${url})`);
  };

  // What serveRunner sees as its port: our port, minus the bootstrap's own messages.
  const runnerPort = {
    postMessage: (message, transfer) => port.postMessage(message, transfer || []),
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
    served.set(BASE + 'pyodide.asm.wasm', { bytes: body(a.wasm), type: 'application/wasm' });
    served.set(BASE + 'python_stdlib.zip', { bytes: body(a.stdlib), type: 'application/zip' });
    served.set(BASE + 'pyodide-lock.json', { bytes: new TextEncoder().encode(a.lock), type: 'application/json' });
    const [pyodideModule, asmModule] = await Promise.all([importBlob(a.pyodideMjs), importBlob(a.pyodideAsmMjs)]);
    const createPyodideModule = asmModule.default;
    // The host decides these, whatever the runner passes.
    // Where the start's time goes, for the host's lastStart (see python-sandbox.mjs).
    const timing = self.sandboxTiming;
    timing.import_ms = Math.round(performance.now() - t0);
    const instantiateStreaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = async (source, imports) => {
      const t = performance.now();
      try { return await instantiateStreaming.call(WebAssembly, source, imports); } finally { timing.wasm_instantiate_ms = Math.round(performance.now() - t); }
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
      port.postMessage({ type: 'sandbox_timing', timing });
      return pyodide;
    };
    const workerMain = await importBlob(a.workerMain);
    const runnerBytes = a.runner;
    workerMain.serveRunner(runnerPort, { loadPyodide, importRunner: () => importBlob(runnerBytes) });
    return 'runner';
  }

  self.onmessage = (event) => {
    const m = event.data || {};
    if (m.type !== 'port' || port || !event.ports || event.ports.length !== 1) return;
    port = event.ports[0];
    sharedInterrupt = m.interruptBuffer || null;
    // A message that cannot be deserialized here (for example a
    // SharedArrayBuffer from another agent cluster) must not vanish silently.
    port.onmessageerror = () => port.postMessage({ type: 'sandbox_message_error', crossOriginIsolated: self.crossOriginIsolated === true });
    port.onmessage = (e) => {
      const d = e.data || {};
      if (d.type === 'sandbox_boot') {
        boot(d).then(
          (mode) => port.postMessage({ type: 'sandbox_booted', id: d.id, mode }),
          (error) => port.postMessage({ type: 'sandbox_boot_failed', id: d.id, error: { type: error.name || 'Error', message: String(error.message || error) } }),
        );
      } else if (d.type === 'sandbox_fetch_result') {
        const p = pendingFetches.get(d.id);
        pendingFetches.delete(d.id);
        if (p) d.error ? p.reject(new Error(d.error.message)) : p.resolve(new Uint8Array(d.bytes));
      } else {
        dispatch = dispatch.then(async () => {
          if (d.type === 'init' && d.options) {
            self.sandboxTiming.init_received_at = performance.timeOrigin + performance.now();
            // The host cannot make the buffer (see frame.mjs); it asks for one with `true`.
            d.options.interruptBuffer = d.options.interruptBuffer && sharedInterrupt ? new Uint8Array(sharedInterrupt, 0, 1) : null;
            // A snapshot may come as a Blob (from the host's IndexedDB): read it here.
            const po = d.options.pyodideOptions;
            if (po && po._loadSnapshot instanceof Blob) po._loadSnapshot = new Uint8Array(await po._loadSnapshot.arrayBuffer());
          } else if (d.type === 'run' && sharedInterrupt) {
            // Which run an interrupt may hit (checked by the frame), and no stale signal.
            Atomics.store(new Int32Array(sharedInterrupt, 4, 1), 0, d.id);
            Atomics.store(new Uint8Array(sharedInterrupt, 0, 1), 0, 0);
          }
          for (const fn of runnerListeners) fn(e);
        }).catch((error) => port.postMessage({ type: 'error', id: d.id, error: { type: error.name || 'Error', message: String(error.message || error) } }));
      }
    };
  };
}

export const WORKER_SOURCE = `(${sandboxWorker.toString()})();`;
