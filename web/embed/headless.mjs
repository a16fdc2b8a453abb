// createSession(options): Code Interpreter with no UI, for scripts on any
// page. The same pieces the app's controller wires (web/app/controller.mjs):
// the C++ core (js_glue/core.mjs), one CoreSession + Driver (js_glue/driver.mjs)
// and the Python sandbox (js_glue/sandbox/python-sandbox.mjs: an opaque
// iframe appended to the page, invisible). Nothing is stored: the
// conversation lives as long as the session (close() frees it).
//
// send(text) and runCode(code) return an async iterable of public events
// (web/embed/events.mjs) that ends after `turn_done`. One turn at a time: a
// second send while one runs yields one `error` event (kind 'busy') and ends.
// API in web/embed/README.md.
import { loadCore } from '../../js_glue/core.mjs';
import { Driver } from '../../js_glue/driver.mjs';
import { PythonSandbox } from '../../js_glue/sandbox/python-sandbox.mjs';
import { presetById, providerConfig } from '../app/providers.mjs';
import { guessMediaType } from '../app/files.mjs';
import { loadAppConfig } from '../app/config.mjs';
import { fromCoreEvent, fromSandboxEvent } from './events.mjs';

/** An async iterable fed by push(); ends at end(). `result` resolves with the last event (turn_done or error). */
class EventStream {
  constructor() {
    this.buffer = [];
    this.waiters = [];
    this.execs = new Set(); // exec_ids of the runs this turn started
    this.ended = false;
    this.result = new Promise((resolve) => { this.resolveResult = resolve; });
  }

  push(event) {
    if (this.ended) return;
    this.last = event;
    const waiter = this.waiters.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.buffer.push(event);
  }

