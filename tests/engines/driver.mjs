// One small browser-driver interface over three engines, so a browser-test
// flow is written once:
//   chromium  playwright-core over CDP, Debian's /usr/bin/chromium
//   firefox   puppeteer-core over WebDriver BiDi, Debian's firefox-esr
//   webkit    our W3C WebDriver client → WebKitWebDriver → MiniBrowser, on our Xvfb
// The interface is documented in README.md. Everything that can be written
// once lives here (BasePage, BaseBrowser); a backend supplies only the
// engine-specific primitives (the `_` methods below).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DEEP_QUERY_SOURCE } from './deep-query.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** Engines to run: env CI_ENGINES="chromium,webkit" narrows; default all three. */
export function enginesToRun(value = process.env.CI_ENGINES) {
  if (!value || !value.trim()) return [...ENGINES];
  const wanted = value.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const unknown = wanted.filter((name) => !ENGINES.includes(name));
  // A typo must not silently run nothing.
  if (unknown.length) throw new Error(`CI_ENGINES names unknown engine(s) ${unknown.join(', ')}; known: ${ENGINES.join(', ')}`);
  return ENGINES.filter((name) => wanted.includes(name));
}

/**
 * Launches a fresh browser with a fresh, empty profile (removed by close()).
 * storageQuotaBytes: a real storage limit, where the engine has one to set
 * (capabilities.storageQuota): Chromium per origin through CDP before the
 * origin's first visit (page.goto does it), Firefox for the whole profile
 * (its temporary-storage limit). WebKitGTK's automation session has none.
 */
