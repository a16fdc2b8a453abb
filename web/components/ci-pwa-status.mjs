// <ci-pwa-status>: the offline app's status in the header bar (state from
// web/app/pwa.mjs). Shows nothing while online with nothing to say. Shows
//   - "Update available · Reload" when a new build's service worker waits;
//   - "Offline" when navigator.onLine is false, opening a short list of what
//     works without the network (Python, the cached packages, a model server
//     on this machine) and what does not (a cloud model).
// Properties: .app (the AppController, for Python's state and the model's
// base URL) and .tick (re-render when the app changes).
import { LitElement, html, css, svg, nothing } from 'lit';
import { tokens, base } from './theme.mjs';
import { pwa } from '../app/pwa.mjs';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** { local, host } for a model base URL: is it on this machine? */
export function modelLocation(baseUrl) {
  try {
    const { hostname, host } = new URL(baseUrl);
    return { local: LOCAL_HOSTS.has(hostname) || hostname.endsWith('.localhost'), host };
  } catch {
    return { local: false, host: '' };
  }
}

const mark = (ok) => (ok
  ? svg`<svg class="mark ok" width="14" height="14" viewBox="0 0 24 24" aria-hidden="true"><path d="M20 6 9 17l-5-5"></path></svg>`
  : svg`<svg class="mark no" width="14" height="14" viewBox="0 0 24 24" aria-hidden="true"><path d="M18 6 6 18"></path><path d="m6 6 12 12"></path></svg>`);

export class CiPwaStatus extends LitElement {
  static properties = {
    app: { attribute: false },
    tick: { attribute: false },
    rev: { state: true },
  };

  static styles = [tokens, base, css`
    :host { display: contents; }
    .pill { display: inline-flex; align-items: center; gap: 0.4rem; border-radius: 999px; font-size: 0.8125rem; padding: 0.2rem 0.3rem 0.2rem 0.7rem; white-space: nowrap; }
    .update { background: var(--ci-accent-soft); color: var(--ci-accent); border: 1px solid color-mix(in srgb, var(--ci-accent) 35%, transparent); }
    .update button { border-radius: 999px; padding: 0.15rem 0.7rem; font-size: 0.8125rem; }
    details { position: relative; }
    summary { list-style: none; cursor: pointer; background: var(--ci-warn-soft); color: var(--ci-warn); border: 1px solid color-mix(in srgb, var(--ci-warn) 35%, transparent); padding-right: 0.7rem; }
    summary::-webkit-details-marker { display: none; }
    summary .dot { width: 0.5rem; height: 0.5rem; border-radius: 50%; background: currentColor; }
    .panel { position: absolute; right: 0; top: calc(100% + 6px); z-index: 20; width: min(20rem, 90vw); background: var(--ci-bg); color: var(--ci-text);
      border: 1px solid var(--ci-border); border-radius: 10px; box-shadow: var(--ci-shadow); padding: 0.7rem 0.85rem; font-size: 0.8125rem; line-height: 1.45; white-space: normal; }
    .panel h2 { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--ci-muted); margin: 0 0 0.4rem; font-weight: 600; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.45rem; }
    li { display: grid; grid-template-columns: 1rem 1fr; gap: 0.4rem; align-items: start; }
    .mark { margin-top: 0.15rem; fill: none; stroke-width: 3; stroke-linecap: round; stroke-linejoin: round; }
    .mark.ok { stroke: var(--ci-accent); }
    .mark.no { stroke: var(--ci-danger); }
    .pkgs { color: var(--ci-muted); overflow-wrap: anywhere; }
    @media (max-width: 640px) { .label { display: none; } }
  `];

  constructor() {
    super();
    this.rev = 0;
    this.onPwa = () => {
      const wasOnline = this.lastOnline ?? true;
      this.lastOnline = pwa.online;
      this.rev += 1;
      // Going offline opens the list once, so the user sees what still works.
      if (wasOnline && !pwa.online) this.updateComplete.then(() => { const d = this.renderRoot.querySelector('details'); if (d) d.open = true; });
    };
  }

  connectedCallback() {
    super.connectedCallback();
    pwa.addEventListener('change', this.onPwa);
    this.lastOnline = true;
    if (!pwa.online) {
      pwa.refreshPackages();
      this.onPwa();
    }
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    pwa.removeEventListener('change', this.onPwa);
  }

  renderOffline() {
    const vm = this.app?.vm;
    const pythonOk = vm?.python.state === 'ready' || pwa.controlled;
    const model = modelLocation(vm?.settings.baseUrl ?? '');
    const pkgs = pwa.packages;
    return html`<details>
      <summary class="pill" aria-label="Offline: what works"><span class="dot" aria-hidden="true"></span><span>Offline</span></summary>
      <div class="panel" role="status">
        <h2>Offline</h2>
        <ul>
          <li data-item="python">${mark(pythonOk)}<span>${pythonOk ? 'Python runs in this browser' : 'Python is not available offline yet (load the app once online)'}</span></li>
          <li data-item="packages">${mark(true)}<span>${pkgs.length
            ? html`Cached packages: <span class="pkgs">${pkgs.map((p) => `${p.name}${p.version ? ` ${p.version}` : ''}`).join(', ')}</span>`
            : html`The standard library; <span class="pkgs">no other package cached yet</span>`}</span></li>
          ${model.local
            ? html`<li data-item="model">${mark(true)}<span>Local model server (${model.host}) works</span></li>`
            : html`<li data-item="model">${mark(false)}<span>${model.host ? `The cloud model (${model.host}) needs the network` : 'A cloud model needs the network'}; a local model server (Ollama, llama.cpp) works offline</span></li>`}
        </ul>
      </div>
    </details>`;
  }

  render() {
    const parts = [];
    if (pwa.updateReady) {
      parts.push(html`<div class="pill update" role="status"><span class="label">Update available</span>
        <button type="button" class="primary" title="A new version is available: reload to use it" ?disabled=${pwa.updating}
          @click=${() => pwa.applyUpdate()}>${pwa.updating ? 'Reloading…' : 'Reload'}</button></div>`);
    }
    if (!pwa.online) parts.push(this.renderOffline());
    return parts.length ? parts : nothing;
  }
}
customElements.define('ci-pwa-status', CiPwaStatus);
