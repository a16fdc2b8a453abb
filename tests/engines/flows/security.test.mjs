// Security flows of the built app in every engine, on the driver interface:
// - the escape battery (tests/security/escape-battery.py) run from Python in
//   the app against the app's origin, another 127.0.0.1 port and a canary
//   server: no connection reaches any of them, no page secret is read; a
//   canary API key saved in the app's settings is nowhere in what Python
//   can see (its globals, environ, files, the worker's JS globals: the dump
//   of tests/security/escape.test.mjs); the sandbox's CacheStorage, where
//   the worker has one (WebKit's data: worker), is empty and not the app's;
// - an XSS subset: 100 payloads picked deterministically across the corpus
//   files (tests/security/corpus/xss/) through model text (a streamed turn
//   of the scripted model), display() HTML from Python (also "Show as
//   HTML"), and (the file-name payloads) file names: 0 executions, 0
//   dialogs, no on* attribute or javascript: URL in the rendered DOM.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { startApp, startCanary } from '../../e2e/harness.mjs';
import { copyDist } from '../../e2e/pwa-helpers.mjs';
import { loadCorpus, walkDom, displayCode } from '../../security/security-helpers.mjs';
import { startLlmServer } from '../../support/llm-server.mjs';
import {
  defineFlows, closePage, openApp, configure, newConversation, runCode, waitIdle, canaries, readAppFile, vm,
} from './common.mjs';

// The battery, each probe's name printed as it starts (its results stay the
// last line of stdout): a run that ends in the app's time limit says which
// probe it was in.
const BATTERY_FILE = fs.readFileSync(new URL('../../security/escape-battery.py', import.meta.url), 'utf8');
const ATTEMPT = 'async def attempt(name, fn):\n    try:';
if (!BATTERY_FILE.includes(ATTEMPT)) throw new Error('tests/security/escape-battery.py changed: no attempt() to follow');
// SKIPPED_JSON: probes not to run again (see WORKER_HANG below).
const BATTERY = BATTERY_FILE.replace(ATTEMPT, [
  'SKIPPED = set(json.loads(SKIPPED_JSON))',
  'async def attempt(name, fn):',
  '    print("probe:", name, flush=True)',
  '    if name in SKIPPED:',
  '        results[name] = "blocked: the Worker constructor blocked the Python thread in an earlier run (not run again)"',
  '        return',
  '    try:',
].join('\n'));
// Firefox: a nested Worker's constructor can block the Python thread for good
// (two clean CI runs, in different Worker probes; not reproducible at will).
// A blocked constructor makes no request either, but the rest of the battery
// would not run: the run ends at the app's time limit. So the battery runs
// again in a fresh Python without the probe it hung in, at most twice; the
// probe counts as blocked and the log says so.
// A hang costs the run's time limit, 60 s there (the battery takes ~20 s in
// Firefox); it hung twice in one local run on a loaded machine.
const WORKER_HANG = { engine: 'firefox', probe: /Worker/, reruns: 4, timeLimitS: 60 };
// The key dump of tests/security/escape.test.mjs, read from its source (one copy of it).
const DUMP_CODE = /const DUMP_CODE = String\.raw`([\s\S]*?)`;/.exec(fs.readFileSync(new URL('../../security/escape.test.mjs', import.meta.url), 'utf8'))?.[1];
if (!DUMP_CODE) throw new Error('DUMP_CODE not found in tests/security/escape.test.mjs');

// What Python's own `js` finds in the worker's CacheStorage, if it has one.
const CACHES_CODE = (appUrl) => String.raw`
import js, json
from pyodide.ffi import to_js
PROTOS = [js.DedicatedWorkerGlobalScope.prototype, js.WorkerGlobalScope.prototype]
def G(name):
    for p in [js.globalThis] + PROTOS:
        d = js.Object.getOwnPropertyDescriptor(p, name)
        if d is not None:
            g = js.Reflect.get(d, "get")
            return g.call(None) if g else js.Reflect.get(d, "value")
    raise AttributeError(name + " is not exposed in the sandbox worker")
out = {}
try:
    c = G("caches")
    out["names"] = [str(n) for n in (await c.keys())]
    hit = await c.match("${appUrl}/index.html")
    out["match_index"] = None if hit is None else "HIT " + str(hit.url)
    out["has_precache"] = bool(await c.has("workbox-precache-v2-${appUrl}/"))
except BaseException as e:
    out["unavailable"] = type(e).__name__ + ": " + str(e)[:200]
print(json.dumps(out))
`;

