// PythonSandbox in real Chromium (cross-origin isolated): a stop of a run
// that waits behind another answers it at once as interrupted and its code
// never runs; a stop with restart of a waiting run does not restart Python,
// and the run ahead of it goes on until it is stopped itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandboxPage } from './sandbox-page.mjs';

let page;

useSandboxPage({
  isolation: true,
  setup: async (p) => {
    page = p;
    await page.evaluate(async () => {
      window.sb = makeSandbox({ snapshots: false });
      window.sb.options.graceMs = 15000; // a slow interrupt under load must not turn into a restart here
      window.sb.options.onRestart = (info) => { (window.restarts ??= []).push(info); };
      await window.sb.start();
    });
  },
});

test('runs waiting behind a long run, stopped, never run; the long run is untouched and keeps its variables', async () => {
  const r = await page.evaluate(async () => {
    const files = { write: [], delete: [] };
    const from = window.events.length;
    const a = window.sb.run({ exec_id: 'qa', code: 'import time\nkept_by_a = 7\nprint("looping", flush=True)\nwhile True: time.sleep(0.02)', timeout_ms: 60000, files });
    // Wait for A's loop (its first line), so B and C surely wait behind it.
    await new Promise((resolve) => {
      const check = setInterval(() => {
        if (window.events.slice(from).some((e) => e.exec_id === 'qa' && e.type === 'stdout')) { clearInterval(check); resolve(); }
      }, 10);
    });
    const b = window.sb.run({ exec_id: 'qb', code: 'b_ran = True\nprint("B ran")', timeout_ms: 60000, files });
    const c = window.sb.run({ exec_id: 'qc', code: 'c_ran = True\nprint("C ran")', timeout_ms: 60000, files });
    let aDone = false;
    a.then(() => { aDone = true; });
    const reached = [window.sb.interrupt('qb', false), window.sb.interrupt('qc', true)];
    const [rb, rc] = await Promise.all([b, c]);
    const aDoneAfterStops = aDone;
    const late = window.sb.interrupt('qb', false);
    reached.push(window.sb.interrupt('qa', false));
    const ra = await a;
    const after = await window.sb.run({ exec_id: 'qd', code: '(kept_by_a, "b_ran" in globals(), "c_ran" in globals())', timeout_ms: 60000, files });
    const pick = (x) => ({ status: x.status, outcome: x.outcome, restarted: x.restarted, type: x.error?.type, message: x.error?.message, stdout: x.stdout });
    return {
      reached, late, aDoneAfterStops, b: pick(rb), c: pick(rc), a: pick(ra), after: after.result,
      restarts: window.restarts ?? [], seen: window.events.slice(from).filter((e) => e.exec_id === 'qb' || e.exec_id === 'qc'),
    };
  });
  assert.deepEqual(r.reached, [true, true, true], 'each stop reached its run');
  assert.equal(r.late, false, 'a late stop of answered B reaches nothing');
  const stopped = { status: 'cancelled', outcome: 'interrupted', restarted: false, type: 'KeyboardInterrupt', stdout: '',
    message: 'The run was stopped before it started, so its code did not run; variables are kept.' };
  assert.deepEqual(r.b, stopped);
  assert.deepEqual(r.c, stopped);
  assert.equal(r.aDoneAfterStops, false, 'A went on after B and C were stopped');
  assert.deepEqual({ status: r.a.status, outcome: r.a.outcome, restarted: r.a.restarted }, { status: 'cancelled', outcome: 'interrupted', restarted: false });
  assert.equal(r.after, '(7, False, False)', 'A\'s variable kept; neither B nor C ran');
  assert.deepEqual(r.restarts, [], 'Python was not restarted');
  assert.deepEqual(r.seen, [], 'no event from B or C');
});
