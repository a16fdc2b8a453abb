// What happens to each run of Python, in both hosts (PythonSandbox in the
// browser, NodeSandbox in Node). A pure state machine: events in, actions
// out, no I/O: no timers, no messages, no clock (time comes in events as
// `now`, timers go out as actions). The hosts are transports that perform
// the actions and feed the events; tests/js/run-supervisor.test.mjs drives
// it in memory.
//
// Rules:
// - One run at a time: a run asked for while another is current waits in
//   the queue and begins when the current one is answered.
// - The time limit (timeout_ms > 0) is a timer armed when the run is in the
//   worker. When it fires, or the user stops the run, the run is
//   interrupted (KeyboardInterrupt in Python; variables are kept) when the
//   worker can be interrupted; if the run has not ended graceMs later, or a
//   restart was asked for, or the worker cannot be interrupted, the worker
//   is killed and a new one started, and the run is answered at once.
// - A stop asked for while the run's worker is still starting applies as
//   soon as the run is in the worker.
// - A stop of a queued run (named by exec_id or id) takes it out of the
//   queue and answers it at once as interrupted: its code never runs, and
//   nothing else changes (a restart asked with it is not done: Python holds
//   nothing of a run that never started; the current run goes on). A stop
//   of a run that is neither current nor queued (finished, unknown) changes
//   nothing. A stop naming no run means the current one.
// - The first reason to stop wins: a time limit that fires while a user's
//   stop is being honoured changes nothing; a second stop only matters when
//   it asks for a restart.
// - A worker that dies under the run, or answers it with an error instead
//   of a result, or a runner that reports its interpreter dead, ends the
//   run as crashed; a new worker is started.
// - A run is answered exactly once: anything about a run that is no longer
//   current (a late result after a kill, a late timer) is ignored.
//
// Every answer carries one outcome (OUTCOMES) and the core's wire fields
// (status, restarted, error {type, message, traceback}; see
// ../python/INTERFACE.md), both made by runResult() below, the only place
// that words what happened to the user.
//
// State:  { current: Run|null, queue: Run[], closed }
//   Run:  { id, exec_id, timeout_ms, t0, phase: 'queued'|'starting'|'running'|'interrupting',
//           reason: null|'timeout'|'stop', interrupted, canInterrupt, graceMs, pendingRestart,
//           stdout, stderr, outputs }
// Events (all may carry `now`, the host's clock in ms):
//   {type:'run_requested', id, exec_id, timeout_ms}   a run is asked for (id: the host's, unique)
//   {type:'run_started', id, can_interrupt, grace_ms}  the run is in the worker
//   {type:'not_run', id, cause, message}               it never reached a worker; cause:
//                                                      'unavailable' (Python did not start) |
//                                                      'replaced' (the worker was replaced while idle) | 'closed'
//   {type:'output', id, event}                         a stdout/stderr/output run event (kept for answers
//                                                      made without the worker's result)
//   {type:'run_result', id, result}                    the worker's RunResult
//   {type:'run_failed', id, message}                   the worker answered the run with an error
//   {type:'worker_gone', id, message}                  the run's worker died
//   {type:'timer_fired', id, timer: 'limit'|'grace'}
//   {type:'stop_requested', exec_id?|id?, restart}     the user's stop (no exec_id: the current run;
//                                                      a queued run's: it is dropped, see holds())
//   {type:'closed'}                                    the host is closed
// Actions:
//   {type:'begin', id}               start Python if needed, send the run, then feed run_started (or not_run)
//   {type:'arm_timer', id, timer, ms}
//   {type:'clear_timers', id}        the run is over: its timers and repeated signals end
//   {type:'send_interrupt', id}      raise KeyboardInterrupt in the run
//   {type:'kill', id, reason}        end the run's worker (reason: the wire status, for onRestart)
//   {type:'respawn'}                 start a new worker now, so the next run does not wait for it
//   {type:'resolve', id, result}     answer the run (a RunResult with `outcome`)

export const OUTCOMES = Object.freeze(['ok', 'error', 'interrupted', 'timed_out', 'restarted', 'crashed']);
export const DEFAULT_GRACE_MS = 2000;

// The core's status for each outcome (the C++ core and stored conversations use these).
const STATUS = Object.freeze({ ok: 'ok', error: 'error', interrupted: 'cancelled', timed_out: 'timeout', restarted: 'cancelled', crashed: 'crashed' });
const OUTCOME_OF_STATUS = Object.freeze({ ok: 'ok', error: 'error', cancelled: 'interrupted', timeout: 'timed_out', crashed: 'crashed' });

