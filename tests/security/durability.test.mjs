// Durability of the app's store under a killed browser: 1,000 writes of
// versioned conversation records (state + meta + 1–3 files of 4 B … 3 MB,
// written by the app's real Store.saveSnapshot in the built app, one
// IndexedDB transaction each) while the whole Chromium process tree is
// SIGKILLed at random moments (seeded: DURABILITY_SEED, default 20251126),
// then relaunched on the same --user-data-dir. After each relaunch every
// record must be wholly one version — the last acknowledged one or the one
// in flight — never a mix, never corrupt; and no acknowledged write may be
// lost. Figures go to test-results/e2e/durability.json.
//
// Notes: a SIGKILL of every Chromium process is what a crash or the OOM
// killer does; it does not model power loss (the OS page cache survives a
// process kill), which only 'strict' durability (fsync) would cover. The
// test also times the store's default durability against 'strict'.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { artifactPath, startApp } from '../e2e/harness.mjs';
import { requireBuiltApp } from '../e2e/app-helpers.mjs';
import { launchProfile, tempProfile, descendants, waitExited } from './browser-procs.mjs';
import { installKit, rng } from './durability-helpers.mjs';

const SEED = Number(process.env.DURABILITY_SEED ?? 20251126);
const RECORDS = 20;
const TOTAL_WRITES = 1000;
const KILLS = 15;

let app;
let userDataDir;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true }); // one origin for all launches: IndexedDB is per origin
  userDataDir = tempProfile('ci-durability-');
});

