// PythonSandbox: the browser host that runs Python in an opaque-origin iframe
// + classic blob worker (see frame.mjs and worker-bootstrap.mjs for why each
// piece is there, and ../python/INTERFACE.md for the contract with the
// driver and the runner).
//
//   page (this class) ──control port──▶ iframe bootstrap ──spawns──▶ worker
//        └──────────────worker port (MessageChannel)────────────────┘
//
// - Messaging. The frame's origin is opaque, so no targetOrigin could name
//   it: we never post to the frame. The frame makes the control channel and
//   posts one end to us, targeted at our exact origin (see frame.mjs); we
//   take it only from our own frame (event.source). Everything after that
//   travels over channels nobody else holds; the frame then hands us a
//   second port that talks straight to the worker.
// - Requests are typed {type, id}; a map of pending promises is rejected all
//   at once when the worker goes away.
// - Runs: what happens to each (queue, time limit, stop, grace, kill,
//   restart, the answer's wording) is decided by the run supervisor
//   (run-supervisor.mjs, shared with NodeSandbox); this class performs its
//   actions with the frame, the worker and timers.
// - Stop: when the page is cross-origin isolated, a SharedArrayBuffer
//   interrupt buffer raises KeyboardInterrupt in Python (variables survive).
//   The FRAME makes that buffer and sets it when we ask over the control
//   port: a SharedArrayBuffer made here cannot be delivered into the opaque
//   origin (a different agent cluster; it arrives as a messageerror).
//   Otherwise, or when the interrupt is not honoured within `graceMs`, the
//   whole frame is dropped and a fresh one started: the run is answered with
//   restarted: true. Files are the core's truth; it resends them.
// - Warm start: after the first plain load, a second interpreter beside it
//   makes a memory snapshot that is kept in IndexedDB; later starts load
//   from it, falling back to a plain load.

import { createFrame } from './frame.mjs';
import { frameControl } from './frame-control.mjs';
import { ModuleKeeper, engineSharesCompiledWasm } from './module-keeper.mjs';
import { MSG } from './messages.mjs';
import { WORKER_SOURCE, dataWorkerSource } from './worker-bootstrap.mjs';
import { loadAssets, fetchPackage, packagesByFile, DEFAULT_PACKAGE_BASE_URL, PYODIDE_VERSION } from './assets.mjs';
import { IndexedDbSnapshotStore, MemorySnapshotStore } from './snapshot-store.mjs';
import { retryDelay, CrashLedger } from './start-policy.mjs';
import { RunSupervisor } from './run-supervisor.mjs';
import { pauseLimit } from '../packages/run-clock.mjs';

export { DEFAULT_PACKAGE_BASE_URL, PYODIDE_VERSION };

export class SandboxError extends Error {
  constructor(message, type = 'SandboxError') {
    super(message);
    this.name = type;
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new SandboxError(`${what} did not finish within ${Math.round(ms / 1000)} s`, 'TimeoutError')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Copies bytes into a fresh ArrayBuffer that can be transferred without detaching the caller's memory. */
function ownedCopy(bytes) {
  if (bytes instanceof ArrayBuffer) return bytes.slice(0);
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.slice().buffer;
}

/**
 * What Stop can do in this browser, and why (for the status line):
 * { interrupt: true, reason: 'isolated' } or { interrupt: false, reason:
 * 'not-isolated' | 'no-shared-memory' | 'off' }.
 */
function stopModeOf(spawned, wanted) {
  if (spawned.interruptible) return { interrupt: true, reason: 'isolated' };
  if (!wanted) return { interrupt: false, reason: 'off' };
  if (!spawned.isolated) return { interrupt: false, reason: 'not-isolated' };
  return { interrupt: false, reason: 'no-shared-memory' };
}

/** A data: URL of these bytes as JavaScript (FileReader: base64 without a JS loop). */
function javascriptDataUrl(bytes) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error ?? new Error('could not read the sandbox module'));
    reader.readAsDataURL(new Blob([bytes], { type: 'text/javascript' }));
  });
}

/** One iframe + worker. Replaced as a whole on restart. */
class Instance {
  constructor(host) {
    this.host = host;
    this.iframe = null;
    this.control = null;
    this.port = null;
    this.nextId = 1;
    this.pending = new Map(); // id → { resolve, reject, onEvent, type }
    this.closed = false;
    this.ready = false; // Python answered init: a crash from now on is a crash of a running interpreter
    this.crashListeners = new Set();
    // Rejects when this instance is closed: a start waiting for its frame gives up at once.
    this.whenClosed = new Promise((_, reject) => { this.rejectClosed = reject; });
    this.whenClosed.catch(() => {});
  }

