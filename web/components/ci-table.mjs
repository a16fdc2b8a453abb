// Placeholder until the table renderer lands: shows the output's text fallback.
import { LitElement, html } from 'lit';

export class CiTable extends LitElement {
  static properties = { output: { attribute: false } };
  render() { return html`<pre>${this.output?.text ?? ''}</pre>`; }
}
customElements.define('ci-table', CiTable);
