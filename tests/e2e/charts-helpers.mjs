// Helpers for the chart tests (tests/e2e/charts*.test.mjs,
// tests/security/chart-xss.test.mjs, bench/charts.mjs): chart outputs as
// Python emits them, Python code that displays them through the display
// protocol (display(bundle, raw=True): pandas, Altair and Plotly cannot load
// here), and <ci-chart> states read from the page.
export const VEGA_MIME = 'application/vnd.vegalite.v5+json';
export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

export const VEGA_SPEC = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  description: 'Sales per region',
  data: { values: [{ region: 'North', sales: 28 }, { region: 'South', sales: 55 }, { region: 'East', sales: 43 }, { region: 'West', sales: 91 }] },
  mark: 'bar',
  encoding: { x: { field: 'region', type: 'nominal' }, y: { field: 'sales', type: 'quantitative' }, tooltip: [{ field: 'sales' }] },
};

export const PLOTLY_FIGURE = {
  data: [{ type: 'scatter', mode: 'lines+markers', x: [1, 2, 3, 4, 5], y: [2, 6, 3, 8, 5], name: 'series' }, { type: 'bar', x: [1, 2, 3, 4, 5], y: [1, 2, 1, 3, 2], name: 'bars' }],
  layout: { title: { text: 'A Plotly figure' }, width: 560, height: 360 },
};

/** Python that displays each [mime, spec] pair as a raw mime bundle with a text/plain fallback. */
export function displayChartsCode(pairs) {
  const b64 = Buffer.from(JSON.stringify(pairs), 'utf8').toString('base64');
  return `import json, base64
for _mime, _spec in json.loads(base64.b64decode('${b64}').decode('utf-8')):
    display({_mime: _spec, 'text/plain': '<chart ' + _mime + '>'}, raw=True)
print('shown')`;
}

/**
 * Runs IN THE PAGE: every <ci-chart> in the document and open shadow roots,
 * as {status, marks, error, frames: [{sandbox, csp}]}.
 */
export function chartStates() {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.localName === 'ci-chart') {
        const frames = [...el.renderRoot.querySelectorAll('iframe')].map((f) => ({
          sandbox: f.getAttribute('sandbox'),
          csp: f.srcdoc.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? null,
          height: f.getBoundingClientRect().height,
        }));
        out.push({ mime: el.output?.mime, status: el.state?.status, marks: el.state?.marks ?? 0, error: el.state?.error ?? null, frames });
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
}

/**
 * Waits until `n` charts exist and none is loading; returns their states.
 * Polls from Node: the app's CSP refuses string evaluation in the page.
 */
export async function waitCharts(page, n, timeout = 60000) {
  const end = Date.now() + timeout;
  let states = [];
  while (Date.now() < end) {
    states = await page.evaluate(chartStates);
    if (states.length >= n && states.every((s) => s.status !== 'loading')) return states;
    // The poll's interval, not a guess at a duration: page.waitForFunction
    // would need string evaluation, which the app's CSP refuses.
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${n} drawn charts: ${JSON.stringify(states)}`);
}

/**
 * Runs IN THE PAGE: mounts one <ci-output> per output in a fresh box at the
 * top of the body (the app's own element and lazy chunk; the chart frame and
 * libraries as in a conversation) and resolves with their final states.
 */
export async function mountCharts(page, outputs, timeout = 60000) {
  return page.evaluate(async ([list, ms]) => {
    const box = document.createElement('div');
    box.className = 'chart-test-box';
    document.body.prepend(box);
    const settled = list.map((output) => new Promise((resolve) => {
      const el = document.createElement('ci-output');
      el.output = output;
      el.addEventListener('ci-chart-state', (e) => { if (e.detail.status !== 'loading') resolve(e.detail); });
      box.append(el);
      setTimeout(() => resolve({ status: 'timeout' }), ms);
    }));
    return Promise.all(settled);
  }, [outputs, timeout]);
}
