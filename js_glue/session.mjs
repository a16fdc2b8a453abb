// Session: the one place a Code Interpreter session is assembled. The app's
// controller (a view model over it), <code-interpreter>, createSession
// (web/embed/headless.mjs), the dev page and the CLI all sit on it; none of
// them wires the core, the driver and the sandbox itself. docs/ARCHITECTURE.md
// has the picture.
//
// What it holds: the core (js_glue/core.mjs), one Python sandbox shared by the
// conversations (PythonSandbox in the browser, NodeSandbox in Node), and the
// current conversation: its CoreSession and Driver. What it decides (and only
// here):
// - configure: settings and key → the core's configure event (settings.mjs),
//   now when idle, else right after the turn. The key goes to the driver
//   only, and only when it was entered for the base URL's origin.
// - Python's start: its status (idle, starting, ready, loading, failed) with
//   a message and what Stop can do; Retry; the core learns the Python version
//   and packages once it is ready.
// - restarts: a sandbox that restarted (stop by restart, crash) is told to
//   the core (`sandbox_restarted`: it resends the files and adds its
//   notice); a restored conversation with cells is told the same before its
//   first run (its variables are gone); a conversation never gets a Python
//   that ran another conversation's code (freshPython).
// - turns: one at a time. send() while a turn runs is refused (code 'busy');
//   runCode() is refused too, or queued with {queue: true}: the core keeps
//   the queue (saved with the conversation; a stop drops it; after a reload
//   it waits for runQueued() or clearQueue()).
// - persistence: the core's persist actions go to `storage.save(id,
//   snapshot, readFile)`; leave() waits for `storage.flush()`.
//
// - packages from an index (issue 14; js_glue/packages/): one PackageHost per
//   conversation (its consent and what it installed). A run's request asks
//   the user through the public event `package_consent`, answered with
//   answerConsent(); without `packages.ask` (headless, CLI without
//   --allow-packages) the answer is no. What was installed goes back into a
//   restarted or reloaded sandbox without asking (kept through
//   `packageStore`, per conversation, here rather than in the core's
//   snapshot for now) and is listed to the model (configure's packages).
//
// It reports through listeners (on(type, fn)), never by calling into a UI:
//   'core'     every event the core emits (raw, wasm/PROTOCOL.md)
//   'sandbox'  every live event of a run (stdout, stderr, output, package)
//   'event'    the public events (js_glue/events.mjs): what embedders get
//   'python'   the Python status changed (this.python)
//   'protocol_error' {error, event}: the core refused an event (a bug, logged)
// Failures come back as {code, message, detail} (js_glue/errors.mjs).
import { Driver } from './driver.mjs';
import { fromCoreEvent, fromSandboxEvent } from './events.mjs';
import { TurnStream } from './turn-stream.mjs';
import { coreConfig, usableKey, cleanBaseUrl, DEFAULT_PYTHON_VERSION } from './settings.mjs';
import { sessionError, errorOf } from './errors.mjs';
import { EVENT, EMIT } from './protocol.mjs';
import { packagesPolicy } from './packages/policy.mjs';


const uid = () => (globalThis.crypto?.randomUUID ? crypto.randomUUID() : `c${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`);
const later = (fn) => setTimeout(fn, 0);

