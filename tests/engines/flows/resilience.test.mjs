// Failures stay bounded and clear, in every engine:
// - Python that cannot start (a damaged pyodide.asm.wasm: its instantiation
//   fails inside Pyodide, which would otherwise hang) is tried a bounded
//   number of times, then the status line says "Python could not start:
//   <the reason>" with a Retry; nothing is written into any conversation and
//   none is created; Retry tries again, bounded again.
// - Stop ends a cell blocked in a JavaScript call that never returns (an
//   await of a promise that never settles: the interrupt cannot reach it) at
//   once — by restarting Python after the short grace — with the files kept.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startApp } from '../../e2e/harness.mjs';
import { copyDist } from '../../e2e/pwa-helpers.mjs';
import { defineFlows, openApp, closePage, waitReady, vm, pythonMode, typeAndRun, waitCellDone, FILE_INPUT, COMPOSER } from './common.mjs';

let good;
let broken;
let goodServer;
let brokenServer;
async function servers() {
  if (goodServer) return;
  good = await copyDist();
  goodServer = await startApp({ isolation: true, dist: good.dir, checkout: false });
  broken = await copyDist();
  // The interpreter's wasm, damaged: same size, not a module any more.
  const wasm = path.join(broken.dir, 'pyodide', 'pyodide.asm.wasm');
  const bytes = fs.readFileSync(wasm);
  bytes.fill(0x42, 0, 64);
  fs.writeFileSync(wasm, bytes);
  brokenServer = await startApp({ isolation: true, dist: broken.dir, checkout: false });
}
after(async () => {
  await Promise.all([goodServer?.close(), brokenServer?.close()]);
  good?.remove();
  broken?.remove();
});

const facts = (page) => page.evaluateAsync(async () => {
  const app = document.querySelector('code-interpreter').app;
  const list = await app.store.listConversations();
  return {
    state: app.vm.python.state,
    message: app.vm.python.message,
    attempts: app.sandbox.startAttempts,
    conversations: list.length,
    items: app.vm.items.length,
    retry: !!document.querySelector('code-interpreter').shadowRoot.querySelector('ci-composer')?.shadowRoot.querySelector('.py button.retry'),
  };
});

defineFlows(import.meta.url, [
  {
    name: 'Python that cannot start: bounded tries, the reason, Retry, nothing written',
    fresh: true,
    async run({ browser, log }) {
      await servers();
      const page = await openApp(browser, `${brokenServer.url}/`, { ready: false });
      try {
        await page.waitFor(() => document.querySelector('code-interpreter')?.app?.vm?.python?.state === 'failed', null, { timeout: 180000 });
        const first = await facts(page);
        log(`after the first start: ${JSON.stringify(first)}`);
        assert.match(first.message, /^Python could not start: \S/, 'the status line says Python could not start, and why');
        assert.ok(first.message.length > 'Python could not start: '.length + 10, `a real reason: ${first.message}`);
        assert.ok(first.attempts >= 1 && first.attempts <= 3, `bounded tries: ${first.attempts}`);
        assert.equal(first.retry, true, 'a Retry button');
        assert.equal(first.conversations, 0, 'no conversation was created');
        assert.equal(first.items, 0, 'nothing was written into the conversation');

        await page.click(`${COMPOSER} >> .py button.retry`);
        await page.waitFor(() => document.querySelector('code-interpreter').app.vm.python.state === 'starting', null, { timeout: 10000 }).catch(() => {});
        await page.waitFor(() => document.querySelector('code-interpreter').app.vm.python.state === 'failed', null, { timeout: 180000 });
        const second = await facts(page);
        log(`after Retry: ${JSON.stringify(second)}`);
        assert.ok(second.attempts > first.attempts && second.attempts <= first.attempts + 3, `Retry tries again, bounded: ${first.attempts} → ${second.attempts}`);
        assert.equal(second.conversations, 0);
        assert.equal(second.items, 0);
      } finally {
        await closePage(page);
      }
    },
  },
  {
    name: 'Stop ends a cell blocked in a JavaScript call at once, files kept',
    async run({ browser, log }) {
      await servers();
      const page = await openApp(browser, `${goodServer.url}/`);
      try {
        await page.setInputFiles(FILE_INPUT, [{ name: 'kept.txt', mimeType: 'text/plain', buffer: Buffer.from('still here') }]);
        await page.waitFor(() => document.querySelector('code-interpreter').app.vm.files.some((f) => f.path === 'kept.txt'));
        await pythonMode(page);
        const n = (await vm(page)).items.filter((i) => i.kind === 'cell').length;
        await typeAndRun(page, "import js\nprint('waiting', flush=True)\nawait js.Promise.new(lambda resolve, reject: None)");
        // Running, and inside the await (its first line printed).
        await page.waitFor(() => {
          const v = document.querySelector('code-interpreter').app.vm;
          return v.running && [...v.live.values()].some((l) => l.stdout.includes('waiting'));
        }, null, { timeout: 60000 });
        const t0 = Date.now();
        await page.click(`${COMPOSER} >> button.stop`);
        const cell = await waitCellDone(page, n, { timeout: 15000 });
        const ms = Date.now() - t0;
        log(`Stop → cell ended in ${ms} ms: ${cell.status}; notes ${JSON.stringify(cell.notes)}`);
        assert.equal(cell.kind, 'cancelled', `the cell is stopped: ${JSON.stringify(cell)}`);
        assert.ok(ms < 8000, `it ended promptly (${ms} ms; the interrupt grace is 2 s)`);
        await waitReady(page);
        const next = await waitCellDoneAfter(page, "print(open('kept.txt').read())");
        assert.equal(next.stdout.trim(), 'still here', 'the files are in the new Python');
      } finally {
        await closePage(page);
      }
    },
  },
]);

async function waitCellDoneAfter(page, code) {
  const n = (await vm(page)).items.filter((i) => i.kind === 'cell').length;
  await typeAndRun(page, code);
  return waitCellDone(page, n);
}
