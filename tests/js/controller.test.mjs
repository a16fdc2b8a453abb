// The app's controller (web/app/controller.mjs) in Node: its view model over
// the Session, with the built core, the scripted LLM server over real HTTP,
// a fake sandbox and the in-memory store. No browser: these test the
// controller's own rules (settings and keys per preset and origin, the turn
// as the view shows it, queueing, titles, conversations); the browser tests
// prove the DOM and the real sandbox.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadBuiltCore } from './load-core.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { FakeSandbox } from '../support/fake-sandbox.mjs';
import { AppController } from '../../web/app/controller.mjs';

const KEY = 'sk-controller-test-0123456789';

async function setup() {
  const core = await loadBuiltCore();
  const server = await startLlmServer();
  let sandbox;
  const app = new AppController({
    baseURI: 'http://app.invalid/', persist: false, probeLocal: false, config: {},
    core, createSandbox: (hooks) => (sandbox = new FakeSandbox(hooks)),
  });
  await app.init();
  assert.equal(app.vm.phase, 'ready', app.vm.fatal);
  const close = async () => { await app.ci.close(); await server.close(); };
  return { app, server, sandbox: () => sandbox, close };
}

/** Resolves once the view says the turn ended (vm.running false after a turn began). */
function turnEnds(app) {
  return new Promise((resolve) => {
    let began = false;
    const on = () => {
      if (app.vm.running) began = true;
      else if (began) { app.removeEventListener('change', on); resolve(); }
    };
    app.addEventListener('change', on);
  });
}

const chats = (server) => server.requests.filter((q) => q.path.endsWith('/chat/completions'));

test('a turn as the view shows it: items from the core, the turn\'s usage with its cached tokens, the title', async () => {
  const t = await setup();
  try {
    await t.app.saveSettings({ preset: 'custom', baseUrl: `${t.server.url}/v1/`, format: 'openai', model: 'gpt-4o-mini' }, KEY);
    assert.equal(t.app.vm.settings.baseUrl, `${t.server.url}/v1`, 'the trailing slash goes');
    t.server.script([
      { tool_calls: [{ id: 'call_1', name: 'python', arguments: JSON.stringify({ code: 'print(2 + 2)' }) }], usage: { prompt_tokens: 100, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 60 } } },
      { text: 'Four.', usage: { prompt_tokens: 150, completion_tokens: 3 } },
    ]);
    const ended = turnEnds(t.app);
    assert.equal(t.app.ask('What is 2 + 2?'), true);
    await ended;
    assert.deepEqual(t.app.vm.items.map((i) => i.kind), ['user', 'cell', 'assistant']);
    assert.equal(t.app.vm.items[2].text, 'Four.');
    assert.equal(chats(t.server)[0].headers.authorization, `Bearer ${KEY}`);
    const u = t.app.vm.turnUsage.get(1);
    assert.deepEqual({ input: u.input, cached: u.cached, output: u.output }, { input: 250, cached: 60, output: 13 }, 'both replies, cached tokens counted once');
    assert.ok(t.app.vm.title, 'the core gave the conversation a title');
  } finally {
    await t.close();
  }
});

test('keys per preset and origin: a key follows its origin, not the base URL field', async () => {
  const t = await setup();
  const other = await startLlmServer();
  try {
    await t.app.saveSettings({ preset: 'custom', baseUrl: `${t.server.url}/v1`, model: 'm' }, KEY);
    assert.equal(t.app.vm.hasKey, true);
    // The same preset pointed at another origin, with the key field left empty: the key stays with its origin.
    await t.app.saveSettings({ baseUrl: `${other.url}/v1` }, '');
    assert.equal(t.app.vm.hasKey, false);
    assert.equal(await t.app.keyFor('custom'), '', 'the dialog does not show a key that belongs elsewhere');
    other.script([{ text: 'hi' }]);
    let ended = turnEnds(t.app);
    t.app.ask('Hello');
    await ended;
    assert.equal(chats(other)[0].headers.authorization, undefined, 'no key to the other origin');
    assert.equal(t.app.coreConfig().provider.auth, 'none');
    // Back on its own origin, it is used again.
    await t.app.saveSettings({ baseUrl: `${t.server.url}/v1` }, undefined);
    assert.equal(t.app.vm.hasKey, true);
    t.server.script([{ text: 'hi' }]);
    ended = turnEnds(t.app);
    t.app.ask('Hello again');
    await ended;
    assert.equal(chats(t.server).at(-1).headers.authorization, `Bearer ${KEY}`);
    // The model list asked from the dialog follows the same rule.
    await t.app.listModels({ baseUrl: `${other.url}/v1`, format: 'openai' }, { key: KEY, keyOrigin: new URL(t.server.url).origin });
    assert.equal(other.requests.filter((q) => q.path.endsWith('/models')).at(-1).headers.authorization, undefined);
  } finally {
    await other.close();
    await t.close();
  }
});

