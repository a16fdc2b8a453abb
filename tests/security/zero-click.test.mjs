// Zero-click leaks (issue 6, item 2): model answers and Python outputs that
// would make the browser contact another host with no click — markdown and
// reference-style images, raw <img src/srcset>, <picture>, CSS url() in
// style attributes and <style>, <link rel=prefetch/preconnect/…>, meta
// refresh, background=, SVG <image href>, <video poster>, <audio>,
// <iframe>, <object>… (tests/security/corpus/zero-click/payloads.json, with
// CANARY standing for a counting server) — through the real app:
//   model text (one streamed answer with all of them, then one assistant
//   item each), Python display() as HTML, SVG and markdown.
// Asserted: 0 connections reach the canary, and not even a CSP violation
// report (they are stripped before the DOM). Then the product behaviour: a
// remote image in an answer is a link "Image from <host> — open"; clicking
// it opens one new tab and makes exactly one request.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, startCanary } from '../e2e/harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, configure, ask, waitIdle } from '../e2e/app-helpers.mjs';
import {
  openSecureApp, loadCorpus, renderAssistantItems, runPython, displayCode, showAllHtml, newConversation, settle, walkDom,
} from './security-helpers.mjs';

let app;
let llm;
let canary;
let browser;
let s;
let payloads;
const figures = {};

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  llm = await startLlmServer();
  canary = await startCanary();
  browser = await launchBrowser();
  const port = new URL(canary.url).port;
  payloads = loadCorpus('zero-click').payloads.map((p) => p.replaceAll('CANARYPORT', port).replaceAll('CANARY', canary.url));
  s = await openSecureApp(browser, app.url);
  await configure(s.page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, '');
});

after(async () => {
  console.log(`[zero-click figures] ${JSON.stringify(figures)}`);
  await browser?.close();
  await canary?.close();
  await llm?.close();
  await app?.close();
});

async function noLeak(name, fn) {
  const c0 = canary.counts.connections;
  const v0 = s.violations.length;
  await fn();
  await settle(s.page, 2500); // lazy images, refresh timers, preconnects get their chance
  const w = await walkDom(s.page);
  figures[name] = { payloads: payloads.length, canary_connections: canary.counts.connections - c0, violations: s.violations.length - v0 };
  assert.equal(canary.counts.connections - c0, 0, `${name}: nothing reached the canary (${canary.counts.log.join(', ')})`);
  assert.deepEqual(s.violations.slice(v0), [], `${name}: not even a refused request (stripped before the DOM)`);
  assert.deepEqual(w.offenders, [], `${name}: DOM clean`);
  assert.deepEqual(s.executions, []);
}

test('model text: one streamed answer with every payload, 0 requests to the canary', async () => {
  await noLeak('model text (streamed)', async () => {
    await newConversation(s.page);
    llm.script([{ text: payloads.join('\n\n') }]);
    await ask(s.page, 'Show me the images.');
    await waitIdle(s.page, (v) => v.items.some((i) => i.kind === 'assistant'), 120000);
  });
  // A markdown image from a host is a link to open, not an image.
  const links = s.page.locator('ci-chat .prose a.ci-ext-image');
  assert.ok(await links.count() >= 6, 'remote markdown images became "open" links');
  assert.match(await links.first().innerText(), /^Image from 127\.0\.0\.1:\d+: x — open$/);
  assert.equal(await links.first().getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await links.first().getAttribute('target'), '_blank');
  assert.equal(await s.page.locator('ci-chat .prose img').count(), 0, 'no <img> from the answer');
});

test('model text: each payload as its own assistant item, 0 requests', async () => {
  await noLeak('model text (items)', async () => {
    await newConversation(s.page);
    await renderAssistantItems(s.page, payloads);
  });
});

for (const kind of ['html', 'svg', 'markdown']) {
  test(`Python display() ${kind}: 0 requests`, async () => {
    await noLeak(`python display ${kind}`, async () => {
      await newConversation(s.page);
      const list = kind === 'svg' ? payloads.map((p) => `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">${p}</svg>`) : payloads;
      const cell = await runPython(s.page, displayCode(kind, list));
      assert.equal(cell.status, 'ok');
      assert.equal(cell.outputs.length, list.length);
      if (kind === 'html') await showAllHtml(s.page);
    });
  });
}

test('a click on "Image from host — open" opens one tab and makes exactly one request', async () => {
  await newConversation(s.page);
  await renderAssistantItems(s.page, [`Here: ![chart](${canary.url}/clicked.png)`]);
  await settle(s.page, 500);
  const before = canary.counts.requests;
  assert.equal(canary.counts.log.filter((l) => l.includes('clicked')).length, 0, 'not fetched before the click');
  const [popup] = await Promise.all([
    s.page.context().waitForEvent('page'),
    s.page.locator('ci-chat .prose a.ci-ext-image').click(),
  ]);
  await popup.waitForLoadState('load').catch(() => {});
  await settle(s.page, 500);
  const hits = canary.counts.log.filter((l) => l.includes('clicked'));
  figures.click = { requests: canary.counts.requests - before, hits: hits.length };
  assert.equal(hits.length, 1, `exactly one request for the clicked image (${hits})`);
  assert.equal(await popup.evaluate(() => window.opener), null, 'no opener');
  await popup.close();
});
