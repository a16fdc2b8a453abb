// The page's side of a chart frame: the one file where the page crosses
// into a chart's sandbox (messages: messages.mjs; the frame: frame.mjs).
//
//   const chart = new ChartHost({ container, kind, spec, theme, onState });
//   chart.start();               // lazy: fetches the renderer's files on first use
//   chart.setTheme('dark');
//   const { mime, bytes } = await chart.exportImage('png');   // checked
//   chart.destroy();
//
// onState({status, marks?, height?, error?}) with status 'loading' |
// 'rendered' | 'failed'; error is {code, message}.
//
// Rules:
// - The page never posts to the frame's window (its origin is opaque, no
//   targetOrigin could name it): the frame posts one port to window.parent
//   at the page's exact origin; the page takes it only from its own
//   iframe's window (event.source) and speaks over it.
// - The renderer's files are fetched here, from the app's origin (the
//   service worker precaches and serves them: charts work offline), once per
//   page, and handed in as Blobs; the frame runs them from blob: URLs.
// - What comes back is untrusted (a hostile spec may steer the library):
//   exports must carry the mime of the format asked for and stay under
//   EXPORT_MAX_BYTES; heights are clamped; a frame that navigates (a second
//   load event) is removed.
import { CHART_MSG, CHART_KIND, EXPORT_MIME, EXPORT_MAX_BYTES, MAX_FRAME_HEIGHT, SPEC_MAX_CHARS } from './messages.mjs';
import { createChartFrame } from './frame.mjs';

// Which files of dist/charts/ each kind runs, in order (web/build/charts.mjs
// writes them). Plotly comes in two builds: the cartesian one (1.5 MB, a
// third of the full build: it parses ~4x faster in every new chart frame)
// when every trace of the figure is one of its types, else the full
// "strict" build (maps, 3D, sunburst, …). Neither needs eval.
export const PLOTLY_CARTESIAN_TYPES = new Set(['bar', 'box', 'contour', 'heatmap', 'histogram', 'histogram2d', 'histogram2dcontour', 'image', 'pie', 'scatter', 'scatterternary', 'violin']);
const SCRIPTS = {
  'vega-lite': ['vega.js'],
  plotly: ['style-shim.js', 'plotly.min.js', 'plotly-renderer.js'],
  'plotly-cartesian': ['style-shim.js', 'plotly-cartesian.min.js', 'plotly-renderer.js'],
};

/** The files a chart of `kind` with this spec needs, in order. Pure. */
export function chartScripts(kind, spec) {
  if (kind !== 'plotly') return SCRIPTS[kind];
  const traces = [...(Array.isArray(spec?.data) ? spec.data : [])];
  for (const f of Array.isArray(spec?.frames) ? spec.frames : []) if (Array.isArray(f?.data)) traces.push(...f.data);
  const cartesian = traces.every((t) => PLOTLY_CARTESIAN_TYPES.has(t?.type ?? 'scatter'));
  return SCRIPTS[cartesian ? 'plotly-cartesian' : 'plotly'];
}

// Where dist/charts/ is: next to the folder of the chunk this module is bundled
// into (dist/assets/ for the app, dist/embed/ for code-interpreter.js).
// Written so that Vite does not take it for an asset to bundle.
const HERE = import.meta.url;
let chartsBase = new URL('../charts/', HERE).href;
/** Sets where the renderer files are (tests, the dev page). */
export function setChartsBase(url) { chartsBase = new URL(url, document.baseURI).href; }

const LOAD_TIMEOUT_MS = 60000;
const sources = new Map(); // url → Promise<Blob>

function fetchScript(name) {
  const url = new URL(name, chartsBase).href;
  if (!sources.has(url)) {
    const p = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return new Blob([await r.arrayBuffer()], { type: 'text/javascript' });
    }).catch((e) => {
      sources.delete(url); // a later chart may try again (back online)
      throw Object.assign(new Error(`Could not load the chart library ${name} (${e?.message ?? e}; offline before it was cached?)`), { code: 'library_unavailable' });
    });
    sources.set(url, p);
  }
  return sources.get(url);
}

