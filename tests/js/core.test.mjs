// The built .wasm through its Embind API: sessions, bytes, files,
// persistence and export, as the browser will use them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { CoreError } from '../../js_glue/core.mjs';
import { loadBuiltCore } from './load-core.mjs';

const config = { provider: { format: 'openai', base_url: 'http://127.0.0.1:9/v1', model: 'm' } };
const enc = new TextEncoder();

const emitted = (actions, type) => actions.filter((a) => a.type === 'emit' && a.event.type === type).map((a) => a.event);
const ofType = (actions, type) => actions.filter((a) => a.type === type);

test('a bad config is refused with a message naming the problem', async () => {
  const core = await loadBuiltCore();
  assert.throws(() => core.createSession({ provider: { format: 'carrier-pigeon' } }),
    (e) => e instanceof CoreError && e.code === 'bad_config' && /format/.test(e.message));
});

test('protocol errors come back as values, never as exceptions, and change nothing', async () => {
  const core = await loadBuiltCore();
  const s = core.createSession(config);
  const before = JSON.stringify(s.serialize());
  const r = s.handle({ type: 'exec_result', exec_id: 'nope', now_ms: 1 });
  assert.equal(r.error.code, 'unknown_id');
  assert.equal(r.error.detail.event, 'exec_result');
  assert.match(r.error.message, /nope/);
  assert.equal('type' in r.error, false, 'one shape: code, message, detail');
  assert.deepEqual(r.actions, []);
  const bad = JSON.parse(core.module.handleEvent(s.id, '{not json', []));
  assert.deepEqual(bad.actions, []);
  assert.equal(bad.error.code, 'invalid_json');
  assert.equal(JSON.stringify(s.serialize()), before);
  s.handle({ type: 'user_message', text: 'hi', now_ms: 2 });
  const busy = s.handle({ type: 'user_message', text: 'again', now_ms: 3 });
  assert.equal(busy.error.code, 'busy');
  assert.equal(busy.error.detail.state, 'waiting_model');
  s.destroy();
});

// Every JSON-returning bound function fails the same way: an object whose
// only key is "error", holding {code, message, detail?}.
test('every bound function fails in one shape', async () => {
  const core = await loadBuiltCore();
  const m = core.module;
  const failure = (text, code) => {
    const value = JSON.parse(text);
    assert.deepEqual(Object.keys(value), ['error'], text);
    assert.equal(value.error.code, code, text);
    assert.equal(typeof value.error.message, 'string');
    assert.ok(value.error.message.length > 0);
  };
  const gone = 4242;
  failure(m.createSession('{"provider": {"format": "x"}}'), 'bad_config');
  failure(m.createSession('not json'), 'bad_config');
  failure(m.restoreSession('{"format": "other"}', {}), 'bad_state');
  failure(m.handleEvent(gone, '{}', []), 'bad_handle');
  failure(m.feedLlmBytes(gone, 1, new Uint8Array(1), 1), 'bad_handle');
  failure(m.listFiles(gone), 'bad_handle');
  failure(m.serialize(gone), 'bad_handle');
  failure(m.conversation(gone), 'bad_handle');
  failure(m.exportNotebook(gone, '{}'), 'bad_handle');
  failure(m.decodeStream('morse', new Uint8Array(0)), 'bad_format');
  failure(m.decoderFeed(gone, new Uint8Array(1)), 'bad_handle');
  failure(m.decoderFinish(gone), 'bad_handle');
  assert.equal(JSON.parse(m.handleEvent(gone, '{}', [])).error.detail.handle, gone);

  const s = core.createSession(config);
  failure(m.exportNotebook(s.id, 'nope'), 'bad_options');
  failure(m.exportNotebook(s.id, '{"python_version": 3}'), 'bad_options');
  // The answers that are not JSON say "nothing" in their own way.
  assert.equal(m.readFile(s.id, 'missing.txt'), null);
  assert.equal(m.readFile(gone, 'a.txt'), null);
  assert.equal(m.stateName(gone), '');
  assert.equal(m.createDecoder('morse'), 0);
  m.destroySession(gone); // harmless

  // A decoded stream with a provider error inside is a result, not a failure.
  const decoded = core.decodeStream('openai', enc.encode('data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n'));
  assert.equal(decoded.error.type, 'server_error');

  // The JS wrapper throws CoreError {code, message, detail}.
  s.destroy();
  for (const call of [() => s.serialize(), () => s.conversation(), () => s.listFiles(), () => s.state(), () => s.readFile('a')]) {
    assert.throws(call, (e) => e instanceof CoreError && e.code === 'bad_handle');
  }
  assert.throws(() => core.decodeStream('morse', new Uint8Array(0)), (e) => e.code === 'bad_format' && e.detail.format === 'morse');
});