// error.type of each answer the supervisor words (the same in both hosts).
export const ERROR_TYPES = Object.freeze({
  interrupted: 'KeyboardInterrupt',
  timed_out: 'TimeoutError',
  restarted: 'PythonRestarted',
  crashed: 'PythonCrashed',
  unavailable: 'SandboxUnavailable',
  replaced: 'SandboxRestarted',
  closed: 'SandboxClosed',
});

export const KEPT = 'variables are kept.';
export const RESET = 'variables were reset; files in /mnt/data are kept and will be sent again.';

export const INITIAL = Object.freeze({ current: null, queue: Object.freeze([]), closed: false });

const NONE = Object.freeze([]);
const seconds = (ms) => { const s = (ms ?? 0) / 1000; return Number.isInteger(s) ? `${s}` : s.toFixed(1); };

/** The user-facing message of an answer the supervisor words. */
function messageOf(run, e) {
  switch (e.outcome) {
    case 'interrupted':
      if (e.beforeStart) return `The run was stopped before it started, so its code did not run; ${KEPT}`;
      return `The run was stopped; ${KEPT}`;
    case 'timed_out':
      return `The code reached its time limit: it ran longer than the ${seconds(run.timeout_ms)} s limit` + (e.restarted
        ? `${e.interrupted ? ' and did not stop when interrupted' : ''}, so Python was restarted: ${RESET}`
        : ` and was stopped; ${KEPT}`);
    case 'restarted':
      return `The run was stopped${e.interrupted ? ' and did not respond to the interrupt' : ''}, so Python was restarted: ${RESET}`;
    default: // crashed
      if (e.cause === 'unavailable') return `Python could not start: ${e.detail}`;
      if (e.cause === 'replaced') return 'Python had stopped and was restarted before this code ran: variables were reset. Run the code again; files are sent again.';
      if (e.cause === 'closed') return 'The Python sandbox was closed.';
      return `Python crashed (${e.detail || 'the worker stopped'}) and was restarted: ${RESET} Very deep recursion or running out of memory can cause this.`;
  }
}

/**
 * The cause inside a runner's crash message (runner.mjs words them "Python
 * crashed (<cause>). It must be restarted…" or "Python stopped working (a
 * fatal error)…"), so the answer says "Python crashed (…)" once.
 */
function crashDetail(message) {
  const text = String(message ?? '');
  return text.match(/^Python crashed \((.*)\)\./s)?.[1] ?? (/fatal error/.test(text) ? 'a fatal error' : text);
}

/**
 * The one mapping from an ending to what the driver gets: the core's wire
 * fields (status, restarted, error) plus `outcome`.
 * ending: { outcome, restarted?, interrupted?, cause?, detail?, result? (the worker's RunResult) }
 */
export function runResult(run, ending, now) {
  const { outcome, result } = ending;
  const base = result ?? {
    stdout: run.stdout, stderr: run.stderr, result: null, error: null,
    outputs: run.outputs, files: { created: [], modified: [], deleted: [] },
  };
  const answer = {
    ...base,
    ok: outcome === 'ok',
    status: STATUS[outcome],
    restarted: !!ending.restarted,
    outcome,
    ms: base.ms ?? Math.max(0, Math.round((now ?? run.t0) - run.t0)),
  };
  // What the worker said about its own ok/error run stays its own.
  if (outcome !== 'ok' && outcome !== 'error' && !ending.passThrough) {
    answer.error = {
      type: ERROR_TYPES[ending.cause && ending.cause !== 'crash' ? ending.cause : outcome],
      message: messageOf(run, ending),
      traceback: result?.error?.traceback ?? '',
    };
  }
  return answer;
}

/** True when a stop for `exec_id` (or the current run, when null) would reach the current run. */
export function isCurrent(state, { exec_id, id } = {}) {
  const cur = state.current;
  if (!cur) return false;
  if (id != null) return cur.id === id;
  return exec_id == null || cur.exec_id === exec_id;
}

/** The index in the queue of the run named by id (else exec_id), or -1; naming none names no queued run. */
function queuedIndex(state, { exec_id, id } = {}) {
  if (id != null) return state.queue.findIndex((r) => r.id === id);
  if (exec_id != null) return state.queue.findIndex((r) => r.exec_id === exec_id);
  return -1;
}