/** {kind, spec} of a chart output ({mime, data: JSON text}), or throws with a message for the user. Pure. */
export function chartSpec(output) {
  const kind = CHART_KIND[output?.mime];
  if (!kind) throw new Error(`Not a chart: ${output?.mime}`);
  const data = output.data;
  if (typeof data === 'string' && data.length > SPEC_MAX_CHARS) throw new Error('The chart is too large to draw here.');
  let spec;
  try {
    spec = typeof data === 'string' ? JSON.parse(data) : data;
  } catch (e) {
    throw new Error(`The chart's JSON is not valid (${e.message}).`);
  }
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new Error('The chart is not a JSON object.');
  return { kind, spec };
}

/** Checks a frame's answer to an export; returns {mime, bytes} or throws. Pure. */
export function checkExport(format, m) {
  const mime = EXPORT_MIME[format];
  if (!mime) throw Object.assign(new Error(`Unknown image format "${format}".`), { code: 'bad_format' });
  if (!m || m.mime !== mime) throw Object.assign(new Error(`The chart answered ${m?.mime ?? 'nothing'} for ${format}.`), { code: 'bad_export' });
  if (!(m.bytes instanceof ArrayBuffer) || m.bytes.byteLength === 0 || m.bytes.byteLength > EXPORT_MAX_BYTES) {
    throw Object.assign(new Error('The chart image is empty or too large.'), { code: 'bad_export' });
  }
  const head = new Uint8Array(m.bytes, 0, Math.min(256, m.bytes.byteLength));
  const ok = format === 'png'
    ? [0x89, 0x50, 0x4e, 0x47].every((b, i) => head[i] === b)
    : /<svg[\s>]/.test(new TextDecoder().decode(head));
  if (!ok) throw Object.assign(new Error(`The chart image is not a ${format.toUpperCase()}.`), { code: 'bad_export' });
  return { mime, bytes: m.bytes };
}

/** The frame height the page accepts for a reported one. Pure. */
export const clampHeight = (h) => Math.max(40, Math.min(MAX_FRAME_HEIGHT, Math.round(Number(h) || 0)));

export class ChartHost {
  constructor({ container, kind, spec, theme = 'light', onState = () => {} }) {
    if (!SCRIPTS[kind]) throw new Error(`Unknown chart kind ${kind}`);
    Object.assign(this, { container, kind, spec, theme, onState });
    this.iframe = null;
    this.port = null;
    this.pending = new Map(); // export id → {resolve, reject, format}
    this.nextId = 1;
    this.destroyed = false;
    this.state = { status: 'loading' };
  }

  setState(patch) {
    this.state = { ...this.state, ...patch };
    if (!this.destroyed) this.onState(this.state);
  }

  fail(code, message) {
    this.setState({ status: 'failed', error: { code, message } });
  }

