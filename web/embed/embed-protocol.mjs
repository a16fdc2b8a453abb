// The postMessage API of embed.html, written once and imported by both ends:
// the embed (embed-page.mjs, inside the iframe) and the client for embedders
// (embed-client.mjs, in the parent page). Plain data and pure functions: no
// DOM, so Node tests import it too (tests/js/embed-protocol.test.mjs).
//
// The parent sends requests {type, id, ...fields} (REQUEST, FIELDS); the
// embed answers each with one
//   {type: 'result', id, ok: true, ...reply}
//   {type: 'result', id, ok: false, error: {code, message, detail}}
// and streams the events of a turn it started (send, run_code) as
//   {type: 'event', id, event}                 … up to event.type === 'turn_done'
// (id null for turns started in the embed's own UI). Once started it posts
// {type: 'ready'} to an allowed parent (Chromium and Safari name the parent's
// origin; elsewhere the parent sends ping until ping says ready).
//
// Reply fields per request (REPLY_FIELDS): ping → {ready, phase, python};
// configure → {settings}; add_file → {file}; list_files → {files};
// read_file → {bytes: Uint8Array | null} (transferred); the others → {}.
//
// A request whose type or id is unusable is answered with id null and code
// bad_request (the embed cannot say which request it was).

/** The version of this protocol; bumped only when an existing shape changes. */
export const PROTOCOL_VERSION = 1;

/** Requests, parent → embed. */
export const REQUEST = Object.freeze({
  PING: 'ping',
  CONFIGURE: 'configure',
  SEND: 'send',
  RUN_CODE: 'run_code',
  CANCEL: 'cancel',
  ADD_FILE: 'add_file',
  LIST_FILES: 'list_files',
  READ_FILE: 'read_file',
  NEW_CONVERSATION: 'new_conversation',
});

/** Messages, embed → parent. */
export const REPLY = Object.freeze({
  RESULT: 'result',
  READY: 'ready',
  EVENT: 'event',
});

export const REQUEST_TYPES = Object.freeze(Object.values(REQUEST));
export const REPLY_TYPES = Object.freeze(Object.values(REPLY));

/** Requests that start a turn: answered at once, then followed by events up to turn_done. */
export const TURN_REQUESTS = Object.freeze([REQUEST.SEND, REQUEST.RUN_CODE]);

/** The event that ends a turn's stream. */
export const TURN_DONE = 'turn_done';

/** Public event types (their fields: js_glue/events.mjs). A client must accept types not listed here. */
export const EVENT_TYPES = Object.freeze([
  'text_delta', 'thinking_delta', 'message', 'cell_started', 'stdout', 'stderr', 'output',
  'cell_finished', 'file_changed', 'notice', 'retrying', 'error', 'title', TURN_DONE,
]);

/** Sizes, in UTF-16 code units (string length). */
export const LIMITS = Object.freeze({
  id: 200, // a string id; or any safe integer
  text: 1_000_000, // send.text, configure.systemPrompt
  code: 1_000_000, // run_code.code
  name: 1024, // add_file.name, read_file.path
  field: 8192, // configure.baseUrl, model, apiKey
  provider: 64,
  format: 16,
});

/** error.code of a failed reply (and of the client's own failures). */
export const ERROR = Object.freeze({
  BAD_REQUEST: 'bad_request', // not {type, id, ...} with a known type, or a forbidden key (__proto__, …)
  INVALID_FIELD: 'invalid_field', // a field of the wrong type, too long, or not one of the allowed values; detail {field}
  NOT_READY: 'not_ready', // the app did not start
  BUSY: 'busy', // a turn is running: wait for its turn_done or cancel it
  REFUSED: 'refused', // the app refused the request (no model chosen, …); the app's own code when it gives one
  FAILED: 'failed', // anything else; detail {name}
  // Raised by embed-client.mjs only, never sent by the embed:
  TIMEOUT: 'timeout', // no reply (or no end of the turn) in time
  CLOSED: 'closed', // close() was called
});

// Field kinds: 'string' (with max), 'enum' (one of values), 'url' (an http(s)
// URL, with max), 'boolean', 'integer' (min…max), 'bytes' (ArrayBuffer |
// Uint8Array | Blob | string).
const s = (max, optional = false) => Object.freeze({ kind: 'string', max, optional });

