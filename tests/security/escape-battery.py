# The escape battery run as a cell in the REAL app's sandbox (by
# tests/security/escape.test.mjs, which replaces TARGETS_JSON). Every probe
# tries to get a byte out of the sandbox (to the app's origin, another
# 127.0.0.1 port, a canary server) or to read the page's secrets, and records
# what happened: "ALLOWED: ..." or "blocked: <exception>". The servers count
# what actually reached them; the test asserts that nothing did.
import js, json, asyncio, socket, urllib.request
import pyodide_js
from pyodide.ffi import to_js, create_proxy
from pyodide.http import pyfetch, open_url
from pyodide.code import run_js

TARGETS = json.loads(TARGETS_JSON)
results = {}
obj = lambda d: to_js(d, dict_converter=js.Object.fromEntries)


async def attempt(name, fn):
    try:
        r = fn()
        if hasattr(r, "__await__"):
            r = await asyncio.wait_for(r, 3)
        results[name] = "ALLOWED: " + str(r)[:200]
    except BaseException as e:
        results[name] = "blocked: " + type(e).__name__ + ": " + str(e)[:200]


# Pyodide 314 calls the worker global's WebIDL getters (self, navigator,
# indexedDB, location, fonts, caches ...) with a receiver the browser
# refuses ("Illegal invocation"), which would make a probe look blocked when
# it never ran. So every global is read through its getter with an
# undefined `this` (= the real global), and global methods are called so.
PROTOS = [js.DedicatedWorkerGlobalScope.prototype, js.WorkerGlobalScope.prototype, js.EventTarget.prototype]


def G(name):
    """The worker global's `name`, read the way JS code would."""
    for p in [js.globalThis] + PROTOS:
        desc = js.Object.getOwnPropertyDescriptor(p, name)
        if desc is not None:
            getter = js.Reflect.get(desc, "get")
            return getter.call(None) if getter else js.Reflect.get(desc, "value")
    raise AttributeError(f"{name} is not exposed in the sandbox worker")


def proto(name):
    # The worker's own fetch/importScripts were replaced; the originals are
    # still on the prototype. Only the frame's CSP stands behind them.
    for p in PROTOS:
        desc = js.Object.getOwnPropertyDescriptor(p, name)
        if desc is not None:
            return desc.value
    raise AttributeError(name)


def event_outcome(target, ok_event, bad_event, wait=2.0):
    """Waits for the first of two events on an EventTarget (open/error)."""
    fut = asyncio.get_event_loop().create_future()
    def done(tag):
        def f(e):
            if not fut.done():
                fut.set_result(tag)
        return create_proxy(f)
    target.addEventListener(ok_event, done("ALLOWED"))
    target.addEventListener(bad_event, done("blocked"))
    async def waiter():
        try:
            tag = await asyncio.wait_for(fut, wait)
        except asyncio.TimeoutError:
            tag = "no event"
        if tag == "ALLOWED":
            raise_allowed = f"{ok_event} fired"
            return raise_allowed
        raise RuntimeError(f"{tag} ({bad_event})")
    return waiter()


