// The browser-test harness: the app server (scripts/serve.mjs) in-process on a
// free 127.0.0.1 port, headless Debian Chromium driven by playwright-core
// with a fresh profile, and a canary server that counts every connection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createServer } from '../../scripts/serve.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'test-results/e2e');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Flags that work as root on this kind of machine (see TOOLCHAIN.md).
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

export function closeServer(server) {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
    setTimeout(resolve, 2000).unref();
  });
}

/**
 * The app server (serve.mjs's createServer), isolated (COOP/COEP) or not;
 * `dist` serves another build (a copy of dist/), `cors` lets other origins load it.
 */
export async function startApp({ isolation = true, cors = false, dist, checkout = true } = {}) {
  const server = createServer({ isolation, cors, dist, checkout });
  const url = await listen(server);
  return { server, url, close: () => closeServer(server) };
}

/**
 * A server that counts every TCP connection and every request (HTTP or
 * WebSocket upgrade) that reaches it, and answers permissively (CORS *), so a
 * request that got through would also succeed.
 */
export async function startCanary() {
  const counts = { connections: 0, requests: 0, upgrades: 0, log: [] };
  const server = http.createServer((req, res) => {
    counts.requests++;
    counts.log.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin', 'content-type': 'text/plain' });
    res.end('canary');
  });
  server.on('connection', () => { counts.connections++; });
  server.on('upgrade', (req, socket) => { counts.upgrades++; counts.log.push(`UPGRADE ${req.url}`); socket.destroy(); });
  const url = await listen(server);
  return { server, url, counts, close: () => closeServer(server) };
}

/** Headless Chromium with a fresh --user-data-dir (removed on close). */
export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-e2e-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    timeout: 30000,
    viewport: { width: 900, height: 900 },
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      page.setDefaultTimeout(60000);
      page.on('pageerror', (error) => console.log(`[page error] ${error.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning' || process.env.E2E_CONSOLE) console.log(`[console.${msg.type()}] ${msg.text()}`);
      });
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Opens the sandbox test page and waits until it has stored its secrets. */
export async function openSandboxPage(browser, appUrl) {
  const page = await browser.newPage();
  await page.goto(`${appUrl}/tests/e2e/pages/sandbox.html`);
  await page.waitForFunction(() => window.pageReady === true, null, { timeout: 20000 });
  return page;
}

export function artifactPath(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}
