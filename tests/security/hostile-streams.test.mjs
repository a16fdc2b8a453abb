// Hostile model endpoints through the REAL app: every case of
// hostile-streams.mjs (about 330; about 1,110 with HOSTILE_SPLIT_EVERY=1: a
// valid stream split at every byte offset in both wire formats, endless lines, 100 MB bodies, invalid UTF-8,
// HTML error pages, provider error bodies, deep nesting, cuts, silence, …)
// is served raw by the scripted LLM server and asked for in the built app
// (dist/) in Chromium, one fresh conversation and one turn per case, in one
// page. Each case must end with a clear error notice (or the exact answer for
// the benign ones) within 5 s of the server's last byte (or of the stream
// timeout), with no page crash and bounded memory; afterwards a normal turn
// still works. Figures go to test-results/e2e/hostile-streams.json.
//
// Timeouts: the app's defaults are 120 s to the first byte and 60 s of
// silence inside a stream (wasm/core/session.h). The test sets 3 s and 2 s
// (and a 50 ms retry backoff) through the core's `configure` event on the
// live session, so the silence cases finish quickly; the defences are the
// same code.
//
// HOSTILE_FILTER=regex runs only the matching case ids (for debugging).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { artifactPath, startApp } from '../e2e/harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, openApp, configure, assertNoViolations, canaryCalls } from '../e2e/app-helpers.mjs';
import { launchProfile } from './browser-procs.mjs';
import { hostileCases, countCases } from './hostile-streams.mjs';

// max_reply_ms: a keep-alive-only stream is cut at 6 s (the app's default is 10 min).
const LIMITS = { request_timeout_ms: 3000, idle_timeout_ms: 2000, max_reply_ms: 6000, retry_base_ms: 50 };
const END_WITHIN_MS = 5000;
const HEAP_BOUND = 512 * (1 << 20); // a 100 MB body must never be held: a quarter of a 2 GB renderer heap
const filter = process.env.HOSTILE_FILTER ? new RegExp(process.env.HOSTILE_FILTER) : null;
// Known-gap cases last: what they leave behind (a renderer does not hand memory back) must not
// count against the others' memory bound.
const CASES = hostileCases().filter((c) => !filter || filter.test(c.id)).sort((a, b) => !!a.gap - !!b.gap);

let app;
let llm;
let browser;
let page;
let violations;
let cdp;
let crashes = 0;
const mem = { jsHeapMax: 0, rendererRssMax: 0, rendererRssBaseline: 0, samples: 0 };
let sampler;
let current = -1; // the case running now (memory samples are charged to it)
const rssByCase = new Map();

const marker = (i) => `hostile case #${i}`;

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  llm = await startLlmServer({
    respond(record) {
      const text = JSON.stringify(record.body ?? '');
      const m = /hostile case #(\d+)/.exec(text);
      if (!m) return undefined; // the queue (the normal turn at the end)
      const c = CASES[Number(m[1])];
      record.caseIndex = Number(m[1]);
      const followup = text.includes('"role":"tool"') || text.includes('"tool_result"');
      if (followup) return c.followup ?? { text: 'follow-up' };
      return c.step;
    },
  });
  browser = await launchProfile({ args: ['--enable-precise-memory-info'] });
  ({ page, violations } = await openApp(browser, app.url));
  page.on('crash', () => { crashes += 1; });
  cdp = await page.context().newCDPSession(page);
  mem.rendererRssBaseline = browser.processes().filter((p) => p.type === 'renderer').reduce((a, p) => Math.max(a, p.rssBytes), 0);
  sampler = setInterval(sampleMemory, 200);
});

after(async () => {
  clearInterval(sampler);
  await browser?.close();
  await llm?.close();
  await app?.close();
});

let sampling = false;
async function sampleMemory() {
  if (sampling) return;
  sampling = true;
  try {
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    if (!CASES[current]?.gap) mem.jsHeapMax = Math.max(mem.jsHeapMax, usedSize);
    const rss = browser.processes().filter((p) => p.type === 'renderer').reduce((a, p) => Math.max(a, p.rssBytes), 0);
    if (!CASES[current]?.gap) mem.rendererRssMax = Math.max(mem.rendererRssMax, rss);
    rssByCase.set(current, Math.max(rssByCase.get(current) ?? 0, rss));
    mem.samples += 1;
  } catch { /* the page is busy closing */ } finally {
    sampling = false;
  }
}