  /** spec: {source} (the classic blob worker) or {url} (the data: module worker); see worker-bootstrap.mjs. */
  spawnRequest(spec) {
    return new Promise((resolve, reject) => {
      this.onSpawned = resolve;
      this.onSpawnFailed = (message) => reject(new SandboxError(message, 'WorkerRefused'));
      this.control.postMessage({ type: MSG.SPAWN, id: 1, ...spec, interrupt: this.host.options.useInterruptBuffer });
    });
  }

  onControl(m, ports) {
    if (m.type === MSG.SPAWNED) this.onSpawned?.({ ...m, port: ports?.[0] });
    else if (m.type === MSG.SPAWN_FAILED) this.onSpawnFailed?.(m.message);
    else if (m.type === MSG.WORKER_ERROR) this.crash(`The Python worker failed: ${m.message}`);
  }

  /** snapshot: the memory snapshot to load (Blob or bytes), sent along so the worker reads it while it compiles. */
  async boot(assets, snapshot = null) {
    // Each instance gets its own copies of ArrayBuffers: transferring
    // detaches them, and the host keeps the originals for the next restart.
    // Blobs go as they are (a handle, no copy; the worker reads them), but
    // for the data: worker, which cannot read a Blob of this page's origin
    // in WebKit ("Blob loading failed"): it gets their bytes.
    const own = (x) => (x instanceof Blob ? (this.host.workerShape === 'data' ? x.arrayBuffer() : x) : ownedCopy(x));
    // The data: worker has its modules already (its static imports).
    const names = this.host.workerShape === 'data' ? ['wasm', 'stdlib'] : ['pyodideMjs', 'pyodideAsmMjs', 'wasm', 'stdlib', 'runner', 'workerMain'];
    const payload = Object.fromEntries(await Promise.all(names.map(async (k) => [k, await own(assets[k])])));
    if (snapshot) payload.snapshot = await own(snapshot);
    payload.lock = assets.lock;
    const transfer = Object.values(payload).filter((v) => v instanceof ArrayBuffer);
    return this.request(MSG.SANDBOX_BOOT, { assets: payload }, transfer);
  }

  attachPort(port) {
    this.port = port;
    port.onmessage = (event) => this.onPortMessage(event.data ?? {});
    port.onmessageerror = () => this.crash('A message from the Python worker could not be read');
  }