for label, base in TARGETS.items():
    tag = "escape-" + label
    url = base + "/" + tag
    ws_url = base.replace("http://", "ws://") + "/" + tag + "-ws"
    host, port = base.replace("http://", "").split(":")
    P = lambda probe: f"{label}: {probe}"
    await attempt(P("fetch (replaced)"), lambda: js.fetch(url + "-fetch"))
    await attempt(P("fetch (original, via prototype)"), lambda: proto("fetch").call(None, url + "-fetch-proto"))
    await attempt(P("fetch no-cors (original)"), lambda: proto("fetch").call(None, url + "-nocors", obj({"mode": "no-cors"})))
    await attempt(P("fetch keepalive POST (original)"), lambda: proto("fetch").call(None, url + "-keepalive", obj({"method": "POST", "body": "x", "keepalive": True})))
    await attempt(P("fetch via the package channel"), lambda: js.fetch("https://pyodide.invalid/packages/" + js.encodeURIComponent(url + "-pkg")))
    await attempt(P("pyfetch"), lambda: pyfetch(url + "-pyfetch"))
    await attempt(P("pyodide.http.open_url (sync XHR)"), lambda: open_url(url + "-open-url").read())
    await attempt(P("urllib.request.urlopen"), lambda: urllib.request.urlopen(url + "-urllib", timeout=2).read())
    def sock():
        s = socket.create_connection((host, int(port)), timeout=2)
        s.sendall(b"GET /" + tag.encode() + b"-socket HTTP/1.0\r\n\r\n")
        return s.recv(100)
    await attempt(P("socket.create_connection"), sock)
    def xhr_sync():
        x = js.XMLHttpRequest.new()
        x.open("GET", url + "-xhr-sync", False)
        x.send()
        return (x.status, x.responseText)
    await attempt(P("XMLHttpRequest (sync)"), xhr_sync)
    def xhr_async():
        x = js.XMLHttpRequest.new()
        x.open("POST", url + "-xhr-async")
        x.send("data")
        return event_outcome(x, "load", "error")
    await attempt(P("XMLHttpRequest (async)"), xhr_async)
    await attempt(P("WebSocket"), lambda: event_outcome(js.WebSocket.new(ws_url), "open", "error"))
    await attempt(P("EventSource"), lambda: event_outcome(js.EventSource.new(url + "-sse"), "open", "error"))
    await attempt(P("importScripts (replaced)"), lambda: js.importScripts(url + "-import.js"))
    await attempt(P("importScripts (original, via prototype)"), lambda: proto("importScripts").call(None, url + "-import-proto.js"))
    await attempt(P("navigator.sendBeacon"), lambda: G("navigator").sendBeacon(url + "-beacon", "x") or (_ for _ in ()).throw(RuntimeError("sendBeacon returned false")))
    # Nested workers: a blob worker inherits the frame's CSP; data: and
    # http(s) workers are not allowed at all (worker-src blob:).
    src = (f"fetch('{url}-nested-fetch').catch(()=>{{}});"
           f"try{{importScripts('{url}-nested-import.js')}}catch(e){{}};"
           f"try{{new WebSocket('{ws_url}-nested')}}catch(e){{}};"
           f"try{{new EventSource('{url}-nested-sse')}}catch(e){{}};"
           f"try{{navigator.sendBeacon('{url}-nested-beacon','x')}}catch(e){{}};"
           f"try{{const x=new XMLHttpRequest();x.open('GET','{url}-nested-xhr');x.send()}}catch(e){{}};")
    def blob_url(text):
        return js.URL.createObjectURL(js.Blob.new(to_js([text]), obj({"type": "text/javascript"})))
    # The nested worker reports what each of its attempts did.
    report = ("const r={};const p=[];"
              f"p.push(fetch('{url}-nested-fetch').then(()=>r.fetch='ALLOWED',e=>r.fetch='blocked '+e));"
              f"p.push(fetch('{url}-nested-nocors',{{mode:'no-cors'}}).then(()=>r.nocors='ALLOWED',e=>r.nocors='blocked '+e));"
              f"try{{importScripts('{url}-nested-import.js');r.importScripts='ALLOWED'}}catch(e){{r.importScripts='blocked '+e}};"
              f"try{{r.beacon=navigator.sendBeacon('{url}-nested-beacon','x')?'ALLOWED':'blocked false'}}catch(e){{r.beacon='blocked '+e}};"
              f"try{{const x=new XMLHttpRequest();x.open('GET','{url}-nested-xhr',false);x.send();r.xhr='ALLOWED'}}catch(e){{r.xhr='blocked '+e}};"
              f"p.push(new Promise(res=>{{const w=new WebSocket('{ws_url}-nested');w.onopen=()=>{{r.ws='ALLOWED';res()}};w.onerror=()=>{{r.ws='blocked';res()}}}}));"
              "Promise.all(p).then(()=>postMessage(JSON.stringify(r)));")
    def nested(worker):
        fut = asyncio.get_event_loop().create_future()
        worker.onmessage = create_proxy(lambda e: fut.done() or fut.set_result(str(e.data)))
        worker.onerror = create_proxy(lambda e: fut.done() or fut.set_exception(RuntimeError("worker error event: " + str(getattr(e, "message", "")))))
        async def wait():
            try:
                got = await asyncio.wait_for(fut, 3)
            except asyncio.TimeoutError:
                raise RuntimeError("the nested worker never reported (did not start)")
            finally:
                # Ended once it answered: Firefox blocks the next Worker
                # constructor for good once about ten nested workers live.
                worker.terminate()
            if "ALLOWED" in got:
                return got
            raise RuntimeError("nested worker ran, everything blocked: " + got)
        return wait()
    await attempt(P("nested Worker (blob:)"), lambda: nested(js.Worker.new(blob_url(src + report))))
    await attempt(P("nested module Worker (blob:) with import()"), lambda: nested(js.Worker.new(blob_url(f"import('{url}-nested-import-module.mjs').then(()=>postMessage('ALLOWED import'),e=>postMessage('blocked '+e));"), obj({"type": "module"}))))
    await attempt(P("nested Worker (data:)"), lambda: nested(js.Worker.new("data:text/javascript," + js.encodeURIComponent(src + report))))
    def url_worker():
        # Firefox's constructor returns and refuses the load afterwards (an
        # error event). Ended after that event (or 2 s), like the nested
        # workers above: a live one counts towards Firefox's limit, past
        # which the next Worker constructor blocks the Python thread.
        worker = js.Worker.new(url + "-worker.js")
        fut = asyncio.get_event_loop().create_future()
        worker.onerror = create_proxy(lambda e: fut.done() or fut.set_result(None))
        async def wait():
            try:
                await asyncio.wait_for(fut, 2)  # under attempt()'s 3 s
            except asyncio.TimeoutError:
                pass
            finally:
                worker.terminate()
            return worker
        return wait()
    await attempt(P("nested Worker (URL of the target)"), url_worker)
    await attempt(P("SharedWorker (blob:)"), lambda: G("SharedWorker").new(blob_url(src)))
    await attempt(P("new Image().src"), lambda: setattr(G("Image").new(), "src", url + "-image.png"))
    await attempt(P("createImageBitmap(Request): no URL loading"), lambda: js.createImageBitmap(js.Request.new(url + "-bitmap.png")))
    def font_face():
        ff = js.FontFace.new("escape" + label, f"url({url}-font.woff2)")
        G("fonts").add(ff)
        return ff.load()
    await attempt(P("FontFace load (worker fonts)"), font_face)
    def canvas_font():
        c = js.OffscreenCanvas.new(10, 10)
        ctx = c.getContext("2d")
        ctx.font = "12px escape" + label
        ctx.fillText("x", 1, 5)
        async def check():
            await G("fonts").ready
            statuses = [str(f.status) for f in G("fonts").values() if str(f.family).strip('"') == "escape" + label]
            if "loaded" in statuses:
                return statuses
            raise RuntimeError(f"the font did not load (status: {statuses})")
        return check()
    await attempt(P("OffscreenCanvas text in the loaded font"), canvas_font)
    await attempt(P("WebTransport"), lambda: G("WebTransport").new(base.replace("http://", "https://") + "/" + tag + "-wt").ready)
    def rtc():
        pc = G("RTCPeerConnection").new(obj({"iceServers": [obj({"urls": f"stun:{host}:{port}"})]}))
        pc.createDataChannel("x")
        return pc.createOffer()
    await attempt(P("RTCPeerConnection ICE to a STUN URL"), rtc)
    async def load_package():
        loaded = await pyodide_js.loadPackage(url + "-pkg-0.1-py3-none-any.whl")
        if len(loaded) == 0:
            raise RuntimeError("nothing loaded (loadPackage fetches through the sandbox's fetch)")
        return loaded
    await attempt(P("pyodide.loadPackage(URL)"), load_package)
    await attempt(P("run_js import() (needs eval)"), lambda: run_js(f"import('{url}-run-js-import.mjs')"))
    await attempt(P("caches.match(URL)"), lambda: G("caches").match(url + "-cache"))
    def navigate():
        loc = G("location")
        before = str(loc.href)
        setattr(loc, "href", url + "-navigate")
        after = str(G("location").href)
        if after == before:
            raise RuntimeError("no effect (WorkerLocation is read-only)")
        return after
    await attempt(P("location navigation of the worker"), navigate)


