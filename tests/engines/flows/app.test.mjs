// The built app (dist/) in every engine, written once on the driver
// interface (tests/engines/driver.mjs): the app loads and says what Stop
// does here; a Python-mode cell typed and run with a real click, on an
// isolated host and on a plain one (its first visit reloads once into
// isolation through the service worker); a full turn with the scripted
// model (upload through the real file input, a tool call that draws a PNG,
// markdown, an inert XSS payload); a long answer formatted while it
// streams, its finished blocks keeping their elements (web/app/
// markdown-blocks.mjs, once per frame); Stop of `while True: pass` (interrupt
// or restart, as the engine's sandbox says); a reload restores the
// conversation. One browser per engine for the whole file.
// Run: node --test tests/engines/   (CI_ENGINES=webkit narrows)
import { after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startApp } from '../../e2e/harness.mjs';
import { CHART_CODE, expectedChartRows, STREAMED_ANSWER, STREAMED_ANSWER_BLOCKS } from '../../e2e/app-helpers.mjs';
import { copyDist } from '../../e2e/pwa-helpers.mjs';
import { walkDom } from '../../security/security-helpers.mjs';
import { startLlmServer } from '../../support/llm-server.mjs';
import {
  defineFlows, closePage, openApp, waitReady, vm, waitIdle, sandboxFacts, configure, newConversation, pythonMode, typeAndRun,
  domCells, waitCellDone, readAppFile, listedFiles, settleFirstVisit, canaries, installCanaries, FILE_INPUT, TEXTAREA, COMPOSER,
} from './common.mjs';

const XSS = 'Let me look. <img src=x onerror="window.__pwned()"><script>window.__pwned()</script>[x](javascript:window.__pwned())';

