// The files panel: what is in /mnt/data (name, size, type, and which upload
// or cell made it), a preview (CSV head as a table, images, text), download
// one or all (zip), delete, and how much of this device's storage is used.
// Previews show file bytes as text nodes or <img> (SVG from a blob URL).
import { LitElement, html, css, nothing } from 'lit';
import { base, table } from './theme.mjs';
import { icon } from './icons.mjs';
import { formatBytes, parseCsvHead, previewKind, baseName } from '../app/files.mjs';

export class CiFiles extends LitElement {
  static properties = { app: { attribute: false }, vm: { attribute: false }, selected: { type: String }, tick: { type: Number } };

  static styles = [base, table, css`
    :host { display: flex; flex-direction: column; min-height: 0; background: var(--ci-panel); }
    header { display: flex; align-items: center; gap: 0.4rem; padding: 0.75rem 0.75rem 0.5rem 1rem; }
    h2 { font-size: 0.95rem; margin: 0; flex: 1; }
    .scroll { overflow-y: auto; flex: 1; padding: 0 0.75rem 0.75rem; }
    ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 2px; }
    li { border-radius: 8px; }
    li[aria-current='true'] { background: var(--ci-bg-sunk); }
    .file { display: flex; align-items: center; gap: 0.5rem; padding: 0.4rem 0.4rem 0.4rem 0.5rem; }
    .file .open { flex: 1; min-width: 0; text-align: left; border: 0; padding: 0; display: block; background: none; }
    .file .open:hover { background: none; }
    .name { font-weight: 500; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; display: block; font-size: 0.875rem; }
    .sub { font-size: 0.75rem; color: var(--ci-muted); display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .file button.icon { font-size: 0.85rem; }
    .drop { border: 1.5px dashed var(--ci-border); border-radius: 10px; padding: 1rem; text-align: center; color: var(--ci-muted); font-size: 0.8125rem; margin: 0.25rem 0 0.75rem; line-height: 1.5; }
    .drop button { margin-top: 0.5rem; }
    .preview { margin: 0.25rem 0 0.75rem; }
    .preview h3 { font-size: 0.8125rem; margin: 0.5rem 0; display: flex; gap: 0.4rem; align-items: center; }
    .preview h3 span { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .preview img { max-width: 100%; border-radius: 8px; background: #fff; display: block; }
    .preview pre { white-space: pre-wrap; word-break: break-word; font-family: var(--ci-mono); font-size: 0.75rem; max-height: 20rem; overflow: auto; background: var(--ci-bg); border: 1px solid var(--ci-border); border-radius: 8px; padding: 0.5rem; margin: 0; }
    footer { padding: 0.6rem 1rem; border-top: 1px solid var(--ci-border); font-size: 0.75rem; color: var(--ci-muted); }
    footer button.link { border: 0; background: none; padding: 0.2rem 0; color: var(--ci-accent); text-decoration: underline; font-size: 0.75rem; cursor: pointer; }
    meter { width: 100%; height: 6px; }
  `];