  onPortMessage(m) {
    if (m.type === MSG.SANDBOX_FETCH) {
      this.host.servePackage(m.file_name).then(
        (bytes) => this.post({ type: MSG.SANDBOX_FETCH_RESULT, id: m.id, bytes }, [bytes]),
        (error) => this.post({ type: MSG.SANDBOX_FETCH_RESULT, id: m.id, error: { type: error.name, message: error.message } }),
      );
      return;
    }
    if (m.type === MSG.SANDBOX_TIMING) { this.timing = m.timing; return; }
    if (m.type === MSG.PACKAGE_REQUEST) { this.host.answerPackages(this, m); return; }
    if (m.type === MSG.SANDBOX_START_ERROR) {
      // An error nobody caught while Pyodide was starting (it would hang).
      if (!this.ready) this.crash(m.message);
      return;
    }
    if (m.type === MSG.SANDBOX_MESSAGE_ERROR) {
      this.crash(`A message could not be delivered to the Python worker (worker crossOriginIsolated: ${m.crossOriginIsolated})`);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return; // a late answer to something already settled
    if (m.type === MSG.EVENT) { p.onEvent?.(m.event); return; }
    this.pending.delete(m.id);
    if (m.type === MSG.ERROR || m.type === MSG.SANDBOX_BOOT_FAILED) {
      p.reject(Object.assign(new SandboxError(m.error?.message ?? 'unknown error', m.error?.type ?? 'SandboxError'), { remote: true }));
    } else if (m.type === MSG.READY) p.resolve(m.info);
    else if (m.type === MSG.SANDBOX_BOOTED) p.resolve(m.mode);
    else if (m.type === MSG.RESULT) p.resolve(m.result);
    else p.reject(new SandboxError(`unexpected answer from the Python worker: ${m.type}`));
  }

  request(type, payload = {}, transfer = [], onEvent = null) {
    if (this.closed) return Promise.reject(new SandboxError('The Python sandbox was restarted or closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent, type });
      this.post({ type, id, ...payload }, transfer);
    });
  }

  post(message, transfer = []) {
    if (!this.closed && this.port) this.port.postMessage(message, transfer);
  }

  crash(message) {
    if (this.closed) return;
    for (const fn of this.crashListeners) fn(message);
    this.close(new SandboxError(message, 'WorkerCrashed'));
  }

  close(error = new SandboxError('The Python sandbox was restarted or closed')) {
    if (this.closed) return;
    this.closed = true;
    this.rejectClosed(error);
    this.cancelFrameWait?.();
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    try { this.port?.close(); } catch {}
    try { this.control?.close(); } catch {}
    // Removing the iframe ends its worker too, whatever the worker is doing.
    this.iframe?.remove();
    this.iframe = null;
  }
}

export class PythonSandbox {
  /**
   * @param {object} [options]
   * @param {string|URL} [options.assetBaseURL]   where pyodide.mjs, pyodide.asm.* and python_stdlib.zip live (same origin as the page)
   * @param {string|URL} [options.runnerBaseURL]  where runner.mjs, worker-main.mjs and ci_runtime.py live
   * @param {string|URL} [options.lockFileURL]    default: assetBaseURL + pyodide-lock.json
   * @param {string|URL} [options.packageBaseURL] where package files are fetched (default: Pyodide's CDN for this version)
   * @param {HTMLElement} [options.container]     where the hidden iframe goes (default document.body)
   * @param {(event) => void} [options.onEvent]   live run events (stdout/stderr/output/package)
   * @param {(info: {reason: string}) => void} [options.onRestart] the worker was replaced (variables lost)
   * @param {boolean|object} [options.snapshots]  true (IndexedDB), false, or a store {get, put, delete}
   * @param {number} [options.graceMs]            how long an interrupt may take before a restart (2000)
   * @param {boolean} [options.useInterruptBuffer] stop by KeyboardInterrupt when the frame is cross-origin isolated (true)
   * @param {number} [options.outputLimitBytes]
   * @param {typeof fetch} [options.fetch]
   * @param {{request, restore}} [options.packages] packages from an index (issue 14; the Session's hooks):
   *        request(req) answers a run's package request (the run's time limit waits meanwhile);
   *        restore() → wheels a new interpreter gets before its first run, without asking
   */
  constructor(options = {}) {
    this.options = {
      assetBaseURL: new URL('../../node_modules/pyodide/', import.meta.url),
      runnerBaseURL: new URL(/* @vite-ignore */ '../python/', import.meta.url),
      lockFileURL: undefined,
      packageBaseURL: DEFAULT_PACKAGE_BASE_URL,
      container: null,
      onEvent: null,
      onRestart: null,
      snapshots: true,
      graceMs: 2000,
      frameTimeoutMs: 10000,
      bootTimeoutMs: 60000,
      initTimeoutMs: 90000,
      snapshotReadTimeoutMs: 5000,
      useInterruptBuffer: true, // used when the frame turns out cross-origin isolated
      keepCompiledCode: true, // a frame keeps the compiled interpreter for restarts (module-keeper.mjs)
      outputLimitBytes: undefined,
      fetch: globalThis.fetch.bind(globalThis),
      ...options,
    };
    this.options.container ??= document.body;
    const s = this.options.snapshots;
    this.snapshotStore = s === true ? new IndexedDbSnapshotStore() : s === 'memory' ? new MemorySnapshotStore() : s || null;
    this.instance = null;
    this.startPromise = null;
    this.assetsPromise = null;
    this.packageCache = new Map(); // file_name → ArrayBuffer (checked)
    this.supervisor = new RunSupervisor((action) => this.perform(action));
    this.runs = new Map(); // the supervisor's run id → { resolve, request, timers, inst, runId }
    this.nextRun = 1;
    this.closed = false;
    this.info = null;
    /** How the last start went: { mode: 'plain'|'snapshot', ready_ms, snapshot?: 'made'|'loaded'|'failed'|'off', ... } */
    this.lastStart = null;
    this.starts = [];
    this.generation = 0; // bumped by each kill(): a start of an older generation gives way
    this.startAttempts = 0;
    this.crashes = new CrashLedger();
    this.gaveUp = null; // the error start() reports once crashes kept coming (until retry())
    this.workerShape = null; // 'blob' | 'data' once a worker started (spawnWorker)
    this.snapshotMaker = null; // the Instance making the snapshot aside (makeSnapshotAside), while it does
    this.stopMode = null; // { interrupt: boolean, reason } once a worker started (see stopModeOf)
  }

  /** True when stopping a run can keep the interpreter (SharedArrayBuffer interrupt). */
  get canInterrupt() { return !!this.instance?.interruptible; }

  assets() {
    this.assetsPromise ??= loadAssets({
      assetBaseURL: this.options.assetBaseURL,
      runnerBaseURL: this.options.runnerBaseURL,
      lockFileURL: this.options.lockFileURL,
      fetch: this.options.fetch,
    }).then((a) => { this.byFile = packagesByFile(a.lockJson); return a; });
    // A failed asset load can be retried by the next start.
    this.assetsPromise.catch(() => { this.assetsPromise = null; });
    return this.assetsPromise;
  }

