// <ci-table .output=${{mime, data, text}}>: a table output
// (application/vnd.dataresource+json) as a grid the user explores: sort by a
// column (click or Enter on its header), filter (words anywhere in a row),
// scroll 100,000 rows, copy (the active cell with Ctrl+C, the rows shown with
// "Copy"), download what is shown as CSV, full screen. A lazy chunk of its
// own (ci-output.mjs imports it when the first table appears).
//
// Rules:
// - Cells are text: every value reaches the DOM as a text node or an
//   attribute value through Lit bindings, never as markup.
// - Only the rows in view are in the DOM (fixed row height, ROW_PX), so the
//   DOM stays ~50 rows whatever the table's size. Sizes and offsets are set
//   through CSSOM (element.style), which the app's CSP (style-src 'self')
//   allows; no style attribute is ever written.
// - Sorting, filtering and building CSV / TSV run in time slices
//   (table/work.mjs), so no task holds the main thread for long
//   (bench/table.mjs measures it with a PerformanceObserver for long tasks).
// - Keyboard: the grid is one tab stop (aria-activedescendant names the
//   active cell); arrows, Page Up/Down, Home/End (Ctrl: first/last row),
//   Enter or Space on a header sorts, Ctrl+C copies the cell. The header row
//   and rows carry aria-rowindex out of aria-rowcount, so a screen reader
//   says where it is in the whole table.
import { LitElement, html, css, nothing } from 'lit';
import { base } from './theme.mjs';
import { icon } from './icons.mjs';
import { saveBytes, safeFileName } from '../app/files.mjs';
import { cellText, valueAt, sortRows, rowTexts, filterRows, tableText, identity, isNumericColumn } from './table/model.mjs';
import { loadTable } from './table/load.mjs';
import { SlicedWork, CANCELLED } from './table/work.mjs';

export const ROW_PX = 28; // keep in step with .row's height below
const OVERSCAN = 8;
const DEFAULT_VISIBLE = 16;
const fmt = (n) => n.toLocaleString('en-US');

let tableCount = 0;

export class CiTable extends LitElement {
  static properties = {
    output: { attribute: false },
    full: { state: true },
    first: { state: true },
    active: { state: true },
    busy: { state: true },
    message: { state: true },
    query: { state: true },
    sort: { state: true },
    view: { state: true },
    table: { state: true },
    error: { state: true },
  };

  static styles = [base, css`
    :host { display: block; font-size: 0.8125rem; }
    .frame { border: 1px solid var(--ci-border); border-radius: 8px; background: var(--ci-bg); overflow: hidden; display: flex; flex-direction: column; }
    .bar { display: flex; gap: 0.4rem; align-items: center; padding: 0.3rem 0.4rem; border-bottom: 1px solid var(--ci-border); background: var(--ci-bg-soft); flex-wrap: wrap; }
    .bar .title { font-weight: 600; margin-right: auto; padding-left: 0.2rem; overflow-wrap: anywhere; }
    .bar input { padding: 0.2rem 0.45rem; font-size: 0.8125rem; width: 12rem; max-width: 100%; }
    .bar button { font-size: 0.75rem; padding: 0.2rem 0.5rem; }
    .grid { overflow: auto; max-height: 24rem; position: relative; outline: none; }
    .grid:focus-visible { outline: 2px solid var(--ci-accent); outline-offset: -2px; }
    .row { display: grid; grid-template-columns: var(--ci-cols, repeat(auto-fill, 10rem)); height: 28px; width: max-content; min-width: 100%; }
    .head { position: sticky; top: 0; z-index: 1; background: var(--ci-bg-soft); border-bottom: 1px solid var(--ci-border); font-weight: 600; }
    .cell { padding: 0 0.5rem; line-height: 28px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; border-right: 1px solid var(--ci-border); }
    .cell.num { text-align: right; font-variant-numeric: tabular-nums; }
    .cell.empty { color: var(--ci-muted); }
    .head .cell { cursor: pointer; user-select: none; }
    .head .cell:hover { background: var(--ci-bg-sunk); }
    .body .row.odd { background: var(--ci-panel); }
    .grid:focus .cell.active { outline: 2px solid var(--ci-accent); outline-offset: -2px; } /* the active cell shows while the grid has the focus */
    .sizer { position: relative; }
    .window { position: absolute; top: 0; left: 0; min-width: 100%; will-change: transform; }
    .foot { display: flex; gap: 0.6rem; align-items: center; padding: 0.25rem 0.5rem; border-top: 1px solid var(--ci-border); color: var(--ci-muted); font-size: 0.75rem; min-height: 1.6rem; }
    .foot .spacer { flex: 1; }
    .none { padding: 0.6rem; color: var(--ci-muted); }
    dialog.full { width: 100vw; height: 100dvh; max-width: none; max-height: none; margin: 0; padding: 0.5rem; border: 0; background: var(--ci-bg); color: var(--ci-text); }
    dialog.full[open] { display: flex; flex-direction: column; }
    dialog.full .frame { flex: 1; min-height: 0; }
    dialog.full .grid { max-height: none; flex: 1; }
    dialog::backdrop { background: rgb(0 0 0 / 35%); }
    pre.fallback { white-space: pre-wrap; font-family: var(--ci-mono); margin: 0; }
  `];

