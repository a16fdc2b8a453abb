// Lighthouse on the built app (dist/), served like a static host with
// COOP/COEP by the test harness's server: the mobile run (Lighthouse's
// default: a simulated slow 4G and a 4x slower CPU) and the desktop run, a
// first visit each. Reports the four category scores and LCP/TBT/FCP, and
// writes bench/results/lighthouse.json.
//
//   node bench/lighthouse.mjs            (after npm run build)
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
if (!fs.existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('dist/ is missing: npm run build first');

// Async: the app's server runs in this process (a spawnSync would block it).
function lighthouse(args) {
  return new Promise((resolve) => {
    const child = spawn('npx', args, { env: { ...process.env, CHROME_PATH: chrome }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const app = await startApp({ isolation: true, dist: path.join(ROOT, 'dist'), checkout: false });
const runs = {};
try {
  for (const form of ['mobile', 'desktop']) {
    let report = null;
    // Headless Chromium now and then loses the trace (NO_NAVSTART): up to 3 tries.
    for (let attempt = 1; attempt <= 3 && !report; attempt++) {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ci-lh-')), 'report.json');
      const args = ['--yes', LIGHTHOUSE, `${app.url}/`, '--output=json', `--output-path=${out}`, '--quiet',
        '--chrome-flags=--headless=new --no-sandbox --disable-gpu', ...(form === 'desktop' ? ['--preset=desktop'] : [])];
      const r = await lighthouse(args);
      if (!fs.existsSync(out)) throw new Error(`lighthouse (${form}) wrote no report: ${r.stderr}`);
      const got = JSON.parse(fs.readFileSync(out, 'utf8'));
      if (got.runtimeError) console.error(`lighthouse (${form}) try ${attempt}: ${got.runtimeError.code}`);
      else report = got;
    }
    if (!report) throw new Error(`lighthouse (${form}) failed 3 times`);
    const score = (c) => report.categories[c]?.score ?? null;
    const ms = (a) => Math.round(report.audits[a]?.numericValue ?? NaN);
    const failing = (c) => report.categories[c].auditRefs
      .map((ref) => report.audits[ref.id])
      .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual' && a.scoreDisplayMode !== 'notApplicable')
      .map((a) => a.id);
    runs[form] = {
      performance: score('performance'), accessibility: score('accessibility'), best_practices: score('best-practices'), seo: score('seo'),
      lcp_ms: ms('largest-contentful-paint'), tbt_ms: ms('total-blocking-time'), fcp_ms: ms('first-contentful-paint'),
      below_full: { accessibility: failing('accessibility'), best_practices: failing('best-practices') },
      lighthouse: report.lighthouseVersion, chrome: report.environment?.hostUserAgent?.match(/Chrome\/[\d.]+/)?.[0],
    };
  }
} finally {
  await app.close();
}
const result = { at: new Date().toISOString(), ...runs };
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench/results/lighthouse.json'), `${JSON.stringify(result, null, 2)}\n`);
