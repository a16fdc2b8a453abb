// What the cross-engine flows share: defineFlows() (one test() per engine ×
// flow, engines one after another, one browser per engine per file, each
// outcome recorded in the matrix), and the app-side helpers written once on
// the driver interface (tests/engines/driver.mjs): open the app, wait for
// Python, the view model, the composer (Python mode, Run, Stop), the cells
// as the DOM shows them, settings, the service worker's first visit.
//
// Every wait is a waitFor predicate polled from Node (the page's CSP forbids
// string evaluation; the drivers' evaluate is exempt from it).
import test, { after } from 'node:test';
import path from 'node:path';
import { ENGINES, enginesToRun, launch } from '../driver.mjs';
import { recordFlow } from './matrix.mjs';

export const COMPOSER = 'code-interpreter >> ci-composer';
export const TEXTAREA = `${COMPOSER} >> textarea`;
export const FILE_INPUT = `${COMPOSER} >> input[type=file]`;
/** Python takes ~2 s to start in Chromium and Firefox, 5–10 s in WebKit (more when the machine is busy). */
export const PYTHON_START_MS = 120000;

// ------------------------------------------------------------ the tests

/**
 * One browser per engine at a time: get(engine) launches it on first use
 * and closes any other engine's browser first (two cores: never two
 * browsers at once).
 */
class BrowserPool {
  constructor() {
    this.open = new Map();
  }

  async get(engine) {
    for (const other of [...this.open.keys()]) if (other !== engine) await this.close(other);
    if (!this.open.has(engine)) this.open.set(engine, launch(engine));
    return this.open.get(engine);
  }

  async close(engine) {
    const pending = this.open.get(engine);
    this.open.delete(engine);
    if (pending) await pending.then((b) => b.close(), () => {});
  }

  async closeAll() {
    for (const engine of [...this.open.keys()]) await this.close(engine);
  }
}

/**
 * Engines whose every flow gets its own browser. A WebKit automation session
 * is ephemeral (a private window) and starts in under a second, so a fresh
 * one per flow costs little and keeps one flow's leftovers out of the next
 * (seen with earlier builds: a WebKit page that left while its Python
 * snapshot was still being stored left the origin's snapshot store stuck for
 * the rest of the session, and every later start hung; the reload flows
 * still meet that case within a flow).
 */
const FRESH_BROWSER_ENGINES = new Set(['webkit']);

/**
 * Defines `<engine>: <flow>` tests for every engine (those not in CI_ENGINES
 * are reported as skipped), engine by engine, flows in the given order.
 * A flow: { name, run(ctx), fresh?: true (its own browser: a fresh profile),
 * launch?: options for that browser's launch(), timeout?: ms }.
 * ctx = { engine, browser, t, log(msg), notes }: `notes` (plain data) goes
 * into the matrix with the outcome. The flows of an engine share one
 * browser (launched by the first; WebKit: one per flow, see
 * FRESH_BROWSER_ENGINES); each flow opens its own pages and closes them.
 */