  /**
   * Starts the sandbox (idempotent). Resolves with the runner's info. A
   * failed start is tried again a bounded number of times (start-policy.mjs);
   * then it rejects with the last reason, and so does every later start()
   * until retry().
   */
  start() {
    if (this.closed) return Promise.reject(new SandboxError('The Python sandbox is closed'));
    if (this.gaveUp) return Promise.reject(this.gaveUp);
    this.startPromise ??= this.startWithRetries(this.generation).then((info) => {
      this.keepCompiledCode();
      return info;
    }, (error) => {
      this.startPromise = null;
      throw error;
    });
    return this.startPromise;
  }

  async startWithRetries(generation) {
    for (let failed = 0; ;) {
      try {
        this.startAttempts += 1; // every boot tried, for diagnostics and tests
        return await this.boot(generation);
      } catch (error) {
        failed += 1;
        if (this.closed || generation !== this.generation) throw error;
        const delay = retryDelay(failed, error);
        if (delay == null) throw error;
        console.warn(`python sandbox: start attempt ${failed} failed, trying again in ${delay} ms:`, error);
        this.lastStartError = error;
        await new Promise((resolve) => setTimeout(resolve, delay));
        // Restarted, retried or closed while waiting: that start owns the sandbox now.
        if (this.closed || generation !== this.generation) throw new SandboxError('The Python sandbox was restarted or closed while starting', 'SandboxRestarted');
      }
    }
  }

  /** After start() gave up: forget the failures and start again (the user's Retry). */
  retry() {
    this.gaveUp = null;
    this.crashes.reset();
    this.kill('retry', { notify: false });
    return this.start();
  }

  snapshotKey(assets) {
    // Pyodide's version + the runner's source + the packages in the memory
    // (none: the snapshot is made right after load).
    return `pyodide-${PYODIDE_VERSION}|runner-${assets.runnerHash}|packages-`;
  }

  /**
   * One start attempt of `generation`. A kill() or close() during it makes
   * it stale: it then gives up at its next step (SandboxRestarted) and never
   * touches the newer start's instance or the stored snapshot.
   */
  async boot(generation = this.generation) {
    // Everything that does not wait on something else starts at once: the
    // frame and its worker, the asset fetch and the snapshot read. Only the
    // boot (modules into the worker) and the init (Pyodide) are in sequence.
    const t0 = performance.now();
    const stamps = { t0 };
    const current = () => {
      if (this.closed || generation !== this.generation) {
        throw new SandboxError('The Python sandbox was restarted or closed while starting', 'SandboxRestarted');
      }
    };
    current();
    let inst = this.newInstance();
    let framed = this.openFrame(inst).then(() => { stamps.frame = performance.now(); });
    framed.catch(() => {});
    const store = this.snapshotStore;
    // The store keeps only its newest snapshot, so it can be read before the
    // key is known (the key needs the runner's files); it is checked below.
    // Bounded: a start never waits long on storage (another tab's write may
    // hold the store); without the snapshot it loads plainly.
    const latest = store && !this.snapshotMemo && typeof store.getLatest === 'function'
      ? withTimeout(store.getLatest(), this.options.snapshotReadTimeoutMs, 'Reading the Python snapshot')
        .catch((error) => { console.warn('python sandbox: snapshot store unavailable:', error); return null; })
      : null;
    try {
      const assets = await this.assets();
      current();
      stamps.assets = performance.now();
      const key = this.snapshotKey(assets);
      let snapshot = null;
      if (store) {
        try {
          if (this.snapshotMemo?.key === key) snapshot = this.snapshotMemo.value;
          else if (latest) { const l = await latest; snapshot = l?.key === key ? l.value : null; }
          else snapshot = await withTimeout(store.get(key), this.options.snapshotReadTimeoutMs, 'Reading the Python snapshot');
        } catch (error) { console.warn('python sandbox: snapshot store unavailable:', error); }
      }
      current();
      stamps.snapshot = performance.now();
      if (snapshot) {
        // A frame or worker that does not start is no fault of the snapshot:
        // that fails this attempt (the start policy decides what next).
        await framed;
        current();
        try {
          const info = await this.bootInstance(inst, assets, { _loadSnapshot: snapshot }, stamps);
          current();
          // Kept for restarts: a Blob from IndexedDB stays on disk.
          this.snapshotMemo = { key, value: snapshot };
          this.lastStart = { ...this.lastStart, mode: 'snapshot', snapshot: 'loaded' };
          this.starts.push(this.lastStart);
          return info;
        } catch (error) {
          current(); // restarted or closed meanwhile: nothing here is ours to change
          if (error?.name === 'SandboxRestarted') throw error;
          // Stale or broken: forget it and load the plain way, in a new frame.
          console.warn('python sandbox: loading from the snapshot failed, loading plainly:', error);
          this.snapshotMemo = null;
          store.delete(key).catch(() => {});
          inst.close(error);
          inst = this.newInstance();
          framed = this.openFrame(inst).then(() => { stamps.frame = performance.now(); });
        }
      }
      await framed;
      current();
      const info = await this.bootInstance(inst, assets, {}, stamps);
      current();
      this.lastStart = { ...this.lastStart, mode: 'plain', snapshot: store ? 'pending' : 'off' };
      this.starts.push(this.lastStart);
      // The snapshot is made aside, in the background: the sandbox is usable already.
      if (store && !this.snapshotMaker) {
        const record = this.lastStart;
        this.snapshotDone = this.makeSnapshotAside(assets, key, record)
          // A snapshot that cannot be made never fails a run.
          .catch((error) => { record.snapshot = 'failed'; record.snapshot_error = String(error?.message ?? error); console.warn('python sandbox: no snapshot made:', error); });
      }
      return info;
    } catch (error) {
      inst.close(error);
      if (this.instance === inst) this.instance = null;
      throw error;
    }
  }