/** The fields of each request, beside type and id. Fields not listed are ignored. */
export const FIELDS = Object.freeze({
  [REQUEST.PING]: Object.freeze({}),
  [REQUEST.CONFIGURE]: Object.freeze({
    provider: s(LIMITS.provider, true), // a preset id of web/app/providers.mjs (checked by the embed)
    baseUrl: Object.freeze({ kind: 'url', max: LIMITS.field, optional: true }),
    model: s(LIMITS.field, true),
    format: Object.freeze({ kind: 'enum', values: Object.freeze(['openai', 'responses', 'anthropic']), optional: true }),
    systemPrompt: s(LIMITS.text, true),
    vision: Object.freeze({ kind: 'boolean', optional: true }), // the model sees images
    contextWindow: Object.freeze({ kind: 'integer', min: 0, max: 1e9, optional: true }), // tokens; 0 = unknown
    apiKey: s(LIMITS.field, true), // never echoed back
  }),
  [REQUEST.SEND]: Object.freeze({ text: s(LIMITS.text) }),
  [REQUEST.RUN_CODE]: Object.freeze({ code: s(LIMITS.code) }),
  [REQUEST.CANCEL]: Object.freeze({}),
  [REQUEST.ADD_FILE]: Object.freeze({ name: s(LIMITS.name), bytes: Object.freeze({ kind: 'bytes', optional: false }) }),
  [REQUEST.LIST_FILES]: Object.freeze({}),
  [REQUEST.READ_FILE]: Object.freeze({ path: s(LIMITS.name) }),
  [REQUEST.NEW_CONVERSATION]: Object.freeze({}),
});

/** What a successful result carries beside {type, id, ok}, per request (for readers; not enforced). */
export const REPLY_FIELDS = Object.freeze({
  [REQUEST.PING]: Object.freeze(['ready', 'phase', 'python']),
  [REQUEST.CONFIGURE]: Object.freeze(['settings']),
  [REQUEST.SEND]: Object.freeze([]),
  [REQUEST.RUN_CODE]: Object.freeze([]),
  [REQUEST.CANCEL]: Object.freeze([]),
  [REQUEST.ADD_FILE]: Object.freeze(['file']),
  [REQUEST.LIST_FILES]: Object.freeze(['files']),
  [REQUEST.READ_FILE]: Object.freeze(['bytes']),
  [REQUEST.NEW_CONVERSATION]: Object.freeze([]),
});

/** Own keys that make a message malformed wherever they appear at its top level. */
export const FORBIDDEN_KEYS = Object.freeze(['__proto__', 'constructor', 'prototype']);

/** An error with a protocol code; `toJSON()` is the {code, message, detail} of a failed reply. */
export class EmbedError extends Error {
  constructor(code, message, detail = null) {
    super(message);
    this.name = 'EmbedError';
    this.code = code;
    this.detail = detail;
  }

  toJSON() {
    return { code: this.code, message: this.message, detail: this.detail };
  }
}

const has = (o, key) => Object.prototype.hasOwnProperty.call(o, key);
const own = (o, key) => (has(o, key) ? o[key] : undefined);

/** A plain object made by an object literal or JSON (or structured clone of one): not an array, a Map, a Date, … */
export function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function isRequestType(type) {
  return typeof type === 'string' && REQUEST_TYPES.includes(type);
}

export function isValidId(id) {
  return (typeof id === 'string' && id.length > 0 && id.length <= LIMITS.id) || Number.isSafeInteger(id);
}

/**
 * {code, message, detail} of any thrown value: an EmbedError or an object
 * already of that shape keeps its code; anything else is `failed`.
 */
export function errorShape(error) {
  if (error instanceof EmbedError) return error.toJSON();
  if (isPlainObject(error) && typeof error.code === 'string' && typeof error.message === 'string') {
    return { code: error.code, message: error.message, detail: error.detail ?? null };
  }
  const message = String(error?.message ?? error ?? 'failed');
  return { code: ERROR.FAILED, message, detail: { name: typeof error?.name === 'string' ? error.name : 'Error' } };
}

/** A failed result: {type: 'result', id, ok: false, error: {code, message, detail}}. */
export function failure(id, error) {
  return { type: REPLY.RESULT, id, ok: false, error: errorShape(error) };
}

/** A successful result: {type: 'result', id, ok: true, ...fields}. */
export function success(id, fields = {}) {
  return { ...fields, type: REPLY.RESULT, id, ok: true };
}

/** The request's {type, id}, or null when `data` is not a request at all (not a plain object, unknown type, unusable id). */
export function readHeader(data) {
  if (!isPlainObject(data)) return null;
  const type = own(data, 'type');
  const id = own(data, 'id');
  if (!isRequestType(type) || !isValidId(id)) return null;
  return { type, id };
}

