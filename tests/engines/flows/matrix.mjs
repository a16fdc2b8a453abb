// The engine × flow matrix: every flow test of tests/engines/flows/ records
// its outcome here, into test-results/engines/matrix.json, merged across test
// files and runs (an entry is replaced only when the same engine × flow runs
// again), for the README's table.
//
//   { "updated": "<ISO time>",
//     "engines": { "<engine>": { "version": "…" } },
//     "flows":   { "<flow>": { "<engine>": { "status": "pass"|"fail", "ms": 1234,
//                                             "file": "app.test.mjs", "at": "<ISO>",
//                                             "error"?: "…", "notes"?: {…} } } } }
//
// As a command it prints the matrix as a Markdown table:
//   node tests/engines/flows/matrix.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const MATRIX_FILE = process.env.ENGINE_MATRIX_FILE || path.join(ROOT, 'test-results/engines/matrix.json');

/** The matrix as stored (an empty one when there is none or it is unreadable). */
export function readMatrix(file = MATRIX_FILE) {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (data && typeof data === 'object' && data.flows && data.engines) return data;
  } catch { /* none yet */ }
  return { updated: null, engines: {}, flows: {} };
}

/**
 * Runs `fn` holding a lock directory next to the file, so two test files
 * run at once (node --test with a concurrency above 1) never lose an entry.
 * A lock older than 30 s is taken as left behind by a killed run.
 */
async function withLock(file, fn) {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let stale = false;
      try { stale = Date.now() - fs.statSync(lock).mtimeMs > 30000; } catch { /* gone meanwhile */ }
      if (stale || Date.now() > deadline) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await sleep(20);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Records one engine × flow outcome: { status, ms, file, error?, notes? },
 * plus the engine's version. Written atomically (a temp file renamed).
 */
export async function recordFlow({ engine, flow, status, ms, file, version, error, notes }, matrixFile = MATRIX_FILE) {
  fs.mkdirSync(path.dirname(matrixFile), { recursive: true });
  await withLock(matrixFile, () => {
    const m = readMatrix(matrixFile);
    const at = new Date().toISOString();
    m.updated = at;
    if (version) m.engines[engine] = { ...(m.engines[engine] ?? {}), version };
    m.flows[flow] ??= {};
    const entry = { status, ms: Math.round(ms), file, at };
    if (error) entry.error = String(error).slice(0, 600);
    if (notes && Object.keys(notes).length) entry.notes = notes;
    m.flows[flow][engine] = entry;
    const tmp = `${matrixFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(m, null, 1)}\n`);
    fs.renameSync(tmp, matrixFile);
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** The matrix as a Markdown table: a row per flow, a column per engine ("pass 12.3 s"). */
export function markdownTable(m = readMatrix(), engines = ['chromium', 'firefox', 'webkit']) {
  const head = `| flow | ${engines.map((e) => `${e}${m.engines[e]?.version ? ` (${m.engines[e].version})` : ''}`).join(' | ')} |`;
  const rule = `|---|${engines.map(() => '---').join('|')}|`;
  const rows = Object.entries(m.flows).map(([flow, byEngine]) => {
    const cells = engines.map((e) => {
      const r = byEngine[e];
      return r ? `${r.status === 'pass' ? 'pass' : '**FAIL**'} ${seconds(r.ms)}` : '–';
    });
    return `| ${flow} | ${cells.join(' | ')} |`;
  });
  const totals = engines.map((e) => seconds(Object.values(m.flows).reduce((sum, byEngine) => sum + (byEngine[e]?.ms ?? 0), 0)));
  return [head, rule, ...rows, `| total | ${totals.join(' | ')} |`].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const m = readMatrix();
  if (!Object.keys(m.flows).length) {
    console.log(`no results in ${MATRIX_FILE} yet: run node --test tests/engines/`);
  } else {
    console.log(markdownTable(m));
    const failed = Object.entries(m.flows).flatMap(([flow, byEngine]) => Object.entries(byEngine).filter(([, r]) => r.status !== 'pass').map(([e, r]) => `- ${e}: ${flow}: ${r.error ?? ''}`));
    if (failed.length) console.log(`\nfailures:\n${failed.join('\n')}`);
  }
}
