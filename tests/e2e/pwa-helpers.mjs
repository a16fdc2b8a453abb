// Helpers for the offline-PWA browser tests (tests/e2e/pwa.test.mjs) and the
// PWA bench (bench/pwa.mjs): a private copy of dist/ per test (so a test can
// edit config.json or make a "new deploy" and re-run the service worker
// build on it), waiting for the service worker, running Python through the
// app's controller, reading the package cache.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './harness.mjs';
import { waitIdle, vm } from './app-helpers.mjs';

export const PACKAGE_CACHE = 'ci-packages-v1'; // web/sw/names.mjs

/** Is dist/ a finished build? (sw.js is written last, after index.html.) */
function distComplete(dist) {
  try {
    return fs.statSync(path.join(dist, 'sw.js')).mtimeMs >= fs.statSync(path.join(dist, 'index.html')).mtimeMs;
  } catch {
    return false;
  }
}

/**
 * A copy of dist/ in a temporary folder; remove() deletes it. Waits (up to
 * 60 s) while a build is rewriting dist/ (other work may run "npm run build").
 */
export async function copyDist() {
  const dist = path.join(ROOT, 'dist');
  const end = Date.now() + 60000;
  while (!distComplete(dist)) {
    if (Date.now() > end) throw new Error('dist/ is not a complete build (dist/sw.js missing or older than index.html): run "npm run build"');
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 300)); // a build that just ended may still be closing files
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-dist-'));
  fs.cpSync(dist, dir, { recursive: true, preserveTimestamps: true });
  if (!distComplete(dir)) throw new Error('dist/ changed while it was copied: run the test again');
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Waits until a service worker controls the page and is activated (its
 * install, i.e. the whole precache, is done). Survives the one reload a
 * first visit to a host without COOP/COEP makes.
 */
export async function waitControlled(page, timeout = 120000) {
  const end = Date.now() + timeout;
  let last = null;
  while (Date.now() < end) {
    last = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return { controlled: !!navigator.serviceWorker.controller, active: reg?.active?.state ?? null, waiting: !!reg?.waiting, installing: !!reg?.installing };
    }).catch((error) => ({ error: error.message })); // the page may be reloading
    if (last.controlled && last.active === 'activated') return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no activated service worker controls the page: ${JSON.stringify(last)}`);
}

/** Runs code as a cell through the controller; resolves with its exec. */
export async function runCell(page, code) {
  const cells = (v) => v.items.filter((i) => i.kind === 'cell');
  const n = cells(await vm(page)).length;
  const accepted = await page.evaluate((c) => document.querySelector('code-interpreter').app.runCode(c), code);
  if (!accepted) throw new Error('the app did not accept the code');
  const v = await waitIdle(page, (s) => cells(s).length === n + 1 && cells(s).at(-1).exec?.status && cells(s).at(-1).exec.status !== 'running', 90000);
  return cells(v).at(-1).exec;
}

/** File names in the service worker's package cache. */
export function cachedPackageFiles(page) {
  return page.evaluate(async (name) => {
    if (!(await caches.has(name))) return [];
    const keys = await (await caches.open(name)).keys();
    return keys.map((r) => decodeURIComponent(new URL(r.url).pathname.split('/').pop())).sort();
  }, PACKAGE_CACHE);
}

/** Can the page reach `url` with fetch right now? */
export function canFetch(page, url) {
  return page.evaluate(async (u) => {
    try {
      const r = await fetch(u, { cache: 'no-store' });
      return r.ok;
    } catch {
      return false;
    }
  }, url);
}

/** Polls `fn` in the page until it returns true; evaluation errors (a reload under way) count as "not yet". */
export async function pollPage(page, fn, { timeout = 120000, what = String(fn) } = {}) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await page.evaluate(fn).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
