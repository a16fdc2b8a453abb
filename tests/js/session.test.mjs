// The Session's logic in Node (js_glue/session.mjs): the built core, the real
// driver, the scripted LLM server over real HTTP, and a fake sandbox that
// records what it is asked (runs, restarts) and answers at once. No browser:
// the browser tests prove the wiring, these the rules (turn flow, configure,
// the key-origin rule, queueing, restarts, fresh Python per conversation,
// storage, one error shape).
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltCore } from './load-core.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { Session } from '../../js_glue/session.mjs';
import { MemoryStorage } from '../../js_glue/storage/memory.mjs';
import { FakeSandbox } from '../support/fake-sandbox.mjs';

const KEY = 'sk-session-test-0123456789';

async function setup({ settings = {}, apiKey = KEY, keyOrigin, storage, failStart, waitForPython = true } = {}) {
  const core = await loadBuiltCore();
  const server = await startLlmServer();
  let sandbox;
  const session = new Session({
    core,
    createSandbox: (hooks) => (sandbox = new FakeSandbox(hooks, { failStart })),
    settings: { format: 'openai', baseUrl: `${server.url}/v1`, model: 'gpt-4o-mini', ...settings },
    apiKey,
    keyOrigin,
    storage,
    waitForPython,
  });
  const core_events = [];
  session.on('core', (e) => core_events.push(e));
  const close = async () => { await session.close(); await server.close(); };
  return { core, server, session, sandbox, events: core_events, close };
}

const collect = async (stream) => { const out = []; for await (const e of stream) out.push(e); return out; };
const toolCall = (id, code) => ({ tool_calls: [{ id, name: 'python', arguments: JSON.stringify({ code }) }] });

test('a turn: message → tool call → run → answer, as public events; the key goes to its endpoint', async () => {
  const t = await setup();
  try {
    t.session.newConversation('c1');
    t.server.script([toolCall('call_1', 'x = 6 * 7'), { text: 'It is 42.' }]);
    const events = await collect(t.session.send('Compute.'));
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'message', 'the user message comes first');
    assert.ok(types.includes('cell_started') && types.includes('stdout') && types.includes('cell_finished'));
    assert.equal(types.at(-1), 'turn_done');
    assert.equal(events.at(-1).reason, 'completed');
    assert.equal(events.filter((e) => e.type === 'text_delta').map((e) => e.text).join(''), 'It is 42.');
    assert.deepEqual(t.sandbox.runs.map((r) => r.code), ['x = 6 * 7']);
    const sent = t.server.requests.filter((q) => q.path.endsWith('/chat/completions'));
    assert.equal(sent.length, 2);
    for (const q of sent) assert.equal(q.headers.authorization, `Bearer ${KEY}`);
    // The core learned the Python version the sandbox reported before the turn (waitForPython).
    assert.match(JSON.stringify(sent[0].body.messages[0]), /3\.14/);
  } finally {
    await t.close();
  }
});

test('the key-origin rule: a key entered for another origin is neither sent nor announced', async () => {
  const t = await setup({ keyOrigin: 'https://api.openai.com' });
  try {
    t.session.newConversation('c1');
    t.server.script([{ text: 'hi' }]);
    await collect(t.session.send('Hello'));
    const [q] = t.server.requests.filter((r) => r.path.endsWith('/chat/completions'));
    assert.equal(q.headers.authorization, undefined, 'no key to a base URL on another origin');
    assert.equal(t.session.coreConfig().provider.auth, 'none');
    // Bound to this origin, it is used.
    t.session.configure({}, { apiKey: KEY, keyOrigin: new URL(t.server.url).origin });
    t.server.script([{ text: 'hi again' }]);
    await collect(t.session.send('Hello'));
    const last = t.server.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1);
    assert.equal(last.headers.authorization, `Bearer ${KEY}`);
  } finally {
    await t.close();
  }
});

