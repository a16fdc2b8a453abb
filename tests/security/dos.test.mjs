// Security (issue 6, item 9): denial of service from Python, in the REAL
// app (dist/, cross-origin isolated) in real Chromium. Each case must be
// stopped or recovered from, the next run must work, and a CSV uploaded
// first must come back byte for byte:
//   (a) `while True: pass`: stopped by the time limit and by Stop
//       (variables kept: the page is isolated, so Stop interrupts);
//   (b) deep recursion, also with sys.setrecursionlimit(10**6);
//   (c) a 3 GB bytearray and a list that grows until memory runs out;
//   (d) a stdout flood (`while True: print('x'*1000)` until the time limit,
//       and one 50 MB print): output capped with a note, and the main
//       thread stays responsive: a PerformanceObserver('longtask') installed
//       before the app loads records every task; the longest one during the
//       flood must stay under 200 ms (an idle period of the same length is
//       measured as the machine's baseline and reported beside it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, launchBrowser, artifactPath } from '../e2e/harness.mjs';
import { requireBuiltApp, openApp, configure, waitIdle, assertNoViolations } from '../e2e/app-helpers.mjs';
import { runPython, runPythonTimed, readFile } from './python-run.mjs';

const TIME_LIMIT_S = 8;
const CSV = Buffer.from(`region,total\n${Array.from({ length: 2000 }, (_, i) => `r${i},${i * 7}`).join('\n')}\n`);
const figures = {};

let app;
let browser;
let page;
let violations;

async function assertCsvIntact(what) {
  assert.deepEqual(await readFile(page, 'sales.csv'), CSV, `sales.csv intact after ${what}`);
  const r = await runPython(page, 'import hashlib; print(hashlib.sha256(open("/mnt/data/sales.csv","rb").read()).hexdigest())');
  assert.equal(r.status, 'ok', `the next run works after ${what}: ${r.error?.message}`);
  const { createHash } = await import('node:crypto');
  assert.equal(r.stdout.trim(), createHash('sha256').update(CSV).digest('hex'), `Python sees the same sales.csv after ${what}`);
}

/** Long tasks (ms) that started within [from, to] (page performance.now() times). */
async function longTasksBetween(from, to) {
  return page.evaluate(([a, b]) => window.__longTasks.filter((t) => t.start >= a && t.start <= b).map((t) => Math.round(t.duration)), [from, to]);
}

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  browser = await launchBrowser();
  await browser.context.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  ({ page, violations } = await openApp(browser, app.url));
  await configure(page, { timeLimitS: TIME_LIMIT_S });
  await page.evaluate(async (bytes) => {
    await document.querySelector('code-interpreter').app.upload([new File([new Uint8Array(bytes)], 'sales.csv', { type: 'text/csv' })]);
  }, [...CSV]);
  await assertCsvIntact('the upload');
});

after(async () => {
  console.log(`# dos figures: ${JSON.stringify(figures)}`);
  await browser?.close();
  await app?.close();
});

test('(a) `while True: pass` is stopped by the time limit and by Stop; variables are kept', async () => {
  await runPython(page, 'x = 41');
  const t0 = Date.now();
  const timed = await runPython(page, 'while True: pass', { timeout: 120000 });
  const took = Date.now() - t0;
  assert.equal(timed.status, 'timeout', `the time limit stops it (got ${timed.status})`);
  assert.ok(took < TIME_LIMIT_S * 1000 + 15000, `stopped within the limit + grace (${took} ms)`);
  const kept = await runPython(page, 'print(x + 1)');
  assert.equal(kept.stdout, '42\n', 'variables kept after the time limit (interrupt, not restart)');

  await page.evaluate(() => document.querySelector('code-interpreter').app.runCode('while True: pass'));
  await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.items.at(-1)?.exec?.status === 'running');
  await page.waitForTimeout(1000);
  const s0 = Date.now();
  await page.evaluate(() => document.querySelector('code-interpreter').app.stop());
  const v = await waitIdle(page, () => true, 30000);
  const stopped = v.items.filter((i) => i.kind === 'cell').at(-1).exec;
  figures.loop = { time_limit_status: timed.status, time_limit_ms: took, stop_status: stopped.status, stop_ms: Date.now() - s0, restarted: !!stopped.restarted };
  assert.equal(stopped.status, 'cancelled');
  const kept2 = await runPython(page, 'print(x + 1)');
  assert.equal(kept2.stdout, '42\n', 'variables kept after Stop');
  await assertCsvIntact('the infinite loop');
});

test('(b) deep recursion, also past sys.setrecursionlimit(10**6): recovers, next run works', async () => {
  const plain = await runPython(page, 'def f(n): return f(n + 1)\nf(0)');
  assert.equal(plain.status, 'error');
  assert.equal(plain.error.type, 'RecursionError', plain.error.message);
  const deep = await runPython(page, 'import sys\nsys.setrecursionlimit(10**6)\ndef g(n): return g(n + 1)\ng(0)', { timeout: 180000 });
  figures.recursion = { plain: `${plain.status}/${plain.error.type}`, deep: `${deep.status}/${deep.error?.type}`, deep_restarted: !!deep.restarted, deep_message: deep.error?.message?.slice(0, 160) };
  assert.ok(['error', 'crashed'].includes(deep.status), `recovers: ${deep.status}`);
  if (deep.status === 'error') assert.match(deep.error.type, /RecursionError|MemoryError/);
  const next = await runPython(page, 'print("alive")', { timeout: 120000 });
  assert.equal(next.stdout, 'alive\n');
  await assertCsvIntact('deep recursion');
});

