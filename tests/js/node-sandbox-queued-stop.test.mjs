// NodeSandbox with REAL Pyodide: a stop of a run that waits behind another
// (queued in the run supervisor) answers it at once as interrupted, and its
// code never runs, even after the run ahead of it is stopped too. A stop
// with restart of a queued run does not restart Python (the run ahead keeps
// running, and its variables survive).
import test from 'node:test';
import assert from 'node:assert/strict';
import { NodeSandbox } from '../../js_glue/python/node-sandbox.mjs';

const events = [];
let sandbox;
let onStdout = () => {};
test.before(async () => {
  sandbox = new NodeSandbox({
    graceMs: 5000, // an interrupt that is slow under load must not turn into a restart here
    onEvent: (e) => { events.push(e); if (e.type === 'stdout') onStdout(e); },
  });
  await sandbox.start();
});
test.after(() => sandbox?.close());

const run = (exec_id, code) => sandbox.run({ exec_id, code, timeout_ms: 60000, files: { write: [], delete: [] } });
const BEFORE_START = 'The run was stopped before it started, so its code did not run; variables are kept.';

test('runs queued behind a long run and stopped never run; the long run goes on until stopped, variables kept', async () => {
  // A prints once it is in its loop; the stops are asked for only then, so B and C are surely queued.
  const inLoop = new Promise((resolve) => { onStdout = (e) => { if (e.exec_id === 'A' && e.text.includes('looping')) resolve(); }; });
  const a = run('A', 'import time\nkept_by_a = 7\nprint("looping", flush=True)\nwhile True: time.sleep(0.02)');
  await inLoop;
  const b = run('B', 'b_ran = True\nprint("B ran")\nopen("b.txt", "w").write("B")');
  const c = run('C', 'c_ran = True\nprint("C ran")');
  let aDone = false;
  a.then(() => { aDone = true; });

  assert.equal(sandbox.interrupt('B', false), true, 'the stop reached queued B');
  assert.equal(sandbox.interrupt('C', true), true, 'the stop reached queued C');
  for (const [name, r] of [['B', await b], ['C', await c]]) {
    assert.deepEqual(
      { status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error?.type, message: r.error?.message, stdout: r.stdout, stderr: r.stderr },
      { status: 'cancelled', outcome: 'interrupted', restarted: false, type: 'KeyboardInterrupt', message: BEFORE_START, stdout: '', stderr: '' },
      name);
  }
  assert.equal(aDone, false, 'A was not touched by the stops of B and C (no restart for C)');
  assert.equal(sandbox.interrupt('B', false), false, 'a late stop of answered B reaches nothing');

  assert.equal(sandbox.interrupt('A', false), true);
  const ra = await a;
  assert.deepEqual({ status: ra.status, outcome: ra.outcome, restarted: ra.restarted }, { status: 'cancelled', outcome: 'interrupted', restarted: false });

  const after = await run('D', 'import os\n(kept_by_a, "b_ran" in globals(), "c_ran" in globals(), os.path.exists("b.txt"))');
  assert.equal(after.status, 'ok', JSON.stringify(after.error));
  assert.equal(after.result, '(7, False, False, False)', 'A\'s variable kept; neither B nor C ran');
  assert.ok(!events.some((e) => e.exec_id === 'B' || e.exec_id === 'C'), 'no event from B or C');
});
