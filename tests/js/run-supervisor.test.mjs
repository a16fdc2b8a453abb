// The run supervisor (js_glue/sandbox/run-supervisor.mjs), in memory: every
// path a run can take, with the actions a host must perform and the answer
// the driver gets (the core's wire fields plus `outcome`).
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  step, INITIAL, OUTCOMES, ERROR_TYPES, RunSupervisor, runResult, isCurrent, holds, DEFAULT_GRACE_MS,
} from '../../js_glue/sandbox/run-supervisor.mjs';

/** Feeds events in order; returns the last state and every action, and checks no state is mutated. */
function feed(events, state = INITIAL) {
  const actions = [];
  for (const event of events) {
    const before = JSON.stringify(state);
    const out = step(state, event);
    assert.equal(JSON.stringify(state), before, `step(${event.type}) must not mutate its state`);
    state = out.state;
    actions.push(...out.actions);
  }
  return { state, actions };
}

const types = (actions) => actions.map((a) => a.type);
const resolved = (actions, id) => actions.filter((a) => a.type === 'resolve' && (id == null || a.id === id)).map((a) => a.result);
const ok = (extra = {}) => ({ ok: true, status: 'ok', stdout: 'out\n', stderr: '', result: '2', error: null, outputs: [], files: { created: [], modified: [], deleted: [] }, ms: 12, ...extra });
const interruptedResult = () => ok({ ok: false, status: 'cancelled', result: null, error: { type: 'KeyboardInterrupt', message: '', traceback: 'Traceback…\nKeyboardInterrupt' } });

const request = (id, extra = {}) => ({ type: 'run_requested', id, exec_id: `e${id}`, timeout_ms: 1000, now: 0, ...extra });
const started = (id, extra = {}) => ({ type: 'run_started', id, can_interrupt: true, grace_ms: 500, now: 10, ...extra });
/** A run in the worker (id 1, limit 1 s, grace 0.5 s). */
const running = (extra = {}) => feed([request(1), started(1, extra)]);

test('ok: begin, the time limit armed once it is in the worker, the result passes through with outcome ok', () => {
  let s = feed([request(1)]);
  assert.deepEqual(s.actions, [{ type: 'begin', id: 1 }]);
  assert.equal(s.state.current.phase, 'starting');
  s = feed([started(1)], s.state);
  assert.deepEqual(s.actions, [{ type: 'arm_timer', id: 1, timer: 'limit', ms: 1000 }]);
  s = feed([{ type: 'run_result', id: 1, result: ok(), now: 50 }], s.state);
  assert.deepEqual(types(s.actions), ['clear_timers', 'resolve']);
  const [r] = resolved(s.actions);
  assert.deepEqual({ ok: r.ok, status: r.status, outcome: r.outcome, restarted: r.restarted, result: r.result, stdout: r.stdout, ms: r.ms },
    { ok: true, status: 'ok', outcome: 'ok', restarted: false, result: '2', stdout: 'out\n', ms: 12 });
  assert.equal(s.state.current, null);
});

test('no time limit: no timer', () => {
  const s = feed([request(1, { timeout_ms: 0 }), started(1)]);
  assert.deepEqual(types(s.actions), ['begin']);
});

test('error: the worker\'s error stays its own', () => {
  const error = { type: 'ZeroDivisionError', message: 'division by zero', traceback: 'Traceback…' };
  const s = feed([{ type: 'run_result', id: 1, result: ok({ ok: false, status: 'error', result: null, error }), now: 20 }], running().state);
  const [r] = resolved(s.actions);
  assert.equal(r.outcome, 'error');
  assert.equal(r.status, 'error');
  assert.deepEqual(r.error, error);
});

test('time limit: interrupted, answered timed_out with the variables kept', () => {
  let s = feed([{ type: 'timer_fired', id: 1, timer: 'limit', now: 1010 }], running().state);
  assert.deepEqual(s.actions, [{ type: 'send_interrupt', id: 1 }, { type: 'arm_timer', id: 1, timer: 'grace', ms: 500 }]);
  s = feed([{ type: 'run_result', id: 1, result: interruptedResult(), now: 1015 }], s.state);
  assert.deepEqual(types(s.actions), ['clear_timers', 'resolve'], 'no kill: Python is kept');
  const [r] = resolved(s.actions);
  assert.deepEqual({ ok: r.ok, status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type },
    { ok: false, status: 'timeout', outcome: 'timed_out', restarted: false, type: 'TimeoutError' });
  assert.equal(r.error.message, 'The code reached its time limit: it ran longer than the 1 s limit and was stopped; variables are kept.');
  assert.match(r.error.traceback, /KeyboardInterrupt/, 'the traceback says where it stopped');
});