after(async () => {
  await app?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

/** Launches Chromium on the kept profile and opens the app (Python blocked: only the store matters). */
async function open(hooks) {
  const browser = await launchProfile({ userDataDir, keep: true });
  await browser.context.route(/\/pyodide\//, (route) => route.abort());
  const page = await browser.newPage();
  page.on('pageerror', () => {});
  await page.exposeFunction('durStarted', (r, v, bytes) => hooks.started(r, v, bytes));
  await page.exposeFunction('durAcked', (r, v) => hooks.acked(r, v));
  await page.exposeFunction('durFailed', (r, v, error) => hooks.failed(r, v, error));
  await page.goto(`${app.url}/`);
  await page.waitForFunction(() => {
    const a = document.querySelector('code-interpreter')?.app;
    if (a?.vm.phase === 'failed') throw new Error(a.vm.fatal);
    return a?.vm.phase === 'ready' && a.store;
  }, null, { timeout: 90000 });
  await installKit(page);
  return { browser, page };
}

/** SIGKILLs every process of the browser's tree at once; returns their pids. */
function killTree(browser) {
  const procs = descendants(browser.browserPid());
  for (const p of procs) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
  return procs.map((p) => p.pid);
}

test(`${TOTAL_WRITES} writes, ${KILLS} SIGKILLs of the browser: every record is one whole version, no acknowledged write lost`, { timeout: 30 * 60000 }, async () => {
  const random = rng(SEED);
  const acked = {}; // record → last version whose transaction completed (as far as Node heard)
  let started = 0;
  let ackedCount = 0;
  let inFlight = null; // { r, v, bytes } between started and acked
  let bytesWritten = 0;
  const stats = { seed: SEED, records: RECORDS, kills: 0, killedProcesses: 0, launches: 0, writesStarted: 0, writesAcked: 0, bytesAcked: 0, checks: 0, torn: [], lostAcked: [], failedWrites: [], inFlightAtKill: [], versionsFound: { acked: 0, inFlight: 0, none: 0 } };
  let onStart = () => {};
  const writeMs = []; // how long writes take as Node sees them (started → acked)
  const recentMedianMs = () => {
    const xs = writeMs.slice(-50).sort((a, b) => a - b);
    return xs.length ? xs[Math.floor(xs.length / 2)] : 20;
  };
  const hooks = {
    started(r, v, bytes) {
      started += 1;
      inFlight = { r, v, bytes, t: performance.now() };
      onStart(started);
    },
    acked(r, v) {
      if (inFlight) writeMs.push(performance.now() - inFlight.t);
      acked[r] = v;
      ackedCount += 1;
      bytesWritten += inFlight?.bytes ?? 0;
      inFlight = null;
    },
    failed(r, v, error) { // the store refused a write (a conflict or missing bytes would be a bug)
      stats.failedWrites.push({ r, v, ...error });
      inFlight = null;
    },
  };

  // Verifies every record after a (re)launch; returns the versions found.
  async function verify(page, killedDuring) {
    const found = await page.evaluate((n) => window.__dur.verify(n), RECORDS);
    const versions = {};
    for (const rec of found) {
      stats.checks += 1;
      versions[rec.r] = rec.version;
      const want = acked[rec.r] ?? 0;
      if (!rec.ok) stats.torn.push({ r: rec.r, problems: rec.problems, after: killedDuring });
      else if (rec.version < want) stats.lostAcked.push({ r: rec.r, found: rec.version, acked: want, after: killedDuring });
      else if (rec.version === want) stats.versionsFound[rec.missing ? 'none' : 'acked'] += 1;
      else if (killedDuring && killedDuring.r === rec.r && rec.version === killedDuring.v) stats.versionsFound.inFlight += 1;
      else stats.torn.push({ r: rec.r, problems: [`version ${rec.version}: neither the acknowledged ${want} nor the one in flight ${JSON.stringify(killedDuring)}`] });
    }
    return versions;
  }

  let state = {};
  for (let k = 0; k <= KILLS; k += 1) {
    const { browser, page } = await open(hooks);
    stats.launches += 1;
    // After a kill: what survived, and where writing resumes (the in-flight write may have landed).
    const killed = stats.inFlightAtKill.at(-1) ?? null;
    const versions = await verify(page, k ? killed : null);
    for (const [r, v] of Object.entries(versions)) if (v) acked[r] = Math.max(acked[r] ?? 0, v);
    state = { ...acked };
    const left = TOTAL_WRITES - started;
    if (left <= 0 || k === KILLS) {
      if (k === KILLS && left > 0) {
        // The last stretch runs to the end without a kill.
        await page.evaluate(([n, s, seed, max]) => window.__dur.run(n, s, seed, max), [RECORDS, state, SEED + k, left]);
        await verify(page, null);
      }
      stats.durabilityCost = await page.evaluate(() => window.__dur.timeDurability(20));
      await browser.close();
      break;
    }
    // Kill after a random number of started writes (so that about TOTAL/KILLS land per launch),
    // then a random moment within a typical write's duration (the median of the last 50, at most
    // 60 ms), so that most kills land during a write on a fast machine as on a slow one.
    const target = started + Math.max(5, Math.round((left / (KILLS - k + 1)) * (0.5 + random())));
    const delay = Math.floor(random() * Math.min(60, recentMedianMs()));
    const reached = new Promise((resolve) => { onStart = (n) => { if (n >= target) resolve(); }; });
    const writer = page.evaluate(([n, s, seed, max]) => window.__dur.run(n, s, seed, max), [RECORDS, state, SEED + k, left]).catch(() => 'killed');
    const outcome = await Promise.race([reached.then(() => 'reached'), writer.then(() => 'finished')]);
    onStart = () => {};
    if (outcome === 'reached') await sleep(delay);
    const flight = inFlight ? { ...inFlight } : null;
    const pids = killTree(browser);
    stats.killedProcesses += pids.length;
    stats.kills += 1;
    stats.inFlightAtKill.push(flight);
    await writer;
    await browser.context.close().catch(() => {});
    // As after a real crash: the next launch starts once the old processes are gone.
    const stuck = await waitExited(pids);
    assert.deepEqual(stuck, [], 'every killed process exited');
    await sleep(300);
  }
  stats.writesStarted = started;
  stats.writesAcked = ackedCount;
  stats.bytesAcked = bytesWritten;
  stats.killsMidWrite = stats.inFlightAtKill.filter(Boolean).length;
  fs.writeFileSync(artifactPath('durability.json'), JSON.stringify(stats, null, 1));
  console.log(JSON.stringify({ ...stats, inFlightAtKill: stats.inFlightAtKill.map((f) => f && `${f.r}@${f.v} ${f.bytes} B`) }, null, 1));

  assert.ok(stats.writesStarted >= TOTAL_WRITES, `${stats.writesStarted} writes`);
  assert.equal(stats.kills, KILLS, 'every planned kill happened');
  assert.ok(stats.killsMidWrite >= KILLS / 2, `most kills landed during a write (${stats.killsMidWrite})`);
  assert.ok(stats.checks >= RECORDS * (KILLS + 1), 'every record was checked after every launch');
  assert.deepEqual(stats.failedWrites, [], 'the store refused no write');
  assert.deepEqual(stats.torn, [], 'no torn or corrupt record');
  assert.deepEqual(stats.lostAcked, [], 'no acknowledged write lost');
});