test('(d) a stdout flood: capped with a note, and no main-thread task over 200 ms during it', async () => {
  // Baseline: the same length of idle time on this (shared, loaded) machine.
  const b0 = await page.evaluate(() => performance.now());
  await page.waitForTimeout(TIME_LIMIT_S * 1000);
  const b1 = await page.evaluate(() => performance.now());
  const baseline = await longTasksBetween(b0, b1);

  const f0 = await page.evaluate(() => performance.now());
  const { exec: flood, doneAt: f1 } = await runPythonTimed(page, "while True: print('x' * 1000)", { timeout: 120000 });
  const during = await longTasksBetween(f0, f1);
  await page.screenshot({ path: artifactPath('security-dos-flood.png') });

  const g0 = await page.evaluate(() => performance.now());
  const { exec: one, doneAt: g1 } = await runPythonTimed(page, "print('y' * 50_000_000)", { timeout: 120000 });
  const duringOne = await longTasksBetween(g0, g1);

  const max = (a) => (a.length ? Math.max(...a) : 0);
  figures.flood = {
    baseline_idle: { ms: Math.round(b1 - b0), long_tasks: baseline.length, max_task_ms: max(baseline) },
    loop_flood: { ms: Math.round(f1 - f0), status: flood.status, stdout_bytes: flood.stdout.length, long_tasks: during.length, max_task_ms: max(during), tasks: during.slice(0, 20) },
    print_50mb: { ms: Math.round(g1 - g0), status: one.status, stdout_bytes: one.stdout.length, long_tasks: duringOne.length, max_task_ms: max(duringOne), tasks: duringOne.slice(0, 20) },
  };
  console.log(`# flood: ${JSON.stringify(figures.flood)}`);
  assert.equal(flood.status, 'timeout');
  assert.ok(flood.stdout.length <= 2_100_000, `stdout capped (${flood.stdout.length})`);
  assert.match(flood.stderr + flood.stdout, /output truncated: \d+ bytes not shown/);
  assert.equal(one.status, 'ok');
  assert.ok(one.stdout.length <= 2_100_000, `stdout capped (${one.stdout.length})`);
  assert.match(one.stderr + one.stdout, /output truncated/);
  // The UI shows the cut as well.
  const shown = await page.locator('ci-cell').last().locator('section.cell').innerText();
  assert.match(shown, /output truncated/);
  assert.ok(max(during) < 200, `a main-thread task of ${max(during)} ms during the print loop flood (baseline idle max ${max(baseline)} ms)`);
  assert.ok(max(duringOne) < 200, `a main-thread task of ${max(duringOne)} ms during the 50 MB print (baseline idle max ${max(baseline)} ms)`);
  await assertCsvIntact('the flood');
  assertNoViolations(violations);
});
test('(c) a 3 GB allocation and a growing list: MemoryError or crash + restart, app alive', async () => {
  // Memory, not the clock, must stop these: filling wasm32's 4 GB takes
  // seconds (each memory.grow may copy the heap; 7 s on a quiet machine,
  // more under CI's load), so the 8 s limit of the other cases would race
  // it and a clean timeout would say nothing about running out of memory.
  await configure(page, { timeLimitS: 150 });
  const big = await runPython(page, 'b = bytearray(3 * 1024**3)\nprint(len(b))', { timeout: 180000 });
  const grow = await runPython(page, 'chunks = []\nwhile True:\n    chunks.append(bytearray(512 * 1024**2))', { timeout: 180000 });
  await configure(page, { timeLimitS: TIME_LIMIT_S });
  figures.memory = {
    bytearray_3gb: `${big.status}/${big.error?.type}`, growing_list: `${grow.status}/${grow.error?.type}`,
    restarted: [!!big.restarted, !!grow.restarted],
  };
  for (const r of [big, grow]) {
    // Stopped: a MemoryError/OverflowError, a crash, or the time limit with
    // the interpreter replaced (the interrupt is not seen inside a huge allocation).
    assert.ok(['error', 'crashed'].includes(r.status) || (r.status === 'timeout' && r.restarted), `stopped: ${r.status} (restarted: ${!!r.restarted}); ${JSON.stringify(figures.memory)}`);
    // bytearray(3 GiB) on wasm32: OverflowError (larger than the address space) is Python's own clean refusal.
    if (r.status === 'error') assert.match(r.error.type, /^(MemoryError|OverflowError)$/, r.error.message);
  }
  const next = await runPython(page, 'print("alive")', { timeout: 120000 });
  assert.equal(next.stdout, 'alive\n');
  assert.equal(await page.evaluate(() => document.querySelector('code-interpreter').app.vm.phase), 'ready');
  await assertCsvIntact('the memory hogs');
  // Reported, not asserted (a known gap, SECURITY.md): with gigabytes still
  // held by the kernel (`chunks`), the page's own work at the end of a run
  // with 1 MB of output is several times slower than in a fresh session.
  const h0 = await page.evaluate(() => performance.now());
  const { doneAt: h1 } = await runPythonTimed(page, "print('y' * 50_000_000)", { timeout: 120000 });
  const after = await longTasksBetween(h0, h1);
  figures.memory.print_1mb_after_hog = { long_tasks: after.length, max_task_ms: after.length ? Math.max(...after) : 0 };
});

