// Builds a chart frame: an <iframe sandbox="allow-scripts"> made from srcdoc,
// whose document carries a Content-Security-Policy <meta> and one small
// inline bootstrap script. The same recipe as the Python sandbox
// (js_glue/sandbox/frame.mjs); why each piece:
// - sandbox="allow-scripts" WITHOUT allow-same-origin: an opaque origin, so
//   a chart library steered by a hostile spec (Vega expressions, href
//   channels, url data, image marks; Plotly links and HTML-ish text) cannot
//   read the app's storage, cookies or DOM. No allow-popups, allow-top-
//   navigation, allow-forms, allow-modals, allow-downloads: a link cannot
//   leave, a dialog cannot block, a file cannot be saved from in here (the
//   page saves the downloads, after checking them).
// - The CSP: default-src 'none'; scripts only the bootstrap (by its sha256)
//   and blob: (the library files the page handed in, made blob: URLs here);
//   no 'unsafe-eval' (Vega runs expressions with vega-interpreter; the
//   Plotly build is plotly.js's "strict" one, which needs no eval); images
//   only data: and blob: (exports, Plotly's own icons); connect-src 'none',
//   so fetch/XHR/WebSocket/beacons never leave the browser. The srcdoc
//   document ALSO inherits the page's policy (the two intersect): the page
//   lists the bootstrap's hash too (tests/js/csp.test.mjs), and its
//   style-src without 'unsafe-inline' is why frame-runtime.mjs moves the
//   libraries' <style> text into constructable stylesheets.
// - The frame never reaches the network for its code: the page fetches the
//   library files from its own origin (so the service worker serves them
//   offline) and hands them in as Blobs.
import { CHART_MSG } from './messages.mjs';
import { sha256Base64 } from '../../js_glue/sandbox/frame.mjs'; // the same CSP-hash recipe as the Python sandbox's frame

/**
 * The frame's bootstrap: the only inline script, so it must not close over
 * anything. Kept as a string (a minifier must not rewrite it: pages name
 * this exact text by its sha256), without backticks or backslashes; its
 * only "${…}" are message types, interpolated as the quoted literals they
 * are.
 *
 * It makes a MessageChannel and posts one end to window.parent, at the
 * parent's exact origin (written by the page into a meta tag), with READY.
 * Then, on LOAD {scripts}, it runs each Blob in order as a classic script
 * from a blob: URL and hands the port to self.ciChartMain (defined by the
 * last script: frame-runtime.mjs), which answers LOADED. A script that
 * fails to run is answered with FAILED.
 */
const q = (type) => `'${type}'`;
export const CHART_BOOTSTRAP_SOURCE = `(function chartBootstrap() {
  'use strict';
  const parentOrigin = document.querySelector('meta[name="ci-parent-origin"]').content;
  const channel = new MessageChannel();
  const port = channel.port1;
  const fail = (code, message) => port.postMessage({ type: ${q(CHART_MSG.FAILED)}, error: { code: code, message: message } });
  port.onmessage = (event) => {
    const m = event.data || {};
    if (m.type !== ${q(CHART_MSG.LOAD)} || !Array.isArray(m.scripts)) return;
    port.onmessage = null;
    let i = 0;
    const next = () => {
      if (i === m.scripts.length) {
        if (typeof self.ciChartMain === 'function') self.ciChartMain(port);
        else fail('renderer_missing', 'The chart renderer did not start.');
        return;
      }
      const url = URL.createObjectURL(m.scripts[i]);
      i += 1;
      const s = document.createElement('script');
      s.onload = () => { URL.revokeObjectURL(url); next(); };
      s.onerror = () => fail('load_failed', 'The browser refused to run the chart library in its sandbox.');
      s.src = url;
      document.head.appendChild(s);
    };
    next();
  };
  window.parent.postMessage(${q(CHART_MSG.READY)}, parentOrigin, [channel.port2]);
})();`;

/** The Content-Security-Policy of a chart frame. */
export async function chartFrameCsp() {
  const hash = await sha256Base64(CHART_BOOTSTRAP_SOURCE);
  return [
    "default-src 'none'",
    `script-src 'sha256-${hash}' blob:`,
    // Harmless in an opaque frame that can load nothing; on pages whose own
    // policy forbids inline styles the runtime's stylesheet shim takes over.
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const escapeAttribute = (text) => String(text).replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The srcdoc HTML of a chart frame; parentOrigin: the embedding page's origin. */
export async function chartSrcdoc(parentOrigin, { dark = false } = {}) {
  const csp = await chartFrameCsp();
  return `<!doctype html><html${dark ? ' class="dark"' : ''}><head><meta charset="utf-8">`
    + `<meta http-equiv="Content-Security-Policy" content="${csp}">`
    + `<meta name="ci-parent-origin" content="${escapeAttribute(parentOrigin)}">`
    // Both, like the app's pages: a frame whose scheme differs from its
    // embedder's gets an opaque backdrop (a white box in a dark page).
    + '<meta name="color-scheme" content="light dark">'
    + `</head><body><script>${CHART_BOOTSTRAP_SOURCE}</script></body></html>`;
}

/** Creates (but does not attach) a chart frame. */
export async function createChartFrame(doc = document, { dark = false, title = 'Chart' } = {}) {
  const iframe = doc.createElement('iframe');
  // Never 'allow-same-origin' (nor popups, navigation, forms, downloads): see the top of this file.
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.setAttribute('referrerpolicy', 'no-referrer');
  iframe.title = `${title} (sandboxed)`;
  iframe.srcdoc = await chartSrcdoc((doc.defaultView ?? window).location.origin, { dark });
  return iframe;
}