test('settings changed during a turn reach the core after it; clamps are applied once', async () => {
  const t = await setup();
  try {
    t.session.newConversation('c1');
    let release;
    t.sandbox.hold = new Promise((r) => { release = r; });
    t.server.script([toolCall('call_1', 'slow()'), { text: 'done' }, { text: 'second' }]);
    const turn = t.session.send('Go');
    await new Promise((resolve) => { const off = t.session.on('core', (e) => { if (e.type === 'cell_started') { off(); resolve(); } }); });
    const r = t.session.configure({ model: 'other-model', maxSteps: 500, timeLimitS: 0.2 });
    assert.deepEqual(r, { ok: true, deferred: true });
    release();
    await collect(turn);
    assert.equal(t.session.coreConfig().limits.max_steps, 100);
    assert.equal(t.session.coreConfig().sandbox.time_limit_ms, 1000);
    await new Promise((resolve) => setTimeout(resolve, 0)); // the Session applies it a task after turn_done
    t.sandbox.hold = null;
    await collect(t.session.send('Again'));
    const models = t.server.requests.filter((q) => q.path.endsWith('/chat/completions')).map((q) => q.body.model);
    assert.deepEqual(models, ['gpt-4o-mini', 'gpt-4o-mini', 'other-model'], 'the running turn kept its model; the next used the new one');
  } finally {
    await t.close();
  }
});

test('one turn at a time: busy and closed come back as {code, message}; code queued behind a turn runs after it, and Stop drops the queue', async () => {
  const t = await setup();
  try {
    t.session.newConversation('c1');
    let release;
    t.sandbox.hold = new Promise((r) => { release = r; });
    const first = t.session.runCode('a = 1');
    await new Promise((resolve) => { const off = t.session.on('core', (e) => { if (e.type === 'cell_started') { off(); resolve(); } }); });
    const busy = t.session.send('Hello?');
    assert.equal(busy.error.code, 'busy');
    assert.deepEqual((await collect(busy)).map((e) => [e.type, e.error?.kind]), [['error', 'busy']]);
    assert.equal(t.session.runCode('refused = 1').error.code, 'busy', 'without queue: refused');
    assert.equal(t.session.runCode('b = 2', { queue: true }).queued, true);
    assert.equal(t.session.runCode('c = 3', { queue: true }).queued, true);
    assert.equal(t.session.queued, 2);
    release();
    await collect(first);
    // Queued runs start on their own, one turn each, in order.
    await new Promise((resolve) => { const off = t.session.on('core', (e) => { if (e.type === 'turn_done' && t.sandbox.runs.length === 3) { off(); resolve(); } }); });
    assert.deepEqual(t.sandbox.runs.map((r) => r.code), ['a = 1', 'b = 2', 'c = 3']);

    // Stop: the run is interrupted and what waited behind it is dropped.
    t.sandbox.hold = new Promise(() => {}); // never ends by itself
    const started = new Promise((resolve) => { const off = t.session.on('core', (e) => { if (e.type === 'cell_started') { off(); resolve(); } }); });
    const stopped = t.session.runCode('while True: pass'); // Python is ready: it starts at once
    await started;
    t.session.runCode('never = 1', { queue: true });
    t.session.cancel();
    assert.equal(t.session.queued, 0);
    assert.deepEqual(t.sandbox.interrupts.at(-1).restart, false, 'interrupt first (the sandbox can)');
    const done = (await collect(stopped)).at(-1);
    assert.equal(done.reason, 'cancelled');
    assert.ok(!t.sandbox.runs.some((r) => r.code === 'never = 1'));

    await t.session.close();
    const closed = t.session.send('after close');
    assert.equal(closed.error.code, 'closed');
    assert.equal(t.session.addFile('x.txt', new Uint8Array([1])).error.code, 'closed');
  } finally {
    await t.close();
  }
});

test('restarts: a sandbox that restarted is told to the core (files sent again); a restored conversation hears it before its first run', async () => {
  const storage = new MemoryStorage();
  const t = await setup({ storage });
  try {
    t.session.newConversation('c1');
    assert.equal(t.session.addFile('data.csv', new TextEncoder().encode('a,b\n1,2\n')).ok, true);
    await collect(t.session.runCode('print(1)'));
    assert.deepEqual(t.sandbox.runs[0].files.write, ['data.csv'], 'the upload goes in with the first run');
    await collect(t.session.runCode('print(2)'));
    assert.deepEqual(t.sandbox.runs[1].files.write, [], 'not twice');
    t.sandbox.crash();
    await collect(t.session.runCode('print(3)'));
    assert.deepEqual(t.sandbox.runs[2].files.write, ['data.csv'], 'after a restart the core resends the files');
    assert.ok(t.events.some((e) => e.type === 'notice'), 'and says so');

    // Leave: the storage has everything; reopen it as after a reload.
    await t.session.leave();
    const saved = await storage.load('c1');
    assert.ok(saved, 'saved on leave');
    assert.ok(saved.files['data.csv']);
    const before = t.sandbox.runs.length;
    const { problems } = t.session.openConversation(saved);
    assert.deepEqual(problems, []);
    assert.equal(t.session.conversation().entries.filter((e) => e.kind === 'exec').length, 3);
    await collect(t.session.runCode('print(4)'));
    assert.deepEqual(t.sandbox.runs[before].files.write, ['data.csv'], 'a restored conversation sends its files into the fresh Python');
  } finally {
    await t.close();
  }
});

