// Builds the sandbox iframe: an <iframe sandbox="allow-scripts"> made from
// srcdoc, whose document carries a Content-Security-Policy <meta> and one
// small inline bootstrap script.
//
// Why each piece (see docs/DESIGN.md, "The Python sandbox" and "Engines"):
// - sandbox="allow-scripts" WITHOUT allow-same-origin gives the frame an
//   opaque origin: localStorage/indexedDB/caches throw there, cookies are not
//   sent, and the app's origin (API key, conversations) is out of reach.
//   Adding allow-same-origin would undo all of that: never add it.
// - allow="cross-origin-isolated" lets the frame (and its worker) be cross-
//   origin isolated when the page is, so a SharedArrayBuffer interrupt buffer
//   works.
// - The CSP: default-src 'none' shuts every door; script-src allows only the
//   inline bootstrap (by its sha256, not 'unsafe-inline'), blob: (the worker
//   and the modules it imports from blob URLs it made itself) and
//   'wasm-unsafe-eval' (WebAssembly.compile); worker-src blob: data: (the
//   data: module worker is WebKit's shape under COEP, see worker-bootstrap.mjs;
//   its static imports are checked against worker-src, so script-src needs no
//   data:); connect-src 'none', so fetch/XHR/WebSocket/EventSource/sendBeacon
//   from the frame or its worker (blob and data: workers inherit this policy
//   in all three engines) never leave the browser. The worker does not need
//   the network: the host hands every byte in.

import { MSG } from './messages.mjs';

/**
 * The frame's bootstrap. It runs inside the opaque frame, as its only
 * inline script, so it must not close over anything.
 *
 * Protocol (message types: messages.mjs): it makes a MessageChannel and
 * posts one end ("control") to window.parent, targeted at the parent's
 * exact origin, with the ready string (FRAME_READY). Everything else goes
 * over that port:
 *   host → frame: SPAWN {id, source, interrupt}   start the classic worker from
 *                 `source` (its text, made a blob URL here)
 *                 SPAWN {id, url, interrupt}      start a MODULE worker from `url`
 *                 (a data: URL the host built; see worker-bootstrap.mjs, "Two shapes")
 *                 Either answers, once the worker has said it is alive (ALIVE, after
 *                 the frame handed it its port with PORT),
 *                 SPAWNED {id, interruptible, isolated, sharedMemory} with a fresh MessagePort that talks
 *                 straight to the worker (the frame keeps no copy), or
 *                 SPAWN_FAILED {id, message} when the worker could not start.
 *                 INTERRUPT {run}     raise KeyboardInterrupt in run `run` (if isolated)
 *                 HOLD {wasm}         compile this wasm (a Blob or bytes) and keep the
 *                 module, never instantiated; answers HELD {ok, message?}. Only the
 *                 module keeper's frame gets it (module-keeper.mjs says why).
 *   frame → host: WORKER_ERROR {message}  the worker died or threw at top level
 * To stop a worker for good, the host removes the whole iframe.
 */
