// <code-interpreter>: the whole app. Creates the AppController (or takes
// one as .app), lays out the conversation list, the chat + input box and
// the files panel, and routes UI events to the controller. Uploads come
// from the button, drag and drop anywhere on the app, and paste.
//
// Embedding (web/embed/README.md): attributes provider, base-url, model,
// system-prompt (settings that win over the saved ones, never saved),
// compact (no conversation list), no-persist (conversations in memory, not
// IndexedDB), asset-base (where core/, pyodide/, python/ live; default
// CodeInterpreter.assetBase, set by dist/code-interpreter.js to its own
// folder, else document.baseURI); the property apiKey (never an attribute:
// keys stay out of the DOM); methods addFile, readFile, listFiles, send,
// runCode, cancel; DOM events (bubbling, composed, plain data in detail):
// ci-event (every public event, js_glue/events.mjs), ci-message, ci-cell,
// ci-file, ci-turn, ci-error, ci-ready.
import { LitElement, html, css, nothing } from 'lit';
import { tokens, base } from './theme.mjs';
import { icon } from './icons.mjs';
import { AppController } from '../app/controller.mjs';
import { domEventName } from '../../js_glue/events.mjs';
import './ci-sidebar.mjs';
import './ci-chat.mjs';
import './ci-composer.mjs';
import './ci-files.mjs';
import './ci-settings.mjs';
import './ci-pwa-status.mjs';
import './ci-storage.mjs';
import './ci-consent.mjs';

const WIDE = '(min-width: 1100px)';

export class CodeInterpreter extends LitElement {
  static properties = {
    tick: { state: true },
    sidebarOpen: { state: true },
    filesOpen: { state: true },
    dragging: { state: true },
    mode: { state: true },
    provider: { type: String },
    baseUrl: { type: String, attribute: 'base-url' },
    model: { type: String },
    systemPrompt: { type: String, attribute: 'system-prompt' },
    compact: { type: Boolean },
    noPersist: { type: Boolean, attribute: 'no-persist' },
  };

  /** Where core/, pyodide/ and python/ are (dist/code-interpreter.js sets it to its folder); null: document.baseURI. */
  static assetBase = null;

