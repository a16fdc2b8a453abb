// The conversation: user messages, the assistant's markdown (streamed as
// it arrives, block by block), cells, notices and errors, and each turn's
// token use. Renders the controller's view model; all model text goes
// through renderMarkdown or createBlockStream (marked → DOMPurify, last
// step) or into text nodes (as plain text until the markdown chunk has
// loaded: app/markdown-lazy.mjs).
import { LitElement, html, css, nothing } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { base, code, prose } from './theme.mjs';
import { icon } from './icons.mjs';
import { markdownNow, loadMarkdown } from '../app/markdown-lazy.mjs';
import './ci-cell.mjs';

export class CiChat extends LitElement {
  static properties = { app: { attribute: false }, vm: { attribute: false }, tick: { type: Number } };

  static styles = [base, code, prose, css`
    :host { display: block; overflow-y: auto; overscroll-behavior: contain; scroll-behavior: auto; }
    .column { max-width: 52rem; margin: 0 auto; padding: 1.25rem 1rem 2rem; display: flex; flex-direction: column; gap: 1rem; }
    .user { align-self: flex-end; max-width: min(85%, 40rem); background: var(--ci-user); padding: 0.6rem 0.9rem; border-radius: 18px 18px 4px 18px; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.5; }
    .assistant { display: flex; gap: 0.75rem; align-items: flex-start; }
    .avatar { flex: none; width: 1.75rem; height: 1.75rem; border-radius: 50%; background: var(--ci-accent); color: var(--ci-accent-text); display: grid; place-items: center; font-size: 0.8rem; font-weight: 700; margin-top: 0.1rem; }
    .assistant .prose { flex: 1; min-width: 0; }
    .prose .plain { white-space: pre-wrap; overflow-wrap: anywhere; }
    details.thinking { color: var(--ci-muted); font-size: 0.875rem; margin-bottom: 0.4rem; }
    details.thinking pre { white-space: pre-wrap; font-family: inherit; font-size: 0.85rem; }
    .caret { display: inline-block; width: 0.5em; height: 1em; background: currentColor; vertical-align: -0.15em; animation: blink 1s steps(2) infinite; margin-left: 1px; }
    @keyframes blink { 50% { opacity: 0; } }
    .waiting { color: var(--ci-muted); display: flex; gap: 0.5rem; align-items: center; font-size: 0.9rem; }
    .notice { border-radius: 10px; padding: 0.6rem 0.85rem; font-size: 0.9rem; line-height: 1.5; white-space: pre-wrap; border: 1px solid transparent; }
    .notice.info { background: var(--ci-bg-soft); color: var(--ci-muted); }
    .notice.warning { background: var(--ci-warn-soft); color: var(--ci-warn); border-color: color-mix(in srgb, var(--ci-warn) 25%, transparent); }
    .notice.error { background: var(--ci-danger-soft); color: var(--ci-danger); border-color: color-mix(in srgb, var(--ci-danger) 25%, transparent); }
    .notice strong { display: block; margin-bottom: 0.1rem; }
    .usage { align-self: flex-start; font-size: 0.75rem; color: var(--ci-muted); margin-top: -0.5rem; padding-left: 2.5rem; }
    .banner { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; background: var(--ci-warn-soft); color: var(--ci-warn); border-radius: 10px; padding: 0.6rem 0.85rem; font-size: 0.9rem; }
    .banner span { flex: 1; min-width: 12rem; }
    .welcome { text-align: center; padding: 12vh 1rem 2rem; color: var(--ci-muted); }
    .welcome h2 { color: var(--ci-text); font-size: 1.6rem; margin: 0 0 0.5rem; }
    .welcome p { max-width: 34rem; margin: 0.4rem auto; line-height: 1.6; }
    .chips { display: flex; gap: 0.5rem; justify-content: center; flex-wrap: wrap; margin-top: 1.25rem; }
    .chips button { border-radius: 999px; }
    .offer { margin: 1.5rem auto 0; max-width: 30rem; border: 1px solid var(--ci-border); border-radius: var(--ci-radius); padding: 0.9rem 1rem; text-align: left; color: var(--ci-text); background: var(--ci-bg-soft); }
    .offer p { margin: 0 0 0.6rem; }
    .offer .row { display: flex; gap: 0.5rem; flex-wrap: wrap; }
  `];

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  // Links to /mnt/data/… in the model's text open the file.
  onProseClick(e) {
    const a = e.composedPath().find((n) => n instanceof HTMLAnchorElement && n.dataset?.ciFile);
    if (a) {
      e.preventDefault();
      this.emit('open-file', { path: a.dataset.ciFile });
    }
  }