// The bootstrap is kept as a string, not as a function serialized with
// toString(): a bundler or minifier rewrites function bodies, and the
// page's and the frame's CSP name this exact text by its sha256
// (tests/js/csp.test.mjs checks the pages). So it must not contain a
// backtick or a backslash, and its only "${…}" are the message types of
// messages.mjs, each interpolated as the quoted literal it always was:
// the text, and so its hash, does not change with them.
const q = (type) => `'${type}'`;
export const BOOTSTRAP_SOURCE = `(function frameBootstrap() {
  'use strict';
  let control = null;
  let worker = null;
  let interrupt = null;
  let held = null;
  const report = (message) => control && control.postMessage({ type: ${q(MSG.WORKER_ERROR)}, message: String(message) });
  const onControl = (event) => {
    const m = event.data || {};
    if (m.type === ${q(MSG.SPAWN)}) {
      if (worker) worker.terminate();
      // The classic worker from a blob URL of the source; or a module worker from
      // the host's data: URL, for engines that refuse blob workers here
      // (WebKit under Cross-Origin-Embedder-Policy: see worker-bootstrap.mjs).
      const url = m.url || URL.createObjectURL(new Blob([m.source], { type: 'text/javascript' }));
      worker = m.url ? new Worker(url, { name: 'python-sandbox', type: 'module' }) : new Worker(url, { name: 'python-sandbox' });
      let alive = false;
      const w = worker;
      w.onerror = (e) => {
        e.preventDefault();
        // Some engines give a worker that never started an error event
        // without a message: say which step failed.
        const message = e.message || (alive ? 'the sandbox worker failed' : 'the browser refused to start the sandbox worker (no reason given)');
        if (alive) report(message);
        else control.postMessage({ type: ${q(MSG.SPAWN_FAILED)}, id: m.id, message: String(message) });
      };
      w.onmessageerror = () => report('a message to the sandbox worker could not be deserialized');
      // The interrupt buffer is made HERE, not by the host: a
      // SharedArrayBuffer cannot cross from the app's agent cluster into the
      // opaque origin's (it arrives as a messageerror), but the frame and its
      // worker share one. Bytes 0: the signal Pyodide polls; 4..7: the id of
      // the run the worker is on, so a late interrupt cannot hit the next run.
      interrupt = null;
      if (m.interrupt && self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function') {
        interrupt = new SharedArrayBuffer(8);
      }
      const channel = new MessageChannel();
      // The worker answers 'alive' once it holds its port; only then is it spawned.
      w.onmessage = (e) => {
        if (alive || !e.data || e.data.type !== ${q(MSG.ALIVE)}) return;
        alive = true;
        control.postMessage({
          type: ${q(MSG.SPAWNED)}, id: m.id, interruptible: !!interrupt,
          isolated: self.crossOriginIsolated === true, sharedMemory: typeof SharedArrayBuffer === 'function',
        }, [channel.port1]);
      };
      w.postMessage({ type: ${q(MSG.PORT)}, interruptBuffer: interrupt }, [channel.port2]);
      if (!m.url) setTimeout(() => URL.revokeObjectURL(url), 10000);
    } else if (m.type === ${q(MSG.HOLD)}) {
      // Compiled once and kept, never instantiated (module-keeper.mjs).
      if (!held) held = WebAssembly.compileStreaming(new Response(m.wasm, { headers: { 'content-type': 'application/wasm' } }));
      held.then(
        () => control.postMessage({ type: ${q(MSG.HELD)}, ok: true }),
        (e) => control.postMessage({ type: ${q(MSG.HELD)}, ok: false, message: String((e && e.message) || e) }),
      );
    } else if (m.type === ${q(MSG.INTERRUPT)}) {
      if (interrupt && Atomics.load(new Int32Array(interrupt, 4, 1), 0) === m.run) {
        Atomics.store(new Uint8Array(interrupt, 0, 1), 0, 2); // SIGINT → KeyboardInterrupt
      }
    }
  };
  // The control channel is made here and its other end goes to the embedding
  // page only, named by its exact origin (which the host wrote into a meta
  // tag: the script text, and so its hash, stays the same on every origin).
  // The message carries no data but the ready string and the port.
  const parentOrigin = document.querySelector('meta[name="ci-parent-origin"]').content;
  const channel = new MessageChannel();
  control = channel.port1;
  control.onmessage = onControl;
  window.parent.postMessage(${q(MSG.FRAME_READY)}, parentOrigin, [channel.port2]);
})();`;

/** base64 of the SHA-256 of a script's text: its CSP hash source (also the chart frame's, web/charts/frame.mjs). */
export async function sha256Base64(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  let s = '';
  for (const b of new Uint8Array(digest)) s += String.fromCharCode(b);
  return btoa(s);
}

/** The Content-Security-Policy of the frame (and, by inheritance, its blob worker). */
export async function frameCsp() {
  const hash = await sha256Base64(BOOTSTRAP_SOURCE);
  return [
    "default-src 'none'",
    `script-src 'sha256-${hash}' blob: 'wasm-unsafe-eval'`,
    'worker-src blob: data:',
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const escapeAttribute = (text) => String(text).replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The srcdoc HTML of the sandbox frame; parentOrigin: the embedding page's origin. */
export async function frameSrcdoc(parentOrigin) {
  const csp = await frameCsp();
  return `<!doctype html><html><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
    `<meta name="ci-parent-origin" content="${escapeAttribute(parentOrigin)}">` +
    `</head><body><script>${BOOTSTRAP_SOURCE}</script></body></html>`;
}

/** Creates (but does not attach) the sandbox iframe. */
export async function createFrame(doc = document) {
  const iframe = doc.createElement('iframe');
  // Never 'allow-same-origin' here: see the top of this file.
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.setAttribute('allow', 'cross-origin-isolated');
  iframe.setAttribute('aria-hidden', 'true');
  iframe.setAttribute('tabindex', '-1');
  iframe.title = 'Python sandbox';
  // Invisible by its size, NOT by visibility:hidden (or display:none):
  // Chromium runs the sandboxed frame in a process of its own and lowers the
  // CPU priority of a process whose only frame is hidden (nice 5 on Linux,
  // measured), so Python (its worker lives in that process) got a smaller
  // share of a busy machine and each round trip waited for it: 4-9x bare
  // Pyodide's at a load average of 8-12, 1.7x when quiet. A 0x0 frame that is
  // not hidden keeps the page's priority (nice 0, same check).
  iframe.style.cssText = 'position:absolute;width:0;height:0;border:0;pointer-events:none';
  iframe.srcdoc = await frameSrcdoc((doc.defaultView ?? window).location.origin);
  return iframe;
}
