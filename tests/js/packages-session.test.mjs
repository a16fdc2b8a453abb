// Packages through the Session with the built core, real Pyodide (NodeSandbox)
// and the local PEP 691 index: the model's code imports a package that is
// not there; the Session asks (public event package_consent), the answer
// installs the three-wheel chain; the next request's system prompt lists
// it; a restarted Python has it again without a question; with no one to
// ask (ask: 'deny') the run says it was not installed.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltCore } from './load-core.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { startIndexServer } from '../support/pep691-server.mjs';
import { Session } from '../../js_glue/session.mjs';
import { nodeSandbox } from '../../js_glue/node.mjs';

const collect = async (stream, onEvent = () => {}) => { const out = []; for await (const e of stream) { out.push(e); onEvent(e); } return out; };
const toolCall = (id, code) => ({ tool_calls: [{ id, name: 'python', arguments: JSON.stringify({ code }) }] });

test('import → consent → chain installed → listed to the model → back after a restart', async (t) => {
  const core = await loadBuiltCore();
  const llm = await startLlmServer();
  const index = await startIndexServer();
  const kept = new Map();
  const session = new Session({
    core,
    createSandbox: nodeSandbox(),
    settings: { format: 'openai', baseUrl: `${llm.url}/v1`, model: 'gpt-4o-mini' },
    apiKey: 'sk-test',
    waitForPython: true,
    packages: { indexes: [index.url], ask: 'user' },
    packageStore: { get: async (id) => kept.get(id) ?? null, put: async (id, st) => { kept.set(id, structuredClone(st)); } },
  });
  t.after(async () => { await session.close(); await llm.close(); await index.close(); });
  session.newConversation('pk1');
  const questions = [];
  let answeredAt = 0;
  session.on('event', (e) => {
    if (e.type !== 'package_consent') return;
    questions.push(e);
    answeredAt = performance.now();
    session.answerConsent(e.request_id, true, { forConversation: true });
  });
  llm.script([toolCall('c1', 'import ci_chain_a\nprint(ci_chain_a.VALUE)'), { text: 'done' }]);
  let finishedAt = 0;
  const events = await collect(session.send('Use ci-chain-a.'), (e) => { if (e.type === 'cell_finished') finishedAt = performance.now(); });
  const cell = events.find((e) => e.type === 'cell_finished');
  assert.equal(cell.status, 'ok', JSON.stringify(cell.exec?.error));
  assert.equal(cell.exec.stdout.trim(), 'a+b+c');
  assert.equal(questions.length, 1);
  assert.deepEqual(questions[0].packages.map((p) => p.name), ['ci-chain-c', 'ci-chain-b', 'ci-chain-a']);
  assert.ok(events.some((e) => e.type === 'package_consent_done' && e.allow));
  t.diagnostic(`consent → import done for a three-wheel chain: ${Math.round(finishedAt - answeredAt)} ms`);
  assert.deepEqual(kept.get('pk1').installed.map((r) => r.name), ['ci-chain-c', 'ci-chain-b', 'ci-chain-a']);

  // The next model request's system prompt lists what was installed (the
  // Session configures the core right after the turn, a task later).
  await new Promise((resolve) => setTimeout(resolve, 0));
  llm.script([{ text: 'ok' }]);
  await collect(session.send('What is installed?'));
  const last = llm.requests.filter((q) => q.path.endsWith('/chat/completions')).at(-1);
  assert.match(JSON.stringify(last.body.messages[0]), /ci-chain-a==1\.0\.0/);
  assert.match(JSON.stringify(last.body.messages[0]), /%pip install/);

  // A restarted Python gets the chain back before its first run, without a question.
  await session.sandbox.restart();
  llm.script([toolCall('c2', 'import ci_chain_a\nprint(ci_chain_a.VALUE)'), { text: 'again' }]);
  const again = await collect(session.send('Again.'));
  const cell2 = again.find((e) => e.type === 'cell_finished');
  assert.equal(cell2.status, 'ok', JSON.stringify(cell2.exec?.error));
  assert.equal(questions.length, 1);
});

test('headless default: nobody to ask, so nothing is installed and the run says so', async (t) => {
  const core = await loadBuiltCore();
  const index = await startIndexServer();
  const session = new Session({ core, createSandbox: nodeSandbox(), waitForPython: true, packages: { indexes: [index.url] } });
  t.after(async () => { await session.close(); await index.close(); });
  session.newConversation('pk2');
  const events = await collect(session.runCode('import ci_plain'));
  const cell = events.find((e) => e.type === 'cell_finished');
  assert.equal(cell.status, 'error');
  assert.match(cell.exec.stderr, /the user declined ci-plain 1\.0\.0/);
  assert.ok(!index.hits.some((h) => h.startsWith('/files/ci_plain-1.0.0-py3-none-any.whl') && !h.endsWith('.metadata')), 'no wheel fetched without consent');
});