test('a text turn streams deltas from raw bytes split inside a UTF-8 character', async () => {
  const core = await loadBuiltCore();
  const s = core.createSession(config);
  const a = s.handle({ type: 'user_message', text: 'Say café', now_ms: 1 });
  const req = ofType(a.actions, 'http_request')[0];
  assert.equal(req.url, 'http://127.0.0.1:9/v1/chat/completions');
  assert.equal(req.auth.header, 'authorization');
  assert.ok(!JSON.stringify(req).includes('sk-'), 'no key in the request the core builds');
  const body = enc.encode(
    'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"café ☕"},"finish_reason":null}]}\n\n' +
      'data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
  );
  let text = '';
  const cut = body.indexOf(0xc3) + 1; // in the middle of "é"
  for (const part of [body.subarray(0, cut), body.subarray(cut)]) {
    const r = s.feedLlmBytes(req.request_id, part, 2);
    for (const e of emitted(r.actions, 'text_delta')) text += e.text;
  }
  const done = s.handle({ type: 'llm_done', request_id: req.request_id, status: 200, now_ms: 3 });
  assert.equal(text, 'café ☕');
  assert.equal(emitted(done.actions, 'turn_done')[0].reason, 'completed');
  s.destroy();
});

test('files go in as blobs and come back out byte for byte', async () => {
  const core = await loadBuiltCore();
  const s = core.createSession(config);
  const bytes = new Uint8Array(256 * 1024);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 31) & 0xff;
  const r = s.handle({ type: 'file_upload', path: 'data/日本語.bin', blob: 0, now_ms: 1 }, [bytes]);
  assert.equal(emitted(r.actions, 'file_changed')[0].path, 'data/日本語.bin');
  assert.deepEqual(ofType(r.actions, 'persist')[0].files.write, ['data/日本語.bin']);
  assert.deepEqual(s.readFile('data/日本語.bin'), bytes);
  assert.equal(s.readFile('missing.txt'), null);
  assert.equal(s.listFiles()[0].size, bytes.length);
  const hostile = s.handle({ type: 'file_upload', path: '../../etc/passwd', data: 'x', now_ms: 2 });
  assert.equal(emitted(hostile.actions, 'error')[0].error.type, 'invalid_path');
  s.destroy();
});

test('serialize + restore keeps conversation and files; the key is nowhere', async () => {
  const core = await loadBuiltCore();
  const s = core.createSession(config);
  s.handle({ type: 'file_upload', path: 'a.csv', data: 'x,y\n1,2\n', now_ms: 1 });
  const run = s.handle({ type: 'user_code', code: 'print(1)', now_ms: 2 });
  const exec = ofType(run.actions, 'run_code')[0];
  assert.deepEqual(exec.files.write.map((f) => f.path), ['a.csv']);
  s.handle({ type: 'exec_result', exec_id: exec.exec_id, ok: true, stdout: '1\n', outputs: [{ mime: 'image/png', data: 'iVBORw0KGgo=' }], now_ms: 3 });
  const state = s.serialize();
  assert.equal(state.format, 'ci-session');
  const { session: r, problems } = core.restoreSession(state, { 'a.csv': enc.encode('x,y\n1,2\n') });
  assert.deepEqual(problems, []);
  assert.deepEqual(r.conversation(), s.conversation());
  assert.equal(new TextDecoder().decode(r.readFile('a.csv')), 'x,y\n1,2\n');
  const nb = r.exportNotebook();
  assert.equal(nb.nbformat, 4);
  assert.equal(nb.nbformat_minor, 5);
  const code = nb.cells.find((c) => c.cell_type === 'code');
  assert.ok(code, 'the execution is a code cell');
  assert.ok(code.outputs.some((o) => o.output_type === 'display_data' && o.data['image/png'] === 'iVBORw0KGgo='));
  s.destroy();
  r.destroy();
});