  static styles = [tokens, base, css`
    :host { display: block; height: 100dvh; background: var(--ci-bg); overflow: hidden; }
    .app { display: flex; height: 100%; position: relative; }
    ci-sidebar, ci-files { flex: none; }
    ci-settings { position: absolute; }
    ci-sidebar { width: 16.5rem; border-right: 1px solid var(--ci-border); }
    ci-files { width: 21rem; border-left: 1px solid var(--ci-border); }
    .app:not(.sidebar-open) ci-sidebar, .app:not(.files-open) ci-files { display: none; }
    main { flex: 1; display: flex; flex-direction: column; min-width: 0; min-height: 0; }
    .bar { display: flex; align-items: center; gap: 0.35rem; padding: 0.5rem 0.75rem; border-bottom: 1px solid var(--ci-border); min-height: 3.25rem; }
    .bar h1 { font-size: 1rem; font-weight: 600; margin: 0 0.25rem; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .bar .count { background: var(--ci-bg-sunk); border-radius: 999px; padding: 0 0.45rem; font-size: 0.75rem; }
    ci-chat { flex: 1; min-height: 0; }
    details.menu { position: relative; }
    details.menu summary { list-style: none; cursor: pointer; display: inline-flex; align-items: center; gap: 0.35rem; border: 1px solid var(--ci-border); border-radius: 8px; padding: 0.35rem 0.7rem; font-size: 0.875rem; }
    details.menu summary::-webkit-details-marker { display: none; }
    details.menu summary:hover { background: var(--ci-bg-sunk); }
    details.menu .items { position: absolute; right: 0; top: calc(100% + 4px); z-index: 20; background: var(--ci-bg); border: 1px solid var(--ci-border); border-radius: 10px; box-shadow: var(--ci-shadow); padding: 0.3rem; display: grid; min-width: 13rem; }
    details.menu .items button { border: 0; justify-content: flex-start; width: 100%; padding: 0.5rem 0.6rem; }
    :host([compact]) ci-sidebar, :host([compact]) .sidebar-toggle { display: none !important; }
    .toasts { position: absolute; right: 1rem; top: 3.75rem; display: grid; gap: 0.5rem; z-index: 50; max-width: min(26rem, calc(100vw - 2rem)); }
    .toast { display: flex; gap: 0.5rem; align-items: flex-start; padding: 0.65rem 0.5rem 0.65rem 0.85rem; border-radius: 10px; box-shadow: var(--ci-shadow); background: var(--ci-bg); border: 1px solid var(--ci-border); font-size: 0.875rem; line-height: 1.45; }
    .toast.error { border-color: color-mix(in srgb, var(--ci-danger) 40%, transparent); color: var(--ci-danger); background: var(--ci-danger-soft); }
    .toast.warning { color: var(--ci-warn); background: var(--ci-warn-soft); }
    .toast span { flex: 1; }
    .drop { position: absolute; inset: 0.5rem; border: 2px dashed var(--ci-accent); border-radius: 16px; background: color-mix(in srgb, var(--ci-accent-soft) 85%, transparent); display: grid; place-items: center; font-size: 1.2rem; font-weight: 600; color: var(--ci-accent); z-index: 40; pointer-events: none; }
    .center { display: grid; place-items: center; height: 100%; color: var(--ci-muted); gap: 0.5rem; text-align: center; padding: 1rem; }
    .center .fatal { color: var(--ci-danger); max-width: 36rem; }
    .loading h2 { color: var(--ci-text); font-size: 1.6rem; margin: 0 0 0.5rem; }
    .loading p { max-width: 34rem; margin: 0.4rem auto; line-height: 1.6; }
    .scrim { display: none; }
    .banner { max-width: 52rem; margin: 0 auto 0.5rem; width: calc(100% - 2rem); display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; padding: 0.55rem 0.75rem; border-radius: 12px; font-size: 0.875rem; border: 1px solid var(--ci-border); background: var(--ci-bg-sunk); }
    .banner span { flex: 1; min-width: 12rem; }
    .banner.unsaved { color: var(--ci-danger); background: var(--ci-danger-soft); border-color: color-mix(in srgb, var(--ci-danger) 40%, transparent); }
    input[type=file] { display: none; }
    @media (max-width: 1099px) {
      ci-sidebar, ci-files { position: absolute; top: 0; bottom: 0; z-index: 30; box-shadow: var(--ci-shadow); }
      ci-sidebar { left: 0; }
      ci-files { right: 0; max-width: 100%; }
      .app.sidebar-open .scrim, .app.files-open .scrim { display: block; position: absolute; inset: 0; background: rgb(0 0 0 / 30%); z-index: 25; }
    }
    @media (max-width: 640px) {
      ci-sidebar { width: min(18rem, 85vw); }
      ci-files { width: 100%; }
      .bar .label { display: none; }
    }
  `];

  constructor() {
    super();
    this.tick = 0;
    this.mode = 'ask';
    const wide = matchMedia(WIDE).matches;
    this.sidebarOpen = wide;
    this.filesOpen = wide;
    this.onKey = this.onKey.bind(this);
    this.onPaste = this.onPaste.bind(this);
  }

  connectedCallback() {
    super.connectedCallback();
    // One microtask later: the module that imported this one (the embed
    // entry) may still set CodeInterpreter.assetBase in the same evaluation.
    if (!this.attached) {
      this.attached = true;
      queueMicrotask(() => this.attachApp());
    }
    document.addEventListener('keydown', this.onKey);
    document.addEventListener('paste', this.onPaste);
    // Crossing to a narrow screen turns the side panels into closed drawers.
    this.wideQuery ??= matchMedia(WIDE);
    this.wideQuery.onchange = (e) => {
      this.sidebarOpen = e.matches;
      this.filesOpen = e.matches;
    };
  }

