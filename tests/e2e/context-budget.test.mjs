// The context budget, end to end (issue 12): the built app in real Chromium
// against the strict scripted server with a small context window (6,000
// tokens, chars/4 as the server counts). The app's "Context window (tokens)"
// setting is set to the same through the settings dialog; then 16 turns,
// each a run that prints ~8 KB and an answer. Every request stays under the
// window (the server refuses one over it with the provider's
// context_length_exceeded and records it), the system prompt and the current
// question are always sent, every turn gets its answer, and the chat shows
// that older outputs were trimmed (a status line, and the public
// context_trimmed event). With no window set (unknown), the provider's
// context-length refusal is retried once, trimmed harder, and the chat says so.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, artifactPath } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, openApp, openCustomSettings, waitIdle, ask, configure, assertNoViolations } from './app-helpers.mjs';
import { modelRequests } from './vision-helpers.mjs';

const WINDOW = 6000;
const TURNS = 16;
// ~8 KB of output: 110 lines of 74 characters.
const PRINT_CODE = (turn) => `for i in range(110):\n    print(f"turn ${turn} row {i:3d}: " + "abcdefgh" * 7)`;

test(`context budget: ${TURNS} turns of ~8 KB outputs never overflow a ${WINDOW}-token window, and the chat says it trimmed`, async () => {
  requireBuiltApp();
  const app = await startApp({ isolation: true });
  const llm = await startLlmServer({ contextWindow: WINDOW });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    await page.evaluate(() => {
      window.__trims = [];
      document.querySelector('code-interpreter').addEventListener('ci-event', (e) => { if (e.detail?.type === 'context_trimmed') window.__trims.push(e.detail); });
    });

    // The window through the settings dialog.
    const dialog = await openCustomSettings(page, `${llm.url}/v1`);
    await dialog.locator('select[name=model] option[value="gpt-4o-mini"]').waitFor({ state: 'attached' });
    assert.equal(await dialog.locator('input[name=contextWindow]').inputValue(), '', 'blank: the custom preset\'s (unknown)');
    assert.equal(await dialog.locator('input[name=vision]').isChecked(), false, 'a custom endpoint: images are not sent unless told');
    await dialog.locator('input[name=contextWindow]').fill(String(WINDOW));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForFunction((w) => document.querySelector('code-interpreter').app.coreConfig().provider.context_window === w, WINDOW);

    for (let turn = 1; turn <= TURNS; turn += 1) {
      llm.script([
        { tool_calls: [{ id: `call_${turn}`, arguments: JSON.stringify({ code: PRINT_CODE(turn) }) }] },
        { text: `Turn ${turn}: printed 110 rows.` },
      ]);
      await ask(page, `Question ${turn}: print the rows.`);
      await waitIdle(page, (v) => v.items.some((i) => i.kind === 'assistant' && i.text === `Turn ${turn}: printed 110 rows.`));
    }

    const requests = modelRequests(llm);
    assert.equal(requests.length, TURNS * 2, 'two requests per turn, none retried or refused');
    for (const [n, r] of requests.entries()) {
      assert.deepEqual(r.invalid, [], `request ${n + 1} is one the provider accepts`);
      assert.equal(r.overWindow, undefined, `request ${n + 1} fits the window (estimate ${r.estimate} of ${WINDOW} tokens)`);
      assert.equal(r.body.messages[0].role, 'system', `request ${n + 1} keeps the system prompt`);
    }
    const last = requests.at(-1).body;
    assert.match(JSON.stringify(last.messages), new RegExp(`Question ${TURNS}: print the rows`), 'the current question is sent');
    assert.match(JSON.stringify(last.messages), new RegExp(`turn ${TURNS} row 109`), 'the current run\'s output is sent (its end)');
    assert.doesNotMatch(JSON.stringify(last.messages), /turn 1 row 0:/, 'the first turn\'s output is no longer sent');
    const estimates = requests.map((r) => r.estimate);
    console.log(`server token estimates per request: max ${Math.max(...estimates)}, last ${estimates.at(-1)} (window ${WINDOW})`);

    // The chat says so: a status line (not an error), and the public event.
    const note = page.locator('ci-chat [data-kind="notice"][data-trimmed]').last();
    await note.waitFor();
    assert.equal(await note.getAttribute('role'), 'status');
    assert.match(await note.innerText(), /trimmed/i);
    assert.equal(await page.locator('ci-chat [data-kind="notice"].error').count(), 0, 'no error in the chat');
    const trims = await page.evaluate(() => window.__trims);
    assert.ok(trims.length >= 1, 'the public context_trimmed event fired');
    // The budget leaves room for the answer; the core's estimate may pass it only by what it never drops (system prompt, current turn).
    assert.ok(trims.every((t) => t.budget_tokens > 0 && t.budget_tokens < WINDOW && t.estimated_tokens < WINDOW), `the core's budget and estimate stay under the window: ${JSON.stringify(trims)}`);
    assert.ok(trims.at(-1).outputs_trimmed + trims.at(-1).turns_dropped > 0, 'it trimmed outputs or dropped turns');
    assert.ok(trims.every((t) => t.retried === false), 'trimmed ahead of time: no request needed the retry');
    console.log(`last trim: ${JSON.stringify(trims.at(-1))}; ${trims.length} distinct trims`);
    await page.screenshot({ path: artifactPath('context-budget.png') });
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await llm.close();
    await app.close();
  }
});

test('context budget, window unknown: a request the provider refuses as too long is trimmed harder and sent once more, and the chat says so', async () => {
  requireBuiltApp();
  const app = await startApp({ isolation: true });
  const llm = await startLlmServer({ contextWindow: WINDOW });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    // No window in the settings: the custom preset's is unknown, so nothing is trimmed ahead of time.
    await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', contextWindow: null }, 'sk-budget');
    await page.waitForFunction(() => document.querySelector('code-interpreter').app.coreConfig().provider.context_window === 0);
    const turns = 5;
    for (let turn = 1; turn <= turns; turn += 1) {
      llm.script([
        { tool_calls: [{ id: `call_${turn}`, arguments: JSON.stringify({ code: PRINT_CODE(turn) }) }] },
        { text: `Turn ${turn}: printed 110 rows.` },
      ]);
      await ask(page, `Question ${turn}: print the rows.`);
      await waitIdle(page, (v) => v.items.some((i) => i.kind === 'assistant' && i.text === `Turn ${turn}: printed 110 rows.`));
    }
    const requests = modelRequests(llm);
    const refused = requests.flatMap((r, i) => (r.overWindow ? [i] : []));
    console.log(`${requests.length} requests, refused as too long: ${refused.map((i) => `#${i + 1} (${requests[i].estimate} tokens)`).join(', ')}`);
    assert.ok(refused.length >= 1, 'the provider refused at least one request as over its window');
    for (const i of refused) {
      assert.ok(requests[i + 1] && !requests[i + 1].overWindow, `request ${i + 1} was refused; the next one (the retry, trimmed harder) was accepted`);
      assert.ok(requests[i + 1].estimate < requests[i].estimate, 'the retry is smaller');
    }
    for (const r of requests) assert.deepEqual(r.invalid, []);
    // The turn of the retry says so (later turns, trimmed ahead of time to the budget the core kept, say only that they trimmed).
    await page.locator('ci-chat [data-kind="notice"][data-trimmed]', { hasText: 'refused the request as too long' }).first().waitFor();
    assert.equal(await page.locator('ci-chat [data-kind="notice"].error').count(), 0, 'no error in the chat: every turn got its answer');
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await llm.close();
    await app.close();
  }
});