  /**
   * Makes the memory snapshot in an interpreter of its own, beside the one
   * the user got, and stores it; later starts and restarts load from it.
   * Not in the user's interpreter: a load with _makeSnapshot took ~40%
   * longer than a plain one (measured: cold starts 14.5 vs 9.7 s of
   * loadPyodide under load), and an interpreter that made a snapshot is not
   * one user code should get (Pyodide gives it a stand-in `js` module:
   * js.navigator, js.location… throw "Illegal invocation"). Made before that
   * interpreter holds any JS object.
   */
  async makeSnapshotAside(assets, key, record) {
    const t = performance.now();
    const aside = new Instance(this);
    this.snapshotMaker = aside;
    // bootInstance reports on the current start; this one is not it.
    const { lastStart, info } = this;
    try {
      await this.openFrame(aside);
      await this.bootInstance(aside, assets, { _makeSnapshot: true }, { t0: t });
      const tSnap = performance.now();
      const result = await aside.request(MSG.SNAPSHOT, {});
      const bytes = result?.bytes ?? result;
      record.snapshot_make_ms = Math.round(performance.now() - tSnap);
      record.snapshot_aside_ms = Math.round(performance.now() - t);
      record.snapshot_bytes = bytes.byteLength;
      // Restarts in this page use it from memory (as a Blob: out of the JS heap).
      this.snapshotMemo = { key, value: new Blob([bytes]) };
      // Stored in the background: nothing waits for it (WebKit's private
      // sessions may never settle a Blob put), and failing to store it
      // changes nothing here. snapshotStored says when it is done.
      this.snapshotStored = this.snapshotStore.put(key, bytes).then(
        () => { record.snapshot = 'made'; },
        (error) => { record.snapshot = 'not stored'; record.snapshot_error = String(error?.message ?? error); console.warn('python sandbox: snapshot not stored:', error); },
      );
    } finally {
      this.lastStart = lastStart;
      this.info = info;
      aside.close();
      this.snapshotMaker = null;
    }
  }

  /**
   * Once Python has started: a frame that keeps the compiled interpreter, so
   * restarts do not compile it again (module-keeper.mjs says why and where).
   * One per sandbox; one that failed is not tried again.
   */
  keepCompiledCode() {
    if (this.keeper || this.closed || !this.options.keepCompiledCode || !engineSharesCompiledWasm()) return;
    const keeper = new ModuleKeeper({ container: this.options.container });
    this.keeper = keeper;
    /** Resolves true once the keeper holds the module, false when it does not. */
    this.compiledCodeKept = this.assets().then((a) => keeper.hold(a.wasm), () => { keeper.close('failed'); return false; });
  }

  /** A new Instance, made the current one. */
  newInstance() {
    const inst = new Instance(this);
    this.instance = inst;
    inst.crashListeners.add((message) => this.onInstanceCrash(inst, message));
    return inst;
  }