# The page's secrets: the app's IndexedDB (keys store) and localStorage.
async def read_indexeddb():
    fut = asyncio.get_event_loop().create_future()
    req = G("indexedDB").open("code-interpreter")
    def ok(e):
        db = req.result
        names = list(db.objectStoreNames)
        if "keys" not in names:
            fut.set_result(f"opened an empty database (stores: {names})")
            return
        g = db.transaction("keys").objectStore("keys").getAll()
        g.onsuccess = lambda e: fut.set_result("value: " + str(g.result.to_py()))
    req.onsuccess = ok
    req.onerror = lambda e: fut.set_exception(RuntimeError(str(req.error)))
    return await fut
await attempt("indexedDB (the app's keys store)", read_indexeddb)
await attempt("indexedDB.databases()", lambda: G("indexedDB").databases())
await attempt("localStorage", lambda: G("localStorage").getItem("ci-secret"))
await attempt("sessionStorage", lambda: G("sessionStorage").length)
await attempt("caches.keys()", lambda: G("caches").keys())
await attempt("isSecureContext", lambda: G("isSecureContext") or (_ for _ in ()).throw(RuntimeError("not a secure context: caches, storage, cookieStore are not exposed")))
await attempt("navigator.storage.getDirectory() (OPFS)", lambda: G("navigator").storage.getDirectory())
await attempt("navigator.serviceWorker", lambda: G("navigator").serviceWorker.register("/sw.js"))
await attempt("cookieStore", lambda: G("cookieStore").getAll())
await attempt("document.cookie", lambda: G("document").cookie)
await attempt("parent", lambda: G("parent").document)
await attempt("top", lambda: G("top").localStorage)
await attempt("opener", lambda: G("opener").document)
await attempt("window.open", lambda: G("open")("about:blank"))
await attempt("eval (no unsafe-eval)", lambda: js.eval("1+1"))
await attempt("Function (no unsafe-eval)", lambda: js.Function.new("return 1")())
await attempt("postMessage to the frame with '*'", lambda: G("postMessage").call(None, "escape-postmessage", "*"))
await attempt("postMessage to the frame", lambda: G("postMessage").call(None, "escape-postmessage"))

# BroadcastChannel is same-origin only: the page listens on this name and
# broadcasts its secret on it; neither side should hear the other.
heard = []
bc = js.BroadcastChannel.new("ci-secret-channel")
bc.onmessage = create_proxy(lambda e: heard.append(str(e.data)))
await attempt("BroadcastChannel.postMessage", lambda: bc.postMessage("escape-from-python"))
await asyncio.sleep(1.0)
results["BroadcastChannel: heard"] = ("ALLOWED: " + repr(heard)) if heard else "blocked: nothing heard"
bc.close()

print(json.dumps(results))