test('each conversation its own Python: a new one after code ran gets a fresh sandbox, silently; one that ran nothing does not', async () => {
  const t = await setup();
  try {
    t.session.newConversation('a');
    t.session.newConversation('b'); // nothing ran: no restart
    assert.equal(t.sandbox.restarts.length, 0);
    await collect(t.session.runCode('secret = 1'));
    await t.session.leave();
    t.session.newConversation('c');
    assert.deepEqual(t.sandbox.restarts, [{ reason: 'another conversation', notify: false }]);
    assert.ok(!t.events.some((e) => e.type === 'notice' && /restart/i.test(e.text ?? '')), 'no notice in the new conversation');
    // Taking over a conversation another tab wrote: fresh Python even for the same id.
    await collect(t.session.runCode('x = 1'));
    t.session.takeOver();
    assert.equal(t.sandbox.restarts.length, 2);
  } finally {
    await t.close();
  }
});

test('Python that cannot start: the status says why, turns still end, Retry starts it', async () => {
  const t = await setup({ failStart: 'This browser refused to start the Python worker' });
  try {
    const statuses = [];
    t.session.on('python', (p) => statuses.push(p.state));
    t.session.newConversation('c1');
    const events = await collect(t.session.runCode('print(1)'));
    assert.equal(t.session.python.state, 'failed');
    assert.match(t.session.python.message, /Python could not start: This browser refused/);
    assert.equal(t.session.python.error.code, 'WorkerRefused');
    assert.equal(events.at(-1).type, 'turn_done', 'the turn ends (the run itself reports the failure)');
    assert.ok(statuses.includes('starting') && statuses.includes('failed'));
    const info = await t.session.retryPython();
    assert.equal(info.python, '3.14.0');
    assert.equal(t.session.python.state, 'ready');
    assert.equal(t.session.python.canInterrupt, true);
  } finally {
    await t.close();
  }
});

test('uploads: the core names the media type the browser did not know', async () => {
  const t = await setup();
  try {
    t.session.newConversation('c1');
    const csv = t.session.addFile('table.csv', new Uint8Array([1]), '');
    assert.equal(csv.file.media_type, 'text/csv');
    const generic = t.session.addFile('image.png', new Uint8Array([1]), 'application/octet-stream');
    assert.equal(generic.file.media_type, 'image/png', "a browser's octet-stream lets the core guess");
    const given = t.session.addFile('notes.txt', new Uint8Array([1]), 'text/markdown');
    assert.equal(given.file.media_type, 'text/markdown', 'a type the browser knows is kept');
    const bad = t.session.addFile('../escape.txt', new Uint8Array([1]));
    assert.equal(bad.ok, false);
    assert.equal(bad.error.code, 'invalid_path');
    assert.ok(bad.error.message);
  } finally {
    await t.close();
  }
});

test('the model list carries what the endpoint says of each model (window, images), read by the core', async () => {
  const core = await loadBuiltCore();
  const server = await startLlmServer({ models: [
    { id: 'openai/gpt-4o', context_length: 128000, architecture: { input_modalities: ['text', 'image'] } },
    { id: 'meta/llama-3', context_length: 8192, architecture: { input_modalities: ['text'] } },
    { id: 'plain' },
  ] });
  const session = new Session({ core, createSandbox: (hooks) => new FakeSandbox(hooks), settings: { format: 'openai', baseUrl: `${server.url}/v1`, model: 'plain' } });
  try {
    const models = await session.listModels();
    assert.deepEqual([...models], ['meta/llama-3', 'openai/gpt-4o', 'plain']);
    assert.deepEqual(models.info, {
      'openai/gpt-4o': { context_window: 128000, vision: true },
      'meta/llama-3': { context_window: 8192, vision: false },
    });
  } finally {
    await session.close();
    await server.close();
  }
});

