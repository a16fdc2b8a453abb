// NodeSandbox: the Python sandbox for Node (the headless CLI and the tests).
// Pyodide runs in a worker_thread (node-worker.mjs → worker-main.mjs →
// runner.mjs). What happens to a run (queue, time limit, stop, grace,
// kill, restart, the answer's wording) is decided by the run supervisor
// (../sandbox/run-supervisor.mjs, shared with the browser's PythonSandbox);
// this host is its transport: a worker_thread, a SharedArrayBuffer
// interrupt buffer, Node timers.
//
// What js_glue/driver.mjs calls: run({exec_id, code, timeout_ms, files}) →
// RunResult, and interrupt(exec_id, restart). Also start(), restart(),
// close(), installWheel(), and the onEvent option for live output.
//
// Stopping a run: the interrupt buffer raises KeyboardInterrupt in Python
// (variables are kept; honoured within a millisecond in loops); a run that
// has not ended graceMs later (code stuck in C, or awaiting something that
// never comes back) has its worker terminated and a new one started, and is
// answered with restarted: true (variables lost; the core resends every
// file on the next run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { RunSupervisor } from '../sandbox/run-supervisor.mjs';
import { MSG } from '../sandbox/messages.mjs';
import { pauseLimit } from '../packages/run-clock.mjs';

