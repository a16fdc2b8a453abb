// The context budget end to end in Node: the built core, the Session, the
// strict scripted server over real HTTP enforcing a context window with the
// providers' real errors, and a fake sandbox whose runs print a lot. A
// 200-turn conversation never overflows the window, the Session says when
// it trimmed, and a window the core does not know is recovered from the
// provider's "context length exceeded" with one retry.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltCore } from './load-core.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { Session } from '../../js_glue/session.mjs';
import { FakeSandbox } from '../support/fake-sandbox.mjs';

const toolCall = (id, code) => ({ tool_calls: [{ id, name: 'python', arguments: JSON.stringify({ code }) }] });
const drain = async (stream) => { const out = []; for await (const e of stream) out.push(e); return out; };

async function setup({ window, settings = {}, format = 'openai' }) {
  const core = await loadBuiltCore();
  const server = await startLlmServer({ contextWindow: window });
  let sandbox;
  const session = new Session({
    core,
    createSandbox: (hooks) => {
      sandbox = new FakeSandbox(hooks);
      // Every run prints about 6 KB, as a DataFrame dump or a long log does.
      sandbox.answer = (req) => ({ ok: true, status: 'ok', stdout: `${req.code}\n${'row 1234, 5678.9, some text\n'.repeat(220)}`, stderr: '', result: null, error: null, outputs: [], files: { created: [], modified: [], deleted: [] }, ms: 1 });
      return sandbox;
    },
    settings: { format, baseUrl: `${server.url}/v1`, model: 'gpt-4o-mini', ...settings },
    apiKey: 'sk-test',
  });
  const publicEvents = [];
  session.on('event', (e) => publicEvents.push(e));
  return { server, session, publicEvents, close: async () => { await session.close(); await server.close(); } };
}

for (const format of ['openai', 'anthropic', 'responses']) {
  test(`${format}: 200 turns with large outputs stay under the enforced window, and the trimming is announced`, { timeout: 120000 }, async () => {
    const WINDOW = 16000;
    const t = await setup({ window: WINDOW, settings: { contextWindow: WINDOW }, format });
    try {
      t.session.newConversation('long');
      for (let turn = 1; turn <= 200; turn++) {
        t.server.script([toolCall(`call_${turn}`, `print(report(${turn}))`), { text: `Turn ${turn} done.` }]);
        const events = await drain(t.session.send(`Report ${turn}, please.`));
        const done = events.at(-1);
        assert.equal(done.type, 'turn_done');
        assert.equal(done.reason, 'completed', `turn ${turn}: ${JSON.stringify(events.filter((e) => e.type === 'error'))}`);
      }
      const chat = t.server.requests.filter((q) => q.format === format);
      assert.equal(chat.length, 400, 'one request per step, none refused and retried');
      assert.deepEqual(t.server.violations().filter((v) => v.invalid?.length), [], 'no malformed request');
      assert.equal(chat.filter((q) => q.overWindow).length, 0, 'no request over the window');
      const largest = Math.max(...chat.map((q) => q.estimate));
      assert.ok(largest <= WINDOW, `largest request ${largest} tokens`);
      assert.ok(largest > WINDOW / 3, `the budget is used, not starved: ${largest}`);
      const trims = t.publicEvents.filter((e) => e.type === 'context_trimmed');
      assert.ok(trims.length > 0, 'the Session announced the trimming');
      assert.ok(trims.some((e) => e.turns_dropped > 0), 'old turns were dropped once notes were not enough');
      // The last request still carries the current turn whole, and the system prompt.
      const last = chat.at(-1).body;
      const text = JSON.stringify(last);
      assert.match(text, /Report 200, please\./);
      assert.match(text, /print\(report\(200\)\)/);
      assert.match(text, /trimmed to fit the context window|were left out to fit the model's context window/);
    } finally {
      await t.close();
    }
  });
}

test('a window the core does not know: the provider\'s context_length_exceeded is retried once, trimmed harder', { timeout: 60000 }, async () => {
  const t = await setup({ window: 9000 });
  try {
    t.session.newConversation('unknown-window');
    let refusedOnce = false;
    for (let turn = 1; turn <= 12; turn++) {
      t.server.script([toolCall(`call_${turn}`, `print(${turn})`), { text: 'ok' }]);
      const events = await drain(t.session.send(`Turn ${turn}`));
      assert.equal(events.at(-1).reason, 'completed', JSON.stringify(events.filter((e) => e.type === 'error' || e.type === 'retrying')));
      if (events.some((e) => e.type === 'retrying')) refusedOnce = true;
    }
    const chat = t.server.requests.filter((q) => q.format === 'openai');
    assert.ok(refusedOnce && chat.some((q) => q.overWindow), 'the window was hit and recovered from');
    assert.ok(t.publicEvents.some((e) => e.type === 'context_trimmed' && e.retried === true));
    // Once learned, later requests stay under without another refusal each time.
    const refusals = chat.filter((q) => q.overWindow).length;
    assert.ok(refusals <= 2, `refused ${refusals} times`);
  } finally {
    await t.close();
  }
});