test('the model list is the core\'s request: the key goes along only for its own origin; a failure has a code and a message', async () => {
  const t = await setup();
  try {
    t.session.newConversation('c1');
    const here = new URL(t.server.url).origin;
    assert.deepEqual(await t.session.listModels({}, { apiKey: KEY, keyOrigin: here }), ['gpt-4o-mini']);
    const asked = t.server.requests.filter((q) => q.path.endsWith('/models'));
    assert.equal(asked.at(-1).headers.authorization, `Bearer ${KEY}`);
    await t.session.listModels({}, { apiKey: KEY, keyOrigin: 'https://api.openai.com' });
    assert.equal(t.server.requests.filter((q) => q.path.endsWith('/models')).at(-1).headers.authorization, undefined,
      'a key entered for another origin stays home');
    await t.session.listModels({ format: 'anthropic' }, { apiKey: KEY, keyOrigin: here });
    const anthropic = t.server.requests.filter((q) => q.path.endsWith('/models')).at(-1);
    assert.equal(anthropic.headers['x-api-key'], KEY);
    assert.ok(anthropic.headers['anthropic-version'], "the core adds Anthropic's API version");
    // The conversation never saw any of it.
    assert.equal(t.events.filter((e) => e.type === 'models').length, 0);
    await assert.rejects(t.session.listModels({ baseUrl: 'http://127.0.0.1:9/v1' }, { timeoutMs: 3000 }), (error) => {
      assert.ok(error.code, 'a code');
      assert.match(error.message, /127\.0\.0\.1:9/);
      return true;
    });
  } finally {
    await t.close();
  }
});

test('code queued behind a turn is saved with the conversation and, reopened, waits for runQueued (or clearQueue)', async () => {
  const storage = new MemoryStorage();
  const t = await setup({ storage });
  try {
    t.session.newConversation('c1');
    let release;
    t.sandbox.hold = new Promise((r) => { release = r; });
    const started = new Promise((resolve) => { const off = t.session.on('core', (e) => { if (e.type === 'cell_started') { off(); resolve(); } }); });
    t.session.runCode('first = 1');
    await started;
    assert.ok(t.session.runCode('second = 2', { queue: true }).queued);
    assert.ok(t.session.runCode('third = 3', { queue: true }).queued);
    await t.session.flush(); // what a closed tab leaves behind: the queue is in the saved state
    const saved = await storage.load('c1');
    release();

    // As after a reload: the conversation is opened again; its queue waits for the user.
    t.session.detach();
    t.sandbox.runs.length = 0;
    t.session.openConversation(saved);
    assert.equal(t.session.queued, 2);
    const conv = t.session.conversation();
    assert.deepEqual([conv.queued, conv.queue_held], [['second = 2', 'third = 3'], true]);
    assert.equal(t.sandbox.runs.length, 0, 'nothing ran by itself');
    const done = new Promise((resolve) => { const off = t.session.on('core', (e) => { if (e.type === 'turn_done' && t.sandbox.runs.length === 2) { off(); resolve(); } }); });
    t.session.runQueued();
    await done;
    assert.deepEqual(t.sandbox.runs.map((r) => r.code), ['second = 2', 'third = 3']);
    assert.equal(t.session.queued, 0);

    // Discard instead.
    t.session.detach();
    t.session.openConversation(saved);
    t.session.clearQueue();
    assert.equal(t.session.queued, 0);
    assert.deepEqual(t.session.conversation().queued, []);
  } finally {
    await t.close();
  }
});

test('with real Pyodide (NodeSandbox): a worker that died while idle is told to the core, so the next run has its files and just runs', async () => {
  const { nodeSandbox } = await import('../../js_glue/node.mjs');
  const core = await loadBuiltCore();
  const session = new Session({ core, createSandbox: nodeSandbox(), waitForPython: true });
  try {
    session.newConversation('c1');
    session.addFile('data.txt', new TextEncoder().encode('kept'));
    const first = (await collect(session.runCode('x = 1\nprint(open("data.txt").read())'))).find((e) => e.type === 'cell_finished');
    assert.equal(first.exec.stdout, 'kept\n');
    const restarted = new Promise((resolve) => { const off = session.on('python', (p) => { if (p.state === 'ready' && p.message === `Python ${p.info.python}`) { off(); resolve(); } }); });
    session.sandbox.kill(); // the worker dies while idle
    await restarted;
    const events = await collect(session.runCode('print(open("data.txt").read())\nprint("x" in dir())'));
    const done = events.find((e) => e.type === 'cell_finished');
    assert.equal(done.status, 'ok', JSON.stringify(done.exec.error));
    assert.equal(done.exec.stdout, 'kept\nFalse\n', 'the file is back; the variables are gone');
    assert.ok(session.conversation().entries.some((e) => e.kind === 'notice'), 'and the conversation says Python restarted');
  } finally {
    await session.close();
  }
});
