// FakeSandbox: a Python sandbox for the Node tests of the logic above it
// (tests/js/session.test.mjs, tests/js/controller.test.mjs). It runs
// nothing: each run is answered from answer(request) and recorded, with one
// live stdout event; `hold` (a promise) keeps runs going until it resolves
// or a stop interrupts them, as a real sandbox answers a stopped run.
// It speaks the sandbox interface of js_glue/python/INTERFACE.md.

export class FakeSandbox {
  constructor(hooks, { failStart = null } = {}) {
    this.hooks = hooks;
    this.failStart = failStart;
    this.runs = [];
    this.restarts = [];
    this.interrupts = [];
    this.starts = 0;
    this.canInterrupt = true;
    this.stopMode = { interrupt: true, reason: 'isolated' };
    this.answer = (req) => ({ ok: true, status: 'ok', stdout: `ran ${req.code}\n`, stderr: '', result: null, error: null, outputs: [], files: { created: [], modified: [], deleted: [] }, ms: 1 });
    this.hold = null; // when set, runs wait for hold to resolve
  }

  start() {
    this.starts += 1;
    if (this.failStart) return Promise.reject(Object.assign(new Error(this.failStart), { name: 'WorkerRefused' }));
    return Promise.resolve({ python: '3.14.0', pyodide: '0.0-test', packages: ['micropip'] });
  }

  retry() { this.failStart = null; return this.start(); }

  restart(reason, { notify = true } = {}) {
    this.restarts.push({ reason, notify });
    if (notify) this.hooks.onRestart({ reason });
    return this.start();
  }

  async run(request) {
    this.runs.push({ ...request, files: { write: request.files.write.map((f) => f.path), delete: request.files.delete } });
    this.hooks.onEvent({ type: 'stdout', exec_id: request.exec_id, text: 'live\n' });
    if (this.hold) {
      // A stop ends a held run as a real sandbox does: KeyboardInterrupt, variables kept.
      const stopped = new Promise((resolve) => { this.stopRun = resolve; });
      const how = await Promise.race([this.hold.then(() => 'done'), stopped]);
      if (how !== 'done') {
        return { ok: false, status: 'cancelled', stdout: '', stderr: '', result: null, error: { type: 'KeyboardInterrupt', message: 'stopped', traceback: '' }, outputs: [], files: { created: [], modified: [], deleted: [] }, ms: 1 };
      }
    }
    return this.answer(request);
  }

  interrupt(execId, restart) {
    this.interrupts.push({ execId, restart });
    this.stopRun?.('stopped');
  }

  close() { this.closed = true; }

  /** The sandbox crashed while idle: variables lost (the Session must tell the core). */
  crash() { this.hooks.onRestart({ reason: 'crashed' }); }
}