  async bootInstance(inst, assets, pyodideOptions, stamps) {
    if (inst.closed) throw new SandboxError('The sandbox was restarted or closed while starting');
    const tFrame = performance.now();
    // A snapshot goes with the boot (the worker reads it while the wasm
    // compiles and the modules load); the init then points at it. The
    // store keeps its copy: a Blob goes as it is, bytes as a copy.
    const { _loadSnapshot: snapshot, ...rest } = pyodideOptions;
    await withTimeout(inst.boot(assets, snapshot), this.options.bootTimeoutMs, 'Loading Pyodide into the sandbox');
    const tBoot = performance.now();
    // `true` asks the worker bootstrap to put in the frame's buffer.
    const options = {
      pyodideOptions: rest,
      runtimeSource: assets.runtimeSource,
      packagesSource: assets.packagesSource,
      interruptBuffer: inst.interruptible,
    };
    if (snapshot) options.snapshotFromBoot = true;
    if (this.options.outputLimitBytes) options.outputLimitBytes = this.options.outputLimitBytes;
    const info = await withTimeout(inst.request(MSG.INIT, { options }), this.options.initTimeoutMs, 'Starting Python');
    inst.ready = true;
    const t1 = performance.now();
    this.info = info;
    const { t0 } = stamps;
    const ms = (t) => (t == null ? null : Math.round(t - t0));
    // Worker-side moments arrive as epoch times; make them relative to t0.
    const w = inst.timing ?? {};
    const fromEpoch = (at) => (at == null ? null : Math.round(at - performance.timeOrigin - t0));
    this.lastStart = {
      ready_ms: Math.round(t1 - t0),
      // Since t0, in parallel: assets fetched, snapshot read, frame + worker up.
      assets_ms: ms(stamps.assets),
      snapshot_get_ms: ms(stamps.snapshot),
      frame_ms: ms(stamps.frame),
      // In sequence after all three: modules into the worker, then Python.
      boot_ms: Math.round(tBoot - tFrame),
      init_ms: Math.round(t1 - tBoot),
      worker: {
        import_ms: w.import_ms,
        init_received_at: fromEpoch(w.init_received_at),
        snapshot_ready_at: fromEpoch(w.snapshot_ready_at),
        load_start_at: fromEpoch(w.load_start_at),
        // Compiled since the boot: how long instantiation still waited for it.
        wasm_wait_ms: w.wasm_wait_ms,
        wasm_instantiate_ms: w.wasm_instantiate_ms,
        load_pyodide_ms: w.load_pyodide_ms,
        load_end_at: fromEpoch(w.load_end_at),
      },
      interrupt: inst.interruptible ? 'shared-buffer' : 'restart',
      worker_shape: this.workerShape,
      // The module keeper's state when this start began ('held': the wasm was compiled already).
      compiled_code: this.keeper?.state ?? 'none',
    };
    return this.info;
  }

  async openFrame(inst) {
    const { container, frameTimeoutMs } = this.options;
    const iframe = await createFrame(container.ownerDocument ?? document);
    inst.iframe = iframe;
    // Only our own frame's one message, carrying its control port.
    const ready = frameControl(iframe, container);
    inst.cancelFrameWait = ready.cancel;
    const control = await withTimeout(Promise.race([ready.port, inst.whenClosed]), frameTimeoutMs, 'Starting the sandbox frame')
      .finally(ready.cancel);
    if (inst.closed) {
      control.close();
      throw new SandboxError('The sandbox was restarted or closed while starting');
    }
    inst.control = control;
    inst.control.onmessage = (event) => inst.onControl(event.data ?? {}, event.ports);
    const spawned = await this.spawnWorker(inst);
    if (!spawned.port) throw new SandboxError('The sandbox frame did not hand over the worker port');
    inst.interruptible = spawned.interruptible === true;
    this.stopMode = stopModeOf(spawned, this.options.useInterruptBuffer);
    inst.attachPort(spawned.port);
  }

  /**
   * Starts the frame's worker in the shape this browser takes: the classic
   * blob worker first, the data: module worker when the browser refuses the
   * blob one (WebKit under COEP; see worker-bootstrap.mjs). The shape that
   * worked is kept for restarts.
   */
  async spawnWorker(inst) {
    const { frameTimeoutMs } = this.options;
    const spawn = (spec) => withTimeout(Promise.race([inst.spawnRequest(spec), inst.whenClosed]), frameTimeoutMs, 'Starting the sandbox worker');
    let blobRefused = null;
    if (this.workerShape !== 'data') {
      try {
        const spawned = await spawn({ source: WORKER_SOURCE });
        this.workerShape = 'blob';
        return spawned;
      } catch (error) {
        if (error.name !== 'WorkerRefused') throw error;
        blobRefused = error;
      }
    }
    try {
      const spawned = await spawn({ url: await this.dataWorkerUrl() });
      this.workerShape = 'data';
      return spawned;
    } catch (error) {
      if (error.name !== 'WorkerRefused') throw error;
      throw new SandboxError(`This browser refused to start the Python worker (${blobRefused ? `blob worker: ${blobRefused.message}; ` : ''}data: module worker: ${error.message})`, 'WorkerRefused');
    }
  }

  /** The data: URL of the 'data' shape's worker, made once per page from the assets. */
  dataWorkerUrl() {
    this.dataWorkerUrlPromise ??= this.assets().then(async (a) => {
      const [pyodide, pyodideAsm, workerMain, runner] = await Promise.all(
        [a.pyodideMjs, a.pyodideAsmMjs, a.workerMain, a.runner].map(javascriptDataUrl));
      return javascriptDataUrl(dataWorkerSource({ pyodide, pyodideAsm, workerMain, runner }));
    });
    this.dataWorkerUrlPromise.catch(() => { this.dataWorkerUrlPromise = null; });
    return this.dataWorkerUrlPromise;
  }

