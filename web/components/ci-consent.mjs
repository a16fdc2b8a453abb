// "Install these packages?" (a modal <dialog>, issue 14): shown while the
// controller's vm.consent holds a Session package_consent question. It
// names each package, its version, size and the index it comes from;
// "Allow for this conversation" lets later installs from the same index go
// without asking, "Allow once" answers only this one, "Don't install"
// declines (the run then says so). Text from the index (names, URLs) is
// rendered by Lit as text, never as HTML.
import { LitElement, html, css, nothing } from 'lit';
import { base } from './theme.mjs';
import { formatBytes } from '../app/files.mjs';

const hostOf = (url) => { try { return new URL(url).host; } catch { return String(url ?? ''); } };

export class CiConsent extends LitElement {
  static properties = {
    app: { attribute: false },
    question: { attribute: false },
  };

  static styles = [base, css`
    dialog { border: 1px solid var(--ci-border); border-radius: 16px; padding: 0; width: min(32rem, calc(100vw - 1.5rem)); background: var(--ci-bg); color: var(--ci-text); box-shadow: var(--ci-shadow); }
    dialog::backdrop { background: rgb(0 0 0 / 35%); }
    h2 { margin: 0; padding: 1rem 1.25rem 0.25rem; font-size: 1.1rem; }
    .body { padding: 0.25rem 1.25rem 0.75rem; }
    p { font-size: 0.875rem; color: var(--ci-muted); margin: 0.5rem 0; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.25rem; }
    li { display: flex; gap: 0.5rem; padding: 0.35rem 0; border-bottom: 1px solid var(--ci-border); font-size: 0.875rem; }
    li .name { flex: 1; font-family: var(--ci-mono, monospace); overflow-wrap: anywhere; }
    li .size { color: var(--ci-muted); font-variant-numeric: tabular-nums; }
    footer { display: flex; flex-wrap: wrap; justify-content: flex-end; gap: 0.5rem; padding: 0.75rem 1.25rem; border-top: 1px solid var(--ci-border); }
  `];

  get dialog() { return this.renderRoot.querySelector('dialog'); }

  updated() {
    const d = this.dialog;
    if (!d) return;
    if (this.question && !d.open) d.showModal();
    if (!this.question && d.open) d.close();
  }

  answer(allow, forConversation = false) {
    this.app?.answerConsent(allow, { forConversation });
  }

  render() {
    const q = this.question;
    const packages = q?.packages ?? [];
    const total = packages.reduce((n, p) => n + (p.size ?? 0), 0);
    const sources = [...new Set(packages.map((p) => hostOf(p.index)))];
    // Escape (the dialog's cancel) declines: nothing is installed without a yes.
    return html`<dialog aria-labelledby="consent-title" @cancel=${(e) => { e.preventDefault(); this.answer(false); }}>
      <h2 id="consent-title">Install ${packages.length === 1 ? 'a Python package' : `${packages.length} Python packages`}?</h2>
      <div class="body">
        ${q ? html`
          <p>${q.kind === 'import' ? html`The code imports <b>${(q.requested ?? []).join(', ')}</b>, which this Python does not have.` : html`The code asks to install <b>${(q.requested ?? []).join(', ')}</b>.`}
            This page would download from <b>${sources.join(', ')}</b> and check each file's sha256 before Python gets it:</p>
          <ul>${packages.map((p) => html`<li data-package=${p.name}><span class="name">${p.name} ${p.version}</span><span class="size">${p.size != null ? formatBytes(p.size) : ''}</span></li>`)}</ul>
          ${total ? html`<p>${formatBytes(total)} in all. Installed packages are kept on this device for this conversation.</p>` : nothing}` : nothing}
      </div>
      <footer>
        <button type="button" data-answer="deny" @click=${() => this.answer(false)}>Don't install</button>
        <button type="button" data-answer="once" @click=${() => this.answer(true, false)}>Allow once</button>
        <button type="button" class="primary" data-answer="conversation" @click=${() => this.answer(true, true)}>Allow for this conversation</button>
      </footer>
    </dialog>`;
  }
}
customElements.define('ci-consent', CiConsent);
