// Placeholder until the chart renderer lands: shows the output's text fallback.
import { LitElement, html } from 'lit';

export class CiChart extends LitElement {
  static properties = { output: { attribute: false } };
  render() { return html`<pre>${this.output?.text ?? ''}</pre>`; }
}
customElements.define('ci-chart', CiChart);
