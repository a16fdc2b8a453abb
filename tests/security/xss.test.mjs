// XSS through output (issue 6, item 1): every payload of tests/security/
// corpus/xss/ (DOMPurify's own fixture vectors plus ours: markdown tricks,
// SVG and MathML, DOM clobbering, mutation XSS, CSS) goes through the real
// app (dist/) in Chromium on three channels:
//   (a) model text: real streamed turns from the scripted LLM server (each
//       corpus file as one answer, so every prefix is also rendered while it
//       streams), then each payload alone as an assistant item rendered by
//       the chat's own path (view model → ci-chat → renderMarkdown);
//   (b) Python display() in the real sandbox: _repr_html_ (sanitized into a
//       sandboxed frame; tables also as a plain table, then "Show as HTML"),
//       _repr_svg_ (an <img> from a data: URL), _repr_markdown_;
//   (c) file names: uploaded through the controller and made by Python,
//       shown in the files panel, the cell and as links in an answer.
// Asserted: 0 executions (__pwned/alert/prompt/print from any frame), 0
// dialogs, no on* attribute, script URL or stray <script> in the app's DOM
// (shadow roots and HTML output frames walked). CSP violations are refused
// attempts, not executions: counted per channel and printed, with no
// violation other than script ones allowed.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp } from '../e2e/harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, configure, ask, waitIdle, waitReady } from '../e2e/app-helpers.mjs';
import {
  openSecureApp, loadCorpus, collectViolations, walkDom, renderAssistantItems, runPython, displayCode, showAllHtml, newConversation, settle,
} from './security-helpers.mjs';

const corpus = loadCorpus('xss');
const { filenames, ...sources } = corpus;
const ALL = Object.values(sources).flat();
const CHUNK = 120;

let app;
let llm;
let browser;
let s; // { page, violations, executions, dialogs, counts }
const figures = {};

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  llm = await startLlmServer();
  browser = await launchBrowser();
  s = await openSecureApp(browser, app.url);
});

after(async () => {
  console.log(`[xss figures] ${JSON.stringify(figures, null, 1)}`);
  await browser?.close();
  await llm?.close();
  await app?.close();
});

const t0 = Date.now();
const log = (msg) => { if (process.env.SECURITY_DEBUG) console.log(`[xss ${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`); };
const chunks = (list, n = CHUNK) => Array.from({ length: Math.ceil(list.length / n) }, (_, i) => list.slice(i * n, (i + 1) * n));

/**
 * A reloaded page with a new, empty conversation: each chunk of Python
 * outputs starts from a clean renderer. Creating and dropping ~120
 * sandboxed output frames per chunk while Python restarts for each new
 * conversation can stall Chromium's process for sandboxed frames (which
 * the Python frame shares) for ~30 s after about five rounds; that
 * product limitation is tracked in its own issue, not hidden here: the
 * XSS channels are what this file measures.
 */
async function freshPage() {
  await s.page.reload();
  await waitReady(s.page);
  await newConversation(s.page);
}

/** Runs `fn`, then checks the page and records the channel's figures. */
async function channel(name, payloads, fn) {
  const v0 = s.violations.length;
  const e0 = s.executions.length;
  const d0 = s.dialogs.length;
  let walked = 0;
  let offenders = [];
  await fn(async () => {
    await settle(s.page, 800);
    log(`${name}: walking the DOM`);
    const w = await walkDom(s.page);
    log(`${name}: walked ${w.elements} elements, ${w.frames} frames`);
    walked += w.elements;
    offenders = offenders.concat(w.offenders);
  });
  const v = collectViolations(s.violations.slice(v0));
  figures[name] = {
    payloads, executions: s.executions.length - e0, dialogs: s.dialogs.length - d0,
    violations_script: v.script.length, violations_other: v.other.length, elements_walked: walked, dom_offenders: offenders.length,
  };
  assert.deepEqual(s.executions.slice(e0), [], `${name}: no payload ran script`);
  assert.deepEqual(s.dialogs.slice(d0), [], `${name}: no dialog opened`);
  assert.deepEqual(offenders, [], `${name}: no event handler attribute, script URL or foreign <script> in the DOM`);
  assert.deepEqual(v.other, [], `${name}: no CSP violation other than refused scripts (style, img, connect… are stripped before the DOM)`);
  assert.ok(walked > 0, `${name}: the DOM walk saw elements`);
}

test(`corpus: at least 300 payloads (${ALL.length} in ${Object.keys(sources).length} sources, ${filenames.length} file names)`, () => {
  assert.ok(ALL.length >= 300, `${ALL.length} payloads`);
  assert.ok(sources['dompurify-fixtures'].length >= 200, 'DOMPurify fixture vectors are in');
});