  willUpdate() {
    // Stick to the bottom when the reader is there. Before the first render
    // there is nothing to scroll (it would be true anyway), and with a
    // scroll to the end pending it is true too: no measurement then (each
    // one lays out the whole app, once more while it starts).
    this.stick = !this.hasUpdated || this.scrollPending || this.scrollHeight - this.scrollTop - this.clientHeight < 80;
  }

  updated() {
    // At the next frame, not now: the app's other elements are still
    // rendering in this task, and the frame lays the page out once for all.
    if (!this.stick || this.scrollPending) return;
    this.scrollPending = true;
    requestAnimationFrame(() => {
      this.scrollPending = false;
      this.scrollTop = this.scrollHeight;
    });
  }

  scrollToEnd() {
    this.scrollTop = this.scrollHeight;
  }

  renderItem(item, index, items) {
    const vm = this.vm;
    let body;
    if (item.kind === 'user') body = html`<div class="user" data-kind="user">${item.text}</div>`;
    else if (item.kind === 'assistant') body = this.renderAssistant(item.text, item.thinking, false);
    else if (item.kind === 'cell') body = html`<ci-cell .exec=${item.exec} .collapseAfterRun=${vm.settings?.collapseCode !== false} .live=${vm.live.get(item.exec.exec_id)} .tick=${item.exec.status === 'running' ? this.tick : 0} ?busy=${vm.running}></ci-cell>`;
    else if (item.kind === 'notice') {
      body = html`<div class="notice ${item.level}" role=${item.role ?? (item.level === 'error' ? 'alert' : 'note')} data-kind="notice" ?data-trimmed=${item.trimmed}>${item.level === 'error' ? html`<strong>Something went wrong</strong>` : nothing}${item.text}</div>`;
    }
    const next = items[index + 1];
    const lastOfTurn = !next || next.turn !== item.turn;
    const u = vm.turnUsage.get(item.turn);
    const showUsage = lastOfTurn && u && (u.input || u.output) && !(vm.running && !next && !vm.streaming);
    return html`${body}${showUsage ? html`<div class="usage" data-kind="usage">Turn ${item.turn} · ${u.input.toLocaleString()} tokens in${u.cached ? ` (${u.cached.toLocaleString()} cached)` : ''} · ${u.output.toLocaleString()} out</div>` : nothing}`;
  }

  /** The model's markdown, sanitized; as text until the markdown chunk is loaded (then again). */
  renderText(text) {
    const md = markdownNow();
    if (md) return unsafeHTML(md.renderMarkdown(text));
    loadMarkdown().then(() => this.requestUpdate(), () => {});
    return html`<p class="plain">${text}</p>`;
  }

  /**
   * The answer streaming in, block by block (app/markdown-blocks.mjs): each
   * update renders only the blocks still open, and Lit touches only the
   * DOM of the blocks whose HTML changed.
   */
  renderStreamingText(text) {
    const md = markdownNow();
    if (!md) return this.renderText(text);
    this.blockStream ??= md.createBlockStream();
    return this.blockStream.update(text).map((block) => unsafeHTML(block));
  }

