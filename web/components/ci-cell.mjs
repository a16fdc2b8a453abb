// One execution: its code (highlighted, collapsible, editable and
// re-runnable), live stdout/stderr while it runs, its outputs, the files it
// made, its status and duration. Events: 'run-code' {code} (re-run, or run
// the edited code), 'open-file' {path}.
//
// Collapse rules (like ChatGPT's "show work"): with collapseAfterRun (the
// setting "Collapse code after it runs", on by default) a cell that ran
// without error shows its code as one line ("Show code" + the first line);
// a running cell, an error, a stop or a crash keeps the code open. Once the
// user opens or closes a cell, their choice holds for that cell. Long output
// scrolls inside the cell (a max-height box), so one cell never fills the
// page.
import { LitElement, html, css, nothing } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { base, code } from './theme.mjs';
import { icon } from './icons.mjs';
import { markdownNow, loadMarkdown } from '../app/markdown-lazy.mjs';
import './ci-output.mjs';

const STATUS = {
  running: 'Running', ok: 'Done', error: 'Error', cancelled: 'Stopped', timeout: 'Timed out', crashed: 'Crashed',
};

// Output is shown up to its last SHOWN_TAIL characters: laying out megabytes
// of text (a print flood, a 2 MB line) blocks the main thread for seconds
// (tests/security/dos.test.mjs). The whole text stays in the conversation
// and its exports.
const SHOWN_TAIL = 64 * 1024;

function tailOf(text) {
  if (!text || text.length <= SHOWN_TAIL) return { text, hidden: 0 };
  return { text: text.slice(-SHOWN_TAIL), hidden: text.length - SHOWN_TAIL };
}

function streamBlock(kind, full) {
  const { text, hidden } = tailOf(full);
  if (!text) return nothing;
  const kb = (n) => `${Math.round(n / 1024).toLocaleString()} KB`;
  return html`${hidden ? html`<div class="note">Showing the last ${kb(SHOWN_TAIL)} of ${kb(full.length)} of ${kind} (the full text is in the exports).</div>` : nothing}<pre class="stream ${kind}">${text}</pre>`;
}