  constructor() {
    super();
    this.uid = `t${++tableCount}`;
    this.work = new SlicedWork(); // sort + filter (a newer one cancels the older)
    this.exportWork = new SlicedWork(); // copy / CSV
    this.reset();
    this.full = false;
    this.message = '';
  }

  reset() {
    this.table = null;
    this.error = '';
    this.order = null; // row indexes sorted by `sortedFor`
    this.sortedFor = '';
    this.numeric = null;
    this.texts = null; // each row's lower-case text, for the filter
    this.view = null; // Uint32Array: the rows shown, in order
    this.sort = { col: -1, dir: 0 };
    this.query = '';
    this.first = 0;
    this.active = { r: 0, c: 0 };
    this.busy = '';
    this.work?.cancel();
    this.exportWork?.cancel();
  }

  willUpdate(changed) {
    if (changed.has('output')) {
      this.reset();
      const output = this.output;
      // Parsed in a worker when large (table/load.mjs); the text fallback
      // shows meanwhile.
      loadTable(output?.data).then((table) => {
        if (this.output !== output) return;
        this.view = identity(table.n);
        this.order = this.view;
        this.widths = columnWidths(table);
        this.table = table;
        this.updateComplete.then(() => this.announce('table-ready'));
      }, (e) => {
        if (this.output === output) this.error = `This table could not be read (${e?.message ?? e}); showing its text.`;
      });
    }
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.work.cancel();
    this.exportWork.cancel();
  }

  get grid() { return this.renderRoot.querySelector('.grid'); }

  updated(changed) {
    const grid = this.grid;
    if (!grid) return;
    if (changed.has('table') && this.widths) {
      this.style.setProperty('--ci-cols', this.widths);
      if (changed.get('table')) grid.scrollTop = 0; // another table in this element: from its top
    }
    const sizer = this.renderRoot.querySelector('.sizer');
    const win = this.renderRoot.querySelector('.window');
    if (sizer) sizer.style.height = `${(this.view?.length ?? 0) * ROW_PX}px`;
    if (win) win.style.transform = `translateY(${this.first * ROW_PX}px)`;
    if (changed.has('full') && changed.get('full') !== undefined) { // not on the first render: never steal the focus
      const dialog = this.renderRoot.querySelector('dialog.full');
      if (this.full && dialog && !dialog.open) dialog.showModal();
      if (this.savedScroll) grid.scrollTop = this.savedScroll;
      grid.focus();
    }
  }

  // ------------------------------------------------------------ view ---

  visibleRows() {
    const h = this.grid?.clientHeight;
    return h ? Math.ceil(h / ROW_PX) : DEFAULT_VISIBLE;
  }

  onScroll(e) {
    const top = e.currentTarget.scrollTop;
    this.savedScroll = top;
    const first = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
    if (first !== this.first) this.first = first;
  }

  /** Sort and filter as asked, in slices; the newest call wins. */
  async refresh() {
    const t = this.table;
    if (!t) return;
    const { col, dir } = this.sort;
    const key = dir ? `${col}:${dir}` : '';
    if (this.sortedFor !== key) {
      this.busy = 'Sorting…';
      const order = dir ? await this.work.run(sortRows(t, col, dir)) : identity(t.n);
      if (order === CANCELLED) return;
      this.order = order;
      this.sortedFor = key;
    }
    let view = this.order;
    if (this.query.trim()) {
      if (!this.texts) {
        this.busy = 'Filtering…';
        const texts = await this.work.run(rowTexts(t));
        if (texts === CANCELLED) return;
        this.texts = texts;
      }
      this.busy = 'Filtering…';
      view = await this.work.run(filterRows(this.texts, this.order, this.query));
      if (view === CANCELLED) return;
    }
    this.view = view;
    this.first = Math.min(this.first, Math.max(0, view.length - this.visibleRows() - OVERSCAN)); // a shorter view: no empty window until the next scroll
    this.busy = '';
    this.active = { r: Math.min(this.active.r, view.length - 1), c: this.active.c };
    const what = dir ? `sorted by ${t.fields[col].name} ${dir > 0 ? 'ascending' : 'descending'}` : '';
    this.message = `${fmt(view.length)} of ${fmt(t.n)} rows${what ? `, ${what}` : ''}`;
    await this.updateComplete;
    this.announce('table-view');
  }