test('time limit not honoured: after the grace the worker is killed and restarted; a late result is ignored', () => {
  let s = feed([
    { type: 'output', id: 1, event: { type: 'stdout', text: 'partial\n' } },
    { type: 'output', id: 1, event: { type: 'output', mime: 'text/plain', data: 'x' } },
    { type: 'timer_fired', id: 1, timer: 'limit', now: 1010 },
    { type: 'timer_fired', id: 1, timer: 'grace', now: 1510 },
  ], running().state);
  assert.deepEqual(types(s.actions), ['send_interrupt', 'arm_timer', 'clear_timers', 'kill', 'respawn', 'resolve']);
  assert.deepEqual(s.actions.find((a) => a.type === 'kill'), { type: 'kill', id: 1, reason: 'timeout' });
  const [r] = resolved(s.actions);
  assert.deepEqual({ status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type, stdout: r.stdout, outputs: r.outputs, ms: r.ms },
    { status: 'timeout', outcome: 'timed_out', restarted: true, type: 'TimeoutError', stdout: 'partial\n', outputs: [{ mime: 'text/plain', data: 'x' }], ms: 1510 });
  assert.equal(r.error.message, 'The code reached its time limit: it ran longer than the 1 s limit and did not stop when interrupted, so Python was restarted: variables were reset; files in /mnt/data are kept and will be sent again.');
  // What the killed worker still says about the run changes nothing.
  const late = feed([
    { type: 'run_result', id: 1, result: interruptedResult() },
    { type: 'worker_gone', id: 1, message: 'terminated' },
    { type: 'timer_fired', id: 1, timer: 'grace' },
  ], s.state);
  assert.deepEqual(late.actions, []);
  assert.equal(late.state, s.state);
});

test('stop with interrupt: interrupted, variables kept', () => {
  let s = feed([{ type: 'stop_requested', exec_id: 'e1', restart: false, now: 300 }], running().state);
  assert.deepEqual(types(s.actions), ['send_interrupt', 'arm_timer']);
  s = feed([{ type: 'run_result', id: 1, result: interruptedResult(), now: 305 }], s.state);
  const [r] = resolved(s.actions);
  assert.deepEqual({ status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type, message: r.error.message },
    { status: 'cancelled', outcome: 'interrupted', restarted: false, type: 'KeyboardInterrupt', message: 'The run was stopped; variables are kept.' });
});

test('stop not honoured within the grace: restarted, and it says the interrupt was ignored', () => {
  const s = feed([
    { type: 'stop_requested', exec_id: 'e1', restart: false, now: 300 },
    { type: 'timer_fired', id: 1, timer: 'grace', now: 800 },
  ], running().state);
  const [r] = resolved(s.actions);
  assert.equal(r.outcome, 'restarted');
  assert.equal(r.error.message, 'The run was stopped and did not respond to the interrupt, so Python was restarted: variables were reset; files in /mnt/data are kept and will be sent again.');
});

test('stop with restart: killed at once, answered restarted', () => {
  const s = feed([{ type: 'stop_requested', exec_id: 'e1', restart: true, now: 300 }], running().state);
  assert.deepEqual(types(s.actions), ['clear_timers', 'kill', 'respawn', 'resolve']);
  assert.equal(s.actions[1].reason, 'cancelled');
  const [r] = resolved(s.actions);
  assert.deepEqual({ ok: r.ok, status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type },
    { ok: false, status: 'cancelled', outcome: 'restarted', restarted: true, type: 'PythonRestarted' });
  assert.equal(r.error.message, 'The run was stopped, so Python was restarted: variables were reset; files in /mnt/data are kept and will be sent again.');
});

test('stop without interrupt capability: a restart, for the user\'s stop and for the time limit', () => {
  let s = feed([{ type: 'stop_requested', restart: false, now: 300 }], running({ can_interrupt: false }).state);
  assert.deepEqual(types(s.actions), ['clear_timers', 'kill', 'respawn', 'resolve']);
  assert.equal(resolved(s.actions)[0].outcome, 'restarted');
  s = feed([{ type: 'timer_fired', id: 1, timer: 'limit', now: 1000 }], running({ can_interrupt: false }).state);
  const [r] = resolved(s.actions);
  assert.deepEqual({ status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type }, { status: 'timeout', outcome: 'timed_out', restarted: true, type: 'TimeoutError' });
  assert.equal(r.error.message, 'The code reached its time limit: it ran longer than the 1 s limit, so Python was restarted: variables were reset; files in /mnt/data are kept and will be sent again.');
});