const settingsFor = (format) => (format === 'anthropic'
  ? { preset: 'anthropic', baseUrl: `${llm.url}/v1`, format: 'anthropic', model: 'claude-sonnet-4-5', tools: true }
  : { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true });

/** One case in the page: a fresh conversation, the short limits, one turn. */
function runInPage(page, text, limits) {
  return page.evaluate(async ([text, limits]) => {
    const app = document.querySelector('code-interpreter').app;
    await app.newConversation();
    const r = app.driver.send({ type: 'configure', limits });
    if (r.error) throw new Error(`configure: ${r.error.message}`);
    const session = app.driver.session;
    let reads = 0;
    const feed = session.feedLlmBytes.bind(session);
    session.feedLlmBytes = (...a) => { reads += 1; return feed(...a); };
    const done = app.driver.turnDone();
    // The page's own JS heap, sampled while the turn runs (precise with --enable-precise-memory-info).
    let heap = performance.memory?.usedJSHeapSize ?? 0;
    const sampler = setInterval(() => { heap = Math.max(heap, performance.memory?.usedJSHeapSize ?? 0); }, 50);
    const t0 = Date.now();
    if (!app.ask(text)) throw new Error('the app refused the message');
    const event = await Promise.race([done, new Promise((resolve) => setTimeout(() => resolve(null), 150000))]);
    const tEnd = Date.now();
    clearInterval(sampler);
    await new Promise((r2) => requestAnimationFrame(() => setTimeout(r2, 0)));
    const cut = (s) => (s && s.length > 20000 ? { long: s.length, head: s.slice(0, 200) } : s);
    const items = app.vm.items.map((i) => ({ kind: i.kind, level: i.level, text: cut(i.text), exec: i.exec && { status: i.exec.status, stdout: cut(i.exec.stdout), error: i.exec.error } }));
    heap = Math.max(heap, performance.memory?.usedJSHeapSize ?? 0);
    const wasm = app.core.module.HEAPU8?.length ?? 0;
    // The error as shown: the last notice in the chat (inside the components' shadow roots).
    const deep = (root, sel, out = []) => {
      out.push(...root.querySelectorAll(sel));
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) deep(el.shadowRoot, sel, out);
      return out;
    };
    const shown = deep(document, '[data-kind="notice"]').at(-1)?.innerText ?? '';
    // Keep the store and the conversation list small: a thousand rows would slow every later case.
    await app.deleteConversation(app.vm.currentId);
    return { event, t0, tEnd, items, reads, heap, wasm, shown };
  }, [text, limits]);
}

