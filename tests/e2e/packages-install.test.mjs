// Packages from an index in the built app (issue 14), in real Chromium
// against a private copy of dist/ whose config.json names a local PEP 691
// index (tests/support/pep691-server.mjs): an import of a package Python
// does not have opens the consent dialog (names, versions, sizes, where
// from); "Allow for this conversation" installs the three-wheel chain; then,
// with the index gone, the app's server gone and the browser offline, a
// reload brings the conversation back and the import works again without a
// question (the wheels come from the cache, checked again). No CSP violation.
// Screenshot: test-results/e2e/packages-consent.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startApp, launchBrowser, artifactPath } from './harness.mjs';
import { requireBuiltApp, openApp, waitReady, vm, waitIdle, assertNoViolations } from './app-helpers.mjs';
import { copyDist, waitControlled, runCell } from './pwa-helpers.mjs';
import { startIndexServer } from '../support/pep691-server.mjs';

const cells = (v) => v.items.filter((i) => i.kind === 'cell');

test('import → consent dialog → chain installed → offline reload: works without asking', { timeout: 240000 }, async () => {
  requireBuiltApp();
  const index = await startIndexServer();
  const copy = await copyDist();
  const configPath = path.join(copy.dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  fs.writeFileSync(configPath, JSON.stringify({ ...config, packages: { indexes: [index.url], allow: [], deny: [] } }));
  const app = await startApp({ dist: copy.dir, isolation: true, checkout: false });
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    await waitReady(page);
    await waitControlled(page);

    const n = cells(await vm(page)).length;
    const accepted = await page.evaluate(() => document.querySelector('code-interpreter').app.runCode('import ci_chain_a\nprint(ci_chain_a.VALUE)'));
    assert.ok(accepted);
    const dialog = page.locator('ci-consent dialog[open]');
    await dialog.waitFor({ timeout: 90000 });
    const text = await dialog.innerText();
    for (const name of ['ci-chain-a 1.0.0', 'ci-chain-b 1.0.0', 'ci-chain-c 1.0.0']) assert.ok(text.includes(name), `${name} in: ${text}`);
    assert.match(text, /127\.0\.0\.1/);
    await page.screenshot({ path: artifactPath('packages-consent.png') });
    const t0 = await page.evaluate(() => performance.now());
    await dialog.locator('button[data-answer=conversation]').click();
    const v = await waitIdle(page, (s) => cells(s).length === n + 1 && cells(s).at(-1).exec?.status && cells(s).at(-1).exec.status !== 'running', 90000);
    const t1 = await page.evaluate(() => performance.now());
    const exec = cells(v).at(-1).exec;
    assert.equal(exec.status, 'ok', exec.stderr);
    assert.equal(exec.stdout.trim(), 'a+b+c');
    console.log(`# consent → import done (three wheels, Chromium): ${Math.round(t1 - t0)} ms`);
    assert.equal(await page.locator('ci-consent dialog[open]').count(), 0, 'the dialog closed');

    // Allowed for this conversation: a further install asks nothing.
    const again = await runCell(page, 'import micropip\nawait micropip.install("ci-plain")\nimport ci_plain\nprint(ci_plain.VERSION)');
    assert.equal(again.status, 'ok', again.stderr);
    assert.equal(again.stdout.trim(), '1.0.0');

    // Everything gone but the browser's own storage: offline reload.
    await index.close();
    await app.close();
    await browser.context.setOffline(true);
    await page.reload();
    await waitReady(page);
    const after = await runCell(page, 'import ci_chain_a, ci_plain\nprint(ci_chain_a.VALUE)');
    assert.equal(after.status, 'ok', after.stderr);
    assert.equal(after.stdout.trim(), 'a+b+c');
    assert.equal(await page.locator('ci-consent dialog[open]').count(), 0, 'no question after the reload');
    assertNoViolations(violations);
  } finally {
    await browser.close();
    await app.close().catch(() => {});
    await index.close().catch(() => {});
    copy.remove();
  }
});
