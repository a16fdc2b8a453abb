// The offline PWA's start, in real Chromium: a warm OFFLINE reload of the
// built app (every byte from the service worker; Python from its IndexedDB
// snapshot) against bare Pyodide's warm load (bench/sandbox/page.html?mode=bare:
// loadPyodide in a module worker, the HTTP cache warm, ETag revalidation),
// both in the same browser, alternating, same run. Also the size of dist/
// without pyodide/ (raw and gzip, per file as a static host serves it).
//
//   node bench/pwa.mjs [--rounds 5]
//
// Writes bench/results/pwa.json and prints a table. Times are
// performance.now() at the event, i.e. since navigation start:
//   ui      the app's view model reaches phase 'ready' (the UI is interactive)
//   python  the app's Python is ready (vm.python.state 'ready'); bare: loadPyodide done
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createServer } from '../scripts/serve.mjs';
import { launchBrowser, listen, closeServer, ROOT } from '../tests/e2e/harness.mjs';
import { benchServer } from './bench-server.mjs';
import { copyDist, waitControlled } from '../tests/e2e/pwa-helpers.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const ROUNDS = Number(opt('rounds', 5));
const OUT = path.join(ROOT, 'bench/results/pwa.json');
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const log = (...a) => console.log(...a);


/** Bytes of dist/ without pyodide/: raw, and gzip -9 of each file summed. */
function distSize(dir) {
  let raw = 0;
  let gzip = 0;
  let files = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { if (path.relative(dir, p) !== 'pyodide') walk(p); continue; }
      const bytes = fs.readFileSync(p);
      raw += bytes.length;
      gzip += zlib.gzipSync(bytes, { level: 9 }).length;
      files += 1;
    }
  };
  walk(dir);
  const pyodide = fs.readdirSync(path.join(dir, 'pyodide')).reduce((n, f) => n + fs.statSync(path.join(dir, 'pyodide', f)).size, 0);
  return { files, raw_bytes: raw, gzip_bytes: gzip, pyodide_raw_bytes: pyodide };
}

// Records when the app's UI and Python become ready (ms since navigation start).
function recordReadiness() {
  window.__pwaTimes = {};
  const timer = setInterval(() => {
    const app = document.querySelector('code-interpreter')?.app;
    if (!app) return;
    clearInterval(timer);
    const check = () => {
      const t = window.__pwaTimes;
      if (app.vm.phase === 'ready' && t.ui === undefined) t.ui = performance.now();
      if (app.vm.python.state === 'ready' && t.python === undefined) t.python = performance.now();
    };
    check();
    app.addEventListener('change', check);
  }, 1);
}

async function oursReady(page) {
  await page.waitForFunction(() => window.__pwaTimes?.python !== undefined, null, { timeout: 120000 });
  return page.evaluate(() => ({ ...window.__pwaTimes, start: document.querySelector('code-interpreter').app.sandbox.lastStart, controlled: !!navigator.serviceWorker.controller, online: navigator.onLine }));
}

