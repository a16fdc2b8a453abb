// Every message between the page (web/charts/host.mjs) and a chart frame
// (web/charts/frame.mjs's bootstrap, then web/charts/frame-runtime.mjs in the
// frame), as constants both ends import. The frame's inline bootstrap has
// them interpolated as quoted literals (its text, and so its CSP hash, does
// not change with them as long as the strings stay the same).
//
// The conversation (one frame per chart, one private MessageChannel):
//   frame → window.parent (exact origin): READY + [port]        once, nothing else is posted to a window
//   page → frame  LOAD {scripts: Blob[]}      the renderer's library files, run in order from blob: URLs
//   frame → page  LOADED | FAILED {error}
//   page → frame  RENDER {kind, spec, theme}  kind: 'vega-lite' | 'plotly'; spec: the parsed JSON
//   frame → page  RENDERED {marks, width, height} | FAILED {error}
//   frame → page  SIZE {height}               whenever the content's height changes
//   page → frame  THEME {theme}               'light' | 'dark': re-render in that theme
//   page → frame  EXPORT {id, format}         'png' | 'svg'
//   frame → page  EXPORTED {id, mime, bytes: ArrayBuffer} | FAILED {id, error}
// error is the common shape {code, message, detail?}.
export const CHART_MSG = Object.freeze({
  READY: 'ci-chart-ready',
  LOAD: 'chart_load',
  LOADED: 'chart_loaded',
  RENDER: 'chart_render',
  RENDERED: 'chart_rendered',
  SIZE: 'chart_size',
  THEME: 'chart_theme',
  EXPORT: 'chart_export',
  EXPORTED: 'chart_exported',
  FAILED: 'chart_failed',
});

// Mime type of the output → which renderer draws it.
export const CHART_KIND = Object.freeze({
  'application/vnd.vegalite.v5+json': 'vega-lite',
  'application/vnd.vegalite.v4+json': 'vega-lite',
  'application/vnd.plotly.v1+json': 'plotly',
});

// What the page accepts back from a frame for a download: the frame is
// untrusted (a hostile spec may have steered the library), so the page
// checks the mime against the format it asked for and caps the size.
export const EXPORT_MIME = Object.freeze({ png: 'image/png', svg: 'image/svg+xml' });
export const EXPORT_MAX_BYTES = 32 * 1024 * 1024;
// A spec bigger than this is not drawn (the text fallback shows instead).
export const SPEC_MAX_CHARS = 20 * 1024 * 1024;
// The tallest a frame may ask to be (px): a hostile spec cannot make the page endless.
export const MAX_FRAME_HEIGHT = 4000;