  onInstanceCrash(inst, message) {
    if (this.instance !== inst) return;
    this.instance = null;
    this.startPromise = null;
    // A crash while starting fails that start (its caller sees the error and
    // the start policy decides); only a crash of a ready interpreter is a restart.
    if (!inst.ready) return;
    // Counted before the run is answered: the supervisor then starts a new
    // interpreter, which must not happen once crashes keep coming.
    if (this.crashes.record(Date.now())) {
      this.gaveUp = new SandboxError(`Python crashed ${this.crashes.times.length} times within a minute, so it is not restarted again (last: ${message})`, 'PythonCrashed');
    }
    const id = this.runOn(inst);
    if (id != null) this.supervisor.dispatch({ type: 'worker_gone', id, message, now: performance.now() });
    this.notifyRestart('crashed');
  }

  /** The supervisor's current run when it is in `inst`, else null. */
  runOn(inst) {
    const id = this.supervisor.current?.id;
    return id != null && this.runs.get(id)?.inst === inst ? id : null;
  }

  notifyRestart(reason) {
    try { this.options.onRestart?.({ reason }); } catch (error) { console.error(error); }
  }

  /** Drops the current frame and worker and starts new ones. */
  async restart(reason = 'restart', { notify = true } = {}) {
    this.kill(reason, { notify });
    return this.start();
  }

  kill(reason, { notify = true } = {}) {
    const inst = this.instance;
    this.instance = null;
    this.startPromise = null;
    this.generation += 1;
    if (inst) {
      inst.close(new SandboxError(`The Python sandbox was restarted (${reason})`, 'SandboxRestarted'));
      if (notify && inst.ready) this.notifyRestart(reason);
      // A run in it ends as stopped by a restart (the kill the supervisor
      // then asks for finds that instance gone already).
      const id = this.runOn(inst);
      if (id != null) this.supervisor.dispatch({ type: 'stop_requested', id, restart: true, now: performance.now() });
    }
  }

  /** Fetch a package file for the sandbox (checked against the lock file's sha256). */
  async servePackage(fileName) {
    await this.assets();
    let bytes = this.packageCache.get(fileName);
    if (!bytes) {
      bytes = await fetchPackage({ fileName, byFile: this.byFile, packageBaseURL: this.options.packageBaseURL, fetch: this.options.fetch });
      this.packageCache.set(fileName, bytes);
    }
    return bytes.slice(0);
  }

  /**
   * A run asks for packages (issue 14): the host's handler resolves, asks
   * the user, fetches and checks; the run's time limit waits meanwhile.
   * The wheels' bytes are moved into the worker.
   */
  async answerPackages(inst, msg) {
    const entry = [...this.runs.values()].find((r) => r.inst === inst && r.runId === msg.id);
    const resume = pauseLimit(entry, () => performance.now());
    let reply;
    try {
      reply = this.options.packages?.request
        ? await this.options.packages.request(msg.request)
        : { ok: false, error: { code: 'not_configured', message: 'No package index is configured for this sandbox.' } };
    } catch (error) {
      reply = { ok: false, error: { code: 'install_failed', message: String(error?.message ?? error) } };
    }
    const runId = [...this.runs.entries()].find(([, r]) => r === entry)?.[0];
    resume?.((ms) => setTimeout(() => this.supervisor.dispatch({ type: 'timer_fired', id: runId, timer: 'limit', now: performance.now() }), ms));
    const transfer = (reply.wheels ?? []).map((w) => w.bytes).filter((b) => b instanceof ArrayBuffer);
    inst.post({ type: MSG.PACKAGE_REPLY, pid: msg.pid, reply }, transfer);
  }

  /** Before an interpreter's first run: the wheels this conversation installed earlier, without asking again. */
  restoreInto(inst) {
    if (!this.options.packages?.restore) return Promise.resolve();
    inst.restoring ??= (async () => {
      const wheels = await this.options.packages.restore();
      for (const w of wheels ?? []) {
        const out = await inst.request(MSG.INSTALL_WHEEL, { filename: w.filename, bytes: w.bytes, kind: w.kind }, w.bytes instanceof ArrayBuffer ? [w.bytes] : []);
        if (!out?.ok) console.warn(`python sandbox: package ${w.filename} not restored: ${out?.error}`);
      }
    })().catch((error) => console.warn('python sandbox: packages not restored:', error));
    return inst.restoring;
  }

  /**
   * Runs code. Runs are serialized. Never rejects: the result says what
   * happened (status, restarted, outcome; see run-supervisor.mjs).
   * @param {{exec_id: string, code: string, timeout_ms?: number, files?: {write: {path, bytes}[], delete: string[]}}} request
   */
  run({ exec_id, code, timeout_ms, files }) {
    return new Promise((resolve) => {
      const id = this.nextRun++;
      this.runs.set(id, { resolve, request: { exec_id, code, files }, timers: [] });
      this.supervisor.dispatch({ type: 'run_requested', id, exec_id, timeout_ms, now: performance.now() });
    });
  }