test('refusals say why: no model, nothing to run; a run while a turn runs waits for it; Stop drops what waited', async () => {
  const t = await setup();
  try {
    await t.app.saveSettings({ preset: 'custom', baseUrl: '', model: '' }, '');
    const noModel = t.app.trySend('Hello');
    assert.equal(noModel.ok, false);
    assert.equal(noModel.error.code, 'no_model');
    assert.ok(t.app.vm.toasts.some((x) => /Settings/.test(x.text)), 'and the user is told');
    assert.equal(t.app.tryRunCode('   ').error.code, 'empty');

    const sandbox = t.sandbox();
    let release;
    sandbox.hold = new Promise((r) => { release = r; });
    assert.equal(t.app.runCode('first = 1'), true);
    assert.equal(t.app.runCode('second = 2'), true, 'accepted: it waits for the running turn');
    t.app.rerunAll(); // the cells shown so far (the first) again, behind them
    assert.equal(t.app.ci.queued, 2);
    release();
    await new Promise((resolve) => {
      const on = () => { if (sandbox.runs.length === 3 && !t.app.vm.running) { t.app.removeEventListener('change', on); resolve(); } };
      t.app.addEventListener('change', on);
    });
    assert.deepEqual(sandbox.runs.map((r) => r.code), ['first = 1', 'second = 2', 'first = 1']);

    sandbox.hold = new Promise(() => {});
    const stopped = turnEnds(t.app);
    t.app.runCode('while True: pass');
    t.app.runCode('never = 1');
    t.app.stop();
    assert.equal(t.app.ci.queued, 0);
    await stopped;
    assert.equal(t.app.ci.running, false, 'nothing started after the stopped turn');
    assert.ok(!sandbox.runs.some((r) => r.code === 'never = 1'));
  } finally {
    await t.close();
  }
});

test('conversations: a rename goes through the core and outlives its automatic title; a new conversation gets a fresh Python; reopening offers to re-run', async () => {
  const t = await setup();
  try {
    await t.app.saveSettings({ preset: 'custom', baseUrl: `${t.server.url}/v1`, model: 'm' }, '');
    const first = t.app.vm.currentId;
    let ended = turnEnds(t.app);
    t.app.runCode('x = 1');
    await ended;
    await t.app.flushSaves();
    await t.app.renameConversation(first, 'My analysis');
    assert.equal(t.app.vm.title, 'My analysis');
    const conv = t.app.ci.conversation();
    assert.deepEqual([conv.title, conv.custom_title], ['My analysis', true], 'the core holds the rename');
    t.server.script([{ text: 'Noted.' }]);
    ended = turnEnds(t.app);
    t.app.ask('Remember this.');
    await ended;
    assert.equal(t.app.vm.title, 'My analysis', 'a turn does not replace it');

    await t.app.newConversation();
    assert.notEqual(t.app.vm.currentId, first);
    assert.deepEqual(t.sandbox().restarts.map((r) => r.notify), [false], 'a fresh Python, silently');
    await t.app.open(first);
    assert.equal(t.app.vm.title, 'My analysis', 'kept with the conversation');
    assert.equal(t.app.vm.restored, true, 'its cells can be re-run');
    assert.equal(t.app.vm.conversations.find((c) => c.id === first).title, 'My analysis');
  } finally {
    await t.close();
  }
});

test('local model servers are looked for only when the user asks, never on start', async () => {
  const core = await loadBuiltCore();
  const asked = [];
  const app = new AppController({
    baseURI: 'http://app.invalid/', persist: false, config: {}, // probeLocal left at its default
    core, createSandbox: (hooks) => new FakeSandbox(hooks),
  });
  await app.init();
  try {
    const list = app.ci.listModels.bind(app.ci);
    app.ci.listModels = (settings, options) => { asked.push(settings.baseUrl); return list(settings, options); };
    assert.equal(app.vm.firstStart, true);
    assert.equal(app.vm.localSearch, '', 'no search was started by init');
    assert.deepEqual(asked, [], 'no request to localhost on start');
    const searching = app.findLocalServers();
    assert.equal(app.vm.localSearch, 'searching');
    const found = await searching;
    assert.equal(app.vm.localSearch, 'done');
    assert.deepEqual(asked.sort(), ['http://localhost:11434/v1', 'http://localhost:8080/v1'].sort());
    assert.ok(Array.isArray(found));
    assert.deepEqual(app.vm.localServers, found);
  } finally {
    await app.ci.close();
  }
});