function check(c, result) {
  const { event, items } = result;
  const problems = [];
  if (!event) return ['the turn did not end within 150 s'];
  const errors = items.filter((i) => i.kind === 'notice' && i.level === 'error');
  const answers = items.filter((i) => i.kind === 'assistant');
  const answer = answers.map((a) => a.text).join('');
  const e = c.expect;
  const expectError = () => {
    if (event.reason !== 'error') problems.push(`expected an error, the turn ended "${event.reason}"`);
    if (errors.length !== 1) problems.push(`expected one error notice, got ${errors.length}`);
    const msg = errors[0]?.text ?? '';
    if (typeof msg !== 'string' || msg.length < 10 || msg.length > 1600) problems.push(`unclear message length ${msg.length}`);
    else if (/[\u0000-\u0008\u000b-\u001f]/.test(msg)) problems.push('control characters in the message');
    else if (!e.match.test(msg)) problems.push(`message does not match ${e.match}: ${msg}`);
  };
  switch (e.kind) {
    case 'text':
      if (event.reason !== 'completed') problems.push(`ended "${event.reason}": ${errors[0]?.text}`);
      if (answer !== e.text) problems.push(`answer ${JSON.stringify(answer).slice(0, 300)} != ${JSON.stringify(e.text)}`);
      break;
    case 'text-one-of':
      if (event.reason !== 'completed' || !e.texts.includes(answer)) problems.push(`ended "${event.reason}" with ${JSON.stringify(answer)}`);
      break;
    case 'text-or-error':
      if (event.reason === 'completed') {
        if (answer !== e.text) problems.push(`answer ${JSON.stringify(answer)} != ${JSON.stringify(e.text)}`);
      } else expectError();
      break;
    case 'error':
      expectError();
      break;
    case 'empty-or-error':
      // A stream that ends properly with nothing in it.
      if (event.reason === 'completed') {
        if (answers.length) problems.push(`${answers.length} answers`);
      } else expectError();
      break;
    case 'empty-notice': {
      const notices = items.filter((i) => i.kind === 'notice' && i.level !== 'error');
      if (event.reason !== 'completed') problems.push(`ended "${event.reason}": ${errors[0]?.text}`);
      if (answers.length) problems.push(`${answers.length} answers`);
      if (!notices.some((n) => /empty reply/.test(n.text))) problems.push('no notice that the reply was empty');
      break;
    }
    case 'any':
      if (event.reason !== 'completed' && event.reason !== 'error') problems.push(`ended "${event.reason}"`);
      break;
    case 'tool': {
      const cells = items.filter((i) => i.kind === 'cell');
      if (event.reason !== 'completed') problems.push(`ended "${event.reason}": ${errors[0]?.text}`);
      const stdouts = cells.map((x) => x.exec.stdout);
      if (JSON.stringify(stdouts) !== JSON.stringify(e.stdouts)) problems.push(`cells' stdout ${JSON.stringify(stdouts)} != ${JSON.stringify(e.stdouts)}`);
      if (e.status && cells.some((x) => x.exec.status !== e.status)) problems.push(`cell status ${cells.map((x) => x.exec.status)}, expected ${e.status}`);
      if (answer !== e.text) problems.push(`answer ${JSON.stringify(answer)} != ${JSON.stringify(e.text)}`);
      break;
    }
    default:
      problems.push(`unknown expectation ${e.kind}`);
  }
  return problems;
}

