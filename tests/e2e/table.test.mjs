// <ci-table> in real Chromium, alone under the app's CSP
// (tests/e2e/table-page, built by Vite): a 100,000-row table keeps only the
// rows in view in the DOM and reaches its last row; the grid is one tab stop
// driven by the keyboard (arrows, Ctrl+End, Enter on a header sorts, Ctrl+C
// copies the cell) with aria-rowcount / aria-rowindex / aria-sort for screen
// readers; the filter; Copy puts the rows shown on the clipboard as TSV;
// full screen opens a modal dialog that Escape closes; dark mode follows the
// system; no CSP violation. Speed is measured by bench/table.mjs, not here.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './harness.mjs';
import { startTablePage } from './table-page.mjs';

let browser;
let site;
let page;

const N = 100_000;
function bigTable() {
  const data = Array.from({ length: N }, (_, i) => ({ index: i, name: `item ${i}`, group: ['red', 'green', 'blue'][i % 3], value: (i * 7919) % 1000 }));
  return JSON.stringify({ schema: { fields: [{ name: 'index', type: 'integer' }, { name: 'name', type: 'string' }, { name: 'group', type: 'string' }, { name: 'value', type: 'integer' }] }, data, total_rows: 250_000, title: 'Items' });
}

const grid = () => page.locator('ci-table [role=grid]');
const state = () => page.evaluate(() => {
  const t = window.tableElement();
  const g = t.renderRoot.querySelector('[role=grid]');
  return {
    rowcount: Number(g.getAttribute('aria-rowcount')), domRows: t.renderRoot.querySelectorAll('[role=row]').length,
    active: g.getAttribute('aria-activedescendant'), busy: t.busy, status: t.renderRoot.querySelector('[role=status]').textContent,
  };
});
// The active cell's text, once it is drawn (a move may scroll first).
const activeText = async () => (await page.waitForFunction(() => {
  const t = window.tableElement();
  const id = t.renderRoot.querySelector('[role=grid]').getAttribute('aria-activedescendant');
  return t.renderRoot.getElementById(id)?.textContent ?? false;
})).jsonValue();
const settled = (want) => page.waitForFunction((w) => {
  const t = window.tableElement();
  return t?.table && !t.busy && t.view.length === w;
}, want);

before(async () => {
  site = await startTablePage();
  browser = await launchBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(site.url).origin });
  page = await browser.newPage();
  await page.goto(site.url);
  await page.waitForFunction(() => window.pageReady);
  await page.evaluate((data) => window.showTable({ mime: 'application/vnd.dataresource+json', data, text: 'Items preview' }), bigTable());
  await grid().waitFor();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

test('100,000 rows: a few dozen rows in the DOM, aria-rowcount counts them all, the last row is reachable; "first N of M" is said', async () => {
  const s = await state();
  assert.equal(s.rowcount, N + 1, 'header + every row');
  assert.ok(s.domRows < 60, `only the rows in view are in the DOM: ${s.domRows}`);
  assert.match(await page.locator('ci-table .foot').textContent(), /first 100,000 of 250,000 rows/);
  await page.evaluate(() => { const g = window.tableElement().renderRoot.querySelector('.grid'); g.scrollTop = g.scrollHeight; });
  await page.waitForFunction(() => [...window.tableElement().renderRoot.querySelectorAll('.window [role=row]')].some((r) => r.getAttribute('aria-rowindex') === '100001'));
  const last = page.locator('ci-table .window [role=row][aria-rowindex="100001"] [role=gridcell]');
  assert.equal(await last.first().textContent(), '99999');
  assert.ok((await state()).domRows < 60);
});

test('keyboard: one tab stop; arrows move the active cell; Enter on a header sorts (aria-sort); Ctrl+End reaches the last row', async () => {
  await page.locator('ci-table input[type=search]').focus();
  await page.keyboard.press('Tab'); // filter → Copy → CSV → Full screen → grid
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => window.tableElement().renderRoot.activeElement?.getAttribute('role')), 'grid');
  await page.keyboard.press('Control+Home');
  assert.equal(await activeText(), '0');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  assert.equal(await activeText(), 'item 1');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp'); // the header row
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight'); // "value"
  assert.match(await activeText(), /^value/);
  await page.keyboard.press('Enter');
  await page.locator('ci-table [role=columnheader][aria-sort=ascending]:has-text("value")').waitFor();
  await settled(N);
  await page.keyboard.press('Enter');
  await page.locator('ci-table [role=columnheader][aria-sort=descending]:has-text("value")').waitFor();
  await settled(N);
  await page.keyboard.press('ArrowDown');
  assert.equal(await activeText(), '999', 'descending: the largest value first');
  await page.keyboard.press('Control+End');
  await page.waitForFunction(() => window.tableElement().renderRoot.querySelector('[role=grid]').scrollTop > 0);
  assert.equal(await activeText(), '0', 'the last row, the smallest value');
  assert.match((await state()).status, /100,000 of 100,000 rows, sorted by value descending/);
  await page.keyboard.press('Control+c');
  await page.waitForFunction(() => /Copied the cell/.test(window.tableElement().renderRoot.querySelector('[role=status]').textContent));
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), '0');
  await page.keyboard.press('Enter'); // not on a header: nothing happens
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter'); // a third Enter on "value": back to the order given
  await page.locator('ci-table [role=columnheader][aria-sort=none]:has-text("value")').waitFor();
  await settled(N);
});