export class Session {
  /**
   * @param {object} o
   * @param {import('./core.mjs').Core} o.core
   * @param {(hooks: {onEvent, onRestart}) => object} o.createSandbox  makes the sandbox, wired to the hooks
   * @param {object} [o.settings]     see settings.mjs
   * @param {string} [o.apiKey]
   * @param {string} [o.keyOrigin]    the origin the key was entered for (default: the base URL's)
   * @param {{save(id, snapshot, readFile): Promise, flush?(): Promise}} [o.storage]  none: nothing is kept
   * @param {boolean} [o.waitForPython] turns wait until Python started (so the core knows its version and packages)
   * @param {object} [o.packages]     packages from an index: {indexes, allow, deny} (config.json `packages`),
   *                                  ask: 'user' (a package_consent event) | 'allow' | 'deny' (default 'deny'), fetch,
   *                                  cache (verified wheels kept for offline use)
   * @param {{get(id): Promise<object|null>, put(id, state): Promise}} [o.packageStore]  keeps each conversation's installs
   */
  constructor({ core, createSandbox, settings = {}, apiKey = '', keyOrigin, storage = null, waitForPython = false, packages = null, packageStore = null }) {
    this.core = core;
    this.storage = storage;
    this.waitForPython = waitForPython;
    this.listeners = new Map();
    this.settings = { ...settings, baseUrl: cleanBaseUrl(settings.baseUrl) };
    this.setKey(apiKey, keyOrigin);
    this.python = { state: 'idle', message: 'Python starts when needed', info: null, canInterrupt: false, stop: null, error: null };
    this.packageOptions = { ask: 'deny', ...(packages ?? {}) };
    this.packagePolicy = packagesPolicy(this.packageOptions);
    this.packageStore = packageStore;
    this.packageHosts = new Map(); // conversation id → PackageHost
    this.consents = new Map(); // request_id → resolve
    this.sandbox = createSandbox({
      onEvent: (event) => this.onSandboxEvent(event),
      onRestart: (info) => this.onSandboxRestart(info),
      packages: {
        request: (request) => this.onPackageRequest(request),
        restore: () => this.packagesToRestore(),
      },
    });
    this.conversationId = null;
    this.coreSession = null;
    this.driver = null;
    this.running = false;
    this.active = null; // the TurnStream of the running turn
    this.queued = 0; // code the core holds for after the turn (its `queue` events)
    this.sandboxUsedBy = null; // the conversation whose code the sandbox last ran
    this.needsRestartNotice = false;
    this.pendingConfigure = false;
    this.closed = false;
  }

  // ------------------------------------------------------------ listeners

