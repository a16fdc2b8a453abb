// The table viewer alone, under the app's CSP, for the browser tests
// (tests/e2e/table.test.mjs, tests/security/table-xss.test.mjs) and the bench
// (bench/table.mjs). Built by tests/e2e/table-page.mjs with Vite.
// window.showTable(output) puts an output in <ci-table> and resolves once it
// rendered; window.violations lists CSP violations; window.longTasks the
// long tasks seen (PerformanceObserver, where the engine has it).
import { LitElement, html } from 'lit';
import { tokens, base } from '../../../web/components/theme.mjs';
import '../../../web/components/ci-table.mjs';

window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
window.longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  window.longTaskSupported = true;
} catch {
  window.longTaskSupported = false;
}

class TestHost extends LitElement {
  static properties = { output: { attribute: false } };
  static styles = [tokens, base];
  render() { return this.output ? html`<ci-table .output=${this.output}></ci-table>` : html``; }
}
customElements.define('ci-test-host', TestHost);

window.showTable = async (output) => {
  const host = document.querySelector('ci-test-host');
  host.output = output;
  await host.updateComplete;
  const table = host.shadowRoot.querySelector('ci-table');
  await table?.updateComplete;
  return true;
};
window.tableElement = () => document.querySelector('ci-test-host').shadowRoot.querySelector('ci-table');
window.pageReady = true;
