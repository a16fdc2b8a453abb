// More of the built app in real Chromium, against the scripted model server
// driven by a scenario file (tests/scenarios/csv-chart.json): download all
// files as a .zip; edit a cell's code and run it; delete a file (gone from
// the panel and from /mnt/data); Markdown export; .ipynb import; rename,
// search and delete conversations in the sidebar (both survive a reload);
// runs queued behind a cell, kept across a reload until Run or Discard.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { artifactPath, launchBrowser, startApp, ROOT } from './harness.mjs';
import { startLlmServer, loadScenario } from '../support/llm-server.mjs';
import { requireBuiltApp, openApp, waitReady, vm, waitIdle, configure, ask, assertNoViolations, canaryCalls } from './app-helpers.mjs';

const SALES = fs.readFileSync(path.join(ROOT, 'tests/scenarios/sales.csv'));
const QUESTION = 'Which region sells most? Draw it.';

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
  // The app asks before deleting (confirm()): say yes.
  page.on('dialog', (d) => d.accept());
});

after(async () => {
  await browser?.close();
  await llm?.close();
  await app?.close();
});

const cells = (v) => v.items.filter((i) => i.kind === 'cell');

async function newConversation() {
  await page.getByRole('button', { name: 'New conversation', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.items.length === 0);
}

/** Runs code through the input box in Python mode; resolves with the new cell's exec. */
async function runPython(code) {
  const n = cells(await vm(page)).length;
  await page.getByRole('button', { name: 'Python', exact: true }).click();
  const box = page.locator('ci-composer textarea');
  await box.fill(code);
  await box.press('Control+Enter');
  const v = await waitIdle(page, (s) => cells(s).length === n + 1 && cells(s).at(-1).exec.status !== 'running');
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  return cells(v).at(-1).exec;
}

async function download(trigger) {
  const [d] = await Promise.all([page.waitForEvent('download'), trigger()]);
  return { name: d.suggestedFilename(), bytes: fs.readFileSync(await d.path()) };
}

async function openMenuItem(name) {
  await page.locator('details.menu summary').click();
  return page.getByRole('menuitem', { name }).click();
}

test('the csv-chart scenario: the model\'s code runs, the chart shows; download all as .zip', async () => {
  await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, '');
  llm.script(loadScenario('csv-chart').steps);
  await page.locator('ci-composer input[type=file]').setInputFiles({ name: 'sales.csv', mimeType: 'text/csv', buffer: SALES });
  await page.locator('ci-files li[data-path="sales.csv"]').waitFor();
  await ask(page, QUESTION);
  const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant' && i.text.includes('445')));
  const exec = cells(v)[0].exec;
  assert.equal(exec.status, 'ok', exec.stderr);
  assert.match(exec.stdout, /East\s+150[\s\S]*all\s+445/);
  assert.equal(await page.locator('ci-chat ci-cell ci-output img').first().evaluate((i) => i.naturalWidth), 240, 'the chart shows inline');
  await page.locator('ci-files li[data-path="chart.png"]').waitFor();

  const zip = await download(() => page.locator('ci-files').getByRole('button', { name: /All \(\.zip\)/ }).click());
  assert.match(zip.name, /\.zip$/);
  const entries = unzipSync(new Uint8Array(zip.bytes));
  assert.deepEqual(Object.keys(entries).sort(), ['chart.png', 'sales.csv']);
  assert.deepEqual(Buffer.from(entries['sales.csv']), SALES, 'the uploaded bytes');
  const chart = await page.evaluate(() => Array.from(document.querySelector('code-interpreter').app.readFile('chart.png')));
  assert.deepEqual([...entries['chart.png']], chart, 'the chart Python wrote');
  await page.screenshot({ path: artifactPath('app-10-scenario-chart.png') });
});

test('edit a cell\'s code and run it: the new output appears', async () => {
  const before = cells(await vm(page)).length;
  const cell = page.locator('ci-chat ci-cell').first();
  await cell.getByRole('button', { name: 'Edit', exact: true }).click();
  const editor = cell.locator('textarea');
  await editor.waitFor();
  assert.match(await editor.inputValue(), /import csv/, 'the editor holds the cell\'s code');
  await editor.fill("print('edited', sum(int(l.split(',')[2]) for l in open('sales.csv').read().split()[1:]))");
  await cell.getByRole('button', { name: 'Run edited code' }).click();
  const v = await waitIdle(page, (s) => cells(s).length === before + 1 && cells(s).at(-1).exec.status !== 'running');
  const last = cells(v).at(-1).exec;
  assert.equal(last.status, 'ok', last.stderr);
  assert.equal(last.stdout, 'edited 445\n');
  assert.match(await page.locator('ci-chat ci-cell').last().locator('pre.stdout').innerText(), /edited 445/, 'shown in the new cell');
  assert.equal(await cell.locator('textarea').count(), 0, 'the editor closed');

  // Re-run as it is: the same output again, in a new cell.
  await page.locator('ci-chat ci-cell').last().getByRole('button', { name: 'Re-run' }).click();
  const v2 = await waitIdle(page, (s) => cells(s).length === before + 2 && cells(s).at(-1).exec.status !== 'running');
  assert.equal(cells(v2).at(-1).exec.stdout, 'edited 445\n');
});