test('the first reason wins: a time limit during a user\'s stop changes nothing; a second stop matters only with restart', () => {
  let s = feed([
    { type: 'stop_requested', exec_id: 'e1', restart: false, now: 900 },
    { type: 'timer_fired', id: 1, timer: 'limit', now: 1000 },
    { type: 'stop_requested', exec_id: 'e1', restart: false, now: 1001 },
  ], running().state);
  assert.deepEqual(types(s.actions), ['send_interrupt', 'arm_timer'], 'one interrupt, one grace timer');
  s = feed([{ type: 'stop_requested', exec_id: 'e1', restart: true, now: 1002 }], s.state);
  assert.deepEqual(types(s.actions), ['clear_timers', 'kill', 'respawn', 'resolve']);
  assert.equal(resolved(s.actions)[0].outcome, 'restarted');
});

test('a stop while Python is starting applies once the run is in the worker', () => {
  let s = feed([request(1), { type: 'stop_requested', exec_id: 'e1', restart: false }]);
  assert.deepEqual(types(s.actions), ['begin'], 'nothing to interrupt yet');
  s = feed([started(1)], s.state);
  assert.deepEqual(types(s.actions), ['arm_timer', 'send_interrupt', 'arm_timer']);
  s = feed([request(2), { type: 'stop_requested', exec_id: 'e2', restart: true }, started(2)], INITIAL);
  assert.deepEqual(types(s.actions), ['begin', 'arm_timer', 'clear_timers', 'kill', 'respawn', 'resolve']);
  assert.equal(resolved(s.actions)[0].outcome, 'restarted');
});

test('crash mid-run: the worker is gone; answered crashed with what it printed, a new worker started (nothing to kill)', () => {
  const s = feed([
    { type: 'output', id: 1, event: { type: 'stderr', text: 'warn\n' } },
    { type: 'worker_gone', id: 1, message: 'the worker exited with code 3', now: 40 },
  ], running().state);
  assert.deepEqual(types(s.actions), ['clear_timers', 'respawn', 'resolve']);
  const [r] = resolved(s.actions);
  assert.deepEqual({ ok: r.ok, status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type, stderr: r.stderr },
    { ok: false, status: 'crashed', outcome: 'crashed', restarted: true, type: 'PythonCrashed', stderr: 'warn\n' });
  assert.equal(r.error.message, 'Python crashed (the worker exited with code 3) and was restarted: variables were reset; files in /mnt/data are kept and will be sent again. Very deep recursion or running out of memory can cause this.');
});

test('a worker that dies while a stop is pending answers as the stop would have', () => {
  const s = feed([{ type: 'timer_fired', id: 1, timer: 'limit' }, { type: 'worker_gone', id: 1, message: 'x' }], running().state);
  const [r] = resolved(s.actions);
  assert.deepEqual({ outcome: r.outcome, restarted: r.restarted }, { outcome: 'timed_out', restarted: true });
});

test('crash result from the runner: its worker is killed and replaced; the cause is said once', () => {
  for (const [message, detail] of [
    ['Python crashed (RangeError: Maximum call stack size exceeded). It must be restarted; variables are lost, files are kept.', 'RangeError: Maximum call stack size exceeded'],
    ['Python stopped working (a fatal error) and must be restarted.', 'a fatal error'],
  ]) {
    const result = ok({ ok: false, status: 'crashed', result: null, stdout: 'before\n', error: { type: 'PythonCrashed', message, traceback: '' } });
    const s = feed([{ type: 'run_result', id: 1, result }], running().state);
    assert.deepEqual(types(s.actions), ['clear_timers', 'kill', 'respawn', 'resolve']);
    assert.equal(s.actions[1].reason, 'crashed');
    const [r] = resolved(s.actions);
    assert.deepEqual({ status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type, stdout: r.stdout },
      { status: 'crashed', outcome: 'crashed', restarted: true, type: 'PythonCrashed', stdout: 'before\n' });
    assert.ok(r.error.message.startsWith(`Python crashed (${detail}) and was restarted:`), r.error.message);
  }
});

