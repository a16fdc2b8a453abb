// The escape battery: Python, through `import js` / pyodide.ffi inside the
// sandbox worker, tries every way out we know of, aimed at (a) the app
// origin, (b) another 127.0.0.1 port and (c) a canary server. All three
// count what reaches them; the test asserts nothing did, and that the secret
// the page stored in localStorage and IndexedDB stayed unreadable.
//
// Not tried from Python because Python cannot get there: the iframe's own
// window (document, parent, top, the iframe's localStorage). Python lives in
// the worker, which has no window; the worker can only postMessage to the
// frame's bootstrap, which ignores what it sends. The frame side is covered by
// the CSP and sandbox attributes (checked below in the frame's srcdoc).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startCanary, launchBrowser, openSandboxPage, artifactPath } from './harness.mjs';

const BATTERY = String.raw`
import js, json, asyncio
from pyodide.ffi import to_js, create_proxy
from pyodide.http import pyfetch

TARGETS = json.loads(TARGETS_JSON)
SECRET_NAMES = ["ci-secret"]
results = {}

async def attempt(name, fn):
    try:
        r = fn()
        if hasattr(r, "__await__"):
            r = await asyncio.wait_for(r, 3)
        results[name] = "ALLOWED: " + str(r)[:300]
    except BaseException as e:
        results[name] = "blocked: " + type(e).__name__ + ": " + str(e)[:300]

def proto(name):
    # The worker's own fetch/importScripts were replaced; the originals are
    # still reachable on the prototype. Only the CSP stands behind them.
    return getattr(js.WorkerGlobalScope.prototype, name)

for label, base in TARGETS.items():
    url = base + "/escape-" + label
    ws_url = base.replace("http://", "ws://") + "/escape-ws-" + label
    await attempt(f"{label}: fetch (replaced)", lambda: js.fetch(url + "-fetch"))
    await attempt(f"{label}: fetch (original, via prototype)", lambda: proto("fetch").call(js.self, url + "-fetch-proto"))
    await attempt(f"{label}: fetch no-cors (original)", lambda: proto("fetch").call(js.self, url + "-nocors", to_js({"mode": "no-cors"}, dict_converter=js.Object.fromEntries)))
    await attempt(f"{label}: pyfetch", lambda: pyfetch(url + "-pyfetch"))
    def xhr_sync():
        x = js.XMLHttpRequest.new()
        x.open("GET", url + "-xhr-sync", False)
        x.send()
        return x.status, x.responseText
    await attempt(f"{label}: XMLHttpRequest (sync)", xhr_sync)
    def xhr_async():
        x = js.XMLHttpRequest.new()
        x.open("POST", url + "-xhr-async")
        x.send("data")
        return "sent"
    await attempt(f"{label}: XMLHttpRequest (async)", xhr_async)
    await attempt(f"{label}: WebSocket", lambda: js.WebSocket.new(ws_url))
    await attempt(f"{label}: EventSource", lambda: js.EventSource.new(url + "-sse"))
    await attempt(f"{label}: importScripts (replaced)", lambda: js.importScripts(url + "-import.js"))
    await attempt(f"{label}: importScripts (original, via prototype)", lambda: proto("importScripts").call(js.self, url + "-import-proto.js"))
    await attempt(f"{label}: navigator.sendBeacon", lambda: js.navigator.sendBeacon(url + "-beacon", "x"))
    # Nested workers: a blob worker inherits the CSP, so its requests fail too
    # (the canary would count them); a data: worker is not allowed at all.
    src = (f"fetch('{url}-nested-fetch').catch(()=>{{}});"
           f"try{{importScripts('{url}-nested-import.js')}}catch(e){{}};"
           f"try{{new WebSocket('{ws_url}-nested')}}catch(e){{}};"
           f"try{{navigator.sendBeacon('{url}-nested-beacon','x')}}catch(e){{}};")
    def blob_worker():
        blob = js.Blob.new(to_js([src]), to_js({"type": "text/javascript"}, dict_converter=js.Object.fromEntries))
        return js.Worker.new(js.URL.createObjectURL(blob))
    await attempt(f"{label}: nested Worker (blob:)", blob_worker)
    await attempt(f"{label}: nested Worker (data:)", lambda: js.Worker.new("data:text/javascript," + src))

def read_local_storage():
    return js.localStorage.getItem("ci-secret")
await attempt("localStorage", read_local_storage)

async def read_indexeddb():
    fut = asyncio.get_event_loop().create_future()
    req = js.indexedDB.open("ci-secret-db")
    def ok(e):
        db = req.result
        names = list(db.objectStoreNames)
        if "kv" not in names:
            fut.set_result(f"opened an empty database (stores: {names})")
            return
        g = db.transaction("kv").objectStore("kv").get("secret")
        g.onsuccess = lambda e: fut.set_result("value: " + str(g.result))
    req.onsuccess = ok
    req.onerror = lambda e: fut.set_exception(RuntimeError(str(req.error)))
    return await fut
await attempt("indexedDB", read_indexeddb)
await attempt("caches.keys()", lambda: js.caches.keys())
await attempt("document", lambda: js.document.cookie)
await attempt("parent", lambda: js.parent.document)
await attempt("top", lambda: js.top.localStorage)
await attempt("eval (no unsafe-eval)", lambda: js.eval("1+1"))
await attempt("Function (no unsafe-eval)", lambda: js.Function.new("return 1")())

# BroadcastChannel is same-origin only: the page listens on this name, and
# also broadcasts its secret on it; neither side should hear the other.
heard = []
bc = js.BroadcastChannel.new("ci-secret-channel")
bc.onmessage = create_proxy(lambda e: heard.append(str(e.data)))
await attempt("BroadcastChannel.postMessage", lambda: bc.postMessage("from-python"))
await asyncio.sleep(0.6)
results["BroadcastChannel: heard"] = "ALLOWED: " + repr(heard) if heard else "blocked: nothing heard"
bc.close()

print(json.dumps(results))
`;