  /** Subscribes to 'core' | 'sandbox' | 'event' | 'python' | 'protocol_error'; returns an unsubscribe function. */
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.listeners.get(type)?.delete(fn);
  }

  emit(type, value) {
    for (const fn of [...(this.listeners.get(type) ?? [])]) {
      try { fn(value); } catch (error) { console.error(error); }
    }
  }

  // -------------------------------------------------------------- Python

  /** Starts Python (idempotent while it starts). Resolves with its info, or null when it could not start. */
  startPython() {
    if (this.python.state === 'starting' && this.starting) return this.starting;
    return this.watchStart(this.sandbox.start(), 'Starting Python…');
  }

  /** The user's Retry after "Python could not start". */
  retryPython() {
    return this.watchStart(this.sandbox.retry ? this.sandbox.retry() : this.sandbox.restart(), 'Starting Python…');
  }

  /** Shows a start in the status: starting, then ready (with what Stop does here) or failed with its reason. */
  watchStart(promise, message) {
    const py = this.python;
    Object.assign(py, { state: 'starting', message, error: null });
    this.emit('python', py);
    const watched = promise.then(
      (info) => {
        if (this.starting !== watched) return info;
        Object.assign(py, {
          state: 'ready', info, message: `Python ${info.python}`,
          canInterrupt: !!this.sandbox.canInterrupt, stop: this.sandbox.stopMode ?? null,
        });
        this.applyConfig();
        this.emit('python', py);
        return info;
      },
      (error) => {
        // A start that gave way to a newer one (a restart) says nothing.
        if (error?.name === 'SandboxRestarted' || this.starting !== watched) return null;
        console.error('Python could not start:', error);
        Object.assign(py, { state: 'failed', message: `Python could not start: ${error?.message || error}`, error: errorOf(error, 'python_start_failed') });
        this.emit('python', py);
        return null;
      },
    );
    this.starting = watched;
    return watched;
  }

  onSandboxEvent(event) {
    if (event.type === 'package') {
      const py = this.python;
      py.message = event.state === 'loading' ? `Loading ${event.name}…` : event.state === 'failed' ? `Could not load ${event.name}` : `Python ${py.info?.python ?? ''}`;
      py.state = event.state === 'loading' ? 'loading' : 'ready';
      this.emit('python', py);
    }
    this.emit('sandbox', event);
    this.publish(fromSandboxEvent(event));
  }

  onSandboxRestart() {
    if (this.closed) return;
    // Variables are gone: the core resends the files and says so.
    this.driver?.send({ type: EVENT.SANDBOX_RESTARTED });
    this.watchStart(this.sandbox.start(), 'Restarting Python…');
  }

  /**
   * Gives the current conversation a Python of its own: when the sandbox ran
   * another conversation's code (or `always`), it is replaced, silently
   * (this conversation's variables were never in it).
   */
  freshPython({ always = false } = {}) {
    const used = this.sandboxUsedBy && (always || this.sandboxUsedBy !== this.conversationId);
    if (used && this.python.state !== 'idle') {
      this.watchStart(this.sandbox.restart('another conversation', { notify: false }), 'Starting a fresh Python…');
    }
    this.sandboxUsedBy = null;
  }

  // ------------------------------------------------------------ settings

  /**
   * An endpoint's model ids, asked by the core (it knows each provider's
   * path, headers and API version) through a driver of its own, so it never
   * touches the conversation. The key goes along only when it was entered
   * for that endpoint's origin (the same rule as every request).
   * @param {object} [settings]  the endpoint to ask (default: the current one); see settings.mjs
   * @returns {Promise<string[]>} sorted ids
   * @throws {Error} with .code and a message fit to show
   */
  listModels(settings = {}, { apiKey = this.apiKey, keyOrigin = this.keyOrigin, timeoutMs = 8000 } = {}) {
    const s = { ...this.settings, ...settings };
    s.baseUrl = cleanBaseUrl(s.baseUrl);
    const key = usableKey(apiKey, keyOrigin, s.baseUrl);
    const fail = (error) => Object.assign(new Error(error.message), { code: error.code, detail: error.detail });
    let asker;
    try {
      asker = this.core.createSession(coreConfig(s, this.python.info, !!key));
    } catch (error) {
      return Promise.reject(fail(errorOf(error, 'invalid_settings')));
    }
    return new Promise((resolve, reject) => {
      let driver = null;
      // After the driver's current batch of actions: it may still touch the session.
      const end = () => setTimeout(() => { driver.close(); asker.destroy(); }, 0);
      driver = new Driver(asker, {
        apiKey: key,
        apiBaseUrl: s.baseUrl,
        onEmit: (event) => {
          if (event.type !== EMIT.MODELS) return;
          end();
          if (event.error) reject(fail(event.error));
          // The ids, and (as .info) what the list says of each model where it
          // says it: {id: {context_window?, vision?}} (the core reads it).
          else resolve(Object.defineProperty([...event.models], 'info', { value: event.info ?? {} }));
        },
      });
      const r = driver.send({ type: EVENT.LIST_MODELS, timeout_ms: timeoutMs });
      if (r.error) {
        end();
        reject(fail(errorOf(r.error, 'refused')));
      }
    });
  }

  setKey(apiKey = '', keyOrigin = undefined) {
    this.apiKey = apiKey ?? '';
    this.keyOrigin = keyOrigin;
  }

  /** The key the driver may use now ('' when it belongs to another origin). */
  get usableKey() {
    return usableKey(this.apiKey, this.keyOrigin, this.settings.baseUrl);
  }

  coreConfig() {
    // The model is told of what this conversation installed beside Pyodide's own list.
    const installed = this.packageHosts.get(this.conversationId)?.installed ?? [];
    const info = this.python.info && installed.length
      ? { ...this.python.info, packages: [...(this.python.info.packages ?? []), ...installed.map((r) => `${r.name}==${r.version}`)] }
      : this.python.info;
    const config = coreConfig(this.settings, info, !!this.usableKey);
    // The core tells the model how installs work when they can happen.
    config.sandbox.package_index = this.packagePolicy.indexes.length > 0 && this.packageOptions.ask !== 'deny';
    return config;
  }

  // ------------------------------------------------------------- packages

  /** The current conversation's PackageHost (made on first use; its state read from packageStore). */
  async packageHost(id = this.conversationId) {
    let host = this.packageHosts.get(id);
    if (host) return host;
    let state = {};
    try { state = (await this.packageStore?.get(id)) ?? {}; } catch (error) { console.warn('package state not read:', error); }
    // The resolver and its libraries load now, not with the Session.
    const { PackageHost } = await import('./packages/host.mjs');
    host = this.packageHosts.get(id); // made meanwhile
    if (host) return host;
    host = new PackageHost({
      policy: this.packagePolicy,
      fetch: this.packageOptions.fetch,
      cache: this.packageOptions.cache ?? null,
      state,
      ask: (question) => this.askConsent(question),
      onChange: (st) => {
        this.packageStore?.put(id, st).catch?.((error) => console.warn('package state not kept:', error));
        if (id === this.conversationId) this.applyConfig();
      },
    });
    this.packageHosts.set(id, host);
    return host;
  }

  async onPackageRequest(request) {
    if (!this.packagePolicy.indexes.length) {
      return { ok: false, error: { code: 'not_configured', message: 'No package index is configured (config.json packages.indexes).' } };
    }
    const host = await this.packageHost();
    return host.handle(request);
  }

  /** The wheels the current conversation installed, for a new interpreter (no question: consent was given). */
  async packagesToRestore() {
    if (!this.conversationId || !this.packagePolicy.indexes.length) return [];
    const host = await this.packageHost();
    try {
      return await host.restoreWheels();
    } catch (error) {
      this.publish({ type: EMIT.NOTICE, level: 'warning', text: `Installed packages could not be restored: ${error.message}` });
      return [];
    }
  }

  askConsent(question) {
    const mode = this.packageOptions.ask;
    if (mode === 'allow') return Promise.resolve({ allow: true, forConversation: true });
    if (mode !== 'user') return Promise.resolve({ allow: false });
    return new Promise((resolve) => {
      this.consents.set(question.request_id, resolve);
      this.publish(structuredClone({ type: 'package_consent', ...question }));
    });
  }

  /**
   * The user's answer to a package_consent event. forConversation: installs
   * from the same index need no question again in this conversation.
   * Returns false for an unknown or already answered request.
   */
  answerConsent(requestId, allow, { forConversation = false } = {}) {
    const resolve = this.consents.get(requestId);
    if (!resolve) return false;
    this.consents.delete(requestId);
    resolve({ allow: !!allow, forConversation: !!forConversation });
    this.publish({ type: 'package_consent_done', request_id: requestId, allow: !!allow });
    return true;
  }

  /** Questions nobody will answer now (the turn or the conversation ended): declined. */
  declineOpenConsents() {
    for (const id of [...this.consents.keys()]) this.answerConsent(id, false);
  }

  /**
   * New settings (and optionally a key): sent to the core now when idle,
   * else after the running turn. Returns {ok, error?}.
   */
  configure(settings = {}, { apiKey, keyOrigin } = {}) {
    this.settings = { ...this.settings, ...settings };
    this.settings.baseUrl = cleanBaseUrl(this.settings.baseUrl);
    if (apiKey !== undefined) this.setKey(apiKey, keyOrigin);
    return this.applyConfig();
  }

  applyConfig() {
    if (!this.driver) return { ok: true };
    if (this.running) {
      this.pendingConfigure = true;
      return { ok: true, deferred: true };
    }
    this.pendingConfigure = false;
    this.driver.options.apiKey = this.usableKey;
    this.driver.options.apiBaseUrl = this.settings.baseUrl;
    const r = this.driver.send({ type: EVENT.CONFIGURE, ...this.coreConfig() });
    return r.error ? { ok: false, error: errorOf(r.error, 'refused') } : { ok: true };
  }

  // -------------------------------------------------------- conversations

  /** A new, empty conversation becomes current (call leave() first if one is). Returns its id. */
  newConversation(id = uid(), { fresh = true } = {}) {
    this.attach(this.core.createSession({ conversation_id: id, ...this.coreConfig() }), id);
    this.needsRestartNotice = false;
    if (fresh) this.freshPython();
    return id;
  }

  /**
   * A stored conversation ({meta: {id}, state, files}) becomes current.
   * Its Python variables are gone: the core hears so before its first run.
   * `fresh: false` for a tab that only shows it (it runs nothing).
   * Returns {problems} (what could not be restored, to show).
   */
  openConversation(saved, { fresh = true } = {}) {
    const { session, problems } = this.core.restoreSession(saved.state, saved.files ?? {});
    this.attach(session, saved.meta.id);
    this.queued = session.conversation().queued?.length ?? 0;
    this.needsRestartNotice = this.hasCells();
    this.applyConfig();
    if (fresh) this.freshPython();
    return { problems: problems ?? [] };
  }

  /** Drops the current conversation's session without saving (a reader replacing its view). */
  detach() {
    this.driver?.close();
    this.coreSession?.destroy();
    this.driver = null;
    this.coreSession = null;
    this.running = false;
    this.queued = 0;
  }

  /** Ends the current conversation here: stops its turn, saves what it has, then lets its session go. */
  async leave() {
    this.declineOpenConsents();
    if (this.running) this.driver?.cancel();
    this.endActive(sessionError('closed', 'The conversation was closed.'));
    this.driver?.close(); // flushes its queued persist into the storage
    await this.storage?.flush?.();
    this.coreSession?.destroy();
    this.driver = null;
    this.coreSession = null;
    this.running = false;
    this.queued = 0;
  }

  attach(coreSession, id) {
    this.conversationId = id;
    this.coreSession = coreSession;
    this.running = false;
    this.queued = 0;
    this.driver = new Driver(coreSession, {
      apiKey: this.usableKey,
      apiBaseUrl: this.settings.baseUrl,
      sandbox: this.sandbox,
      onEmit: (event) => this.onCoreEvent(event),
      onPersist: this.storage ? (snapshot) => this.storage.save(id, snapshot, (path) => (this.coreSession === coreSession ? coreSession.readFile(path) : null)) : undefined,
      onProtocolError: (error, event) => {
        console.error('protocol error', error, event);
        this.emit('protocol_error', { error: errorOf(error, 'protocol'), event });
      },
    });
  }

  /** The current conversation had cells (its variables would be gone after a reload or takeover). */
  hasCells() {
    return !!this.coreSession?.conversation().entries?.some((e) => e.kind === 'exec');
  }

  /** This tab takes over writing the current conversation (another tab may have run code): fresh Python, core told before the next run. */
  takeOver() {
    this.needsRestartNotice = this.hasCells();
    this.freshPython({ always: true });
  }

  // ----------------------------------------------------------------- turns

  onCoreEvent(event) {
    if (event.type === EMIT.TURN_STARTED) this.running = true;
    if (event.type === EMIT.CELL_STARTED) this.sandboxUsedBy = this.conversationId;
    if (event.type === EMIT.QUEUE) this.queued = event.count;
    this.emit('core', event);
    this.publish(fromCoreEvent(event));
    if (event.type === EMIT.TURN_DONE) {
      this.running = false;
      this.declineOpenConsents();
      // Settings changed during the turn, after the listeners' own work for
      // this event. (Code the core queued starts with the next turn_started,
      // which the core emits itself.)
      if (this.pendingConfigure) later(() => { if (!this.running) this.applyConfig(); });
    }
  }

  publish(event) {
    if (!event) return;
    this.emit('event', event);
    const stream = this.active;
    if (!stream) return;
    // A stopped run's late events (its cell_finished can come after its
    // turn_done) belong to that turn, not to the one running now.
    if (event.type === EMIT.CELL_STARTED) stream.execs.add(event.exec_id);
    else if (event.exec_id !== undefined && !stream.execs.has(event.exec_id)) return;
    stream.push(event);
    if (event.type === EMIT.TURN_DONE) {
      this.active = null;
      stream.end();
    }
  }

  endActive(error) {
    const stream = this.active;
    this.active = null;
    stream?.fail(error);
  }

  /** Sends a user message. Returns the turn's TurnStream; `stream.error` is set at once when refused. */
  send(text) {
    text = String(text);
    return this.turn(() => this.driver.userMessage(text), { type: 'message', role: 'user', text });
  }

  /**
   * Runs code with no model. {queue: true}: while a turn runs, the core
   * queues it for after the turn (its stream ends at once with `queued`);
   * else it is refused as busy.
   */
  runCode(code, { queue = false } = {}) {
    code = String(code);
    if (queue && this.running && !this.closed && this.driver) {
      const stream = new TurnStream();
      const r = this.driver.runCode(code);
      if (r.error) stream.fail(errorOf(r.error, 'refused'));
      else {
        stream.queued = true;
        stream.end();
      }
      return stream;
    }
    return this.turn(() => this.driver.runCode(code));
  }

  /** Runs several cells in order (a re-run of all cells, an imported notebook): the first now (or after the turn), the rest queued by the core. Returns {ok, error?}. */
  runAll(codes) {
    for (const code of codes) {
      const turn = this.runCode(code, { queue: true });
      if (turn.error) return { ok: false, error: turn.error };
    }
    return { ok: true };
  }

  /** A queue restored with the conversation waits (the user reloaded, maybe to stop it): this runs it. */
  runQueued() {
    if (!this.driver) return;
    if (!this.running) this.beforeRun();
    this.driver.send({ type: EVENT.RUN_QUEUED });
  }

  /** Drops the code waiting to run (the running turn goes on). */
  clearQueue() {
    this.driver?.send({ type: EVENT.CLEAR_QUEUE });
  }

  turn(start, userEvent) {
    const stream = new TurnStream();
    if (this.closed || !this.driver) { stream.fail(sessionError('closed', 'This session is closed.')); return stream; }
    if (this.active || this.running) { stream.fail(sessionError('busy', 'A turn is running: wait for its turn_done or cancel() it.')); return stream; }
    this.active = stream;
    const begin = () => {
      if (this.active !== stream) return;
      if (this.closed || !this.driver) { this.active = null; stream.fail(sessionError('closed', 'This session is closed.')); return; }
      this.beforeRun();
      if (userEvent) this.publish(userEvent);
      const r = start();
      if (r.error) {
        this.active = null;
        stream.fail(errorOf(r.error, 'refused'));
      }
    };
    if (this.waitForPython && this.python.state !== 'ready') this.startPython().then(begin);
    else begin();
    return stream;
  }

  beforeRun() {
    if (this.needsRestartNotice) {
      this.needsRestartNotice = false;
      this.driver.send({ type: EVENT.SANDBOX_RESTARTED });
    }
    if (this.python.state === 'idle') this.startPython();
  }

  /** Stops the running turn (the model request, or the run: interrupt or restart); the core drops its queue. */
  cancel() {
    if (this.driver && (this.running || this.queued)) this.driver.cancel();
  }

  // ----------------------------------------------------------------- files

  /**
   * Adds (or replaces) /mnt/data/<name>. The media type is the browser's
   * when it knows one; otherwise the core guesses from the name (its table).
   * Returns {ok, file?} or {ok: false, error}. preview: an image's
   * downscaled copy for the model ({bytes, mediaType}, js_glue/images.mjs
   * previewFor; made by the caller, as it is async), or none.
   */
  addFile(name, bytes, mediaType = '', preview = null) {
    if (this.closed || !this.driver) return { ok: false, error: sessionError('closed', 'This session is closed.') };
    const given = mediaType && mediaType !== 'application/octet-stream' ? mediaType : '';
    // The core refuses a file (a bad name, a full quota) with an `error` event
    // of kind 'file' (listeners have shown it), not a protocol error.
    let refused = null;
    const off = this.on('core', (e) => { if (e.type === EMIT.ERROR && e.error?.kind === 'file') refused = e.error; });
    const r = this.driver.upload(String(name), bytes, given, preview);
    off();
    if (r.error) return { ok: false, error: errorOf(r.error, 'refused') };
    if (refused) return { ok: false, error: sessionError(refused.type ?? 'refused', refused.message, { kind: 'file' }) };
    return { ok: true, file: this.listFiles().find((f) => f.path === String(name)) ?? null };
  }

  deleteFile(path) {
    if (!this.driver) return { ok: false, error: sessionError('closed', 'This session is closed.') };
    const r = this.driver.send({ type: EVENT.FILE_DELETE, path });
    return r.error ? { ok: false, error: errorOf(r.error, 'refused') } : { ok: true };
  }

  /** The file's bytes (the core's copy; slice() before changing them), or null. */
  readFile(path) {
    return this.coreSession?.readFile(String(path)) ?? null;
  }

  listFiles() {
    return this.coreSession?.listFiles() ?? [];
  }

  /** Renames the current conversation ('' gives it back its automatic title). The core keeps it and emits `title`. */
  setTitle(title) {
    if (!this.driver) return { ok: false, error: sessionError('closed', 'This session is closed.') };
    const r = this.driver.send({ type: EVENT.SET_TITLE, title: String(title) });
    return r.error ? { ok: false, error: errorOf(r.error, 'refused') } : { ok: true };
  }

  /** The core's record of the conversation (entries, title, usage_by_turn, queued, …). */
  conversation() {
    return this.coreSession?.conversation() ?? null;
  }

  /** The conversation as an .ipynb object (nbformat 4). */
  exportNotebook() {
    return this.coreSession.exportNotebook({ python_version: this.python.info?.python ?? DEFAULT_PYTHON_VERSION });
  }

  /** Saves what the core queued to persist, now; resolves when the storage has it. */
  async flush() {
    this.driver?.flushPersist();
    await this.storage?.flush?.();
  }

  /** Ends everything: the running turn, the sandbox, the core session. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.endActive(sessionError('closed', 'The session was closed.'));
    this.driver?.close();
    this.coreSession?.destroy();
    this.driver = null;
    this.coreSession = null;
    await this.sandbox.close();
  }
}
