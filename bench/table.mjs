// The table viewer (<ci-table>) with 100,000 rows in real Chromium: load,
// scroll, sort (numbers, text), filter, clear, download as CSV, each driven as a user would
// (wheel, header clicks, typing), against the same steps on a 1,000-row
// baseline table in the same browser and run. Long tasks (> 50 ms on the main
// thread) are caught by a PerformanceObserver('longtask') in the page; the
// goal is none over 100 ms for scroll, sort and filter.
//
//   node bench/table.mjs [--rows 100000] [--rounds 3]
//
// Writes bench/results/table.json and prints a table: per step the median
// time until the view is in place (big and baseline, and their ratio) and the
// longest task seen during the step in any round, in wall time (the
// PerformanceObserver) and in CPU time (Chromium's trace: a busy machine
// stretches wall time, not CPU time). The page is
// tests/e2e/table-page (the viewer alone under the app's CSP), built by Vite.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { launchBrowser, ROOT } from '../tests/e2e/harness.mjs';
import { startTablePage } from '../tests/e2e/table-page.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const ROWS = Number(opt('rows', 100_000));
const BASE_ROWS = 1000;
const ROUNDS = Number(opt('rounds', 3));
const OUT = path.join(ROOT, 'bench/results/table.json');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

// In the page: a table as ci_runtime.py writes it (index, text, category,
// float, int, ISO date), pseudo-random from a fixed seed.
function makeTableText(n) {
  let seed = 42;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const cities = ['Oslo', 'Lima', 'Quito', 'Accra', 'Hanoi', 'Perth', 'Turin', 'Dakar'];
  const data = new Array(n);
  for (let i = 0; i < n; i++) {
    data[i] = {
      index: i, customer: `customer ${Math.floor(rnd() * n)}`, city: cities[Math.floor(rnd() * cities.length)],
      amount: Math.round(rnd() * 1e6) / 100, items: Math.floor(rnd() * 50),
      date: new Date(Date.UTC(2020, 0, 1) + Math.floor(rnd() * 1500) * 86400000).toISOString().slice(0, 10),
    };
  }
  const fields = [['index', 'integer'], ['customer', 'string'], ['city', 'string'], ['amount', 'number'], ['items', 'integer'], ['date', 'date']]
    .map(([name, type]) => ({ name, type }));
  return JSON.stringify({ schema: { fields, primaryKey: ['index'] }, data, total_rows: n, title: `Orders (${n})` });
}

/**
 * Chromium's trace of the page: every task of the renderer's main thread
 * with its wall time (dur) and its CPU time (tdur). On a busy machine a task
 * waits for a core and its wall time grows; its CPU time is what the code
 * costs. Returns stop() → {[step]: {wall, cpu}} (the longest task's ms).
 */
async function traceTasks(page) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['disabled-by-default-devtools.timeline', 'devtools.timeline', 'blink.user_timing', '__metadata'] }, transferMode: 'ReportEvents' });
  return async () => {
    const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await done;
    await cdp.detach();
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    const marks = {};
    for (const e of events) {
      const m = /^step-(start|end):(.*)$/.exec(e.name ?? '');
      if (m && e.cat?.includes('blink.user_timing')) (marks[m[2]] ??= {})[m[1]] = e.ts;
    }
    const tasks = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && (!main || (e.pid === main.pid && e.tid === main.tid)));
    const out = {};
    for (const [name, { start, end }] of Object.entries(marks)) {
      const inside = tasks.filter((t) => t.ts >= start && t.ts <= end);
      out[name] = {
        wall: Math.round(Math.max(0, ...inside.map((t) => t.dur ?? 0)) / 1000),
        cpu: Math.round(Math.max(0, ...inside.map((t) => t.tdur ?? 0)) / 1000),
      };
    }
    return out;
  };
}

async function measure(page, n) {
  // Made in Node and handed over before the steps (the transfer is not measured).
  const text = makeTableText(n);
  await page.evaluate((t) => { window.tableText = t; }, text);
  // Each step: mark, act, wait for the viewer's event, collect long tasks since the mark.
  // The marks also land in the trace (blink.user_timing), where the
  // renderer's tasks carry their CPU time (see cpuTasks).
  const step = async (name, act, until) => {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)))); // a quiet start
    const t0 = await page.evaluate((n) => { performance.mark(`step-start:${n}`); return performance.now(); }, name);
    await act();
    await until();
    const t1 = await page.evaluate((n) => { performance.mark(`step-end:${n}`); return performance.now(); }, name);
    const tasks = await page.evaluate((s) => window.longTasks.filter((t) => t.start >= s).map((t) => Math.round(t.duration)), t0);
    return { name, ms: Math.round(t1 - t0), longest: Math.max(0, ...tasks), tasks };
  };
  // Resolves on the viewer's event whose detail matches `want` ({dir} or {query}).
  const waitEvent = (type, want) => page.evaluate(([type, want]) => new Promise((resolve) => {
    const el = window.tableElement();
    const on = (e) => {
      if ('dir' in want && e.detail.sort.dir !== want.dir) return;
      if ('query' in want && e.detail.query !== want.query) return;
      el.removeEventListener(type, on);
      resolve();
    };
    el.addEventListener(type, on);
  }), [type, want]);
  const steps = [];
  // Load: ready fires once the table is drawn.
  steps.push(await step('load', () => page.evaluate(() => {
    window.showTable({ mime: 'application/vnd.dataresource+json', data: window.tableText, text: 'Orders' });
  }), () => page.evaluate(() => new Promise((r) => {
    const wait = () => { const el = window.tableElement(); if (el?.table && el.renderRoot.querySelector('.window [role=row]')) r(); else requestAnimationFrame(wait); };
    wait();
  }))));
  const grid = page.locator('ci-table .grid');
  const box = await grid.boundingBox();
  steps.push(await step('scroll', async () => {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 30; i++) {
      await page.mouse.wheel(0, 2000);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    }
  }, async () => {}));
  const header = (name) => page.locator(`ci-table [role=columnheader]:has-text("${name}")`);
  for (const [name, col, dir] of [['sort amount ▲', 'amount', 1], ['sort amount ▼', 'amount', -1], ['sort customer ▲', 'customer', 1]]) {
    steps.push(await step(name, async () => {
      const done = waitEvent('table-view', { dir });
      await header(col).click();
      await done;
    }, async () => {}));
  }
  steps.push(await step('filter "oslo 12"', async () => {
    const done = waitEvent('table-view', { query: 'oslo 12' });
    await page.locator('ci-table input[type=search]').fill('oslo 12');
    await done;
  }, async () => {}));
  steps.push(await step('clear filter', async () => {
    const done = waitEvent('table-view', { query: '' });
    await page.locator('ci-table input[type=search]').fill('');
    await done;
  }, async () => {}));
  steps.push(await step('download CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('ci-table button:has-text("CSV")').click()]);
    await download.path();
  }, async () => {}));
  return { chars: text.length, steps };
}