/** The IDAT bytes of a PNG (its chunks concatenated). */
function pngIdat(bytes) {
  const parts = [];
  for (let o = 8; o < bytes.length;) {
    const len = bytes.readUInt32BE(o);
    if (bytes.toString('latin1', o + 4, o + 8) === 'IDAT') parts.push(bytes.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  return Buffer.concat(parts);
}

// Servers for the whole file: a copy of dist/ (other work may rebuild dist/
// meanwhile) served isolated (COOP/COEP) and plain, and the scripted model.
let dist;
let iso;
let plain;
let llm;
async function servers() {
  if (iso) return;
  dist = await copyDist();
  iso = await startApp({ isolation: true, dist: dist.dir, checkout: false });
  plain = await startApp({ isolation: false, dist: dist.dir, checkout: false });
  llm = await startLlmServer();
}
after(async () => {
  await Promise.all([iso?.close(), plain?.close(), llm?.close()]);
  dist?.remove();
});

const STOP_WORDS = { true: 'Stop interrupts Python', false: 'Stop restarts Python (variables are lost)' };

defineFlows(import.meta.url, [
  {
    name: 'app loads',
    async run({ browser, log, notes }) {
      const page = await openApp(browser, `${iso.url}/`);
      try {
        const facts = await sandboxFacts(page);
        log(`python.stop ${JSON.stringify(facts.stop)}, workerShape ${facts.workerShape}, crossOriginIsolated ${facts.isolated}, SharedArrayBuffer ${facts.sharedArrayBuffer}`);
        log(`lastStart ${JSON.stringify(facts.lastStart)}`);
        Object.assign(notes, { stop: facts.stop, workerShape: facts.workerShape, isolated: facts.isolated, sharedArrayBuffer: facts.sharedArrayBuffer, pythonReadyMs: facts.lastStart?.ready_ms, startMode: facts.lastStart?.mode });
        assert.equal(facts.isolated, true, 'the host sends COOP/COEP: the page is cross-origin isolated');
        assert.equal(typeof facts.stop?.interrupt, 'boolean', `vm.python.stop says what Stop does: ${JSON.stringify(facts.stop)}`);
        assert.equal(facts.stop.interrupt, facts.sharedArrayBuffer, 'Stop interrupts exactly where the isolated page has SharedArrayBuffer');
        assert.equal(facts.canInterrupt, facts.stop.interrupt);
        assert.ok(['blob', 'data'].includes(facts.workerShape), `a worker shape: ${facts.workerShape}`);
        assert.equal(facts.lastStart?.worker_shape, facts.workerShape);

        const status = await page.evaluate((a, dq) => {
          const span = dq('code-interpreter >> ci-composer >> .py');
          return { text: span.textContent.replace(/\s+/g, ' ').trim(), title: span.getAttribute('title') ?? '' };
        });
        log(`status line "${status.text}"; tooltip "${status.title}"`);
        assert.ok(status.text.includes(STOP_WORDS[facts.stop.interrupt]), `the status line says "${STOP_WORDS[facts.stop.interrupt]}": "${status.text}"`);
        assert.ok(!status.text.includes(STOP_WORDS[!facts.stop.interrupt]), `and not the other: "${status.text}"`);
        assert.match(status.text, /Python 3\.\d+/);
        assert.ok(status.title.trim().length > 20, `the tooltip says why: "${status.title}"`);
        assert.equal((await canaries(page)).pwned, 0);
      } finally {
        await closePage(page);
      }
    },
  },
  {
    // A user who reloads as soon as Python is up (its snapshot may still be
    // being made and stored in the background) gets Python again.
    name: 'reload right after Python starts',
    async run({ browser, log }) {
      const page = await openApp(browser, `${iso.url}/`);
      try {
        const first = await sandboxFacts(page);
        log(`before the reload: snapshot ${first.lastStart?.snapshot}`);
        await page.reload();
        await installCanaries(page);
        await waitReady(page, 60000);
        const again = await sandboxFacts(page);
        log(`after the reload: start ${again.lastStart?.mode}, ${again.lastStart?.ready_ms} ms, snapshot ${again.lastStart?.snapshot}`);
        const n = (await domCells(page)).length;
        await pythonMode(page);
        await typeAndRun(page, 'print("again", 2 + 2)');
        const cell = await waitCellDone(page, n, { timeout: 60000 });
        assert.equal(cell.stdout, 'again 4\n', JSON.stringify(cell));
      } finally {
        await closePage(page);
      }
    },
  },
  ...['isolated', 'plain'].map((host) => ({
    name: `python-mode cell (${host} host)`,
    async run({ browser, log, notes }) {
      const url = `${(host === 'isolated' ? iso : plain).url}/`;
      const page = await openApp(browser, url);
      try {
        // Let the service worker's first visit settle (a plain host reloads
        // once into isolation), so what we type is not lost under a reload.
        const visit = await settleFirstVisit(page);
        const facts = await sandboxFacts(page);
        log(`first visit: ${JSON.stringify(visit)}; stop ${JSON.stringify(facts.stop)}, workerShape ${facts.workerShape}`);
        Object.assign(notes, { reloaded: visit.reloaded, isolated: visit.isolated, stop: facts.stop, workerShape: facts.workerShape });
        if (host === 'isolated') {
          assert.equal(visit.reloaded, false, 'an isolated host needs no reload');
          assert.equal(visit.isolated, true);
        } else {
          assert.equal(visit.reloaded, true, 'a plain host: the page reloaded once when the worker took control');
          assert.equal(visit.isolated, true, 'after the reload the worker\'s headers make the page cross-origin isolated');
        }
        assert.equal(facts.stop.interrupt, facts.sharedArrayBuffer && facts.isolated);

        await newConversation(page);
        await pythonMode(page);
        await typeAndRun(page, 'import sys\nwords = ["hello", "from", sys.platform]\nprint(*words, 6 * 7)');
        const cell = await waitCellDone(page, 0);
        assert.equal(cell.status, 'Done', JSON.stringify(cell));
        assert.equal(cell.stdout, 'hello from emscripten 42\n');
        const box = await page.evaluate((a, dq) => dq('code-interpreter >> ci-composer >> textarea').value);
        assert.equal(box, '', 'Run emptied the input box');
        const items = (await vm(page)).items;
        assert.equal(items.filter((i) => i.kind === 'cell').length, 1);
        assert.equal(items[0].exec.source ?? 'user', 'user');
      } finally {
        await closePage(page);
      }
    },
  })),
  {
    name: 'full turn with the scripted model',
    async run({ browser, log }) {
      const page = await openApp(browser, `${iso.url}/`);
      try {
        await newConversation(page);
        await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, 'sk-engines-key');
        const before = llm.requests.length;
        llm.script([
          { text: XSS, tool_calls: [{ id: 'call_1', arguments: JSON.stringify({ code: CHART_CODE }) }] },
          { text: 'The total is **42**.\n\n| region | total |\n|---|---|\n| N | 10 |\n| S | 32 |\n\nI saved [chart.png](sandbox:/mnt/data/chart.png).', delay_ms: 5 },
        ]);
        // Upload through the real file input of the input box.
        await page.setInputFiles(FILE_INPUT, [{ name: 'sales.csv', mimeType: 'text/csv', buffer: Buffer.from('region,total\nN,10\nS,32\n') }]);
        await page.waitFor(() => document.querySelector('code-interpreter').app.vm.files.some((f) => f.path === 'sales.csv'));
        assert.ok((await listedFiles(page)).includes('sales.csv'), 'sales.csv is in the files panel');

        await page.fill(TEXTAREA, 'What is the total? Draw it.');
        await page.press(TEXTAREA, 'Enter');
        const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant' && i.text.includes('42')), 120000);

        // The tool call ran the chart code: stdout, the last value, the PNG inline.
        const [cell] = await domCells(page);
        assert.equal(cell.status, 'Done', JSON.stringify(cell));
        assert.match(cell.stdout, /total: 42/);
        assert.equal(cell.result, '84');
        assert.equal(cell.images.length, 1, 'the PNG shows inline');
        assert.match(cell.images[0].src, /^data:image\/png;base64,/);
        await page.waitFor(() => {
          const chat = document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot;
          const img = chat.querySelector('ci-cell').shadowRoot.querySelector('ci-output').shadowRoot.querySelector('img');
          return img.complete && img.naturalWidth === 16;
        }, null, { timeout: 10000 });

        // chart.png is in the files panel, and its bytes hold the pixels Python wrote.
        await page.waitFor((a, dq) => [...(dq('code-interpreter >> ci-files')?.shadowRoot?.querySelectorAll('li[data-path]') ?? [])].some((li) => li.dataset.path === 'chart.png'));
        const png = await readAppFile(page, 'chart.png');
        assert.equal(png.subarray(0, 8).toString('latin1'), '\x89PNG\r\n\x1a\n');
        assert.deepEqual(zlib.inflateSync(pngIdat(png)), expectedChartRows(), 'chart.png holds the pixel rows CHART_CODE wrote');

        // The answer's markdown rendered; the XSS payload inert.
        const prose = await page.evaluate(() => {
          const chat = document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot;
          const all = [...chat.querySelectorAll('.prose')];
          return {
            strong: all.flatMap((p) => [...p.querySelectorAll('strong')].map((s) => s.textContent)),
            cells: all.flatMap((p) => [...p.querySelectorAll('table td')].map((td) => td.textContent)),
            scripts: all.reduce((n, p) => n + p.querySelectorAll('script').length, 0),
            onerror: all.reduce((n, p) => n + p.querySelectorAll('[onerror]').length, 0),
            fileLink: all.some((p) => p.querySelector('a[data-ci-file="chart.png"]')),
          };
        });
        assert.ok(prose.strong.includes('42'), `bold rendered: ${JSON.stringify(prose)}`);
        assert.ok(prose.cells.includes('32'), 'the table rendered');
        assert.equal(prose.scripts, 0, 'no <script> in the answer');
        assert.equal(prose.onerror, 0, 'no onerror attribute');
        assert.ok(prose.fileLink, 'the sandbox: link points at the file');
        const dom = await walkDom(page);
        assert.deepEqual(dom.offenders, [], 'no on* attribute or javascript: URL anywhere in the app');
        const c = await canaries(page);
        assert.equal(c.pwned, 0, 'the XSS canary was never called');
        assert.deepEqual(c.dialogs, []);

        // The model saw the run; the key went to its endpoint.
        const posts = llm.requests.slice(before).filter((r) => r.method === 'POST');
        assert.equal(posts.length, 2, 'two model requests');
        assert.equal(posts[0].headers.authorization, 'Bearer sk-engines-key');
        assert.match(JSON.stringify(posts[1].body.messages.at(-1)), /total: 42/);
        assert.ok(v.files.some((f) => f.path === 'chart.png'));
        log(`violations on the way: ${JSON.stringify(c.violations)}`);
      } finally {
        await closePage(page);
      }
    },
  },
  {
    name: 'a long answer streams in formatted; finished blocks keep their elements',
    async run({ browser }) {
      const page = await openApp(browser, `${iso.url}/`);
      try {
        await newConversation(page);
        await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: false }, 'sk-engines-key');
        llm.script([{ text: STREAMED_ANSWER, delay_ms: 25 }]);
        await page.fill(TEXTAREA, 'Sum the sales by region');
        await page.press(TEXTAREA, 'Enter');
        // While it streams, two blocks past the list: heading, list, a
        // highlighted code block and a table are elements. Keep a hold on
        // the heading and the list...
        const seen = await page.waitFor(() => {
          const prose = document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot.querySelector('[data-streaming] .prose');
          if (!prose || ![...prose.querySelectorAll('p')].some((p) => p.textContent.startsWith('Paragraph 1 of'))) return false;
          window.__streamedHeading = prose.querySelector('h1');
          window.__streamedList = prose.querySelector('ol');
          return { heading: window.__streamedHeading?.textContent, list: !!window.__streamedList, code: !!prose.querySelector('pre code.hljs .hljs-keyword'), table: !!prose.querySelector('table td') };
        }, null, { timeout: 60000, interval: 50 });
        assert.deepEqual(seen, { heading: 'Sales by region', list: true, code: true, table: true });
        // ...which must still be the same elements further on (a whole
        // re-render per piece would replace them).
        const later = await page.waitFor(() => {
          const prose = document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot.querySelector('[data-streaming] .prose');
          if (!prose) return { ended: true };
          if (![...prose.querySelectorAll('p')].some((p) => p.textContent.startsWith('Paragraph 4 of'))) return false;
          return { heading: prose.querySelector('h1') === window.__streamedHeading, list: prose.querySelector('ol') === window.__streamedList };
        }, null, { timeout: 60000, interval: 50 });
        assert.deepEqual(later, { heading: true, list: true }, 'the finished blocks kept their elements while the answer streamed on');

        const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant'), 90000);
        assert.equal(v.items.find((i) => i.kind === 'assistant').text, STREAMED_ANSWER);
        const blocks = await page.evaluate(() => {
          const chat = document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot;
          return [...[...chat.querySelectorAll('[data-kind="assistant"] .prose')].at(-1).children].filter((e) => e.localName !== 'span').map((e) => e.localName);
        });
        assert.deepEqual(blocks, STREAMED_ANSWER_BLOCKS, 'the finished answer, every block once and in order');
      } finally {
        await closePage(page);
      }
    },
  },
  {
    name: 'stop',
    async run({ browser, log, notes }) {
      const page = await openApp(browser, `${iso.url}/`);
      try {
        await newConversation(page);
        const { stop } = await sandboxFacts(page);
        notes.stop = stop;
        await page.setInputFiles(FILE_INPUT, [{ name: 'a.txt', mimeType: 'text/plain', buffer: Buffer.from('kept across Stop\n') }]);
        await page.waitFor(() => document.querySelector('code-interpreter').app.vm.files.some((f) => f.path === 'a.txt'));
        await pythonMode(page);
        await typeAndRun(page, 'x = 41');
        assert.equal((await waitCellDone(page, 0)).status, 'Done');

        await typeAndRun(page, 'while True: pass');
        await page.waitFor(() => {
          const chat = document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot;
          return !!chat.querySelectorAll('ci-cell')[1]?.shadowRoot?.querySelector('header .status.running');
        });
        const t0 = Date.now();
        await page.click(`${COMPOSER} >> button.stop`);
        // The cell ends within the sandbox's grace (2 s) plus what a restart takes.
        const loop = await waitCellDone(page, 1, { timeout: 60000 });
        const stopMs = Date.now() - t0;
        notes.stopMs = stopMs;
        log(`Stop (${stop.interrupt ? 'interrupt' : 'restart'}) ended the loop in ${stopMs} ms`);
        assert.ok(stopMs < 10000, `the loop ended within the grace (2 s) and a margin: ${stopMs} ms`);
        assert.equal(loop.kind, 'cancelled', JSON.stringify(loop));
        assert.equal(loop.status, 'Stopped');
        const loopExec = (await vm(page)).items.filter((i) => i.kind === 'cell')[1].exec;
        assert.equal(loopExec.status, 'cancelled');

        await typeAndRun(page, 'print(x + 1)');
        const next = await waitCellDone(page, 2, { timeout: 120000 });
        const v = await vm(page);
        const notices = v.items.filter((i) => i.kind === 'notice').map((i) => i.text);
        if (stop.interrupt) {
          assert.equal(next.status, 'Done', JSON.stringify(next));
          assert.equal(next.stdout, '42\n', 'interrupted: the variable is kept');
          assert.deepEqual(notices.filter((t) => /restarted/i.test(t)), [], 'no restart notice');
        } else {
          assert.equal(next.status, 'Error', JSON.stringify(next));
          assert.match(next.error, /NameError/, 'restarted: the variable is gone');
          assert.ok(notices.some((t) => /Python session was restarted/.test(t)), `a notice says Python was restarted: ${JSON.stringify(notices)}`);
          const chatNotices = await page.evaluate(() => [...document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot.querySelectorAll('[data-kind=notice]')].map((n) => n.textContent));
          assert.ok(chatNotices.some((t) => /restarted/.test(t) && /variables/.test(t)), `the notice is shown: ${JSON.stringify(chatNotices)}`);
        }

        // Files uploaded before Stop are still there for Python.
        await typeAndRun(page, "print(open('a.txt').read(), end='')");
        const read = await waitCellDone(page, 3);
        assert.equal(read.status, 'Done', JSON.stringify(read));
        assert.equal(read.stdout, 'kept across Stop\n');
      } finally {
        await closePage(page);
      }
    },
  },
  {
    name: 'reload restores',
    async run({ browser }) {
      const page = await openApp(browser, `${iso.url}/`);
      try {
        await newConversation(page);
        const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 255, 10, 13, 0x80]);
        await page.setInputFiles(FILE_INPUT, [{ name: 'keep.bin', mimeType: 'application/octet-stream', buffer: bytes }]);
        await page.waitFor(() => document.querySelector('code-interpreter').app.vm.files.some((f) => f.path === 'keep.bin'));
        await pythonMode(page);
        await typeAndRun(page, "data = open('keep.bin', 'rb').read()\nprint('restore-me', len(data), sum(data))");
        const cell = await waitCellDone(page, 0);
        assert.equal(cell.stdout, `restore-me ${bytes.length} ${bytes.reduce((a, b) => a + b, 0)}\n`);
        const before = await vm(page);
        // Everything is saved before the reload.
        await page.evaluateAsync(() => {
          const app = document.querySelector('code-interpreter').app;
          return (typeof app.flushSaves === 'function' ? app.flushSaves() : Promise.all([...(app.pendingSaves ?? [])])).then(() => true);
        });

        await page.reload();
        await installCanaries(page);
        await waitReady(page);
        const after = await vm(page);
        assert.equal(after.currentId, before.currentId, 'the same conversation is current');
        assert.deepEqual(after.items.map((i) => i.kind), before.items.map((i) => i.kind));
        await page.waitFor(() => !!document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat')?.shadowRoot?.querySelector('ci-cell'));
        const [shown] = await domCells(page);
        assert.equal(shown.status, 'Done');
        assert.equal(shown.stdout, cell.stdout, 'the cell\'s output is shown');
        assert.deepEqual(after.files.map((f) => [f.path, f.size]), before.files.map((f) => [f.path, f.size]));
        await page.waitFor((a, dq) => [...(dq('code-interpreter >> ci-files')?.shadowRoot?.querySelectorAll('li[data-path]') ?? [])].some((li) => li.dataset.path === 'keep.bin'));
        assert.deepEqual(await readAppFile(page, 'keep.bin'), bytes, 'the file\'s bytes are equal');
      } finally {
        await closePage(page);
      }
    },
  },
], { before: servers });
