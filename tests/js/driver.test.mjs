// The driver + the built core over real HTTP streaming on localhost, against
// the scripted LLM server. The sandbox here is a recorder that answers runs
// with fixed results: these tests are about the glue's plumbing (bytes, files,
// keys, cancellation), not about Python.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Driver } from '../../js_glue/driver.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { loadBuiltCore } from './load-core.mjs';

const KEY = 'sk-test-canary-7f3a9c';

function recordingSandbox(results) {
  const runs = [];
  const interrupts = [];
  return {
    runs,
    interrupts,
    async run(request) {
      runs.push(request);
      const next = results.shift();
      return typeof next === 'function' ? next(request) : next;
    },
    interrupt(execId, restart) {
      interrupts.push({ execId, restart });
    },
  };
}

async function setup(format, { limits, sandbox } = {}) {
  const core = await loadBuiltCore();
  const server = await startLlmServer();
  const base = format === 'anthropic' ? `${server.url}/v1` : `${server.url}/v1`;
  const session = core.createSession({
    provider: { format, base_url: base, model: format === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4o-mini', auth: format === 'anthropic' ? 'x-api-key' : 'bearer' },
    limits,
  });
  const events = [];
  const persisted = [];
  const driver = new Driver(session, {
    apiKey: KEY,
    apiBaseUrl: base,
    sandbox,
    onEmit: (e) => events.push(e),
    onPersist: (snap) => persisted.push(snap),
    onProtocolError: (err) => events.push({ type: 'protocol_error', err }),
  });
  const close = async () => {
    driver.close();
    session.destroy();
    await server.close();
  };
  return { core, server, session, driver, events, persisted, close };
}

const text = (events) => events.filter((e) => e.type === 'text_delta').map((e) => e.text).join('');

for (const format of ['openai', 'anthropic']) {
  test(`${format}: a streamed text turn over real HTTP, with the key sent to its own endpoint`, async () => {
    const t = await setup(format);
    try {
      t.server.script([{ text: 'Hello from the scripted model — ünïcödé ✓' }]);
      const done = t.driver.turnDone();
      t.driver.userMessage('hi');
      assert.equal((await done).reason, 'completed');
      assert.equal(text(t.events), 'Hello from the scripted model — ünïcödé ✓');
      const req = t.server.requests[0];
      if (format === 'anthropic') {
        assert.equal(req.headers['x-api-key'], KEY);
        assert.equal(req.headers['anthropic-dangerous-direct-browser-access'], 'true');
        assert.equal(req.path, '/v1/messages');
      } else {
        assert.equal(req.headers.authorization, `Bearer ${KEY}`);
        assert.equal(req.path, '/v1/chat/completions');
      }
      assert.equal(req.body.stream, true);
      assert.ok(!t.events.some((e) => e.type === 'protocol_error'));
      assert.ok(t.persisted.length > 0, 'the turn was persisted');
      assert.ok(!JSON.stringify(t.persisted.map((p) => p.state)).includes(KEY), 'the key is never persisted');
    } finally {
      await t.close();
    }
  });

  test(`${format}: tool call → sandbox run with the uploaded file → result back to the model → answer`, async () => {
    const sandbox = recordingSandbox([
      (req) => ({
        ok: true,
        stdout: `rows: ${new TextDecoder().decode(req.files.write[0].bytes).trim().split('\n').length - 1}\n`,
        files: { created: [{ path: 'summary.txt', bytes: new TextEncoder().encode('3 rows') }] },
      }),
    ]);
    const t = await setup(format, { sandbox });
    try {
      t.driver.upload('sales.csv', new TextEncoder().encode('region,total\nN,1\nS,2\nE,3\n'), 'text/csv');
      t.server.script([
        { text: 'Let me count.', tool_calls: [{ id: format === 'anthropic' ? 'toolu_01A' : 'call_01A', arguments: JSON.stringify({ code: "import pandas\nprint('rows: 3')" }) }] },
        { text: 'There are 3 rows; I saved summary.txt.' },
      ]);
      const done = t.driver.turnDone();
      t.driver.userMessage('How many rows?');
      assert.equal((await done).reason, 'completed');
      assert.equal(sandbox.runs.length, 1);
      assert.equal(sandbox.runs[0].code, "import pandas\nprint('rows: 3')");
      assert.equal(sandbox.runs[0].files.write[0].path, 'sales.csv');
      assert.equal(new TextDecoder().decode(t.session.readFile('summary.txt')), '3 rows');
      const second = t.server.requests[1].body;
      const last = second.messages.at(-1);
      const resultText = format === 'anthropic' ? last.content[0].content : last.content;
      assert.match(resultText, /rows: 3/);
      assert.match(resultText, /summary\.txt/);
      assert.ok(t.events.some((e) => e.type === 'file_changed' && e.path === 'summary.txt'));
      const persistedFiles = t.persisted.flatMap((p) => p.files.write.map((f) => f.path));
      assert.ok(persistedFiles.includes('summary.txt'), 'the new file was handed to storage');
    } finally {
      await t.close();
    }
  });
}

test('the key is not sent to another origin even if a request points there', async () => {
  const t = await setup('openai');
  const other = await startLlmServer();
  try {
    // Point the session at a different server than the key was entered for.
    t.session.handle({ type: 'configure', provider: { format: 'openai', base_url: `${other.url}/v1`, model: 'm' }, now_ms: Date.now() });
    other.script([{ text: 'ok' }]);
    const done = t.driver.turnDone();
    t.driver.userMessage('hi');
    await done;
    assert.equal(other.requests.length, 1);
    assert.equal(other.requests[0].headers.authorization, undefined, 'no key for a foreign origin');
    assert.ok(!JSON.stringify(other.requests[0]).includes(KEY));
  } finally {
    await other.close();
    await t.close();
  }
});

test('stop during a slow stream aborts the fetch at once and keeps what arrived', async () => {
  const t = await setup('openai');
  try {
    t.server.script([{ text: 'one two three four five six seven eight nine ten eleven twelve', delay_ms: 40 }]);
    const done = t.driver.turnDone();
    t.driver.userMessage('count slowly');
    while (!text(t.events).includes('two')) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    t.driver.cancel();
    const d = await done;
    assert.equal(d.reason, 'cancelled');
    assert.ok(Date.now() - t0 < 50, 'the turn ends at once');
    const kept = t.session.conversation().entries.at(-1).text;
    assert.ok(kept.startsWith('one two'), `partial text kept: ${kept}`);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!t.events.some((e) => e.type === 'protocol_error'));
  } finally {
    await t.close();
  }
});