// A Worker on each target's URL: does the constructor throw, or does the
// worker fire an error event (its script refused), or does it run?
const WORKER_CODE = (targets) => String.raw`
import js, json, asyncio
from pyodide.ffi import create_proxy
out = {}
for label, base in json.loads(${JSON.stringify(JSON.stringify(targets))}).items():
    try:
        w = js.Worker.new(base + "/escape-" + label + "-worker-check.js")
    except BaseException as e:
        out[label] = "threw " + type(e).__name__
        continue
    fut = asyncio.get_event_loop().create_future()
    w.onerror = create_proxy(lambda e, fut=fut: fut.done() or fut.set_result("error event"))
    w.onmessage = create_proxy(lambda e, fut=fut: fut.done() or fut.set_result("RAN: " + str(e.data)))
    try:
        out[label] = await asyncio.wait_for(fut, 5)
    except asyncio.TimeoutError:
        out[label] = "no event in 5 s"
    w.terminate()
print(json.dumps(out))
`;

// Per-target probes that may return without throwing in some engine, and
// why that is no way out (each checked in the flow, besides the servers'
// connection counts).
const REFUSED_LATER = {
  // Firefox: new Worker(url) returns; the load is refused afterwards (error event).
  'nested Worker (URL of the target)': /^ALLOWED: \[object Worker\]$/,
  // WebKit's data: worker has a CacheStorage of its own: empty, so match() answers undefined.
  'caches.match(URL)': /^ALLOWED: None$/,
};

// ------------------------------------------------------------ XSS subset

const PAYLOADS = 100;

/**
 * PAYLOADS payloads across the corpus files, always the same: each file
 * (sorted by name) gets an equal share (the first ones one more), taken
 * evenly spread over the file. Returns [{ source, index, text }].
 */
function pickPayloads() {
  const corpus = loadCorpus('xss');
  const sources = Object.keys(corpus).sort();
  const base = Math.floor(PAYLOADS / sources.length);
  let extra = PAYLOADS - base * sources.length;
  const picked = [];
  for (const source of sources) {
    const list = corpus[source];
    const quota = Math.min(list.length, base + (extra > 0 ? 1 : 0));
    if (extra > 0) extra -= 1;
    for (let i = 0; i < quota; i += 1) {
      const index = Math.floor((i * list.length) / quota);
      picked.push({ source, index, text: list[index] });
    }
  }
  if (picked.length !== PAYLOADS) throw new Error(`picked ${picked.length} payloads, not ${PAYLOADS}`);
  return picked;
}

/** Lets the rendered DOM settle: every image (document and shadow roots) loaded or failed, then two frames. */
async function settleDom(page) {
  await page.waitFor(() => {
    const images = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.localName === 'img') images.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return images.every((img) => img.complete);
  }, null, { timeout: 20000 });
  await page.evaluateAsync(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)))));
}

/** Checks the page after a channel: no execution, no dialog, no offending markup. Returns the figures. */
async function checkChannel(page, name, before) {
  await settleDom(page);
  const dom = await walkDom(page);
  const c = await canaries(page);
  const figures = { elements: dom.elements, frames: dom.frames, executions: c.pwned - before.pwned, dialogs: c.dialogs.length - before.dialogs.length, violations: c.violations.length - before.violations.length };
  assert.equal(figures.executions, 0, `${name}: window.__pwned was called`);
  assert.deepEqual(c.dialogs.slice(before.dialogs.length), [], `${name}: no dialog`);
  assert.deepEqual(dom.offenders, [], `${name}: no on* attribute, javascript: URL or foreign <script> in the DOM`);
  assert.ok(dom.elements > 0, `${name}: the walk saw the DOM`);
  return figures;
}

// ------------------------------------------------------------ servers

let dist;
let app;
let other;
let canary;
let llm;
const appLog = [];
async function servers() {
  if (app) return;
  dist = await copyDist();
  app = await startApp({ isolation: true, dist: dist.dir, checkout: false });
  app.server.on('request', (req) => appLog.push(req.url));
  app.server.on('upgrade', (req) => appLog.push(`UPGRADE ${req.url}`));
  other = await startCanary();
  canary = await startCanary();
  llm = await startLlmServer();
}
after(async () => {
  await Promise.all([app?.close(), other?.close(), canary?.close(), llm?.close()]);
  dist?.remove();
});

// The probes that must be refused everywhere (as tests/security/escape.test.mjs).
const MUST_BLOCK = ['localStorage', 'sessionStorage', 'indexedDB.databases()', 'navigator.serviceWorker', 'cookieStore', 'document.cookie', 'parent', 'top',
  'opener', 'window.open', 'eval (no unsafe-eval)', 'Function (no unsafe-eval)', 'BroadcastChannel: heard', "indexedDB (the app's keys store)"];

