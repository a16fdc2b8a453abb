// Lighthouse on the built app (dist/), served like a static host with
// COOP/COEP by the test harness's server: the mobile run (Lighthouse's
// default: a simulated slow 4G and a 4x slower CPU) and the desktop run, a
// first visit each. Reports the four category scores and LCP/TBT/FCP, and
// writes bench/results/lighthouse.json.
//
//   node bench/lighthouse.mjs            (after npm run build)
//   node bench/lighthouse.mjs --dist DIR --keep DIR --only mobile --no-save
//     DIR: another build (a copy of dist/); --keep writes the full reports
//     (mobile.json, desktop.json) there; --only runs one form factor;
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

const app = await startApp({ isolation: true, dist: DIST, checkout: false });
const runs = {};
try {
  for (const form of FORMS) {
    let report = null;
    let reportPath = null;
    // Headless Chromium now and then loses the trace (NO_NAVSTART): up to 3 tries.
    for (let attempt = 1; attempt <= 3 && !report; attempt++) {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ci-lh-')), 'report.json');
      const args = ['--yes', LIGHTHOUSE, `${app.url}/`, '--output=json', `--output-path=${out}`, '--quiet', '--save-assets',
        '--chrome-flags=--headless=new --no-sandbox --disable-gpu', ...(form === 'desktop' ? ['--preset=desktop'] : [])];
      const r = await lighthouse(args);
      if (!fs.existsSync(out)) throw new Error(`lighthouse (${form}) wrote no report: ${r.stderr}`);
      const got = JSON.parse(fs.readFileSync(out, 'utf8'));
      if (got.runtimeError) console.error(`lighthouse (${form}) try ${attempt}: ${got.runtimeError.code}`);
      else {
        report = got;
        reportPath = out;
      }
    }
    if (!report) throw new Error(`lighthouse (${form}) failed 3 times`);
    if (KEEP) {
      fs.mkdirSync(KEEP, { recursive: true });
      fs.writeFileSync(path.join(KEEP, `${form}.json`), JSON.stringify(report));
    }
    const trace = readTrace(path.join(path.dirname(reportPath), 'report-0.trace.json'));
    const score = (c) => report.categories[c]?.score ?? null;
    const ms = (a) => Math.round(report.audits[a]?.numericValue ?? NaN);
    const failing = (c) => report.categories[c].auditRefs
      .map((ref) => report.audits[ref.id])
      .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual' && a.scoreDisplayMode !== 'notApplicable')
      .map((a) => a.id);
    runs[form] = {
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
} finally {
  await app.close();
}
const result = { at: new Date().toISOString(), ...runs };
console.log(JSON.stringify(result, null, 2));
if (argv.includes('--no-save')) process.exit(0);
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench/results/lighthouse.json'), `${JSON.stringify(result, null, 2)}\n`);