test('the worker answers the run with an error instead of a result: crashed, and that worker is killed', () => {
  const s = feed([{ type: 'run_failed', id: 1, message: 'Pyodide already fatally failed' }], running().state);
  assert.deepEqual(types(s.actions), ['clear_timers', 'kill', 'respawn', 'resolve']);
  assert.equal(resolved(s.actions)[0].outcome, 'crashed');
});

test('a result that is not an interrupt passes through even after a stop (the code finished first)', () => {
  const s = feed([{ type: 'stop_requested', restart: false }, { type: 'run_result', id: 1, result: ok() }], running().state);
  assert.equal(resolved(s.actions)[0].outcome, 'ok');
});

test('a second run waits behind the first and begins when the first is answered', () => {
  let s = feed([request(1), request(2, { exec_id: 'e2' })]);
  assert.deepEqual(s.actions, [{ type: 'begin', id: 1 }], 'the second one waits');
  assert.deepEqual(s.state.queue.map((r) => r.id), [2]);
  // Its events are nobody's yet.
  s = feed([started(2), { type: 'run_result', id: 2, result: ok() }], s.state);
  assert.deepEqual(s.actions, []);
  s = feed([started(1), { type: 'run_result', id: 1, result: ok(), now: 70 }], s.state);
  assert.deepEqual(types(s.actions), ['arm_timer', 'clear_timers', 'resolve', 'begin']);
  assert.equal(s.actions.at(-1).id, 2);
  assert.equal(s.state.current.id, 2);
  assert.equal(s.state.current.t0, 70, 'its clock starts when it begins');
  s = feed([started(2, { now: 80 }), { type: 'run_result', id: 2, result: ok(), now: 90 }], s.state);
  assert.deepEqual(resolved(s.actions).map((r) => r.outcome), ['ok']);
  assert.equal(s.state.current, null);
});

const BEFORE_START = 'The run was stopped before it started, so its code did not run; variables are kept.';

test('a stop of a queued run (by exec_id, by id, with or without restart) answers it at once as interrupted; the current run goes on', () => {
  // Run 1 in the worker, runs 2 and 3 queued (asked for at 20 and 30).
  const s0 = feed([request(1), started(1), request(2, { now: 20 }), request(3, { now: 30 })]).state;
  for (const stopEvent of [
    { type: 'stop_requested', exec_id: 'e2', restart: false, now: 100 },
    { type: 'stop_requested', id: 2, restart: false, now: 100 },
    { type: 'stop_requested', exec_id: 'e2', restart: true, now: 100 }, // no restart for a run that never started
    { type: 'stop_requested', id: 2, restart: true, now: 100 },
  ]) {
    const what = JSON.stringify(stopEvent);
    const s = feed([stopEvent], s0);
    assert.deepEqual(types(s.actions), ['resolve'], `${what}: no kill, no respawn, no interrupt, no begin`);
    assert.equal(s.actions[0].id, 2, what);
    const [r] = resolved(s.actions);
    assert.deepEqual(
      { ok: r.ok, status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type, message: r.error.message,
        traceback: r.error.traceback, stdout: r.stdout, stderr: r.stderr, outputs: r.outputs, files: r.files, result: r.result, ms: r.ms },
      { ok: false, status: 'cancelled', outcome: 'interrupted', restarted: false, type: 'KeyboardInterrupt', message: BEFORE_START,
        traceback: '', stdout: '', stderr: '', outputs: [], files: { created: [], modified: [], deleted: [] }, result: null, ms: 80 },
      `${what}: ms is the time it waited`);
    assert.deepEqual(s.state.queue.map((q) => q.id), [3], `${what}: only that run left the queue`);
    assert.equal(s.state.current, s0.current, `${what}: the current run is untouched`);
  }
});

test('after a queued run is stopped, the next queued run still begins when the current one is answered', () => {
  let s = feed([request(1), started(1), request(2), request(3), { type: 'stop_requested', exec_id: 'e2', restart: true, now: 50 }]);
  s = feed([{ type: 'run_result', id: 1, result: ok(), now: 60 }], s.state);
  assert.deepEqual(types(s.actions), ['clear_timers', 'resolve', 'begin']);
  assert.equal(s.actions.at(-1).id, 3, 'the stopped run 2 never begins');
  assert.equal(resolved(s.actions)[0].outcome, 'ok', 'the current run ended as its worker said');
  s = feed([started(3, { now: 70 }), { type: 'run_result', id: 3, result: ok(), now: 80 }], s.state);
  assert.deepEqual(resolved(s.actions).map((r) => r.outcome), ['ok']);
  assert.deepEqual({ current: s.state.current, queue: s.state.queue }, { current: null, queue: [] });
});