export async function launch(engine, { headless = true, storageQuotaBytes = null } = {}) {
  if (!ENGINES.includes(engine)) throw new Error(`unknown engine ${engine}; known: ${ENGINES.join(', ')}`);
  // One directory per launch: the profile (profile/), upload temp files
  // (uploads/), and the marker by which we find every process of the launch.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ci-engine-${engine}-`));
  fs.mkdirSync(path.join(dir, 'profile'));
  try {
    // Loaded on demand: a chromium-only run never loads puppeteer, and back.
    const { launchEngine } = await import(`./backends/${engine}.mjs`);
    return await launchEngine({ headless, dir, storageQuotaBytes });
  } catch (error) {
    // The backend already killed what it started; leave no directory either.
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------- processes
// Every process of a launch gets the env variable CI_ENGINE_LAUNCH=<dir>
// (children inherit it, including ones that re-parent themselves to init,
// such as a crash handler), so we can find them all by /proc/*/environ, and
// close() can prove (and enforce) that none outlives the launch.

export const LAUNCH_ENV = 'CI_ENGINE_LAUNCH';

function readProc(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** { pid, ppid, name, state, start } of a live pid, or null. `start` tells a reused pid apart. */
export function procInfo(pid) {
  const stat = readProc(pid, 'stat');
  if (!stat) return null;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // comm may hold spaces and ')'
  // The executable's name (Chromium's children rewrite their argv; comm is cut at 15 chars).
  let name;
  try {
    name = path.basename(fs.readlinkSync(`/proc/${pid}/exe`));
  } catch {
    name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  }
  return { pid, ppid: Number(rest[1]), name, state: rest[0], start: rest[19] };
}

/** Whether the process is still running (a zombie or a reused pid counts as gone). */
export function isAlive({ pid, start }) {
  const info = procInfo(pid);
  return Boolean(info && info.start === start && info.state !== 'Z' && info.state !== 'X');
}

/** The processes carrying `${LAUNCH_ENV}=${dir}`, plus the trees under `roots`. */
export function launchProcesses(dir, roots = []) {
  const marker = `${LAUNCH_ENV}=${dir}`;
  const all = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const infos = new Map(all.map((pid) => [pid, procInfo(pid)]).filter(([, info]) => info));
  const found = new Set(roots.filter((pid) => infos.has(pid)));
  for (const pid of infos.keys()) if (pid !== process.pid && readProc(pid, 'environ').split('\0').includes(marker)) found.add(pid);
  for (let grew = true; grew;) { // add descendants until nothing new
    grew = false;
    for (const [pid, info] of infos) if (!found.has(pid) && found.has(info.ppid)) { found.add(pid); grew = true; }
  }
  return [...found].map((pid) => infos.get(pid)).filter((info) => info.state !== 'Z');
}

/**
 * Waits up to `grace` ms for the processes to exit, then SIGTERMs the rest
 * (Xvfb cleans its lock file on SIGTERM), then SIGKILLs, and waits for them.
 */
export async function reap(procs, grace = 5000) {
  const until = async (ms) => {
    const deadline = Date.now() + ms;
    while (procs.some(isAlive) && Date.now() < deadline) await delay(50);
  };
  const signal = (name) => {
    for (const proc of procs.filter(isAlive)) {
      try { process.kill(proc.pid, name); } catch { /* gone meanwhile */ }
    }
  };
  await until(grace);
  signal('SIGTERM');
  await until(2000);
  signal('SIGKILL');
  await until(5000);
}

/** Writes upload files to fresh folders under dir (each file keeps its exact name). */
export function writeUploadFiles(dir, files) {
  const base = fs.mkdtempSync(path.join(dir, 'uploads-'));
  return files.map((file, i) => {
    const folder = path.join(base, String(i));
    fs.mkdirSync(folder);
    const target = path.join(folder, file.name);
    fs.writeFileSync(target, file.buffer);
    return target;
  });
}

// ---------------------------------------------------------------- Browser

/**
 * What all backends share. A backend sets engine, version, capabilities and
 * implements _close() (the graceful close) and _roots() (pids to watch).
 */
export class BaseBrowser {
  constructor({ engine, version, dir, capabilities }) {
    this.engine = engine;
    this.version = version;
    this.dir = dir;
    this.profileDir = path.join(dir, 'profile');
    this.capabilities = capabilities;
    this.closing = null;
  }

  _roots() {
    return [];
  }

  /** The live processes of this launch: [{ pid, ppid, name, state, start }]. */
  processes() {
    return launchProcesses(this.dir, this._roots());
  }

  /** Closes the browser (and driver, Xvfb), makes sure their processes are gone, removes the profile. */
  close() {
    this.closing ??= this.#close(); // a second close() waits for the first
    return this.closing;
  }

  async #close() {
    const before = this.processes();
    let timer;
    try {
      await Promise.race([
        this._close(),
        new Promise((resolve) => { timer = setTimeout(resolve, 20000); }), // a hung close must not hang the test
      ]);
    } catch { /* the kill below still runs */ } finally {
      clearTimeout(timer);
    }
    const seen = new Map([...before, ...this.processes()].map((p) => [`${p.pid}/${p.start}`, p]));
    await reap([...seen.values()]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- Page

/** A throw in the page during evaluate: its message is the page's own message. */
export class PageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'PageError';
  }
}

export const KEYS = ['Enter', 'Escape', 'Tab'];

/**
 * The page-side source for evaluate: calls fn(arg, deepQuery) and returns
 * { ok: true, json } (the value through JSON.stringify, so every engine
 * returns exactly JSON semantics) or { ok: false, thrown: message }. The
 * function is compiled by the engine's driver-side evaluate, which is exempt
 * from the page's CSP; nothing in the page calls eval.
 */
function pageSource(fn, arg, isAsync) {
  if (typeof fn !== 'function') throw new TypeError('evaluate: fn must be a function');
  const call = `(${fn.toString()})(${arg === undefined ? 'undefined' : JSON.stringify(arg)}, ${DEEP_QUERY_SOURCE})`;
  const fail = `{ ok: false, thrown: String(e !== null && typeof e === 'object' && 'message' in e ? e.message : e) }`;
  if (isAsync) {
    return `(async () => { try { const v = await ${call}; return { ok: true, json: JSON.stringify(v) }; } catch (e) { return ${fail}; } })()`;
  }
  return `(() => { try { const v = ${call};
    if (v !== null && typeof v === 'object' && typeof v.then === 'function') return { ok: false, thrown: 'evaluate: fn returned a Promise; use evaluateAsync' };
    return { ok: true, json: JSON.stringify(v) }; } catch (e) { return ${fail}; } })()`;
}

/**
 * What all backends share. A backend implements:
 *   _eval(source, isAsync) → the value of the JS expression `source` in the
 *                            page, evaluated outside the page's CSP (isAsync:
 *                            the value is a Promise, resolve to its result)
 *   _handle(source)        → a native element handle for the element the
 *                            expression yields, or null
 *   _dispose(handle), _click(handle), _fill(handle, text), _press(handle, key),
 *   _upload(handle, files)  (native file upload), goto, reload, url, screenshot, close.
 * browser.capabilities.nativeUpload false: setInputFiles uses a DataTransfer.
 */
export class BasePage {
  constructor(browser) {
    this.browser = browser;
    this.consoleErrors = [];
    /** How long click/fill/press/setInputFiles wait for the selector to match. */
    this.elementTimeout = 10000;
    /** false: setInputFiles uses the DataTransfer fallback (tests may flip it). */
    this.nativeUpload = browser.capabilities.nativeUpload;
  }

  async evaluate(fn, arg) {
    return this.#result(await this._eval(pageSource(fn, arg, false), false));
  }

  async evaluateAsync(fn, arg) {
    return this.#result(await this._eval(pageSource(fn, arg, true), true));
  }

  #result(result) {
    if (!result || typeof result !== 'object' || typeof result.ok !== 'boolean') {
      throw new Error(`evaluate: unexpected answer from the page: ${JSON.stringify(result)}`);
    }
    if (!result.ok) throw new PageError(result.thrown);
    // JSON.stringify gives a string or undefined (a function, undefined);
    // WebDriver serializes an undefined property as null.
    return typeof result.json === 'string' ? JSON.parse(result.json) : undefined;
  }

  /**
   * Polls evaluate(fn, arg) until it returns a truthy value (returned). A throw
   * in the page rejects at once; a driver error (say, the page is navigating)
   * is retried until the timeout.
   */
  async waitFor(fn, arg, { timeout = 30000, interval = 100 } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    let lastError;
    for (;;) {
      try {
        last = await this.evaluate(fn, arg);
        lastError = undefined;
        if (last) return last;
      } catch (error) {
        if (error instanceof PageError) throw error;
        lastError = error;
      }
      if (Date.now() >= deadline) {
        const why = lastError ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`;
        throw new Error(`waitFor timed out after ${timeout} ms: ${String(fn)}; ${why}`);
      }
      await delay(interval);
    }
  }

  /** The native handle of the element `selector` matches, polling up to elementTimeout. */
  async #find(selector) {
    const source = `(${DEEP_QUERY_SOURCE})(${JSON.stringify(selector)})`;
    const deadline = Date.now() + this.elementTimeout;
    for (;;) {
      const handle = await this._handle(source); // an invalid selector rejects here, at once
      if (handle) return handle;
      if (Date.now() >= deadline) throw new Error(`no element matches ${selector}`);
      await delay(100);
    }
  }

  async #withElement(selector, action) {
    const handle = await this.#find(selector);
    try {
      return await action(handle);
    } finally {
      await this._dispose(handle);
    }
  }

  /** A real input click (trusted events) on the element. */
  /**
   * A real click. Like Playwright's, it waits until the element can take it:
   * WebDriver fails at once with "element click intercepted" when something
   * covers it for a moment (a re-render, a toast), so that is tried again,
   * with a fresh element, until elementTimeout.
   */
  async click(selector) {
    const deadline = Date.now() + this.elementTimeout;
    for (;;) {
      try {
        await this.#withElement(selector, (h) => this._click(h));
        return;
      } catch (error) {
        if (!/click intercepted|stale element/.test(String(error?.message)) || Date.now() > deadline) throw error;
        await delay(100);
      }
    }
  }

  /** Clears a textarea/input and types text into it, as a user would (input events fire). */
  async fill(selector, text) {
    await this.#withElement(selector, (h) => this._fill(h, String(text)));
  }

  /** Presses 'Enter', 'Escape' or 'Tab' in the element (focused first). */
  async press(selector, key) {
    if (!KEYS.includes(key)) throw new Error(`press: key must be one of ${KEYS.join(', ')}, not ${key}`);
    await this.#withElement(selector, (h) => this._press(h, key));
  }

  /**
   * Sets the files of an <input type=file> (two or more need `multiple`).
   * files: [{ name, mimeType, buffer }]. The engine's native way where it
   * works (see README), else a DataTransfer built in the page.
   */
  async setInputFiles(selector, files) {
    for (const file of files) {
      if (!file.name || path.basename(file.name) !== file.name) throw new Error(`setInputFiles: bad file name ${file.name}`);
    }
    if (this.nativeUpload) {
      await this.#withElement(selector, (h) => this._upload(h, files));
      return;
    }
    await this.#find(selector).then((h) => this._dispose(h)); // the same wait as the native way
    await this.evaluate((arg, deepQuery) => {
      const input = deepQuery(arg.selector);
      const transfer = new DataTransfer();
      for (const file of arg.files) {
        const binary = atob(file.base64);
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
        transfer.items.add(new File([bytes], file.name, { type: file.mimeType }));
      }
      input.files = transfer.files;
      // The events a user's choice fires (HTML: input is composed, change is not).
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, { selector, files: files.map((f) => ({ name: f.name, mimeType: f.mimeType || '', base64: Buffer.from(f.buffer).toString('base64') })) });
  }
}
