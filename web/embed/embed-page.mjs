// embed.html: the app's UI inside another page's iframe, driven by that
// page over postMessage. Rules (each one is tested: tests/e2e/embed-iframe,
// tests/security/embed-fuzz):
// - Only our parent window (event.source === window.parent) on an origin in
//   config.json's embedAllowedOrigins (or our own origin) is listened to.
//   Anything else is dropped before its data is read: no reply, no change.
// - Every reply goes to window.parent with the sender's exact origin as the
//   target origin; never a wildcard.
// - Requests are plain objects {type, id, ...}; fields are read one by one
//   with their types checked (never merged into our objects), so keys such
//   as __proto__ or constructor change nothing.
// - Conversations live in memory (<code-interpreter no-persist>): the
//   embedder never sees the app's stored conversations or keys, and the key
//   comes only from the parent's configure message.
//
// Requests (→ answered with {type: 'result', id, ok, ...} or {ok: false, error}):
//   ping                                     → {ready, python}
//   configure {provider?, baseUrl?, model?, systemPrompt?, apiKey?}
//   send {text}                              → ok; then {type: 'event', id, event} … up to turn_done
//   run_code {code}                          → the same
//   cancel
//   add_file {name, bytes: ArrayBuffer | Uint8Array | Blob | string} → {file}
//   list_files                               → {files}
//   read_file {path}                         → {bytes: Uint8Array | null}
//   new_conversation
// Events of turns the user started in the embed's own UI go with id: null.
// When ready, it posts {type: 'ready'} to its parent if the parent's origin is allowed.
import '../components/code-interpreter.mjs';
import { loadAppConfig } from '../app/config.mjs';
import { PRESETS } from '../app/providers.mjs';

const LIMITS = { text: 1_000_000, code: 1_000_000, name: 1024, field: 8192, id: 200 };
const stats = { received: 0, ignored: 0, unreadable: 0, accepted: 0, replies: 0 };
// For tests and the curious: counts only, nothing to act on.
Object.defineProperty(window, 'ciEmbed', { value: Object.freeze({ stats: () => ({ ...stats }) }) });

const isFramed = window.parent !== window;
const element = document.createElement('code-interpreter');
element.setAttribute('no-persist', '');
if (new URLSearchParams(location.search).has('compact')) element.setAttribute('compact', '');
document.body.append(element);

const allowedOrigins = loadAppConfig(document.baseURI).then((config) => new Set([...config.embedAllowedOrigins, location.origin]));

let active = null; // { id, origin } of the send/run_code whose turn runs
let lastOrigin = null; // where events of turns started in the embed's UI go

function post(origin, message, transfer = []) {
  stats.replies += 1;
  window.parent.postMessage(message, origin, transfer);
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
const own = (m, key) => (Object.prototype.hasOwnProperty.call(m, key) ? m[key] : undefined);

function str(m, key, max, { optional = true } = {}) {
  const v = own(m, key);
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') throw new TypeError(`${key} must be a string`);
  if (v.length > max) throw new RangeError(`${key} is longer than ${max} characters`);
  return v;
}

/** The request's type and id, or null when it is not a request at all. */
function header(data) {
  if (!isPlainObject(data)) return null;
  const type = own(data, 'type');
  const id = own(data, 'id');
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(HANDLERS, type)) return null;
  if (!((typeof id === 'string' && id.length <= LIMITS.id) || Number.isSafeInteger(id))) return null;
  return { type, id };
}

function waitReady() {
  return element.ready;
}

