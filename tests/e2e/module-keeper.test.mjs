// The module keeper (js_glue/sandbox/module-keeper.mjs): once Python has
// started, a second opaque frame compiles the interpreter's wasm and keeps it,
// so a restart's new worker finds it compiled (and optimized). What the time
// saved is, is measured in bench/ (node bench/sandbox.mjs); this proves the
// wiring: the frame is made once, is sandboxed like the Python frame, answers
// that it holds the module, is there for every restart, never counts as the
// Python frame, and goes with close(). Off by option, there is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandboxPage } from './sandbox-page.mjs';

let page;

useSandboxPage({ isolation: true, setup: (p) => { page = p; } });

const KEEPER = 'iframe[title="Python sandbox (compiled code)"]';
const PYTHON = 'iframe[title="Python sandbox"]';

test('a kept module: made once after the first start, there for each restart, gone with close()', async () => {
  const r = await page.evaluate(async ({ KEEPER, PYTHON }) => {
    const frames = (sel) => [...document.querySelectorAll(sel)].map((f) => ({ sandbox: f.getAttribute('sandbox'), allow: f.getAttribute('allow') }));
    const sb = makeSandbox({ snapshots: 'memory' });
    await sb.start();
    const kept = await sb.compiledCodeKept;
    await sb.snapshotDone; // its interpreter, in a frame of its own, is closed once done
    const first = { start: sb.lastStart.compiled_code, keepers: frames(KEEPER), pythons: frames(PYTHON).length };
    const restarts = [];
    for (let i = 0; i < 2; i++) {
      await sb.restart('test');
      const run = await sb.run({ exec_id: `r${i}`, code: 'sum(range(10))', timeout_ms: 20000 });
      restarts.push({ compiled: sb.lastStart.compiled_code, result: run.result, keepers: frames(KEEPER).length, pythons: frames(PYTHON).length });
    }
    sb.close();
    return { kept, first, restarts, state: sb.keeper.state, afterClose: document.querySelectorAll('iframe').length };
  }, { KEEPER, PYTHON });
  assert.equal(r.kept, true, 'the keeper answered that it holds the compiled module');
  assert.equal(r.first.start, 'none', 'the first start had no kept module');
  assert.deepEqual(r.first.keepers, [{ sandbox: 'allow-scripts', allow: 'cross-origin-isolated' }], 'one keeper frame, opaque like the Python frame');
  assert.equal(r.first.pythons, 1, 'the keeper is not taken for a second Python frame');
  for (const s of r.restarts) {
    assert.equal(s.compiled, 'held', 'the restart started with the module kept');
    assert.equal(s.result, '45');
    assert.equal(s.keepers, 1, 'still one keeper: restarts make none');
    assert.equal(s.pythons, 1);
  }
  assert.equal(r.state, 'closed');
  assert.equal(r.afterClose, 0, 'close() removed the keeper frame with the Python frame');
});

test('keepCompiledCode: false makes no keeper', async () => {
  const r = await page.evaluate(async ({ KEEPER }) => {
    const sb = makeSandbox({ snapshots: 'memory', keepCompiledCode: false });
    await sb.start();
    await sb.restart('test');
    const out = { keepers: document.querySelectorAll(KEEPER).length, compiled: sb.lastStart.compiled_code, kept: sb.compiledCodeKept ?? null };
    sb.close();
    return out;
  }, { KEEPER });
  assert.deepEqual(r, { keepers: 0, compiled: 'none', kept: null });
});
