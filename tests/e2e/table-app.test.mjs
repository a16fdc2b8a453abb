// Tables in the built app (dist/) end to end in real Chromium, against the
// scripted model server: the model's tool call runs display_table() in the
// real sandbox → the cell shows the grid (the lazy ci-table chunk) with its
// code collapsed to one line ("Show code") → the model read the table's text
// preview in the tool result → reload: the table is back from IndexedDB →
// .ipynb: the dataresource bundle beside text/plain, valid for Jupyter's
// nbformat → Markdown: a Markdown table → with "Collapse code after it runs"
// off the code shows; a failed cell keeps its code open. No CSP violation
// on the way.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { artifactPath, launchBrowser, startApp } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, openApp, waitReady, waitIdle, ask, configure, assertNoViolations } from './app-helpers.mjs';

const TABLE = 'application/vnd.dataresource+json';
const CODE = `rows = [{"id": i, "city": ["Oslo", "Lima", "Quito"][i % 3], "amount": i * 1.5} for i in range(2500)]
display_table(rows, title="Orders")
print("shown")`;
const PYTHON = '/usr/bin/python3'; // Debian's, with python3-nbformat

test('app: display_table in a tool call → grid, code collapsed, preview to the model → reload restores → .ipynb and Markdown exports', async () => {
  requireBuiltApp();
  const app = await startApp({ isolation: true });
  const llm = await startLlmServer();
  const browser = await launchBrowser();
  try {
    llm.script([
      { tool_calls: [{ id: 'call_t1', arguments: JSON.stringify({ code: CODE }) }] },
      { text: 'Here are the orders.' },
    ]);
    const { page, violations } = await openApp(browser, app.url);
    await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, '');
    await ask(page, 'Show the orders as a table.');
    await waitIdle(page, (v) => v.items.some((i) => i.kind === 'assistant' && i.text.includes('orders')), 90000);

    const grid = page.locator('ci-chat ci-cell ci-table [role=grid]');
    await grid.waitFor();
    assert.equal(await grid.getAttribute('aria-rowcount'), '2501', 'header + 2,500 rows');
    assert.equal(await page.locator('ci-chat ci-table .title').textContent(), 'Orders');

    // The code ran without error: one line, "Show code" opens it.
    const cell = page.locator('ci-chat ci-cell').first();
    const summary = cell.locator('button.summary');
    assert.match(await summary.innerText(), /Show code\s+rows = \[\{"id": i/);
    assert.equal(await summary.getAttribute('aria-expanded'), 'false');
    assert.equal(await cell.locator('.code').count(), 0, 'the code is folded');
    await page.screenshot({ path: artifactPath('table-app-01-grid.png') });
    await summary.click();
    await cell.locator('.code').waitFor();
    assert.equal(await cell.locator('header button[aria-controls=code]').getAttribute('aria-expanded'), 'true');

    // The model read the pandas-like preview in the tool result.
    const posts = llm.requests.filter((r) => r.method === 'POST');
    const toolMsg = posts[1].body.messages.find((m) => m.role === 'tool');
    assert.match(JSON.stringify(toolMsg.content), /\[2500 rows x 3 columns\]/);

    // Reload: the table output is restored from IndexedDB and drawn again.
    await page.reload();
    await waitReady(page);
    await grid.waitFor();
    assert.equal(await grid.getAttribute('aria-rowcount'), '2501', 'the restored table');
    assert.equal(await cell.locator('button.summary').count(), 1, 'folded again after the reload');

    // .ipynb: the bundle beside text/plain, valid nbformat.
    const nb = await page.evaluate(() => document.querySelector('code-interpreter').app.ci.exportNotebook());
    const outs = nb.cells.filter((c) => c.cell_type === 'code').flatMap((c) => c.outputs);
    const rich = outs.find((o) => o.output_type === 'display_data' && o.data[TABLE]);
    assert.ok(rich, `a display_data with ${TABLE}: ${JSON.stringify(outs).slice(0, 300)}`);
    const bundle = typeof rich.data[TABLE] === 'string' ? JSON.parse(rich.data[TABLE]) : rich.data[TABLE];
    assert.equal(bundle.total_rows, 2500);
    assert.equal(bundle.data.length, 2500);
    assert.match([].concat(rich.data['text/plain']).join(''), /\[2500 rows x 3 columns\]/);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ci-table-nb-')), 't.ipynb');
    fs.writeFileSync(file, JSON.stringify(nb));
    const check = spawnSync(PYTHON, ['-c', 'import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print("valid")', file], { encoding: 'utf8' });
    assert.equal(check.stdout.trim(), 'valid', check.stderr);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });

    // Markdown: a static table of the first rows and the size.
    await page.locator('details.menu summary').click();
    const [mdDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: /Markdown/ }).click()]);
    const md = fs.readFileSync(await mdDownload.path(), 'utf8');
    assert.match(md, /\*\*Orders\*\*\n\n\| id \| city \| amount \|\n\| --- \| --- \| --- \|\n\| 0 \| Oslo \| 0 \|/);
    assert.match(md, /\*2,500 rows × 3 columns \(the first 20 shown\)\*/);

    // The setting off: code stays open after a run.
    await configure(page, { collapseCode: false }, '');
    await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.settings.collapseCode === false);
    await cell.locator('.code').waitFor();
    assert.equal(await cell.locator('button.summary').count(), 0);

    // The setting on again: a cell that failed keeps its code open.
    await configure(page, { collapseCode: true }, '');
    await cell.locator('button.summary').waitFor();
    const ran = await page.evaluate(() => document.querySelector('code-interpreter').app.runCode('x = 1\n1 / 0'));
    assert.ok(ran, 'the app ran the code');
    await waitIdle(page, (v) => v.items.filter((i) => i.kind === 'cell').at(-1)?.exec?.status === 'error');
    const failed = page.locator('ci-chat ci-cell').last();
    await failed.locator('.code').waitFor();
    assert.equal(await failed.locator('button.summary').count(), 0, 'an error keeps the code open');
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await llm.close();
    await app.close();
  }
});