async function main() {
  const copy = await copyDist();
  const size = distSize(copy.dir); // a copy: other builds may rewrite dist/ meanwhile
  const appServer = createServer({ dist: copy.dir, isolation: true, checkout: false });
  const appUrl = await listen(appServer);
  const bare = benchServer();
  const bareUrl = await listen(bare); // another port: another origin, out of the worker's scope
  const browser = await launchBrowser();
  const loads = [];
  const res = { ours: { ui: [], python: [], starts: [] }, bare: { python: [] } };
  try {
    const ours = await browser.newPage();
    await ours.addInitScript(recordReadiness);
    await ours.goto(`${appUrl}/`);
    await oursReady(ours);
    await waitControlled(ours);
    // One online reload: the snapshot is written after the first start.
    await ours.reload();
    await oursReady(ours);
    await ours.evaluate(async () => { const sb = document.querySelector('code-interpreter').app.sandbox; await sb.snapshotDone; await sb.snapshotStored; });
    const barePage = await browser.newPage();
    const openBare = async () => {
      await barePage.goto(`${bareUrl}/bench/sandbox/page.html?mode=bare`);
      return barePage.evaluate(() => window.benchReady);
    };
    await openBare(); // cold: fills the HTTP cache
    for (let round = 0; round < ROUNDS; round += 1) {
      loads.push(os.loadavg()[0]);
      const order = round % 2 ? ['bare', 'ours'] : ['ours', 'bare'];
      const line = [];
      for (const mode of order) {
        // The measured side is the front tab: Chromium runs a tab behind (and
        // its sandbox frame's process) at a lower CPU priority (nice 5 on Linux).
        await (mode === 'ours' ? ours : barePage).bringToFront();
        if (mode === 'ours') {
          await browser.context.setOffline(true);
          await ours.reload();
          const t = await oursReady(ours);
          await browser.context.setOffline(false);
          if (!t.controlled || t.online) throw new Error(`not an offline, worker-served reload: ${JSON.stringify(t)}`);
          res.ours.ui.push(t.ui);
          res.ours.python.push(t.python);
          res.ours.starts.push(t.start?.mode ?? null);
          // Where Python's start went: when start() was called (ms since navigation) and its own breakdown.
          (res.ours.breakdown ??= []).push({ start_called_at: t.start ? Math.round(t.python - t.start.ready_ms) : null, ...(t.start ?? {}) });
          line.push(`ours ui ${Math.round(t.ui)} ms, python ${Math.round(t.python)} ms (${t.start?.mode})`);
        } else {
          const r = await openBare();
          res.bare.python.push(r.ready_ms);
          line.push(`bare python ${Math.round(r.ready_ms)} ms`);
        }
      }
      log(`  round ${round + 1}: ${line.join('; ')}  (load ${os.loadavg()[0].toFixed(2)})`);
    }
  } finally {
    await browser.close();
    await closeServer(appServer);
    await closeServer(bare);
    copy.remove();
  }
  const m = { ours_ui: median(res.ours.ui), ours_python: median(res.ours.python), bare_python: median(res.bare.python) };
  const result = {
    benchmark: 'offline PWA: warm offline reload of the built app (service worker) vs bare Pyodide warm load (HTTP cache), headless Chromium, same run',
    date: new Date().toISOString(),
    rounds: ROUNDS,
    median_ms: { ours_ui_ready: +m.ours_ui.toFixed(1), ours_python_ready: +m.ours_python.toFixed(1), bare_pyodide_ready: +m.bare_python.toFixed(1) },
    ratio_to_bare: { ui_ready: +(m.ours_ui / m.bare_python).toFixed(3), python_ready: +(m.ours_python / m.bare_python).toFixed(3) },
    samples_ms: res,
    dist_without_pyodide: size,
    machine: { cpus: os.cpus().length, load_average_1m: loads.map((l) => +l.toFixed(2)) },
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  log('\n| metric | median | / bare Pyodide warm |');
  log('|---|---|---|');
  log(`| ours, offline reload → UI ready | ${m.ours_ui.toFixed(0)} ms | ${result.ratio_to_bare.ui_ready}x |`);
  log(`| ours, offline reload → Python ready | ${m.ours_python.toFixed(0)} ms | ${result.ratio_to_bare.python_ready}x |`);
  log(`| bare Pyodide, warm load → ready | ${m.bare_python.toFixed(0)} ms | 1x |`);
  log(`\ndist/ without pyodide/: ${size.files} files, ${(size.raw_bytes / 1024).toFixed(0)} KiB raw, ${(size.gzip_bytes / 1024).toFixed(0)} KiB gzip (pyodide/: ${(size.pyodide_raw_bytes / 1e6).toFixed(1)} MB raw)`);
  log(`wrote ${path.relative(ROOT, OUT)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