test(`${CASES.length} hostile streams through the app: clear errors, no hang, no crash, bounded memory`, { timeout: 30 * 60000 }, async () => {
  const results = [];
  let format = null;
  const t0 = Date.now();
  for (let i = 0; i < CASES.length; i += 1) {
    const c = CASES[i];
    if (c.format !== format) {
      format = c.format;
      await configure(page, settingsFor(format), 'sk-hostile');
    }
    const firstRequest = llm.requests.length;
    current = i;
    const result = await runInPage(page, `${marker(i)} (${c.id})`, LIMITS);
    const reqs = llm.requests.slice(firstRequest).filter((r) => r.caseIndex === i);
    const last = reqs.at(-1)?.response;
    // When the hostile input stopped: the server's last byte (or its end), plus
    // the timeout for the silence cases.
    let stopped = last ? Math.max(last.last_write_ms, last.ended_ms) : result.t0;
    if (c.timing === 'idle') stopped += LIMITS.idle_timeout_ms;
    if (c.timing === 'request') stopped += LIMITS.request_timeout_ms;
    const endAfterMs = c.timing === 'bound' ? null : result.tEnd - stopped;
    const problems = check(c, result);
    if (endAfterMs !== null && endAfterMs > END_WITHIN_MS && !c.gap) problems.push(`ended ${endAfterMs} ms after the input stopped`);
    if (c.timing === 'bound' && !(last?.client_closed)) problems.push('the app did not drop the endless connection');
    if ((c.timing === 'idle' || c.timing === 'request') && !(last?.client_closed)) problems.push('the app did not close the silent connection');
    const errorText = result.items.find((x) => x.kind === 'notice' && x.level === 'error')?.text ?? null;
    // The error is on screen: "Something went wrong" and the message's start.
    if (errorText && !(result.shown.includes('Something went wrong') && result.shown.includes(errorText.slice(0, 40)))) problems.push(`the error is not shown: ${result.shown.slice(0, 200)}`);
    results.push({
      id: c.id, category: c.category, format: c.format, reason: result.event?.reason, error: errorText, requests: reqs.length,
      reads: result.reads, endAfterMs, totalMs: result.tEnd - result.t0, bytesSent: last?.bytes_sent, heap: result.heap, wasm: result.wasm,
      rss: rssByCase.get(i) ?? 0, gap: c.gap ?? null, problems,
    });
    if (problems.length) console.log(`FAIL ${c.id}: ${problems.join('; ')}`);
    else if (process.env.HOSTILE_VERBOSE) console.log(`ok ${c.id} ${result.event?.reason} ${result.tEnd - result.t0} ms ${errorText ?? ''}`.slice(0, 240));
  }
  await sampleMemory();
  const failures = results.filter((r) => r.problems.length);
  const timed = results.filter((r) => r.endAfterMs !== null);
  const summary = {
    cases: results.length,
    byCategory: countCases(CASES),
    outcomes: results.reduce((a, r) => ({ ...a, [r.reason]: (a[r.reason] ?? 0) + 1 }), {}),
    failures: failures.length,
    maxEndAfterMs: Math.max(...timed.filter((r) => !r.gap).map((r) => r.endAfterMs)),
    slowest: [...timed.filter((r) => !r.gap)].sort((a, b) => b.endAfterMs - a.endAfterMs).slice(0, 5).map((r) => [r.id, r.endAfterMs]),
    boundCases: results.filter((r) => r.category === 'endless' || r.id.includes('single-line')).map((r) => [r.id, r.totalMs, r.bytesSent]),
    splitReads: results.filter((r) => r.category === 'split').map((r) => r.reads).reduce((a, n) => ({ ...a, [n]: (a[n] ?? 0) + 1 }), {}),
    memory: { jsHeapMaxMB: +(mem.jsHeapMax / 2 ** 20).toFixed(1), pageHeapMaxMB: +(Math.max(...results.filter((r) => !r.gap).map((r) => r.heap)) / 2 ** 20).toFixed(1), rendererRssBaselineMB: +(mem.rendererRssBaseline / 2 ** 20).toFixed(1), rendererRssMaxMB: +(mem.rendererRssMax / 2 ** 20).toFixed(1), wasmMemoryMB: +(Math.max(...results.map((r) => r.wasm)) / 2 ** 20).toFixed(1), samples: mem.samples },
    crashes,
    gaps: results.filter((r) => r.gap).map((r) => ({ id: r.id, gap: r.gap, reason: r.reason, error: r.error, endAfterMs: r.endAfterMs, totalMs: r.totalMs, pageHeapMB: +(r.heap / 2 ** 20).toFixed(1), rendererRssMB: +(r.rss / 2 ** 20).toFixed(1) })),
    wallMs: Date.now() - t0,
  };
  fs.writeFileSync(artifactPath('hostile-streams.json'), JSON.stringify({ summary, results }, null, 1));
  console.log(JSON.stringify(summary, null, 1));

  assert.equal(crashes, 0, 'no renderer crash');
  assert.deepEqual(failures.map((r) => `${r.id}: ${r.problems.join('; ')}`), [], 'every case ends as expected');
  const heapMax = Math.max(mem.jsHeapMax, ...results.filter((r) => !r.gap).map((r) => r.heap));
  assert.ok(heapMax < HEAP_BOUND, `the page's JS heap stayed under 512 MB (max ${(heapMax / 2 ** 20).toFixed(1)} MB)`);
  assert.ok(mem.rendererRssMax - mem.rendererRssBaseline < HEAP_BOUND, `the largest renderer grew by less than 512 MB (${summary.memory.rendererRssBaselineMB} → ${summary.memory.rendererRssMaxMB} MB)`);
  assert.ok(mem.samples > 10, 'memory was sampled');
});

test('after all that, a normal turn still works (and no CSP violation, no canary)', async () => {
  await configure(page, settingsFor('openai'), 'sk-hostile');
  llm.script([{ text: 'Still here: all good.' }]);
  const result = await runInPage(page, 'a normal question', LIMITS);
  assert.equal(result.event?.reason, 'completed');
  assert.equal(result.items.find((i) => i.kind === 'assistant')?.text, 'Still here: all good.');
  assert.equal(crashes, 0);
  assertNoViolations(violations);
  assert.equal(await canaryCalls(page), 0);
});
