// A reasoning model over the Responses API, end to end in Node: the built
// core, the Session and the strict scripted server over real HTTP. With
// `reasoning` on, the request asks for the reasoning encrypted, the server
// streams it so, and the turn's next request hands it back whole before the
// call it led to (which the strict server checks as OpenAI does); the next
// turn starts without it. With it off, nothing of the kind is sent.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltCore } from './load-core.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { Session } from '../../js_glue/session.mjs';
import { FakeSandbox } from '../support/fake-sandbox.mjs';

const drain = async (stream) => { const out = []; for await (const e of stream) out.push(e); return out; };
const encrypted = (thinking) => `enc:${Buffer.from(thinking).toString('base64')}`;

async function setup(settings) {
  const core = await loadBuiltCore();
  const server = await startLlmServer();
  const session = new Session({
    core,
    createSandbox: (hooks) => {
      const sandbox = new FakeSandbox(hooks);
      sandbox.answer = () => ({ ok: true, status: 'ok', stdout: '42\n', stderr: '', result: null, error: null, outputs: [], files: { created: [], modified: [], deleted: [] }, ms: 1 });
      return sandbox;
    },
    settings: { format: 'responses', baseUrl: `${server.url}/v1`, model: 'o4-mini', ...settings },
    apiKey: 'sk-test',
  });
  return { server, session, close: async () => { await session.close(); await server.close(); } };
}

const turn = (thinking) => [
  { thinking, tool_calls: [{ id: 'call_1', name: 'python', arguments: JSON.stringify({ code: 'print(6*7)' }) }] },
  { text: '42.' },
];

test('reasoning on: asked for encrypted, handed back within the turn, dropped at the next', async () => {
  const t = await setup({ reasoning: true, reasoningSummary: true });
  try {
    t.session.newConversation('reasoning');
    t.server.script(turn('Multiply six by seven.'));
    const events = await drain(t.session.send('What is 6 times 7?'));
    assert.equal(events.at(-1).reason, 'completed', JSON.stringify(events.filter((e) => e.type === 'error')));
    const [first, second] = t.server.requests.map((q) => q.body);
    assert.deepEqual(first.include, ['reasoning.encrypted_content']);
    assert.deepEqual(first.reasoning, { summary: 'auto' });
    const reasoning = second.input.filter((i) => i.type === 'reasoning');
    assert.equal(reasoning.length, 1, JSON.stringify(second.input));
    assert.equal(reasoning[0].encrypted_content, encrypted('Multiply six by seven.'));
    const at = second.input.indexOf(reasoning[0]);
    assert.equal(second.input[at + 1].type, 'function_call', 'right before the call it led to');
    assert.deepEqual(t.server.violations(), [], 'the strict server took every request');
    assert.ok(events.some((e) => e.type === 'thinking_delta'), 'the summary was shown as thinking');

    t.server.script([{ text: '56.' }]);
    await drain(t.session.send('And 7 times 8?'));
    const third = t.server.requests.at(-1).body;
    assert.equal(third.input.filter((i) => i.type === 'reasoning').length, 0, 'the earlier turn\'s reasoning is not resent');
  } finally {
    await t.close();
  }
});

test('reasoning off: no include, no reasoning items back', async () => {
  const t = await setup({});
  try {
    t.session.newConversation('plain');
    t.server.script(turn('Multiply.'));
    await drain(t.session.send('What is 6 times 7?'));
    for (const q of t.server.requests) {
      assert.equal(q.body.include, undefined);
      assert.equal(q.body.reasoning, undefined);
      assert.ok(!q.body.input.some((i) => i.type === 'reasoning'));
    }
    assert.deepEqual(t.server.violations(), []);
  } finally {
    await t.close();
  }
});
