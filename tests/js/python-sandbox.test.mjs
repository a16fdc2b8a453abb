// NodeSandbox (worker_thread + SharedArrayBuffer interrupt) with REAL
// Pyodide: time limits, stop, crashes and restarts, big files through the
// worker, and a run through the real core + driver.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Driver } from '../../js_glue/driver.mjs';
import { NodeSandbox } from '../../js_glue/python/node-sandbox.mjs';
import { loadBuiltCore } from './load-core.mjs';

const enc = new TextEncoder();
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');

let sandbox;
const events = [];
const listeners = new Set();
/** Resolves once the run `execId` has printed `text` (its code is running, not still being set up). */
const printed = (execId, text) => new Promise((resolve) => {
  const check = (e) => { if (e.exec_id === execId && e.type === 'stdout' && e.text.includes(text)) { listeners.delete(check); resolve(); } };
  listeners.add(check);
});
test.before(async () => {
  sandbox = new NodeSandbox({ onEvent: (e) => { events.push(e); for (const fn of [...listeners]) fn(e); }, graceMs: 1500 });
  const t0 = Date.now();
  await sandbox.start();
  console.log(`# NodeSandbox ready in ${Date.now() - t0} ms (Pyodide load in a worker_thread)`);
});
test.after(() => sandbox?.close());

let n = 0;
const run = (code, extra = {}) => sandbox.run({ exec_id: `s${++n}`, code, timeout_ms: 30000, files: { write: [], delete: [] }, ...extra });

test('a run in the worker: result, streamed events', async () => {
  events.length = 0;
  const res = await run('kept = 123\nprint("hello from the worker")\nkept');
  assert.equal(res.status, 'ok');
  assert.equal(res.result, '123');
  assert.equal(res.stdout, 'hello from the worker\n');
  assert.ok(events.some((e) => e.type === 'stdout' && e.text.includes('hello from the worker') && e.exec_id === `s${n}`));
});

test('the time limit stops `while True: pass` quickly; variables survive', async () => {
  await run('survives = "yes"');
  const limit = 800;
  const t0 = Date.now();
  const res = await run('counter = 0\nwhile True:\n    counter += 1', { timeout_ms: limit });
  const latency = Date.now() - t0 - limit;
  console.log(`# interrupt latency after the deadline: ${latency} ms (busy loop)`);
  assert.equal(res.status, 'timeout');
  assert.equal(res.ok, false);
  assert.equal(res.error.type, 'TimeoutError');
  assert.equal(res.error.message, 'The code reached its time limit: it ran longer than the 0.8 s limit and was stopped; variables are kept.');
  assert.equal(res.outcome, 'timed_out');
  assert.match(res.error.traceback, /KeyboardInterrupt/);
  assert.ok(!res.restarted);
  assert.ok(latency < 2000, `stopped ${latency} ms after the deadline`);
  const after = await run('survives, counter > 0');
  assert.equal(after.result, "('yes', True)");
});

test('time.sleep and asyncio.sleep are interruptible too', async () => {
  for (const code of ['import time\ntime.sleep(30)', 'import asyncio\nawait asyncio.sleep(30)']) {
    const t0 = Date.now();
    const res = await run(code, { timeout_ms: 500 });
    const latency = Date.now() - t0 - 500;
    console.log(`# interrupt latency (${code.split('\n')[1]}): ${latency} ms`);
    assert.equal(res.status, 'timeout', code);
    assert.ok(!res.restarted, 'no restart needed');
    assert.ok(latency < 2000, `${latency} ms`);
  }
  assert.equal((await run('survives')).result, "'yes'");
});

test('code that ignores the interrupt (stuck in JavaScript) is killed after the grace period and answered restarted', async () => {
  const t0 = Date.now();
  const res = await run('from pyodide.code import run_js\nrun_js("for(;;){}")', { timeout_ms: 500 });
  const took = Date.now() - t0;
  console.log(`# stuck run answered after ${took} ms (limit 500 + grace 1500)`);
  assert.equal(res.status, 'timeout');
  assert.equal(res.restarted, true);
  assert.equal(res.outcome, 'timed_out');
  assert.match(res.error.message, /did not stop when interrupted, so Python was restarted: variables were reset; files in \/mnt\/data are kept/);
  assert.ok(took < 500 + 1500 + 2000);
  const next = await run('"fresh" if "survives" not in globals() else "old"');
  assert.equal(next.result, "'fresh'", 'a new interpreter answers');
});

test("the driver's stop: interrupt(exec_id) cancels, interrupt(exec_id, true) restarts", async () => {
  await run('before_stop = 1');
  let id = `s${++n}`;
  let going = printed(id, 'go');
  let p = sandbox.run({ exec_id: id, code: 'print("go", flush=True)\nwhile True: pass', timeout_ms: 60000, files: { write: [], delete: [] } });
  await going; // a stop before the code starts is another answer ('stopped before the code started')
  sandbox.interrupt(id, false);
  let res = await p;
  assert.equal(res.status, 'cancelled');
  assert.equal(res.outcome, 'interrupted');
  assert.equal(res.error.type, 'KeyboardInterrupt');
  assert.equal(res.error.message, 'The run was stopped; variables are kept.');
  assert.equal((await run('before_stop')).result, '1');

  id = `s${++n}`;
  going = printed(id, 'go');
  p = sandbox.run({ exec_id: id, code: 'print("go", flush=True)\nwhile True: pass', timeout_ms: 60000, files: { write: [], delete: [] } });
  await going;
  sandbox.interrupt(id, true);
  res = await p;
  assert.equal(res.status, 'cancelled');
  assert.equal(res.restarted, true);
  assert.equal(res.outcome, 'restarted');
  assert.equal(res.error.type, 'PythonRestarted');
  assert.equal((await run('"before_stop" in globals()')).result, 'False');
});