test('(a) model text, streamed: one answer per corpus source from the scripted LLM server', async () => {
  await configure(s.page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, '');
  const answers = Object.values(sources).map((list) => list.join('\n\n'));
  await channel('model text (streamed turns)', ALL.length, async (check) => {
    for (const text of answers) {
      await newConversation(s.page);
      llm.script([{ text }]);
      await ask(s.page, 'Show me the payloads.');
      await waitIdle(s.page, (v) => v.items.some((i) => i.kind === 'assistant'), 120000);
      const shown = await s.page.evaluate(() => document.querySelector('code-interpreter').app.vm.items.find((i) => i.kind === 'assistant')?.text);
      assert.equal(shown, text, 'the whole answer arrived');
      await check();
    }
  });
});

test('(a) model text, one payload per assistant item, through the chat\'s renderer', async () => {
  await channel('model text (assistant items)', ALL.length, async (check) => {
    for (const part of chunks(ALL)) {
      await newConversation(s.page);
      await renderAssistantItems(s.page, part);
      await check();
    }
  });
});

for (const kind of ['html', 'svg', 'markdown']) {
  test(`(b) Python display() ${kind}: every payload as an output of a run in the sandbox`, async () => {
    await channel(`python display ${kind}`, ALL.length, async (check) => {
      for (const part of chunks(ALL)) {
        await freshPage();
        log(`${kind}: running ${part.length} payloads`);
        const cell = await runPython(s.page, displayCode(kind, part));
        log(`${kind}: ran (${cell.status})`);
        assert.equal(cell.status, 'ok', `the run finished: ${cell.error?.message ?? ''}`);
        assert.equal(cell.outputs.length, part.length, 'one output per payload');
        await s.page.locator('ci-output').nth(part.length - 1).waitFor({ state: 'attached' });
        if (kind === 'html') log(`html: showed ${await showAllHtml(s.page)} tables as HTML`);
        await check();
      }
    });
  });
}

test('(c) file names: uploaded, made by Python, shown in the files panel, the cell and an answer', async () => {
  await freshPage();
  let uploaded = 0;
  let made = 0;
  await channel('file names', filenames.length * 2, async (check) => {
    const results = await s.page.evaluate(async (names) => {
      const app = document.querySelector('code-interpreter').app;
      const out = [];
      for (const name of names) {
        const before = app.vm.files.length;
        await app.upload([new File([`upload ${name}`], name, { type: 'text/plain' })]);
        out.push(app.vm.files.length > before);
      }
      return out;
    }, filenames);
    uploaded = results.filter(Boolean).length;
    const code = `import json, base64, os
ok = 0
for n in json.loads(base64.b64decode('${Buffer.from(JSON.stringify(filenames)).toString('base64')}').decode()):
    try:
        open('py-' + n, 'w').write('made ' + n)
        ok += 1
    except Exception as e:
        print('refused', repr(n), type(e).__name__)
print('made', ok)`;
    const cell = await runPython(s.page, code);
    made = Number(/made (\d+)/.exec(cell.stdout)?.[1] ?? 0);
    const files = await s.page.evaluate(() => document.querySelector('code-interpreter').app.vm.files.map((f) => f.path));
    // The answer links to every file; each file's preview opens once.
    await s.page.evaluate((paths) => {
      const app = document.querySelector('code-interpreter').app;
      app.vm.items = [...app.vm.items, { kind: 'assistant', turn: 99, thinking: '', text: paths.map((p) => `- [${p}](sandbox:/mnt/data/${encodeURIComponent(p)}) ${p}`).join('\n') }];
      app.changed('items');
    }, files);
    const rows = s.page.locator('ci-files li button.open');
    const n = await rows.count();
    assert.equal(n, files.length, 'every file is listed');
    for (let i = 0; i < n; i += 1) await rows.nth(i).click();
    await check();
    // A link in the answer opens its file.
    await s.page.locator('ci-chat .prose a[data-ci-file]').first().click();
    await check();
  });
  figures['file names'].uploaded = uploaded;
  figures['file names'].made_by_python = made;
  assert.ok(uploaded + made >= filenames.length, `most hostile names were accepted and shown (uploaded ${uploaded}, made ${made} of ${filenames.length} each)`);
});

test('totals: 0 executions, 0 dialogs over every channel', () => {
  const totals = Object.values(figures).reduce((t, f) => ({
    payloads: t.payloads + f.payloads, executions: t.executions + f.executions, dialogs: t.dialogs + f.dialogs, violations_script: t.violations_script + f.violations_script,
  }), { payloads: 0, executions: 0, dialogs: 0, violations_script: 0 });
  figures.total = totals;
  assert.equal(totals.executions, 0);
  assert.equal(totals.dialogs, 0);
  assert.equal(s.executions.length, 0, 'no execution at any time');
});
