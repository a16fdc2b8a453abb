// Security (issue 6, item 4): sandbox escapes and a canary API key, in the
// REAL app (dist/, cross-origin isolated) in real Chromium.
//
// 1. The escape battery (escape-battery.py) runs as a cell through the app
//    controller's runCode: 30+ network probes × 3 targets (the app's own
//    origin, another 127.0.0.1 port, a canary server) plus storage, window
//    and channel probes. The three servers count what reached them; the test
//    asserts 0, and that the page's secrets (the app's IndexedDB `keys`,
//    a localStorage value, a BroadcastChannel broadcast) were never read.
// 2. A canary API key (sk-canary-<random>) for the scripted LLM server, a
//    full conversation with a tool call that dumps everything Python can
//    see, exports, persisted data: the key appears only in the Authorization
//    header of requests to its own endpoint. Switching the base URL to
//    another origin must not take the key there.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { startApp, startCanary, launchBrowser, artifactPath } from '../e2e/harness.mjs';
import { requireBuiltApp, openApp, configure, ask, waitIdle, waitReady, assertNoViolations } from '../e2e/app-helpers.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { runPython, searchIndexedDb } from './python-run.mjs';

const BATTERY = fs.readFileSync(new URL('./escape-battery.py', import.meta.url), 'utf8');

describe('sandbox escapes from the real app (isolated)', () => {
  let app;
  let other;
  let canary;
  let browser;
  let page;
  let violations;
  const appLog = [];
  const appUpgrades = [];
  const SECRET = `page-secret-${crypto.randomUUID()}`;
  const KEY = `sk-canary-${crypto.randomBytes(12).toString('hex')}`;

  before(async () => {
    requireBuiltApp();
    app = await startApp({ isolation: true });
    app.server.on('request', (req) => appLog.push(req.url));
    app.server.on('upgrade', (req) => appUpgrades.push(req.url));
    other = await startCanary();
    canary = await startCanary();
    browser = await launchBrowser();
    ({ page, violations } = await openApp(browser, app.url));
    // The page's secrets: an API key in the app's own store (IndexedDB
    // `keys`), a localStorage value, and a broadcast on a channel.
    await configure(page, { preset: 'custom', baseUrl: 'http://127.0.0.1:9/v1', format: 'openai', model: 'gpt-4o-mini' }, KEY);
    await page.evaluate((secret) => {
      localStorage.setItem('ci-secret', secret);
      window.heard = [];
      window.messages = [];
      const bc = new BroadcastChannel('ci-secret-channel');
      bc.onmessage = (e) => window.heard.push(String(e.data));
      window.secretBroadcast = setInterval(() => bc.postMessage(secret), 100);
      window.addEventListener('message', (e) => { if (String(e.data).includes('escape')) window.messages.push(String(e.data)); });
    }, SECRET);
  });

  after(async () => {
    await browser?.close();
    await Promise.all([app?.close(), other?.close(), canary?.close()]);
  });

  test('no probe reaches any of 3 targets; the page secrets stay unread', async () => {
    const targets = { app: app.url, port: other.url, canary: canary.url };
    const code = BATTERY.replace('json.loads(TARGETS_JSON)', `json.loads(${JSON.stringify(JSON.stringify(targets))})`);
    const exec = await runPython(page, code, { timeout: 240000 });
    // Late attempts (nested workers, beacons, keepalive) get time to arrive.
    await page.waitForTimeout(2500);
    const page_ = await page.evaluate(() => { clearInterval(window.secretBroadcast); return { heard: window.heard, messages: window.messages }; });
    assert.equal(exec.status, 'ok', `${exec.error?.message}\n${exec.stderr}`);
    const results = JSON.parse(exec.stdout.trim().split('\n').pop());

    const perTarget = Object.keys(results).filter((k) => k.startsWith('app: ')).map((k) => k.slice(5));
    const lines = Object.entries(results).map(([k, v]) => `#   ${k.padEnd(52)} ${v.slice(0, 140).replace(/\n/g, ' ')}`);
    const allowed = Object.entries(results).filter(([, v]) => v.startsWith('ALLOWED'));
    const escapesAtApp = appLog.filter((u) => u.includes('escape'));
    console.log(`# escape battery in the app: ${perTarget.length} probes x 3 targets + ${Object.keys(results).length - 3 * perTarget.length} other probes`);
    console.log(lines.join('\n'));
    console.log(`# connections: app origin ${escapesAtApp.length} requests + ${appUpgrades.length} upgrades; other port ${other.counts.connections}; canary ${canary.counts.connections}`);
    console.log(`# probes that did not throw (checked by the servers' counts): ${allowed.map(([k]) => k).join('; ') || 'none'}`);
    fs.writeFileSync(artifactPath('security-escape-results.json'), JSON.stringify({ results, appLog: escapesAtApp, other: other.counts, canary: canary.counts }, null, 1));

    assert.ok(perTarget.length >= 20, `at least 20 probes per target (got ${perTarget.length})`);
    for (const label of ['port', 'canary']) assert.equal(Object.keys(results).filter((k) => k.startsWith(`${label}: `)).length, perTarget.length);

    // Nothing reached any of the three servers.
    assert.deepEqual(escapesAtApp, [], 'requests from the sandbox reached the app server');
    assert.deepEqual(appUpgrades, [], 'a WebSocket upgrade reached the app server');
    assert.equal(other.counts.connections, 0, `another port got: ${other.counts.log.join(', ')}`);
    assert.equal(canary.counts.connections, 0, `the canary got: ${canary.counts.log.join(', ')}`);
    assert.equal(canary.counts.requests + canary.counts.upgrades + other.counts.requests + other.counts.upgrades, 0);

    // The secrets: never in what Python saw; nothing read from the stores.
    const everything = JSON.stringify(exec);
    assert.ok(!everything.includes(SECRET), 'the localStorage/broadcast secret leaked into the sandbox');
    assert.ok(!everything.includes(KEY), 'the API key leaked into the sandbox');
    assert.ok(!results["indexedDB (the app's keys store)"].includes('value:'), results["indexedDB (the app's keys store)"]);
    for (const k of ['localStorage', 'sessionStorage', 'caches.keys()', 'indexedDB.databases()', 'navigator.storage.getDirectory() (OPFS)',
      'navigator.serviceWorker', 'cookieStore', 'document.cookie', 'parent', 'top', 'opener', 'window.open', 'eval (no unsafe-eval)',
      'Function (no unsafe-eval)', 'BroadcastChannel: heard', "indexedDB (the app's keys store)"]) {
      assert.ok(results[k].startsWith('blocked'), `${k}: ${results[k]}`);
    }
    assert.deepEqual(page_.heard, [], 'the page heard Python on its BroadcastChannel');
    assert.deepEqual(page_.messages, [], 'a message from the sandbox reached the page');
    // Every per-target probe threw, got no response, or (nested workers)
    // reported that all of its own attempts failed.
    for (const [k, v] of Object.entries(results)) {
      if (/^(app|port|canary): /.test(k)) assert.ok(v.startsWith('blocked'), `${k}: ${v}`);
    }
    assert.ok(results['isSecureContext'] !== undefined);
    // Sending on the frame's port or a channel is not an escape by itself:
    // nobody heard it (checked above).
    assertNoViolations(violations); // the page itself: the sandbox's violations happen in the opaque frame
  });
});

