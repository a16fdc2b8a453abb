// The embed on a page of ANOTHER origin, in every engine (as
// tests/e2e/embed-element.test.mjs, on the driver interface): a host page on
// a second 127.0.0.1 port loads dist/code-interpreter.js from the app's
// server (served with CORS).
// - <code-interpreter> (attributes + the apiKey property), host page not
//   isolated: a file through the element's own file input, a Python-mode
//   cell typed and run in the element, a full turn with the scripted model
//   typed into the element; the host sees the events; the key goes to the
//   model server only.
// - createSession (headless), host page cross-origin isolated: a turn, a
//   file back, runCode, cancel of `while True: pass` (interrupt where the
//   host page has SharedArrayBuffer, else restart).
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp } from '../../e2e/harness.mjs';
import { startHostServer, distWithConfig, sumTurnSteps, SALES_CSV } from '../../e2e/embed-helpers.mjs';
import { startLlmServer } from '../../support/llm-server.mjs';
import {
  defineFlows, newPage, closePage, installCanaries, waitReady, vm, pythonMode, typeAndRun, waitCellDone, waitIdle, readAppFile, canaries,
} from './common.mjs';

const KEY = 'sk-engines-embed-key';

function elementPage(appUrl, llmUrl) {
  return `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Host page</title>
<style>body { font-family: serif; margin: 1rem } code-interpreter { height: 700px; border: 1px solid #ccc }</style></head>
<body><h1>A page of another origin</h1>
<code-interpreter provider="custom" base-url="${llmUrl}/v1" model="gpt-4o-mini" system-prompt="Answer in one line." compact no-persist></code-interpreter>
<script type="module">
window.seen = [];
for (const name of ['ci-event', 'ci-message', 'ci-cell', 'ci-file', 'ci-turn', 'ci-ready', 'ci-error']) {
  document.addEventListener(name, (e) => window.seen.push({ name, detail: e.detail, composed: e.composed, bubbles: e.bubbles }));
}
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

let dist;
let app;
let llm;
let plainHost;
let isoHost;
async function servers() {
  if (app) return;
  dist = distWithConfig({}); // a copy: other builds of dist/ may run meanwhile
  app = await startApp({ cors: true, dist: dist.dir, checkout: false });
  llm = await startLlmServer();
  plainHost = await startHostServer({ isolation: false });
  isoHost = await startHostServer({ isolation: true });
  plainHost.pages['/element.html'] = elementPage(app.url, llm.url);
  isoHost.pages['/session.html'] = sessionPage(app.url);
}
after(async () => {
  await Promise.all([app?.close(), llm?.close(), plainHost?.close(), isoHost?.close()]);
  dist?.remove();
});

defineFlows(import.meta.url, [
  {
    name: 'embed element on a second origin',
    async run({ browser, log, notes }) {
      const page = await newPage(browser);
      try {
        assert.notEqual(new URL(plainHost.url).origin, new URL(app.url).origin, 'the host page is another origin');
        await page.goto(`${plainHost.url}/element.html`);
        await page.waitFor(() => window.hostReady === true, null, { timeout: 30000 });
        await installCanaries(page);
        await waitReady(page);
        const facts = await page.evaluate(() => {
          const el = document.querySelector('code-interpreter');
          return { isolated: self.crossOriginIsolated, stop: el.app.vm.python.stop, settings: el.app.vm.settings, hasKey: el.app.vm.hasKey, shape: el.app.sandbox.workerShape, ready: window.seen.some((s) => s.name === 'ci-ready') };
        });
        log(`element: host isolated ${facts.isolated}, stop ${JSON.stringify(facts.stop)}, workerShape ${facts.shape}`);
        Object.assign(notes, { isolated: facts.isolated, stop: facts.stop, workerShape: facts.shape });
        assert.equal(facts.isolated, false);
        assert.equal(facts.stop.interrupt, false, 'a host page that is not isolated: Stop restarts');
        assert.equal(facts.settings.preset, 'custom');
        assert.equal(facts.settings.baseUrl, `${llm.url}/v1`);
        assert.equal(facts.settings.model, 'gpt-4o-mini');
        assert.equal(facts.settings.systemPromptExtra, 'Answer in one line.');
        assert.ok(facts.hasKey, 'the apiKey property reached the app');
        assert.ok(facts.ready, 'ci-ready fired');

        // A file through the element's own file input; a Python-mode cell typed into the element.
        await page.setInputFiles('code-interpreter >> ci-composer >> input[type=file]', [{ name: 'sales.csv', mimeType: 'text/csv', buffer: Buffer.from(SALES_CSV) }]);
        await page.waitFor(() => document.querySelector('code-interpreter').listFiles().some((f) => f.path === 'sales.csv'));
        await pythonMode(page);
        await typeAndRun(page, "rows = open('sales.csv').read().split()\nprint(len(rows), rows[0])");
        const cell = await waitCellDone(page, 0);
        assert.equal(cell.status, 'Done', JSON.stringify(cell));
        assert.equal(cell.stdout, '3 region,total\n');

        // A full turn typed into the element (Ask mode, Enter).
        const before = llm.requests.length;
        llm.script(sumTurnSteps());
        await page.click('code-interpreter >> ci-composer >> .seg button:first-child');
        await page.waitFor(() => document.querySelector('code-interpreter').shadowRoot.querySelector('ci-composer').mode === 'ask');
        await page.fill('code-interpreter >> ci-composer >> textarea', 'What is the total?');
        await page.press('code-interpreter >> ci-composer >> textarea', 'Enter');
        await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant' && i.text.includes('42')), 120000);
        await page.waitFor(() => window.seen.filter((s) => s.name === 'ci-turn').length >= 2); // the cell's turn, then this one

        const seen = await page.evaluate(() => window.seen);
        const events = seen.filter((s) => s.name === 'ci-event').map((s) => s.detail);
        const turns = events.filter((e) => e.type === 'turn_done');
        assert.equal(turns.at(-1).reason, 'completed', `the turn completed: ${events.map((e) => e.type).join(' ')}`);
        assert.ok(events.some((e) => e.type === 'message' && e.role === 'user' && e.text === 'What is the total?'), 'the typed message');
        assert.ok(events.some((e) => e.type === 'text_delta'), 'streamed text');
        const finished = events.filter((e) => e.type === 'cell_finished').at(-1);
        assert.equal(finished.status, 'ok');
        assert.equal(finished.exec.result, '84');
        assert.ok(events.some((e) => e.type === 'stdout' && /total: 42/.test(e.text)), 'live stdout of the tool call');
        assert.ok(events.some((e) => e.type === 'file_changed' && e.path === 'total.txt'), 'file_changed for the new file');
        assert.ok(seen.some((s) => s.name === 'ci-message' && s.detail.role === 'assistant'), 'ci-message');
        assert.ok(seen.some((s) => s.name === 'ci-file' && s.detail.path === 'total.txt'), 'ci-file');
        assert.ok(seen.every((s) => s.bubbles && s.composed), 'every event bubbles and is composed');
        assert.equal((await readAppFile(page, 'total.txt')).toString(), 'total=42');
        const answer = await page.evaluate(() => [...document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot.querySelectorAll('.prose strong')].map((s) => s.textContent));
        assert.ok(answer.includes('42'), `the answer rendered in the element: ${JSON.stringify(answer)}`);

        const posts = llm.requests.slice(before).filter((r) => r.method === 'POST');
        assert.equal(posts.length, 2, 'two model requests (tool call, then answer)');
        assert.equal(posts[0].headers.authorization, `Bearer ${KEY}`);
        assert.match(JSON.stringify(posts[0].body.messages[0]), /Answer in one line\./);
        const exposed = await page.evaluateAsync(async (k) => ({
          inAttributes: [...document.querySelectorAll('*')].some((el) => [...el.attributes].some((a) => a.value.includes(k))),
          databases: typeof indexedDB.databases === 'function' ? (await indexedDB.databases()).map((d) => d.name) : null,
          storage: JSON.stringify({ ...localStorage }).includes(k) || JSON.stringify({ ...sessionStorage }).includes(k),
        }), KEY);
        assert.equal(exposed.inAttributes, false, 'no attribute holds the key');
        assert.equal(exposed.storage, false, 'the key is in no web storage of the host');
        if (exposed.databases) assert.ok(!exposed.databases.includes('code-interpreter'), `no-persist: no conversation database on the host origin (${exposed.databases})`);
        const c = await canaries(page);
        assert.equal(c.pwned, 0);
        assert.deepEqual(c.dialogs, []);
        const items = (await vm(page)).items.map((i) => i.kind);
        log(`element items: ${items.join(' ')}`);
      } finally {
        await closePage(page);
      }
    },
  },
  {
    name: 'embed createSession (headless) on a second origin',
    async run({ browser, log, notes }) {
      const page = await newPage(browser);
      try {
        await page.goto(`${isoHost.url}/session.html`);
        await page.waitFor(() => window.hostReady === true, null, { timeout: 30000 });
        const host = await page.evaluate(() => ({ isolated: self.crossOriginIsolated, sab: typeof SharedArrayBuffer === 'function' }));
        const interrupts = host.isolated && host.sab;
        Object.assign(notes, host, { interrupts });
        log(`session host: ${JSON.stringify(host)}`);
        assert.equal(host.isolated, true, 'the host page sends COOP/COEP');

        llm.script(sumTurnSteps());
        const before = llm.requests.length;
        // In steps (each evaluate well under the drivers' script timeout).
        const turn = await page.evaluateAsync(async ({ baseUrl, csv, key }) => {
          const collect = async (iterable) => { const out = []; for await (const e of iterable) out.push(e); return out; };
          const s = await window.ci.createSession({ provider: 'custom', baseUrl, model: 'gpt-4o-mini', apiKey: key, systemPrompt: 'Headless.' });
          window.session = s;
          const file = await s.addFile('sales.csv', csv);
          const events = await collect(s.send('What is the total?'));
          return { file, events, made: new TextDecoder().decode(s.readFile('total.txt')), files: s.listFiles().map((f) => f.path).sort() };
        }, { baseUrl: `${llm.url}/v1`, csv: SALES_CSV, key: KEY });
        const types = turn.events.map((e) => e.type);
        assert.equal(turn.file.path, 'sales.csv');
        assert.equal(types.at(-1), 'turn_done');
        assert.equal(turn.events.at(-1).reason, 'completed', types.join(' '));
        assert.ok(turn.events.some((e) => e.type === 'stdout' && /total: 42/.test(e.text)));
        assert.equal(turn.made, 'total=42');
        assert.deepEqual(turn.files, ['sales.csv', 'total.txt']);
        assert.equal(llm.requests.slice(before).filter((q) => q.method === 'POST')[0].headers.authorization, `Bearer ${KEY}`);

        const run = await page.evaluateAsync(async () => {
          const collect = async (iterable) => { const out = []; for await (const e of iterable) out.push(e); return out; };
          return collect(window.session.runCode('x = 5\nprint("set")'));
        });
        assert.ok(run.some((e) => e.type === 'stdout' && e.text.includes('set')), 'runCode streams stdout');

        const stopped = await page.evaluateAsync(async () => {
          const s = window.session;
          const collect = async (iterable) => { const out = []; for await (const e of iterable) out.push(e); return out; };
          const loop = [];
          let t0 = 0;
          for await (const e of s.runCode('while True: pass')) {
            loop.push(e);
            if (e.type === 'cell_started') setTimeout(() => { t0 = performance.now(); s.cancel(); }, 500);
          }
          const after = await collect(s.runCode('print(x)'));
          return { loop, after, stopMs: Math.round(performance.now() - t0) };
        });
        notes.cancelToNextRunMs = stopped.stopMs;
        log(`cancel() of an endless loop → the next run done in ${stopped.stopMs} ms (${interrupts ? 'interrupt' : 'restart'})`);
        assert.equal(stopped.loop.at(-1).type, 'turn_done');
        assert.equal(stopped.loop.at(-1).reason, 'cancelled');
        const out = stopped.after.filter((e) => e.type === 'stdout').map((e) => e.text).join('');
        const afterCell = stopped.after.find((e) => e.type === 'cell_finished');
        const restartNotice = [...stopped.loop, ...stopped.after].some((e) => e.type === 'notice' && /restarted/.test(e.text));
        if (interrupts) {
          assert.equal(restartNotice, false, 'interrupted, not restarted');
          assert.equal(out.trim(), '5', 'variables survive the stop');
        } else {
          assert.equal(afterCell.exec.error?.type, 'NameError', 'restarted: variables gone');
          assert.ok(restartNotice, 'the restart is told');
        }
        const closed = await page.evaluateAsync(async () => {
          const collect = async (iterable) => { const out = []; for await (const e of iterable) out.push(e); return out; };
          const frames = document.querySelectorAll('iframe').length;
          window.session.close();
          const events = await collect(window.session.send('hello'));
          return { frames, after: document.querySelectorAll('iframe').length, events: events.map((e) => [e.type, e.error?.kind]) };
        });
        assert.ok(closed.frames >= 1, 'the sandbox frame was in the page');
        assert.equal(closed.after, 0, 'close() removed the sandbox frame');
        assert.deepEqual(closed.events, [['error', 'closed']]);
      } finally {
        await closePage(page);
      }
    },
  },
], { before: servers });