  /** Creates the controller (unless given as .app) and listens to it. Once. */
  attachApp() {
    // A key set on the element before this class was defined is an own property: take it over.
    if (Object.prototype.hasOwnProperty.call(this, 'apiKey')) {
      const key = this.apiKey;
      delete this.apiKey;
      this.apiKey = key;
    }
    if (this.compact) this.filesOpen = false; // an embedded element is narrow: open panels on demand
    if (!this.app) {
      const base = this.getAttribute('asset-base') || CodeInterpreter.assetBase || document.baseURI;
      this.app = new AppController({
        baseURI: new URL(base, document.baseURI).href,
        ...(this.noPersist ? { persist: false, probeLocal: false } : {}),
        overrides: this.overrides(),
        apiKey: this.pendingKey,
      });
      this.lastOverrides = JSON.stringify(this.overrides() ?? {});
      this.keyDirty = false;
      this.app.init();
    }
    this.app.addEventListener('change', () => {
      this.tick += 1;
      if (this.app.vm.phase !== 'loading' && !this.settled) {
        this.settled = true;
        this.readyResolve?.(this.app.vm.phase === 'ready');
        if (this.app.vm.phase === 'ready') {
          this.syncSettings();
          this.fire('ci-ready', { python: this.app.vm.python.state });
        }
      }
    });
    this.app.addEventListener('open-settings', () => this.openSettings());
    // The Session's public events (js_glue/events.mjs), as DOM events.
    this.app.addEventListener('public-event', (e) => this.relay(e.detail));
  }

  // ------------------------------------------------------- embedding API

  /** Settings from the attributes (only those set). */
  overrides() {
    const o = {};
    if (this.provider) o.preset = this.provider;
    if (this.baseUrl) o.baseUrl = this.baseUrl;
    if (this.model) o.model = this.model;
    if (this.systemPrompt != null) o.systemPromptExtra = this.systemPrompt;
    return Object.keys(o).length ? o : undefined;
  }

  updated(changed) {
    super.updated?.(changed);
    this.syncSettings();
  }

  /** Applies changed attributes (and a new apiKey) once the app is ready. */
  syncSettings() {
    if (this.app?.vm.phase !== 'ready') return;
    const o = JSON.stringify(this.overrides() ?? {});
    if (o === this.lastOverrides && !this.keyDirty) return;
    this.lastOverrides = o;
    const key = this.keyDirty ? this.pendingKey : undefined;
    this.keyDirty = false;
    this.app.applyOverrides(JSON.parse(o), key);
  }

  /** The API key for the provider the attributes name. A property only: keys must not sit in the DOM. */
  set apiKey(key) {
    this.pendingKey = String(key ?? '');
    this.keyDirty = true;
    this.syncSettings();
  }

  get apiKey() { return undefined; } // write-only

  /** Resolves true when the app is ready (false if it failed to start). */
  get ready() {
    this.readyPromise ??= new Promise((resolve) => {
      this.readyResolve = resolve;
      if (this.settled) resolve(this.app.vm.phase === 'ready');
    });
    return this.readyPromise;
  }

