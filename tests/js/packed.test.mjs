// The packed records of the streaming answers (feedLlmBytes, decoderFeed,
// decoderFinish): the JS reader on hand-made buffers, and the built module
// against its own JSON path, which must say exactly the same.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { packedReader } from '../../js_glue/packed.mjs';
import { ROOT, loadBuiltCore } from './load-core.mjs';

const LAYOUT = { header_words: 2, record_words: 3, kinds: ['text', 'thinking', 'tool_call_begin', 'tool_call_arguments', 'json'] };
const enc = new TextEncoder();

// Writes records [kind, index, text] as the core does (see bindings.cpp).
function pack(records, { badLength = false } = {}) {
  const texts = records.map(([, , text]) => enc.encode(text));
  const textBytes = texts.reduce((n, t) => n + t.length, 0);
  const head = 2 + 3 * records.length;
  const buffer = new ArrayBuffer(4 * head + textBytes + 8);
  const words = new Uint32Array(buffer, 0, head);
  words[0] = records.length;
  words[1] = textBytes;
  records.forEach(([kind, index, text], i) => {
    words[2 + 3 * i] = LAYOUT.kinds.indexOf(kind);
    words[3 + 3 * i] = index;
    words[4 + 3 * i] = text.length + (badLength && i === 0 ? 1 : 0); // UTF-16 units
  });
  const bytes = new Uint8Array(buffer, 0, 4 * head + textBytes);
  let at = 4 * head;
  for (const t of texts) bytes.set(t, at), (at += t.length);
  return bytes;
}

const readAll = (reader, view) => {
  const out = [];
  reader.forEach(view, (kind, index, text) => out.push([kind, index, text]));
  // The deltas reader says the same.
  assert.deepEqual(reader.deltas(view).map(({ kind, text, index }) => [kind, index, text]), out);
  return out;
};

test('the reader gives back every record, in order, with its exact text', () => {
  const read = packedReader(LAYOUT);
  const records = [
    ['text', 0, 'Hello, '], ['text', 0, ''], ['thinking', 0, 'café → 日本語'],
    ['tool_call_begin', 2, 'python'], ['tool_call_arguments', 2, '{"code": "print(\\"😀\\")"}'],
    ['json', 0, '{"type":"emit"}'], ['text', 0, '📈 a surrogate pair, then ASCII'],
  ];
  assert.deepEqual(readAll(read, pack(records)), records);
  assert.deepEqual(readAll(read, pack([])), []);
});

test('the reader refuses a buffer whose lengths do not add up', () => {
  const read = packedReader(LAYOUT);
  assert.throws(() => readAll(read, pack([['text', 0, 'abc'], ['text', 0, 'd']], { badLength: true })), /do not add up/);
  const whole = pack([['text', 0, 'abc']]);
  assert.throws(() => readAll(read, whole.subarray(0, whole.length - 1)), /do not add up/);
  assert.throws(() => packedReader({ header_words: 0, record_words: 3, kinds: [] }), /unusable/);
});

test('the module describes the layout the reader expects', async () => {
  const core = await loadBuiltCore();
  assert.deepEqual(JSON.parse(core.module.packedLayout()), LAYOUT);
});

// Reads a packed answer of the module itself.
function records(core, view) {
  assert.ok(view instanceof Uint8Array, `expected packed records, got ${String(view).slice(0, 200)}`);
  return readAll(core.packed, view);
}

