// WebKit: WebKitGTK's MiniBrowser driven by WebKitWebDriver (W3C WebDriver
// classic, our fetch client), on our own Xvfb. The automation session is
// ephemeral, like a private window: nothing survives the session.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BaseBrowser, BasePage, LAUNCH_ENV, launchProcesses, reap, writeUploadFiles } from '../driver.mjs';
import { ELEMENT_KEY, Session, waitForReady } from '../webdriver-client.mjs';
import { startXvfb } from '../xvfb.mjs';

const DRIVER = process.env.WEBKIT_WEBDRIVER_PATH || 'WebKitWebDriver';
const MINIBROWSER = process.env.MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
// WebDriver's key code points (W3C WebDriver "Keyboard actions").
const KEY_CODES = { Enter: '\uE007', Escape: '\uE00C', Tab: '\uE004' };

class WebKitPage extends BasePage {
  constructor(browser, handle) {
    super(browser);
    this.handle = handle; // this page's window handle
  }

  /**
   * A command for this page. A session has one current window: under the
   * session's mutex, switch to ours if another page switched away (we
   * remember the current window; nothing else switches), then run.
   */
  _cmd(method, path, body) {
    const browser = this.browser;
    return browser.session.exclusive(async () => {
      if (browser.currentWindow !== this.handle) {
        await browser.session.cmd('POST', '/window', { handle: this.handle });
        browser.currentWindow = this.handle;
      }
      return browser.session.cmd(method, path, body);
    });
  }

  // execute/sync and execute/async run the script in the page's main world
  // outside its CSP.
  _eval(source, isAsync) {
    if (!isAsync) return this._cmd('POST', '/execute/sync', { script: `return ${source};`, args: [] });
    return this._cmd('POST', '/execute/async', {
      script: `const done = arguments[arguments.length - 1];
        Promise.resolve(${source}).then(done, (e) => done({ ok: false, thrown: String(e) }));`,
      args: [],
    });
  }

  // An element returned by execute/sync comes back as a web element reference.
  async _handle(source) {
    const value = await this._cmd('POST', '/execute/sync', { script: `return ${source};`, args: [] });
    return value?.[ELEMENT_KEY] ?? null;
  }

  _dispose() {} // references need no release

  _click(id) {
    return this._cmd('POST', `/element/${id}/click`, {});
  }

  async _fill(id, text) {
    await this._cmd('POST', `/element/${id}/clear`, {});
    // A new line is typed as the Enter key (WebKitWebDriver drops a bare
    // "\n"), as Puppeteer's type() does in Firefox.
    if (text) await this._cmd('POST', `/element/${id}/value`, { text: text.replace(/\r?\n/g, KEY_CODES.Enter) });
  }

  _press(id, key) {
    return this._cmd('POST', `/element/${id}/value`, { text: KEY_CODES[key] });
  }

  _upload(id, files) {
    // WebDriver: send the file paths (one per line) to the file input.
    const paths = writeUploadFiles(this.browser.dir, files);
    return this._cmd('POST', `/element/${id}/value`, { text: paths.join('\n') });
  }

  async goto(url) {
    await this._cmd('POST', '/url', { url }); // returns after the load event (pageLoadStrategy normal)
  }

  async reload() {
    try {
      await this._cmd('POST', '/refresh', {});
    } catch (error) {
      // WebKitWebDriver now and then answers a refresh served by a service
      // worker with "unknown error" although the page loads (one CI run in
      // several). The page then decides: it must reach the load event within
      // 30 s, or the driver's error stands.
      if (error?.error !== 'unknown error') throw error;
      try {
        await this.waitFor(() => document.readyState === 'complete', null, { timeout: 30000 });
      } catch {
        throw error;
      }
    }
  }

  url() {
    return this._cmd('GET', '/url');
  }

  async screenshot(file) {
    const base64 = await this._cmd('GET', '/screenshot');
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, Buffer.from(base64, 'base64'));
  }

  async close() {
    const browser = this.browser;
    await browser.session.exclusive(async () => {
      await browser.session.cmd('POST', '/window', { handle: this.handle });
      await browser.session.cmd('DELETE', '/window');
      browser.currentWindow = null; // WebDriver has no current window after closing it
    });
  }
}