/**
 * Which run a stop for {exec_id?, id?} reaches: 'current', 'queued' (it is
 * dropped before it starts) or null (nothing: the stop changes nothing).
 * The current run wins when both carry the exec_id.
 */
export function holds(state, which = {}) {
  if (isCurrent(state, which)) return 'current';
  return queuedIndex(state, which) >= 0 ? 'queued' : null;
}

function newRun(event) {
  return {
    id: event.id, exec_id: event.exec_id, timeout_ms: event.timeout_ms ?? 0, t0: event.now ?? 0,
    phase: 'queued', reason: null, interrupted: false, canInterrupt: false, graceMs: DEFAULT_GRACE_MS,
    pendingRestart: false, stdout: '', stderr: '', outputs: NONE,
  };
}

/** The current run when it has this id and is in one of `phases`. */
function current(state, id, phases) {
  const cur = state.current;
  return cur && cur.id === id && phases.includes(cur.phase) ? cur : null;
}

function begin(state, run, now) {
  const started = { ...run, phase: 'starting', t0: now ?? run.t0 };
  return { state: { ...state, current: started }, actions: [{ type: 'begin', id: run.id }] };
}

/**
 * Answers the current run `run` with `ending`, performing what it needs
 * (kill, respawn), then begins the next queued run.
 */
function end(state, run, ending, now, { kill = false, respawn = false } = {}) {
  const actions = [{ type: 'clear_timers', id: run.id }];
  if (kill) actions.push({ type: 'kill', id: run.id, reason: STATUS[ending.outcome] });
  if (respawn && !state.closed) actions.push({ type: 'respawn' });
  actions.push({ type: 'resolve', id: run.id, result: runResult(run, ending, now) });
  let next = { ...state, current: null };
  if (!next.closed && next.queue.length) {
    const [head, ...rest] = next.queue;
    const b = begin({ ...next, queue: rest }, head, now);
    next = b.state;
    actions.push(...b.actions);
  }
  return { state: next, actions };
}

/** The outcome of a stop that ended with a restart. */
const stoppedByRestart = (run) => ({ outcome: run.reason === 'timeout' ? 'timed_out' : 'restarted', restarted: true, interrupted: run.interrupted });

function stop(state, run, reason, restart, now) {
  const r = { ...run, reason: run.reason ?? reason };
  if (r.phase === 'starting') {
    // Not in the worker yet: applied by run_started.
    return { state: { ...state, current: { ...r, pendingRestart: r.pendingRestart || restart } }, actions: NONE };
  }
  if (r.phase === 'interrupting' && !restart) return { state, actions: NONE }; // the grace timer bounds it already
  if (!restart && r.canInterrupt && r.phase === 'running') {
    const interrupting = { ...r, phase: 'interrupting', interrupted: true };
    return {
      state: { ...state, current: interrupting },
      actions: [{ type: 'send_interrupt', id: r.id }, { type: 'arm_timer', id: r.id, timer: 'grace', ms: r.graceMs }],
    };
  }
  // A restart was asked for, the worker cannot be interrupted, or the
  // interrupt was not honoured in time: drop the worker.
  return end(state, r, stoppedByRestart(r), now, { kill: true, respawn: true });
}