test('decoderFeed packs deltas: split characters, emoji, escapes and invalid UTF-8 arrive whole and exact', async () => {
  const core = await loadBuiltCore();
  const m = core.module;
  const body = enc.encode(
    'data: {"choices":[{"index":0,"delta":{"content":"caf\\u00e9 \\"q\\" \\\\ \\n\\t\\u0001"}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"content":"😀 日本"}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"python","arguments":"{\\"code\\""}}]}}]}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":": 1}"}}]}}]}\n\n',
  );
  // A raw 0xFF inside a string: the SSE layer makes it U+FFFD.
  const bad = Uint8Array.from([...enc.encode('data: {"choices":[{"index":0,"delta":{"content":"a'), 0xff,
    ...enc.encode('b"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')]);
  const d = m.createDecoder('openai');
  const got = [];
  const all = new Uint8Array([...body, ...bad]);
  for (let i = 0; i < all.length; i += 5) got.push(...records(core, m.decoderFeed(d, all.subarray(i, i + 5))));
  const text = got.filter(([k]) => k === 'text').map(([, , t]) => t).join('');
  assert.equal(text, 'café "q" \\ \n\t\u0001😀 日本a\uFFFDb');
  assert.deepEqual(got.filter(([k]) => k.startsWith('tool')),
    [['tool_call_begin', 0, 'python'], ['tool_call_arguments', 0, '{"code"'], ['tool_call_arguments', 0, ': 1}']]);
  const failure = m.decoderFeed(4242, new Uint8Array(1));
  assert.equal(typeof failure, 'string', 'a failure is JSON text, not records');
  assert.equal(JSON.parse(failure).error.code, 'bad_handle');
  m.decoderFinish(d);
});

test('decoderFinish packs the result: the same value as decodeStream', async () => {
  const core = await loadBuiltCore();
  const dir = path.join(ROOT, 'tests/fixtures/streams');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.sse'))) {
    const format = file.split('_')[0];
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, file)));
    const decoder = core.createDecoder(format);
    decoder.feed(bytes);
    assert.deepEqual(decoder.finish(), core.decodeStream(format, bytes), file);
  }
});

// The app's path: feedLlmBytes (packed) must answer exactly what the same
// chunk as an llm_chunk event (JSON) does, chunk by chunk, for every fixture.
const PROVIDER = (format) => ({ format, base_url: 'http://127.0.0.1:9/v1', model: 'm' });

function startTurn(core, format) {
  const session = core.createSession({ provider: PROVIDER(format) });
  const request = session.handle({ type: 'user_message', text: 'hi', now_ms: 1 }).actions.find((a) => a.type === 'http_request');
  session.handle({ type: 'llm_headers', request_id: request.request_id, status: 200, headers: {}, now_ms: 2 });
  return { session, id: request.request_id };
}

test('feedLlmBytes answers the same actions as the llm_chunk event, for every recorded stream', async () => {
  const core = await loadBuiltCore();
  const dir = path.join(ROOT, 'tests/fixtures/streams');
  let deltas = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.sse'))) {
    const format = file.split('_')[0];
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, file)));
    const viaJson = startTurn(core, format);
    const viaPacked = startTurn(core, format);
    for (let i = 0; i < bytes.length; i += 11) {
      const piece = bytes.subarray(i, i + 11);
      const expected = viaJson.session.handle({ type: 'llm_chunk', request_id: viaJson.id, blob: 0, now_ms: 3 }, [piece]);
      const got = viaPacked.session.feedLlmBytes(viaPacked.id, piece, 3);
      assert.deepEqual(got, expected, `${file} at byte ${i}`);
      deltas += got.actions.filter((a) => a.type === 'emit' && a.event.type.endsWith('_delta')).length;
    }
    viaJson.session.destroy();
    viaPacked.session.destroy();
  }
  assert.ok(deltas > 20, 'the fixtures streamed deltas through the packed path');
});

test('feedLlmBytes still answers JSON for a refused chunk and a failed call', async () => {
  const core = await loadBuiltCore();
  const { session } = startTurn(core, 'openai');
  const refused = session.feedLlmBytes(999, enc.encode('data: x\n\n'), 3);
  assert.deepEqual(refused.actions, []);
  assert.equal(refused.error.code, 'unknown_id');
  const failed = core.module.feedLlmBytes(4242, 1, new Uint8Array(1), 1);
  assert.equal(typeof failed, 'string');
  assert.equal(JSON.parse(failed).error.code, 'bad_handle');
  session.destroy();
});