  constructor() {
    super();
    this.urls = new Map(); // path@version → blob URL for image previews
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  origin(f) {
    if (f.origin === 'upload') return 'uploaded';
    const cell = this.vm.items.find((i) => i.kind === 'cell' && i.exec.exec_id === f.exec_id);
    return cell ? `made by cell ${cell.exec.execution_count}` : 'made by code';
  }

  imageUrl(f) {
    const key = `${f.path}@${f.version}`;
    let url = this.urls.get(key);
    if (!url) {
      url = URL.createObjectURL(new Blob([this.app.readFile(f.path)], { type: f.media_type }));
      this.urls.set(key, url);
    }
    return url;
  }

  renderPreview(f) {
    const kind = previewKind(f.path, f.media_type);
    let body;
    if (kind === 'image') body = html`<img src=${this.imageUrl(f)} alt="Preview of ${f.path}">`;
    else if (kind === 'table' || kind === 'text') {
      const bytes = this.app.readFile(f.path) ?? new Uint8Array();
      const text = new TextDecoder().decode(bytes.subarray(0, 256 * 1024));
      if (kind === 'table') {
        const rows = parseCsvHead(text, { maxRows: 21 });
        const [head = [], ...rest] = rows;
        body = html`<div class="table-wrap"><table class="data" aria-label="First rows of ${f.path}">
          <thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
          <tbody>${rest.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table></div>
          <p class="sub">First ${rest.length} rows</p>`;
      } else body = html`<pre>${text.slice(0, 20000)}${text.length > 20000 ? '\n…' : ''}</pre>`;
    } else body = html`<p class="sub">No preview for ${f.media_type || 'this type'}.</p>`;
    return html`<div class="preview" aria-label="Preview">
      <h3><span>${f.path}</span><button type="button" class="icon" aria-label="Close preview" @click=${() => { this.selected = ''; }}>${icon('x', 14)}</button></h3>
      ${body}
    </div>`;
  }

  render() {
    const vm = this.vm;
    if (!vm) return nothing;
    const files = vm.files;
    const sel = files.find((f) => f.path === this.selected);
    const total = files.reduce((n, f) => n + f.size, 0);
    return html`
      <header>
        <h2 id="files-title">Files <span class="muted">${files.length ? `· ${files.length}` : ''}</span></h2>
        <button type="button" @click=${() => this.app.downloadAll()} ?disabled=${!files.length} title="Download every file as a .zip">${icon('download', 14)} All (.zip)</button>
        <button type="button" class="icon" aria-label="Close files" @click=${() => this.emit('close-files')}>${icon('x')}</button>
      </header>
      <div class="scroll">
        <div class="drop">Drop files here, paste them, or
          <div><button type="button" @click=${() => this.emit('pick-files')}>Upload files</button></div>
          <div>They live in <code>/mnt/data</code> for Python.</div></div>
        ${sel ? this.renderPreview(sel) : nothing}
        <ul aria-labelledby="files-title">
          ${files.map((f) => html`<li aria-current=${String(f.path === this.selected)} data-path=${f.path}>
            <div class="file">
              <button type="button" class="open" @click=${() => { this.selected = f.path; }} title="Preview ${f.path}">
                <span class="name">${f.path}</span>
                <span class="sub">${formatBytes(f.size)} · ${f.media_type || 'unknown type'} · ${this.origin(f)}</span>
              </button>
              <button type="button" class="icon" aria-label="Download ${baseName(f.path)}" title="Download" @click=${() => this.app.downloadFile(f.path)}>${icon('download')}</button>
              <button type="button" class="icon danger" aria-label="Delete ${baseName(f.path)}" title="Delete" @click=${() => this.confirmDelete(f.path)}>${icon('trash')}</button>
            </div></li>`)}
        </ul>
        ${files.length ? nothing : html`<p class="sub">No files yet.</p>`}
      </div>
      <footer>
        ${files.length ? html`<div>${formatBytes(total)} in this conversation</div>` : nothing}
        ${vm.storage && vm.storage.quota ? html`
          <div>This browser's storage for the app: ${formatBytes(vm.storage.usage)} of ${formatBytes(vm.storage.quota)}</div>
          <meter min="0" max=${vm.storage.quota} value=${vm.storage.usage} aria-label="Storage used"></meter>` : nothing}
        <button type="button" class="link" @click=${() => this.dispatchEvent(new CustomEvent('open-storage', { bubbles: true, composed: true }))}>What uses space on this device</button>
      </footer>`;
  }

  confirmDelete(path) {
    if (confirm(`Delete ${path}? Python will not see it any more.`)) {
      if (this.selected === path) this.selected = '';
      this.app.deleteFile(path);
    }
  }
}
customElements.define('ci-files', CiFiles);
