// One test file's sandbox test page (tests/e2e/pages/sandbox.html) in real
// Chromium: before() serves the checkout (cross-origin isolated or not),
// launches the browser, opens the page and hands it to `setup` (where a file
// starts its window.sb); after() closes the browser and the server.
import { before, after } from 'node:test';
import { startApp, launchBrowser, openSandboxPage } from './harness.mjs';

/** @param {{isolation?: boolean, setup?: (page) => Promise<void>|void}} [options] */
export function useSandboxPage({ isolation = true, setup } = {}) {
  let app;
  let browser;
  before(async () => {
    app = await startApp({ isolation });
    browser = await launchBrowser();
    const page = await openSandboxPage(browser, app.url);
    await setup?.(page);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });
}
