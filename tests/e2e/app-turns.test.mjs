// The built app against the scripted model server, one browser for all:
// stop (Esc) during `while True: pass` and during a slow stream; a 401 shown
// as a clear message; the Anthropic format; a model with tools off whose
// fenced ```python block runs; a long answer formatted while it streams,
// its finished blocks keeping their elements (web/app/markdown-blocks.mjs);
// a phone-width screenshot. No CSP violation.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { artifactPath, launchBrowser, startApp } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, openApp, vm, waitIdle, configure, ask, assertNoViolations, canaryCalls, STREAMED_ANSWER as ANSWER, STREAMED_ANSWER_BLOCKS } from './app-helpers.mjs';

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

async function newConversation() {
  await page.getByRole('button', { name: 'New conversation', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.items.length === 0);
}

const openai = () => ({ preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true });

test('Esc stops `while True: pass` (interrupt), and Python keeps working', async () => {
  await newConversation();
  await page.getByRole('button', { name: 'Python', exact: true }).click();
  const box = page.locator('ci-composer textarea');
  await box.fill('x = 41\nwhile True: pass');
  await box.press('Control+Enter');
  await page.locator('ci-cell .status.running').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: artifactPath('app-05-running.png') });
  const t0 = Date.now();
  await page.keyboard.press('Escape');
  const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'cell' && i.exec.status !== 'running'), 20000);
  const cell = v.items.find((i) => i.kind === 'cell').exec;
  assert.equal(cell.status, 'cancelled', `stopped (got ${cell.status})`);
  assert.ok(Date.now() - t0 < 10000, 'stopped promptly');
  assert.match(await page.locator('ci-cell .status').first().innerText(), /Stopped/);

  // The interpreter survived the interrupt (cross-origin isolated): x is still there.
  await box.fill('print(x + 1)');
  await box.press('Control+Enter');
  const v2 = await waitIdle(page, (s) => s.items.filter((i) => i.kind === 'cell').length === 2 && s.items.at(-1).exec?.status !== 'running');
  assert.equal(v2.items.at(-1).exec.stdout, '42\n');
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
});

test('Stop during a slow stream keeps what arrived', async () => {
  await newConversation();
  await configure(page, openai(), 'sk-stop');
  llm.script([{ text: 'Counting slowly: one two three four five six seven eight nine ten eleven twelve.', delay_ms: 150 }]);
  await ask(page, 'Count slowly');
  await page.locator('ci-chat [data-streaming] .prose p', { hasText: 'one two' }).waitFor({ timeout: 20000 });
  await page.screenshot({ path: artifactPath('app-05b-streaming.png') });
  await page.locator('ci-composer').getByRole('button', { name: 'Stop' }).click();
  const v = await waitIdle(page, () => true, 20000);
  const reply = v.items.find((i) => i.kind === 'assistant');
  assert.ok(reply && reply.text.startsWith('Counting'), `the partial answer is kept: ${JSON.stringify(v.items)}`);
  assert.ok(reply.text.length < 'Counting slowly: one two three four five six seven eight nine ten eleven twelve.'.length, `it was cut short: ${JSON.stringify(v.items)} ${JSON.stringify(v.activity)}`);
  assert.ok(reply.text.length < 'Counting slowly: one two three four five six seven eight nine ten eleven twelve.'.length, 'it was cut short');
});

test('a 401 from the provider is shown as a clear message', async () => {
  await newConversation();
  await configure(page, openai(), 'sk-wrong');
  llm.script([{ status: 401, error: { type: 'invalid_request_error', message: 'Incorrect API key provided: sk-wrong.', code: 'invalid_api_key' } }]);
  await ask(page, 'Hello?');
  await waitIdle(page, (s) => s.items.some((i) => i.kind === 'notice'));
  const notice = page.locator('ci-chat .notice.error');
  await notice.waitFor();
  const text = await notice.innerText();
  assert.match(text, /key/i, `names the key: ${text}`);
  assert.equal(await notice.getAttribute('role'), 'alert');
  await page.screenshot({ path: artifactPath('app-06-error-401.png') });
});

test('Anthropic format: tool_use runs, the answer streams back', async () => {
  await newConversation();
  await configure(page, { preset: 'anthropic', baseUrl: `${llm.url}/v1`, format: 'anthropic', model: 'claude-sonnet-4-5', tools: true }, 'sk-ant-e2e');
  const before = llm.requests.length;
  llm.script([
    { text: 'Computing.', tool_calls: [{ id: 'toolu_1', arguments: JSON.stringify({ code: 'print(sum(range(10)))' }) }] },
    { text: 'The sum is **45**.' },
  ]);
  await ask(page, 'Sum 0..9');
  const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant' && i.text.includes('45')));
  const cell = v.items.find((i) => i.kind === 'cell').exec;
  assert.equal(cell.stdout, '45\n');
  const reqs = llm.requests.slice(before).filter((r) => r.method === 'POST');
  assert.equal(reqs[0].path, '/v1/messages');
  assert.equal(reqs[0].headers['x-api-key'], 'sk-ant-e2e');
  assert.equal(reqs[0].headers.authorization, undefined, 'no bearer header to Anthropic');
  assert.equal(reqs[1].body.messages.at(-1).content[0].type, 'tool_result');
  assert.equal(await page.locator('ci-chat .prose strong', { hasText: '45' }).count(), 1);
});

test('tools off: a fenced ```python block in the reply runs as a cell', async () => {
  await newConversation();
  await configure(page, { ...openai(), tools: false }, '');
  const before = llm.requests.length;
  llm.script([
    { text: 'I will compute it:\n\n```python\nprint(6 * 7)\n```\n' },
    { text: 'So the answer is 42.' },
  ]);
  await ask(page, 'What is 6*7?');
  const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant' && i.text.includes('answer is 42')));
  const cell = v.items.find((i) => i.kind === 'cell').exec;
  assert.equal(cell.stdout, '42\n');
  const first = llm.requests.slice(before).find((r) => r.method === 'POST');
  assert.equal(first.body.tools, undefined, 'no tools were offered');
  assert.equal(first.headers.authorization, undefined, 'no key was sent');
  await page.screenshot({ path: artifactPath('app-07-fenced.png') });
});

// The block logic itself: tests/js/markdown-blocks.test.mjs; the same check
// in every engine: tests/engines/flows/app.test.mjs.
test('a long answer streams in formatted; finished blocks keep their DOM; the end is the whole text rendered', async () => {
  await newConversation();
  await configure(page, { ...openai(), tools: false }, 'sk-stream');
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
});

test('phone width: the chat fills the screen, panels are drawers', async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  await page.waitForTimeout(200);
  const box = await page.locator('ci-chat').boundingBox();
  assert.ok(box.width >= 380, `chat is full width (${box.width})`);
  assert.equal(await page.locator('ci-files').isVisible(), false, 'files panel closed');
  await page.screenshot({ path: artifactPath('app-08-phone.png') });
  await page.getByRole('button', { name: 'Files', exact: true }).click();
  await page.screenshot({ path: artifactPath('app-09-phone-files.png') });
  await page.setViewportSize({ width: 1280, height: 860 });
});

test('no CSP violation and no XSS canary call across these flows', async () => {
  assert.equal(await canaryCalls(page), 0);
  assertNoViolations(violations);
  const v = await vm(page);
  assert.equal(v.phase, 'ready');
});