// What Python can see, written to /mnt/data/dump.txt (the test searches it
// for the key): globals, os.environ, sys.modules, every file of the small
// text kind under / (not the stdlib zip), and a walk over the worker's JS
// globals two levels deep (getters only for the standard ones).
const DUMP_CODE = String.raw`
import os, sys, js, json, pyodide_js
parts = [repr(globals()), repr(dict(os.environ)), repr(sorted(sys.modules)), repr(sys.argv), repr(sys.path)]
for root, dirs, files in [w for top in ("/home", "/tmp", "/mnt", "/etc") for w in os.walk(top, followlinks=False)]:
    for f in files:
        p = os.path.join(root, f)
        parts.append(p)
        try:
            if os.path.getsize(p) < 2_000_000:
                parts.append(open(p, "rb").read().decode("latin1"))
        except Exception as e:
            parts.append(f"{p}: {e}")
# Pyodide's own API object is not walked: it holds no app data, and reading
# its internals out of context can crash the interpreter (seen in CI).
seen, queue, nodes = set(), [("self", js.globalThis, 0)], 0
import time
t0 = time.time()
STANDARD_GETTERS = {"location", "navigator", "indexedDB", "caches", "crypto", "performance", "origin",
                    "isSecureContext", "crossOriginIsolated", "name", "fonts", "scheduler", "trustedTypes", "self"}
def value_of(o, k, getters):
    for p in (o, js.Object.getPrototypeOf(o)):
        try:
            d = js.Object.getOwnPropertyDescriptor(p, k)
        except Exception:
            d = None
        if d is not None:
            g = js.Reflect.get(d, "get")
            if g and not getters:
                return "<getter>"
            return g.call(o if p is not js.globalThis else None) if g else js.Reflect.get(d, "value")
    return js.Reflect.get(o, k)
while queue and nodes < 3000 and time.time() - t0 < 20:
    path, o, depth = queue.pop(0)
    nodes += 1
    try:
        t = js.Object.prototype.toString.call(o)
        if "Array]" in t and "Array]" != t[-6:] or "Memory" in t:   # typed arrays, wasm memory: sizes only
            parts.append(f"{path} {t}")
            continue
        names = list(js.Object.getOwnPropertyNames(o))
    except Exception as e:
        parts.append(f"{path}: {e}")
        continue
    for k in names[:400]:
        try:
            # Getters run only for the worker's standard globals (where the
            # browser keeps state: location, navigator, storage...). Elsewhere
            # the walk reads data properties: some of Pyodide's own getters
            # crash the interpreter when called out of context, and our code
            # keeps values in data properties.
            v = value_of(o, k, path == "self" and k in STANDARD_GETTERS)
        except Exception as e:
            parts.append(f"{path}.{k}: <{type(e).__name__}>")
            continue
        if hasattr(v, "typeof") and v.typeof in ("object", "function"):
            key = id(v)
            if depth < 2 and key not in seen:
                seen.add(key)
                queue.append((f"{path}.{k}", v, depth + 1))
        else:
            parts.append(f"{path}.{k}={str(v)[:4000]}")
dump = "\n".join(parts)
open("/mnt/data/dump.txt", "w").write(dump)
print("dumped", len(dump), "chars,", nodes, "JS objects")
`;

