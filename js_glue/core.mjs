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
// The streaming answers (feedLlmBytes, StreamDecoder.feed and .finish) cross
// the binding as packed records (js_glue/packed.mjs), not JSON; what these
// methods return is the same plain objects either way.
//
// In the browser pass { moduleUrl, wasmUrl }; in Node pass { moduleUrl,
// wasmBinary } (Node 20's fetch cannot load a file path, so give the bytes).

import { packedReader } from './packed.mjs';
import { ACTION, EMIT } from './protocol.mjs';

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

// One packed record of feedLlmBytes as the action it stands for: the delta
// emits travel as bare text, every other action as its JSON.
function packedAction(kind, index, text) {
  switch (kind) {
    case 'text': return { type: ACTION.EMIT, event: { type: EMIT.TEXT_DELTA, text } };
    case 'thinking': return { type: ACTION.EMIT, event: { type: EMIT.THINKING_DELTA, text } };
    case 'tool_call_arguments': return { type: ACTION.EMIT, event: { type: EMIT.TOOL_CALL_DELTA, index, arguments: text } };
    case 'json': return JSON.parse(text);
    default: throw new CoreError({ code: 'internal_error', message: `feedLlmBytes: unexpected packed record "${kind}"` });
  }
}

export class Core {
  constructor(module) {
    this.module = module;
    this.packed = packedReader(JSON.parse(module.packedLayout()));
  }

  protocolInfo() {
    return JSON.parse(this.module.protocolInfo());
  }

  /** @returns {CoreSession} @throws {CoreError} on a bad config */
  createSession(config) {
    const { handle } = parse(this.module.createSession(JSON.stringify(config)));
    return new CoreSession(this.module, handle, this.packed);
  }

  /** files: { [path]: Uint8Array }. Returns { session, problems }. */
  restoreSession(state, files = {}) {
    const text = typeof state === 'string' ? state : JSON.stringify(state);
    const { handle, problems } = parse(this.module.restoreSession(text, files));
    return { session: new CoreSession(this.module, handle, this.packed), problems };
  }

  /** One-shot decode of a whole response body (what ci-decode prints). */
  decodeStream(format, bytes) {
    // The result's own "error" is a provider error inside the stream, not a
    // failure of the call.
    return parse(this.module.decodeStream(format, bytes));
  }

  /**
   * A streaming decoder (ci-decode chunk by chunk; the benchmark): feed()
   * each piece of a body, then finish(). @throws {CoreError} bad_format
   */
  createDecoder(format) {
    const handle = this.module.createDecoder(String(format));
    if (!handle) {
      throw new CoreError({ code: 'bad_format', message: `unknown format "${format}" (expected openai, anthropic or responses)`, detail: { format } });
    }
    return new StreamDecoder(this.module, handle, this.packed);
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

export class StreamDecoder {
  constructor(module, handle, packed) {
    this.module = module;
    this.handle = handle;
    this.packed = packed;
  }

  /**
   * Any split of the body. Appends this piece's deltas, in order, to
   * `deltas` (a new array by default) and returns it:
   * [{kind: "text"|"thinking"|"tool_call_begin"|"tool_call_arguments", text, index}]
   * (tool_call_begin: text is the tool's name; index: which tool call).
   */
  feed(bytes, deltas = []) {
    const answer = this.module.decoderFeed(this.handle, bytes);
    if (typeof answer === 'string') return parse(answer); // a failure: throws
    return this.packed.deltas(answer, deltas);
  }

  /** Ends the stream: the whole result, as Core.decodeStream. The decoder is then gone. */
  finish() {
    const answer = this.module.decoderFinish(this.handle);
    this.handle = 0;
    if (typeof answer === 'string') return parse(answer); // a failure: throws
    // The result as JSON with its texts left "", then each text on its own.
    let result;
    this.packed.forEach(answer, (kind, index, text) => {
      if (kind === 'json') result = JSON.parse(text);
      else if (kind === 'text' || kind === 'thinking') result[kind] = text;
      else if (kind === 'tool_call_arguments') result.tool_calls[index].arguments = text;
      else throw new CoreError({ code: 'internal_error', message: `decoderFinish: unexpected packed record "${kind}"` });
    });
    return result;
  }
}

export class CoreSession {
  constructor(module, handle, packed) {
    this.module = module;
    this.id = handle;
    this.packed = packed;
  }

  /**
   * Hands one event to the core. Returns { actions, error? } where error is a
   * protocol error (the event was refused and nothing changed).
   */
  handle(event, blobs = []) {
    const e = 'now_ms' in event ? event : { ...event, now_ms: Date.now() };
    return parse(this.module.handleEvent(this.id, JSON.stringify(e), blobs));
  }

  /** The fast path of llm_chunk: the same answer as handle() would give. */
  feedLlmBytes(requestId, bytes, nowMs = Date.now()) {
    const answer = this.module.feedLlmBytes(this.id, requestId, bytes, nowMs);
    if (typeof answer === 'string') return parse(answer); // refused ({actions: [], error}), or a failure: throws
    const actions = [];
    this.packed.forEach(answer, (kind, index, text) => actions.push(packedAction(kind, index, text)));
    return { actions };
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
