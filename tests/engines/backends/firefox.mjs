// Firefox: puppeteer-core over WebDriver BiDi, Debian's firefox-esr. Never
// lets puppeteer download a browser (puppeteer-core does not; the env
// variable also stops any puppeteer install script).
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { BaseBrowser, BasePage, LAUNCH_ENV, writeUploadFiles } from '../driver.mjs';

process.env.PUPPETEER_SKIP_DOWNLOAD ||= '1';
const EXECUTABLE = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

class FirefoxPage extends BasePage {
  constructor(browser, page) {
    super(browser);
    this.page = page;
    page.on('console', (msg) => {
      if (['error', 'warn', 'warning'].includes(msg.type())) this.consoleErrors.push(msg.text());
    });
    page.on('pageerror', (error) => this.consoleErrors.push(String(error?.message ?? error)));
  }

  // BiDi script.evaluate (awaitPromise): runs outside the page's CSP.
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
    return handle.click(); // scrolls into view, BiDi input.performActions: trusted
  }

  async _fill(handle, text) {
    // Puppeteer's ElementHandle has no fill(): select all, delete, type.
    const empty = await handle.evaluate((el) => { el.focus(); el.select?.(); return el.value === ''; });
    if (!empty) await this.page.keyboard.press('Backspace');
    if (text) await handle.type(text);
  }

  _press(handle, key) {
    return handle.press(key);
  }

  _upload(handle, files) {
    // BiDi input.setFiles takes paths: write temp files first.
    return handle.uploadFile(...writeUploadFiles(this.browser.dir, files));
  }

  async goto(url) {
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

class FirefoxBrowser extends BaseBrowser {
  async newPage() {
    const page = await this.puppeteer.newPage();
    page.setDefaultTimeout(60000);
    return new FirefoxPage(this, page);
  }

  _roots() {
    const pid = this.puppeteer.process()?.pid;
    return pid ? [pid] : [];
  }

  async _close() {
    await this.puppeteer.close();
  }
}

export async function launchEngine({ headless, dir, storageQuotaBytes }) {
  if (!fs.existsSync(EXECUTABLE)) throw new Error(`Firefox not found at ${EXECUTABLE} (apt-get install -y firefox-esr)`);
  const instance = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: EXECUTABLE,
    headless,
    userDataDir: path.join(dir, 'profile'),
    // The whole profile's temporary storage (every origin's IndexedDB and caches), in KiB.
    ...(storageQuotaBytes ? { extraPrefsFirefox: { 'dom.quotaManager.temporaryStorage.fixedLimit': Math.ceil(storageQuotaBytes / 1024) } } : {}),
    env: { ...process.env, [LAUNCH_ENV]: dir },
    timeout: 60000,
  });
  const browser = new FirefoxBrowser({
    engine: 'firefox',
    version: '',
    dir,
    capabilities: { console: true, trustedClicks: true, nativeUpload: true, persistentProfile: true, storageQuota: true },
  });
  browser.puppeteer = instance;
  try {
    browser.version = await instance.version(); // e.g. "firefox/153.0"
  } catch (error) {
    await browser.close();
    throw error;
  }
  return browser;
}