test('a worker that dies (process.exit, stack overflow in C recursion) answers crashed + restarted; the next run works', async () => {
  let res = await run('import js\njs.process.exit(3)');
  assert.equal(res.status, 'crashed');
  assert.equal(res.restarted, true);
  assert.equal(res.error.type, 'PythonCrashed');
  assert.match(res.error.message, /Python crashed .* and was restarted: variables were reset; files in \/mnt\/data are kept/);
  assert.equal((await run('6 * 7')).result, '42');

  // repr() of a 100000-deep list recurses in C and overflows the wasm stack.
  res = await run('nested = []\nfor _ in range(100000):\n    nested = [nested]\nrepr(nested)');
  assert.equal(res.status, 'crashed', JSON.stringify(res).slice(0, 300));
  assert.equal(res.restarted, true);
  assert.equal((await run('"alive"')).result, "'alive'");
});

test('recursion: RecursionError, never a crash, with the default and with a huge limit', async () => {
  let res = await run('def f(): f()\nf()');
  assert.equal(res.error.type, 'RecursionError');
  res = await run('import sys; sys.setrecursionlimit(10**6)\ndef f(n): return f(n+1)\nf(0)');
  assert.equal(res.error.type, 'RecursionError');
  assert.ok(!res.restarted);
});

test('a 100 MB file goes in and a 100 MB file comes out, bytes intact (hash), transferred not copied', async () => {
  const size = 100 * 1024 * 1024;
  const big = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) big[i] = (i / 4096) & 0xff;
  big[size - 1] = 7;
  const expected = sha(big);
  const t0 = Date.now();
  const res = await run(`
import hashlib
with open("big/in.bin", "rb") as f:
    data = f.read()
digest = hashlib.sha256(data).hexdigest()
with open("big/out.bin", "wb") as f:
    f.write(data[::-1])
del data
digest`, { files: { write: [{ path: 'big/in.bin', bytes: big }], delete: [] } });
  console.log(`# 100 MB in + 100 MB out: ${Date.now() - t0} ms`);
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.equal(big.byteLength, 0, 'the input buffer was transferred to the worker');
  assert.equal(res.result, `'${expected}'`);
  assert.deepEqual(res.files.created.map((f) => f.path), ['big/out.bin']);
  const out = res.files.created[0].bytes;
  assert.equal(out.length, size);
  assert.equal(out[0], 7);
  assert.equal(out[size - 1], 0);
  // Reversed back, the hash matches the input.
  assert.equal(sha(Buffer.from(out).reverse()), expected);
  await run('import os\nos.remove("big/in.bin"); os.remove("big/out.bin")');
});

test('files written outside /mnt/data never come back', async () => {
  const res = await run('open("/tmp/x", "w").write("outside")\nopen("inside.txt", "w").write("inside")\nNone');
  assert.deepEqual(res.files.created.map((f) => f.path), ['inside.txt']);
  assert.deepEqual(res.files.modified, []);
});

test('through the real core and driver: user_code runs in the sandbox, files sync both ways', async () => {
  const core = await loadBuiltCore();
  const session = core.createSession({ sandbox: { time_limit_ms: 20000 } });
  const emitted = [];
  const driver = new Driver(session, { sandbox, onEmit: (e) => emitted.push(e) });
  try {
    driver.upload('input.csv', enc.encode('x\n1\n2\n3\n'), 'text/csv');
    let done = driver.turnDone();
    driver.runCode('rows = open("input.csv").read().split()[1:]\nopen("sum.txt", "w").write(str(sum(map(int, rows))))\nlen(rows)');
    await done;
    const finished = emitted.filter((e) => e.type === 'cell_finished').at(-1).exec;
    assert.equal(finished.status, 'ok', JSON.stringify(finished.error));
    assert.equal(finished.result, '3');
    assert.deepEqual(finished.files.created, ['sum.txt']);
    assert.equal(new TextDecoder().decode(session.readFile('sum.txt')), '6');

    // Stop from the UI: the core sends interrupt, the run ends as cancelled.
    // What is checked is that a stop keeps the variables, not how fast it is:
    // a long grace, so a starved machine does not turn it into a restart.
    sandbox.graceMs = 15000;
    done = driver.turnDone();
    // Stopped once the loop runs (its first line printed), not after a guess
    // at how long that takes: a stop that lands before is another case.
    const looping = new Promise((resolve) => {
      const check = setInterval(() => {
        if (events.some((e) => e.type === 'stdout' && e.text.includes('loop started'))) { clearInterval(check); resolve(); }
      }, 10);
    });
    driver.runCode('print("loop started", flush=True)\nwhile True: pass');
    await looping;
    driver.cancel();
    const end = await done;
    assert.equal(end.reason, 'cancelled');
    await new Promise((r) => setTimeout(r, 300)); // the late exec_result is applied (files) or dropped
    done = driver.turnDone();
    driver.runCode('rows');
    await done;
    const last = emitted.filter((e) => e.type === 'cell_finished').at(-1).exec;
    assert.equal(last.result, "['1', '2', '3']", 'variables survived the stop');
  } finally {
    sandbox.graceMs = 1500;
    driver.close();
    session.destroy();
  }
});
