// The driver: performs the core's actions (fetch, timers, sandbox runs,
// persistence) and feeds the results back as events. It holds no state of
// the conversation; the core does.
//
// The API key never reaches the core: the driver adds it to an
// http_request only when the request goes to the origin of the base URL the
// key was entered for.
import { EVENT, ACTION, EMIT } from './protocol.mjs';
import { readChunks } from './body-chunks.mjs';

export class Driver {
  /**
   * @param {import('./core.mjs').CoreSession} session
   * @param {object} options
   * @param {string} [options.apiKey]       key for options.apiBaseUrl's origin only
   * @param {string} [options.apiBaseUrl]
   * @param {object} [options.sandbox]      { run(request) → Promise<result>, interrupt(execId, restart) }
   * @param {(event) => void} [options.onEmit]
   * @param {(snapshot) => Promise<void>|void} [options.onPersist]  { state, files: { write: [{path, bytes}], delete: [path] } }
   * @param {(error) => void} [options.onProtocolError]
   * @param {typeof fetch} [options.fetch]
   */
  constructor(session, options = {}) {
    this.session = session;
    this.options = options;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.requests = new Map(); // request_id → AbortController
    this.timers = new Map(); // timer_id → timeout handle
    this.listeners = new Set();
    this.closed = false;
  }

  /** Sends an event; returns the core's result ({actions, error?}). */
  send(event, blobs = []) {
    if (this.closed) return { actions: [] };
    const result = this.session.handle({ now_ms: Date.now(), ...event }, blobs);
    if (result.error) this.options.onProtocolError?.(result.error, event);
    this.perform(result.actions);
    return result;
  }

  userMessage(text) {
    return this.send({ type: EVENT.USER_MESSAGE, text });
  }

  runCode(code) {
    return this.send({ type: EVENT.USER_CODE, code });
  }

  cancel() {
    return this.send({ type: EVENT.CANCEL });
  }

  /**
   * preview: {bytes, mediaType} | null, a downscaled copy of an image
   * (js_glue/images.mjs previewFor) that the core sends to a vision model
   * instead of the original; it goes as the second blob and is not stored.
   */
  upload(path, bytes, mediaType = '', preview = null) {
    if (!preview?.bytes) return this.send({ type: EVENT.FILE_UPLOAD, path, media_type: mediaType, blob: 0 }, [bytes]);
    return this.send({
      type: EVENT.FILE_UPLOAD, path, media_type: mediaType, blob: 0, preview_media_type: preview.mediaType, preview_blob: 1,
    }, [bytes, preview.bytes]);
  }

  /** Subscribes to emitted UI events; returns an unsubscribe function. */
  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the turn_done event of the running turn. */
  turnDone() {
    return new Promise((resolve) => {
      const off = this.on((event) => {
        if (event.type === EMIT.TURN_DONE) {
          off();
          resolve(event);
        }
      });
    });
  }

  close() {
    if (!this.closed) this.flushPersist();
    this.closed = true;
    for (const c of this.requests.values()) c.abort();
    for (const t of this.timers.values()) clearTimeout(t);
    this.requests.clear();
    this.timers.clear();
  }

  perform(actions) {
    for (const action of actions) {
      switch (action.type) {
        case ACTION.HTTP_REQUEST: this.startRequest(action); break;
        case ACTION.ABORT_REQUEST: this.abortRequest(action.request_id); break;
        case ACTION.RUN_CODE: this.runInSandbox(action); break;
        case ACTION.INTERRUPT: this.options.sandbox?.interrupt?.(action.exec_id, action.restart); break;
        case ACTION.SET_TIMER: this.setTimer(action); break;
        case ACTION.CLEAR_TIMER: this.clearTimer(action.timer_id); break;
        case ACTION.EMIT: this.emit(action.event); break;
        case ACTION.PERSIST: this.persist(action); break;
        default: this.options.onProtocolError?.({ code: 'unknown_action', message: `unknown action ${action.type}` }, action);
      }
    }
  }

  emit(event) {
    this.options.onEmit?.(event);
    for (const l of [...this.listeners]) l(event);
  }

  headersFor(action) {
    const headers = { ...action.headers };
    if (action.auth && this.options.apiKey && this.options.apiBaseUrl) {
      // The key goes only where it was entered for.
      if (new URL(action.url).origin === new URL(this.options.apiBaseUrl).origin) {
        headers[action.auth.header] = action.auth.prefix + this.options.apiKey;
      }
    }
    return headers;
  }

