// The wasm build decodes every recorded-shape stream exactly as the fixture
// expects (the native build is held to the same files by GoogleTest).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, loadBuiltCore } from './load-core.mjs';

const dir = path.join(ROOT, 'tests/fixtures/streams');
// The file name's prefix is its wire format: openai_*, anthropic_*, responses_*.
const formatOf = (file) => file.split('_')[0];
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.sse'));

test('there are stream fixtures of every format', () => {
  for (const format of ['openai', 'anthropic', 'responses']) assert.ok(fixtures.some((f) => formatOf(f) === format), format);
  for (const f of fixtures) assert.ok(['openai', 'anthropic', 'responses'].includes(formatOf(f)), `${f}: unknown format prefix`);
});

for (const file of fixtures) {
  test(`wasm decodeStream reconstructs ${file}`, async () => {
    const core = await loadBuiltCore();
    const format = formatOf(file);
    const bytes = fs.readFileSync(path.join(dir, file));
    const expected = JSON.parse(fs.readFileSync(path.join(dir, file.replace(/\.sse$/, '.expected.json')), 'utf8'));
    assert.deepEqual(core.decodeStream(format, new Uint8Array(bytes)), expected);
    // Streaming through the decoder API, 7 bytes at a time, gives the same,
    // and its deltas (packed records across the binding) add up to it.
    const d = core.createDecoder(format);
    let text = '';
    const args = [];
    for (let i = 0; i < bytes.length; i += 7) {
      for (const { kind, text: piece, index } of d.feed(new Uint8Array(bytes.subarray(i, i + 7)))) {
        if (kind === 'text') text += piece;
        if (kind === 'tool_call_arguments') args[index] = (args[index] ?? '') + piece;
      }
    }
    assert.deepEqual(d.finish(), expected);
    if (!expected.error) {
      assert.equal(text, expected.text ?? '');
      // (A tool call streamed no argument at all ends as "{}".)
      expected.tool_calls.forEach((c, i) => assert.equal(args[i] ?? '{}', c.arguments, `tool call ${i}`));
    }
  });
}

test('an unknown format is a clear error, not a throw', async () => {
  const core = await loadBuiltCore();
  assert.throws(() => core.decodeStream('smoke-signals', new Uint8Array()), /unknown format/);
  assert.throws(() => core.createDecoder('smoke-signals'), (e) => e.code === 'bad_format');
});

test('a finished decoder is gone: feeding it again is bad_handle', async () => {
  const core = await loadBuiltCore();
  const d = core.createDecoder('openai');
  d.feed(new TextEncoder().encode('data: [DONE]\n\n'));
  d.finish();
  assert.throws(() => d.feed(new Uint8Array(1)), (e) => e.code === 'bad_handle');
});