  /** Performs one of the run supervisor's actions. */
  perform(action) {
    const t = this.runs.get(action.id);
    switch (action.type) {
      case 'begin': this.begin(action.id); break;
      case 'arm_timer': {
        const handle = setTimeout(() => this.supervisor.dispatch({ type: 'timer_fired', id: action.id, timer: action.timer, now: performance.now() }), action.ms);
        t?.timers.push(handle);
        if (t && action.timer === 'limit') t.limit = { handle, ms: action.ms, at: performance.now() };
        break;
      }
      case 'send_interrupt': {
        // The frame owns the SharedArrayBuffer (see frame.mjs) and sets it.
        // Re-sent every 20 ms until the run ends: in about one try in ten a
        // first signal was not honoured (root cause not found yet; the next
        // signal always was). The frame ignores a signal once another run has
        // begun, so repeating it cannot hit the next run.
        const signal = () => { if (!t.inst.closed) t.inst.control.postMessage({ type: MSG.INTERRUPT, run: t.runId }); };
        signal();
        t.timers.push(setInterval(signal, 20));
        break;
      }
      case 'clear_timers':
        for (const timer of t?.timers ?? []) { clearTimeout(timer); clearInterval(timer); }
        break;
      case 'kill': if (t?.inst && this.instance === t.inst) this.kill(action.reason); break;
      // Start the next one now, so the next run does not wait for it.
      case 'respawn': if (!this.closed) this.start().catch(() => {}); break;
      case 'resolve':
        this.runs.delete(action.id);
        t?.resolve(action.result);
        break;
      default: break;
    }
  }

  /** Starts Python if needed and sends the run (the supervisor's `begin`). */
  async begin(id) {
    const t = this.runs.get(id);
    const now = () => performance.now();
    let inst;
    try {
      await this.start();
      inst = this.instance;
      if (!inst) throw new SandboxError('The Python sandbox did not start');
      await this.restoreInto(inst);
      if (inst !== this.instance || inst.closed) throw new SandboxError('The Python sandbox was restarted while its packages were restored');
    } catch (error) {
      this.supervisor.dispatch({ type: 'not_run', id, cause: this.closed ? 'closed' : 'unavailable', message: error.message, now: now() });
      return;
    }
    const { exec_id, code, files } = t.request;
    const transfer = [];
    const write = (files?.write ?? []).map((f) => {
      // `transfer: true` (the driver's fresh copies from the core) hands the
      // caller's buffer over without a second copy; otherwise copy, so the
      // caller's array stays usable.
      const whole = f.transfer && f.bytes instanceof Uint8Array && f.bytes.byteOffset === 0 &&
        f.bytes.byteLength === f.bytes.buffer.byteLength && f.bytes.buffer instanceof ArrayBuffer;
      const bytes = whole ? f.bytes.buffer : ownedCopy(f.bytes);
      transfer.push(bytes);
      return { path: f.path, bytes: new Uint8Array(bytes) };
    });
    const runRequest = { exec_id, code, files: { write, delete: [...(files?.delete ?? [])] } };
    const onEvent = (event) => {
      this.supervisor.dispatch({ type: 'output', id, event });
      try { this.options.onEvent?.(event); } catch (error) { console.error(error); }
    };
    t.inst = inst;
    t.runId = inst.nextId; // the id request() is about to use: the frame's interrupt names it
    const answer = inst.request(MSG.RUN, { request: runRequest }, transfer, onEvent);
    this.supervisor.dispatch({ type: 'run_started', id, can_interrupt: !!inst.interruptible, grace_ms: this.options.graceMs, now: now() });
    // A rejection: the instance went away under the run (a crash or a
    // restart: the supervisor has usually answered it already), or the
    // worker answered the run with an error instead of a result (for
    // example "Pyodide already fatally failed").
    answer.then(
      (result) => this.supervisor.dispatch({ type: 'run_result', id, result, now: now() }),
      (error) => this.supervisor.dispatch({ type: 'run_failed', id, message: error.message, now: now() }),
    );
  }

  /**
   * Stops the run with this exec_id (or the current run): a queued one is
   * answered at once and never starts. True when the stop reached a run
   * (current or queued). See INTERFACE.md.
   */
  interrupt(exec_id, restart = false) {
    if (!this.supervisor.holds({ exec_id })) return false;
    this.supervisor.dispatch({ type: 'stop_requested', exec_id, restart, now: performance.now() });
    return true;
  }

  close() {
    this.closed = true;
    this.snapshotMaker?.close(new SandboxError('The Python sandbox was closed'));
    this.keeper?.close();
    this.supervisor.dispatch({ type: 'closed', now: performance.now() });
    this.instance?.close(new SandboxError('The Python sandbox was closed'));
    this.instance = null;
    this.startPromise = null;
  }
}