/** @returns {{state, actions}} */
export function step(state, event) {
  const same = { state, actions: NONE };
  const now = event.now;
  switch (event.type) {
    case 'run_requested': {
      const run = newRun(event);
      if (state.closed) {
        return { state, actions: [{ type: 'resolve', id: run.id, result: runResult(run, { outcome: 'crashed', cause: 'closed' }, now) }] };
      }
      if (state.current) return { state: { ...state, queue: [...state.queue, run] }, actions: NONE };
      return begin(state, run, now);
    }
    case 'run_started': {
      const cur = current(state, event.id, ['starting']);
      if (!cur) return same;
      const run = { ...cur, phase: 'running', canInterrupt: !!event.can_interrupt, graceMs: event.grace_ms ?? DEFAULT_GRACE_MS };
      const actions = run.timeout_ms > 0 ? [{ type: 'arm_timer', id: run.id, timer: 'limit', ms: run.timeout_ms }] : [];
      const next = { ...state, current: run };
      if (!run.reason) return { state: next, actions };
      const stopped = stop(next, run, run.reason, run.pendingRestart, now);
      return { state: stopped.state, actions: [...actions, ...stopped.actions] };
    }
    case 'not_run': {
      const cur = current(state, event.id, ['starting']);
      if (!cur) return same;
      return end(state, cur, { outcome: 'crashed', cause: event.cause ?? 'unavailable', detail: event.message, restarted: event.cause !== 'closed' }, now);
    }
    case 'output': {
      const cur = current(state, event.id, ['running', 'interrupting']);
      const e = event.event ?? {};
      if (!cur) return same;
      if (e.type === 'stdout' || e.type === 'stderr') return { state: { ...state, current: { ...cur, [e.type]: cur[e.type] + e.text } }, actions: NONE };
      if (e.type === 'output') return { state: { ...state, current: { ...cur, outputs: [...cur.outputs, { mime: e.mime, data: e.data }] } }, actions: NONE };
      return same;
    }
    case 'run_result': {
      const cur = current(state, event.id, ['running', 'interrupting']);
      if (!cur) return same; // a late answer: the run was answered already
      const result = event.result ?? {};
      if (result.status === 'crashed') {
        // The interpreter is dead but its worker answered: replace it.
        return end(state, cur, { outcome: 'crashed', restarted: true, cause: 'crash', detail: crashDetail(result.error?.message), result }, now, { kill: true, respawn: true });
      }
      const interrupted = result.status === 'cancelled' || result.error?.type === 'KeyboardInterrupt';
      if (cur.reason && interrupted) {
        return end(state, cur, { outcome: cur.reason === 'timeout' ? 'timed_out' : 'interrupted', restarted: false, result }, now);
      }
      // Not stopped by us (or it finished before the stop took): as the worker says.
      return end(state, cur, { outcome: OUTCOME_OF_STATUS[result.status] ?? 'error', restarted: !!result.restarted, result, passThrough: true }, now);
    }
    case 'run_failed':
    case 'worker_gone': {
      const cur = current(state, event.id, ['running', 'interrupting']);
      if (!cur) return same;
      // A worker that answered with an error cannot be trusted with the next run.
      const kill = event.type === 'run_failed';
      const ending = cur.reason ? stoppedByRestart(cur) : { outcome: 'crashed', restarted: true, cause: 'crash', detail: event.message };
      return end(state, cur, ending, now, { kill, respawn: true });
    }
    case 'timer_fired': {
      const cur = current(state, event.id, ['running', 'interrupting']);
      if (!cur) return same;
      if (event.timer === 'limit') return cur.reason ? same : stop(state, cur, 'timeout', false, now);
      if (event.timer === 'grace' && cur.phase === 'interrupting') return stop(state, cur, cur.reason, true, now);
      return same;
    }
    case 'stop_requested': {
      const where = holds(state, event);
      if (where === 'current') return stop(state, state.current, 'stop', !!event.restart, now);
      if (where !== 'queued') return same;
      // It never started: no timers, no worker to interrupt or restart.
      const at = queuedIndex(state, event);
      const run = state.queue[at];
      const queue = [...state.queue.slice(0, at), ...state.queue.slice(at + 1)];
      return {
        state: { ...state, queue },
        actions: [{ type: 'resolve', id: run.id, result: runResult(run, { outcome: 'interrupted', beforeStart: true }, now) }],
      };
    }
    case 'closed': {
      if (state.closed) return same;
      const closed = { ...state, closed: true, current: null, queue: NONE };
      const actions = [];
      for (const run of [state.current, ...state.queue].filter(Boolean)) {
        actions.push({ type: 'clear_timers', id: run.id });
        actions.push({ type: 'resolve', id: run.id, result: runResult(run, { outcome: 'crashed', cause: 'closed' }, now) });
      }
      return { state: closed, actions };
    }
    default:
      return same;
  }
}

/**
 * Holds the state and hands each action to `perform` (the host). Events fed
 * while actions are being performed (a kill that reports its worker gone at
 * once) wait their turn, so each step sees the state the last one left.
 */
export class RunSupervisor {
  constructor(perform) {
    this.state = INITIAL;
    this.perform = perform;
    this.inbox = [];
    this.busy = false;
  }

  get current() { return this.state.current; }

  isCurrent(which) { return isCurrent(this.state, which); }

  /** 'current', 'queued' or null: which run a stop for `which` reaches (see holds()). */
  holds(which) { return holds(this.state, which); }

  dispatch(event) {
    this.inbox.push(event);
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.inbox.length) {
        const { state, actions } = step(this.state, this.inbox.shift());
        this.state = state;
        for (const action of actions) {
          // A transport's bug must not leave the other actions (the answer) undone.
          try { this.perform(action); } catch (error) { console.error('run supervisor: performing', action.type, 'failed:', error); }
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