  // Events for the page (and the tests / bench): 'table-ready' once the
  // table is drawn, 'table-view' after each sort / filter is in place.
  announce(type) {
    this.dispatchEvent(new CustomEvent(type, { detail: { rows: this.view?.length ?? 0, sort: { ...this.sort }, query: this.query } }));
  }

  sortBy(col) {
    const { col: c, dir } = this.sort;
    const next = c !== col ? 1 : dir === 1 ? -1 : dir === -1 ? 0 : 1; // ascending → descending → as given
    this.sort = { col: next ? col : -1, dir: next };
    return this.refresh();
  }

  onFilter(e) {
    this.query = e.currentTarget.value;
    clearTimeout(this.filterTimer);
    this.filterTimer = setTimeout(() => this.refresh(), 120); // typing: filter once the keys pause
  }

  // -------------------------------------------------------- keyboard ---

  onKey(e) {
    const t = this.table;
    if (!t) return;
    const rows = this.view.length;
    const cols = t.fields.length;
    let { r, c } = this.active;
    const page = Math.max(1, this.visibleRows() - 2);
    const mod = e.ctrlKey || e.metaKey;
    switch (e.key) {
      case 'ArrowDown': r = Math.min(rows - 1, r + 1); break;
      case 'ArrowUp': r = Math.max(-1, r - 1); break; // -1: the header row
      case 'ArrowRight': c = Math.min(cols - 1, c + 1); break;
      case 'ArrowLeft': c = Math.max(0, c - 1); break;
      case 'PageDown': r = Math.min(rows - 1, r + page); break;
      case 'PageUp': r = Math.max(0, r - page); break;
      case 'Home': if (mod) r = rows ? 0 : -1; c = 0; break;
      case 'End': if (mod) r = rows - 1; c = cols - 1; break;
      case 'Enter':
      case ' ':
        if (r === -1) { e.preventDefault(); this.sortBy(c); }
        return;
      case 'c':
      case 'C':
        if (mod && !e.shiftKey && !e.altKey && !this.getSelectionText()) {
          e.preventDefault();
          this.copyText(r === -1 ? t.fields[c].name : cellText(valueAt(t, this.view[r], c)), 'Copied the cell');
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    this.active = { r, c };
    this.scrollToActive();
  }

  getSelectionText() {
    return String(this.renderRoot.getSelection?.() ?? globalThis.getSelection?.() ?? '');
  }

  scrollToActive() {
    const grid = this.grid;
    const { r } = this.active;
    if (!grid) return;
    const head = ROW_PX;
    if (r < 0) { grid.scrollTop = 0; return; }
    const top = r * ROW_PX;
    const room = grid.clientHeight - head;
    if (top < grid.scrollTop) grid.scrollTop = top;
    else if (top + ROW_PX > grid.scrollTop + room) grid.scrollTop = top + ROW_PX - room;
    this.updateComplete.then(() => this.renderRoot.getElementById?.(this.cellId(this.active.r, this.active.c))
      ?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' }));
  }

  cellId(r, c) { return `${this.uid}-${r < 0 ? 'h' : r}-${c}`; }

  // ---------------------------------------------------- copy, export ---

  async copyText(text, done) {
    try {
      await navigator.clipboard.writeText(text);
      this.message = done;
    } catch (e) {
      this.message = `Copy failed: ${e?.message ?? 'the clipboard is not available here'}`;
    }
  }

  async copyRows() {
    this.busy = 'Copying…';
    const pieces = await this.exportWork.run(tableText(this.table, this.view, 'tsv'));
    this.busy = '';
    if (pieces === CANCELLED) return;
    await this.copyText(pieces.join(''), `Copied ${fmt(this.view.length)} rows (tab-separated)`);
  }

  async downloadCsv() {
    this.busy = 'Preparing CSV…';
    const pieces = await this.exportWork.run(tableText(this.table, this.view, 'csv'));
    this.busy = '';
    if (pieces === CANCELLED) return;
    // A BOM: spreadsheet programs then read the file as UTF-8. The Blob
    // takes the pieces as they are (no one big string on the main thread).
    saveBytes(`${safeFileName(this.table.title, 'table')}.csv`, new Blob(['\ufeff', ...pieces], { type: 'text/csv' }), 'text/csv');
    this.message = `Downloaded ${fmt(this.view.length)} rows as CSV`;
  }

  toggleFull() {
    this.savedScroll = this.grid?.scrollTop ?? 0;
    if (this.full) this.renderRoot.querySelector('dialog.full')?.close();
    else this.full = true;
  }

  // ---------------------------------------------------------- render ---

  render() {
    if (this.error || !this.table) {
      return html`<p class="muted" role=${this.error ? 'alert' : 'status'}>${this.error || 'Loading the table…'}</p><pre class="fallback">${this.output?.text ?? ''}</pre>`;
    }
    const frame = this.renderFrame();
    if (!this.full) return frame;
    // Escape closes the dialog (its default action) and goes no further: the
    // app's Escape would also stop a running turn.
    return html`<dialog class="full" aria-label=${this.table.title || 'Table'} @keydown=${(e) => { if (e.key === 'Escape') e.stopPropagation(); }}
      @close=${() => { this.savedScroll = this.grid?.scrollTop ?? 0; this.full = false; }}>${frame}</dialog>`;
  }

  renderFrame() {
    const t = this.table;
    const view = this.view;
    const label = t.title || 'Table output';
    const count = Math.min(view.length - this.first, Math.max(this.visibleRows(), DEFAULT_VISIBLE) + 2 * OVERSCAN);
    const numeric = this.numeric ??= t.fields.map((_, i) => isNumericColumn(t, i));
    const { r: ar, c: ac } = this.active;
    const rows = [];
    for (let k = 0; k < count; k++) {
      const pos = this.first + k;
      const r = view[pos];
      rows.push(html`<div class="row${pos % 2 ? ' odd' : ''}" role="row" aria-rowindex=${pos + 2}>${t.fields.map((_, c) => {
        const v = valueAt(t, r, c);
        const text = cellText(v);
        return html`<div role="gridcell" id=${this.cellId(pos, c)} aria-colindex=${c + 1} class="cell${numeric[c] ? ' num' : ''}${v === null ? ' empty' : ''}${pos === ar && c === ac ? ' active' : ''}" title=${text.length > 20 ? text.slice(0, 2000) : nothing}>${text}</div>`;
      })}</div>`);
    }
    const sorted = (c) => (this.sort.col === c ? (this.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    const arrow = (c) => (this.sort.col === c ? (this.sort.dir > 0 ? ' ▲' : ' ▼') : '');
    const activeId = view.length || ar < 0 ? this.cellId(ar, ac) : nothing;
    return html`
      <div class="frame">
        <div class="bar">
          <span class="title">${t.title || nothing}</span>
          <input type="search" placeholder="Filter rows" aria-label="Filter rows of ${label}" .value=${this.query} @input=${this.onFilter}>
          <button type="button" @click=${this.copyRows} title="Copy the rows shown (tab-separated, for a spreadsheet)">Copy</button>
          <button type="button" @click=${this.downloadCsv} title="Download the rows shown as CSV">${icon('download', 12)} CSV</button>
          <button type="button" @click=${this.toggleFull} aria-pressed=${String(this.full)}>${this.full ? 'Exit full screen' : 'Full screen'}</button>
        </div>
        <div class="grid" role="grid" tabindex="0" aria-label=${label} aria-rowcount=${view.length + 1} aria-colcount=${t.fields.length}
             aria-activedescendant=${activeId} @scroll=${this.onScroll} @keydown=${this.onKey}>
          <div role="rowgroup">
            <div class="row head" role="row" aria-rowindex="1">${t.fields.map((f, c) => html`<div role="columnheader" id=${this.cellId(-1, c)} aria-colindex=${c + 1} aria-sort=${sorted(c)}
                class="cell${numeric[c] ? ' num' : ''}${ar === -1 && c === ac ? ' active' : ''}" title="Sort by ${f.name}" @click=${() => { this.active = { r: -1, c }; this.sortBy(c); }}>${f.name}${arrow(c)}</div>`)}</div>
          </div>
          <div role="rowgroup" class="sizer body"><div class="window" role="presentation">${rows}</div></div>
          ${view.length ? nothing : html`<div class="none">${t.n ? 'No row matches the filter.' : 'No rows.'}</div>`}
        </div>
        <div class="foot">
          <span role="status" aria-live="polite">${this.busy || this.message || `${fmt(t.n)} rows × ${fmt(t.fields.length)} columns`}</span>
          <span class="spacer"></span>
          ${t.columns > t.fields.length ? html`<span>first ${fmt(t.fields.length)} of ${fmt(t.columns)} columns</span>` : nothing}
          ${t.total > t.shown ? html`<span>first ${fmt(t.shown)} of ${fmt(t.total)} rows (the rest was not sent)</span>` : nothing}
        </div>
      </div>`;
  }
}

/**
 * Column widths (CSS grid tracks) from the header and the first rows' text.
 * In rem, not ch: a ch of the bold header is wider than a body's one.
 */
function columnWidths(t) {
  const n = Math.min(t.n, 200);
  return t.fields.map((f, c) => {
    let w = f.name.length + 2; // room for the sort arrow
    for (let r = 0; r < n; r++) w = Math.max(w, cellText(valueAt(t, r, c)).length);
    w = Math.min(40, Math.max(4, w));
    return `${(w * 0.5 + 1.2).toFixed(1)}rem`;
  }).join(' ');
}

customElements.define('ci-table', CiTable);
