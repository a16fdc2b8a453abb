// NodeSandbox: the Python sandbox for Node (the headless CLI and the tests).
// Pyodide runs in a worker_thread (node-worker.mjs → worker-main.mjs →
// runner.mjs); this host owns the time limit, stopping, and restarts.
//
// What js_glue/driver.mjs calls: run({exec_id, code, timeout_ms, files}) →
// RunResult, and interrupt(exec_id, restart). Also start(), restart(),
// close(), installWheel(), and the onEvent option for live output.
//
// Stopping a run, in order of preference:
// 1. the SharedArrayBuffer interrupt buffer → KeyboardInterrupt in Python
//    (variables are kept); this is honoured within a millisecond in loops;
// 2. if the run has not ended after graceMs (code stuck in C, or awaiting
//    something that never comes back), the worker is terminated and a new
//    one started: the run is answered with restarted: true (variables lost;
//    the core resends every file on the next run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const RUNTIME_SOURCE_URL = new URL('./ci_runtime.py', import.meta.url);
const WORKER_URL = new URL('./node-worker.mjs', import.meta.url);

function seconds(ms) {
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}` : s.toFixed(1);
}

export class NodeSandbox {
  /**
   * @param {object} [options]
   * @param {(event) => void} [options.onEvent]   live run events: stdout/stderr/output/package
   * @param {object} [options.pyodideOptions]     passed to loadPyodide (lockFileContents, packageBaseUrl, packageCacheDir, ...)
   * @param {number} [options.outputLimitBytes]   stdout+stderr per run (default 2 MB)
   * @param {number} [options.graceMs]            after an interrupt, how long before the worker is killed (default 2000)
   * @param {number} [options.startTimeoutMs]     Pyodide must load within this (default 120000)
   * @param {(info) => void} [options.onRestart]  the worker was replaced ({reason})
   * @param {object} [options.resourceLimits]     worker_threads resource limits
   */
  constructor(options = {}) {
    this.options = options;
    this.onEvent = options.onEvent ?? (() => {});
    this.graceMs = options.graceMs ?? 2000;
    this.startTimeoutMs = options.startTimeoutMs ?? 120000;
    this.worker = null;
    this.ready = null;
    this.info = null;
    this.pending = new Map(); // message id → { resolve, reject, kind, run? }
    this.nextId = 1;
    this.current = null; // the run in flight
    this.queue = Promise.resolve();
    this.closed = false;
    this.generation = 0; // bumps each time a worker is replaced
    this.reportedGeneration = 0; // the newest generation the caller was told about
    this.tempDirs = [];
    this.loadMs = null;
  }

  /** Starts the worker (idempotent). Resolves with runner info; rejects if Pyodide cannot load. */
  start() {
    if (this.closed) return Promise.reject(new Error('the sandbox is closed'));
    if (!this.ready) this.spawn();
    return this.ready;
  }

  spawn() {
    const sab = new SharedArrayBuffer(1);
    this.interruptBuffer = new Uint8Array(sab);
    const worker = new Worker(WORKER_URL, {
      // Output of the thread itself (Pyodide's own crash messages) is not
      // the user's: keep it off the terminal.
      stdout: true,
      stderr: true,
      resourceLimits: this.options.resourceLimits,
    });
    worker.stdout.resume();
    worker.stderr.on('data', (d) => { this.lastWorkerStderr = String(d).slice(-2000); });
    this.worker = worker;
    const gen = this.generation;
    worker.on('message', (msg) => this.onMessage(worker, msg));
    worker.on('error', (error) => this.onWorkerGone(worker, `${error?.message ?? error}`.split('\n')[0]));
    worker.on('exit', (code) => this.onWorkerGone(worker, `the worker exited with code ${code}`));

    const pyodideOptions = { ...(this.options.pyodideOptions ?? {}) };
    // In Node, Pyodide caches a downloaded wheel in packageCacheDir, which
    // defaults to packageBaseUrl: for an http(s) index that would make a
    // directory called "http:" here. Give it a real one.
    if (pyodideOptions.packageBaseUrl?.includes('://') && !pyodideOptions.packageCacheDir) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-pyodide-packages-'));
      this.tempDirs.push(dir);
      pyodideOptions.packageCacheDir = dir;
    }
    const t0 = Date.now();
    const id = this.nextId++;
    const started = new Promise((resolve, reject) => {
      this.pending.set(id, { kind: 'init', resolve, reject });
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Python did not start within ${seconds(this.startTimeoutMs)} s`)), this.startTimeoutMs);
    });
    this.ready = Promise.race([started, timeout]).then(
      (info) => {
        clearTimeout(timer);
        if (gen === this.generation) { this.info = info; this.loadMs = Date.now() - t0; }
        return info;
      },
      (error) => {
        clearTimeout(timer);
        if (this.worker === worker) { this.kill(); this.ready = null; }
        throw new Error(`Python (Pyodide) could not start: ${error?.message ?? error}`);
      },
    );
    this.ready.catch(() => {}); // observed by whoever awaits start()
    worker.postMessage({
      type: 'init',
      id,
      options: {
        pyodideOptions,
        runtimeSource: fs.readFileSync(RUNTIME_SOURCE_URL, 'utf8'),
        interruptBuffer: sab,
        outputLimitBytes: this.options.outputLimitBytes,
        maxRecursionLimit: this.options.maxRecursionLimit,
      },
    });
  }

  onMessage(worker, msg) {
    if (worker !== this.worker || !msg) return;
    if (msg.type === 'event') {
      try { this.onEvent(msg.event); } catch { /* a listener's bug is not the run's */ }
      return;
    }
    if (msg.type === 'crash') {
      this.crashReason = msg.message;
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === 'ready') p.resolve(msg.info);
    else if (msg.type === 'result') p.resolve(msg.result);
    else if (msg.type === 'error' && p.kind === 'run') {
      // The runner itself failed (its interpreter died mid-run): the worker's
      // state is unknown, so it is replaced and the run reported as crashed.
      p.resolve({ gone: true, reason: msg.error?.message ?? 'the runner failed' });
      this.kill();
    } else if (msg.type === 'error') p.reject(Object.assign(new Error(msg.error?.message ?? 'error'), { name: msg.error?.type ?? 'Error' }));
  }

  /** The worker died (crash, process.exit, out of memory) or was terminated by us. */
  onWorkerGone(worker, reason) {
    if (worker !== this.worker) return;
    this.worker = null;
    this.ready = null;
    this.generation++;
    const why = this.crashReason ?? reason;
    this.crashReason = null;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.kind === 'run') p.resolve({ gone: true, reason: why });
      else p.reject(new Error(`the Python worker stopped: ${why}`));
    }
    this.options.onRestart?.({ reason: why });
  }

  kill() {
    const worker = this.worker;
    if (!worker) return;
    this.onWorkerGone(worker, 'terminated');
    worker.terminate().catch(() => {});
  }

  post(kind, msg, transfer = [], extra = {}) {
    const id = this.nextId++;
    const promise = new Promise((resolve, reject) => this.pending.set(id, { kind, resolve, reject, ...extra }));
    this.worker.postMessage({ ...msg, id }, transfer);
    return { id, promise };
  }

  /** Runs one cell. Never rejects: failures come back as a RunResult. */
  run(request) {
    const next = this.queue.then(() => this.runNow(request));
    this.queue = next.catch(() => {});
    return next;
  }

  async runNow({ exec_id, code, timeout_ms, files }) {
    const t0 = Date.now();
    const fail = (status, type, message, extra = {}) => ({
      ok: false, status, stdout: '', stderr: '', result: null,
      error: { type, message, traceback: '' }, outputs: [],
      files: { created: [], modified: [], deleted: [] }, ms: Date.now() - t0, ...extra,
    });
    if (this.closed) return fail('crashed', 'SandboxClosed', 'The Python sandbox was closed.');
    try {
      await this.start();
    } catch (error) {
      return fail('crashed', 'SandboxUnavailable', String(error?.message ?? error), { restarted: true });
    }
    if (this.generation !== this.reportedGeneration) {
      // The worker was replaced since the caller last heard from us (it died
      // while idle): /mnt/data is empty here, so running now would run
      // without the user's files. Say so; the core resends them next time.
      this.reportedGeneration = this.generation;
      return fail('crashed', 'SandboxRestarted',
        'Python had stopped and was restarted before this code ran: variables were reset. Run the code again; files are sent again.',
        { restarted: true });
    }

    const write = (files?.write ?? []).map((f) => ({ path: f.path, bytes: f.bytes ?? new Uint8Array(0) }));
    const request = { exec_id, code, files: { write, delete: files?.delete ?? [] } };
    // Whole buffers are moved to the worker, not copied (the caller gives
    // them up, as the driver does); views into bigger buffers are cloned.
    const transfer = [...new Set(write.map((f) => f.bytes)
      .filter((b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer))
      .map((b) => b.buffer))];
    this.interruptBuffer[0] = 0;
    const run = { exec_id, stopReason: null, timeoutMs: timeout_ms, timers: [] };
    this.current = run;
    const { promise } = this.post('run', { type: 'run', request }, transfer, { run });
    if (timeout_ms > 0) run.timers.push(setTimeout(() => this.stop(run, 'timeout', false), timeout_ms));

    const raw = await promise;
    for (const t of run.timers) clearTimeout(t);
    this.current = null;
    if (this.interruptBuffer) this.interruptBuffer[0] = 0;

    if (raw?.gone) {
      // The worker is gone: killed by us after the grace period, or crashed.
      this.spawnSoon();
      this.reportedGeneration = this.generation;
      if (run.stopReason === 'timeout') {
        return fail('timeout', 'TimeoutError',
          `The code ran longer than the ${seconds(run.timeoutMs)} s limit and did not stop when asked, so Python was restarted: variables were reset; files are kept.`,
          { restarted: true });
      }
      if (run.stopReason === 'cancelled') {
        return fail('cancelled', 'KeyboardInterrupt',
          'The run was stopped and Python was restarted: variables were reset; files are kept.', { restarted: true });
      }
      return fail('crashed', 'PythonCrashed',
        `Python crashed (${raw.reason}) and was restarted: variables were reset; files are kept. `
        + 'Very deep recursion or running out of memory can cause this.', { restarted: true });
    }

    const result = { ...raw, ms: raw.ms ?? Date.now() - t0 };
    if (result.status === 'crashed') {
      // The interpreter died but the thread answered: replace it.
      this.kill();
      this.spawnSoon();
      this.reportedGeneration = this.generation;
      result.restarted = true;
      result.error = { type: 'PythonCrashed', message: `${result.error?.message ?? 'Python crashed.'} Python was restarted: variables were reset; files are kept.`, traceback: '' };
      return result;
    }
    const interrupted = result.status === 'cancelled' || result.error?.type === 'KeyboardInterrupt';
    if (run.stopReason === 'timeout' && interrupted) {
      result.status = 'timeout';
      result.ok = false;
      result.error = {
        type: 'TimeoutError',
        message: `The code ran longer than the ${seconds(run.timeoutMs)} s limit and was stopped; variables are kept.`,
        traceback: result.error?.traceback ?? '',
      };
    } else if (run.stopReason === 'cancelled' && interrupted) {
      result.status = 'cancelled';
      result.ok = false;
      result.error = { type: 'KeyboardInterrupt', message: 'The run was stopped; variables are kept.', traceback: result.error?.traceback ?? '' };
    }
    return result;
  }

  spawnSoon() {
    // Start the next worker now, so the next run does not wait for Pyodide.
    if (!this.closed && !this.worker) this.start().catch(() => {});
  }

  /** Asks the run to stop; kills the worker if it does not within graceMs (or at once with restart). */
  stop(run, reason, restart) {
    if (this.current !== run) return;
    run.stopReason ??= reason;
    if (restart) {
      this.kill();
      return;
    }
    this.interruptBuffer[0] = 2; // SIGINT → KeyboardInterrupt at the next bytecode
    run.timers.push(setTimeout(() => {
      if (this.current === run) this.kill();
    }, this.graceMs));
  }

  /** The driver's stop: interrupt that run (or restart Python if asked). */
  interrupt(execId, restart = false) {
    const run = this.current;
    if (run && (execId === undefined || execId === null || run.exec_id === execId)) {
      this.stop(run, 'cancelled', restart);
    } else if (restart) {
      this.restart().catch(() => {});
    }
  }

  /** Replaces the worker (variables lost). The caller tells the core (sandbox_restarted). */
  async restart() {
    if (this.current) this.stop(this.current, 'cancelled', true);
    else this.kill();
    this.reportedGeneration = this.generation;
    return this.start();
  }

  /** Installs a pure-Python wheel: { ok, name, error? }. */
  async installWheel({ filename, bytes }) {
    await this.start();
    const { promise } = this.post('install', { type: 'install_wheel', filename, bytes });
    return promise;
  }

  async close() {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.ready = null;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.kind === 'run') p.resolve({ gone: true, reason: 'the sandbox was closed' });
      else p.reject(new Error('the sandbox was closed'));
    }
    if (worker) await worker.terminate().catch(() => {});
    for (const dir of this.tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}
