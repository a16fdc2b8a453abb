// dist/embed.html in an iframe, driven by postMessage:
// - a parent page on an ALLOWED origin (config.json embedAllowedOrigins)
//   gets {type:'ready'}, configures the model (its key), adds a file, sends a
//   message and follows the turn's events to turn_done (tool call → Python →
//   answer), lists and reads files; every reply comes from the app's origin.
//   The embed does not see the app's own stored settings, key or
//   conversations (seeded first on the app origin).
// - a parent page on a NOT allowed origin sends the same requests: no reply
//   (not even 'ready'), no change in the embed (conversation, files,
//   settings, keys), and no request reaches the model server.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, artifactPath } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { waitReady } from './app-helpers.mjs';
import {
  distWithConfig, startHostServer, parentPage, embedFrame, embedState, embedStats, waitEmbedReady, watchPage, until,
  sumTurnSteps, SALES_CSV,
} from './embed-helpers.mjs';

const PARENT_KEY = 'sk-parent-key';
const STORED_KEY = 'sk-app-stored-key';

test('embed.html: an allowed parent runs a full turn by postMessage; a foreign parent gets no reply and changes nothing', async () => {
  const allowedHost = await startHostServer();
  const foreignHost = await startHostServer();
  const dist = distWithConfig({ embedAllowedOrigins: [allowedHost.url] });
  const app = await startApp({ dist: dist.dir });
  const llm = await startLlmServer();
  allowedHost.pages['/parent.html'] = parentPage(app.url);
  foreignHost.pages['/parent.html'] = parentPage(app.url);
  const browser = await launchBrowser();
  try {
    // The app's own data on its origin: settings with a key, and a stored conversation.
    const appPage = await browser.newPage();
    await appPage.goto(`${app.url}/`);
    await waitReady(appPage);
    await appPage.evaluate((k) => document.querySelector('code-interpreter').app.saveSettings({ preset: 'custom', baseUrl: 'http://stored.invalid/v1', model: 'stored-model' }, k), STORED_KEY);
    await appPage.evaluate(() => document.querySelector('code-interpreter').app.runCode('print("stored conversation")'));
    await until(() => appPage.evaluate(() => document.querySelector('code-interpreter').app.vm.conversations.length === 1), { what: 'the app to store a conversation' });
    await appPage.close();

    // ---------------------------------------------------------- allowed parent
    llm.script(sumTurnSteps());
    const page = await browser.newPage();
    const problems = await watchPage(page);
    await page.goto(`${allowedHost.url}/parent.html`);
    await until(() => page.evaluate(() => window.got.some((m) => m.data?.type === 'ready')), { what: "the embed's ready message", timeout: 120000 });
    const frame = embedFrame(page);
    await waitEmbedReady(frame);
    const fresh = await embedState(frame);
    assert.equal(fresh.hasKey, false, 'the embed does not see the app\'s stored key');
    assert.ok(!fresh.settings.includes('stored.invalid'), 'nor its stored settings');
    assert.equal(fresh.conversations, '[]', 'nor its stored conversations');
    assert.ok(!fresh.keys.includes(STORED_KEY));

    const call = (message, transfer) => page.evaluate(async ([m, useTransfer]) => {
      const before = window.got.length;
      const transferList = useTransfer && m.bytes instanceof ArrayBuffer ? [m.bytes] : [];
      window.request(m, transferList);
      for (let i = 0; i < 600; i += 1) {
        const reply = window.got.slice(before).find((g) => g.data?.type === 'result' && g.data.id === m.id);
        if (reply) return { ...reply, data: { ...reply.data, bytes: reply.data.bytes instanceof Uint8Array ? [...reply.data.bytes] : reply.data.bytes } };
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    }, [message, transfer]);

    const configured = await call({ type: 'configure', id: 'c1', provider: 'custom', baseUrl: `${llm.url}/v1`, model: 'gpt-4o-mini', apiKey: PARENT_KEY, systemPrompt: 'From the parent.' });
    assert.equal(configured?.data.ok, true, JSON.stringify(configured));
    assert.equal(configured.origin, new URL(app.url).origin, 'replies come from the app origin');
    assert.equal(configured.data.settings.model, 'gpt-4o-mini');
    assert.equal(configured.data.settings.apiKey, undefined, 'the key is not echoed');

    const added = await page.evaluate(async (csv) => {
      const before = window.got.length;
      const bytes = new TextEncoder().encode(csv).buffer;
      window.request({ type: 'add_file', id: 'f1', name: 'sales.csv', bytes }, [bytes]);
      for (let i = 0; i < 600; i += 1) {
        const reply = window.got.slice(before).find((g) => g.data?.id === 'f1');
        if (reply) return reply.data;
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    }, SALES_CSV);
    assert.equal(added?.ok, true, JSON.stringify(added));
    assert.equal(added.file.path, 'sales.csv');

    const sent = await call({ type: 'send', id: 's1', text: 'What is the total?' });
    assert.equal(sent?.data.ok, true, JSON.stringify(sent?.data));
    await until(() => page.evaluate(() => window.got.some((g) => g.data?.type === 'event' && g.data.id === 's1' && g.data.event.type === 'turn_done')),
      { what: 'turn_done of the parent\'s send', timeout: 90000 });
    await page.screenshot({ path: artifactPath('embed-iframe-allowed.png') });
    const events = (await page.evaluate(() => window.got)).filter((g) => g.data?.type === 'event' && g.data.id === 's1').map((g) => g.data.event);
    const types = events.map((e) => e.type);
    assert.equal(events.at(-1).reason, 'completed', types.join(' '));
    for (const t of ['message', 'text_delta', 'cell_started', 'stdout', 'cell_finished', 'file_changed']) assert.ok(types.includes(t), `${t} in ${types.join(' ')}`);
    assert.ok(events.some((e) => e.type === 'stdout' && /total: 42/.test(e.text)));

    const listed = await call({ type: 'list_files', id: 'l1' });
    assert.deepEqual(listed.data.files.map((f) => f.path).sort(), ['sales.csv', 'total.txt']);
    const read = await call({ type: 'read_file', id: 'r1', path: 'total.txt' });
    assert.equal(Buffer.from(read.data.bytes).toString(), 'total=42');
    const bad = await call({ type: 'read_file', id: 'r2', path: 42 });
    assert.equal(bad.data.ok, false, 'a malformed request from the allowed parent gets an error result');

    const posts = llm.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 2);
    assert.equal(posts[0].headers.authorization, `Bearer ${PARENT_KEY}`, 'the parent\'s key, not the stored one');
    const all = await page.evaluate(() => window.got);
    assert.ok(all.every((g) => g.origin === new URL(app.url).origin), 'every message came from the app origin');
    assert.deepEqual(problems.errors, []);
    await page.close();

    // ---------------------------------------------------------- foreign parent
    const requestsBefore = llm.requests.length;
    llm.script(sumTurnSteps());
    const foreign = await browser.newPage();
    const foreignProblems = await watchPage(foreign);
    await foreign.goto(`${foreignHost.url}/parent.html`);
    const fFrame = embedFrame(foreign);
    await waitEmbedReady(fFrame);
    const before = await embedState(fFrame);
    const statsBefore = await embedStats(fFrame);
    const requests = [
      { type: 'ping', id: 1 },
      { type: 'configure', id: 2, provider: 'custom', baseUrl: `${llm.url}/v1`, model: 'gpt-4o-mini', apiKey: 'sk-foreign' },
      { type: 'add_file', id: 3, name: 'evil.txt', bytes: 'evil' },
      { type: 'run_code', id: 4, code: 'open("evil2.txt", "w").write("x")' },
      { type: 'send', id: 5, text: 'hello from a foreign page' },
      { type: 'list_files', id: 6 },
      { type: 'read_file', id: 7, path: 'evil.txt' },
      { type: 'new_conversation', id: 8 },
      { type: 'cancel', id: 9 },
    ];
    await foreign.evaluate((list) => { for (const m of list) window.request(m); }, requests);
    // Every message arrived (and was dropped) before we look.
    await until(async () => (await embedStats(fFrame)).received - statsBefore.received >= requests.length, { what: 'the embed to receive the foreign messages' });
    await new Promise((r) => setTimeout(r, 3000)); // time for any effect to show
    const after = await embedState(fFrame);
    const statsAfter = await embedStats(fFrame);
    assert.deepEqual(after, before, 'the foreign messages changed nothing in the embed');
    assert.equal(statsAfter.accepted - statsBefore.accepted, 0, 'none accepted');
    assert.equal(statsAfter.replies, 0, 'the embed posted nothing (not even ready)');
    assert.deepEqual(await foreign.evaluate(() => window.got), [], 'the foreign parent received no message');
    assert.equal(llm.requests.length, requestsBefore, 'no request reached the model server');
    assert.equal(after.items, 0, 'no conversation entries');
    assert.deepEqual(after.files, [], 'no files');
    assert.deepEqual(foreignProblems.errors, []);
    console.log(`[embed] foreign parent: ${requests.length} requests → ${statsAfter.accepted - statsBefore.accepted} accepted, ${statsAfter.replies} replies, ${llm.requests.length - requestsBefore} model requests`);
  } finally {
    await browser.close();
    await allowedHost.close();
    await foreignHost.close();
    await llm.close();
    await app.close();
    dist.remove();
  }
});