export function defineFlows(fileUrl, flows, { before: beforeAll } = {}) {
  const file = path.basename(new URL(fileUrl).pathname);
  const selected = enginesToRun();
  const pool = new BrowserPool();
  const fresh = new Set(); // browsers of `fresh` flows (closed by after() if a test timed out)
  after(async () => {
    await pool.closeAll();
    await Promise.all([...fresh].map((b) => b.close()));
  });
  for (const engine of ENGINES) {
    const ownBrowser = (flow) => flow.fresh || FRESH_BROWSER_ENGINES.has(engine);
    flows.forEach((flow, i) => {
      const lastShared = !flows.slice(i + 1).some((f) => !ownBrowser(f));
      test(`${engine}: ${flow.name}`, { skip: !selected.includes(engine) && 'not in CI_ENGINES', timeout: flow.timeout ?? 300000 }, async (t) => {
        const started = Date.now();
        const notes = {};
        const log = (msg) => t.diagnostic(`${engine}: ${msg}`);
        let browser;
        try {
          if (beforeAll) await beforeAll();
          if (ownBrowser(flow)) {
            await pool.closeAll(); // one browser at a time
            browser = await launch(engine, flow.launch ?? {});
            fresh.add(browser);
          } else {
            browser = await pool.get(engine);
          }
          await flow.run({ engine, browser, t, log, notes });
          await recordFlow({ engine, flow: flow.name, status: 'pass', ms: Date.now() - started, file, version: browser.version, notes });
        } catch (error) {
          await recordFlow({ engine, flow: flow.name, status: 'fail', ms: Date.now() - started, file, version: browser?.version, error: error?.message ?? error, notes });
          throw error;
        } finally {
          if (ownBrowser(flow)) {
            if (browser) {
              await browser.close();
              fresh.delete(browser);
            }
          } else if (lastShared) {
            await pool.close(engine);
          }
        }
      });
    });
  }
}

// Pages no flow uses any more, per browser, kept open for reuse in WebKit:
// after a window is closed, the WebKit backend's next newPage() fails ("POST
// /window/new: no such window": the session has no current window left), so
// a WebKit page is not closed but emptied (about:blank) and handed out again.
const idlePages = new WeakMap();

/** A page for a flow: a new tab/window, or in WebKit an emptied one (see idlePages). */
export async function newPage(browser) {
  const idle = idlePages.get(browser);
  if (idle?.length) return idle.pop();
  return browser.newPage();
}

/** Ends a flow's page: closed, or in WebKit emptied for reuse (see idlePages). Ignores a page that is gone. */
export async function closePage(page) {
  if (!page) return;
  if (page.browser.engine !== 'webkit') {
    await page.close().catch(() => {});
    return;
  }
  try {
    await page.goto('about:blank'); // the app unloads: its sandbox, locks and timers go
    page.consoleErrors.length = 0;
    if (!idlePages.has(page.browser)) idlePages.set(page.browser, []);
    idlePages.get(page.browser).push(page);
  } catch { /* a broken window is not reused */ }
}

// ------------------------------------------------------------ the app

/**
 * In the page: window.__pwned() (an XSS canary: must never be called),
 * alert/confirm/prompt/print replaced by counters (a dialog would block the
 * driver), and CSP violations collected. Installed after the load (the
 * driver interface has no init script), before any hostile content.
 */