test('filter: words anywhere in a row; Copy puts the rows shown on the clipboard as TSV', async () => {
  await page.locator('ci-table input[type=search]').fill('GREEN item 99');
  await page.waitForFunction(() => window.tableElement().query === 'GREEN item 99');
  await page.waitForFunction(() => { const t = window.tableElement(); return !t.busy && t.view.length < 100000; });
  const rows = await page.evaluate(() => window.tableElement().view.length);
  // Every word somewhere in the row: green rows (index % 3 === 1) with "99" in a cell.
  const expected = Array.from({ length: N }, (_, i) => i)
    .filter((i) => i % 3 === 1 && [i, `item ${i}`, (i * 7919) % 1000].join(' ').includes('99')).length;
  assert.equal(rows, expected);
  assert.equal((await state()).rowcount, expected + 1);
  await page.locator('ci-table button:has-text("Copy")').click();
  await page.waitForFunction(() => /Copied [\d,]+ rows/.test(window.tableElement().renderRoot.querySelector('[role=status]').textContent));
  const tsv = await page.evaluate(() => navigator.clipboard.readText());
  const lines = tsv.trimEnd().split('\n');
  assert.equal(lines[0], 'index\tname\tgroup\tvalue');
  assert.equal(lines.length, expected + 1);
  assert.ok(lines.slice(1).every((l) => l.split('\t')[2] === 'green'));
  await page.locator('ci-table input[type=search]').fill('no such thing');
  await page.locator('ci-table .none:has-text("No row matches the filter.")').waitFor();
  await page.locator('ci-table input[type=search]').fill('');
  await settled(N);
});

test('full screen: a modal dialog holding the grid; Escape closes it and the grid is back in the page', async () => {
  await page.locator('ci-table button:has-text("Full screen")').click();
  await page.locator('ci-table dialog.full[open] [role=grid]').waitFor();
  const size = await page.locator('ci-table dialog.full').boundingBox();
  const view = page.viewportSize();
  assert.ok(size.width >= view.width - 2 && size.height >= view.height - 2, `the dialog fills the window: ${JSON.stringify(size)}`);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !window.tableElement().renderRoot.querySelector('dialog'));
  await grid().waitFor();
  assert.equal(await page.evaluate(() => window.tableElement().full), false);
});

test('dark mode follows the system (theme variables), and the page saw no CSP violation', async () => {
  const bg = () => page.evaluate(() => getComputedStyle(window.tableElement().renderRoot.querySelector('.frame')).backgroundColor);
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await bg();
  await page.emulateMedia({ colorScheme: 'dark' });
  const dark = await bg();
  assert.notEqual(light, dark);
  assert.equal(dark, 'rgb(27, 28, 31)', 'the dark --ci-bg');
  assert.deepEqual(await page.evaluate(() => window.violations), []);
});

test('an empty table and a table without columns say so, and a table that is not JSON shows its text fallback', async () => {
  await page.evaluate(() => window.showTable({ mime: 'application/vnd.dataresource+json', data: '{"schema":{"fields":[{"name":"a","type":"any"}]},"data":[],"total_rows":0}', text: 'a' }));
  await page.locator('ci-table .none:has-text("No rows.")').waitFor();
  assert.equal((await state()).rowcount, 1);
  await page.evaluate(() => window.showTable({ mime: 'application/vnd.dataresource+json', data: '{"schema":{"fields":[]},"data":[],"total_rows":0}', text: '' }));
  await page.locator('ci-table .none:has-text("No rows.")').waitFor();
  await page.evaluate(() => window.showTable({ mime: 'application/vnd.dataresource+json', data: '{"schema": [', text: 'the preview text' }));
  await page.locator('ci-table [role=alert]:has-text("could not be read")').waitFor();
  assert.equal(await page.locator('ci-table pre.fallback').textContent(), 'the preview text');
  assert.deepEqual(await page.evaluate(() => window.violations), []);
});
