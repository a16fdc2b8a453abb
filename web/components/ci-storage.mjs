// "What uses space on this device" (a modal <dialog>): each conversation
// with its size (and a Delete), the Python snapshot and the cached Python
// packages (each with a Clear: the app makes them again when needed), and
// the browser's own estimate. Opened from the files panel's storage line and
// from the "not saved: storage is full" banner. Sizes come from the
// controller's storageReport(); deleting goes through the controller, which
// then retries a save that failed for lack of space.
import { LitElement, html, css, nothing } from 'lit';
import { base } from './theme.mjs';
import { icon } from './icons.mjs';
import { formatBytes } from '../app/files.mjs';

export class CiStorage extends LitElement {
  static properties = {
    app: { attribute: false },
    report: { state: true },
    busy: { state: true },
  };

  static styles = [base, css`
    dialog { border: 1px solid var(--ci-border); border-radius: 16px; padding: 0; width: min(34rem, calc(100vw - 1.5rem)); max-height: calc(100dvh - 2rem); background: var(--ci-bg); color: var(--ci-text); box-shadow: var(--ci-shadow); }
    dialog::backdrop { background: rgb(0 0 0 / 35%); }
    header { padding: 1rem 1.25rem 0.25rem; display: flex; align-items: center; }
    header h2 { margin: 0; font-size: 1.1rem; flex: 1; }
    .body { padding: 0.25rem 1.25rem 1rem; overflow-y: auto; max-height: calc(100dvh - 9rem); }
    h3 { font-size: 0.8125rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--ci-muted); margin: 1rem 0 0.35rem; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.25rem; }
    li { display: flex; align-items: center; gap: 0.5rem; padding: 0.35rem 0; border-bottom: 1px solid var(--ci-border); font-size: 0.875rem; }
    li .name { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    li .size { color: var(--ci-muted); font-variant-numeric: tabular-nums; }
    p { font-size: 0.875rem; color: var(--ci-muted); margin: 0.5rem 0; }
    footer { display: flex; justify-content: flex-end; gap: 0.5rem; padding: 0.75rem 1.25rem; border-top: 1px solid var(--ci-border); }
  `];

  get dialog() { return this.renderRoot.querySelector('dialog'); }

  async open() {
    this.report = null;
    await this.updateComplete;
    this.dialog.showModal();
    await this.refresh();
  }

  async refresh() {
    this.report = await this.app.storageReport();
  }

  async act(fn) {
    this.busy = true;
    try { await fn(); } finally { this.busy = false; }
    await this.refresh();
  }

  render() {
    const r = this.report;
    const est = r?.estimate;
    return html`<dialog aria-labelledby="storage-title" @close=${() => { this.report = null; }}>
      <header><h2 id="storage-title">What uses space on this device</h2>
        <button type="button" class="icon" aria-label="Close" @click=${() => this.dialog.close()}>${icon('x')}</button></header>
      <div class="body">
        ${!r ? html`<p>Measuring…</p>` : html`
          <h3>Conversations (with their files)</h3>
          ${r.conversations.length ? html`<ul>
            ${[...r.conversations].sort((a, b) => b.bytes - a.bytes).map((c) => html`<li data-conversation=${c.id}>
              <span class="name" title=${c.title || 'Untitled'}>${c.title || 'Untitled'}</span>
              <span class="size">${formatBytes(c.bytes)}${c.files ? ` · ${c.files} file${c.files === 1 ? '' : 's'}` : ''}</span>
              <button type="button" class="icon danger" ?disabled=${this.busy} aria-label="Delete ${c.title || 'Untitled'}" title="Delete"
                @click=${() => confirm(`Delete “${c.title || 'Untitled'}” and its files from this device?`) && this.act(() => this.app.deleteConversation(c.id))}>${icon('trash')}</button>
            </li>`)}</ul>` : html`<p>No saved conversations.</p>`}
          <h3>Made by the app (made again when needed)</h3>
          <ul>
            <li data-cache="snapshot"><span class="name">Python start-up snapshot (makes Python start faster)</span>
              <span class="size">${r.snapshot == null ? 'unknown' : formatBytes(r.snapshot)}</span>
              <button type="button" ?disabled=${this.busy || !r.snapshot} @click=${() => this.act(() => this.app.clearCache('snapshot'))}>Clear</button></li>
            <li data-cache="packages"><span class="name">Python packages kept for offline use${r.packages?.count ? ` (${r.packages.count})` : ''}</span>
              <span class="size">${r.packages == null ? 'unknown' : formatBytes(r.packages.bytes)}</span>
              <button type="button" ?disabled=${this.busy || !r.packages?.bytes} @click=${() => this.act(() => this.app.clearCache('packages'))}>Clear</button></li>
          </ul>
          ${est?.quota ? html`<p>The browser counts ${formatBytes(est.usage ?? 0)} used of the ${formatBytes(est.quota)} it allows this app (its estimate; the app itself also keeps its own files for offline use).</p>` : nothing}`}
      </div>
      <footer><button type="button" @click=${() => this.dialog.close()}>Close</button></footer>
    </dialog>`;
  }
}
customElements.define('ci-storage', CiStorage);
