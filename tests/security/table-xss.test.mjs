// Table cells (issue 13, item 5): every payload of the XSS corpus
// (tests/security/corpus/xss/) and of the zero-click corpus (CANARY → a
// counting server) as the cells, column names and title of one
// display_table() in the real app (dist/, real Pyodide) rendered by
// <ci-table>. The grid is scrolled end to end so every row is drawn, sorted
// and filtered (each redraws), then downloaded as CSV.
// Asserted: 0 executions, 0 dialogs, 0 connections to the canary, no CSP
// violation, no on* attribute / script URL / stray <script> in the DOM;
// every cell shows its payload as text, unchanged; in the CSV every field
// that starts with = + - @ TAB or CR carries a leading ' (OWASP).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launchBrowser, startApp, startCanary } from '../e2e/harness.mjs';
import { requireBuiltApp } from '../e2e/app-helpers.mjs';
import { openSecureApp, loadCorpus, runPython, settle, walkDom } from './security-helpers.mjs';

let app;
let canary;
let browser;
let s;
let payloads;

before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  canary = await startCanary();
  browser = await launchBrowser();
  const port = new URL(canary.url).port;
  const { filenames, ...xss } = loadCorpus('xss');
  const zero = loadCorpus('zero-click').payloads.map((p) => p.replaceAll('CANARYPORT', port).replaceAll('CANARY', canary.url));
  payloads = [...Object.values(xss).flat(), ...filenames, ...zero, '=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\tx', '\rx'];
  s = await openSecureApp(browser, app.url);
});

after(async () => {
  await browser?.close();
  await canary?.close();
  await app?.close();
});

/** Gives the page window.__ciTable(): the first <ci-table>, through every shadow root (for the waits below). */
function defineFinder(page) {
  return page.evaluate(() => {
    const find = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.localName === 'ci-table') return el;
        if (el.shadowRoot) { const got = find(el.shadowRoot); if (got) return got; }
      }
      return null;
    };
    window.__ciTable = () => find(document);
  });
}

/** Every row's cells as the grid draws them ({rowindex: [texts]}), scrolling from top to bottom. */
async function drawnRows(page) {
  return page.evaluate(async () => {
    const table = window.__ciTable();
    const grid = table.renderRoot.querySelector('.grid');
    const seen = {};
    const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
    for (let top = 0; ; top += grid.clientHeight / 2) {
      grid.scrollTop = top;
      grid.dispatchEvent(new Event('scroll'));
      await table.updateComplete;
      await frame();
      for (const row of table.renderRoot.querySelectorAll('.window [role=row]')) {
        seen[row.getAttribute('aria-rowindex')] = [...row.children].map((c) => c.textContent);
      }
      if (top >= grid.scrollHeight) break;
    }
    seen[1] = [...table.renderRoot.querySelectorAll('.head [role=columnheader]')].map((c) => c.textContent);
    return seen;
  });
}

test('hostile table cells, column names and title: shown as text, 0 executions, 0 requests, CSV formulas guarded', async () => {
  const page = s.page;
  const c0 = canary.counts.connections;
  const b64 = Buffer.from(JSON.stringify(payloads), 'utf8').toString('base64');
  const exec = await runPython(page, `import json, base64
_p = json.loads(base64.b64decode('${b64}').decode('utf-8'))
_cols = ["payload", _p[0], _p[1]]
display_table([[x, x[:20], i] for i, x in enumerate(_p)], title=_p[2], columns=_cols)`);
  assert.equal(exec.status, 'ok', JSON.stringify(exec.error));
  await page.locator('ci-table [role=grid]').waitFor();
  await defineFinder(page);

  // Every row drawn (the grid keeps only the rows in view in the DOM).
  const rows = await drawnRows(page);
  const shown = Object.entries(rows).filter(([i]) => i !== '1').map(([, cells]) => cells[0]);
  assert.equal(shown.length, payloads.length, 'every row was drawn once scrolled');
  assert.deepEqual(new Set(shown), new Set(payloads), 'each cell shows its payload as text, unchanged');
  assert.deepEqual(rows[1].map((t) => t.replace(/ [▲▼]$/, '')), ['payload', payloads[0], payloads[1]], 'hostile column names are text');
  assert.equal(await page.locator('ci-table .title').textContent(), payloads[2], 'a hostile title is text');

  // Sort and filter redraw the rows: still text.
  await page.locator('ci-table [role=columnheader]').first().click();
  await page.locator('ci-table [role=columnheader][aria-sort=ascending]').waitFor();
  await page.locator('ci-table input[type=search]').fill('onerror');
  await page.waitForFunction(() => {
    const t = window.__ciTable();
    return t && t.query === 'onerror' && !t.busy && t.view.length < t.table.n;
  });

  // The CSV of what is shown (filter cleared): formulas guarded.
  await page.locator('ci-table input[type=search]').fill('');
  await page.waitForFunction(() => {
    const t = window.__ciTable();
    return t && t.query === '' && !t.busy && t.view.length === t.table.n;
  });
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('ci-table button:has-text("CSV")').click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  assert.ok(csv.startsWith('\ufeff'), 'a BOM: spreadsheets read UTF-8');
  for (const p of ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)']) {
    const quoted = p.includes('"') || p.includes(',') ? `"'${p.replaceAll('"', '""')}"` : `'${p}`;
    assert.ok(csv.includes(`\r\n${quoted},`), `${p} is guarded in the CSV as ${quoted}`);
  }
  const unguarded = csv.slice(1).split('\r\n').filter((line) => /^[=+\-@]/.test(line));
  assert.deepEqual(unguarded, [], 'no CSV line starts with a formula character');

  await settle(page, 2000); // lazy images or prefetches would get their chance
  const w = await walkDom(page);
  assert.deepEqual(w.offenders, [], 'DOM clean: no on* attribute, script URL or stray <script>');
  assert.deepEqual(s.executions, [], '0 executions');
  assert.deepEqual(s.dialogs, [], '0 dialogs');
  assert.equal(canary.counts.connections - c0, 0, `0 connections to the canary (${canary.counts.log.join(', ')})`);
  assert.deepEqual(s.violations, [], 'not even a refused request or style');
});