  renderAssistant(text, thinking, streaming) {
    return html`<div class="assistant" data-kind="assistant" ?data-streaming=${streaming}>
      <div class="avatar" aria-hidden="true">AI</div>
      <div class="prose" @click=${this.onProseClick}>
        ${thinking ? html`<details class="thinking"><summary>Thinking</summary><pre>${thinking}</pre></details>` : nothing}
        ${!text ? nothing : streaming ? this.renderStreamingText(text) : this.renderText(text)}
        ${streaming && text ? html`<span class="caret" aria-hidden="true"></span>` : nothing}
        ${streaming && !text ? html`<div class="waiting"><span class="spinner" aria-hidden="true"></span>${this.vm.activity || 'Waiting for the model…'}</div>` : nothing}
      </div>
    </div>`;
  }

  renderWelcome() {
    const vm = this.vm;
    const offers = vm.firstStart ? vm.localServers : [];
    return html`<div class="welcome">
      <h2>What would you like to analyze?</h2>
      <p>Upload a CSV, an Excel sheet or an image and ask a question. The model writes Python and it runs <strong>here, in your browser</strong>: charts, tables and files appear in the chat.</p>
      <p>No model? Switch the box below to <em>Python</em> and run code yourself.</p>
      <div class="chips">
        <button type="button" @click=${() => this.emit('pick-files')}>${icon('clip')} Upload a file</button>
        <button type="button" @click=${() => this.emit('open-settings')}>${icon('sliders')} Choose a model</button>
        <button type="button" @click=${() => this.emit('python-mode')}>${icon('terminal')} Run Python without a model</button>
        ${vm.firstStart && !offers.length ? html`<button type="button" data-action="find-local" ?disabled=${vm.localSearch === 'searching'}
          @click=${() => this.app.findLocalServers()}>${icon('sliders')} ${vm.localSearch === 'searching' ? 'Looking on this computer…' : 'Find a local model (Ollama, llama.cpp)'}</button>` : nothing}
      </div>
      ${vm.firstStart && vm.localSearch === 'done' && !offers.length ? html`<p class="muted" role="status">No Ollama or llama.cpp server answered on this computer (ports 11434 and 8080). Start one, or choose a model in Settings.</p>` : nothing}
      ${offers.map((s) => html`<div class="offer">
        <p><strong>Found ${s.name}</strong> at ${s.baseUrl} with ${s.models.length} model${s.models.length === 1 ? '' : 's'}.</p>
        <div class="row"><button type="button" class="primary" @click=${() => this.app.useLocalServer(s)}>Use ${s.models[0] ?? 'it'}</button>
        <button type="button" @click=${() => this.emit('open-settings')}>Other settings…</button></div>
      </div>`)}
    </div>`;
  }

  render() {
    const vm = this.vm;
    if (!vm) return nothing;
    const empty = !vm.items.length && !vm.streaming;
    return html`<div class="column" role="log" aria-live="polite" aria-label="Conversation">
      ${vm.restored ? html`<div class="banner" role="status">
        <span>This conversation was restored: its files are here, but Python's variables from before are gone.</span>
        <button type="button" @click=${() => this.app.rerunAll()}>Re-run all cells</button>
        <button type="button" class="ghost" @click=${() => this.app.dismissRestored()} aria-label="Dismiss">${icon('x', 14)}</button>
      </div>` : nothing}
      ${vm.heldQueue ? html`<div class="banner" role="status" data-kind="held-queue">
        <span>${vm.heldQueue === 1 ? 'One run was' : `${vm.heldQueue} runs were`} waiting when this page was closed or reloaded.</span>
        <button type="button" @click=${() => this.app.runQueued()}>Run ${vm.heldQueue === 1 ? 'it' : 'them'}</button>
        <button type="button" class="ghost" @click=${() => this.app.clearQueue()}>Discard</button>
      </div>` : nothing}
      ${empty ? this.renderWelcome() : vm.items.map((item, i, all) => this.renderItem(item, i, all))}
      ${vm.streaming ? this.renderAssistant(vm.streaming.text, vm.streaming.thinking, true) : nothing}
      ${vm.running && !vm.streaming && !vm.items.some((i) => i.kind === 'cell' && i.exec.status === 'running') ? html`<div class="waiting"><span class="spinner" aria-hidden="true"></span>${vm.activity || 'Working…'}</div>` : nothing}
    </div>`;
  }
}
customElements.define('ci-chat', CiChat);