function isBytes(v) {
  return v instanceof ArrayBuffer || v instanceof Uint8Array || typeof v === 'string'
    || (typeof Blob === 'function' && v instanceof Blob);
}

function readField(data, field, spec) {
  const v = own(data, field);
  if (v === undefined) {
    if (spec.optional) return undefined;
    throw new EmbedError(ERROR.INVALID_FIELD, `${field} is missing`, { field });
  }
  switch (spec.kind) {
    case 'string':
    case 'url': {
      if (typeof v !== 'string') throw new EmbedError(ERROR.INVALID_FIELD, `${field} must be a string`, { field });
      if (v.length > spec.max) throw new EmbedError(ERROR.INVALID_FIELD, `${field} is longer than ${spec.max} characters`, { field, max: spec.max });
      if (spec.kind === 'url') {
        let url;
        try { url = new URL(v); } catch { throw new EmbedError(ERROR.INVALID_FIELD, `${field} is not a URL`, { field }); }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EmbedError(ERROR.INVALID_FIELD, `${field} must be http(s)`, { field });
      }
      return v;
    }
    case 'enum':
      if (!spec.values.includes(v)) throw new EmbedError(ERROR.INVALID_FIELD, `${field} must be one of ${spec.values.join(', ')}`, { field, values: [...spec.values] });
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw new EmbedError(ERROR.INVALID_FIELD, `${field} must be true or false`, { field });
      return v;
    case 'integer':
      if (!Number.isInteger(v) || v < spec.min || v > spec.max) throw new EmbedError(ERROR.INVALID_FIELD, `${field} must be a whole number from ${spec.min} to ${spec.max}`, { field, min: spec.min, max: spec.max });
      return v;
    case 'bytes':
      if (!isBytes(v)) throw new EmbedError(ERROR.INVALID_FIELD, `${field} must be an ArrayBuffer, a Uint8Array, a Blob or a string`, { field });
      return v;
    default:
      throw new EmbedError(ERROR.FAILED, `unknown field kind ${spec.kind}`, { field });
  }
}

/**
 * Checks a request. Returns {ok: true, request} where `request` is a fresh
 * object with only type, id and the known fields of its type (read one by
 * one as own properties, their types and sizes checked), or {ok: false, id,
 * error: {code, message, detail}} (id null when the message has no usable id).
 */
export function validateRequest(data) {
  const header = readHeader(data);
  if (!header) {
    const message = 'expected {type, id, ...} with a known type and a string (up to 200 characters) or integer id';
    return { ok: false, id: null, error: { code: ERROR.BAD_REQUEST, message, detail: null } };
  }
  try {
    for (const key of FORBIDDEN_KEYS) {
      if (has(data, key)) throw new EmbedError(ERROR.BAD_REQUEST, `the key ${key} is not allowed`, { field: key });
    }
    const request = { type: header.type, id: header.id };
    for (const [field, spec] of Object.entries(FIELDS[header.type])) {
      const v = readField(data, field, spec);
      if (v !== undefined) request[field] = v;
    }
    return { ok: true, request };
  } catch (error) {
    return { ok: false, id: header.id, error: errorShape(error) };
  }
}

/**
 * Checks a message from the embed (after its sender was checked). Returns it
 * as {type: 'result', id, ok, error?} | {type: 'ready'} | {type: 'event', id,
 * event}, or null when it is none of them. A failed result's error always
 * has {code, message, detail}.
 */
export function readReply(data) {
  if (!isPlainObject(data)) return null;
  const type = own(data, 'type');
  const id = own(data, 'id');
  if (type === REPLY.READY) return { type };
  if (id !== null && !isValidId(id)) return null;
  if (type === REPLY.RESULT) {
    const ok = own(data, 'ok');
    if (typeof ok !== 'boolean') return null;
    if (ok) return data;
    const e = own(data, 'error');
    const error = isPlainObject(e)
      ? { code: typeof own(e, 'code') === 'string' ? e.code : ERROR.FAILED, message: String(own(e, 'message') ?? 'failed'), detail: own(e, 'detail') ?? null }
      : { code: ERROR.FAILED, message: 'failed', detail: null };
    return { ...data, error };
  }
  if (type === REPLY.EVENT) {
    const event = own(data, 'event');
    if (!isPlainObject(event) || typeof own(event, 'type') !== 'string') return null;
    return { type, id, event };
  }
  return null;
}