test('delete a file: gone from the panel and from /mnt/data', async () => {
  await page.locator('ci-files').getByRole('button', { name: 'Delete sales.csv' }).click();
  await page.locator('ci-files li[data-path="sales.csv"]').waitFor({ state: 'detached' });
  assert.deepEqual((await vm(page)).files.map((f) => f.path), ['chart.png']);
  const exec = await runPython("import os\nprint(sorted(os.listdir('/mnt/data')))");
  assert.equal(exec.stdout, "['chart.png']\n", 'Python no longer sees sales.csv');
});

test('Markdown export holds the question and the cell\'s code', async () => {
  const md = await download(() => openMenuItem(/Markdown/));
  assert.match(md.name, /\.md$/);
  const text = md.bytes.toString('utf8');
  assert.ok(text.includes(QUESTION), 'the user\'s question');
  assert.ok(text.includes('```python\nimport csv, os, struct, zlib'), 'the model\'s code, fenced');
  assert.ok(text.includes("print('edited'"), 'the edited cell');
  assert.match(text, /East\s+150/, 'its output');
  assert.ok(text.includes('**East** sells most'), 'the answer');
});

test('.ipynb import: its code cells appear and run in order', async () => {
  await newConversation();
  const nb = {
    nbformat: 4, nbformat_minor: 5, metadata: {},
    cells: [
      { cell_type: 'markdown', id: 'a', metadata: {}, source: ['# Imported\n'] },
      { cell_type: 'code', id: 'b', metadata: {}, execution_count: 1, outputs: [], source: ['%matplotlib inline\n', 'x = 20\n'] },
      { cell_type: 'code', id: 'c', metadata: {}, execution_count: 2, outputs: [], source: 'print(x + 22)' },
      { cell_type: 'code', id: 'd', metadata: {}, execution_count: null, outputs: [], source: [] },
    ],
  };
  await page.locator('code-interpreter input#import').setInputFiles({ name: 'imported.ipynb', mimeType: 'application/x-ipynb+json', buffer: Buffer.from(JSON.stringify(nb)) });
  const v = await waitIdle(page, (s) => cells(s).length === 2 && cells(s).every((c) => c.exec.status !== 'running'));
  const [first, second] = cells(v).map((c) => c.exec);
  assert.equal(first.status, 'ok', first.stderr);
  assert.match(first.code, /# %matplotlib inline\nx = 20/, 'the magic is commented out');
  assert.equal(second.stdout, '42\n');
  assert.equal(await page.locator('ci-chat ci-cell').count(), 2, 'two cells shown');
});

test('conversations: rename, search, delete; the deletion survives a reload', async () => {
  const sidebar = page.locator('ci-sidebar');
  const current = sidebar.locator('li[aria-current=page]');
  await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.conversations.length === 2);
  const importedId = (await vm(page)).currentId;

  // Rename the open conversation (the imported notebook).
  await current.getByRole('button', { name: /^Rename / }).click();
  const input = sidebar.getByRole('textbox', { name: 'New title' });
  await input.fill('Imported squares');
  await input.press('Enter');
  await current.locator('.title', { hasText: 'Imported squares' }).waitFor();
  await page.locator('main h1', { hasText: 'Imported squares' }).waitFor();

  // Search by title.
  const search = sidebar.getByRole('searchbox', { name: 'Search conversations' });
  await search.fill('squares');
  await sidebar.locator('nav li', { hasText: QUESTION }).waitFor({ state: 'detached' });
  assert.equal(await sidebar.locator('nav li').count(), 1);
  assert.equal(await sidebar.locator('nav li .title').innerText(), 'Imported squares');
  await search.fill('region');
  await sidebar.locator('nav li .title', { hasText: QUESTION }).waitFor();
  assert.equal(await sidebar.locator('nav li').count(), 1);
  await search.fill('nothing like this');
  await sidebar.getByText('No conversation matches.').waitFor();
  await search.fill('');

  // Rename the other one (the CSV conversation, with a question) from its row, then open it.
  const csvId = (await vm(page)).conversations.find((c) => c.id !== importedId).id;
  const csvRow = sidebar.locator('nav li', { hasText: QUESTION });
  await csvRow.hover();
  await csvRow.getByRole('button', { name: /^Rename / }).click();
  await input.fill('Sales by region');
  await input.press('Enter');
  const salesRow = sidebar.locator('nav li', { hasText: 'Sales by region' });
  await salesRow.locator('button.open').click();
  await page.waitForFunction((id) => document.querySelector('code-interpreter').app.vm.currentId === id, csvId);
  await page.locator('ci-chat ci-cell').first().waitFor();
  await page.locator('main h1', { hasText: 'Sales by region' }).waitFor({ timeout: 5000 });

  // Delete the imported one (not open now).
  const importedRow = sidebar.locator('nav li', { hasText: 'Imported squares' });
  await importedRow.hover();
  await importedRow.getByRole('button', { name: /^Delete / }).click();
  await importedRow.waitFor({ state: 'detached' });
  await page.screenshot({ path: artifactPath('app-11-sidebar.png') });

  // Reload: the new title stayed, the deleted conversation did not come back.
  await page.reload();
  await waitReady(page);
  const v = await vm(page);
  assert.equal(v.currentId, csvId);
  assert.deepEqual(v.conversations.map((c) => c.id), [csvId], 'only the renamed conversation is left');
  assert.equal(v.conversations[0].title, 'Sales by region');
  await page.locator('main h1', { hasText: 'Sales by region' }).waitFor({ timeout: 5000 });
  assert.equal(await sidebar.locator('nav li', { hasText: 'Imported squares' }).count(), 0);
  const stored = await page.evaluate((id) => document.querySelector('code-interpreter').app.store.loadConversation(id).then((c) => c ?? null), importedId);
  assert.equal(stored, null, 'its data is gone from IndexedDB');

  // Delete the open one: a fresh conversation takes its place, also after a reload.
  await sidebar.locator('li[aria-current=page]').getByRole('button', { name: /^Delete / }).click();
  await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.conversations.length === 0);
  await page.reload();
  await waitReady(page);
  const v2 = await vm(page);
  assert.deepEqual(v2.conversations, []);
  assert.notEqual(v2.currentId, csvId);
  assert.equal(v2.items.length, 0);
});

