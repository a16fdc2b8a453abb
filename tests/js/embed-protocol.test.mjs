// The embed's postMessage API (web/embed/embed-protocol.mjs), written once
// and imported by both ends:
// - every request type is handled by the embed (embed-page.mjs) and sent by
//   the client (embed-client.mjs), read from their sources;
// - the validators refuse malformed messages: wrong types, __proto__ and
//   other forbidden keys, oversized fields, unknown types, unusable ids;
// - failed replies carry one error shape {code, message, detail};
// - the client against a fake iframe: it posts only to the exact origin,
//   reads only the iframe's messages from that origin, connects by ready or
//   by ping, and settles every promise (reply, refusal, timeout, close).
// The browser side: tests/e2e/embed-iframe.test.mjs, tests/security/embed-fuzz.test.mjs.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './load-core.mjs';
import {
  REQUEST, REQUEST_TYPES, REPLY, ERROR, LIMITS, FIELDS, REPLY_FIELDS, TURN_REQUESTS, EmbedError,
  validateRequest, readHeader, readReply, failure, success, errorShape,
} from '../../web/embed/embed-protocol.mjs';
import { connectEmbed } from '../../web/embed/embed-client.mjs';

const source = (file) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const KEYS = Object.keys(REQUEST); // PING, CONFIGURE, …

test('the protocol lists the nine requests, each with its fields and reply fields, all frozen', () => {
  assert.deepEqual([...REQUEST_TYPES].sort(), ['add_file', 'cancel', 'configure', 'list_files', 'new_conversation', 'ping', 'read_file', 'run_code', 'send']);
  assert.deepEqual(Object.values(REPLY).sort(), ['event', 'ready', 'result']);
  for (const type of REQUEST_TYPES) {
    assert.ok(FIELDS[type], `${type} has fields`);
    assert.ok(REPLY_FIELDS[type], `${type} has reply fields`);
    assert.ok(Object.isFrozen(FIELDS[type]));
  }
  for (const o of [REQUEST, REPLY, ERROR, LIMITS, FIELDS, REPLY_FIELDS, REQUEST_TYPES, TURN_REQUESTS]) assert.ok(Object.isFrozen(o));
  assert.throws(() => { 'use strict'; REQUEST.PING = 'x'; }, TypeError);
});