export async function installCanaries(page) {
  await page.evaluate(() => {
    if (window.__canaries) return;
    window.__canaries = { pwned: 0, dialogs: [], violations: [] };
    window.__pwned = () => { window.__canaries.pwned += 1; };
    for (const name of ['alert', 'confirm', 'prompt', 'print']) {
      window[name] = (message) => { window.__canaries.dialogs.push(`${name}: ${String(message).slice(0, 80)}`); };
    }
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__canaries.violations.push(`${e.effectiveDirective || e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

export function canaries(page) {
  return page.evaluate(() => window.__canaries);
}

/** Opens the app at `url` in a new page; waits for Python unless ready: false. */
export async function openApp(browser, url, { ready = true } = {}) {
  const page = await newPage(browser);
  await page.goto(url);
  await installCanaries(page);
  if (ready) await waitReady(page);
  return page;
}

/** Waits until the app and Python are ready; a failed start fails at once, with the app's words. */
export async function waitReady(page, timeout = PYTHON_START_MS, root = 'code-interpreter') {
  try {
    return await page.waitFor((r) => {
      const vm = document.querySelector(r)?.app?.vm;
      if (vm?.phase === 'failed') throw new Error(`the app failed: ${vm.fatal}`);
      if (vm?.python?.state === 'failed') throw new Error(`Python failed: ${vm.python.message}`);
      return vm?.phase === 'ready' && vm.python.state === 'ready';
    }, root, { timeout });
  } catch (error) {
    if (!/timed out/.test(error.message)) throw error;
    // Say where it stuck: the app's phase, the status line, the sandbox's last start.
    const state = await page.evaluate((r) => {
      const app = document.querySelector(r)?.app;
      return app ? { phase: app.vm.phase, python: app.vm.python.state, message: app.vm.python.message, lastStart: app.sandbox?.lastStart ?? null, toasts: app.vm.toasts?.map((t) => t.text) } : { app: 'none' };
    }, root).catch((e) => ({ unreadable: e.message }));
    throw new Error(`the app and Python were not ready within ${timeout} ms: ${JSON.stringify(state)}`);
  }
}

/**
 * The controller's view model, as plain data: its data fields (the view
 * model may also hold live objects, which are left out: DOM nodes, cycles).
 */
export function vm(page, root = 'code-interpreter') {
  return page.evaluate((r) => {
    const v = document.querySelector(r).app.vm;
    const seen = new WeakSet();
    const json = JSON.stringify({ ...v, live: undefined, turnUsage: Object.fromEntries(v.turnUsage ?? []) }, (key, value) => {
      if (value && typeof value === 'object') {
        if (typeof Node !== 'undefined' && value instanceof Node) return undefined;
        if (seen.has(value)) return undefined;
        seen.add(value);
      }
      return value;
    });
    return JSON.parse(json);
  }, root);
}

/** Waits (polling from Node) until no turn runs and predicate(vm) holds; returns the vm. */
export async function waitIdle(page, predicate = () => true, timeout = 90000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await vm(page);
    if (!last.running && predicate(last)) return last;
    if (Date.now() > end) {
      throw new Error(`timed out waiting for the app to be idle with ${predicate}; running ${last.running}; items: ${JSON.stringify(last.items.map((i) => [i.kind, i.text?.slice(0, 120) ?? i.exec?.status]))}`);
    }
    // A poll interval, not a wait for time: WebDriver (Firefox, WebKit) gives no event for app state, so the loop asks, bounded by its deadline.
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** What Python and its sandbox say about this engine: stop mode, worker shape, last start. */
export function sandboxFacts(page) {
  return page.evaluate(() => {
    const app = document.querySelector('code-interpreter').app;
    return {
      stop: app.vm.python.stop,
      canInterrupt: app.vm.python.canInterrupt,
      workerShape: app.sandbox.workerShape,
      lastStart: app.sandbox.lastStart,
      isolated: self.crossOriginIsolated,
      sharedArrayBuffer: typeof SharedArrayBuffer === 'function',
      python: app.vm.python.message,
    };
  });
}

/**
 * Settings through the controller (app.saveSettings). A base URL on an
 * origin the page's connect policy does not list yet makes the app save,
 * reload, and reopen its settings dialog (controller.reloadForPolicy): then
 * this waits for the new page, closes the dialog as a user would, and puts
 * the canaries in again.
 */
export async function configure(page, settings, key) {
  const willReload = await page.evaluate(([s, k]) => {
    const app = document.querySelector('code-interpreter').app;
    const baseUrl = (s.baseUrl ?? '').trim().replace(/\/+$/, '');
    const reload = !!baseUrl && typeof app.needsReloadFor === 'function' && app.needsReloadFor(baseUrl);
    window.__configured = false;
    app.saveSettings(s, k).then(() => { window.__configured = true; });
    return reload;
  }, [settings, key]);
  await page.waitFor(([s, reload]) => {
    const app = document.querySelector('code-interpreter')?.app;
    // This page saved them, or (a reload) a new page read them back.
    const here = reload ? window.__configured === undefined : window.__configured === true;
    return here && app?.vm?.phase === 'ready' && Object.entries(s).every(([k, v]) => app.vm.settings[k] === v);
  }, [settings, willReload], { timeout: 30000 });
  if (willReload) {
    const open = await page.waitFor(() => !!document.querySelector('code-interpreter').shadowRoot.querySelector('ci-settings')?.shadowRoot?.querySelector('dialog[open]'), null, { timeout: 10000 }).catch(() => false);
    if (open) await page.evaluate(() => { document.querySelector('code-interpreter').shadowRoot.querySelector('ci-settings').shadowRoot.querySelector('dialog[open]').close(); });
  }
  await installCanaries(page);
  await waitReady(page);
  return { reloaded: willReload };
}

/** A new, empty conversation (through the controller). */
export async function newConversation(page) {
  await page.evaluate(() => { document.querySelector('code-interpreter').app.newConversation(); });
  await page.waitFor(() => document.querySelector('code-interpreter').app.vm.items.length === 0 && !document.querySelector('code-interpreter').app.vm.running);
  await waitReady(page);
}

/** Switches the input box to Python (a real click on its "Python" button). */
export async function pythonMode(page, root = 'code-interpreter') {
  await page.click(`${root} >> ci-composer >> .seg button:last-child`);
  await page.waitFor((r) => document.querySelector(r).shadowRoot.querySelector('ci-composer').mode === 'python', root);
}

/** Types code into the input box (page.fill) and clicks Run; the box must be in Python mode. */
export async function typeAndRun(page, code, root = 'code-interpreter') {
  await page.fill(`${root} >> ci-composer >> textarea`, code);
  await page.click(`${root} >> ci-composer >> button.send`);
}

/**
 * The cells of the open conversation as the DOM shows them (ci-chat's
 * ci-cell elements): status word and class, stdout, the error, notes, images.
 */
export function domCells(page, root = 'code-interpreter') {
  return page.evaluate((r) => {
    const chat = document.querySelector(r)?.shadowRoot?.querySelector('ci-chat');
    if (!chat?.shadowRoot) return [];
    return [...chat.shadowRoot.querySelectorAll('ci-cell')].map((cell) => {
      const s = cell.shadowRoot;
      const status = s?.querySelector('header .status');
      const images = [...(s?.querySelectorAll('ci-output') ?? [])].flatMap((o) => [...(o.shadowRoot?.querySelectorAll('img') ?? [])])
        .map((img) => ({ src: img.getAttribute('src') ?? '', width: img.naturalWidth, complete: img.complete }));
      return {
        status: status?.textContent.trim() ?? null,
        kind: status ? [...status.classList].find((c) => c !== 'status') ?? '' : null,
        stdout: s?.querySelector('pre.stdout')?.textContent ?? '',
        stderr: s?.querySelector('pre.stderr')?.textContent ?? '',
        error: s?.querySelector('pre.error')?.textContent ?? '',
        result: s?.querySelector('pre.result')?.textContent ?? '',
        notes: [...(s?.querySelectorAll('.note') ?? [])].map((n) => n.textContent.trim()),
        images,
      };
    });
  }, root);
}

/** Waits until the DOM shows cell `index` (0-based) finished (not Running); returns it. */
export async function waitCellDone(page, index, { timeout = 90000, root = 'code-interpreter' } = {}) {
  const end = Date.now() + timeout;
  let cells;
  for (;;) {
    cells = await domCells(page, root);
    const cell = cells[index];
    if (cell && cell.kind && cell.kind !== 'running') {
      const busy = await page.evaluate((r) => document.querySelector(r).app.vm.running, root);
      if (!busy) return cell;
    }
    if (Date.now() > end) throw new Error(`cell ${index + 1} did not finish in ${timeout} ms; cells: ${JSON.stringify(cells)}`);
    // A poll interval, not a wait for time: WebDriver (Firefox, WebKit) gives no event for app state, so the loop asks, bounded by its deadline.
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Runs code through app.runCode (as "Run" does) and waits for its cell; returns its exec record. */
export async function runCode(page, code, timeout = 120000) {
  const cells = (v) => v.items.filter((i) => i.kind === 'cell');
  const n = cells(await vm(page)).length;
  const accepted = await page.evaluate((c) => document.querySelector('code-interpreter').app.runCode(c), code);
  if (!accepted) throw new Error('the app did not accept the code');
  const v = await waitIdle(page, (s) => cells(s).length === n + 1 && cells(s).at(-1).exec?.status !== 'running', timeout);
  return cells(v).at(-1).exec;
}

/** A file's bytes from the app's core (app.readFile), or null. */
export async function readAppFile(page, file, root = 'code-interpreter') {
  const b64 = await page.evaluate(([p, r]) => {
    const bytes = document.querySelector(r).app?.readFile(p) ?? document.querySelector(r).readFile?.(p);
    if (!bytes) return null;
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, [file, root]);
  return b64 === null ? null : Buffer.from(b64, 'base64');
}

/** The files panel's rows (ci-files li[data-path]). */
export function listedFiles(page) {
  return page.evaluate((a, dq) => {
    const files = dq('code-interpreter >> ci-files');
    return [...(files?.shadowRoot?.querySelectorAll('li[data-path]') ?? [])].map((li) => li.dataset.path);
  });
}

export const ISOLATION_RELOAD_KEY = 'ci-pwa-isolation-reload'; // web/app/pwa.mjs

/**
 * A first visit registers the service worker once Python is ready, and on a
 * host without COOP/COEP the page reloads ONCE when the worker takes control
 * (web/app/pwa.mjs), unless the user already did something. Waits for that
 * to settle (the worker controls the page and no reload is pending), then
 * for Python. Returns { controlled, reloaded, isolated }. Throws, with the
 * page's service worker state, when no worker takes control.
 */
export async function settleFirstVisit(page, timeout = 120000) {
  await page.evaluate(() => { window.__flowMark = true; });
  let settled;
  try {
    settled = await page.waitFor((key) => {
      // (Read in a document being replaced, navigator.serviceWorker may be missing: not yet.)
      if (!navigator.serviceWorker?.controller) return false;
      // pwa.mjs sets the key and calls location.reload() in the same task as controllerchange.
      if (window.__flowMark && sessionStorage.getItem(key)) return false; // the reload is under way
      return { controlled: true, reloaded: !window.__flowMark, isolated: self.crossOriginIsolated };
    }, ISOLATION_RELOAD_KEY, { timeout });
  } catch (error) {
    const state = await serviceWorkerState(page).catch((e) => ({ error: e.message }));
    throw new Error(`${error.message}\nservice worker state: ${JSON.stringify(state)}`);
  }
  await installCanaries(page);
  await waitReady(page);
  return settled;
}

/** The page's service worker registration, as data. */
export function serviceWorkerState(page) {
  return page.evaluateAsync(async () => {
    if (!('serviceWorker' in navigator)) return { supported: false };
    const reg = await navigator.serviceWorker.getRegistration();
    return {
      supported: true,
      controlled: !!navigator.serviceWorker.controller,
      registration: reg ? { scope: reg.scope, active: reg.active?.state ?? null, installing: reg.installing?.state ?? null, waiting: reg.waiting?.state ?? null } : null,
    };
  });
}

/** Waits until an activated service worker controls the page (its precache is done). */
export async function waitControlled(page, timeout = 120000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    last = await serviceWorkerState(page).catch((error) => ({ error: error.message }));
    if (last.controlled && last.registration?.active === 'activated') return last;
    if (last.supported === false) throw new Error('navigator.serviceWorker is missing in this page');
    if (Date.now() > end) throw new Error(`no activated service worker controls the page: ${JSON.stringify(last)}`);
    // A poll interval, not a wait for time: WebDriver (Firefox, WebKit) gives no event for app state, so the loop asks, bounded by its deadline.
    await new Promise((r) => setTimeout(r, 200));
  }
}