  fire(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  relay(event) {
    if (!event) return;
    const name = domEventName(event);
    if (name) this.fire(name, structuredClone(event));
    this.fire('ci-event', event);
  }

  /** Adds a file to /mnt/data of the open conversation. data: Uint8Array | ArrayBuffer | Blob | File | string. */
  async addFile(name, data) {
    if (!(await this.ready)) throw new Error('Code Interpreter did not start');
    const [r] = await this.app.upload([new File([data], String(name), data instanceof Blob ? { type: data.type } : {})]);
    if (!r?.ok) throw Object.assign(new Error(r?.error?.message ?? `${name} was not added`), { code: r?.error?.code ?? 'refused', detail: r?.error?.detail });
    return r.file;
  }

  /** A copy of a file's bytes (Uint8Array), or null. */
  readFile(path) {
    const bytes = this.app?.readFile(path);
    return bytes ? bytes.slice() : null;
  }

  listFiles() { return structuredClone(this.app?.vm.files ?? []); }

  /** Sends a message as if typed; returns false when refused (no model set, a turn runs). */
  async send(text) {
    if (!(await this.ready)) return false;
    return this.app.ask(String(text));
  }

  async runCode(code) {
    if (!(await this.ready)) return false;
    return this.app.runCode(String(code));
  }

  cancel() { this.app?.stop(); }

  disconnectedCallback() {
    super.disconnectedCallback();
    document.removeEventListener('keydown', this.onKey);
    document.removeEventListener('paste', this.onPaste);
  }

  get narrow() { return !matchMedia(WIDE).matches; }

  /** Embedded in another page (code-interpreter.js or asset-base): keys and paste act only inside the element. */
  get embedded() { return !!CodeInterpreter.assetBase || this.hasAttribute('asset-base'); }

  /** Does a document-level key/paste event belong to this element? The full-page app also takes them with nothing focused. */
  owns(e) {
    if (e.composedPath().includes(this)) return true;
    const active = document.activeElement;
    return !this.embedded && (!active || active === document.body);
  }

  onKey(e) {
    if (e.key === 'Escape' && !e.defaultPrevented && this.app && this.owns(e)) {
      if (this.renderRoot.querySelector('ci-settings')?.dialog?.open) return;
      if (this.app.vm.running) {
        e.preventDefault();
        this.app.stop();
      } else if (this.narrow && (this.sidebarOpen || this.filesOpen)) {
        this.sidebarOpen = false;
        this.filesOpen = false;
      }
    }
  }

  onPaste(e) {
    const files = [...(e.clipboardData?.files ?? [])];
    if (!files.length || !this.owns(e)) return;
    e.preventDefault();
    this.upload(files);
  }

  onDrag(e) {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    e.preventDefault();
    if (e.type === 'dragover') e.dataTransfer.dropEffect = 'copy';
    if (e.type === 'dragenter' || e.type === 'dragover') this.dragging = true;
    if (e.type === 'dragleave' && (e.relatedTarget === null || !this.renderRoot.contains(e.relatedTarget))) this.dragging = false;
    if (e.type === 'drop') {
      this.dragging = false;
      this.upload([...e.dataTransfer.files]);
    }
  }

  upload(files) {
    const notebooks = files.filter((f) => f.name.endsWith('.ipynb'));
    this.app.upload(files);
    if (!this.narrow) this.filesOpen = true;
    if (notebooks.length) this.app.toast(`${notebooks[0].name} was uploaded as a file. To run its cells, use Export ▸ Import notebook.`, 'info');
  }

  openSettings() {
    this.renderRoot.querySelector('ci-settings')?.open();
  }

  openStorage() {
    this.renderRoot.querySelector('ci-storage')?.open();
  }

  /** Banners above the input box: read-only here (another tab writes it), or not saved on this device. */
  renderBanners(app, vm) {
    const a = vm.access;
    const reader = app.tabs && a.role !== 'owner' && a.role !== 'claiming';
    return html`
      ${reader ? html`<div class="banner access" role="status" data-role=${a.role}>
        <span>${a.note || 'This conversation is open in another tab or window.'}</span>
        ${a.role === 'reader' ? html`<button type="button" class="primary" @click=${() => app.continueHere(false)}>Continue here</button>` : nothing}
        ${a.role === 'reader' && a.canForce ? html`<button type="button" @click=${() => app.continueHere(true)}>Take it over anyway</button>` : nothing}
      </div>` : nothing}
      ${vm.unsaved ? html`<div class="banner unsaved" role="alert">
        <span>Not saved on this device: ${vm.unsaved.message} What you see here is kept in this tab while it stays open.</span>
        <button type="button" @click=${() => this.openStorage()}>What uses space</button>
        <button type="button" @click=${() => app.retrySave()}>Try again</button>
      </div>` : nothing}`;
  }

  pickFiles() {
    this.renderRoot.querySelector('ci-composer')?.pick();
  }

  openFile(path) {
    this.filesOpen = true;
    this.updateComplete.then(() => {
      const panel = this.renderRoot.querySelector('ci-files');
      if (panel) panel.selected = path;
    });
  }

  menu(action) {
    const details = this.renderRoot.querySelector('details.menu');
    if (details) details.open = false;
    action();
  }

  onImport(e) {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) this.app.importNotebook(file);
  }

