// The input box: ask the model, or (Python mode) run the typed code with no
// model. Enter sends, Shift+Enter is a new line (in Python mode Enter is a
// new line and Ctrl/Shift+Enter runs). A Stop button while a turn runs.
// Events: 'send' {text}, 'run' {code}, 'stop', 'files' {files}, 'retry-python'.
// The status line under the box says what Python is doing and what Stop can
// do in this browser (interrupt, or restart), with the why in its tooltip.
import { LitElement, html, css, nothing } from 'lit';
import { base } from './theme.mjs';
import { icon } from './icons.mjs';

// Why Stop interrupts or restarts Python here (the sandbox's stopMode.reason).
const STOP_WHY = {
  isolated: 'This page is cross-origin isolated, so Stop raises KeyboardInterrupt in Python and your variables stay.',
  'not-isolated': 'This page is not cross-origin isolated (the host sends no COOP/COEP headers and no service worker adds them yet), so Python cannot be interrupted: Stop restarts it. Files in /mnt/data are kept; variables are lost.',
  'no-shared-memory': 'This browser gives the Python sandbox no SharedArrayBuffer, so Python cannot be interrupted: Stop restarts it. Files in /mnt/data are kept; variables are lost.',
  off: 'Interrupting Python is switched off here, so Stop restarts it. Files in /mnt/data are kept; variables are lost.',
};

export class CiComposer extends LitElement {
  static properties = {
    running: { type: Boolean },
    readonly: { type: Boolean }, // another tab writes this conversation
    mode: { type: String },
    python: { attribute: false },
    model: { type: String },
  };

  static styles = [base, css`
    :host { display: block; padding: 0 1rem 0.75rem; }
    .box { max-width: 52rem; margin: 0 auto; border: 1px solid var(--ci-border); border-radius: 18px; background: var(--ci-bg); box-shadow: var(--ci-shadow); padding: 0.5rem 0.5rem 0.45rem 0.75rem; }
    .box:focus-within { border-color: var(--ci-accent); }
    textarea { width: 100%; border: 0; background: transparent; resize: none; field-sizing: content; min-height: 2.6rem; max-height: 40vh; padding: 0.4rem 0.1rem; line-height: 1.5; display: block; }
    textarea:focus { outline: none; }
    textarea.code { font-family: var(--ci-mono); font-size: 0.875rem; }
    .row { display: flex; align-items: center; gap: 0.4rem; flex-wrap: wrap; }
    .spacer { flex: 1; }
    .seg { display: inline-flex; border: 1px solid var(--ci-border); border-radius: 999px; padding: 2px; }
    .seg button { border: 0; border-radius: 999px; padding: 0.2rem 0.7rem; font-size: 0.8125rem; }
    .seg button[aria-pressed='true'] { background: var(--ci-accent-soft); color: var(--ci-accent); font-weight: 600; }
    .send { border-radius: 999px; padding: 0.4rem 0.95rem; }
    .stop { border-radius: 999px; padding: 0.4rem 0.95rem; background: var(--ci-text); color: var(--ci-bg); border-color: var(--ci-text); font-weight: 600; }
    .meta { max-width: 52rem; margin: 0.35rem auto 0; font-size: 0.75rem; display: flex; gap: 0.75rem; justify-content: space-between; color: var(--ci-muted); flex-wrap: wrap; }
    .meta span { display: inline-flex; align-items: center; gap: 0.35rem; }
    .py.failed { color: var(--ci-danger); }
    .retry { border-radius: 999px; padding: 0.1rem 0.6rem; font-size: 0.75rem; }
    input[type=file] { display: none; }
    @media (max-width: 640px) { :host { padding: 0 0.5rem 0.5rem; } .hint { display: none; } }
  `];

  constructor() {
    super();
    this.mode = 'ask';
    this.running = false;
  }

  get textarea() { return this.renderRoot.querySelector('textarea'); }

  focus() { this.textarea?.focus(); }

