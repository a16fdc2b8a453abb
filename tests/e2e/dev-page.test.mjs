// The whole product path in real Chromium, through the developer page:
// a question → the scripted model streams a tool call over real HTTP → the
// C++ core (wasm) asks for a run → Python runs in the opaque sandbox → a
// PNG shows inline, a file appears, the result goes back to the model → the
// answer streams in. Also: "Run Python" with no model, and the page's CSP
// holds with no violation.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, artifactPath, launchBrowser, startApp } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { CHART_CODE as CODE } from './app-helpers.mjs';

const coreBuilt = fs.existsSync(path.join(ROOT, 'build/wasm/ci_core.wasm'));


test('dev page: ask → tool call → Python in the sandbox → image, file, answer', { skip: !coreBuilt && 'build/wasm is not built' }, async () => {
  const app = await startApp({ isolation: true });
  const llm = await startLlmServer();
  const browser = await launchBrowser();
  try {
    llm.script([
      { text: 'Let me look at the data.', tool_calls: [{ id: 'call_1', arguments: JSON.stringify({ code: CODE }) }] },
      { text: 'The total is **42**; I saved chart.png.' },
    ]);
    const page = await browser.newPage();
    const violations = [];
    await page.exposeFunction('reportViolation', (v) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(`${app.url}/web/dev/`);
    await page.waitForFunction(() => document.querySelector('#status').textContent.startsWith('Ready'), null, { timeout: 90000 });

    // A file uploaded through the real file input.
    await page.setInputFiles('#upload', { name: 'sales.csv', mimeType: 'text/csv', buffer: Buffer.from('region,total\nN,10\nS,32\n') });
    await page.waitForFunction(() => document.querySelector('#files').textContent.includes('sales.csv'));

    await page.fill('input[name=base_url]', `${llm.url}/v1`);
    await page.fill('input[name=model]', 'gpt-4o-mini');
    await page.fill('input[name=api_key]', 'sk-e2e-key');
    await page.click('#settings button[type=submit]');
    await page.fill('#message', 'What is the total? Draw it.');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#status').textContent.includes('Turn 1 completed'), null, { timeout: 60000 });

    const log = await page.locator('#log').innerText();
    assert.match(log, /total: 42/, 'stdout of the run');
    assert.match(log, /Out\[1\]: 84/, 'the last expression');
    assert.match(log, /The total is \*\*42\*\*; I saved chart.png\./, 'the streamed answer (as text, not HTML)');
    const img = page.locator('#log img.output');
    assert.equal(await img.count(), 1, 'the PNG shows inline');
    assert.equal(await img.evaluate((i) => i.naturalWidth), 16, 'the image decoded');
    assert.match(await page.locator('#files').innerText(), /chart\.png \(\d+ bytes, image\/png\)/);

    // The model saw the run's output, and the key went to its own endpoint.
    assert.equal(llm.requests.length, 2);
    assert.equal(llm.requests[0].headers.authorization, 'Bearer sk-e2e-key');
    const toolMessage = llm.requests[1].body.messages.at(-1);
    assert.equal(toolMessage.role, 'tool');
    assert.match(toolMessage.content, /total: 42/);
    assert.match(toolMessage.content, /chart\.png/);

    // Run Python without a model: state and files persist between runs.
    await page.fill('#message', 'print(rows_total, open("chart.png", "rb").read()[:4])');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelector('#status').textContent.includes('Turn 2 completed'), null, { timeout: 30000 });
    assert.match(await page.locator('#log').innerText(), /42 b'\\x89PNG'/);

    await page.screenshot({ path: artifactPath('dev-page-turn.png'), fullPage: true });
    assert.deepEqual(violations, [], 'no CSP violation');
  } finally {
    await browser.close();
    await llm.close();
    await app.close();
  }
});
