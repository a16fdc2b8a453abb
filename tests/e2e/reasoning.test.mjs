// A reasoning model over the Responses API, in the built app in real
// Chromium against the strict scripted server: picking a model the endpoint's
// list names as reasoning (OpenAI's o-series) ticks "The model reasons" in
// Settings; a turn's reasoning comes back encrypted and goes back with the
// turn's next request, before the call it led to (the strict server refuses
// it otherwise); its summary shows as the answer's thinking; a model that
// does not reason gets none of it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, openApp, openCustomSettings, waitIdle, ask, assertNoViolations } from './app-helpers.mjs';
import { modelRequests } from './vision-helpers.mjs';

const MODELS = [
  { id: 'gpt-4.1-mini', object: 'model', created: 1744318173, owned_by: 'system' },
  { id: 'o4-mini', object: 'model', created: 1744225351, owned_by: 'system' },
];

test('a reasoning model picked in Settings keeps its reasoning across the turn\'s tool calls', async () => {
  requireBuiltApp();
  const app = await startApp({ isolation: true });
  const llm = await startLlmServer({ models: MODELS });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    const dialog = await openCustomSettings(page, `${llm.url}/v1`);
    await dialog.locator('select[name=format]').selectOption('responses');
    await dialog.locator('select[name=model] option[value="o4-mini"]').waitFor({ state: 'attached' });
    await dialog.locator('select[name=model]').selectOption('gpt-4.1-mini');
    assert.equal(await dialog.locator('input[name=reasoning]').isChecked(), false, 'a model the list does not name as reasoning');
    await dialog.locator('select[name=model]').selectOption('o4-mini');
    assert.equal(await dialog.locator('input[name=reasoning]').isChecked(), true, 'the o-series reasons');
    await dialog.locator('input[name=reasoningSummary]').check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForFunction(() => document.querySelector('code-interpreter').app.coreConfig().provider.reasoning === true);

    llm.script([
      { thinking: 'Six sevens: run it to be sure.', tool_calls: [{ id: 'call_1', arguments: JSON.stringify({ code: 'print(6*7)' }) }] },
      { text: 'It is 42.' },
    ]);
    await ask(page, 'What is 6 times 7?');
    await waitIdle(page, (v) => v.items.some((i) => i.kind === 'assistant' && i.text === 'It is 42.'));
    const [first, second] = modelRequests(llm);
    assert.deepEqual(first.invalid, []);
    assert.deepEqual(second.invalid, [], 'the handed-back reasoning is what the provider accepts');
    assert.deepEqual(first.body.include, ['reasoning.encrypted_content']);
    assert.deepEqual(first.body.reasoning, { summary: 'auto' });
    const items = second.body.input;
    const at = items.findIndex((i) => i.type === 'reasoning');
    assert.ok(at >= 0, JSON.stringify(items));
    assert.equal(items[at].encrypted_content, `enc:${Buffer.from('Six sevens: run it to be sure.').toString('base64')}`);
    assert.equal(items[at + 1].type, 'function_call');
    await page.locator('ci-chat', { hasText: 'Six sevens: run it to be sure.' }).waitFor();

    // Another model, not a reasoning one: nothing is asked for or sent back.
    await page.evaluate(() => {
      const a = document.querySelector('code-interpreter').app;
      return a.saveSettings({ ...a.vm.settings, model: 'gpt-4.1-mini', reasoning: false });
    });
    llm.script([{ tool_calls: [{ id: 'call_2', arguments: JSON.stringify({ code: 'print(7*8)' }) }] }, { text: 'It is 56.' }]);
    await ask(page, 'And 7 times 8?');
    await waitIdle(page, (v) => v.items.some((i) => i.kind === 'assistant' && i.text === 'It is 56.'));
    for (const r of modelRequests(llm).slice(2)) {
      assert.equal(r.body.include, undefined);
      assert.ok(!r.body.input.some((i) => i.type === 'reasoning'), 'no reasoning items');
    }
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await llm.close();
    await app.close();
  }
});
