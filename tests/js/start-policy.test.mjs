// The sandbox's start policy (js_glue/sandbox/start-policy.mjs), in memory:
// bounded start attempts, no retry of what cannot change, and a crash
// ledger that ends a crash-at-every-start loop.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  retryDelay, isPermanent, CrashLedger, START_ATTEMPTS, RETRY_DELAYS_MS, MAX_CRASHES, CRASH_WINDOW_MS,
} from '../../js_glue/sandbox/start-policy.mjs';

const err = (name, message = 'x') => Object.assign(new Error(message), { name });

test('a transient start failure is retried with growing delays, then given up after START_ATTEMPTS', () => {
  const e = err('TimeoutError', 'Starting Python did not finish within 90 s');
  const delays = [];
  for (let failed = 1; ; failed += 1) {
    const d = retryDelay(failed, e);
    if (d == null) break;
    delays.push(d);
    assert.ok(failed < 100, 'the policy must end');
  }
  assert.equal(delays.length, START_ATTEMPTS - 1, 'attempts in all = START_ATTEMPTS');
  assert.deepEqual(delays, RETRY_DELAYS_MS.slice(0, START_ATTEMPTS - 1));
  assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]), 'delays never shrink');
});

test('a refused worker or a missing file is not retried', () => {
  assert.equal(retryDelay(1, err('WorkerRefused', 'This browser refused to start the Python worker')), null);
  assert.equal(retryDelay(1, err('SandboxAssetError', 'Could not load the Python sandbox file /p/pyodide.asm.wasm: HTTP 404')), null);
  assert.ok(isPermanent(err('WorkerRefused')));
  assert.ok(!isPermanent(err('SandboxAssetError', 'Could not load …: HTTP 503')), 'a 503 may pass');
  assert.notEqual(retryDelay(1, err('SandboxAssetError', 'Could not load …: HTTP 503')), null);
  assert.equal(retryDelay(1, err('SandboxRestarted')), null, 'a start that gave way to a newer one is not retried');
  assert.equal(retryDelay(1, null), RETRY_DELAYS_MS[0], 'an unknown failure is retried');
});

test('the crash ledger allows MAX_CRASHES crashes in its window, not one more', () => {
  const ledger = new CrashLedger();
  const t0 = 1_000_000;
  for (let i = 0; i < MAX_CRASHES; i += 1) assert.equal(ledger.record(t0 + i * 1000), false, `crash ${i + 1} is restarted`);
  assert.equal(ledger.record(t0 + MAX_CRASHES * 1000), true, 'one more within the window stops the restarts');
  ledger.reset();
  assert.equal(ledger.record(t0 + 5000), false, 'after Retry it starts counting again');
});

test('crashes spread wider than the window never stop the restarts', () => {
  const ledger = new CrashLedger();
  for (let i = 0; i < 20; i += 1) assert.equal(ledger.record(i * (CRASH_WINDOW_MS / MAX_CRASHES + 1)), false);
});
