// A client for pages that embed embed.html in an iframe: the postMessage API
// (embed-protocol.mjs, the same constants the embed itself uses) as
// promises and async iterables. Shipped as dist/embed-client.js.
//
//   import { connectEmbed } from 'https://ci.example.com/embed-client.js';
//   const frame = document.querySelector('iframe');   // src: https://ci.example.com/embed.html
//   const ci = connectEmbed(frame);                    // origin: the iframe's src origin by default
//   await ci.ready;                                    // the embed answered (or rejects: timeout, not_ready)
//   await ci.configure({ provider: 'openai', model: 'gpt-4o-mini', apiKey });
//   await ci.addFile('data.csv', 'a,b\n1,2\n');
//   for await (const e of ci.send('Sum column b')) console.log(e);   // ends after turn_done
//   const bytes = await ci.readFile('out.png');        // Uint8Array | null
//   ci.close();
//
// Every request's promise settles: with the reply, or rejected with an
// EmbedError {code, message, detail} (codes: ERROR in embed-protocol.mjs)
// when the embed refused it, when no reply came within `timeoutMs`, or when
// close() was called. send() and runCode() never throw: like createSession's
// (headless.mjs), their iterables end with an `error` event {error: {kind,
// type, message, detail}} when the turn could not start, timed out or was
// closed, and otherwise after the embed's turn_done.
//
// Only messages from the iframe's window on `origin` are read; requests are
// posted to that exact origin (never a wildcard), so they reach only the
// embed, and nothing is posted to a frame showing another origin.
import {
  REQUEST, REPLY, ERROR, LIMITS, EmbedError, validateRequest, readReply,
} from './embed-protocol.mjs';
// A turn's events as an async iterable, ending after turn_done or an error: the same class createSession's turns use.
import { TurnStream } from '../../js_glue/turn-stream.mjs';

export { REQUEST, REPLY, ERROR, LIMITS, EmbedError };

const DEFAULTS = Object.freeze({
  timeoutMs: 60_000, // a reply to one request
  connectTimeoutMs: 120_000, // the embed answering at all (it loads the app and the core)
  turnTimeoutMs: 30 * 60_000, // a turn from send/run_code to its turn_done
  pingIntervalMs: 500, // how often to ping while connecting
});

// setTimeout's delay is a 32-bit signed integer: longer ones fire at once.
const MAX_DELAY = 2 ** 31 - 1;
const delay = (ms, fallback) => (Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_DELAY) : fallback);

/** The origin in `origin` (scheme://host[:port], a trailing / allowed); throws on a wildcard, an opaque origin or a URL with a path. */
function exactOrigin(origin) {
  const refuse = () => new TypeError(`connectEmbed: origin must be the embed's exact origin, such as https://ci.example.com (got ${String(origin).slice(0, 100)})`);
  if (typeof origin !== 'string') throw refuse();
  let url;
  try { url = new URL(origin); } catch { throw refuse(); }
  if (url.origin === 'null' || url.pathname !== '/' || url.search || url.hash || url.username || url.password) throw refuse();
  return url.origin;
}

/**
 * Connects to embed.html in `iframe` (its src may still be loading).
 * @param {HTMLIFrameElement} iframe
 * @param {object} [options]
 * @param {string} [options.origin]          the embed's origin (default: that of iframe.src)
 * @param {number} [options.timeoutMs]       per request (default 60 s)
 * @param {number} [options.connectTimeoutMs] until the embed answers (default 120 s)
 * @param {number} [options.turnTimeoutMs]   per turn of send/runCode (default 30 min; then cancel is sent)
 * @param {number} [options.pingIntervalMs]  while connecting (default 500 ms)
 * @param {(event: object, id: string|number|null) => void} [options.onEvent]
 *        every event the embed posts, with the id of the request whose turn it belongs to
 *        (null for turns the user started in the embed's own UI)
 */
