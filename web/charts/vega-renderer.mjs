// Vega-Lite inside a chart frame (bundled with vega, vega-lite, vega-embed
// and vega-interpreter into dist/charts/vega.js by web/build/charts.mjs).
// Vega itself is configured to reach nothing, beside the frame's CSP:
// - a loader that refuses every URL (url data, image marks, href links,
//   config or patch files by URL): load, sanitize, http and file all reject;
// - expressions parsed to an AST and run by vega-interpreter (ast: true), so
//   no spec text ever becomes code through Function/eval (the frame has no
//   'unsafe-eval' either), and the interpreter has no access to globals;
// - the spec's usermeta.embedOptions are dropped (vega-embed would merge them
//   over ours: actions menu, ast off, a loader, a patch);
// - no actions menu (its "Open in Vega Editor" posts the spec elsewhere):
//   the page offers the downloads;
// - tooltips through vega-tooltip's default sanitizer (text, escaped).
import embed from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import { startChartFrame, dataUrlBytes } from './frame-runtime.mjs';

const refuse = (what) => () => Promise.reject(new Error(`Charts load nothing by URL (${what} refused).`));
const loader = { load: refuse('load'), sanitize: refuse('link'), http: refuse('http'), file: refuse('file') };

let view = null;

/** Every item of the scenegraph that is not a group: what the chart drew. */
function countMarks(node) {
  let n = 0;
  const items = node?.items ?? [];
  for (const item of items) {
    if (node.marktype !== 'group') n += 1;
    for (const child of item.items ?? []) n += countMarks(child);
  }
  return n;
}

startChartFrame({
  async render(el, spec, theme) {
    view?.finalize();
    view = null;
    const clean = { ...spec };
    if (clean.usermeta && typeof clean.usermeta === 'object') {
      clean.usermeta = { ...clean.usermeta };
      delete clean.usermeta.embedOptions;
    }
    const result = await embed(el, clean, {
      mode: 'vega-lite',
      renderer: 'svg',
      actions: false,
      ast: true,
      expr: expressionInterpreter,
      loader,
      theme: theme === 'dark' ? 'dark' : undefined,
      // vega-embed's own <style> (the shim in frame-runtime.mjs adopts it).
      defaultStyle: true,
      logLevel: 1, // errors only: Altair's v5 schema under Vega-Lite 6 is a warning each time
    });
    view = result.view;
    await view.runAsync();
    return { marks: countMarks(view.scenegraph().root) };
  },
  async exportImage(format) {
    if (!view) throw new Error('Nothing is drawn yet.');
    if (format === 'svg') return { mime: 'image/svg+xml', bytes: new TextEncoder().encode(await view.toSVG()).buffer };
    if (format === 'png') return { mime: 'image/png', bytes: dataUrlBytes(await view.toImageURL('png', 2)) };
    throw new Error(`Unknown format ${format}`);
  },
});