  render() {
    const app = this.app;
    const vm = app?.vm;
    if (!vm || vm.phase === 'loading') {
      // What the app is, at once (the core and the store load meanwhile): the
      // first paint people see is the page's content, not a bare spinner.
      return html`<div class="center loading"><div>
        <h2>What would you like to analyze?</h2>
        <p>Upload a CSV, an Excel sheet or an image and ask a question. The model writes Python and it runs <strong>here, in your browser</strong>: charts, tables and files appear in the chat.</p>
        <p role="status"><span class="spinner" aria-hidden="true"></span> Loading Code Interpreter…</p>
      </div></div>`;
    }
    if (vm.phase === 'failed') return html`<div class="center"><p class="fatal" role="alert">${vm.fatal}</p></div>`;
    const cls = `app${this.sidebarOpen ? ' sidebar-open' : ''}${this.filesOpen ? ' files-open' : ''}`;
    return html`<div class=${cls}
        @dragenter=${this.onDrag} @dragover=${this.onDrag} @dragleave=${this.onDrag} @drop=${this.onDrag}
        @open-file=${(e) => this.openFile(e.detail.path)} @pick-files=${this.pickFiles}
        @open-settings=${this.openSettings} @open-storage=${this.openStorage} @python-mode=${() => this.renderRoot.querySelector('ci-composer')?.setMode('python')}
        @run-code=${(e) => app.runCode(e.detail.code)}>
      <ci-sidebar .app=${app} .vm=${vm} .tick=${this.tick}
        @close-sidebar=${() => { this.sidebarOpen = false; }} @navigated=${() => { if (this.narrow) this.sidebarOpen = false; }}></ci-sidebar>
      <main>
        <header class="bar">
          <button type="button" class="icon sidebar-toggle" aria-label=${this.sidebarOpen ? 'Hide conversations' : 'Show conversations'} aria-expanded=${String(this.sidebarOpen)}
            @click=${() => { this.sidebarOpen = !this.sidebarOpen; }}>${icon('menu', 18)}</button>
          <h1>${vm.title || vm.conversations.find((c) => c.id === vm.currentId)?.title || 'New conversation'}</h1>
          <ci-pwa-status .app=${app} .tick=${this.tick}></ci-pwa-status>
          <button type="button" aria-label="Files" aria-expanded=${String(this.filesOpen)} @click=${() => { this.filesOpen = !this.filesOpen; }}>${icon('folder')} <span class="label">Files</span>${vm.files.length ? html` <span class="count">${vm.files.length}</span>` : nothing}</button>
          <details class="menu">
            <summary aria-label="Export or import">${icon('share')} <span class="label">Export</span></summary>
            <div class="items" role="menu">
              <button type="button" role="menuitem" @click=${() => this.menu(() => app.exportNotebook())}>Jupyter notebook (.ipynb)</button>
              <button type="button" role="menuitem" @click=${() => this.menu(() => app.exportMarkdown())}>Markdown (.md)</button>
              <button type="button" role="menuitem" @click=${() => this.menu(() => this.renderRoot.querySelector('#import').click())}>Import notebook cells…</button>
            </div>
          </details>
          <input id="import" type="file" accept=".ipynb,application/x-ipynb+json" @change=${this.onImport} aria-label="Import a notebook">
          <button type="button" class="icon" aria-label="Settings" title="Settings" @click=${this.openSettings}>${icon('sliders', 18)}</button>
        </header>
        <ci-chat .app=${app} .vm=${vm} .tick=${this.tick}></ci-chat>
        ${this.renderBanners(app, vm)}
        <ci-composer .running=${vm.running} ?readonly=${!!app.tabs && vm.access.role !== 'owner'} .python=${{ ...vm.python }} .model=${vm.settings.model ? `${vm.settings.model}` : ''}
          @send=${(e) => { if (!app.ask(e.detail.text)) e.preventDefault(); }}
          @run=${(e) => { if (!app.runCode(e.detail.code)) e.preventDefault(); }}
          @stop=${() => app.stop()} @files=${(e) => this.upload(e.detail.files)} @retry-python=${() => app.retryPython()}></ci-composer>
      </main>
      <ci-files .app=${app} .vm=${vm} .tick=${this.tick} @close-files=${() => { this.filesOpen = false; }}></ci-files>
      <div class="scrim" @click=${() => { this.sidebarOpen = false; this.filesOpen = false; }}></div>
      ${this.dragging ? html`<div class="drop">Drop to upload to /mnt/data</div>` : nothing}
      <div class="toasts" aria-live="assertive">
        ${vm.toasts.map((t) => html`<div class="toast ${t.level}" role=${t.level === 'error' ? 'alert' : 'status'}><span>${t.text}</span>
          <button type="button" class="icon" aria-label="Dismiss" @click=${() => app.dismissToast(t.id)}>${icon('x', 14)}</button></div>`)}
      </div>
      <ci-settings .app=${app}></ci-settings>
      <ci-storage .app=${app}></ci-storage>
      <ci-consent .app=${app} .question=${vm.consent ?? null}></ci-consent>
    </div>`;
  }
}
customElements.define('code-interpreter', CodeInterpreter);
