// The built app (dist/) end to end in real Chromium, against the scripted
// model server: settings through the dialog (the model list from /models) →
// upload a CSV → ask → the answer streams in as markdown (an XSS payload in
// it stays inert) → the model's tool call runs in the sandbox → a PNG shows
// inline → the file it made downloads with the right bytes → reload: the
// conversation, its cells and its files are back → re-run all cells →
// export .ipynb (nbformat 4). No CSP violation on the way.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { artifactPath, launchBrowser, startApp } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import {
  CHART_CODE, expectedChartRows, requireBuiltApp, openApp, openCustomSettings, waitReady, vm, waitIdle, ask, assertNoViolations, canaryCalls,
} from './app-helpers.mjs';

const XSS = 'Let me look. <img src=x onerror="window.__pwned()"><script>window.__pwned()</script>[x](javascript:window.__pwned())';

function pngIdat(bytes) {
  let o = 8;
  const parts = [];
  while (o < bytes.length) {
    const len = bytes.readUInt32BE(o);
    const type = bytes.toString('latin1', o + 4, o + 8);
    if (type === 'IDAT') parts.push(bytes.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  return Buffer.concat(parts);
}

test('app: upload → ask → streamed markdown → tool call runs → image, download → reload restores → .ipynb', async () => {
  requireBuiltApp();
  const app = await startApp({ isolation: true });
  const llm = await startLlmServer();
  const browser = await launchBrowser();
  try {
    llm.script([
      { text: XSS, tool_calls: [{ id: 'call_1', arguments: JSON.stringify({ code: CHART_CODE }) }] },
      { text: 'The total is **42**.\n\n| region | total |\n|---|---|\n| N | 10 |\n| S | 32 |\n\nI saved [chart.png](sandbox:/mnt/data/chart.png).', delay_ms: 15 },
    ]);
    const { page, violations } = await openApp(browser, app.url);
    await page.screenshot({ path: artifactPath('app-01-welcome.png') });

    // Settings through the dialog: a custom OpenAI-compatible URL, a key, the model from /models.
    const dialog = await openCustomSettings(page, `${llm.url}/v1`);
    await dialog.locator('input[name=apiKey]').fill('sk-e2e-key');
    await dialog.locator('input[name=apiKey]').press('Tab');
    await dialog.locator('select[name=model] option[value="gpt-4o-mini"]').waitFor({ state: 'attached' });
    assert.equal(await dialog.locator('input[name=apiKey]').getAttribute('type'), 'password', 'the key is masked');
    await page.screenshot({ path: artifactPath('app-02-settings.png') });
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.settings.model === 'gpt-4o-mini');

    // Upload through the input box's file button.
    await page.locator('ci-composer input[type=file]').setInputFiles({ name: 'sales.csv', mimeType: 'text/csv', buffer: Buffer.from('region,total\nN,10\nS,32\n') });
    await page.locator('ci-files li[data-path="sales.csv"]').waitFor();

    await ask(page, 'What is the total? Draw it.');
    // The answer streams: partial text shows before the turn ends.
    await page.locator('ci-chat [data-streaming]').first().waitFor({ timeout: 30000 });
    await waitIdle(page, (v) => v.items.some((i) => i.kind === 'assistant' && i.text.includes('42')));

    const chat = page.locator('ci-chat');
    assert.equal(await chat.locator('.prose strong', { hasText: '42' }).count(), 1, 'markdown bold rendered');
    assert.equal(await chat.locator('.prose table td', { hasText: '32' }).count(), 1, 'markdown table rendered');
    assert.equal(await chat.locator('.prose script').count(), 0, 'no <script> in the answer');
    assert.equal(await chat.locator('.prose img[onerror]').count(), 0, 'no onerror attribute');
    assert.equal(await canaryCalls(page), 0, 'the XSS canary was never called');

    const cell = chat.locator('ci-cell').first();
    assert.match(await cell.locator('section.cell').innerText(), /total: 42/, 'stdout of the run');
    assert.match(await cell.locator('section.cell').innerText(), /Out\[1\]:\s*84/, 'the last expression');
    assert.match(await cell.locator('.status').innerText(), /Done/);
    const img = cell.locator('ci-output img');
    assert.equal(await img.count(), 1, 'the PNG shows inline');
    assert.equal(await img.evaluate((i) => i.naturalWidth), 16, 'the image decoded');
    await page.locator('ci-files li[data-path="chart.png"]').waitFor();
    const filesText = await page.locator('ci-files ul').innerText();
    assert.match(filesText, /sales\.csv[\s\S]*uploaded/);
    assert.match(filesText, /chart\.png[\s\S]*made by cell 1/);
    const usage = await chat.locator('[data-kind=usage]').innerText();
    assert.match(usage, /84 tokens in · 14 out/, 'token use of the turn (two requests)');

    // The model saw the run; the key went to its endpoint.
    const posts = llm.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 2);
    assert.equal(posts[0].headers.authorization, 'Bearer sk-e2e-key');
    assert.match(posts[1].body.messages.at(-1).content, /total: 42/);

    // Download chart.png from the files panel: the same bytes as made in Python.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('ci-files').getByRole('button', { name: 'Download chart.png' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'chart.png');
    const bytes = fs.readFileSync(await download.path());
    assert.equal(bytes.subarray(0, 8).toString('latin1'), '\x89PNG\r\n\x1a\n');
    assert.deepEqual(zlib.inflateSync(pngIdat(bytes)), expectedChartRows(), 'the downloaded PNG holds the pixels Python wrote');
    const inCore = await page.evaluate(() => Array.from(document.querySelector('code-interpreter').app.readFile('chart.png')));
    assert.deepEqual([...bytes], inCore, 'download = the core\'s bytes');

    // The link to /mnt/data/chart.png in the answer opens the file's preview.
    await chat.locator('.prose a[data-ci-file="chart.png"]').click();
    await page.locator('ci-files .preview img').waitFor();
    await page.locator('ci-files li[data-path="sales.csv"] button.open').click();
    assert.match(await page.locator('ci-files .preview table').innerText(), /region\s+total[\s\S]*S\s+32/, 'CSV head preview');
    await page.screenshot({ path: artifactPath('app-03-answer.png') });

    // Reload: everything is back from IndexedDB.
    const before = await vm(page);
    await page.reload();
    await waitReady(page);
    await page.locator('ci-chat ci-cell').first().waitFor();
    const after = await vm(page);
    assert.equal(after.currentId, before.currentId, 'the same conversation is open');
    assert.deepEqual(after.items.map((i) => i.kind), before.items.map((i) => i.kind), 'the same items');
    assert.deepEqual(after.files.map((f) => [f.path, f.size]), before.files.map((f) => [f.path, f.size]), 'the same files');
    assert.equal(after.title, 'What is the total? Draw it.');
    assert.equal(await page.locator('ci-chat ci-cell ci-output img').evaluate((i) => i.naturalWidth), 16, 'the image is back');
    assert.equal(await page.locator('ci-chat .prose strong', { hasText: '42' }).count(), 1, 'the answer is back');
    const banner = page.locator('ci-chat .banner');
    assert.match(await banner.innerText(), /variables from before are gone/);
    assert.equal(await page.locator('ci-sidebar li[aria-current=page] .title').innerText(), 'What is the total? Draw it.');
    await page.screenshot({ path: artifactPath('app-04-restored.png') });

    // Re-run all cells: the core says Python restarted, then the cell runs again with the restored files.
    await banner.getByRole('button', { name: 'Re-run all cells' }).click();
    await waitIdle(page, (v) => v.items.filter((i) => i.kind === 'cell').length === 2 && v.items.at(-1).exec?.status !== 'running');
    const rerun = await vm(page);
    assert.ok(rerun.items.some((i) => i.kind === 'notice' && /Python session was restarted/.test(i.text)), 'the restart notice');
    const last = rerun.items.at(-1).exec;
    assert.equal(last.status, 'ok', last.stderr);
    assert.match(last.stdout, /total: 42/);

    // Export .ipynb: nbformat 4.
    await page.locator('details.menu summary').click();
    const [nbDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('menuitem', { name: /Jupyter notebook/ }).click(),
    ]);
    assert.match(nbDownload.suggestedFilename(), /\.ipynb$/);
    const nb = JSON.parse(fs.readFileSync(await nbDownload.path(), 'utf8'));
    assert.equal(nb.nbformat, 4);
    assert.ok(nb.nbformat_minor >= 4);
    assert.equal(typeof nb.metadata, 'object');
    assert.ok(nb.metadata.kernelspec?.name, 'a kernelspec');
    for (const c of nb.cells) {
      assert.ok(['code', 'markdown', 'raw'].includes(c.cell_type));
      assert.equal(typeof c.id, 'string');
      assert.equal(typeof c.metadata, 'object');
      assert.ok(typeof c.source === 'string' || Array.isArray(c.source));
      if (c.cell_type === 'code') assert.ok(Array.isArray(c.outputs) && 'execution_count' in c);
    }
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    assert.equal(code.length, 2);
    const outs = code[0].outputs;
    assert.ok(outs.some((o) => o.output_type === 'stream' && [].concat(o.text).join('').includes('total: 42')));
    assert.ok(outs.some((o) => o.output_type === 'display_data' && o.data['image/png']));
    assert.ok(outs.some((o) => o.output_type === 'execute_result' && [].concat(o.data['text/plain']).join('') === '84'));
    assert.ok(!JSON.stringify(nb).includes('sk-e2e-key'), 'no key in the export');

    assertNoViolations(violations);
  } finally {
    await browser.close();
    await llm.close();
    await app.close();
  }
});