  async start() {
    const doc = this.container.ownerDocument;
    const win = doc.defaultView;
    const scripts = Promise.all(chartScripts(this.kind, this.spec).map(fetchScript));
    scripts.catch(() => {}); // awaited below
    const iframe = await createChartFrame(doc, { dark: this.theme === 'dark', title: this.kind === 'plotly' ? 'Plotly chart' : 'Vega-Lite chart' });
    if (this.destroyed) return;
    this.iframe = iframe;
    let loads = 0;
    iframe.addEventListener('load', () => {
      loads += 1;
      // The srcdoc is the one load: any later one is the frame navigating
      // (which the runtime's link guard should have stopped). Remove it.
      if (loads > 1) {
        this.fail('navigated', 'The chart tried to open a link; it was stopped.');
        this.destroy();
      }
    });
    const ready = new Promise((resolve, reject) => {
      const onMessage = (event) => {
        if (event.source !== iframe.contentWindow || event.data !== CHART_MSG.READY || !event.ports?.[0]) return;
        win.removeEventListener('message', onMessage);
        resolve(event.ports[0]);
      };
      win.addEventListener('message', onMessage);
      this.unlisten = () => win.removeEventListener('message', onMessage);
      setTimeout(() => reject(Object.assign(new Error('The chart frame did not start.'), { code: 'frame_timeout' })), LOAD_TIMEOUT_MS);
    });
    ready.catch(() => {});
    this.container.replaceChildren(iframe);
    try {
      this.port = await ready;
      this.port.onmessage = (event) => this.onMessage(event.data || {});
      const blobs = await scripts;
      if (this.destroyed) return;
      this.port.postMessage({ type: CHART_MSG.LOAD, scripts: blobs });
      // A spec that makes the library work forever (a huge sequence, say)
      // gets a clear word and loses its frame instead of a spinner for ever.
      this.drawTimer = setTimeout(() => {
        if (this.state.status !== 'loading') return;
        this.fail('draw_timeout', `The chart was not drawn within ${LOAD_TIMEOUT_MS / 1000} s; it was stopped.`);
        this.destroy();
      }, LOAD_TIMEOUT_MS);
    } catch (e) {
      this.fail(e.code ?? 'load_failed', e.message);
    }
  }

  onMessage(m) {
    if (this.destroyed) return;
    switch (m.type) {
      case CHART_MSG.LOADED:
        this.port.postMessage({ type: CHART_MSG.RENDER, spec: this.spec, theme: this.theme });
        break;
      case CHART_MSG.RENDERED:
        this.setState({ status: 'rendered', marks: Number(m.marks) || 0, error: undefined, timings: m.timings && typeof m.timings === 'object' ? { loaded: Number(m.timings.loaded) || 0, render: Number(m.timings.render) || 0 } : undefined });
        break;
      case CHART_MSG.SIZE:
        if (this.iframe) this.iframe.style.height = `${clampHeight(m.height)}px`;
        this.setState({ height: clampHeight(m.height) });
        break;
      case CHART_MSG.EXPORTED:
      case CHART_MSG.FAILED: {
        const waiting = this.pending.get(m.id);
        if (waiting) {
          this.pending.delete(m.id);
          if (m.type === CHART_MSG.FAILED) waiting.reject(Object.assign(new Error(String(m.error?.message ?? 'export failed')), { code: 'export_failed' }));
          else {
            try { waiting.resolve(checkExport(waiting.format, m)); } catch (e) { waiting.reject(e); }
          }
        } else if (m.type === CHART_MSG.FAILED) {
          this.fail(String(m.error?.code ?? 'render_failed'), String(m.error?.message ?? 'The chart could not be drawn.').slice(0, 500));
        }
        break;
      }
      default:
        break;
    }
  }

  setTheme(theme) {
    if (theme === this.theme) return;
    this.theme = theme;
    if (this.state.status === 'rendered') this.port?.postMessage({ type: CHART_MSG.THEME, theme });
  }

  /** The chart as PNG or SVG bytes, checked (see checkExport). */
  exportImage(format) {
    if (!this.port || this.state.status !== 'rendered') return Promise.reject(Object.assign(new Error('The chart is not drawn.'), { code: 'not_ready' }));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, format });
      this.port.postMessage({ type: CHART_MSG.EXPORT, id, format });
      setTimeout(() => {
        if (this.pending.delete(id)) reject(Object.assign(new Error('The chart did not answer.'), { code: 'export_timeout' }));
      }, LOAD_TIMEOUT_MS);
    });
  }

  destroy() {
    this.destroyed = true;
    clearTimeout(this.drawTimer);
    this.unlisten?.();
    this.port?.close();
    this.iframe?.remove();
    for (const w of this.pending.values()) w.reject(Object.assign(new Error('The chart was closed.'), { code: 'closed' }));
    this.pending.clear();
  }
}