  async startRequest(action) {
    const id = action.request_id;
    const controller = new AbortController();
    this.requests.set(id, controller);
    const live = () => this.requests.get(id) === controller && !this.closed;
    try {
      const response = await this.fetch(action.url, {
        method: action.method,
        headers: this.headersFor(action),
        body: action.body,
        signal: controller.signal,
      });
      if (!live()) return;
      this.send({
        type: EVENT.LLM_HEADERS,
        request_id: id,
        status: response.status,
        headers: Object.fromEntries(response.headers.entries()),
      });
      if (response.body) {
        for await (const chunk of readChunks(response.body)) {
          if (!live()) break;
          const result = this.session.feedLlmBytes(id, chunk, Date.now());
          if (result.error) this.options.onProtocolError?.(result.error, { type: EVENT.LLM_CHUNK });
          this.perform(result.actions);
        }
      }
      if (!live()) return;
      this.requests.delete(id);
      this.send({ type: EVENT.LLM_DONE, request_id: id, status: response.status });
    } catch (error) {
      if (!live()) return; // aborted by us: the core already moved on
      this.requests.delete(id);
      const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
      this.send({
        type: EVENT.LLM_FAILED,
        request_id: id,
        message: String(error?.message ?? error),
        kind: offline ? 'offline' : 'network',
      });
    }
  }

  abortRequest(id) {
    const controller = this.requests.get(id);
    this.requests.delete(id);
    controller?.abort();
  }

  setTimer({ timer_id, delay_ms }) {
    this.clearTimer(timer_id);
    this.timers.set(timer_id, setTimeout(() => {
      this.timers.delete(timer_id);
      this.send({ type: EVENT.TIMER_FIRED, timer_id });
    }, delay_ms));
  }

  clearTimer(id) {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }

  async runInSandbox(action) {
    // Let the rest of this batch of actions (timers, emits) happen before a
    // result can come back, even from a sandbox that answers at once.
    await null;
    if (this.closed) return;
    const sandbox = this.options.sandbox;
    const files = {
      // readFile returns a fresh copy: the sandbox may take it over (transfer).
      write: action.files.write.map((f) => ({ ...f, bytes: this.session.readFile(f.path), transfer: true })),
      delete: action.files.delete,
    };
    let result;
    try {
      if (!sandbox) throw Object.assign(new Error('No Python sandbox is attached to this page.'), { name: 'SandboxUnavailable' });
      result = await sandbox.run({ exec_id: action.exec_id, code: action.code, timeout_ms: action.timeout_ms, files });
    } catch (error) {
      result = {
        ok: false,
        status: 'crashed',
        error: { type: error?.name ?? 'Error', message: String(error?.message ?? error), traceback: '' },
      };
    }
    // File bytes travel as blobs beside the JSON, never inside it.
    const blobs = [];
    const toRefs = (list = []) => list.map((f) => {
      blobs.push(f.bytes);
      return { path: f.path, blob: blobs.length - 1 };
    });
    const event = {
      type: EVENT.EXEC_RESULT,
      exec_id: action.exec_id,
      ...result,
      files: {
        created: toRefs(result.files?.created),
        modified: toRefs(result.files?.modified),
        deleted: result.files?.deleted ?? [],
      },
    };
    this.send(event, blobs);
  }

  // Persist actions are coalesced and done in a task of their own: the
  // snapshot serializes the whole conversation (megabytes with long outputs),
  // which must not lengthen the task that handled the event (a run's end, a
  // stream chunk). The last action per file wins. close() flushes, so
  // nothing is lost when a conversation is closed right after a change.
  persist(action) {
    if (!this.options.onPersist || this.closed) return;
    this.pendingPersist ??= new Map();
    for (const path of action.files.write) this.pendingPersist.set(path, 'write');
    for (const path of action.files.delete) this.pendingPersist.set(path, 'delete');
    this.persistTimer ??= setTimeout(() => this.flushPersist(), 0);
  }

  /** Saves what persist() queued, now. Returns onPersist's promise (or undefined when nothing was queued). */
  flushPersist() {
    clearTimeout(this.persistTimer);
    this.persistTimer = null;
    const pending = this.pendingPersist;
    this.pendingPersist = null;
    if (!pending) return undefined;
    const write = [];
    const del = [];
    for (const [path, op] of pending) (op === 'write' ? write : del).push(path);
    const snapshot = {
      state: this.session.serialize(),
      files: {
        write: write.map((path) => ({ path, bytes: this.session.readFile(path) })).filter((f) => f.bytes),
        delete: del,
      },
    };
    return this.options.onPersist(snapshot);
  }
}