class WebKitBrowser extends BaseBrowser {
  async newPage() {
    // Every page is a new top-level window: a 'tab' is a hidden background
    // tab (visibilityState 'hidden', throttled, and GET /screenshot never
    // answers). The session's first window stays open so closing all pages
    // never ends the session.
    const { handle } = await this.session.exclusive(async () => {
      // After a page was closed the session has no current window, and
      // POST /window/new then fails ("no such window"): switch to one first.
      if (this.currentWindow === null) {
        const [any] = await this.session.cmd('GET', '/window/handles');
        if (any) await this.session.cmd('POST', '/window', { handle: any });
        this.currentWindow = any ?? null;
      }
      return this.session.cmd('POST', '/window/new', { type: 'window' });
    });
    return new WebKitPage(this, handle);
  }

  _roots() {
    return [this.driver?.pid, this.xvfb?.pid].filter(Boolean);
  }

  async _close() {
    try {
      await this.session?.delete(); // MiniBrowser quits
    } finally {
      if (this.driver && this.driver.exitCode === null && this.driver.signalCode === null) {
        const exited = new Promise((resolve) => this.driver.once('exit', resolve));
        this.driver.kill('SIGTERM');
        await exited;
      }
      await this.xvfb?.close();
    }
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function launchEngine({ headless, dir }) {
  if (!fs.existsSync(MINIBROWSER)) throw new Error(`MiniBrowser not found at ${MINIBROWSER} (apt-get install -y webkit2gtk-driver)`);
  const profile = path.join(dir, 'profile');
  // MiniBrowser's own files (caches, GTK settings) go to the launch's profile
  // dir, not $HOME; the session's web data is ephemeral anyway.
  const env = {
    ...process.env,
    [LAUNCH_ENV]: dir,
    XDG_CONFIG_HOME: path.join(profile, 'config'),
    XDG_CACHE_HOME: path.join(profile, 'cache'),
    XDG_DATA_HOME: path.join(profile, 'data'),
  };
  const browser = new WebKitBrowser({
    engine: 'webkit',
    version: '',
    dir,
    // No storage limit can be set (and none applies: its ephemeral session
    // took 2 GB of IndexedDB in memory; navigator.storage is missing).
    capabilities: { console: false, trustedClicks: true, nativeUpload: true, persistentProfile: false, storageQuota: false },
  });
  try {
    if (headless) {
      browser.xvfb = await startXvfb({ env });
      env.DISPLAY = browser.xvfb.display;
    } else if (!env.DISPLAY) {
      throw new Error('webkit with headless: false needs DISPLAY');
    }
    const port = await freePort();
    const driver = spawn(DRIVER, [`--port=${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    browser.driver = driver;
    let output = '';
    const keep = (chunk) => { output = (output + chunk).slice(-4000); }; // drain the pipes, keep a tail for errors
    driver.stdout.on('data', keep);
    driver.stderr.on('data', keep);
    let spawnError = null;
    driver.once('error', (error) => { spawnError = error; });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForReady(base, { alive: () => !spawnError && driver.exitCode === null && driver.signalCode === null });
    } catch (error) {
      throw new Error(`${error.message}${spawnError ? ` (${spawnError.message})` : ''}\n${output.trim()}`);
    }
    browser.session = await Session.create(base, {
      alwaysMatch: {
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      },
    }, { timeout: 30000 }); // MiniBrowser starts in about a second
    browser.version = browser.session.capabilities?.browserVersion ?? '';
    // evaluateAsync may wait long (say, for Pyodide): the default script
    // timeout is 30 s. Both stay under the client's own command timeout, so
    // the driver's timeout error, which names the cause, comes first.
    await browser.session.cmd('POST', '/timeouts', { script: 120000, pageLoad: 120000 });
    browser.currentWindow = await browser.session.cmd('GET', '/window');
  } catch (error) {
    // Leave nothing behind: the driver, MiniBrowser and its web processes,
    // then Xvfb (SIGTERM: a killed Xvfb leaves its lock file and socket).
    const procs = launchProcesses(dir, browser._roots()).filter((p) => p.pid !== browser.xvfb?.pid);
    await reap(procs, 0);
    await browser.xvfb?.close();
    throw error;
  }
  return browser;
}
