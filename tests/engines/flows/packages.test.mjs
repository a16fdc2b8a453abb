// Packages from an index in every engine (issue 14): the built app with a
// config.json naming a local PEP 691 index; an import of a missing package
// opens the consent dialog, "Allow for this conversation" installs the
// three-wheel chain, the import works; after a reload the conversation's
// Python has it again without a question and without fetching a wheel (they
// come from the page's verified cache).
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startApp } from '../../e2e/harness.mjs';
import { copyDist } from '../../e2e/pwa-helpers.mjs';
import { startIndexServer } from '../../support/pep691-server.mjs';
import { defineFlows, openApp, closePage, waitReady, waitIdle, vm, runCode } from './common.mjs';

let dist;
let server;
let index;
async function servers() {
  if (server) return;
  index = await startIndexServer();
  dist = await copyDist();
  const configPath = path.join(dist.dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  fs.writeFileSync(configPath, JSON.stringify({ ...config, packages: { indexes: [index.url], allow: [], deny: [] } }));
  server = await startApp({ isolation: true, dist: dist.dir, checkout: false });
}
after(async () => {
  await server?.close();
  await index?.close();
  dist?.remove();
});

const DIALOG = 'code-interpreter >> ci-consent >> dialog';
const cells = (v) => v.items.filter((i) => i.kind === 'cell');
const wheelHits = () => index.hits.filter((h) => h.startsWith('/files/') && h.endsWith('.whl')).length;

defineFlows(import.meta.url, [
  {
    name: 'import → consent dialog → chain installed; after a reload it is back without a question',
    timeout: 240000,
    async run({ browser, log, notes }) {
      await servers();
      const page = await openApp(browser, `${server.url}/`);
      try {
        const n = cells(await vm(page)).length;
        const accepted = await page.evaluate(() => document.querySelector('code-interpreter').app.runCode('import ci_chain_a\nprint(ci_chain_a.VALUE)'));
        assert.ok(accepted);
        const text = await page.waitFor((sel, dq) => (dq(sel)?.open ? dq(sel).innerText || dq(sel).textContent : null), DIALOG, { timeout: 120000 });
        for (const name of ['ci-chain-a 1.0.0', 'ci-chain-b 1.0.0', 'ci-chain-c 1.0.0']) assert.ok(text.includes(name), `${name} in: ${text}`);
        const t0 = Date.now();
        await page.click(`code-interpreter >> ci-consent >> button[data-answer=conversation]`);
        const v = await waitIdle(page, (s) => cells(s).length === n + 1 && cells(s).at(-1).exec?.status && cells(s).at(-1).exec.status !== 'running', 90000);
        notes.consent_to_done_ms = Date.now() - t0;
        log(`consent → import done (three wheels): ${notes.consent_to_done_ms} ms (WebDriver polling included)`);
        const exec = cells(v).at(-1).exec;
        assert.equal(exec.status, 'ok', exec.stderr);
        assert.equal(exec.stdout.trim(), 'a+b+c');

        const fetched = wheelHits();
        await page.reload();
        await waitReady(page);
        const again = await runCode(page, 'import ci_chain_a\nprint(ci_chain_a.VALUE)');
        assert.equal(again.status, 'ok', again.stderr);
        assert.equal(again.stdout.trim(), 'a+b+c');
        assert.equal(await page.evaluate((sel, dq) => !!dq(sel)?.open, DIALOG), false, 'no question after the reload');
        notes.wheels_fetched_after_reload = wheelHits() - fetched;
        assert.equal(notes.wheels_fetched_after_reload, 0, 'the wheels came from the verified cache');
      } finally {
        await closePage(page);
      }
    },
  },
]);
