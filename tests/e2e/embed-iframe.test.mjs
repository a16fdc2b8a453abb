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
// - a parent page on an allowed origin drives the embed through the shipped
//   client, dist/embed-client.js (connectEmbed), imported from the app's
//   origin: configure, add a file, a full turn as an async iterable, a Python
//   run, a second turn refused as busy, files listed and read, errors as
//   {code, message, detail}, a new conversation, close().
import test from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, artifactPath } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { waitReady } from './app-helpers.mjs';
import {
  distWithConfig, startHostServer, parentPage, clientParentPage, embedFrame, embedState, embedStats, waitEmbedReady, watchPage, until,
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
    assert.equal(bad.data.error.code, 'invalid_field', JSON.stringify(bad.data.error));
    assert.equal(bad.data.error.detail.field, 'path');
    assert.equal(typeof bad.data.error.message, 'string', 'error.message stays for existing embedders');

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

test('embed-client.js: an allowed parent drives embed.html through connectEmbed (requests as promises, turns as async iterables)', async () => {
  const host = await startHostServer();
  const dist = distWithConfig({ embedAllowedOrigins: [host.url] });
  const app = await startApp({ dist: dist.dir, cors: true }); // embed-client.js is imported from the app's origin
  const llm = await startLlmServer();
  host.pages['/parent.html'] = clientParentPage(app.url);
  const browser = await launchBrowser();
  try {
    llm.script(sumTurnSteps());
    const page = await browser.newPage();
    const problems = await watchPage(page);
    await page.goto(`${host.url}/parent.html`);
    await until(() => page.evaluate(() => window.clientLoaded === true), { what: 'embed-client.js to load' });
    const r = await page.evaluate(async ({ llmUrl, csv }) => {
      const { ci } = window;
      const out = {};
      const error = (e) => ({ name: e?.name, code: e?.code, message: e?.message, detail: e?.detail });
      await ci.ready;
      out.ping = await ci.ping();
      out.configured = await ci.configure({ provider: 'custom', baseUrl: `${llmUrl}/v1`, model: 'gpt-4o-mini', apiKey: 'sk-client-key' });
      out.file = await ci.addFile('sales.csv', csv);
      out.turn = [];
      for await (const e of ci.send('What is the total?')) out.turn.push(e);
      out.files = (await ci.listFiles()).map((f) => f.path).sort();
      out.total = new TextDecoder().decode(await ci.readFile('total.txt'));
      out.missing = await ci.readFile('nope.txt');
      out.local = await ci.readFile(42).catch(error); // refused by the client before posting
      out.remote = await ci.configure({ provider: 'no-such-provider' }).catch(error); // refused by the embed
      // One turn at a time: a second one while Python runs ends with one error event (busy).
      const slow = ci.runCode('import time\ntime.sleep(2)\nprint(6 * 7)');
      const it = slow[Symbol.asyncIterator]();
      out.first = (await it.next()).value; // the run has started
      out.busy = [];
      for await (const e of ci.send('Anything?')) out.busy.push(e);
      out.run = [out.first];
      for (let n = await it.next(); !n.done; n = await it.next()) out.run.push(n.value);
      await ci.newConversation();
      out.afterNew = await ci.listFiles();
      ci.close();
      out.closed = await ci.ping().catch(error);
      return out;
    }, { llmUrl: llm.url, csv: SALES_CSV });

    assert.equal(r.ping.ready, true);
    assert.equal(r.ping.phase, 'ready');
    assert.equal(r.configured.settings.model, 'gpt-4o-mini');
    assert.equal(r.configured.settings.apiKey, undefined, 'the key is not echoed');
    assert.equal(r.file.path, 'sales.csv');
    const types = r.turn.map((e) => e.type);
    assert.equal(r.turn.at(-1).type, 'turn_done', types.join(' '));
    assert.equal(r.turn.at(-1).reason, 'completed', types.join(' '));
    for (const t of ['message', 'text_delta', 'cell_started', 'stdout', 'cell_finished', 'file_changed']) assert.ok(types.includes(t), `${t} in ${types.join(' ')}`);
    assert.ok(r.turn.some((e) => e.type === 'stdout' && /total: 42/.test(e.text)));
    assert.deepEqual(r.files, ['sales.csv', 'total.txt']);
    assert.equal(r.total, 'total=42');
    assert.equal(r.missing, null);
    assert.deepEqual(r.local, { name: 'EmbedError', code: 'invalid_field', message: 'path must be a string', detail: { field: 'path' } });
    assert.equal(r.remote.code, 'invalid_field', JSON.stringify(r.remote));
    assert.equal(r.remote.detail.field, 'provider');
    assert.match(r.remote.message, /unknown provider/);
    assert.equal(r.busy.length, 1, JSON.stringify(r.busy));
    assert.equal(r.busy[0].type, 'error');
    assert.equal(r.busy[0].error.kind, 'busy');
    assert.equal(r.run.at(-1).type, 'turn_done', r.run.map((e) => e.type).join(' '));
    assert.ok(r.run.some((e) => e.type === 'stdout' && e.text.includes('42')), r.run.map((e) => e.type).join(' '));
    assert.deepEqual(r.afterNew, [], 'a new conversation has no files');
    assert.equal(r.closed.code, 'closed');

    const posts = llm.requests.filter((q) => q.method === 'POST');
    assert.equal(posts.length, 2, 'the busy send reached no model');
    assert.equal(posts[0].headers.authorization, 'Bearer sk-client-key');
    const all = await page.evaluate(() => window.got);
    assert.ok(all.length > 0 && all.every((g) => g.origin === new URL(app.url).origin), 'every message came from the app origin');
    assert.ok(all.filter((g) => g.data?.type === 'result' && !g.data.ok).every((g) => typeof g.data.error?.code === 'string' && typeof g.data.error.message === 'string' && 'detail' in g.data.error),
      'every failed result has {code, message, detail}');
    assert.deepEqual(problems.errors, []);
  } finally {
    await browser.close();
    await host.close();
    await llm.close();
    await app.close();
    dist.remove();
  }
});
