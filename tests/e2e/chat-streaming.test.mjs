// The chat while a long answer streams in (web/components/ci-chat.mjs with
// app/markdown-blocks.mjs), in the real app in real Chromium against the
// scripted server: the answer is formatted as it arrives, a block that is
// done keeps its DOM (the same element until the end of the stream: not
// rendered again on each piece), and the finished answer is the whole text
// rendered once. The block logic itself is tested in
// tests/js/markdown-blocks.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, launchBrowser } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, openApp, waitIdle, configure, ask, assertNoViolations, STREAMED_ANSWER as ANSWER, STREAMED_ANSWER_BLOCKS } from './app-helpers.mjs';

let app;
let llm;
let browser;
let page;
let violations;

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  llm = await startLlmServer();
  browser = await launchBrowser();
  ({ page, violations } = await openApp(browser, app.url));
});

after(async () => {
  await browser?.close();
  await llm?.close();
  await app?.close();
});

test('a long answer streams in formatted; finished blocks keep their DOM; the end is the whole text rendered', async () => {
  await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: false }, 'sk-stream');
  llm.script([{ text: ANSWER, delay_ms: 15 }]);
  await ask(page, 'Sum the sales by region');

  const streaming = page.locator('ci-chat [data-streaming] .prose');
  // Formatted while it streams: a heading, a list, a highlighted code block
  // and a table, as elements.
  await streaming.locator('h1', { hasText: 'Sales by region' }).waitFor({ timeout: 30000 });
  await streaming.locator('table td', { hasText: '998' }).waitFor({ timeout: 30000 });
  await streaming.locator('p', { hasText: 'Paragraph 1 of' }).waitFor({ timeout: 30000 });
  assert.ok(await streaming.locator('pre code.hljs .hljs-keyword').count() > 0, 'the code block is highlighted while streaming');
  // Two blocks on, the heading and the list are done: their elements now
  // must stay the same ones until the end (a whole re-render per piece
  // would replace them each time).
  const heading = await streaming.locator('h1').elementHandle();
  const list = await streaming.locator('ol').elementHandle();
  await streaming.locator('p', { hasText: 'Paragraph 8 of' }).waitFor({ timeout: 30000 });
  const same = await streaming.evaluate((prose, [h, l]) => ({
    heading: h.isConnected && prose.querySelector('h1') === h,
    list: l.isConnected && prose.querySelector('ol') === l,
    headings: prose.querySelectorAll('h1').length,
  }), [heading, list]);
  assert.deepEqual(same, { heading: true, list: true, headings: 1 }, 'the heading and the list are the same elements, not rendered again');
  assert.equal(await page.locator('ci-chat [data-streaming]').count(), 1, 'still streaming when checked');

  const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant'), 60000);
  assert.equal(v.items.find((i) => i.kind === 'assistant').text, ANSWER);
  // The finished answer: every block once, in order, as the whole text renders.
  const done = page.locator('ci-chat [data-kind="assistant"]').last().locator('.prose');
  const shape = await done.evaluate((prose) => ({
    blocks: [...prose.children].filter((e) => e.localName !== 'span').map((e) => e.localName),
    text: prose.innerText,
  }));
  assert.deepEqual(shape.blocks, STREAMED_ANSWER_BLOCKS);
  assert.match(shape.text, /The end\.$/);
  assert.equal(await page.locator('ci-chat [data-streaming]').count(), 0);
  assertNoViolations(violations);
});
