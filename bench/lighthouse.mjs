// Lighthouse on the built app (dist/), served like a static host with
// COOP/COEP by the test harness's server: the mobile run (Lighthouse's
// default: a simulated slow 4G and a 4x slower CPU) and the desktop run, a
// first visit each, three of each reported by the median. Reports the four
// category scores and LCP/TBT/FCP, what the largest paint was and what was
// requested before it, the longest tasks, and writes
// bench/results/lighthouse.json.
//
//   node bench/lighthouse.mjs            (after npm run build)
//   node bench/lighthouse.mjs --dist DIR --keep DIR --only mobile --runs 3 --no-save
//     DIR: another build (a copy of dist/); --keep writes the median runs'
//     full reports (mobile.json, desktop.json) there; --only runs one form
//     factor; --runs: runs per form factor (3), the median one reported;
//     --no-save leaves bench/results/lighthouse.json alone.
//
// Lighthouse is pinned at 12.2.3 (13 wants Node 22) and fetched by npx on
// first use, not a dependency of the project. Chromium: CHROME_PATH or
// /usr/bin/chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startApp } from '../tests/e2e/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LIGHTHOUSE = 'lighthouse@12.2.3';
const chrome = process.env.CHROME_PATH || '/usr/bin/chromium';
const argv = process.argv.slice(2);
const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const DIST = path.resolve(opt('--dist') ?? path.join(ROOT, 'dist'));
const KEEP = opt('--keep') && path.resolve(opt('--keep'));
const FORMS = opt('--only') ? [opt('--only')] : ['mobile', 'desktop'];
const RUNS = Math.max(1, Number(opt('--runs') ?? 3));
if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error(`${DIST} has no index.html: npm run build first`);

// The observed run's trace (--save-assets): the last LCP candidate (Chromium
// 156 breaks this Lighthouse's own LCP-element audit) and the requests sent
// before it, which Lighthouse's simulated LCP pays for.
function readTrace(file) {
  if (!fs.existsSync(file)) return { lcpElement: null, before: null };
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  const events = raw.traceEvents ?? raw;
  const lcp = events.filter((e) => e.name === 'largestContentfulPaint::Candidate').at(-1);
  const text = events.filter((e) => e.name === 'LargestTextPaint::Candidate' || e.name === 'LargestImagePaint::Candidate')
    .find((e) => e.args?.data?.candidateIndex === lcp?.args?.data?.candidateIndex);
  const before = lcp ? events.filter((e) => e.name === 'ResourceSendRequest' && e.ts < lcp.ts)
    .map((e) => e.args.data.url.replace(/^https?:\/\/[^/]+\//, '') || '(page)') : null;
  const d = lcp?.args?.data;
  return { lcpElement: d ? `${d.nodeName ?? text?.args?.data?.nodeName ?? '?'} (${d.size} px², ${d.type ?? 'text'})` : null, before };
}

// Async: the app's server runs in this process (a spawnSync would block it).
function lighthouse(args) {
  return new Promise((resolve) => {
    const child = spawn('npx', args, { env: { ...process.env, CHROME_PATH: chrome }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

// One Lighthouse run of `form`: the report and its trace's file (3 tries:
// headless Chromium now and then loses the trace, NO_NAVSTART).
async function runOnce(url, form) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ci-lh-')), 'report.json');
    const args = ['--yes', LIGHTHOUSE, `${url}/`, '--output=json', `--output-path=${out}`, '--quiet', '--save-assets',
      '--chrome-flags=--headless=new --no-sandbox --disable-gpu', ...(form === 'desktop' ? ['--preset=desktop'] : [])];
    const r = await lighthouse(args);
    if (!fs.existsSync(out)) throw new Error(`lighthouse (${form}) wrote no report: ${r.stderr}`);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    if (!report.runtimeError) return { report, trace: path.join(path.dirname(out), 'report-0.trace.json') };
    console.error(`lighthouse (${form}) try ${attempt}: ${report.runtimeError.code}`);
  }
  throw new Error(`lighthouse (${form}) failed 3 times`);
}

function summary(report, tracePath) {
  const trace = readTrace(tracePath);
  const score = (c) => report.categories[c]?.score ?? null;
  const ms = (a) => Math.round(report.audits[a]?.numericValue ?? NaN);
  const failing = (c) => report.categories[c].auditRefs
    .map((ref) => report.audits[ref.id])
    .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual' && a.scoreDisplayMode !== 'notApplicable')
    .map((a) => a.id);
  return {
    performance: score('performance'), accessibility: score('accessibility'), best_practices: score('best-practices'), seo: score('seo'),
    lcp_ms: ms('largest-contentful-paint'), tbt_ms: ms('total-blocking-time'), fcp_ms: ms('first-contentful-paint'),
    // What Lighthouse's simulation charges the paints with: the requests sent before them (observed run).
    lcp_element: trace.lcpElement, requested_before_lcp: trace.before,
    // The tasks behind the total blocking time: [script, simulated ms] (tasks of 50 ms and more).
    long_tasks: (report.audits['long-tasks']?.details?.items ?? []).slice(0, 6)
      .map((t) => [t.url.replace(/^.*\//, '') || '(page)', Math.round(t.duration)]),
    below_full: { accessibility: failing('accessibility'), best_practices: failing('best-practices') },
    lighthouse: report.lighthouseVersion, chrome: report.environment?.hostUserAgent?.match(/Chrome\/[\d.]+/)?.[0],
  };
}

// RUNS runs per form factor (--runs, default 3), reported by their median
// performance score, as Lighthouse's docs advise: its total blocking time
// scales the observed tasks by 4, so one run swings with the machine's load.
// Every run's score, LCP and TBT are listed too.
const loadBefore = os.loadavg().map((x) => +x.toFixed(2));
const app = await startApp({ isolation: true, dist: DIST, checkout: false });
const runs = {};
try {
  for (const form of FORMS) {
    const all = [];
    for (let i = 0; i < RUNS; i++) {
      const { report, trace } = await runOnce(app.url, form);
      all.push({ report, summary: summary(report, trace) });
    }
    const byScore = [...all].sort((a, b) => a.summary.performance - b.summary.performance);
    const median = byScore[Math.floor((byScore.length - 1) / 2)];
    if (KEEP) {
      fs.mkdirSync(KEEP, { recursive: true });
      fs.writeFileSync(path.join(KEEP, `${form}.json`), JSON.stringify(median.report));
    }
    runs[form] = {
      ...median.summary,
      runs: all.map(({ summary: s }) => ({ performance: s.performance, lcp_ms: s.lcp_ms, tbt_ms: s.tbt_ms, fcp_ms: s.fcp_ms })),
    };
  }
} finally {
  await app.close();
}
// The machine's load average (1, 5, 15 min) before and after: the figures move with it.
const result = { at: new Date().toISOString(), load_avg: { before: loadBefore, after: os.loadavg().map((x) => +x.toFixed(2)) }, ...runs };
console.log(JSON.stringify(result, null, 2));
if (argv.includes('--no-save')) process.exit(0);
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench/results/lighthouse.json'), `${JSON.stringify(result, null, 2)}\n`);
