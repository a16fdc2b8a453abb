// dist/code-interpreter.js on a page of ANOTHER origin (a second 127.0.0.1
// port), with the page cross-origin isolated (COOP/COEP) and not:
// - <code-interpreter> with attributes (provider, base-url, model,
//   system-prompt, compact, no-persist) and the apiKey property runs a full
//   turn against the scripted model (tool call → Python → answer); a file
//   added from script is read by Python and read back; the host page sees the
//   element's events; the key is sent to the model server and is nowhere in
//   the DOM;
// - createSession on such a page: a message iterated to turn_done, a file the
//   code made read back, runCode, and cancel of `while True: pass` (isolated:
//   interrupted, variables kept; not isolated: restarted, variables gone).
// The app is served with CORS (serve.mjs --cors), as a host must for this.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, artifactPath } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { startHostServer, watchPage, until, sumTurnSteps, distWithConfig, SALES_CSV } from './embed-helpers.mjs';
import { requireBuiltApp } from './app-helpers.mjs';

const KEY = 'sk-embed-element-test-key';

function elementPage(appUrl, llmUrl) {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Host page</title>
<style>body { font-family: serif; margin: 1rem } code-interpreter { height: 640px; border: 1px solid #ccc }</style></head>
<body><h1>A page of another origin</h1>
<code-interpreter provider="custom" base-url="${llmUrl}/v1" model="gpt-4o-mini" system-prompt="Answer in one line." compact no-persist></code-interpreter>
<script type="module">
window.seen = [];
for (const name of ['ci-event', 'ci-message', 'ci-cell', 'ci-file', 'ci-turn', 'ci-ready', 'ci-error']) {
  document.addEventListener(name, (e) => window.seen.push({ name, detail: e.detail, composed: e.composed, bubbles: e.bubbles }));
}
// Set before the module defines the element: the element must take it over.
document.querySelector('code-interpreter').apiKey = '${KEY}';
window.ci = await import('${appUrl}/code-interpreter.js');
window.hostReady = true;
</script></body></html>`;
}

function sessionPage(appUrl) {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Headless host</title></head><body>
<script type="module">
window.ci = await import('${appUrl}/code-interpreter.js');
window.hostReady = true;
</script></body></html>`;
}

for (const isolated of process.env.ONLY_ISO ? [process.env.ONLY_ISO === '1'] : [true, false]) {
  test(`<code-interpreter> on another origin (host page ${isolated ? 'cross-origin isolated' : 'not isolated'}): a full turn, files, events`, async () => {
    requireBuiltApp();
    const dist = distWithConfig({}); // a copy: other builds of dist/ may run meanwhile
    const app = await startApp({ cors: true, dist: dist.dir });
    const llm = await startLlmServer();
    const host = await startHostServer({ isolation: isolated });
    host.pages['/element.html'] = elementPage(app.url, llm.url);
    const browser = await launchBrowser();
    try {
      assert.notEqual(new URL(host.url).origin, new URL(app.url).origin, 'the host page is another origin');
      llm.script(sumTurnSteps());
      const page = await browser.newPage();
      const problems = await watchPage(page);
      await page.goto(`${host.url}/element.html`);
      await page.waitForFunction(() => window.hostReady === true, null, { timeout: 30000 });
      assert.equal(await page.evaluate(() => crossOriginIsolated), isolated);
      await page.waitForFunction(() => {
        const vm = document.querySelector('code-interpreter').app?.vm;
        if (vm?.phase === 'failed') throw new Error(vm.fatal);
        return vm?.phase === 'ready' && vm.python.state === 'ready';
      }, null, { timeout: 120000 });
      assert.equal(await page.evaluate(() => document.querySelector('code-interpreter').app.sandbox.canInterrupt), isolated,
        'the interrupt buffer exists exactly when the host page is isolated');

      // The attributes became the settings, the key went to memory only.
      const settings = await page.evaluate(() => document.querySelector('code-interpreter').app.vm.settings);
      assert.equal(settings.preset, 'custom');
      assert.equal(settings.baseUrl, `${llm.url}/v1`);
      assert.equal(settings.model, 'gpt-4o-mini');
      assert.equal(settings.systemPromptExtra, 'Answer in one line.');
      assert.ok(await page.evaluate(() => document.querySelector('code-interpreter').app.vm.hasKey), 'the apiKey property reached the app');
      assert.ok(await page.evaluate(() => window.seen.some((s) => s.name === 'ci-ready')), 'ci-ready fired');

      // A file from script, read back.
      const added = await page.evaluate(async (csv) => {
        const el = document.querySelector('code-interpreter');
        const file = await el.addFile('sales.csv', new Blob([csv], { type: 'text/csv' }));
        return { file, back: new TextDecoder().decode(el.readFile('sales.csv')), list: el.listFiles().map((f) => f.path) };
      }, SALES_CSV);
      assert.equal(added.back, SALES_CSV, 'readFile gives back the bytes addFile put in');
      assert.equal(added.file.path, 'sales.csv');
      assert.deepEqual(added.list, ['sales.csv']);

      assert.equal(await page.evaluate(() => document.querySelector('code-interpreter').send('What is the total?')), true, 'send accepted');
      await until(() => page.evaluate(() => window.seen.some((s) => s.name === 'ci-turn')), { what: 'ci-turn', timeout: 90000 });
      await page.screenshot({ path: artifactPath(`embed-element-${isolated ? 'isolated' : 'plain'}.png`) });

      const seen = await page.evaluate(() => window.seen);
      const events = seen.filter((s) => s.name === 'ci-event').map((s) => s.detail);
      const types = events.map((e) => e.type);
      const turn = events.find((e) => e.type === 'turn_done');
      assert.equal(turn.reason, 'completed', `the turn completed (events: ${types.join(' ')})`);
      assert.ok(events.some((e) => e.type === 'message' && e.role === 'user' && e.text === 'What is the total?'), 'the user message');
      assert.ok(events.some((e) => e.type === 'text_delta'), 'streamed text');
      const started = events.find((e) => e.type === 'cell_started');
      assert.match(started.code, /sales\.csv/, 'the tool call ran');
      assert.ok(events.some((e) => e.type === 'stdout' && e.exec_id === started.exec_id && /total: 42/.test(e.text)), 'live stdout of the run');
      const finished = events.find((e) => e.type === 'cell_finished');
      assert.equal(finished.status, 'ok');
      assert.equal(finished.exec.result, '84');
      assert.ok(events.some((e) => e.type === 'file_changed' && e.path === 'total.txt' && e.change === 'created'), 'file_changed for the new file');
      const answer = events.filter((e) => e.type === 'message' && e.role === 'assistant').at(-1);
      assert.match(answer.text, /total is \*\*42\*\*/);
      // The named events carry the same data, and cross the shadow boundary.
      assert.ok(seen.some((s) => s.name === 'ci-message' && s.detail.role === 'assistant'), 'ci-message');
      assert.ok(seen.some((s) => s.name === 'ci-cell' && s.detail.type === 'cell_finished'), 'ci-cell');
      assert.ok(seen.some((s) => s.name === 'ci-file' && s.detail.path === 'total.txt'), 'ci-file');
      assert.ok(seen.every((s) => s.bubbles && s.composed), 'every event bubbles and is composed');
      assert.equal(await page.evaluate(() => new TextDecoder().decode(document.querySelector('code-interpreter').readFile('total.txt'))), 'total=42');

      // The model server got the key (for its own origin) and the system prompt.
      const posts = llm.requests.filter((r) => r.method === 'POST');
      assert.equal(posts.length, 2, 'two model requests (tool call, then answer)');
      assert.equal(posts[0].headers.authorization, `Bearer ${KEY}`);
      assert.match(JSON.stringify(posts[0].body.messages[0]), /Answer in one line\./, 'the system-prompt attribute reached the model');
      // …and the key is not in the DOM (attributes or text) nor in the page's storage.
      const keyInAttributes = await page.evaluate((k) => [...document.querySelectorAll('*')].some((el) => [...el.attributes].some((a) => a.value.includes(k))), KEY);
      assert.equal(keyInAttributes, false, 'no attribute holds the key');
      const stored = await page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
      assert.ok(!stored.includes('code-interpreter'), `no-persist: no conversation database on the host origin (${stored})`);

      assert.deepEqual(problems.errors, [], 'no page errors');
      assert.deepEqual(problems.violations, [], 'no CSP violations');
    } finally {
      await browser.close();
      await host.close();
      await llm.close();
      await app.close();
      dist.remove();
    }
  });

  test(`createSession on another origin (host page ${isolated ? 'cross-origin isolated' : 'not isolated'}): send, files, runCode, cancel`, async () => {
    requireBuiltApp();
    const dist = distWithConfig({}); // a copy: other builds of dist/ may run meanwhile
    const app = await startApp({ cors: true, dist: dist.dir });
    const llm = await startLlmServer();
    const host = await startHostServer({ isolation: isolated });
    host.pages['/session.html'] = sessionPage(app.url);
    const browser = await launchBrowser();
    try {
      llm.script(sumTurnSteps());
      const page = await browser.newPage();
      const problems = await watchPage(page);
      await page.goto(`${host.url}/session.html`);
      await page.waitForFunction(() => window.hostReady === true, null, { timeout: 30000 });
      assert.equal(await page.evaluate(() => crossOriginIsolated), isolated);

      const r = await page.evaluate(async ({ baseUrl, csv, key }) => {
        const collect = async (iterable) => { const out = []; for await (const e of iterable) out.push(e); return out; };
        const s = await window.ci.createSession({ provider: 'custom', baseUrl, model: 'gpt-4o-mini', apiKey: key, systemPrompt: 'Headless.' });
        window.session = s;
        const file = await s.addFile('sales.csv', csv);
        const turn = await collect(s.send('What is the total?'));
        const made = new TextDecoder().decode(s.readFile('total.txt'));
        const files = s.listFiles().map((f) => f.path).sort();
        const busy = [];
        const first = s.runCode('x = 5\nprint("set")');
        busy.push(...await collect(s.runCode('print(1)'))); // refused: a turn runs
        const run = await collect(first);
        // Cancel an endless loop once it runs.
        const loop = [];
        let t0 = 0;
        for await (const e of s.runCode('while True: pass')) {
          loop.push(e);
          if (e.type === 'cell_started') setTimeout(() => { t0 = performance.now(); s.cancel(); }, 800);
        }
        const after = await collect(s.runCode('print(x)'));
        const stopMs = performance.now() - t0; // cancel() → the next run has run
        const nodes = document.querySelectorAll('iframe').length;
        s.close();
        const closed = await collect(s.send('hello'));
        return { file, turn, made, files, busy, run, loop, stopMs, after, nodes, closed, framesAfterClose: document.querySelectorAll('iframe').length };
      }, { baseUrl: `${llm.url}/v1`, csv: SALES_CSV, key: KEY });

      assert.equal(r.file.path, 'sales.csv');
      const types = r.turn.map((e) => e.type);
      assert.equal(types.at(-1), 'turn_done', 'the iterable ends with turn_done');
      assert.equal(r.turn.at(-1).reason, 'completed');
      for (const t of ['message', 'text_delta', 'cell_started', 'stdout', 'cell_finished', 'file_changed']) assert.ok(types.includes(t), `${t} in ${types.join(' ')}`);
      assert.ok(r.turn.some((e) => e.type === 'stdout' && /total: 42/.test(e.text)));
      assert.equal(r.made, 'total=42', 'readFile of the file the code made');
      assert.deepEqual(r.files, ['sales.csv', 'total.txt']);
      assert.equal(llm.requests.filter((q) => q.method === 'POST')[0].headers.authorization, `Bearer ${KEY}`);

      assert.deepEqual(r.busy.map((e) => [e.type, e.error?.kind]), [['error', 'busy']], 'a second turn while one runs is refused');
      assert.ok(r.run.some((e) => e.type === 'stdout' && e.text.includes('set')), 'runCode streams stdout');
      assert.equal(r.run.at(-1).type, 'turn_done');

      const loopDone = r.loop.at(-1);
      assert.equal(loopDone.type, 'turn_done');
      assert.equal(loopDone.reason, 'cancelled', 'cancel() ended the endless loop');
      // (A cancelled run's cell_finished may come after turn_done, when the iterable has ended.)
      const loopCell = r.loop.find((e) => e.type === 'cell_finished');
      if (loopCell) assert.equal(loopCell.status, 'cancelled');
      assert.ok(r.stopMs < 30000, `stopped and ran again in ${Math.round(r.stopMs)} ms`);
      const out = r.after.filter((e) => e.type === 'stdout').map((e) => e.text).join('');
      const afterCell = r.after.find((e) => e.type === 'cell_finished');
      if (isolated) {
        assert.ok(!r.loop.some((e) => e.type === 'notice' && /restarted/.test(e.text)), 'isolated: interrupted, not restarted');
        assert.equal(out.trim(), '5', 'isolated: variables survive the stop');
      } else {
        assert.equal(afterCell.exec.error?.type, 'NameError', 'not isolated: the stop restarted Python (variables gone)');
        assert.ok(r.loop.some((e) => e.type === 'notice' && /restarted/.test(e.text)), 'not isolated: the restart is told');
      }
      assert.ok(r.nodes >= 1, 'the sandbox frame was in the page');
      assert.equal(r.framesAfterClose, 0, 'close() removed the sandbox frame');
      assert.deepEqual(r.closed.map((e) => [e.type, e.error?.kind]), [['error', 'closed']]);
      console.log(`[embed] createSession (${isolated ? 'isolated' : 'not isolated'}): cancel() of an endless loop → the next run done in ${Math.round(r.stopMs)} ms`);
      assert.deepEqual(problems.errors, [], 'no page errors');
      assert.deepEqual(problems.violations, [], 'no CSP violations');
    } finally {
      await browser.close();
      await host.close();
      await llm.close();
      await app.close();
      dist.remove();
    }
  });
}