const HANDLERS = {
  async ping() {
    const ready = element.app?.vm.phase === 'ready';
    return { ready, python: element.app?.vm.python.state ?? 'idle' };
  },

  async configure(m) {
    const settings = {};
    const provider = str(m, 'provider', 64);
    if (provider !== undefined) {
      if (!PRESETS.some((p) => p.id === provider)) throw new RangeError(`unknown provider ${provider}`);
      settings.preset = provider;
    }
    const baseUrl = str(m, 'baseUrl', LIMITS.field);
    if (baseUrl !== undefined) {
      const url = new URL(baseUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError('baseUrl must be http(s)');
      settings.baseUrl = baseUrl;
    }
    const model = str(m, 'model', LIMITS.field);
    if (model !== undefined) settings.model = model;
    const format = str(m, 'format', 16);
    if (format !== undefined) {
      if (format !== 'openai' && format !== 'anthropic') throw new RangeError('format must be openai or anthropic');
      settings.format = format;
    }
    const systemPrompt = str(m, 'systemPrompt', LIMITS.text);
    if (systemPrompt !== undefined) settings.systemPromptExtra = systemPrompt;
    const apiKey = str(m, 'apiKey', LIMITS.field);
    if (!(await waitReady())) throw new Error('the app did not start');
    element.app.applyOverrides(settings, apiKey);
    return { settings: { ...element.app.vm.settings } };
  },

  async send(m, ctx) {
    const text = str(m, 'text', LIMITS.text, { optional: false });
    return startTurn(ctx, () => element.app.ask(text));
  },

  async run_code(m, ctx) {
    const code = str(m, 'code', LIMITS.code, { optional: false });
    return startTurn(ctx, () => element.app.runCode(code));
  },

  async cancel() {
    element.app?.stop();
    return {};
  },

  async add_file(m) {
    const name = str(m, 'name', LIMITS.name, { optional: false });
    const bytes = own(m, 'bytes');
    const ok = bytes instanceof ArrayBuffer || bytes instanceof Uint8Array || bytes instanceof Blob || typeof bytes === 'string';
    if (!ok) throw new TypeError('bytes must be an ArrayBuffer, a Uint8Array, a Blob or a string');
    if (!(await waitReady())) throw new Error('the app did not start');
    const before = element.app.vm.toasts.length;
    const file = await element.addFile(name, bytes);
    if (!file) throw new Error(element.app.vm.toasts.slice(before).map((t) => t.text).join(' ') || `${name} was not added`);
    return { file };
  },

  async list_files() {
    if (!(await waitReady())) throw new Error('the app did not start');
    return { files: element.listFiles() };
  },

  async read_file(m) {
    const path = str(m, 'path', LIMITS.name, { optional: false });
    if (!(await waitReady())) throw new Error('the app did not start');
    return { bytes: element.readFile(path) };
  },

  async new_conversation() {
    if (!(await waitReady())) throw new Error('the app did not start');
    if (element.app.vm.running) throw new Error('a turn is running');
    await element.app.newConversation();
    return {};
  },
};

async function startTurn(ctx, start) {
  if (!(await waitReady())) throw new Error('the app did not start');
  if (element.app.vm.running || active) throw new Error('a turn is running: wait for its turn_done or cancel it');
  active = ctx;
  const before = element.app.vm.toasts.length;
  let accepted = false;
  try {
    accepted = start();
  } finally {
    if (!accepted) active = null;
  }
  if (!accepted) throw new Error(element.app.vm.toasts.slice(before).map((t) => t.text).join(' ') || 'refused');
  return {};
}

// Every public event of the element goes to whoever started the turn.
element.addEventListener('ci-event', (e) => {
  const target = active ?? (lastOrigin ? { id: null, origin: lastOrigin } : null);
  if (target) post(target.origin, { type: 'event', id: target.id, event: e.detail });
  if (e.detail.type === 'turn_done') active = null;
});

async function onMessage(event) {
  stats.received += 1;
  // Who: our parent, on an allowed origin. Checked before the data is touched.
  if (!isFramed || event.source !== window.parent) { stats.ignored += 1; return; }
  const origin = event.origin;
  const allowed = await allowedOrigins;
  if (typeof origin !== 'string' || !allowed.has(origin)) { stats.ignored += 1; return; }
  // What: a request we know, with an id to answer.
  const h = header(event.data);
  if (!h) {
    stats.ignored += 1;
    post(origin, { type: 'result', id: null, ok: false, error: { type: 'bad_request', message: 'expected {type, id, ...} with a known type' } });
    return;
  }
  stats.accepted += 1;
  lastOrigin = origin;
  try {
    const result = await HANDLERS[h.type](event.data, { id: h.id, origin });
    const transfer = result?.bytes instanceof Uint8Array ? [result.bytes.buffer] : [];
    post(origin, { type: 'result', id: h.id, ok: true, ...result }, transfer);
  } catch (error) {
    post(origin, { type: 'result', id: h.id, ok: false, error: { type: error?.name ?? 'Error', message: String(error?.message ?? error) } });
  }
}

window.addEventListener('message', (event) => { onMessage(event).catch((error) => console.error('embed: ', error)); });
window.addEventListener('messageerror', () => { stats.unreadable += 1; });

// Tell an allowed parent we are listening (Chromium and Safari name the
// parent's origin; elsewhere the parent can send ping until it gets a result).
element.ready.then(async (ok) => {
  const parentOrigin = isFramed ? location.ancestorOrigins?.[0] : undefined;
  if (ok && parentOrigin && (await allowedOrigins).has(parentOrigin)) post(parentOrigin, { type: 'ready' });
});