test('embed-page.mjs handles every request type, and only by the constants', () => {
  const page = source('web/embed/embed-page.mjs');
  assert.match(page, /from '\.\/embed-protocol\.mjs'/, 'it imports the protocol');
  const handled = [...page.matchAll(/async \[REQUEST\.([A-Z_]+)\]\(/g)].map((m) => m[1]);
  assert.deepEqual([...handled].sort(), [...KEYS].sort(), 'one handler per request type');
  // No request type spelled as a string literal in a handler key.
  assert.ok(!/^\s+(async\s+)?['"]?(ping|configure|send|run_code|cancel|add_file|list_files|read_file|new_conversation)['"]?\s*\(/m.test(page), 'no handler keyed by a literal');
  assert.match(page, /validateRequest\(event\.data\)/, 'requests are validated by the protocol');
  assert.match(page, /app\.trySend\(/, 'send takes the controller\'s result with its error code');
  assert.match(page, /app\.tryRunCode\(/, 'run_code too');
  assert.ok(!/vm\.toasts/.test(page), 'no error is learned by reading the app\'s toasts');
});

test('embed-client.mjs sends every request type, by the constants', () => {
  const client = source('web/embed/embed-client.mjs');
  assert.match(client, /from '\.\/embed-protocol\.mjs'/, 'it imports the protocol');
  const sent = new Set([...client.matchAll(/(?:request|turn)\(REQUEST\.([A-Z_]+)/g)].map((m) => m[1]));
  for (const m of client.matchAll(/type: REQUEST\.([A-Z_]+)/g)) sent.add(m[1]); // the connecting ping
  assert.deepEqual([...sent].sort(), [...KEYS].sort(), 'one call per request type');
  assert.ok(!/postMessage\([^)]*['"]\*['"]/.test(client), 'never a wildcard target origin');
});

test('validateRequest accepts well-formed requests and keeps only their known fields', () => {
  const buffer = new ArrayBuffer(4);
  const good = [
    { type: 'ping', id: 1 },
    { type: 'ping', id: 'a'.repeat(LIMITS.id) },
    { type: 'configure', id: 2, provider: 'custom', baseUrl: 'https://api.example.com/v1', model: 'm', format: 'anthropic', systemPrompt: 's', apiKey: 'k' },
    { type: 'configure', id: 3 },
    { type: 'configure', id: 3, vision: true, contextWindow: 128000 },
    { type: 'configure', id: 3, vision: false, contextWindow: 0 },
    { type: 'send', id: 4, text: 'hi' },
    { type: 'send', id: 5, text: 'x'.repeat(LIMITS.text) },
    { type: 'run_code', id: 6, code: 'print(1)' },
    { type: 'cancel', id: 7 },
    { type: 'add_file', id: 8, name: 'a.csv', bytes: buffer },
    { type: 'add_file', id: 9, name: 'a.csv', bytes: new Uint8Array(2) },
    { type: 'add_file', id: 10, name: 'a.csv', bytes: new Blob(['x']) },
    { type: 'add_file', id: 11, name: 'a.csv', bytes: 'text' },
    { type: 'list_files', id: 12 },
    { type: 'read_file', id: 13, path: 'a.csv' },
    { type: 'new_conversation', id: -14 },
    Object.assign(Object.create(null), { type: 'ping', id: 15 }),
  ];
  for (const m of good) {
    const r = validateRequest(m);
    assert.equal(r.ok, true, `${JSON.stringify(m).slice(0, 80)}: ${JSON.stringify(r.error)}`);
    assert.equal(r.request.type, m.type);
    assert.equal(r.request.id, m.id);
  }
  const r = validateRequest({ type: 'send', id: 1, text: 'hi', extra: 1, port: {}, apiKey: 'k' });
  assert.deepEqual(Object.keys(r.request).sort(), ['id', 'text', 'type'], 'unknown fields are dropped');
  assert.equal(readHeader({ type: 'send', id: 1 }).type, 'send');
});

test('validateRequest refuses malformed messages: not requests, wrong types, forbidden keys, oversized fields', () => {
  const badRequest = [ // answered with id null: not a request at all
    null, undefined, 42, 'ping', true, 10n, [{ type: 'ping', id: 1 }], new Map([['type', 'ping']]), new Date(),
    {}, { type: 'ping' }, { id: 1 }, { type: 'pong', id: 1 }, { type: 'result', id: 1 }, { type: 'event', id: 1 },
    { type: '__proto__', id: 1 }, { type: 'constructor', id: 1 }, { type: 'toString', id: 1 }, { type: 'hasOwnProperty', id: 1 },
    { type: 'ping', id: '' }, { type: 'ping', id: 'a'.repeat(LIMITS.id + 1) }, { type: 'ping', id: 1.5 }, { type: 'ping', id: 2 ** 53 },
    { type: 'ping', id: NaN }, { type: 'ping', id: null }, { type: 'ping', id: {} }, { type: ['ping'], id: 1 },
    Object.create({ type: 'ping', id: 1 }), // inherited, not own
    JSON.parse('{"__proto__": {"type": "ping", "id": 1}}'),
  ];
  for (const [i, m] of badRequest.entries()) {
    const r = validateRequest(m);
    assert.equal(r.ok, false, `bad request #${i}`);
    assert.equal(r.id, null);
    assert.equal(r.error.code, ERROR.BAD_REQUEST);
    assert.equal(typeof r.error.message, 'string');
    assert.ok('detail' in r.error);
  }
  const invalid = [ // a request with an id, answered with that id
    [{ type: 'send', id: 1 }, ERROR.INVALID_FIELD, 'text'],
    [{ type: 'send', id: 1, text: 42 }, ERROR.INVALID_FIELD, 'text'],
    [{ type: 'send', id: 1, text: { toString: () => 'hi' } }, ERROR.INVALID_FIELD, 'text'],
    [{ type: 'send', id: 1, text: ['hi'] }, ERROR.INVALID_FIELD, 'text'],
    [{ type: 'send', id: 1, text: 'x'.repeat(LIMITS.text + 1) }, ERROR.INVALID_FIELD, 'text'],
    [{ type: 'run_code', id: 1, code: 'x'.repeat(LIMITS.code + 1) }, ERROR.INVALID_FIELD, 'code'],
    [{ type: 'run_code', id: 1, code: null }, ERROR.INVALID_FIELD, 'code'],
    [{ type: 'read_file', id: 1, path: 42 }, ERROR.INVALID_FIELD, 'path'],
    [{ type: 'read_file', id: 1, path: 'p'.repeat(LIMITS.name + 1) }, ERROR.INVALID_FIELD, 'path'],
    [{ type: 'add_file', id: 1, name: 'n'.repeat(LIMITS.name + 1), bytes: 'z' }, ERROR.INVALID_FIELD, 'name'],
    [{ type: 'add_file', id: 1, name: 'a', bytes: 42 }, ERROR.INVALID_FIELD, 'bytes'],
    [{ type: 'add_file', id: 1, name: 'a', bytes: { length: 3 } }, ERROR.INVALID_FIELD, 'bytes'],
    [{ type: 'add_file', id: 1, name: 'a' }, ERROR.INVALID_FIELD, 'bytes'],
    [{ type: 'configure', id: 1, apiKey: 'k'.repeat(LIMITS.field + 1) }, ERROR.INVALID_FIELD, 'apiKey'],
    [{ type: 'configure', id: 1, provider: 'p'.repeat(LIMITS.provider + 1) }, ERROR.INVALID_FIELD, 'provider'],
    [{ type: 'configure', id: 1, baseUrl: 'javascript:alert(1)' }, ERROR.INVALID_FIELD, 'baseUrl'],
    [{ type: 'configure', id: 1, baseUrl: 'not a url' }, ERROR.INVALID_FIELD, 'baseUrl'],
    [{ type: 'configure', id: 1, format: 'gemini' }, ERROR.INVALID_FIELD, 'format'],
    [{ type: 'configure', id: 1, model: 7 }, ERROR.INVALID_FIELD, 'model'],
    [{ type: 'configure', id: 1, vision: 'yes' }, ERROR.INVALID_FIELD, 'vision'],
    [{ type: 'configure', id: 1, contextWindow: 1.5 }, ERROR.INVALID_FIELD, 'contextWindow'],
    [{ type: 'configure', id: 1, contextWindow: -1 }, ERROR.INVALID_FIELD, 'contextWindow'],
    [{ type: 'configure', id: 1, contextWindow: '8000' }, ERROR.INVALID_FIELD, 'contextWindow'],
    [{ type: 'configure', id: 1, systemPrompt: 'x'.repeat(LIMITS.text + 1) }, ERROR.INVALID_FIELD, 'systemPrompt'],
    [JSON.parse('{"type": "configure", "id": 1, "__proto__": {"apiKey": "sk-proto"}, "provider": "custom"}'), ERROR.BAD_REQUEST, '__proto__'],
    [JSON.parse('{"constructor": {"prototype": {"polluted": true}}, "type": "send", "id": 1, "text": "x"}'), ERROR.BAD_REQUEST, 'constructor'],
    [{ type: 'send', id: 1, text: 'x', prototype: {} }, ERROR.BAD_REQUEST, 'prototype'],
  ];
  for (const [m, code, field] of invalid) {
    const r = validateRequest(m);
    assert.equal(r.ok, false, `${JSON.stringify(m).slice(0, 80)} refused`);
    assert.equal(r.id, 1);
    assert.equal(r.error.code, code, JSON.stringify(r.error).slice(0, 200));
    assert.equal(r.error.detail?.field, field);
    assert.ok(r.error.message.length < 200, 'the message does not echo the oversized value');
  }
  assert.equal(({}).polluted, undefined, 'Object.prototype untouched');
  assert.equal(({}).apiKey, undefined);
});

test('failed replies carry {code, message, detail}; successful ones cannot be overridden by their fields', () => {
  assert.deepEqual(failure(3, new EmbedError(ERROR.BUSY, 'a turn is running')), { type: 'result', id: 3, ok: false, error: { code: 'busy', message: 'a turn is running', detail: null } });
  assert.deepEqual(failure(4, new TypeError('boom')).error, { code: 'failed', message: 'boom', detail: { name: 'TypeError' } });
  assert.deepEqual(failure(5, 'plain').error, { code: 'failed', message: 'plain', detail: { name: 'Error' } });
  assert.deepEqual(errorShape({ code: 'refused', message: 'no model' }), { code: 'refused', message: 'no model', detail: null });
  assert.deepEqual(success(6, { type: 'evil', ok: false, id: 9, files: [] }), { type: 'result', id: 6, ok: true, files: [] });
  assert.deepEqual(structuredClone(failure(7, new EmbedError(ERROR.INVALID_FIELD, 'x', { field: 'text' }))).error.detail, { field: 'text' }, 'cloneable');
});

test('readReply accepts the three replies and refuses anything else', () => {
  assert.deepEqual(readReply({ type: 'ready' }), { type: 'ready' });
  assert.equal(readReply({ type: 'result', id: 'a', ok: true, files: [] }).files.length, 0);
  assert.deepEqual(readReply({ type: 'result', id: 'a', ok: false, error: { code: 'busy', message: 'm', detail: null } }).error, { code: 'busy', message: 'm', detail: null });
  assert.deepEqual(readReply({ type: 'result', id: 'a', ok: false, error: { type: 'Error', message: 'old shape' } }).error, { code: 'failed', message: 'old shape', detail: null });
  assert.deepEqual(readReply({ type: 'result', id: null, ok: false }).error.code, 'failed');
  assert.deepEqual(readReply({ type: 'event', id: null, event: { type: 'stdout', text: 'x' } }).event.type, 'stdout');
  for (const bad of [null, 'ready', [], { type: 'result', id: 1 }, { type: 'result', id: 1, ok: 'yes' }, { type: 'result', id: {}, ok: true },
    { type: 'event', id: 1 }, { type: 'event', id: 1, event: { type: 3 } }, { type: 'event', id: 1, event: [] }, { type: 'ping', id: 1 }]) {
    assert.equal(readReply(bad), null, JSON.stringify(bad));
  }
});

// ------------------------------------------------------------ the client

const APP = 'https://ci.test';

/** A parent window, an iframe and a scripted embed: `respond(message) → [replies]` (posted back from the iframe's window on APP). */
function fakeEmbed(respond = () => []) {
  const listeners = new Set();
  const parent = {
    location: { href: 'https://host.test/page.html' },
    addEventListener: (type, f) => { if (type === 'message') listeners.add(f); },
    removeEventListener: (type, f) => { if (type === 'message') listeners.delete(f); },
  };
  const posted = [];
  const child = {
    postMessage(message, targetOrigin, transfer = []) {
      posted.push({ message: structuredClone(message, { transfer }), targetOrigin });
      if (targetOrigin !== APP) return; // the browser drops it
      setTimeout(() => { for (const reply of respond(message) ?? []) deliver(reply); }, 1);
    },
  };
  const iframe = { src: `${APP}/embed.html`, contentWindow: child, ownerDocument: { defaultView: parent } };
  function deliver(data, { source = child, origin = APP } = {}) {
    for (const f of [...listeners]) f({ data, source, origin });
  }
  return { iframe, posted, deliver, listeners };
}

/** A well-behaved embed: answers every request; a send streams events (one before its result) up to turn_done. */
function embedScript({ ready = true } = {}) {
  return (m) => {
    const r = validateRequest(m);
    if (!r.ok) return [failure(r.id, r.error)];
    const { type, id } = r.request;
    switch (type) {
      case 'ping': return [success(id, { ready, phase: ready ? 'ready' : 'loading', python: 'ready' })];
      case 'configure': return [success(id, { settings: { model: m.model } })];
      case 'send': return [
        { type: 'event', id, event: { type: 'message', role: 'user', text: m.text } },
        success(id),
        { type: 'event', id, event: { type: 'text_delta', text: 'hello' } },
        { type: 'event', id: 'someone-else', event: { type: 'text_delta', text: 'not ours' } },
        { type: 'event', id, event: { type: 'turn_done', reason: 'completed' } },
      ];
      case 'run_code': return [failure(id, new EmbedError(ERROR.BUSY, 'a turn is running'))];
      case 'add_file': return [success(id, { file: { path: m.name } })];
      case 'list_files': return [success(id, { files: [{ path: 'a.csv' }] })];
      case 'read_file': return [success(id, { bytes: new Uint8Array([1, 2]) })];
      default: return [success(id)];
    }
  };
}

test('client: connects, posts only to the exact origin, and maps every call to its request and reply', async () => {
  const f = fakeEmbed(embedScript());
  const events = [];
  const ci = connectEmbed(f.iframe, { onEvent: (e, id) => events.push([id, e.type]) });
  assert.equal(ci.origin, APP, 'the origin of iframe.src');
  await ci.ready;
  assert.deepEqual(await ci.ping(), { ready: true, phase: 'ready', python: 'ready' });
  assert.deepEqual(await ci.configure({ provider: 'custom', model: 'm', apiKey: 'k' }), { settings: { model: 'm' } });
  assert.deepEqual(await ci.addFile('a.csv', 'x,y\n'), { path: 'a.csv' });
  assert.deepEqual(await ci.listFiles(), [{ path: 'a.csv' }]);
  assert.deepEqual(await ci.readFile('a.csv'), new Uint8Array([1, 2]));
  assert.equal(await ci.cancel(), undefined);
  assert.equal(await ci.newConversation(), undefined);
  const stream = ci.send('hi');
  const got = [];
  for await (const e of stream) got.push(e.type);
  assert.deepEqual(got, ['message', 'text_delta', 'turn_done'], 'its own events, the one before the result too, up to turn_done');
  assert.equal((await stream.result).type, 'turn_done');
  assert.ok(events.some(([id, t]) => id === 'someone-else' && t === 'text_delta'), 'onEvent sees every event');
  const busy = [];
  for await (const e of ci.runCode('print(1)')) busy.push(e);
  assert.equal(busy.length, 1);
  assert.equal(busy[0].type, 'error');
  assert.equal(busy[0].error.kind, ERROR.BUSY, 'a refused turn ends with one error event');
  assert.ok(f.posted.every((p) => p.targetOrigin === APP), 'every post names the exact origin');
  const types = new Set(f.posted.map((p) => p.message.type));
  assert.deepEqual([...types].sort(), [...REQUEST_TYPES].sort(), 'every request type was sent');
  assert.ok(f.posted.every((p) => validateRequest(p.message).ok), 'every request is well-formed');
  assert.ok(!f.posted.some((p) => 'apiKey' in p.message && p.message.type !== 'configure'));
  ci.close();
  assert.equal(f.listeners.size, 0, 'close() stops listening');
});

test('client: refusals reject with EmbedError; malformed calls are refused before anything is posted', async () => {
  const f = fakeEmbed((m) => [failure(m.id, new EmbedError(ERROR.INVALID_FIELD, 'unknown provider', { field: 'provider' }))]);
  const ci = connectEmbed(f.iframe);
  f.deliver({ type: 'ready' });
  await ci.ready;
  await assert.rejects(ci.configure({ provider: 'nope' }), (e) => e instanceof EmbedError && e.code === 'invalid_field' && e.detail.field === 'provider');
  const before = f.posted.length;
  await assert.rejects(ci.readFile(42), (e) => e.code === 'invalid_field' && e.detail.field === 'path');
  await assert.rejects(ci.configure(JSON.parse('{"__proto__": {"x": 1}, "model": "m"}')), (e) => e.code === 'invalid_field' || e.code === 'bad_request');
  await assert.rejects(ci.addFile('a', 42), (e) => e.code === 'invalid_field');
  const stream = [];
  for await (const e of ci.send('x'.repeat(LIMITS.text + 1))) stream.push(e);
  assert.equal(stream[0].error.kind, 'invalid_field');
  assert.equal(f.posted.length, before, 'nothing posted for a malformed call');
  ci.close();
});

test('client: reads only the iframe\'s messages from its origin', async () => {
  const f = fakeEmbed(() => []);
  const ci = connectEmbed(f.iframe, { connectTimeoutMs: 300, pingIntervalMs: 20 });
  f.deliver({ type: 'ready' }, { origin: 'https://evil.test' });
  f.deliver({ type: 'ready' }, { source: {} });
  await assert.rejects(ci.ready, (e) => e.code === ERROR.TIMEOUT && /embedAllowedOrigins/.test(e.message));
  assert.ok(f.posted.filter((p) => p.message.type === 'ping').length >= 3, 'it pinged while connecting');
  ci.close();
});

test('client: every promise settles: reply timeouts, a connect that never comes, a failed app, close()', async () => {
  // Connected, but the embed never answers: each request times out.
  const silent = fakeEmbed(() => []);
  const ci = connectEmbed(silent.iframe, { timeoutMs: 50 });
  silent.deliver({ type: 'ready' });
  await ci.ready;
  await assert.rejects(ci.listFiles(), (e) => e.code === ERROR.TIMEOUT);
  // A turn whose request is accepted but whose turn_done never comes.
  const accepting = fakeEmbed((m) => (m.type === 'ping' ? [success(m.id, { ready: true })] : m.type === 'cancel' ? [] : [success(m.id)]));
  const ci2 = connectEmbed(accepting.iframe, { turnTimeoutMs: 80, timeoutMs: 50 });
  const events = [];
  for await (const e of ci2.send('hi')) events.push(e);
  assert.equal(events.at(-1).error.kind, ERROR.TIMEOUT);
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(accepting.posted.some((p) => p.message.type === 'cancel'), 'a timed-out turn is cancelled');
  ci2.close();

  // The app failed to start: ping says so, ready rejects at once with not_ready.
  const failed = fakeEmbed((m) => [success(m.id, { ready: false, phase: 'failed', python: 'idle' })]);
  const ci3 = connectEmbed(failed.iframe);
  await assert.rejects(ci3.ready, (e) => e.code === ERROR.NOT_READY);
  await assert.rejects(ci3.ping(), (e) => e.code === ERROR.NOT_READY, 'requests reject with the connect error');
  ci3.close();

  // close() while requests and a turn wait (the embed never became ready).
  const never = fakeEmbed(() => []);
  const ci4 = connectEmbed(never.iframe);
  const waiting = [ci4.ping(), ci4.listFiles(), ci4.readFile('a')];
  const turn = ci4.send('hi');
  ci4.close();
  for (const p of waiting) await assert.rejects(p, (e) => e.code === ERROR.CLOSED);
  const last = [];
  for await (const e of turn) last.push(e);
  assert.equal(last.at(-1).error.kind, ERROR.CLOSED);
  await assert.rejects(ci4.ping(), (e) => e.code === ERROR.CLOSED, 'after close');
  assert.equal(never.listeners.size, 0);

  // close() while a request waits for its reply (connected).
  const ci5 = connectEmbed(silent.iframe);
  silent.deliver({ type: 'ready' });
  await ci5.ready;
  const p = ci5.listFiles();
  await new Promise((r) => setTimeout(r, 5));
  ci5.close();
  await assert.rejects(p, (e) => e.code === ERROR.CLOSED);
  ci.close();
});

test('client: refuses a wildcard or opaque origin', () => {
  const f = fakeEmbed();
  for (const origin of ['*', 'null', 'about:blank', 'https://ci.test/path', 42]) {
    assert.throws(() => connectEmbed(f.iframe, { origin }), TypeError, String(origin));
  }
  assert.equal(f.posted.length, 0);
  const ci = connectEmbed(f.iframe, { origin: 'https://ci.test/' });
  assert.equal(ci.origin, APP);
  ci.close();
});