/**
 * Waits until the core holds `n` runs in its queue. On a timeout it says what
 * the app was doing (a clean CI run once timed out here with no clue).
 */
async function waitQueued(page, n, timeout = 60000) {
  const state = () => page.evaluate(() => {
    const a = document.querySelector('code-interpreter').app;
    return { queued: a.ci.queued, running: a.vm.running, python: a.vm.python?.state, items: a.vm.items.map((i) => [i.kind, i.text ?? i.exec?.status]) };
  });
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await state();
    if (last.queued === n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${n} queued runs: ${JSON.stringify(last)}`);
}

test('runs waiting behind a cell are saved with the conversation; after a reload they wait for Run (or Discard)', async () => {
  // A conversation of its own, once it is this tab's (its claim answers asynchronously).
  await page.evaluate(() => document.querySelector('code-interpreter').app.newConversation());
  assert.equal(await page.evaluate(() => document.querySelector('code-interpreter').app.writable), true);
  const accepted = await page.evaluate(() => {
    const a = document.querySelector('code-interpreter').app;
    return [a.runCode('import time\nwhile True: time.sleep(0.05)'), a.runCode('print("queued one")'), a.runCode('print("queued two")')];
  });
  assert.deepEqual(accepted, [true, true, true]);
  await waitQueued(page, 2);
  await page.evaluate(() => document.querySelector('code-interpreter').app.flushSaves());
  await page.reload(); // the loop dies with the page; what waited behind it is kept
  await waitReady(page);
  const banner = page.locator('ci-chat [data-kind=held-queue]');
  await banner.waitFor({ timeout: 10000 });
  assert.match(await banner.innerText(), /2 runs were waiting/);
  assert.equal(cells(await vm(page)).length, 1, 'nothing ran by itself');
  await banner.getByRole('button', { name: 'Run them' }).click();
  const v = await waitIdle(page, (s) => cells(s).length === 3 && !s.heldQueue);
  assert.deepEqual(cells(v).slice(1).map((c) => c.exec.stdout), ['queued one\n', 'queued two\n']);
  await banner.waitFor({ state: 'detached' });

  // Discard: the same again, dropped this time.
  assert.deepEqual(await page.evaluate(() => {
    const a = document.querySelector('code-interpreter').app;
    return [a.runCode('import time\nwhile True: time.sleep(0.05)'), a.runCode('print("never")')];
  }), [true, true]);
  await waitQueued(page, 1);
  await page.evaluate(() => document.querySelector('code-interpreter').app.flushSaves());
  await page.reload();
  await waitReady(page);
  await banner.waitFor({ timeout: 10000 });
  assert.match(await banner.innerText(), /One run was waiting/);
  await banner.getByRole('button', { name: 'Discard' }).click();
  await banner.waitFor({ state: 'detached' });
  const after = await vm(page);
  assert.ok(!cells(after).some((c) => c.exec.code.includes('never')));
  assert.equal(await page.evaluate(() => document.querySelector('code-interpreter').app.ci.conversation().queued.length), 0);
});

test('no CSP violation and no XSS canary call across these flows', async () => {
  assert.equal(await canaryCalls(page), 0);
  assertNoViolations(violations);
});
