// Chromium: playwright-core over CDP, Debian's /usr/bin/chromium.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BaseBrowser, BasePage, LAUNCH_ENV } from '../driver.mjs';

const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Flags that work as root on this kind of machine (TOOLCHAIN.md).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

class ChromiumPage extends BasePage {
  constructor(browser, page) {
    super(browser);
    this.page = page;
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') this.consoleErrors.push(msg.text());
    });
    page.on('pageerror', (error) => this.consoleErrors.push(String(error.message)));
  }

  // Playwright evaluates a string as an expression and awaits a Promise value;
  // CDP's Runtime.evaluate is not subject to the page's CSP.
  _eval(source) {
    return this.page.evaluate(source);
  }

  async _handle(source) {
    const handle = await this.page.evaluateHandle(source);
    const element = handle.asElement();
    if (!element) await handle.dispose();
    return element;
  }

  _dispose(handle) {
    return handle.dispose();
  }

  _click(handle) {
    return handle.click(); // scrolls into view, waits until actionable, real mouse events
  }

  _fill(handle, text) {
    return handle.fill(text); // focus, select all, insertText: one input event
  }

  _press(handle, key) {
    return handle.press(key);
  }

  _upload(handle, files) {
    // Playwright takes the bytes directly (works inside shadow roots).
    return handle.setInputFiles(files.map((f) => ({ name: f.name, mimeType: f.mimeType || '', buffer: f.buffer })));
  }

  async goto(url) {
    await this.browser.limitStorage(this.page, url);
    await this.page.goto(url, { waitUntil: 'load' });
  }

  async reload() {
    await this.page.reload({ waitUntil: 'load' });
  }

  async url() {
    return this.page.url();
  }

  async screenshot(file) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    await this.page.screenshot({ path: file, type: 'png' });
  }

  async close() {
    await this.page.close();
  }
}

class ChromiumBrowser extends BaseBrowser {
  /**
   * The storage limit for `url`'s origin, set once before its first visit
   * (CDP's override is enforced only when set before the origin is used).
   */
  async limitStorage(page, url) {
    if (!this.storageQuotaBytes) return;
    const origin = new URL(url).origin;
    if (origin === 'null' || this.limited.has(origin)) return;
    // The session stays attached: the override ends with it.
    const cdp = await this.context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: this.storageQuotaBytes });
    this.limited.add(origin);
  }

  async newPage() {
    const page = await this.context.newPage();
    page.setDefaultTimeout(60000);
    return new ChromiumPage(this, page);
  }

  async _close() {
    await this.context.close();
  }
}

export async function launchEngine({ headless, dir, storageQuotaBytes }) {
  if (!fs.existsSync(EXECUTABLE)) throw new Error(`Chromium not found at ${EXECUTABLE} (apt-get install -y chromium)`);
  const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
    executablePath: EXECUTABLE,
    headless,
    args: ARGS,
    env: { ...process.env, [LAUNCH_ENV]: dir },
    timeout: 60000,
  });
  const browser = new ChromiumBrowser({
    engine: 'chromium',
    version: '',
    dir,
    capabilities: { console: true, trustedClicks: true, nativeUpload: true, persistentProfile: true, storageQuota: true },
  });
  browser.context = context;
  browser.storageQuotaBytes = storageQuotaBytes;
  browser.limited = new Set();
  try {
    // A persistent context has no Browser object (context.browser() is null):
    // ask CDP for the version.
    const [first] = context.pages();
    const cdp = await context.newCDPSession(first || await context.newPage());
    const { product } = await cdp.send('Browser.getVersion');
    await cdp.detach();
    browser.version = product; // e.g. "HeadlessChrome/140.0.7339.185"
  } catch (error) {
    await browser.close();
    throw error;
  }
  return browser;
}