  setMode(mode) {
    this.mode = mode;
    this.updateComplete.then(() => this.focus());
  }

  submit() {
    if (this.readonly) return;
    const value = this.textarea.value;
    if (!value.trim() || this.running && this.mode === 'ask') return;
    const detail = this.mode === 'python' ? { code: value } : { text: value };
    const event = new CustomEvent(this.mode === 'python' ? 'run' : 'send', { detail, bubbles: true, composed: true, cancelable: true });
    this.dispatchEvent(event);
    if (!event.defaultPrevented) this.textarea.value = '';
  }

  onKey(e) {
    if (e.key !== 'Enter' || e.isComposing) return;
    const runKey = this.mode === 'python' ? (e.ctrlKey || e.metaKey || e.shiftKey) : !e.shiftKey;
    if (runKey) {
      e.preventDefault();
      this.submit();
    }
  }

  pick() { this.renderRoot.querySelector('input[type=file]').click(); }

  onPicked(e) {
    const files = [...e.target.files];
    e.target.value = '';
    if (files.length) this.dispatchEvent(new CustomEvent('files', { detail: { files }, bubbles: true, composed: true }));
  }

  render() {
    const py = this.python ?? {};
    const stop = py.stop;
    const python = this.mode === 'python';
    return html`
      <div class="box">
        <label class="sr-only" for="input">${python ? 'Python code to run' : 'Message'}</label>
        <textarea id="input" class=${python ? 'code' : ''} rows="1" spellcheck=${python ? 'false' : 'true'} ?disabled=${this.readonly}
          placeholder=${this.readonly ? 'Read-only here: this conversation is open in another tab or window' : python ? 'Type Python to run it here, without a model… (Ctrl+Enter runs)' : 'Ask about your data… (Enter sends, Shift+Enter for a new line)'}
          @keydown=${this.onKey}></textarea>
        <div class="row">
          <button type="button" class="icon" @click=${this.pick} title="Upload files" aria-label="Upload files" ?disabled=${this.readonly}>${icon('clip', 18)}</button>
          <input type="file" multiple @change=${this.onPicked} aria-label="Upload files" tabindex="-1">
          <div class="seg" role="group" aria-label="Input mode">
            <button type="button" aria-pressed=${String(!python)} @click=${() => this.setMode('ask')}>Ask</button>
            <button type="button" aria-pressed=${String(python)} @click=${() => this.setMode('python')}>Python</button>
          </div>
          <span class="spacer"></span>
          ${this.running
            ? html`<button type="button" class="stop" @click=${() => this.dispatchEvent(new CustomEvent('stop', { bubbles: true, composed: true }))} title="Stop (Esc)">${icon('stop', 14)} Stop</button>`
            : nothing}
          <button type="button" class="primary send" @click=${this.submit} ?disabled=${this.readonly || (this.running && !python)}>${python ? html`${icon('play', 14)} Run` : html`Send ${icon('send', 14)}`}</button>
        </div>
      </div>
      <div class="meta">
        <span class="py ${py.state ?? ''}" role="status" aria-live="polite" title=${stop && py.state === 'ready' ? STOP_WHY[stop.reason] ?? '' : ''}>
          ${py.state === 'starting' || py.state === 'loading' ? html`<span class="spinner" aria-hidden="true"></span>` : icon('terminal', 14)}
          ${py.message ?? ''}${py.state === 'ready' && stop ? (stop.interrupt ? ' · Stop interrupts Python' : ' · Stop restarts Python (variables are lost)') : ''}
          ${py.state === 'failed' ? html`<button type="button" class="retry"
            @click=${() => this.dispatchEvent(new CustomEvent('retry-python', { bubbles: true, composed: true }))}>Retry</button>` : nothing}
        </span>
        <span class="hint">${this.model ? `Model: ${this.model}` : 'No model chosen'} · Esc stops</span>
      </div>`;
  }
}
customElements.define('ci-composer', CiComposer);