test('a stream cut mid-way ends the turn with a clear error', async () => {
  const t = await setup('anthropic');
  try {
    t.server.script([{ text: 'This answer will be cut off before it ends', cut_after: 5 }]);
    const done = t.driver.turnDone();
    t.driver.userMessage('hi');
    assert.equal((await done).reason, 'error');
    const err = t.events.find((e) => e.type === 'error').error;
    assert.ok(['stream', 'network'].includes(err.kind), JSON.stringify(err));
  } finally {
    await t.close();
  }
});

test('429 with Retry-After is retried after the wait, then succeeds', async () => {
  const t = await setup('openai');
  try {
    t.server.script([
      { status: 429, headers: { 'retry-after': '1' }, error: { type: 'rate_limit_exceeded', message: 'Rate limit reached for requests' } },
      { text: 'second time lucky' },
    ]);
    const done = t.driver.turnDone();
    const t0 = Date.now();
    t.driver.userMessage('hi');
    assert.equal((await done).reason, 'completed');
    assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
    assert.equal(t.events.filter((e) => e.type === 'retrying').length, 1);
    assert.equal(text(t.events), 'second time lucky');
    assert.equal(t.server.requests.length, 2);
  } finally {
    await t.close();
  }
});

test('a server that never answers times out with a clear message', async () => {
  const t = await setup('openai', { limits: { idle_timeout_ms: 300, request_timeout_ms: 300 } });
  try {
    t.server.script([{ hang: true }]);
    const done = t.driver.turnDone();
    t.driver.userMessage('hi');
    assert.equal((await done).reason, 'error');
    const err = t.events.find((e) => e.type === 'error').error;
    assert.equal(err.kind, 'timeout');
  } finally {
    await t.close();
  }
});

test('an unreachable endpoint is a network error that names the fix', async () => {
  const core = await loadBuiltCore();
  const session = core.createSession({ provider: { format: 'openai', base_url: 'http://127.0.0.1:1/v1', model: 'm' } });
  const events = [];
  const driver = new Driver(session, { onEmit: (e) => events.push(e) });
  const done = driver.turnDone();
  driver.userMessage('hi');
  assert.equal((await done).reason, 'error');
  const err = events.find((e) => e.type === 'error').error;
  assert.equal(err.kind, 'network');
  assert.match(err.message, /OLLAMA_ORIGINS/);
  driver.close();
  session.destroy();
});

test('an HTTP 401 is reported with the provider message and not retried', async () => {
  const t = await setup('openai');
  try {
    t.server.script([{ status: 401, error: { type: 'invalid_request_error', message: 'Incorrect API key provided.' } }]);
    const done = t.driver.turnDone();
    t.driver.userMessage('hi');
    assert.equal((await done).reason, 'error');
    const err = t.events.find((e) => e.type === 'error').error;
    assert.equal(err.kind, 'auth');
    assert.match(err.message, /Incorrect API key provided/);
    assert.equal(t.server.requests.length, 1);
  } finally {
    await t.close();
  }
});