  end() {
    if (this.ended) return;
    this.ended = true;
    this.resolveResult(this.last ?? null);
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return {
      next: () => {
        if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift(), done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      // Leaving a for-await early stops listening; the turn itself goes on (cancel() stops it).
      return: () => {
        this.buffer.length = 0;
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

async function toBytes(data) {
  if (data instanceof Uint8Array) return data.slice();
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  if (typeof data === 'string') return new TextEncoder().encode(data);
  throw new TypeError('addFile: data must be a Uint8Array, an ArrayBuffer, a Blob or a string');
}

/**
 * @param {object} [options]
 * @param {string} [options.provider]     a preset id (web/app/providers.mjs): its base URL and format
 * @param {'openai'|'anthropic'} [options.format]
 * @param {string} [options.baseUrl]
 * @param {string} [options.model]
 * @param {string} [options.apiKey]       sent only to baseUrl's origin
 * @param {string} [options.systemPrompt] added to the core's system prompt
 * @param {string} [options.assetBase]    where core/, pyodide/, python/ and config.json are (dist/code-interpreter.js passes its folder)
 * @param {string} [options.packageBaseURL] where Python packages come from (default: config.json's, else Pyodide's CDN)
 * @param {string} [options.lockFileURL]
 * @param {boolean} [options.tools]       the model can call tools (true)
 * @param {number} [options.maxSteps]     model calls per turn (12)
 * @param {number} [options.timeLimitMs]  per run (120000)
 * @param {boolean|object} [options.snapshots] Pyodide warm-start snapshots in this page's IndexedDB (true)
 * @param {HTMLElement} [options.container] where the sandbox's hidden iframe goes (document.body)
 * @param {(event) => void} [options.onEvent] every public event, also outside send()/runCode() (uploads, restarts)
 */
export async function createSession(options = {}) {
  const assetBase = new URL(options.assetBase ?? document.baseURI, document.baseURI).href;
  const preset = options.provider ? presetById(options.provider) : null;
  const settings = {
    format: options.format ?? preset?.format ?? 'openai',
    baseUrl: String(options.baseUrl ?? preset?.baseUrl ?? '').replace(/\/+$/, ''),
    model: options.model ?? preset?.model ?? '',
    tools: options.tools !== false,
    temperature: Number.isFinite(options.temperature) ? options.temperature : null,
  };
  const apiKey = options.apiKey ?? '';
  const [core, config] = await Promise.all([
    loadCore({ moduleUrl: new URL('core/ci_core.mjs', assetBase).href }),
    options.packageBaseURL ? { packageBaseURL: options.packageBaseURL, lockFileURL: options.lockFileURL ?? null } : loadAppConfig(assetBase),
  ]);
  return new HeadlessSession({ core, config, assetBase, settings, apiKey, options });
}

export class HeadlessSession {
  constructor({ core, config, assetBase, settings, apiKey, options }) {
    this.options = options;
    this.settings = settings;
    this.active = null; // the EventStream of the running turn
    this.closed = false;
    this.info = null;
    this.sandbox = new PythonSandbox({
      assetBaseURL: new URL('pyodide/', assetBase),
      runnerBaseURL: new URL('python/', assetBase),
      ...(config.packageBaseURL ? { packageBaseURL: config.packageBaseURL } : {}),
      ...(options.lockFileURL ?? config.lockFileURL ? { lockFileURL: options.lockFileURL ?? config.lockFileURL } : {}),
      snapshots: options.snapshots ?? true,
      ...(options.container ? { container: options.container } : {}),
      onEvent: (event) => this.publish(fromSandboxEvent(event)),
      // Variables are gone (a stop by restart, a crash): the core resends files and says so.
      onRestart: () => { if (!this.closed) this.driver.send({ type: 'sandbox_restarted' }); },
    });
    this.session = core.createSession({ conversation_id: crypto.randomUUID(), ...this.coreConfig() });
    this.driver = new Driver(this.session, {
      apiKey,
      apiBaseUrl: settings.baseUrl,
      sandbox: this.sandbox,
      onEmit: (event) => this.onEmit(event),
      onProtocolError: (error, event) => console.error('code-interpreter: protocol error', error, event),
    });
    // Python starts now; the first send/runCode waits for it (and for the
    // core to learn the Python version and packages).
    this.ready = this.sandbox.start().then(
      (info) => {
        this.info = info;
        if (!this.active && !this.closed) this.driver.send({ type: 'configure', ...this.coreConfig() });
        return info;
      },
      (error) => { console.error('code-interpreter: Python could not start', error); return null; },
    );
  }

  coreConfig() {
    const o = this.options;
    return {
      provider: providerConfig(this.settings, !!this.driver?.options.apiKey || !!o.apiKey),
      limits: { max_steps: Math.max(1, Math.min(100, Number(o.maxSteps) || 12)) },
      sandbox: {
        python_version: this.info?.python ?? '3.14',
        packages: this.info?.packages ?? [],
        time_limit_ms: Math.max(1000, Number(o.timeLimitMs) || 120000),
      },
      system_prompt_extra: String(o.systemPrompt ?? ''),
    };
  }

  publish(event) {
    if (!event) return;
    try { this.options.onEvent?.(event); } catch (error) { console.error(error); }
    const stream = this.active;
    if (!stream) return;
    // A stopped run's late events (its cell_finished can come after its
    // turn_done) belong to that turn, not to the one running now.
    if (event.type === 'cell_started') stream.execs.add(event.exec_id);
    else if (event.exec_id !== undefined && !stream.execs.has(event.exec_id)) return;
    stream.push(event);
    if (event.type === 'turn_done') {
      this.active = null;
      stream.end();
    }
  }

  onEmit(event) {
    this.publish(fromCoreEvent(event));
  }

  /** Starts a turn with `start(driver)`; returns its EventStream. */
  turn(start, userEvent) {
    const stream = new EventStream();
    const fail = (kind, message) => {
      stream.push({ type: 'error', error: { kind, type: kind, message } });
      stream.end();
    };
    if (this.closed) { fail('closed', 'This session is closed.'); return stream; }
    if (this.active) { fail('busy', 'A turn is running: wait for its turn_done or cancel() it.'); return stream; }
    this.active = stream;
    this.ready.then(() => {
      if (this.active !== stream) return;
      if (this.closed) { this.active = null; fail('closed', 'This session is closed.'); return; }
      if (userEvent) this.publish(userEvent);
      const r = start();
      if (r.error) {
        this.active = null;
        fail('refused', r.error.message);
      }
    });
    return stream;
  }

  /** Sends a user message; iterate the result for the turn's events. */
  send(text) {
    return this.turn(() => this.driver.userMessage(String(text)), { type: 'message', role: 'user', text: String(text) });
  }

  /** Runs code with no model, as a turn of its own. */
  runCode(code) {
    return this.turn(() => this.driver.runCode(String(code)));
  }

  /** Stops the running turn (the model request, or the Python run: interrupt, or restart). */
  cancel() {
    if (!this.closed) this.driver.cancel();
  }

  /** Adds (or replaces) /mnt/data/<name>. Returns the file's index entry. @throws on a refused name or a full quota */
  async addFile(name, data) {
    if (this.closed) throw new Error('This session is closed.');
    const bytes = await toBytes(data);
    const r = this.driver.upload(String(name), bytes, guessMediaType(String(name), data instanceof Blob ? data.type : ''));
    if (r.error) throw new Error(r.error.message);
    return this.listFiles().find((f) => f.path === String(name)) ?? null;
  }

  /** A copy of the file's bytes, or null. */
  readFile(path) {
    if (this.closed) return null;
    const bytes = this.session.readFile(String(path));
    return bytes ? bytes.slice() : null;
  }

  /** [{path, size, media_type, version, …}] */
  listFiles() {
    return this.closed ? [] : this.session.listFiles();
  }

  /** The conversation as an .ipynb object (nbformat 4). */
  exportNotebook() {
    return this.session.exportNotebook({ python_version: this.info?.python ?? '3.14' });
  }

  /** Ends everything: the running turn, the sandbox (its iframe), the core session. */
  close() {
    if (this.closed) return;
    this.closed = true;
    const stream = this.active;
    this.active = null;
    this.driver.close();
    this.sandbox.close();
    this.session.destroy();
    if (stream) {
      stream.push({ type: 'error', error: { kind: 'closed', type: 'closed', message: 'The session was closed.' } });
      stream.end();
    }
  }
}
