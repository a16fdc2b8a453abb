// js_glue/body-chunks.mjs: a response body's chunks through one reused
// buffer (byte streams) or the default reader (any other stream).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readChunks } from '../../js_glue/body-chunks.mjs';

const bytesStream = (parts, hooks = {}) => new ReadableStream({
  type: 'bytes',
  start(c) { for (const p of parts) c.enqueue(new Uint8Array(p)); if (!hooks.open) c.close(); },
  cancel(reason) { hooks.cancelled = reason ?? true; },
});

async function collect(body, size) {
  const out = [];
  for await (const chunk of readChunks(body, size)) out.push(...chunk);
  return out;
}

test('a byte stream arrives whole and in order, in pieces no bigger than the buffer', async () => {
  const parts = Array.from({ length: 50 }, (_, i) => Array.from({ length: 37 }, (_, j) => (i * 37 + j) % 251));
  const sizes = [];
  for await (const chunk of readChunks(bytesStream(parts), 64)) sizes.push(chunk.byteLength);
  assert.ok(sizes.every((n) => n > 0 && n <= 64), `sizes ${sizes}`);
  assert.deepEqual(await collect(bytesStream(parts), 64), parts.flat());
});

test('the byte stream is read into one buffer: each chunk is a view of the same memory, taken back by the next read', async () => {
  const seen = [];
  for await (const chunk of readChunks(bytesStream([[1, 2, 3], [4, 5], [6]]), 16)) {
    seen.push({ offset: chunk.byteOffset, capacity: chunk.buffer.byteLength, view: chunk });
  }
  assert.ok(seen.every((s) => s.offset === 0 && s.capacity === 16));
  // The earlier chunks' buffers were handed back to the reader (detached).
  assert.ok(seen.slice(0, -1).every((s) => s.view.byteLength === 0));
});

test('a stream that is not a byte stream is read the default way', async () => {
  const body = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([9, 8])); c.enqueue(new Uint8Array([7])); c.close(); } });
  assert.deepEqual(await collect(body), [9, 8, 7]);
});

test('leaving the loop cancels the body', async () => {
  const hooks = { open: true };
  for await (const chunk of readChunks(bytesStream([[1], [2]], hooks))) {
    assert.equal(chunk.byteLength > 0, true);
    break;
  }
  assert.ok(hooks.cancelled);
  let cancelled = false;
  const plain = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); }, cancel() { cancelled = true; } });
  for await (const _ of readChunks(plain)) break; // eslint-disable-line no-unused-vars
  assert.ok(cancelled);
});

test('a body that fails mid-way rejects the loop with its error', async () => {
  const body = new ReadableStream({
    type: 'bytes',
    start(c) { c.enqueue(new Uint8Array([1])); },
    pull(c) { c.error(new Error('connection reset')); },
  });
  await assert.rejects(collect(body), /connection reset/);
});