describe('a canary API key goes only to its own endpoint', () => {
  let app;
  let llm;
  let otherLlm;
  let canary;
  let browser;
  let page;
  let violations;
  const KEY = `sk-canary-${crypto.randomBytes(16).toString('hex')}`;
  const count = (text, needle = KEY) => String(text).split(needle).length - 1;

  before(async () => {
    requireBuiltApp();
    app = await startApp({ isolation: true });
    llm = await startLlmServer();
    otherLlm = await startLlmServer();
    canary = await startCanary();
    browser = await launchBrowser();
    ({ page, violations } = await openApp(browser, app.url));
  });

  after(async () => {
    await browser?.close();
    await Promise.all([app?.close(), llm?.close(), otherLlm?.close(), canary?.close()]);
  });

  test('requests, Python, exports, persisted data; then a new base URL', async () => {
    await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, KEY);
    await page.evaluate(async (csv) => {
      await document.querySelector('code-interpreter').app.upload([new File([csv], 'sales.csv', { type: 'text/csv' })]);
    }, 'region,total\nN,10\nS,32\n');
    llm.script([
      { text: 'Let me look.', tool_calls: [{ id: 'call_1', arguments: JSON.stringify({ code: `print(open('sales.csv').read())\n${DUMP_CODE}` }) }] },
      { text: 'The total is **42**. I also [linked](http://127.0.0.1:9/x) something.' },
    ]);
    await ask(page, 'What is the total?');
    const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant' && i.text.includes('42')), 120000);
    const exec = v.items.find((i) => i.kind === 'cell').exec;
    assert.equal(exec.status, 'ok', `${exec.error?.message} ${exec.stderr}`);
    assert.match(exec.stdout, /dumped \d+ chars/);

    // 1. Requests: every request that reached the model server, headers and body.
    const posts = llm.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 2, 'two model requests');
    const where = { authorization: 0, otherHeaders: 0, bodies: 0 };
    for (const r of llm.requests) {
      for (const [h, val] of Object.entries(r.headers)) where[h === 'authorization' ? 'authorization' : 'otherHeaders'] += count(val);
      where.bodies += count(JSON.stringify(r.body ?? ''));
    }
    for (const r of posts) assert.equal(r.headers.authorization, `Bearer ${KEY}`, 'the key in the Authorization header of its own endpoint');
    assert.deepEqual(where, { authorization: posts.length + llm.requests.filter((r) => r.method === 'GET' && r.headers.authorization).length, otherHeaders: 0, bodies: 0 });
    assert.equal(otherLlm.requests.length, 0, 'the other endpoint got nothing');
    assert.equal(canary.counts.connections, 0, 'the canary got nothing');

    // 2. Python's view.
    const dump = Buffer.from(await page.evaluate(() => Array.from(document.querySelector('code-interpreter').app.readFile('dump.txt')))).toString('latin1');
    assert.ok(dump.length > 10000, `the dump is substantial (${dump.length} chars)`);
    assert.ok(dump.includes('sales.csv') && dump.includes('region,total'), 'the dump saw the files');
    const inPython = count(dump) + count(JSON.stringify(exec));

    // 3. Exports: .ipynb, Markdown, and the files zip, as downloaded.
    const exported = {};
    for (const [name, fn] of [['ipynb', 'exportNotebook'], ['md', 'exportMarkdown'], ['zip', 'downloadAll']]) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.evaluate((f) => document.querySelector('code-interpreter').app[f](), fn),
      ]);
      let bytes = fs.readFileSync(await download.path());
      if (name === 'zip') {
        const { unzipSync } = await import('fflate');
        bytes = Buffer.concat(Object.values(unzipSync(new Uint8Array(bytes))).map((b) => Buffer.from(b)));
      }
      exported[name] = { bytes: bytes.length, hits: count(bytes.toString('latin1')) };
    }

    // 4. Persisted: every IndexedDB store but `keys`, Cache Storage, local/sessionStorage.
    await page.evaluate(() => document.querySelector('code-interpreter').app.flushSaves());
    const stores = await searchIndexedDb(page, [KEY], { skip: ['code-interpreter/keys'] });
    const keysStore = await searchIndexedDb(page, [KEY]);
    const other = await page.evaluate(async (key) => {
      let cacheHits = 0;
      let cached = 0;
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const req of await cache.keys()) {
          cached += 1;
          const body = await (await cache.match(req)).text();
          cacheHits += body.split(key).length - 1 + req.url.split(key).length - 1;
        }
      }
      const local = JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage });
      return { cacheHits, cached, storageHits: local.split(key).length - 1 };
    }, KEY);
    const storeHits = Object.fromEntries(Object.entries(stores).map(([k, s]) => [k, s.hits[KEY]]));
    console.log(`# canary key: ${where.authorization} in Authorization headers of its endpoint, ${where.otherHeaders} in other headers, ${where.bodies} in bodies; ` +
      `Python's view ${inPython} (dump ${dump.length} chars); exports ${JSON.stringify(exported)}; IndexedDB ${JSON.stringify(storeHits)}; ` +
      `keys store ${keysStore['code-interpreter/keys']?.hits[KEY]}; Cache Storage ${other.cacheHits} in ${other.cached} entries; local/sessionStorage ${other.storageHits}`);
    assert.equal(inPython, 0, 'the key is not in what Python can see');
    for (const [name, e] of Object.entries(exported)) assert.equal(e.hits, 0, `the key is in the ${name} export`);
    assert.ok(Object.keys(stores).includes('code-interpreter/states') && Object.keys(stores).includes('code-interpreter/blobs'), Object.keys(stores).join());
    for (const [store, hits] of Object.entries(storeHits)) assert.equal(hits, 0, `the key is persisted in ${store}`);
    assert.equal(keysStore['code-interpreter/keys'].hits[KEY], 1, 'the search does find the key where it is meant to be');
    assert.equal(other.cacheHits + other.storageHits, 0);

    // 5. The base URL moves to another origin; the key is not re-entered.
    const before = llm.requests.length;
    await configure(page, { baseUrl: `${otherLlm.url}/v1` }).catch(() => {}); // may reload the page (connect policy)
    await page.waitForLoadState('load');
    await waitReady(page);
    assert.equal((await page.evaluate(() => document.querySelector('code-interpreter').app.vm.settings.baseUrl)), `${otherLlm.url}/v1`);
    otherLlm.script([{ text: 'Hello from the other endpoint.' }]);
    await page.evaluate(() => document.querySelector('code-interpreter').app.ask('Hello?'));
    await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant' && /other endpoint|error|401/i.test(i.text)) || s.items.some((i) => i.kind === 'notice'), 60000);
    const sentThere = otherLlm.requests.filter((r) => JSON.stringify(r.headers).includes(KEY)).length;
    console.log(`# after moving the base URL: ${otherLlm.requests.length} requests to the new origin, ${sentThere} carried the old key; ${llm.requests.length - before} more to the old endpoint`);
    assert.ok(otherLlm.requests.length > 0, 'the app did talk to the new endpoint');
    assert.equal(sentThere, 0, 'the old key went to the new origin');
    assertNoViolations(violations);
  });
});
