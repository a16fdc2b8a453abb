// Loads the C++ core (build/wasm/ci_core.mjs + .wasm) and wraps its Embind
// API in small classes. Everything crosses as JSON text or Uint8Array; the
// only thing to free is a session (destroy()).
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
  constructor(error) {
    super(error.message);
    this.name = 'CoreError';
    this.type = error.type;
  }
}

function parse(text) {
  const value = JSON.parse(text);
  if (value && value.error && !Array.isArray(value.actions)) throw new CoreError(value.error);
  return value;
}

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
    // A decoded result carries its own "error" (a provider error in the
    // stream); only a result without tool_calls is a failure of the call.
    const value = JSON.parse(this.module.decodeStream(format, bytes));
    if (!('tool_calls' in value)) throw new CoreError(value.error);
    return value;
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

  readFile(path) {
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

  state() {
    return this.module.stateName(this.id);
  }

  destroy() {
    this.module.destroySession(this.id);
    this.id = -1;
  }
}
