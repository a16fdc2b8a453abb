// Helpers for the browser tests of the built app (dist/, served at / by
// scripts/serve.mjs). scripts/test.sh builds it ("npm run build") before
// the browser tests; run alone, build it first.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { ROOT } from './harness.mjs';

export const DIST_INDEX = path.join(ROOT, 'dist/index.html');

/** Throws a clear error when the app is not built. */
export function requireBuiltApp() {
  if (!fs.existsSync(DIST_INDEX)) {
    throw new Error('dist/index.html is missing: build the app with "npm run build" (scripts/test.sh does it before the browser tests)');
  }
}

// A long markdown answer for the streaming checks (a heading, a list, a
// code block, a table, then twelve paragraphs and "The end."), streamed
// slowly enough to be looked at while it arrives.
const fence = '```';
export const STREAMED_ANSWER = [
  '# Sales by region',
  '',
  'I read **sales.csv** (2,000 rows) and summed `total` per region.',
  '',
  '1. The north leads.',
  '2. The south follows.',
  '',
  `${fence}python`,
  'import pandas as pd',
  "df = pd.read_csv('/mnt/data/sales.csv')",
  "print(df.groupby('region').total.sum())",
  fence,
  '',
  '| region | total |',
  '|---|---:|',
  '| north | 1,204 |',
  '| south | 998 |',
  '',
  ...Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1} of the explanation, with *emphasis* and a [link](https://example.com/${i}).\n`),
  'The end.',
].join('\n');

/** The block elements the finished STREAMED_ANSWER renders to, in order. */
export const STREAMED_ANSWER_BLOCKS = ['h1', 'p', 'ol', 'pre', 'table', ...Array(12).fill('p'), 'p'];

// A 16×16 PNG made with the standard library only, shown with display()
// and saved as chart.png; then the uploaded CSV is summed.
export const CHART_CODE = `import zlib, struct
rows = [b'\\x00' + bytes([x * 16, 255 - x * 16, 128]) * 16 for x in range(16)]
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 16, 16, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b''.join(rows))) + chunk(b'IEND', b'')
class Picture:
    def _repr_png_(self): return png
display(Picture())
open('chart.png', 'wb').write(png)
rows_total = sum(int(line.split(',')[1]) for line in open('sales.csv').read().split()[1:])
print('total:', rows_total)
rows_total * 2`;

/** The raw pixel rows CHART_CODE compresses (filter byte + RGB). */
export function expectedChartRows() {
  const rows = [];
  for (let x = 0; x < 16; x += 1) {
    rows.push(0);
    for (let i = 0; i < 16; i += 1) rows.push(x * 16, 255 - x * 16, 128);
  }
  return Buffer.from(rows);
}

/**
 * Opens the app with a CSP-violation listener and an XSS canary
 * (window.__pwned(): must never be called), and waits until Python is ready.
 */
export async function openApp(browser, url, { width = 1280, height = 860 } = {}) {
  const page = await browser.newPage();
  await page.setViewportSize({ width, height });
  const violations = [];
  await page.exposeFunction('reportViolation', (v) => violations.push(v));
  await page.addInitScript(() => {
    window.__pwnedCalls = 0;
    window.__pwned = () => { window.__pwnedCalls += 1; };
    document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
  });
  await page.goto(`${url}/`);
  await waitReady(page);
  return { page, violations };
}

export async function waitReady(page) {
  await page.waitForFunction(() => {
    const vm = document.querySelector('code-interpreter')?.app?.vm;
    if (vm?.phase === 'failed') throw new Error(vm.fatal);
    return vm?.phase === 'ready' && vm.python.state === 'ready';
  }, null, { timeout: 90000 });
}

/** The controller's view model, as plain data. */
export function vm(page) {
  return page.evaluate(() => {
    const v = document.querySelector('code-interpreter').app.vm;
    return { ...v, live: undefined, turnUsage: Object.fromEntries(v.turnUsage) };
  });
}

/**
 * Waits until no turn runs and `predicate(vm)` holds. Polls from Node: the
 * page's CSP refuses string evaluation, and a refused eval would count as
 * a violation.
 */
export async function waitIdle(page, predicate = () => true, timeout = 60000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await vm(page);
    if (!last.running && predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for the app to be idle with ${predicate}; items: ${JSON.stringify(last?.items?.map((i) => [i.kind, i.text ?? i.exec?.status]))}`);
}

/**
 * Opens the settings dialog on the custom preset with this base URL (the
 * model list starts loading when the field is left). Returns the dialog.
 */
export async function openCustomSettings(page, baseUrl) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.locator('ci-settings dialog');
  await dialog.locator('select[name=preset]').selectOption('custom');
  await dialog.locator('input[name=baseUrl]').fill(baseUrl);
  await dialog.locator('input[name=baseUrl]').press('Tab');
  return dialog;
}

/** Settings through the controller (the settings dialog has its own test). */
export async function configure(page, settings, key) {
  await page.evaluate(([s, k]) => document.querySelector('code-interpreter').app.saveSettings(s, k), [settings, key]);
}

/** Sends a message through the input box with Enter. */
export async function ask(page, text) {
  const box = page.locator('ci-composer textarea');
  await box.fill(text);
  await box.press('Enter');
}

export function assertNoViolations(violations) {
  assert.deepEqual(violations, [], 'no CSP violation on the app page');
}

export async function canaryCalls(page) {
  return page.evaluate(() => window.__pwnedCalls);
}