const RUNTIME_SOURCE_URL = new URL('./ci_runtime.py', import.meta.url);
const PACKAGES_SOURCE_URL = new URL('./ci_packages.py', import.meta.url);
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
   * @param {{request, restore}} [options.packages]  packages from an index (issue 14; the Session's hooks):
   *        request(req) answers a run's package request (PackageHost#handle: resolves, asks, fetches,
   *        checks; the run's time limit waits meanwhile); restore() → the wheels a new interpreter
   *        gets before its first run ([{filename, bytes, kind}], installed without asking).
   */
  constructor(options = {}) {
    this.options = options;
    this.onEvent = options.onEvent ?? (() => {});
    this.graceMs = options.graceMs ?? 2000;
    this.startTimeoutMs = options.startTimeoutMs ?? 120000;
    this.worker = null;
    this.ready = null;
    this.info = null;
    this.pending = new Map(); // message id → { resolve, reject, kind, run? (the supervisor's run id) }
    this.nextId = 1;
    this.supervisor = new RunSupervisor((action) => this.perform(action));
    this.runs = new Map(); // the supervisor's run id → { resolve, request, timers, worker }
    this.nextRun = 1;
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
      this.pending.set(id, { kind: MSG.INIT, resolve, reject });
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Python did not start within ${seconds(this.startTimeoutMs)} s`)), this.startTimeoutMs);
    });
    this.ready = Promise.race([started, timeout]).then(
      async (info) => {
        clearTimeout(timer);
        await this.restoreInto(worker);
        if (gen === this.generation) { this.info = info; this.loadMs = Date.now() - t0; }
        return info;
      },
      (error) => {
        clearTimeout(timer);
        if (this.worker === worker) { this.kill(); this.ready = null; }
        throw new Error(`Python (Pyodide) could not start: ${error?.message ?? error}`, { cause: error });
      },
    );
    this.ready.catch(() => {}); // observed by whoever awaits start()
    worker.postMessage({
      type: MSG.INIT,
      id,
      options: {
        pyodideOptions,
        runtimeSource: fs.readFileSync(RUNTIME_SOURCE_URL, 'utf8'),
        packagesSource: fs.readFileSync(PACKAGES_SOURCE_URL, 'utf8'),
        interruptBuffer: sab,
        outputLimitBytes: this.options.outputLimitBytes,
        maxRecursionLimit: this.options.maxRecursionLimit,
      },
    });
  }

  onMessage(worker, msg) {
    if (worker !== this.worker || !msg) return;
    if (msg.type === MSG.EVENT) {
      const run = this.pending.get(msg.id)?.run;
      if (run != null) this.supervisor.dispatch({ type: 'output', id: run, event: msg.event });
      try { this.onEvent(msg.event); } catch { /* a listener's bug is not the run's */ }
      return;
    }
    if (msg.type === MSG.CRASH) {
      this.crashReason = msg.message;
      return;
    }
    if (msg.type === MSG.PACKAGE_REQUEST) {
      this.answerPackages(worker, msg);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (p.kind === MSG.RUN) {
      // The supervisor decides; an error instead of a result means the
      // runner itself failed, and that worker is replaced.
      if (msg.type === MSG.RESULT) this.supervisor.dispatch({ type: 'run_result', id: p.run, result: msg.result, now: Date.now() });
      else if (msg.type === MSG.ERROR) this.supervisor.dispatch({ type: 'run_failed', id: p.run, message: msg.error?.message ?? 'the runner failed', now: Date.now() });
    } else if (msg.type === MSG.READY) p.resolve(msg.info);
    else if (msg.type === MSG.RESULT) p.resolve(msg.result);
    else if (msg.type === MSG.ERROR) p.reject(Object.assign(new Error(msg.error?.message ?? 'error'), { name: msg.error?.type ?? 'Error' }));
  }

  /**
   * A run asks for packages: the host's handler answers (resolve, consent,
   * checked bytes). The run's time limit waits while a person decides.
   */
  async answerPackages(worker, msg) {
    const run = this.pending.get(msg.id)?.run;
    const t = run != null ? this.runs.get(run) : null;
    const resume = pauseLimit(t, () => Date.now());
    let reply;
    try {
      reply = this.options.packages?.request
        ? await this.options.packages.request(msg.request)
        : { ok: false, error: { code: 'not_configured', message: 'No package index is configured for this sandbox.' } };
    } catch (error) {
      reply = { ok: false, error: { code: 'install_failed', message: String(error?.message ?? error) } };
    }
    resume?.((ms) => setTimeout(() => this.supervisor.dispatch({ type: 'timer_fired', id: run, timer: 'limit', now: Date.now() }), ms));
    if (worker !== this.worker) return;
    const transfer = (reply.wheels ?? []).map((w) => w.bytes).filter((b) => b instanceof ArrayBuffer);
    worker.postMessage({ type: MSG.PACKAGE_REPLY, pid: msg.pid, reply }, transfer);
  }

  /** A new interpreter gets the wheels installed before (packages.restore), before any run. */
  async restoreInto(worker) {
    if (!this.options.packages?.restore) return;
    let wheels = [];
    try { wheels = await this.options.packages.restore(); } catch (error) { console.warn('packages not restored:', error); }
    for (const w of wheels) {
      if (worker !== this.worker) return;
      const id = this.nextId++;
      const done = new Promise((resolve, reject) => this.pending.set(id, { kind: MSG.INSTALL_WHEEL, resolve, reject }));
      worker.postMessage({ type: MSG.INSTALL_WHEEL, id, filename: w.filename, bytes: w.bytes, kind: w.kind }, w.bytes instanceof ArrayBuffer ? [w.bytes] : []);
      const out = await done.catch((error) => ({ ok: false, error: error.message }));
      if (!out.ok) console.warn(`package ${w.filename} not restored: ${out.error}`);
    }
  }

  /** The worker died (crash, process.exit, out of memory) or was terminated by us. */
  onWorkerGone(worker, reason) {
    if (worker !== this.worker) return;
    this.worker = null;
    this.ready = null;
    this.generation++;
    const why = this.crashReason ?? reason;
    this.crashReason = null;
    // Taken out first: answering a run may start the next worker at once,
    // whose requests are not this one's to fail.
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) if (p.kind !== MSG.RUN) p.reject(new Error(`the Python worker stopped: ${why}`));
    for (const p of pending) if (p.kind === MSG.RUN) this.supervisor.dispatch({ type: 'worker_gone', id: p.run, message: why, now: Date.now() });
    if (this.options.onRestart) {
      this.options.onRestart({ reason: why });
      // Told: the caller tells the core, which sends the files again (js_glue/session.mjs).
      this.reportedGeneration = this.generation;
    }
  }

  kill() {
    const worker = this.worker;
    if (!worker) return;
    this.onWorkerGone(worker, 'terminated');
    worker.terminate().catch(() => {});
  }

  /** Sends {type, id, ...payload}; the answer settles the promise (a run's goes to the supervisor). */
  post(type, payload, transfer = [], extra = {}) {
    const id = this.nextId++;
    const promise = new Promise((resolve, reject) => this.pending.set(id, { kind: type, resolve, reject, ...extra }));
    this.worker.postMessage({ type, id, ...payload }, transfer);
    return promise;
  }

  /** Runs one cell. Never rejects: failures come back as a RunResult (see run-supervisor.mjs). */
  run({ exec_id, code, timeout_ms, files }) {
    return new Promise((resolve) => {
      const id = this.nextRun++;
      this.runs.set(id, { resolve, request: { exec_id, code, files }, timers: [] });
      this.supervisor.dispatch({ type: 'run_requested', id, exec_id, timeout_ms, now: Date.now() });
    });
  }

  /** Performs one of the run supervisor's actions. */
  perform(action) {
    const t = this.runs.get(action.id);
    switch (action.type) {
      case 'begin': this.begin(action.id); break;
      case 'arm_timer': {
        const handle = setTimeout(() => this.supervisor.dispatch({ type: 'timer_fired', id: action.id, timer: action.timer, now: Date.now() }), action.ms);
        t?.timers.push(handle);
        if (t && action.timer === 'limit') t.limit = { handle, ms: action.ms, at: Date.now() };
        break;
      }
      case 'send_interrupt': this.interruptBuffer[0] = 2; break; // SIGINT → KeyboardInterrupt at the next bytecode
      case 'clear_timers':
        for (const timer of t?.timers ?? []) clearTimeout(timer);
        if (this.interruptBuffer) this.interruptBuffer[0] = 0; // no stale signal for the next run
        break;
      case 'kill': if (t?.worker && t.worker === this.worker) this.kill(); break;
      case 'respawn': this.spawnSoon(); break;
      case 'resolve':
        // The caller now knows about every worker replaced so far.
        if (action.result.restarted) this.reportedGeneration = this.generation;
        this.runs.delete(action.id);
        t?.resolve(action.result);
        break;
      default: break;
    }
  }

  /** Starts Python if needed and sends the run (the supervisor's `begin`). */
  async begin(id) {
    const t = this.runs.get(id);
    const notRun = (cause, message) => this.supervisor.dispatch({ type: 'not_run', id, cause, message, now: Date.now() });
    if (this.closed) { notRun('closed'); return; }
    try {
      await this.start();
    } catch (error) {
      notRun('unavailable', String(error?.cause?.message ?? error?.message ?? error));
      return;
    }
    if (this.generation !== this.reportedGeneration) {
      // The worker was replaced while idle and the caller was not told (no
      // onRestart): /mnt/data is empty here, so running now would run
      // without the user's files. Say so; the core resends them next time.
      this.reportedGeneration = this.generation;
      notRun('replaced');
      return;
    }
    const { exec_id, code, files } = t.request;
    const write = (files?.write ?? []).map((f) => ({ path: f.path, bytes: f.bytes ?? new Uint8Array(0) }));
    const request = { exec_id, code, files: { write, delete: files?.delete ?? [] } };
    // Whole buffers are moved to the worker, not copied (the caller gives
    // them up, as the driver does); views into bigger buffers are cloned.
    const transfer = [...new Set(write.map((f) => f.bytes)
      .filter((b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer))
      .map((b) => b.buffer))];
    this.interruptBuffer[0] = 0;
    t.worker = this.worker;
    this.post(MSG.RUN, { request }, transfer, { run: id });
    this.supervisor.dispatch({ type: 'run_started', id, can_interrupt: true, grace_ms: this.graceMs, now: Date.now() });
  }

  spawnSoon() {
    // Start the next worker now, so the next run does not wait for Pyodide.
    if (!this.closed && !this.worker) this.start().catch(() => {});
  }

  /**
   * The driver's stop: interrupt that run (or restart Python if asked); a
   * queued run is answered at once and never starts (no restart for it).
   * A restart asked for no run the supervisor holds still restarts Python.
   * True when the stop reached a run (current or queued).
   */
  interrupt(execId, restart = false) {
    if (this.supervisor.holds({ exec_id: execId })) {
      this.supervisor.dispatch({ type: 'stop_requested', exec_id: execId, restart, now: Date.now() });
      return true;
    }
    if (restart) this.restart().catch(() => {});
    return false;
  }

  /** Replaces the worker (variables lost). The caller tells the core (sandbox_restarted). */
  async restart() {
    const cur = this.supervisor.current;
    if (cur && cur.phase !== 'starting') this.supervisor.dispatch({ type: 'stop_requested', id: cur.id, restart: true, now: Date.now() });
    else this.kill();
    this.reportedGeneration = this.generation;
    return this.start();
  }

  /** Installs a wheel (pure, or kind 'platform': a Pyodide build): { ok, name, error? }. */
  async installWheel({ filename, bytes, kind }) {
    await this.start();
    return this.post(MSG.INSTALL_WHEEL, { filename, bytes, kind });
  }

  async close() {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.ready = null;
    this.supervisor.dispatch({ type: 'closed', now: Date.now() });
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.kind !== MSG.RUN) p.reject(new Error('the sandbox was closed'));
    }
    if (worker) await worker.terminate().catch(() => {});
    for (const dir of this.tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}
