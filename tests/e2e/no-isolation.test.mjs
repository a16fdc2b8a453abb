// PythonSandbox on a page that is NOT cross-origin isolated (serve.mjs
// --no-isolation, like a plain static host): there is no interrupt buffer, so
// stopping a run means dropping the frame and starting a new one. Checked
// with the sandbox alone, and end to end with the real core (build/wasm) and
// driver: after a restart the core resends the files, so they are intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, artifactPath } from './harness.mjs';
import { useSandboxPage } from './sandbox-page.mjs';

let page;

useSandboxPage({
  isolation: false,
  setup: async (p) => {
    page = p;
    const start = await page.evaluate(async () => {
      window.restarts = [];
      window.sb = makeSandbox({ snapshots: false, onRestart: (info) => window.restarts.push(info) });
      await window.sb.start();
      return { ...window.sb.lastStart, isolated: crossOriginIsolated };
    });
    console.log(`# not-isolated start: ${JSON.stringify(start)}`);
    assert.equal(start.isolated, false);
    assert.equal(start.interrupt, 'restart');
  },
});

test('stop = restart: interrupt answers cancelled + restarted at once, variables reset, the next run works', async () => {
  const r = await page.evaluate(async () => {
    await window.sb.run({ exec_id: 'set', code: 'x = 5', timeout_ms: 10000 });
    const done = window.sb.run({ exec_id: 'spin', code: 'while True: pass', timeout_ms: 30000 });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    window.sb.interrupt('spin', false); // no buffer: restart even though restart=false
    const result = await done;
    const stopMs = performance.now() - t0;
    const t1 = performance.now();
    const next = await window.sb.run({ exec_id: 'after', code: '"x" in globals()', timeout_ms: 30000 });
    return { result, stopMs, next, nextMs: performance.now() - t1, restarts: window.restarts };
  });
  console.log(`# stop by restart: answered in ${r.stopMs.toFixed(1)} ms; next run (waits for the new interpreter) ${Math.round(r.nextMs)} ms`);
  assert.equal(r.result.status, 'cancelled');
  assert.equal(r.result.restarted, true);
  assert.match(r.result.error.message, /restarted/);
  assert.match(r.result.error.message, /files in \/mnt\/data are kept/);
  assert.ok(r.stopMs < 200);
  assert.equal(r.next.status, 'ok', JSON.stringify(r.next.error));
  assert.equal(r.next.result, 'False');
  assert.deepEqual(r.restarts.map((x) => x.reason), ['cancelled']);
});

test('time limit without isolation: status timeout, restarted', async () => {
  const r = await page.evaluate(() => window.sb.run({ exec_id: 'slow', code: 'while True: pass', timeout_ms: 600 }));
  assert.equal(r.status, 'timeout');
  assert.equal(r.restarted, true);
  assert.equal(r.error.type, 'TimeoutError');
  assert.match(r.error.message, /time limit/);
});

const coreBuilt = fs.existsSync(path.join(ROOT, 'build/wasm/ci_core.wasm'));
test('end to end with the core and driver: files are intact after a restart (the core resends them)', { skip: !coreBuilt && 'build/wasm is not built' }, async () => {
  const r = await page.evaluate(async () => {
    const { loadCore } = await import('/js_glue/core.mjs');
    const { Driver } = await import('/js_glue/driver.mjs');
    const core = await loadCore({ moduleUrl: '/build/wasm/ci_core.mjs', wasmUrl: '/build/wasm/ci_core.wasm' });
    const session = core.createSession({
      // No model is asked: "Run Python" turns only.
      provider: { format: 'openai', base_url: 'http://127.0.0.1:9/v1', model: 'none', auth: 'bearer' },
      sandbox: { time_limit_ms: 1500 },
    });
    const runs = [];
    const sandbox = {
      run: async (request) => {
        const result = await window.sb.run(request);
        runs.push({ exec_id: request.exec_id, timeout_ms: request.timeout_ms, wrote: request.files.write.map((f) => f.path), status: result.status, restarted: !!result.restarted, stdout: result.stdout, error: result.error });
        return result;
      },
      interrupt: (id, restart) => window.sb.interrupt(id, restart),
    };
    const emitted = [];
    const driver = new Driver(session, { sandbox, onEmit: (e) => emitted.push(e) });
    const turn = async (code) => {
      const done = driver.turnDone();
      const res = driver.runCode(code);
      if (res.error) throw new Error(JSON.stringify(res.error));
      return withTimeout(done);
    };
    const withTimeout = (p) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('turn did not end')), 30000))]);
    driver.upload('data.csv', new TextEncoder().encode('a,b\n1,2\n3,4\n'), 'text/csv');
    await turn('rows = open("data.csv").read().splitlines()\nprint(len(rows))\nopen("made.txt", "w").write("made by python")');
    await turn('while True: pass');
    await turn('print(open("data.csv").read().count("\\n"), open("made.txt").read(), "rows" in globals())');
    driver.close();
    session.destroy();
    return { runs, notices: emitted.filter((e) => e.type === 'notice' || e.type === 'error').map((e) => e.message ?? e.text ?? JSON.stringify(e)) };
  });
  console.log(`# core + driver runs: ${JSON.stringify(r.runs.map(({ exec_id, wrote, status, restarted }) => ({ exec_id, wrote, status, restarted })))}`);
  assert.equal(r.runs.length, 3);
  assert.equal(r.runs[0].status, 'ok', JSON.stringify(r.runs[0].error));
  assert.deepEqual(r.runs[0].wrote, ['data.csv']);
  assert.equal(r.runs[0].stdout, '3\n');
  assert.equal(r.runs[1].status, 'timeout');
  assert.equal(r.runs[1].restarted, true);
  assert.equal(r.runs[1].timeout_ms, 1500);
  // After the restart the core sends every file again: the upload and the file Python made.
  assert.deepEqual([...r.runs[2].wrote].sort(), ['data.csv', 'made.txt']);
  assert.equal(r.runs[2].status, 'ok', JSON.stringify(r.runs[2].error));
  assert.equal(r.runs[2].stdout, '3 made by python False\n');
  await page.screenshot({ path: artifactPath('no-isolation.png'), fullPage: true });
});
