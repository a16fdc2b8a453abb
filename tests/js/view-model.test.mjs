// The app's view model in memory (web/app/view-model.mjs): what each core
// event and live event does to the view, and the items read from the core's
// conversation record. No DOM, no core: plain data in, plain data out.
import test from 'node:test';
import assert from 'node:assert/strict';
import { initialViewModel, resetConversation, applyCoreEvent, applyLiveEvent, endTurn, itemsOf } from '../../web/app/view-model.mjs';

test('a turn in the view: running, streaming text, the live cell, then the end after the refresh', () => {
  const vm = initialViewModel();
  resetConversation(vm, 'c1');
  assert.deepEqual(applyCoreEvent(vm, { type: 'turn_started', turn: 1 }), { changed: 'running' });
  assert.equal(vm.running, true);
  applyCoreEvent(vm, { type: 'model_request', attempt: 2 });
  assert.match(vm.activity, /attempt 2/);
  applyCoreEvent(vm, { type: 'text_delta', text: 'Hel' });
  applyCoreEvent(vm, { type: 'text_delta', text: 'lo' });
  applyCoreEvent(vm, { type: 'thinking_delta', text: 'hmm' });
  assert.deepEqual(vm.streaming, { text: 'Hello', thinking: 'hmm' });
  assert.deepEqual(applyCoreEvent(vm, { type: 'cell_started', exec_id: 'e1' }), { items: true });
  assert.equal(vm.streaming, null, 'the text is in the items from here on');
  assert.equal(applyLiveEvent(vm, { type: 'stdout', exec_id: 'e1', text: 'out\n' }), true);
  assert.equal(applyLiveEvent(vm, { type: 'output', exec_id: 'e1', mime: 'image/png', data: 'AA==' }), true);
  assert.equal(applyLiveEvent(vm, { type: 'stdout', exec_id: 'other', text: 'x' }), false, 'a run the view does not show');
  assert.deepEqual(vm.live.get('e1'), { stdout: 'out\n', stderr: '', outputs: [{ mime: 'image/png', data: 'AA==' }], packages: [] });
  assert.deepEqual(applyCoreEvent(vm, { type: 'cell_finished', exec: { exec_id: 'e1' } }), { items: true, files: true });
  assert.equal(vm.live.has('e1'), false);
  assert.deepEqual(applyCoreEvent(vm, { type: 'turn_done', reason: 'completed' }), { endTurn: true });
  assert.equal(vm.running, true, 'still running until the refresh shows the last items');
  endTurn(vm);
  assert.deepEqual([vm.running, vm.streaming, vm.activity], [false, null, '']);
});

test('titles, file errors, retries and queue changes', () => {
  const vm = initialViewModel();
  assert.deepEqual(applyCoreEvent(vm, { type: 'title', title: 'Sales', custom: true }), { changed: 'conversations' });
  assert.equal(vm.title, 'Sales');
  assert.deepEqual(applyCoreEvent(vm, { type: 'error', error: { kind: 'file', message: 'Invalid file name' } }), { toast: 'Invalid file name' });
  assert.deepEqual(applyCoreEvent(vm, { type: 'error', error: { kind: 'http', message: '401' } }), { items: true }, 'a turn error shows as its notice');
  applyCoreEvent(vm, { type: 'retrying', attempt: 2, max_attempts: 4, delay_ms: 1500, reason: 'HTTP 429' });
  assert.equal(vm.activity, 'Retrying in 2 s (attempt 2 of 4): HTTP 429');
  assert.deepEqual(applyCoreEvent(vm, { type: 'queue', count: 2 }), { items: true });
  assert.deepEqual(applyCoreEvent(vm, { type: 'tool_call_delta' }), {}, 'what the view does not show changes nothing');
});

test('items from the core\'s record: kinds, the turn\'s usage with cached tokens, a held queue', () => {
  const conv = {
    title: 'T',
    entries: [
      { kind: 'user', turn: 1, text: 'Q' },
      { kind: 'assistant', turn: 1, text: '', thinking: '' }, // a reply that only called a tool: not an item
      { kind: 'exec', turn: 1, exec: { exec_id: 'e1', code: 'x' } },
      { kind: 'assistant', turn: 1, text: 'A' },
      { kind: 'notice', turn: 2, level: 'warning', text: 'Python restarted' },
    ],
    usage_by_turn: { 1: { input_tokens: 40, cache_read_input_tokens: 50, cache_creation_input_tokens: 10, output_tokens: 7, total_tokens: 107 } },
    queued: ['a = 1', 'b = 2'],
    queue_held: true,
  };
  const view = itemsOf(conv);
  assert.deepEqual(view.items.map((i) => i.kind), ['user', 'cell', 'assistant', 'notice']);
  assert.deepEqual(view.turnUsage.get(1), { input: 100, cached: 60, output: 7, total: 107 });
  assert.equal(view.heldQueue, 2);
  assert.equal(itemsOf({ ...conv, queue_held: false }).heldQueue, 0, 'a queue behind a running turn is not held');
});
