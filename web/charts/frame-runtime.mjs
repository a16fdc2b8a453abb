// Runs INSIDE a chart frame (bundled into each renderer file, the last
// script the bootstrap loads): takes the port from the bootstrap
// (self.ciChartMain) and serves the page's requests with one renderer.
//
//   startChartFrame({ render, exportImage })
//     render(el, spec, theme) → Promise<{marks}>   draws into el (replacing what was there)
//     exportImage(format)     → Promise<{mime, bytes: ArrayBuffer}>
//
// Defences here, beside the frame's sandbox and CSP:
// - links are not followed: a click on any <a> (HTML or SVG) is cancelled
//   before the browser acts on it (a same-frame navigation would otherwise
//   be a request);
// - styles: see style-shim.mjs (also loaded on its own before libraries
//   that add their styles as they load, such as Plotly).
import { CHART_MSG, MAX_FRAME_HEIGHT } from './messages.mjs';
import { installStyleShim, adopt } from './style-shim.mjs';

function refuseLinks() {
  const stop = (event) => {
    const path = event.composedPath ? event.composedPath() : [];
    if (path.some((n) => n && (n.localName === 'a' || n.localName === 'area'))) event.preventDefault();
  };
  for (const type of ['click', 'auxclick', 'keydown']) {
    document.addEventListener(type, (e) => { if (type !== 'keydown' || e.key === 'Enter') stop(e); }, true);
  }
}

const errorOf = (code, e) => ({ code, message: String(e?.message ?? e).slice(0, 500) });

export function startChartFrame({ render, exportImage }) {
  installStyleShim();
  refuseLinks();
  const root = document.createElement('div');
  root.id = 'chart';
  document.body.appendChild(root);
  const base = new CSSStyleSheet();
  base.replaceSync(`html, body { margin: 0; padding: 0; background: transparent; font: 13px system-ui, sans-serif; }
    html.dark body { color: #e6e6e6; }
    #chart { padding: 4px; box-sizing: border-box; overflow-x: auto; }`);
  adopt(base);

  self.ciChartMain = (port) => {
    delete self.ciChartMain;
    const loadedAt = performance.now(); // the libraries have run (ms since the frame's start)
    let current = null; // {spec, theme}
    let lastHeight = 0;
    const post = (m, transfer) => port.postMessage(m, transfer ?? []);
    const reportSize = () => {
      const height = Math.min(MAX_FRAME_HEIGHT, Math.ceil(document.documentElement.scrollHeight));
      if (height !== lastHeight) {
        lastHeight = height;
        post({ type: CHART_MSG.SIZE, height });
      }
    };
    new ResizeObserver(reportSize).observe(document.body);

    const draw = async () => {
      document.documentElement.classList.toggle('dark', current.theme === 'dark');
      try {
        const started = performance.now();
        const { marks } = await render(root, current.spec, current.theme);
        reportSize();
        // Timings for bench/charts.mjs: when the libraries had run, how long the drawing took.
        const timings = { loaded: Math.round(loadedAt), render: Math.round(performance.now() - started) };
        post({ type: CHART_MSG.RENDERED, marks, width: root.scrollWidth, height: root.scrollHeight, timings });
      } catch (e) {
        post({ type: CHART_MSG.FAILED, error: errorOf('render_failed', e) });
      }
    };

    port.onmessage = async (event) => {
      const m = event.data || {};
      if (m.type === CHART_MSG.RENDER) {
        current = { spec: m.spec, theme: m.theme === 'dark' ? 'dark' : 'light' };
        await draw();
      } else if (m.type === CHART_MSG.THEME && current) {
        current.theme = m.theme === 'dark' ? 'dark' : 'light';
        await draw();
      } else if (m.type === CHART_MSG.EXPORT) {
        try {
          const { mime, bytes } = await exportImage(m.format);
          post({ type: CHART_MSG.EXPORTED, id: m.id, mime, bytes }, [bytes]);
        } catch (e) {
          post({ type: CHART_MSG.FAILED, id: m.id, error: errorOf('export_failed', e) });
        }
      }
    };
    post({ type: CHART_MSG.LOADED });
  };
}

/** The bytes of a data: URL (base64 or percent-encoded). */
export function dataUrlBytes(url) {
  const comma = url.indexOf(',');
  const meta = url.slice(0, comma);
  const body = url.slice(comma + 1);
  if (/;base64$/i.test(meta)) {
    const bin = atob(body);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  return new TextEncoder().encode(decodeURIComponent(body)).buffer;
}
