// Loads the C++ core (build/wasm/ci_core.mjs + .wasm) and wraps its Embind
// API in small classes. Everything crosses as JSON text or Uint8Array; the
// only thing to free is a session (destroy()).
//
// Errors: every failed call throws a CoreError with .code (stable
// snake_case), .message and .detail (JSON or undefined), the shape of
// wasm/PROTOCOL.md, "Errors". A refused *event* is not a failed call:
// handle() and feedLlmBytes() return it as { actions: [], error: {code,
// message, detail?} } (nothing changed). The contracts of the module
// functions underneath are in wasm/PROTOCOL.md, "Bound functions".
//
// In the browser pass { moduleUrl, wasmUrl }; in Node pass { moduleUrl,
// wasmBinary } (Node 20's fetch cannot load a file path, so give the bytes).

export async function loadCore({ moduleUrl, wasmUrl, wasmBinary } = {}) {
  const { default: createCoreModule } = await import(/* @vite-ignore */ moduleUrl);
  const options = {};
  if (wasmBinary) options.wasmBinary = wasmBinary;
  if (wasmUrl) options.locateFile = (path) => (path.endsWith('.wasm') ? wasmUrl : path);
  const module = await createCoreModule(options);
  return new Core(module);
}

export class CoreError extends Error {
  /** @param {{code: string, message: string, detail?: any}} error */
  constructor(error) {
    super(error.message);
    this.name = 'CoreError';
    this.code = error.code;
    this.detail = error.detail;
  }
}

// A failed call answers an object whose only key is "error"; no successful
// answer has that shape (a decoded stream carries its own "error" beside
// other keys, a refused event carries "actions").
function isFailure(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) &&
    Object.keys(value).length === 1 && 'error' in value;
}

function parse(text) {
  const value = JSON.parse(text);
  if (isFailure(value)) throw new CoreError(value.error);
  return value;
}

const destroyed = () => new CoreError({ code: 'bad_handle', message: 'this session was destroyed' });

export class Core {
  constructor(module) {
    this.module = module;
  }

  protocolInfo() {
    return JSON.parse(this.module.protocolInfo());
  }

  /** @returns {CoreSession} @throws {CoreError} on a bad config */
  createSession(config) {
    const { handle } = parse(this.module.createSession(JSON.stringify(config)));
    return new CoreSession(this.module, handle);
  }

  /** files: { [path]: Uint8Array }. Returns { session, problems }. */
  restoreSession(state, files = {}) {
    const text = typeof state === 'string' ? state : JSON.stringify(state);
    const { handle, problems } = parse(this.module.restoreSession(text, files));
    return { session: new CoreSession(this.module, handle), problems };
  }

  /** One-shot decode of a whole response body (what ci-decode prints). */
  decodeStream(format, bytes) {
    // The result's own "error" is a provider error inside the stream, not a
    // failure of the call.
    return parse(this.module.decodeStream(format, bytes));
  }

  /**
   * The media type the core gives a file of this name (its one table;
   * "application/octet-stream" when unknown). An upload with media_type ""
   * gets exactly this.
   */
  mediaTypeFor(name) {
    return this.module.mediaTypeFor(String(name));
  }
}

export class CoreSession {
  constructor(module, handle) {
    this.module = module;
    this.id = handle;
  }

  /**
   * Hands one event to the core. Returns { actions, error? } where error is a
   * protocol error (the event was refused and nothing changed).
   */
  handle(event, blobs = []) {
    const e = 'now_ms' in event ? event : { ...event, now_ms: Date.now() };
    return parse(this.module.handleEvent(this.id, JSON.stringify(e), blobs));
  }

  feedLlmBytes(requestId, bytes, nowMs = Date.now()) {
    return parse(this.module.feedLlmBytes(this.id, requestId, bytes, nowMs));
  }

  /** Uint8Array (a fresh copy, the caller's to keep), or null when there is no such file. */
  readFile(path) {
    if (this.id < 0) throw destroyed();
    return this.module.readFile(this.id, path);
  }

  listFiles() {
    return parse(this.module.listFiles(this.id)).files;
  }

  serialize() {
    return parse(this.module.serialize(this.id));
  }

  conversation() {
    return parse(this.module.conversation(this.id));
  }

  exportNotebook(options = {}) {
    return parse(this.module.exportNotebook(this.id, JSON.stringify(options)));
  }

  /** "idle" | "waiting_model" | "retry_wait" | "running_code" */
  state() {
    const name = this.module.stateName(this.id);
    if (name === '') throw destroyed();
    return name;
  }

  destroy() {
    this.module.destroySession(this.id);
    this.id = -1;
  }
}