export function connectEmbed(iframe, options = {}) {
  if (!iframe || typeof iframe !== 'object') throw new TypeError('connectEmbed: pass the iframe that shows embed.html');
  const win = iframe.ownerDocument?.defaultView ?? globalThis;
  const origin = exactOrigin(options.origin ?? new URL(iframe.src, win.location?.href).origin);
  const timeoutMs = delay(options.timeoutMs, DEFAULTS.timeoutMs);
  const connectTimeoutMs = delay(options.connectTimeoutMs, DEFAULTS.connectTimeoutMs);
  const turnTimeoutMs = delay(options.turnTimeoutMs, DEFAULTS.turnTimeoutMs);
  const pingIntervalMs = delay(options.pingIntervalMs, DEFAULTS.pingIntervalMs);
  const onEvent = typeof options.onEvent === 'function' ? options.onEvent : null;

  // Ids unlikely to clash with another script posting to the same frame.
  const prefix = `ci-${Math.random().toString(36).slice(2, 10)}-`;
  let seq = 0;
  const nextId = () => `${prefix}${(seq += 1)}`;

  const pending = new Map(); // id → { resolve, reject, timer }
  const turns = new Map(); // id → TurnStream
  const pings = new Set(); // ids of the pings sent while connecting
  let closed = false;
  let connected = false;

  let settleReady;
  const ready = new Promise((resolve, reject) => { settleReady = { resolve, reject }; });
  ready.catch(() => {}); // a rejection is seen by whoever awaits it; never unhandled here

  function post(message, transfer = []) {
    const target = iframe.contentWindow;
    if (!target) throw new EmbedError(ERROR.CLOSED, 'the iframe is not in a document', null);
    target.postMessage(message, origin, transfer);
  }

  function onMessage(e) {
    if (closed || e.source !== iframe.contentWindow || e.origin !== origin) return;
    const m = readReply(e.data);
    if (!m) return;
    if (m.type === REPLY.READY) { connect(); return; }
    if (m.type === REPLY.EVENT) {
      try { onEvent?.(m.event, m.id); } catch (error) { console.error('embed-client onEvent:', error); }
      turns.get(m.id)?.push(m.event);
      return;
    }
    if (pings.has(m.id)) {
      pings.delete(m.id);
      if (m.ok && m.ready === true) connect();
      else if (m.ok && m.phase === 'failed') stopConnecting(new EmbedError(ERROR.NOT_READY, 'the embedded app did not start', { phase: m.phase }));
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m);
    else p.reject(new EmbedError(m.error.code, m.error.message, m.error.detail));
  }
  win.addEventListener('message', onMessage);

  // Connecting: the embed says ready (Chromium, Safari), or a ping says so.
  const sendPing = () => {
    if (connected || closed) return;
    const id = nextId();
    pings.add(id);
    try { post({ type: REQUEST.PING, id }); } catch { pings.delete(id); }
  };
  const pingTimer = setInterval(sendPing, pingIntervalMs);
  const connectTimer = setTimeout(() => stopConnecting(new EmbedError(ERROR.TIMEOUT, `the embed at ${origin} did not answer within ${connectTimeoutMs} ms (is this page's origin in the app's config.json embedAllowedOrigins?)`, { timeoutMs: connectTimeoutMs })), connectTimeoutMs);
  function stopConnecting(error) {
    clearInterval(pingTimer);
    clearTimeout(connectTimer);
    pings.clear();
    if (error) settleReady.reject(error);
  }
  function connect() {
    if (connected || closed) return;
    connected = true;
    stopConnecting(null);
    settleReady.resolve();
  }
  sendPing();

  /** Posts a request with this id once connected; resolves with the result, or rejects with an EmbedError. */
  async function request(type, fields = {}, { id = nextId(), transfer = [] } = {}) {
    if (closed) throw new EmbedError(ERROR.CLOSED, 'the client was closed', null);
    const checked = validateRequest({ ...fields, type, id });
    if (!checked.ok) throw new EmbedError(checked.error.code, checked.error.message, checked.error.detail);
    await ready;
    if (closed) throw new EmbedError(ERROR.CLOSED, 'the client was closed', null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new EmbedError(ERROR.TIMEOUT, `no reply to ${type} within ${timeoutMs} ms`, { type, timeoutMs }));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      try {
        post(checked.request, transfer);
      } catch (error) {
        pending.delete(id);
        clearTimeout(timer);
        reject(error instanceof EmbedError ? error : new EmbedError(ERROR.FAILED, String(error?.message ?? error), { name: error?.name ?? 'Error' }));
      }
    });
  }

  /** Starts a turn (send, run_code); returns its TurnStream. The stream is registered before the request goes, as events may come before the result. */
  function turn(type, fields) {
    const stream = new TurnStream();
    const id = nextId();
    if (closed) { stream.fail({ code: ERROR.CLOSED, message: 'the client was closed' }); return stream; }
    turns.set(id, stream);
    const timer = setTimeout(() => {
      stream.fail({ code: ERROR.TIMEOUT, message: `the turn did not end within ${turnTimeoutMs} ms; it was cancelled`, detail: { timeoutMs: turnTimeoutMs } });
      request(REQUEST.CANCEL).catch(() => {});
    }, turnTimeoutMs);
    stream.onEnd = () => { clearTimeout(timer); turns.delete(id); };
    request(type, fields, { id }).catch((error) => {
      const e = error instanceof EmbedError ? error : new EmbedError(ERROR.FAILED, String(error?.message ?? error), null);
      stream.fail({ code: e.code, message: e.message, detail: e.detail ?? null });
    });
    return stream;
  }

  const resultOf = (fields) => (reply) => Object.fromEntries(fields.map((f) => [f, reply[f]]));

  return Object.freeze({
    origin,
    /** Resolves once the embed answers; rejects with EmbedError timeout or not_ready (or closed). */
    ready,
    /** → {ready, phase, python} */
    ping: () => request(REQUEST.PING).then(resultOf(['ready', 'phase', 'python'])),
    /** {provider?, baseUrl?, model?, format?, systemPrompt?, apiKey?} → {settings} (without the key) */
    configure: (settings = {}) => request(REQUEST.CONFIGURE, settings).then(resultOf(['settings'])),
    /** An async iterable of the turn's events, ending after turn_done (or an error event). `.result`: the last event. */
    send: (text) => turn(REQUEST.SEND, { text }),
    /** Runs Python with no model, as a turn: like send. */
    runCode: (code) => turn(REQUEST.RUN_CODE, { code }),
    /** Stops the running turn. */
    cancel: () => request(REQUEST.CANCEL).then(() => undefined),
    /**
     * Adds (or replaces) a file in /mnt/data → its entry {path, size, …}.
     * data: ArrayBuffer | Uint8Array | Blob | string. {transfer: true} moves an
     * ArrayBuffer (or a Uint8Array's buffer) instead of copying it (yours is then empty).
     */
    addFile: (name, data, { transfer = false } = {}) => {
      const buffer = data instanceof ArrayBuffer ? data : data instanceof Uint8Array ? data.buffer : null;
      return request(REQUEST.ADD_FILE, { name, bytes: data }, { transfer: transfer && buffer ? [buffer] : [] }).then((r) => r.file);
    },
    /** → [{path, size, media_type, version, …}] */
    listFiles: () => request(REQUEST.LIST_FILES).then((r) => r.files),
    /** → Uint8Array | null */
    readFile: (path) => request(REQUEST.READ_FILE, { path }).then((r) => r.bytes ?? null),
    /** Starts a new, empty conversation (refused with busy while a turn runs). */
    newConversation: () => request(REQUEST.NEW_CONVERSATION).then(() => undefined),
    /** Stops listening: pending requests reject and running turns end with code closed. The iframe stays. */
    close() {
      if (closed) return;
      closed = true;
      win.removeEventListener('message', onMessage);
      stopConnecting(new EmbedError(ERROR.CLOSED, 'the client was closed', null));
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new EmbedError(ERROR.CLOSED, 'the client was closed', null));
      }
      pending.clear();
      for (const stream of [...turns.values()]) stream.fail({ code: ERROR.CLOSED, message: 'the client was closed' });
      turns.clear();
    },
  });
}

export default connectEmbed;