test('a stop of the current run reaches it even when a queued run has the same exec_id; the queued one stays', () => {
  const s0 = feed([request(1), started(1), request(2, { exec_id: 'e1' })]).state;
  const s = feed([{ type: 'stop_requested', exec_id: 'e1', restart: false }], s0);
  assert.deepEqual(types(s.actions), ['send_interrupt', 'arm_timer']);
  assert.deepEqual(s.state.queue.map((q) => q.id), [2]);
});

test('a stop of a run that is neither current nor queued (answered, unknown) changes nothing', () => {
  let s = feed([request(1), started(1), request(2), { type: 'stop_requested', exec_id: 'e2', restart: false, now: 40 }]);
  const s0 = s.state;
  for (const event of [
    { type: 'stop_requested', exec_id: 'e2', restart: true }, // answered already: a late stop
    { type: 'stop_requested', id: 2, restart: false },
    { type: 'stop_requested', exec_id: 'nope', restart: true }, // unknown
    { type: 'stop_requested', id: 99, restart: true },
  ]) {
    const out = step(s0, event);
    assert.equal(out.state, s0, JSON.stringify(event));
    assert.deepEqual(out.actions, [], JSON.stringify(event));
  }
  // A late stop of run 1 after it was answered does not reach the run after it.
  s = feed([request(3), { type: 'run_result', id: 1, result: ok() }], s0);
  assert.equal(s.state.current.id, 3);
  const late = step(s.state, { type: 'stop_requested', exec_id: 'e1', restart: true });
  assert.equal(late.state, s.state);
  assert.deepEqual(late.actions, []);
  assert.deepEqual(step(INITIAL, { type: 'stop_requested', restart: true }).actions, [], 'nothing runs');
});

test('holds: which run a stop reaches (a stop naming no run: the current one, never a queued one)', () => {
  const s0 = feed([request(1), started(1), request(2)]).state;
  assert.equal(holds(s0, { exec_id: 'e1' }), 'current');
  assert.equal(holds(s0, { id: 1 }), 'current');
  assert.equal(holds(s0, {}), 'current');
  assert.equal(holds(s0, { exec_id: 'e2' }), 'queued');
  assert.equal(holds(s0, { id: 2 }), 'queued');
  assert.equal(holds(s0, { exec_id: 'nope' }), null);
  assert.equal(holds(s0, { id: 3 }), null);
  assert.equal(holds(INITIAL, {}), null);
  assert.equal(isCurrent(s0, { exec_id: 'e2' }), false);
  assert.equal(isCurrent(s0, { exec_id: 'e1' }), true);
  assert.equal(isCurrent(s0, {}), true, 'no exec_id: the current run');
  assert.equal(isCurrent(INITIAL, {}), false);
});

test('RunSupervisor: a queued run stopped is answered at once and never begun', () => {
  const performed = [];
  const sup = new RunSupervisor((action) => {
    performed.push([action.type, action.id]);
    if (action.type === 'begin') sup.dispatch({ type: 'run_started', id: action.id, can_interrupt: true });
  });
  sup.dispatch(request(1, { timeout_ms: 0 }));
  sup.dispatch(request(2, { timeout_ms: 0 }));
  assert.equal(sup.holds({ exec_id: 'e2' }), 'queued');
  sup.dispatch({ type: 'stop_requested', exec_id: 'e2', restart: false });
  assert.equal(sup.holds({ exec_id: 'e2' }), null);
  sup.dispatch({ type: 'run_result', id: 1, result: ok() });
  assert.deepEqual(performed, [['begin', 1], ['resolve', 2], ['clear_timers', 1], ['resolve', 1]]);
  assert.equal(sup.current, null);
});

test('a run that never reached a worker: Python did not start, or was replaced while idle; the next run begins', () => {
  let s = feed([request(1), request(2), { type: 'not_run', id: 1, cause: 'unavailable', message: 'HTTP 404', now: 5 }]);
  assert.deepEqual(types(s.actions), ['begin', 'clear_timers', 'resolve', 'begin']);
  let [r] = resolved(s.actions);
  assert.deepEqual({ status: r.status, outcome: r.outcome, restarted: r.restarted, type: r.error.type, message: r.error.message },
    { status: 'crashed', outcome: 'crashed', restarted: true, type: 'SandboxUnavailable', message: 'Python could not start: HTTP 404' });
  s = feed([{ type: 'not_run', id: 2, cause: 'replaced' }], s.state);
  [r] = resolved(s.actions);
  assert.deepEqual({ status: r.status, restarted: r.restarted, type: r.error.type }, { status: 'crashed', restarted: true, type: 'SandboxRestarted' });
  assert.match(r.error.message, /variables were reset/);
  assert.ok(!s.actions.some((a) => a.type === 'respawn' || a.type === 'kill'), 'nothing to kill or respawn');
});