test('media types come from the core\'s one table, and an upload without one gets the same guess', async () => {
  const core = await loadBuiltCore();
  assert.equal(core.mediaTypeFor('sales.csv'), 'text/csv');
  assert.equal(core.mediaTypeFor('data/Points.GEOJSON'), 'application/geo+json');
  assert.equal(core.mediaTypeFor('book.xlsx'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.equal(core.mediaTypeFor('events.jsonl'), 'application/x-ndjson');
  assert.equal(core.mediaTypeFor('README'), 'application/octet-stream');
  const s = core.createSession(config);
  s.handle({ type: 'file_upload', path: 'shapes.geojson', media_type: '', data: '{}', now_ms: 1 });
  assert.equal(s.listFiles()[0].media_type, core.mediaTypeFor('shapes.geojson'));
  s.destroy();
});

test('conversation() reports token usage per turn, cache tokens apart, across a restore', async () => {
  const core = await loadBuiltCore();
  const s = core.createSession(config);
  const a = s.handle({ type: 'user_message', text: 'hi', now_ms: 1 });
  const req = ofType(a.actions, 'http_request')[0];
  const chunk = (o) => `data: ${JSON.stringify(o)}\n\n`;
  const body = chunk({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }] }) +
    chunk({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [], usage: { prompt_tokens: 100, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 60 } } }) +
    'data: [DONE]\n\n';
  s.feedLlmBytes(req.request_id, enc.encode(body), 2);
  s.handle({ type: 'llm_done', request_id: req.request_id, status: 200, now_ms: 3 });
  const expected = { input_tokens: 40, output_tokens: 7, cache_read_input_tokens: 60, cache_creation_input_tokens: 0, total_tokens: 107 };
  assert.deepEqual(s.conversation().usage_by_turn, { 1: expected });
  const { session: r } = core.restoreSession(s.serialize());
  assert.deepEqual(r.conversation().usage_by_turn, { 1: expected });
  s.destroy();
  r.destroy();
});

test('the title goes through the core: set_title stores a custom title that survives a restore', async () => {
  const core = await loadBuiltCore();
  const s = core.createSession(config);
  const r = s.handle({ type: 'set_title', title: 'Quarterly numbers', now_ms: 1 });
  assert.deepEqual(emitted(r.actions, 'title'), [{ type: 'title', title: 'Quarterly numbers', custom: true }]);
  const a = s.handle({ type: 'user_message', text: 'hello', now_ms: 2 });
  assert.deepEqual(emitted(a.actions, 'title'), [], 'the automatic title does not replace it');
  s.handle({ type: 'cancel', now_ms: 3 });
  const { session: back } = core.restoreSession(s.serialize());
  const c = back.conversation();
  assert.equal(c.title, 'Quarterly numbers');
  assert.equal(c.custom_title, true);
  const auto = back.handle({ type: 'set_title', title: '', now_ms: 4 });
  assert.deepEqual(emitted(auto.actions, 'title'), [{ type: 'title', title: 'hello', custom: false }]);
  s.destroy();
  back.destroy();
});

test('user code sent during a turn is queued, kept across a reload, and runs only when asked', async () => {
  const core = await loadBuiltCore();
  const s = core.createSession(config);
  s.handle({ type: 'user_message', text: 'hi', now_ms: 1 });
  const q = s.handle({ type: 'user_code', code: 'x = 1', now_ms: 2 });
  assert.equal(q.error, undefined);
  assert.deepEqual(emitted(q.actions, 'queue'), [{ type: 'queue', count: 1 }]);
  assert.deepEqual(s.conversation().queued, ['x = 1']);
  const { session: r } = core.restoreSession(s.serialize());
  assert.deepEqual(r.conversation().queued, ['x = 1']);
  assert.equal(r.conversation().queue_held, true);
  assert.equal(r.state(), 'idle', 'nothing runs by itself after a reload');
  const go = r.handle({ type: 'run_queued', now_ms: 3 });
  assert.equal(ofType(go.actions, 'run_code')[0].code, 'x = 1');
  assert.deepEqual(emitted(go.actions, 'queue'), [{ type: 'queue', count: 0 }]);
  s.destroy();
  r.destroy();
});
