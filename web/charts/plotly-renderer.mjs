// Plotly inside a chart frame (bundled into dist/charts/plotly-renderer.js by
// web/build/charts.mjs; the library itself is loaded before it and leaves the
// global Plotly: plotly.js's cartesian build, or its full "strict" build for
// other traces, both without eval: host.mjs chartScripts chooses). Configured defensively, beside the frame's sandbox and
// CSP:
// - the spec's own config is ignored (showLink, plotlyServerURL, linkText,
//   editable, ...): ours is fixed: no logo, no "edit in Chart Studio" or
//   "send to cloud", no link, not editable, no modebar download (the frame
//   may not download; the page offers PNG and SVG);
// - Plotly's text is its own small markup rendered as SVG text (never HTML);
//   its links are cancelled by the runtime's click guard, and the frame can
//   neither open a window nor navigate the page;
// - images and map tiles by URL are refused by the CSP (img-src data: blob:,
//   connect-src 'none').
import { startChartFrame, dataUrlBytes } from './frame-runtime.mjs';

const Plotly = self.Plotly;
const CONFIG = Object.freeze({
  displaylogo: false,
  showLink: false,
  showSendToCloud: false,
  showEditInChartStudio: false,
  sendData: false,
  linkText: '',
  editable: false,
  responsive: true,
  displayModeBar: 'hover',
  modeBarButtonsToRemove: ['toImage', 'sendDataToCloud', 'editInChartStudio'],
});

const DARK = { paper: '#1b1c1f', font: '#e6e6e6', grid: '#3a3b40' };

/** The figure's layout with dark defaults under what the figure set itself. */
function themed(layout, theme) {
  const l = { ...(layout && typeof layout === 'object' ? layout : {}) };
  if (theme !== 'dark') return l;
  l.paper_bgcolor ??= DARK.paper;
  l.plot_bgcolor ??= DARK.paper;
  l.font = { color: DARK.font, ...(l.font ?? {}) };
  for (const key of Object.keys(l).filter((k) => /^[xy]axis\d*$/.test(k)).concat(['xaxis', 'yaxis'])) {
    l[key] = { gridcolor: DARK.grid, zerolinecolor: DARK.grid, ...(l[key] ?? {}) };
  }
  return l;
}

let gd = null;

startChartFrame({
  async render(el, spec, theme) {
    if (typeof Plotly?.newPlot !== 'function') throw new Error('Plotly did not load.');
    if (gd) Plotly.purge(gd);
    el.replaceChildren();
    gd = document.createElement('div');
    el.appendChild(gd);
    const figure = spec && typeof spec === 'object' ? spec : {};
    await Plotly.newPlot(gd, {
      data: Array.isArray(figure.data) ? figure.data : [],
      layout: themed(figure.layout, theme),
      frames: Array.isArray(figure.frames) ? figure.frames : undefined,
      config: CONFIG,
    });
    // What was drawn: points, bars, slices, lines, …
    const marks = gd.querySelectorAll('.point, .bars path, .slice, .js-line, .heatmaplayer image, .trace, .sunburstlayer path').length;
    return { marks };
  },
  async exportImage(format) {
    if (!gd) throw new Error('Nothing is drawn yet.');
    if (format !== 'png' && format !== 'svg') throw new Error(`Unknown format ${format}`);
    const url = await Plotly.toImage(gd, { format, scale: format === 'png' ? 2 : 1 });
    return { mime: format === 'png' ? 'image/png' : 'image/svg+xml', bytes: dataUrlBytes(url) };
  },
});