const browser = await launchBrowser();
const site = await startTablePage();
const results = { rows: ROWS, baseline_rows: BASE_ROWS, rounds: ROUNDS, chromium: null, steps: {} };
try {
  // A fresh page for each measurement: one table's garbage is not the next
  // one's GC pause (a user's page holds a few tables, not dozens).
  const runs = { big: [], base: [] };
  results.loadavg = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [kind, n] of [['base', BASE_ROWS], ['big', ROWS]]) {
      const page = await browser.newPage();
      await page.goto(site.url);
      await page.waitForFunction(() => window.pageReady);
      results.chromium ??= await page.evaluate(() => navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? navigator.userAgent);
      if (!(await page.evaluate(() => window.longTaskSupported))) throw new Error('this browser has no longtask PerformanceObserver');
      const stopTrace = await traceTasks(page);
      const run = await measure(page, n);
      const traced = await stopTrace();
      for (const st of run.steps) Object.assign(st, { trace_wall: traced[st.name]?.wall ?? null, trace_cpu: traced[st.name]?.cpu ?? null });
      runs[kind].push(run);
      await page.close();
    }
    results.loadavg.push(os.loadavg()[0]); // a busy machine stretches tasks: say how busy it was
  }
  for (const s of runs.big[0].steps.map((x) => x.name)) {
    const big = runs.big.map((r) => r.steps.find((x) => x.name === s));
    const base = runs.base.map((r) => r.steps.find((x) => x.name === s));
    const bigMs = median(big.map((x) => x.ms));
    const baseMs = median(base.map((x) => x.ms));
    results.steps[s] = {
      ms: bigMs, baseline_ms: baseMs, ratio: Number((bigMs / Math.max(1, baseMs)).toFixed(2)),
      longest_task_ms: Math.max(...big.map((x) => x.longest)), baseline_longest_task_ms: Math.max(...base.map((x) => x.longest)),
      // From the trace: the longest main-thread task in CPU time (what the code costs, whatever the machine's load).
      longest_task_cpu_ms: Math.max(...big.map((x) => x.trace_cpu ?? 0)), baseline_longest_task_cpu_ms: Math.max(...base.map((x) => x.trace_cpu ?? 0)),
      long_tasks: big.map((x) => x.tasks),
    };
  }
  // What the viewer adds to the download: its lazy chunk(s), raw and gzip.
  const assets = path.join(site.dir, 'assets');
  results.page_chunks = Object.fromEntries(fs.readdirSync(assets).map((f) => {
    const b = fs.readFileSync(path.join(assets, f));
    return [f.replace(/-[\w-]{8}\.js$/, '.js'), { bytes: b.length, gzip: zlib.gzipSync(b, { level: 9 }).length }];
  }));
} finally {
  await browser.close();
  await site.close();
}

fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
console.log(`ci-table, ${ROWS.toLocaleString('en-US')} rows vs ${BASE_ROWS.toLocaleString('en-US')} (median of ${ROUNDS}; longest task over all rounds), ${results.chromium}`);
console.log('step                 big ms  base ms  ratio  longest task, wall ms (big / base)  longest task, CPU ms (big / base)');
for (const [name, s] of Object.entries(results.steps)) {
  console.log(`${name.padEnd(20)} ${String(s.ms).padStart(6)} ${String(s.baseline_ms).padStart(8)} ${String(s.ratio).padStart(6)}  ${`${s.longest_task_ms} / ${s.baseline_longest_task_ms}`.padEnd(33)}  ${s.longest_task_cpu_ms} / ${s.baseline_longest_task_cpu_ms}`);
}
console.log(`machine load (1-min average after each round, ${os.cpus().length} cores): ${results.loadavg.map((x) => x.toFixed(1)).join(', ')}`);
console.log('page chunks (test page = viewer + Lit):', JSON.stringify(results.page_chunks));
console.log(`written to ${path.relative(ROOT, OUT)}`);
