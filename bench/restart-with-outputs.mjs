// A fresh Python for a new conversation, in real Chromium, after runs that
// showed many HTML outputs, against the same restart after runs that showed
// none: same browser, same page, alternating blocks, same run.
//
//   node bench/restart-with-outputs.mjs [--rounds 8] [--outputs 120]
//
// Why: each HTML output is an <iframe sandbox> (no scripts), and Chromium
// puts sandboxed frames of one site in one process: the Python sandbox
// frame's. Creating and dropping ~120 of them per conversation while
// Python restarts for each new conversation was seen to stall that process
// (the new sandbox frame does not answer for ~30 s after about five rounds;
// reproduced with Playwright and with raw CDP on the page only). This
// measures it: the ratio of the median restart with outputs to the median
// restart without, and how many restarts took longer than the sandbox's
// frame timeout (10 s, after which the start policy retries).
//
// Writes bench/results/restart-with-outputs.json and prints a table.
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, startApp, ROOT } from '../tests/e2e/harness.mjs';
import { waitReady } from '../tests/e2e/app-helpers.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : dflt; };
const ROUNDS = opt('rounds', 8);
const OUTPUTS = opt('outputs', 120);
const OUT = path.join(ROOT, 'bench/results/restart-with-outputs.json');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/** One round in the page: a new conversation, a run showing `n` HTML outputs, then the timed restart. */
async function round(page, n) {
  return page.evaluate(async (count) => {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const until = async (f, ms = 120000) => { const end = Date.now() + ms; while (Date.now() < end) { if (f()) return true; await sleep(50); } return false; };
    const app = document.querySelector('code-interpreter').app;
    await app.newConversation();
    await until(() => app.vm.items.length === 0 && app.vm.python.state === 'ready');
    const code = `class _H:\n    def __init__(self, i): self.i = i\n    def _repr_html_(self): return '<b>output %d</b>' % self.i\nfor _i in range(${count}):\n    display(_H(_i))\nprint('shown')`;
    app.runCode(code);
    await until(() => { const c = app.vm.items.filter((x) => x.kind === 'cell'); return c.length && c.at(-1).exec.status !== 'running' && !app.vm.running; });
    const cell = app.vm.items.filter((x) => x.kind === 'cell').at(-1);
    await sleep(500); // the output frames load
    const t = performance.now();
    let error = null;
    try { await app.sandbox.restart('bench', { notify: false }); } catch (e) { error = e.message; }
    return { ms: performance.now() - t, run: cell.exec.status, outputs: cell.exec.outputs.length, error };
  }, n);
}

const app = await startApp({ isolation: true });
const browser = await launchBrowser();
const results = { with: [], without: [] };
try {
  const page = await browser.newPage();
  await page.goto(`${app.url}/`);
  await waitReady(page);
  for (let i = 0; i < ROUNDS; i += 1) {
    for (const [name, n] of [['without', 0], ['with', OUTPUTS]]) {
      const r = await round(page, n);
      results[name].push(r);
      console.log(`round ${i + 1} ${name.padEnd(7)} outputs ${String(r.outputs).padStart(3)}  restart ${Math.round(r.ms)} ms${r.error ? `  FAILED: ${r.error}` : ''}`);
    }
  }
} finally {
  await browser.close();
  await app.close();
}
const summary = {
  date: new Date().toISOString(), rounds: ROUNDS, outputs: OUTPUTS,
  median_ms_without: Math.round(median(results.without.map((r) => r.ms))),
  median_ms_with: Math.round(median(results.with.map((r) => r.ms))),
  over_10s_without: results.without.filter((r) => r.ms > 10000 || r.error).length,
  over_10s_with: results.with.filter((r) => r.ms > 10000 || r.error).length,
};
summary.ratio = Number((summary.median_ms_with / summary.median_ms_without).toFixed(2));
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, `${JSON.stringify({ ...summary, results }, null, 1)}\n`);
console.log(`\nrestart median: ${summary.median_ms_without} ms without outputs, ${summary.median_ms_with} ms after ${OUTPUTS} HTML outputs (ratio ${summary.ratio}); over 10 s or failed: ${summary.over_10s_without} without, ${summary.over_10s_with} with`);