defineFlows(import.meta.url, [
  {
    name: 'escape battery',
    timeout: 900000, // room for WORKER_HANG's reruns (the battery's and the Worker check's)
    async run({ engine, log, notes, browser }) {
      const KEY = `sk-canary-${crypto.randomBytes(12).toString('hex')}`;
      const SECRET = `page-secret-${crypto.randomUUID()}`;
      const page = await openApp(browser, `${app.url}/`);
      try {
        await newConversation(page);
        await configure(page, { preset: 'custom', baseUrl: 'http://127.0.0.1:9/v1', format: 'openai', model: 'gpt-4o-mini', ...(engine === WORKER_HANG.engine ? { timeLimitS: WORKER_HANG.timeLimitS } : {}) }, KEY);
        await page.evaluate((secret) => {
          localStorage.setItem('ci-secret', secret);
          window.heard = [];
          window.messages = [];
          const bc = new BroadcastChannel('ci-secret-channel');
          bc.onmessage = (e) => window.heard.push(String(e.data));
          window.secretBroadcast = setInterval(() => bc.postMessage(secret), 100);
          window.addEventListener('message', (e) => { if (String(e.data).includes('escape')) window.messages.push(String(e.data)); });
        }, SECRET);
        const appBefore = appLog.length;
        const counts = () => ({ other: other.counts.connections + other.counts.upgrades, canary: canary.counts.connections + canary.counts.upgrades });
        const countsBefore = counts();

        // 1. The battery.
        const targets = { app: app.url, port: other.url, canary: canary.url };
        const skipped = [];
        let exec;
        for (;;) {
          const started = Date.now();
          const code = BATTERY.replace('json.loads(TARGETS_JSON)', `json.loads(${JSON.stringify(JSON.stringify(targets))})`)
            .replace('json.loads(SKIPPED_JSON)', `json.loads(${JSON.stringify(JSON.stringify(skipped))})`);
          exec = await runCode(page, code, 300000);
          notes.batteryMs = Date.now() - started;
          if (exec.status === 'ok') break;
          const lastProbe = exec.stdout.split('\n').filter((l) => l.startsWith('probe: ')).at(-1)?.slice(7);
          const hung = engine === WORKER_HANG.engine && exec.status === 'timeout' && WORKER_HANG.probe.test(lastProbe ?? '') && skipped.length < WORKER_HANG.reruns;
          assert.ok(hung, `the battery did not finish (${exec.status}) after ${notes.batteryMs} ms, in the probe "${lastProbe}": ${exec.error?.message}\n${exec.stderr}`);
          skipped.push(lastProbe);
          log(`the battery hung in "${lastProbe}" (the Worker constructor blocked the Python thread); again in a fresh Python without it`);
          notes.workerConstructorHung = [...skipped];
          await newConversation(page);
        }
        const results = JSON.parse(exec.stdout.trim().split('\n').pop());
        const pageSide = await page.evaluate(() => { clearInterval(window.secretBroadcast); return { heard: window.heard, messages: window.messages }; });
        const allowed = Object.entries(results).filter(([, v]) => v.startsWith('ALLOWED')).map(([k, v]) => `${k}: ${v.slice(0, 100)}`);
        log(`battery: ${Object.keys(results).length} probes in ${notes.batteryMs} ms; did not throw: ${allowed.join(' | ') || 'none'}`);
        notes.notThrown = allowed.map((a) => a.split(':')[0] + ':' + a.split(':')[1]);

        // (What reached the three servers is counted at the end of the flow:
        // late attempts such as nested workers and beacons get the time the
        // next two runs take to arrive.)
        const noConnections = (when) => {
          const escapes = appLog.slice(appBefore).filter((u) => u.includes('escape'));
          const now = counts();
          assert.deepEqual(escapes, [], `${when}: requests from the sandbox reached the app server`);
          assert.equal(now.other - countsBefore.other, 0, `${when}: another port got: ${other.counts.log.join(', ')}`);
          assert.equal(now.canary - countsBefore.canary, 0, `${when}: the canary got: ${canary.counts.log.join(', ')}`);
        };
        noConnections('right after the battery');
        const refusedLater = new Set();
        for (const [k, v] of Object.entries(results)) {
          const probe = /^(?:app|port|canary): (.*)$/.exec(k)?.[1];
          if (!probe || v.startsWith('blocked')) continue;
          assert.ok(REFUSED_LATER[probe]?.test(v), `${k}: ${v}`);
          refusedLater.add(probe);
        }
        if (refusedLater.size) notes.returnedWithoutThrowing = [...refusedLater];
        for (const k of MUST_BLOCK) assert.ok(results[k]?.startsWith('blocked'), `${k}: ${results[k]}`);
        assert.ok(!results["indexedDB (the app's keys store)"].includes('value:'));
        assert.ok(!JSON.stringify(exec).includes(SECRET), 'the page secret leaked into the sandbox');
        assert.ok(!JSON.stringify(exec).includes(KEY), 'the key leaked into the sandbox');
        assert.deepEqual(pageSide.heard, [], 'the page heard Python on its BroadcastChannel');
        assert.deepEqual(pageSide.messages, [], 'a message from the sandbox reached the page');

        // 2. The sandbox's CacheStorage: none, or an empty one of its own (never the app's).
        const appCaches = await page.evaluateAsync(async () => (typeof caches === 'undefined' ? [] : caches.keys()));
        const cachesExec = await runCode(page, CACHES_CODE(app.url));
        assert.equal(cachesExec.status, 'ok', `${cachesExec.error?.message}\n${cachesExec.stderr}`);
        const seenFromPython = JSON.parse(cachesExec.stdout.trim().split('\n').pop());
        log(`CacheStorage: the app has ${JSON.stringify(appCaches)}; Python's js sees ${JSON.stringify(seenFromPython)}; battery said ${results['caches.keys()']}`);
        notes.pythonCaches = seenFromPython.unavailable ? 'unavailable' : `names ${JSON.stringify(seenFromPython.names)}`;
        if (!seenFromPython.unavailable) {
          assert.deepEqual(seenFromPython.names.filter((n) => appCaches.includes(n)), [], 'Python lists none of the app\'s caches');
          assert.deepEqual(seenFromPython.names, [], 'the sandbox\'s CacheStorage is empty');
          assert.equal(seenFromPython.match_index, null, 'the app\'s precached index.html is not reachable from Python');
          assert.equal(seenFromPython.has_precache, false);
        } else {
          assert.ok(results['caches.keys()'].startsWith('blocked'), results['caches.keys()']);
        }
        if (refusedLater.has('caches.match(URL)')) assert.ok(!seenFromPython.unavailable, 'caches.match answered: the sandbox has a CacheStorage (checked empty above)');

        // 3. A Worker on a target's URL never runs: the constructor throws or the load fails.
        // In a fresh Python (a new conversation gets one): the battery's nested
        // workers end with the old one. Firefox blocks a Worker constructor for
        // good while too many nested workers live, and terminated ones may
        // not be gone yet (a clean CI run hung here once).
        // (A clean CI run hung here again: in Firefox a constructor that
        // blocks the Python thread is run again in a fresh Python, at most
        // twice more; the check itself is unchanged.)
        await newConversation(page);
        let workerExec;
        for (let attempt = 1; ; attempt += 1) {
          workerExec = await runCode(page, WORKER_CODE(targets));
          if (!(engine === WORKER_HANG.engine && workerExec.status === 'timeout' && attempt < 3)) break;
          log(`the Worker check hung (attempt ${attempt}: the Worker constructor blocked the Python thread); again in a fresh Python`);
          notes.workerCheckHung = attempt;
          await newConversation(page);
        }
        assert.equal(workerExec.status, 'ok', `${workerExec.error?.message}\n${workerExec.stderr}`);
        const workers = JSON.parse(workerExec.stdout.trim().split('\n').pop());
        log(`a Worker on each target's URL: ${JSON.stringify(workers)}`);
        for (const [label, outcome] of Object.entries(workers)) assert.match(outcome, /^(threw |error event$)/, `${label}: ${outcome}`);

        // 4. The canary key is nowhere in what Python can see.
        const dump = await runCode(page, DUMP_CODE, 120000);
        assert.equal(dump.status, 'ok', `${dump.error?.message}\n${dump.stderr}`);
        const text = (await readAppFile(page, 'dump.txt')).toString('latin1');
        const hits = (needle) => text.split(needle).length - 1 + JSON.stringify(dump).split(needle).length - 1;
        log(`the dump: ${text.length} chars (${dump.stdout.trim()}); key ${hits(KEY)}, secret ${hits(SECRET)}`);
        assert.ok(text.length > 10000, `the dump is substantial (${text.length} chars)`);
        assert.equal(hits(KEY), 0, 'the key is in what Python can see');
        assert.equal(hits(SECRET), 0, 'the page secret is in what Python can see');
        const keyCheck = await page.evaluate(() => document.querySelector('code-interpreter').app.vm.hasKey);
        assert.equal(keyCheck, true, 'the key was saved (the search looked for something that exists)');
        assert.equal((await canaries(page)).pwned, 0);
        noConnections('at the end of the flow');
        notes.connections = { app: 0, otherPort: 0, canary: 0 };
      } finally {
        await closePage(page);
      }
    },
  },
  {
    name: 'xss subset (100 payloads)',
    async run({ log, notes, browser }) {
      const picked = pickPayloads();
      const texts = picked.map((p) => p.text);
      const page = await openApp(browser, `${app.url}/`);
      try {
        await newConversation(page);
        await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, '');
        const figures = {};
        let before = await canaries(page);

        // (a) Model text: one streamed answer holding all the payloads (each prefix renders while it streams).
        const answer = texts.join('\n\n');
        llm.script([{ text: answer }]);
        await page.evaluate(() => document.querySelector('code-interpreter').app.ask('Show me the payloads.'));
        const v = await waitIdle(page, (s) => s.items.some((i) => i.kind === 'assistant'), 120000);
        assert.equal(v.items.find((i) => i.kind === 'assistant').text, answer, 'the whole answer arrived');
        figures.modelText = await checkChannel(page, 'model text', before);

        // (b) display() HTML from Python: one output per payload, then every table "Show as HTML".
        await newConversation(page);
        before = await canaries(page);
        const cell = await runCode(page, displayCode('html', texts), 180000);
        assert.equal(cell.status, 'ok', `${cell.error?.message}\n${cell.stderr}`);
        assert.equal(cell.outputs.length, texts.length, 'one output per payload');
        await page.waitFor((n) => {
          const chat = document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot;
          return chat.querySelector('ci-cell')?.shadowRoot?.querySelectorAll('ci-output').length === n;
        }, texts.length);
        const shown = await page.evaluateAsync(async () => {
          const chat = document.querySelector('code-interpreter').shadowRoot.querySelector('ci-chat').shadowRoot;
          const outputs = [...chat.querySelector('ci-cell').shadowRoot.querySelectorAll('ci-output')];
          let clicked = 0;
          for (const o of outputs) {
            const button = [...o.shadowRoot.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Show as HTML');
            if (button) { button.click(); clicked += 1; }
          }
          await Promise.all(outputs.map((o) => o.updateComplete));
          return { clicked, frames: outputs.filter((o) => o.shadowRoot.querySelector('iframe')).length };
        });
        figures.displayHtml = { ...(await checkChannel(page, 'display() HTML', before)), tablesShownAsHtml: shown.clicked, htmlFrames: shown.frames };
        assert.ok(figures.displayHtml.frames > 0, 'HTML outputs were walked');

        // (c) The file-name payloads as names of uploaded files (the files panel, a link in an answer).
        await newConversation(page);
        before = await canaries(page);
        const names = picked.filter((p) => p.source === 'filenames').map((p) => p.text);
        const uploaded = await page.evaluateAsync(async (list) => {
          const app = document.querySelector('code-interpreter').app;
          const out = [];
          for (const name of list) {
            const n = app.vm.files.length;
            await app.upload([new File([`upload ${name}`], name, { type: 'text/plain' })]);
            out.push(app.vm.files.length > n);
          }
          return out.filter(Boolean).length;
        }, names);
        const files = (await vm(page)).files.map((f) => f.path);
        await page.evaluate((paths) => {
          const app = document.querySelector('code-interpreter').app;
          app.vm.items = [...app.vm.items, { kind: 'assistant', turn: 99, thinking: '', text: paths.map((p) => `- [${p}](sandbox:/mnt/data/${encodeURIComponent(p)}) ${p}`).join('\n') }];
          app.changed('items');
        }, files);
        figures.fileNames = { ...(await checkChannel(page, 'file names', before)), names: names.length, uploaded };
        assert.ok(uploaded > 0, 'hostile names were accepted and shown');

        const total = Object.values(figures).reduce((t, f) => ({ executions: t.executions + f.executions, dialogs: t.dialogs + f.dialogs }), { executions: 0, dialogs: 0 });
        Object.assign(notes, { payloads: texts.length, sources: [...new Set(picked.map((p) => p.source))].length, ...total });
        log(`xss: ${JSON.stringify(figures)}`);
        assert.deepEqual(total, { executions: 0, dialogs: 0 });
      } finally {
        await closePage(page);
      }
    },
  },
], { before: servers });
