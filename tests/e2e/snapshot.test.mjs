// Warm start: the first plain load makes a memory snapshot (before any run),
// the host stores it in IndexedDB, and the next sandbox starts from it.
// Prints cold vs warm ready times measured in the same page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useSandboxPage } from './sandbox-page.mjs';

let page;

useSandboxPage({ isolation: true, setup: (p) => { page = p; } });

test('cold start makes a snapshot; the next start loads it and is faster; runs work', async () => {
  const r = await page.evaluate(async () => {
    const { IndexedDbSnapshotStore } = await import('/js_glue/sandbox/snapshot-store.mjs');
    await new IndexedDbSnapshotStore().clear();
    const cold = makeSandbox({ snapshots: true });
    await cold.start();
    await cold.snapshotDone;
    await cold.snapshotStored;
    // The snapshot is made by an interpreter of its own, closed once done.
    const coldFrames = document.querySelectorAll('iframe[title="Python sandbox"]').length;
    const coldRun = await cold.run({ exec_id: 'c1', code: 'x = 2\nx * 21', timeout_ms: 20000 });
    // The browser's globals work as on any other start (an interpreter that
    // made a snapshot has a stand-in js module: "Illegal invocation").
    const coldJs = await cold.run({ exec_id: 'c2', code: 'import js\n[type(js.navigator.userAgent).__name__, type(js.location.href).__name__, js.self is not None]', timeout_ms: 20000 });
    const coldStart = cold.lastStart;
    cold.close();

    const warm = makeSandbox({ snapshots: true });
    await warm.start();
    const warmStart = warm.lastStart;
    const warmRun = await warm.run({ exec_id: 'w1', code: 'import json\nprint(json.dumps({"a": 1}))\n"x" in globals()', timeout_ms: 20000 });
    const warmDisplay = await warm.run({ exec_id: 'w2', code: 'class H:\n    def _repr_html_(self): return "<b>warm</b>"\ndisplay(H())', timeout_ms: 20000 });
    // A restart of a warm sandbox starts from the snapshot too.
    const t0 = performance.now();
    await warm.restart('test');
    const restartMs = performance.now() - t0;
    const afterRestart = await warm.run({ exec_id: 'w3', code: '1 + 1', timeout_ms: 20000 });
    const warmJs = await warm.run({ exec_id: 'w4', code: 'import js\n[type(js.navigator.userAgent).__name__, type(js.location.href).__name__, js.self is not None]', timeout_ms: 20000 });
    warm.close();
    return { coldFrames, coldStart, coldRun: coldRun.result, coldJs: [coldJs.result, coldJs.error?.message], warmJs: [warmJs.result, warmJs.error?.message], warmStart, warmRun: { status: warmRun.status, stdout: warmRun.stdout, result: warmRun.result, error: warmRun.error },
      warmDisplay: warmDisplay.outputs, restartMs, restartStart: warm.lastStart, afterRestart: afterRestart.result };
  });
  console.log(`# cold start: ${JSON.stringify(r.coldStart)}`);
  console.log(`# warm start: ${JSON.stringify(r.warmStart)}`);
  console.log(`# ready: cold ${r.coldStart.ready_ms} ms (Python init ${r.coldStart.init_ms} ms) vs warm ${r.warmStart.ready_ms} ms (Python init ${r.warmStart.init_ms} ms); restart from snapshot ${Math.round(r.restartMs)} ms`);
  assert.equal(r.coldStart.mode, 'plain');
  assert.equal(r.coldStart.snapshot, 'made', r.coldStart.snapshot_error);
  assert.equal(r.coldRun, '42');
  assert.deepEqual(r.coldJs, ["['str', 'str', True]", undefined], 'js works on the start that made the snapshot');
  assert.deepEqual(r.warmJs, r.coldJs, 'the same js on a start from the snapshot');
  assert.ok(r.coldStart.snapshot_aside_ms > 0, 'the snapshot was made aside, not by the interpreter the runs got');
  assert.equal(r.coldFrames, 1, 'the interpreter that made the snapshot is gone');
  assert.equal(r.warmStart.mode, 'snapshot');
  assert.equal(r.warmRun.status, 'ok', JSON.stringify(r.warmRun.error));
  assert.equal(r.warmRun.stdout, '{"a": 1}\n');
  assert.equal(r.warmRun.result, 'False', 'a fresh interpreter: nothing from the cold one');
  assert.deepEqual(r.warmDisplay, [{ mime: 'text/html', data: '<b>warm</b>' }]);
  assert.ok(r.warmStart.init_ms < r.coldStart.init_ms, 'the snapshot start is faster');
  assert.equal(r.restartStart.mode, 'snapshot');
  assert.equal(r.afterRestart, '2');
});

test('a broken snapshot is dropped and the sandbox loads plainly', async () => {
  const r = await page.evaluate(async () => {
    const { IndexedDbSnapshotStore } = await import('/js_glue/sandbox/snapshot-store.mjs');
    const store = new IndexedDbSnapshotStore();
    const probe = makeSandbox({ snapshots: store });
    const key = probe.snapshotKey(await probe.assets());
    await store.put(key, new Uint8Array(1024).fill(7)); // garbage under the right key
    await probe.start();
    const run = await probe.run({ exec_id: 'b1', code: '3 * 3', timeout_ms: 20000 });
    await probe.snapshotDone;
    await probe.snapshotStored;
    const start = probe.lastStart;
    probe.close();
    const stored = await store.get(key);
    return { start, result: run.result, storedBytes: stored?.byteLength ?? 0 };
  });
  console.log(`# after a broken snapshot: ${JSON.stringify(r.start)}`);
  assert.equal(r.start.mode, 'plain');
  assert.equal(r.result, '9');
  assert.equal(r.start.snapshot, 'made', 'a good snapshot replaced the broken one');
  assert.ok(r.storedBytes > 1_000_000);
});
