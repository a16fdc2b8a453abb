// embed.html: the app's UI inside another page's iframe, driven by that
// page over postMessage. Rules (each one is tested: tests/e2e/embed-iframe,
// tests/security/embed-fuzz):
// - Only our parent window (event.source === window.parent) on an origin in
//   config.json's embedAllowedOrigins (or our own origin) is listened to.
//   Anything else is dropped before its data is read: no reply, no change.
// - Every reply goes to window.parent with the sender's exact origin as the
//   target origin; never a wildcard.
// - Requests are plain objects {type, id, ...}; fields are read one by one
//   with their types and sizes checked (never merged into our objects), and
//   a request with an own __proto__, constructor or prototype key is refused.
// - Conversations live in memory (<code-interpreter no-persist>): the
//   embedder never sees the app's stored conversations or keys, and the key
//   comes only from the parent's configure message.
//
// The messages, their fields, limits and error codes: embed-protocol.mjs
// (shared with embed-client.mjs, the client for embedders). Every request is
// answered with {type: 'result', id, ok: true, ...} or {type: 'result', id,
// ok: false, error: {code, message, detail}}; send and run_code are then
// followed by {type: 'event', id, event} up to turn_done. Events of turns the
// user started in the embed's own UI go with id: null. When ready, it posts
// {type: 'ready'} to its parent if the parent's origin is allowed.
import '../components/code-interpreter.mjs';
import { loadAppConfig } from '../app/config.mjs';
import { PRESETS } from '../app/providers.mjs';
import { REQUEST, REPLY, ERROR, TURN_DONE, EmbedError, validateRequest, success, failure } from './embed-protocol.mjs';

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

async function waitReady() {
  if (!(await element.ready)) throw new EmbedError(ERROR.NOT_READY, 'the app did not start', { phase: element.app?.vm.phase ?? null });
}

// One handler per request type (REQUEST in embed-protocol.mjs); `m` is the
// validated request: only its known fields, each of the right type and size.
const HANDLERS = {
  async [REQUEST.PING]() {
    const phase = element.app?.vm.phase ?? 'loading';
    return { ready: phase === 'ready', phase, python: element.app?.vm.python.state ?? 'idle' };
  },

  async [REQUEST.CONFIGURE](m) {
    const settings = {};
    if (m.provider !== undefined) {
      if (!PRESETS.some((p) => p.id === m.provider)) throw new EmbedError(ERROR.INVALID_FIELD, `unknown provider ${m.provider}`, { field: 'provider' });
      settings.preset = m.provider;
    }
    if (m.baseUrl !== undefined) settings.baseUrl = m.baseUrl;
    if (m.model !== undefined) settings.model = m.model;
    if (m.format !== undefined) settings.format = m.format;
    if (m.systemPrompt !== undefined) settings.systemPromptExtra = m.systemPrompt;
    if (m.vision !== undefined) settings.vision = m.vision;
    if (m.contextWindow !== undefined) settings.contextWindow = m.contextWindow || null;
    await waitReady();
    element.app.applyOverrides(settings, m.apiKey);
    return { settings: { ...element.app.vm.settings } };
  },

  // The controller's calls that say why they refused ({ok, error: {code, message, detail}}).
  async [REQUEST.SEND](m, ctx) {
    return startTurn(ctx, (app) => app.trySend(m.text));
  },

  async [REQUEST.RUN_CODE](m, ctx) {
    return startTurn(ctx, (app) => app.tryRunCode(m.code));
  },

  async [REQUEST.CANCEL]() {
    element.app?.stop();
    return {};
  },

  async [REQUEST.ADD_FILE](m) {
    await waitReady();
    try {
      return { file: await element.addFile(m.name, m.bytes) };
    } catch (error) {
      throw new EmbedError(typeof error.code === 'string' ? error.code : ERROR.REFUSED, String(error.message), error.detail ?? null);
    }
  },

  async [REQUEST.LIST_FILES]() {
    await waitReady();
    return { files: element.listFiles() };
  },

  async [REQUEST.READ_FILE](m) {
    await waitReady();
    return { bytes: element.readFile(m.path) };
  },

  async [REQUEST.NEW_CONVERSATION]() {
    await waitReady();
    if (element.app.vm.running) throw new EmbedError(ERROR.BUSY, 'a turn is running', null);
    await element.app.newConversation();
    return {};
  },
};

async function startTurn(ctx, start) {
  await waitReady();
  if (element.app.vm.running || active) throw new EmbedError(ERROR.BUSY, 'a turn is running: wait for its turn_done or cancel it', null);
  active = ctx;
  let result;
  try {
    result = start(element.app);
  } finally {
    if (result?.ok !== true) active = null;
  }
  if (result?.ok !== true) {
    const e = result?.error;
    throw new EmbedError(typeof e?.code === 'string' ? e.code : ERROR.REFUSED, String(e?.message ?? 'refused'), e?.detail ?? null);
  }
  return {};
}

// Every public event of the element goes to whoever started the turn.
element.addEventListener('ci-event', (e) => {
  const target = active ?? (lastOrigin ? { id: null, origin: lastOrigin } : null);
  if (target) post(target.origin, { type: REPLY.EVENT, id: target.id, event: e.detail });
  if (e.detail.type === TURN_DONE) active = null;
});

async function onMessage(event) {
  stats.received += 1;
  // Who: our parent, on an allowed origin. Checked before the data is touched.
  if (!isFramed || event.source !== window.parent) { stats.ignored += 1; return; }
  const origin = event.origin;
  const allowed = await allowedOrigins;
  if (typeof origin !== 'string' || !allowed.has(origin)) { stats.ignored += 1; return; }
  // What: a request we know, with an id to answer.
  // Its fields: read one by one as own properties, types and sizes checked
  // (embed-protocol.mjs validateRequest); a malformed one gets an error result.
  const checked = validateRequest(event.data);
  if (checked.id === null) stats.ignored += 1; // not a request at all: answered with id null
  else stats.accepted += 1;
  if (!checked.ok) {
    post(origin, failure(checked.id, checked.error));
    return;
  }
  const { request } = checked;
  lastOrigin = origin;
  try {
    const result = await HANDLERS[request.type](request, { id: request.id, origin });
    const transfer = result?.bytes instanceof Uint8Array ? [result.bytes.buffer] : [];
    post(origin, success(request.id, result), transfer);
  } catch (error) {
    post(origin, failure(request.id, error));
  }
}

window.addEventListener('message', (event) => { onMessage(event).catch((error) => console.error('embed: ', error)); });
window.addEventListener('messageerror', () => { stats.unreadable += 1; });

// Tell an allowed parent we are listening (Chromium and Safari name the
// parent's origin; elsewhere the parent can send ping until it gets a result).
element.ready.then(async (ok) => {
  const parentOrigin = isFramed ? location.ancestorOrigins?.[0] : undefined;
  if (ok && parentOrigin && (await allowedOrigins).has(parentOrigin)) post(parentOrigin, { type: REPLY.READY });
});
