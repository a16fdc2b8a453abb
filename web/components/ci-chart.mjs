// <ci-chart .output=${{mime, data, text?}}>: a Vega-Lite or Plotly output,
// drawn by its real library in a sandboxed frame that reaches nothing
// (web/charts/: frame.mjs, host.mjs, README.md). This element is a lazy
// chunk (ci-output imports it when an output needs it); the libraries are
// fetched only when the first chart is shown.
//
// It shows the text fallback (the output's text/plain) until the chart is
// drawn, and with a clear word if it cannot be (bad JSON, the library not
// cached while offline, the spec refused by the library). It follows the
// page's light/dark scheme and offers Download PNG / SVG: the frame makes
// the bytes, the page checks them (host.mjs checkExport) and saves them.
//
// For tests: `state` ({status: 'loading'|'rendered'|'failed', marks, error})
// and a `ci-chart-state` event (bubbling, composed) on each change.
import { LitElement, html, css, nothing } from 'lit';
import { base } from './theme.mjs';
import { ChartHost, chartSpec } from '../charts/host.mjs';
import { CHART_KIND } from '../charts/messages.mjs';

const darkQuery = () => globalThis.matchMedia?.('(prefers-color-scheme: dark)');

export class CiChart extends LitElement {
  static properties = {
    output: { attribute: false },
    state: { state: true },
    notice: { state: true },
  };

  static styles = [base, css`
    :host { display: block; }
    .frame { min-height: 2.5rem; }
    .frame iframe { display: block; width: 100%; height: 22rem; border: 1px solid var(--ci-border); border-radius: 8px; background: var(--ci-bg); }
    .frame.hidden { min-height: 0; }
    .frame.hidden iframe { visibility: hidden; height: 0 !important; border: 0; }
    .frame.failed { display: none; }
    .bar { display: flex; gap: 0.4rem; justify-content: flex-end; align-items: center; margin-top: 0.3rem; font-size: 0.75rem; }
    .bar button { font-size: 0.75rem; padding: 0.15rem 0.5rem; }
    .bar .grow { flex: 1; }
    pre.text { white-space: pre-wrap; margin: 0.3rem 0 0; }
  `];

  constructor() {
    super();
    this.state = { status: 'loading' };
    this.notice = '';
    this.host = null;
    this.onScheme = () => this.host?.setTheme(this.theme());
  }

  theme() { return darkQuery()?.matches ? 'dark' : 'light'; }

  connectedCallback() {
    super.connectedCallback();
    darkQuery()?.addEventListener?.('change', this.onScheme);
    // Moved in the page (a list re-ordered): the frame went with the old
    // place (a moved iframe reloads); draw again.
    if (this.hasUpdated) this.requestUpdate();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    darkQuery()?.removeEventListener?.('change', this.onScheme);
    this.host?.destroy();
    this.host = null;
    this.drawn = null;
  }

  updated(changed) {
    if (changed.has('output') || !this.host) this.draw();
  }

  draw() {
    const o = this.output;
    // The same chart again (a re-render may hand an equal copy): keep the frame.
    const key = o && `${o.mime}\n${typeof o.data === 'string' ? o.data : JSON.stringify(o.data)}`;
    if (!o || this.drawn === key) return;
    this.drawn = key;
    this.host?.destroy();
    this.host = null;
    let parsed;
    try {
      parsed = chartSpec(o);
    } catch (e) {
      this.report({ status: 'failed', error: { code: 'bad_spec', message: e.message } });
      return;
    }
    const container = this.renderRoot.querySelector('.frame');
    this.report({ status: 'loading' });
    this.host = new ChartHost({ container, ...parsed, theme: this.theme(), onState: (s) => this.report(s) });
    this.host.start();
  }

  report(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('ci-chart-state', { detail: state, bubbles: true, composed: true }));
  }

  async download(format) {
    this.notice = '';
    try {
      const { mime, bytes } = await this.host.exportImage(format);
      // Saved as a download only (an octet-stream blob cannot render in a tab
      // of the app's origin even if opened; the mime is in the file name).
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `chart.${format}`;
      a.rel = 'noopener';
      a.dataset.mime = mime;
      this.renderRoot.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30000);
    } catch (e) {
      this.notice = `Could not make the ${format.toUpperCase()}: ${e.message}`;
    }
  }

  render() {
    const { status, error } = this.state;
    const drawn = status === 'rendered';
    const label = CHART_KIND[this.output?.mime] === 'plotly' ? 'Plotly' : 'Vega-Lite';
    return html`
      <div class="frame ${drawn ? '' : 'hidden'} ${status === 'failed' ? 'failed' : ''}"></div>
      ${status === 'loading' ? html`<p class="muted" role="status">Drawing the ${label} chart…</p>` : nothing}
      ${status === 'failed' ? html`<p class="muted" role="status">The ${label} chart could not be drawn: ${error?.message}${this.output?.text ? ' Showing its text.' : ''}</p>` : nothing}
      ${!drawn && this.output?.text ? html`<pre class="text">${this.output.text}</pre>` : nothing}
      ${drawn ? html`<div class="bar muted">
        <span class="grow">${this.notice}</span>
        <button type="button" @click=${() => this.download('png')}>Download PNG</button>
        <button type="button" @click=${() => this.download('svg')}>Download SVG</button>
      </div>` : nothing}`;
  }
}
customElements.define('ci-chart', CiChart);