for (const isolation of [true, false]) {
  describe(`escape battery (${isolation ? 'cross-origin isolated' : 'no isolation'})`, () => {
    let app;
    let other;
    let canary;
    let browser;
    let page;
    const appLog = [];

    before(async () => {
      app = await startApp({ isolation });
      app.server.on('request', (req) => appLog.push(req.url));
      other = await startCanary();
      canary = await startCanary();
      browser = await launchBrowser();
      page = await openSandboxPage(browser, app.url);
      await page.evaluate(async () => {
        window.heardOnChannel = [];
        const bc = new BroadcastChannel('ci-secret-channel');
        bc.onmessage = (e) => window.heardOnChannel.push(String(e.data));
        window.secretBroadcast = setInterval(() => bc.postMessage(window.SECRET), 100);
        window.sb = makeSandbox({ snapshots: false });
        await window.sb.start();
      });
    });

    after(async () => {
      await browser?.close();
      await Promise.all([app?.close(), other?.close(), canary?.close()]);
    });

    test('no request leaves the sandbox and no secret is readable', async () => {
      const targets = { app: app.url, port: other.url, canary: canary.url };
      const code = BATTERY.replace('json.loads(TARGETS_JSON)', `json.loads(${JSON.stringify(JSON.stringify(targets))})`);
      const r = await page.evaluate(async (code) => {
        const result = await window.sb.run({ exec_id: 'escape', code, timeout_ms: 60000, files: { write: [], delete: [] } });
        // Give late async attempts (nested workers, beacons) time to arrive.
        await new Promise((r) => setTimeout(r, 1500));
        clearInterval(window.secretBroadcast);
        return { result, heard: window.heardOnChannel, secret: window.SECRET, srcdoc: document.querySelector('iframe')?.getAttribute('srcdoc'), sandboxAttr: document.querySelector('iframe')?.getAttribute('sandbox') };
      }, code);
      assert.equal(r.result.status, 'ok', JSON.stringify(r.result.error) + r.result.stderr);
      const results = JSON.parse(r.result.stdout.trim().split('\n').pop());
      const lines = Object.entries(results).map(([k, v]) => `#   ${k.padEnd(46)} ${v.slice(0, 150)}`);
      console.log(`# escape battery (${isolation ? 'isolated' : 'not isolated'}):\n${lines.join('\n')}`);

      // Nothing reached any of the three servers.
      const escapes = appLog.filter((u) => u.includes('escape'));
      assert.deepEqual(escapes, [], 'requests from the sandbox reached the app server');
      assert.equal(other.counts.connections, 0, `another port got: ${other.counts.log.join(', ')}`);
      assert.equal(canary.counts.connections, 0, `the canary got: ${canary.counts.log.join(', ')}`);
      assert.equal(canary.counts.requests + canary.counts.upgrades + other.counts.requests + other.counts.upgrades, 0);

      // No secret anywhere in what Python saw, and the channel stayed silent.
      const everything = JSON.stringify(r.result);
      assert.ok(!everything.includes(r.secret), 'the page secret leaked into the sandbox');
      assert.ok(results.localStorage.startsWith('blocked'), results.localStorage);
      assert.ok(!results.indexedDB.includes('value:'), results.indexedDB);
      assert.deepEqual(r.heard, [], 'the page heard Python on its BroadcastChannel');
      assert.ok(results['BroadcastChannel: heard'].startsWith('blocked'), results['BroadcastChannel: heard']);
      for (const key of ['document', 'parent', 'top', 'eval (no unsafe-eval)', 'Function (no unsafe-eval)']) {
        assert.ok(results[key].startsWith('blocked'), `${key}: ${results[key]}`);
      }
      // Every network attempt either threw or came back without a response.
      for (const [key, value] of Object.entries(results)) {
        if (/fetch|XMLHttpRequest \(sync\)|importScripts/.test(key)) assert.ok(value.startsWith('blocked'), `${key}: ${value}`);
      }
      // The frame is what we think it is.
      assert.equal(r.sandboxAttr, 'allow-scripts');
      const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(r.srcdoc)?.[1] ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /connect-src 'none'/);
      assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+' blob: 'wasm-unsafe-eval'/);
      assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'/);
      if (isolation) await page.screenshot({ path: artifactPath('escape-battery.png'), fullPage: true });
    });
  });
}