function duration(ms) {
  if (!ms && ms !== 0) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export class CiCell extends LitElement {
  static properties = {
    exec: { attribute: false },
    live: { attribute: false },
    busy: { type: Boolean },
    tick: { type: Number },
    collapseAfterRun: { type: Boolean },
    userCollapsed: { state: true }, // null: follow the rule above
    editing: { state: true },
  };

  static styles = [base, code, css`
    :host { display: block; }
    .cell { border: 1px solid var(--ci-border); border-radius: var(--ci-radius); background: var(--ci-bg); overflow: hidden; }
    header { display: flex; align-items: center; gap: 0.5rem; padding: 0.35rem 0.5rem 0.35rem 0.75rem; background: var(--ci-bg-soft); border-bottom: 1px solid var(--ci-border); font-size: 0.8125rem; flex-wrap: wrap; }
    .count { font-family: var(--ci-mono); color: var(--ci-muted); }
    .status { display: inline-flex; align-items: center; gap: 0.3rem; font-weight: 600; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.75rem; }
    .status.ok { color: var(--ci-accent); background: var(--ci-accent-soft); }
    .status.running { color: var(--ci-muted); background: var(--ci-bg-sunk); }
    .status.error, .status.crashed, .status.timeout { color: var(--ci-danger); background: var(--ci-danger-soft); }
    .status.cancelled { color: var(--ci-warn); background: var(--ci-warn-soft); }
    .spacer { flex: 1; }
    header button { font-size: 0.75rem; padding: 0.2rem 0.5rem; }
    .code:not(:last-child) { border-bottom: 1px solid var(--ci-border); }
    .code { padding: 0.6rem 0.8rem; background: var(--ci-code-bg); max-height: 28rem; overflow: auto; }
    textarea { width: 100%; min-height: 8rem; font-family: var(--ci-mono); font-size: 0.8125rem; border-radius: 0; border: 0; border-bottom: 1px solid var(--ci-border); background: var(--ci-code-bg); padding: 0.6rem 0.8rem; resize: vertical; display: block; }
    .edit-bar { display: flex; gap: 0.4rem; justify-content: flex-end; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--ci-border); }
    .body { padding: 0.5rem 0.8rem; display: flex; flex-direction: column; gap: 0.35rem; max-height: min(48rem, 85vh); overflow: auto; }
    .summary { display: flex; width: 100%; gap: 0.6rem; align-items: center; border: 0; border-radius: 0; padding: 0.35rem 0.8rem; background: var(--ci-code-bg); text-align: left; font-size: 0.75rem; }
    .summary:not(:last-child) { border-bottom: 1px solid var(--ci-border); }
    .summary code { font-family: var(--ci-mono); color: var(--ci-muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; flex: 1; }
    .summary .what { color: var(--ci-accent); font-weight: 600; flex: none; }
    .body:empty { display: none; }
    pre.stream { white-space: pre-wrap; word-break: break-word; margin: 0; max-height: 24rem; overflow: auto; }
    pre.stderr, pre.error { color: var(--ci-danger); }
    pre.result { color: var(--ci-text); }
    .out-label { color: var(--ci-muted); font-family: var(--ci-mono); font-size: 0.75rem; flex: none; padding-top: 0.1rem; }
    .result-row { display: flex; gap: 0.6rem; align-items: baseline; }
    .files { display: flex; gap: 0.35rem; flex-wrap: wrap; align-items: center; font-size: 0.8125rem; }
    .files button { font-size: 0.75rem; padding: 0.15rem 0.5rem; border-radius: 999px; }
    .note { font-size: 0.8125rem; color: var(--ci-warn); }
    .pkg { font-size: 0.75rem; color: var(--ci-muted); display: flex; gap: 0.35rem; align-items: center; }
  `];

  constructor() {
    super();
    this.collapseAfterRun = true;
    this.userCollapsed = null;
    this.editing = false;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  startEdit() {
    this.editing = true;
    this.userCollapsed = false;
    this.updateComplete.then(() => this.renderRoot.querySelector('textarea')?.focus());
  }

  runEdited() {
    const code = this.renderRoot.querySelector('textarea').value;
    this.editing = false;
    this.emit('run-code', { code });
  }

  onEditKey(e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || e.shiftKey)) {
      e.preventDefault();
      this.runEdited();
    } else if (e.key === 'Escape') {
      e.stopPropagation();
      this.editing = false;
    }
  }

  /** Whether the code shows as one line now (see the collapse rules at the top). */
  get collapsed() {
    if (this.userCollapsed !== null) return this.userCollapsed;
    return !!this.collapseAfterRun && this.exec?.status === 'ok';
  }

  toggleCode() {
    this.userCollapsed = !this.collapsed;
  }

  willUpdate(changed) {
    // Another execution in this element (a list re-rendered): its own state.
    if (changed.has('exec') && changed.get('exec') && changed.get('exec').exec_id !== this.exec?.exec_id) this.userCollapsed = null;
  }

  /** Highlighted code (escaped by highlight.js); as text until the markdown chunk is loaded (then again). */
  highlighted(source) {
    const md = markdownNow();
    if (md) return unsafeHTML(md.highlight(source));
    loadMarkdown().then(() => this.requestUpdate(), () => {});
    return source ?? '';
  }

  renderCode(x) {
    if (!this.collapsed) return html`<div class="code" id="code"><pre><code class="hljs language-python">${this.highlighted(x.code)}</code></pre></div>`;
    const firstLine = (x.code ?? '').split('\n').find((l) => l.trim()) ?? '';
    const lines = (x.code ?? '').split('\n').length;
    return html`<button type="button" class="summary" aria-expanded="false" aria-controls="code" @click=${this.toggleCode}
      title="Show the code of cell ${x.execution_count}"><span class="what">Show code</span><code>${firstLine}</code><span class="muted">${lines} line${lines === 1 ? '' : 's'}</span></button>`;
  }

  render() {
    const x = this.exec;
    if (!x) return nothing;
    const running = x.status === 'running';
    const live = running ? this.live : null;
    const stdout = live ? live.stdout : x.stdout;
    const stderr = live ? live.stderr : x.stderr;
    const outputs = live ? live.outputs : x.outputs;
    const made = [...new Set([...(x.files?.created ?? []), ...(x.files?.modified ?? [])])];
    const pkgs = live?.packages?.filter((p) => p.state === 'loading' && !live.packages.some((q) => q.name === p.name && q.state !== 'loading')) ?? [];
    const body = [
      pkgs.map((p) => html`<div class="pkg"><span class="spinner" aria-hidden="true"></span>Loading package ${p.name}…</div>`),
      streamBlock('stdout', stdout),
      streamBlock('stderr', stderr),
      (outputs ?? []).map((o) => html`<ci-output .output=${o}></ci-output>`),
      x.result !== null && x.result !== undefined && !running ? html`<div class="result-row"><span class="out-label">Out[${x.execution_count}]:</span><pre class="stream result">${x.result}</pre></div>` : nothing,
      x.error && !running ? html`<pre class="stream error">${x.error.traceback || `${x.error.type}: ${x.error.message}`}</pre>` : nothing,
      x.restarted ? html`<div class="note">Python was restarted: variables were reset, files were kept.</div>` : nothing,
      made.length ? html`<div class="files"><span class="muted">Files:</span>${made.map((p) => html`<button type="button" @click=${() => this.emit('open-file', { path: p })} title="Preview or download ${p}">${icon('file', 12)} ${p}</button>`)}</div>` : nothing,
    ].filter((part) => part !== nothing && !(Array.isArray(part) && !part.length));
    return html`
      <section class="cell" aria-label="Code cell ${x.execution_count}">
        <header>
          <span class="count">In [${running ? '*' : x.execution_count}]</span>
          <span class="status ${x.status}" role="status">${running ? html`<span class="spinner" aria-hidden="true"></span>` : nothing}${STATUS[x.status] ?? x.status}</span>
          ${running ? nothing : html`<span class="muted">${duration(x.duration_ms)}</span>`}
          <span class="muted">${(x.source ?? (x.tool_call_id ? 'tool' : 'user')) === 'user' ? 'by you' : 'by the model'}</span>
          <span class="spacer"></span>
          <button type="button" @click=${this.toggleCode} aria-expanded=${String(!this.collapsed)} aria-controls="code">${this.collapsed ? 'Show code' : 'Hide code'}</button>
          <button type="button" ?disabled=${this.busy} @click=${() => this.startEdit()} title="Edit this code and run it as a new cell">Edit</button>
          <button type="button" ?disabled=${this.busy} @click=${() => this.emit('run-code', { code: x.code })} title="Run this code again">Re-run</button>
        </header>
        ${this.editing ? html`
          <label class="sr-only" for="editor">Code of cell ${x.execution_count}</label>
          <textarea id="editor" spellcheck="false" .value=${x.code} @keydown=${this.onEditKey}></textarea>
          <div class="edit-bar">
            <span class="muted spacer">Ctrl+Enter runs · Esc cancels</span>
            <button type="button" @click=${() => { this.editing = false; }}>Cancel</button>
            <button type="button" class="primary" ?disabled=${this.busy} @click=${this.runEdited}>Run edited code</button>
          </div>` : this.renderCode(x)}
        ${body.length ? html`<div class="body">${body}</div>` : nothing}
      </section>`;
  }
}
customElements.define('ci-cell', CiCell);