test('closed: the current and every queued run are answered; a run after that at once', () => {
  let s = feed([request(1), started(1), request(2), { type: 'closed', now: 100 }]);
  assert.deepEqual(resolved(s.actions).map((r) => [r.status, r.error.type, r.restarted]), [['crashed', 'SandboxClosed', false], ['crashed', 'SandboxClosed', false]]);
  assert.ok(!s.actions.some((a) => a.type === 'begin' && a.id === 2), 'the queued run never begins');
  s = feed([request(3), { type: 'run_result', id: 1, result: ok() }], s.state);
  assert.deepEqual(types(s.actions), ['resolve']);
  assert.equal(resolved(s.actions)[0].error.message, 'The Python sandbox was closed.');
});

test('one mapping from outcome to the wire: status, restarted and error type', () => {
  const run = { id: 1, exec_id: 'e', timeout_ms: 800, t0: 0, stdout: '', stderr: '', outputs: [], interrupted: false };
  const wire = Object.fromEntries(OUTCOMES.map((outcome) => {
    const r = runResult(run, { outcome, restarted: outcome === 'restarted' || outcome === 'crashed' }, 1);
    return [outcome, [r.status, r.restarted, r.error?.type ?? null, r.ok]];
  }));
  assert.deepEqual(wire, {
    ok: ['ok', false, null, true],
    error: ['error', false, null, false],
    interrupted: ['cancelled', false, 'KeyboardInterrupt', false],
    timed_out: ['timeout', false, 'TimeoutError', false],
    restarted: ['cancelled', true, 'PythonRestarted', false],
    crashed: ['crashed', true, 'PythonCrashed', false],
  });
  assert.match(runResult(run, { outcome: 'timed_out' }, 1).error.message, /time limit: it ran longer than the 0\.8 s limit/);
  assert.equal(ERROR_TYPES.timed_out, 'TimeoutError');
  assert.equal(ERROR_TYPES.interrupted, 'KeyboardInterrupt');
});

test('the grace defaults when the host gives none', () => {
  const s = feed([request(1), started(1, { grace_ms: undefined }), { type: 'stop_requested', restart: false }]);
  assert.equal(s.actions.find((a) => a.timer === 'grace').ms, DEFAULT_GRACE_MS);
});

test('RunSupervisor: events fed while actions are performed wait their turn', () => {
  const performed = [];
  const sup = new RunSupervisor((action) => {
    performed.push(action.type);
    // A kill that reports its worker gone at once (as NodeSandbox's does).
    if (action.type === 'kill') sup.dispatch({ type: 'worker_gone', id: action.id, message: 'terminated' });
    if (action.type === 'begin') sup.dispatch({ type: 'run_started', id: action.id, can_interrupt: true });
  });
  sup.dispatch(request(1));
  sup.dispatch(request(2));
  assert.equal(sup.current.id, 1);
  assert.equal(sup.isCurrent({ exec_id: 'e1' }), true);
  sup.dispatch({ type: 'stop_requested', exec_id: 'e1', restart: true });
  assert.deepEqual(performed, ['begin', 'arm_timer', 'clear_timers', 'kill', 'respawn', 'resolve', 'begin', 'arm_timer']);
  assert.equal(sup.current.id, 2, 'the gone report of run 1 did not touch run 2');
  assert.equal(sup.current.phase, 'running');
});

test('RunSupervisor: a failing action does not stop the others (the run is still answered)', () => {
  const answered = [];
  const errors = console.error;
  console.error = () => {};
  try {
    const sup = new RunSupervisor((action) => {
      if (action.type === 'clear_timers') throw new Error('transport bug');
      if (action.type === 'resolve') answered.push(action.result.outcome);
    });
    sup.dispatch(request(1));
    sup.dispatch(started(1));
    sup.dispatch({ type: 'run_result', id: 1, result: ok() });
  } finally {
    console.error = errors;
  }
  assert.deepEqual(answered, ['ok']);
});
