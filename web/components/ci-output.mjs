// One rich output of a run. Nothing from Python reaches the page's DOM as
// markup: images go in <img> (PNG/JPEG/SVG as data: URLs, so an SVG's
// scripts never run), HTML sanitized into an <iframe sandbox> without
// allow-scripts (tables in it are also shown as a plain table, built from
// the cells' text), markdown through the same sanitizer as the chat, the
// rest as text. The sanitizer is in the lazy markdown chunk
// (app/markdown-lazy.mjs): until it has loaded, markdown shows as text and
// an HTML frame waits (nothing unsanitized is ever shown).
import { LitElement, html, nothing } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { base, code, prose, table } from './theme.mjs';
import { markdownNow, loadMarkdown } from '../app/markdown-lazy.mjs';
import { quietHtml } from '../app/quiet-html.mjs';
import { css } from 'lit';

// Explorable outputs: their renderers are lazy chunks, loaded only when an
// output needs them (a grid for tables; Vega-Lite and Plotly in a frame that
// reaches nothing). Until the chunk has loaded the text fallback shows.
export const TABLE_MIME = 'application/vnd.dataresource+json';
export const CHART_MIMES = new Set(['application/vnd.vegalite.v5+json', 'application/vnd.vegalite.v4+json', 'application/vnd.plotly.v1+json']);
const lazy = {
  table: () => import('./ci-table.mjs'),
  chart: () => import('./ci-chart.mjs'),
};
const loaded = new Map(); // kind → Promise

const svgUrls = new Map(); // svg text → data: URL (kept: outputs re-render often)

// A data: URL, not a blob: one: a blob URL has the app's origin, so a
// user opening the image on its own ("Open image in new tab") would run
// the SVG's scripts as the app; a data: document has an opaque origin.
// As an <img>, an SVG runs no script and loads nothing either way.
function svgUrl(text) {
  let url = svgUrls.get(text);
  if (!url) {
    const bytes = new TextEncoder().encode(text);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    url = `data:image/svg+xml;base64,${btoa(bin)}`;
    if (svgUrls.size > 200) svgUrls.delete(svgUrls.keys().next().value);
    svgUrls.set(text, url);
  }
  return url;
}

/** The first <table> of an HTML text as {head: string[], rows: string[][]} (text only), or null. */
export function tableFromHtml(markup, maxRows = 500) {
  if (!/<table[\s>]/i.test(markup)) return null;
  // DOMParser documents are inert: no script runs, no image loads.
  const doc = new DOMParser().parseFromString(quietHtml(markup), 'text/html'); // quietHtml: no CSP reports for pandas' <style>
  const t = doc.querySelector('table');
  if (!t) return null;
  const rowsOf = (sel) => [...t.querySelectorAll(sel)].map((tr) => [...tr.children].map((c) => c.textContent.trim()));
  let head = rowsOf('thead tr');
  let rows = rowsOf('tbody tr');
  if (!rows.length) {
    const all = rowsOf('tr');
    head = all.slice(0, 1);
    rows = all.slice(1);
  }
  const total = rows.length;
  return { head: head.at(-1) ?? [], rows: rows.slice(0, maxRows), total };
}

export class CiOutput extends LitElement {
  static properties = { output: { attribute: false }, showHtml: { state: true }, lazyError: { state: true } };

  static styles = [base, code, prose, table, css`
    :host { display: block; margin: 0.4rem 0; }
    img { max-width: 100%; height: auto; display: block; border-radius: 8px; background: #fff; }
    iframe { width: 100%; height: 16rem; border: 1px solid var(--ci-border); border-radius: 8px; background: #fff; display: block; resize: vertical; }
    pre.text { white-space: pre-wrap; }
    .bar { display: flex; justify-content: space-between; align-items: center; margin-top: 0.3rem; font-size: 0.75rem; }
    .bar button { font-size: 0.75rem; padding: 0.15rem 0.5rem; }
  `];

  render() {
    const o = this.output;
    if (!o) return nothing;
    if (o.mime === TABLE_MIME) return this.renderLazy('table', html`<ci-table .output=${o}></ci-table>`, o);
    if (CHART_MIMES.has(o.mime)) return this.renderLazy('chart', html`<ci-chart .output=${o}></ci-chart>`, o);
    switch (o.mime) {
      case 'image/png':
      case 'image/jpeg':
      case 'image/gif':
      case 'image/webp':
        return html`<img src="data:${o.mime};base64,${o.data}" alt="Image output">`;
      case 'image/svg+xml':
        return html`<img src=${svgUrl(o.data)} alt="SVG image output">`;
      case 'text/html':
        return this.renderHtml(o.data);
      case 'text/markdown':
        return this.withMarkdown((md) => html`<div class="prose">${unsafeHTML(md.renderMarkdown(o.data))}</div>`, html`<pre class="text">${o.data}</pre>`);
      case 'application/json': {
        let text = o.data;
        try { text = JSON.stringify(JSON.parse(o.data), null, 2); } catch { /* show as is */ }
        return html`<pre class="text">${text}</pre>`;
      }
      default:
        return html`<pre class="text">${o.data}</pre>`;
    }
  }

  // The element once its chunk is defined; its text fallback until then (or
  // with a clear word if the chunk cannot load, e.g. offline before caching).
  renderLazy(kind, element, o) {
    const tag = kind === 'table' ? 'ci-table' : 'ci-chart';
    if (customElements.get(tag)) return element;
    if (!loaded.has(kind)) loaded.set(kind, lazy[kind]());
    loaded.get(kind).then(() => this.requestUpdate(), (e) => {
      loaded.delete(kind); // a later output may try again
      this.lazyError = `The ${kind} viewer could not load (${e?.message ?? e}); showing text.`;
    });
    return html`${this.lazyError ? html`<p class="muted" role="status">${this.lazyError}</p>` : nothing}<pre class="text">${o.text ?? ''}</pre>`;
  }

  // `render(md)` once the markdown chunk (with the sanitizers) has loaded;
  // `meanwhile` until then, and for good if it cannot load.
  withMarkdown(render, meanwhile) {
    const md = markdownNow();
    if (md) return render(md);
    loadMarkdown().then(() => this.requestUpdate(), () => { this.markdownFailed = true; this.requestUpdate(); });
    return meanwhile;
  }

  renderHtml(markup) {
    const t = this.showHtml ? null : tableFromHtml(markup);
    // Sanitized first (sanitizeHtmlOutput: nothing that fetches without a
    // click); no scripts; links may open a new tab of their own.
    if (!t) {
      return this.withMarkdown((md) => html`<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" title="HTML output (sandboxed, no scripts)" .srcdoc=${md.sanitizeHtmlOutput(markup)}></iframe>`,
        this.markdownFailed ? html`<pre class="text">${markup}</pre>` : html`<p class="muted" role="status">Loading the HTML output…</p>`);
    }
    return html`
      <div class="table-wrap">
        <table class="data">
          ${t.head.length ? html`<thead><tr>${t.head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>` : nothing}
          <tbody>${t.rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
        </table>
      </div>
      <div class="bar muted">
        <span>${t.total > t.rows.length ? `${t.rows.length} of ${t.total} rows` : `${t.total} row${t.total === 1 ? '' : 's'}`}</span>
        <button type="button" @click=${() => { this.showHtml = true; }}>Show as HTML</button>
      </div>`;
  }
}
customElements.define('ci-output', CiOutput);
