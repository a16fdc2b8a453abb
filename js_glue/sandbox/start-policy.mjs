// When the Python sandbox may try to start again, and when it must give up.
// Pure decisions, no timers and no I/O: PythonSandbox asks, then waits or
// reports (tests/js/start-policy.test.mjs drives it in memory).
//
// Rules:
// - A start that fails is tried again at most START_ATTEMPTS times in all,
//   after RETRY_DELAYS_MS (1 s, then 3 s), unless the failure cannot change
//   by trying again (PERMANENT): the browser refused the worker in every
//   shape, or a sandbox file is missing (HTTP 404).
// - An interpreter that crashes after it was ready is replaced, but at most
//   MAX_CRASHES times within CRASH_WINDOW_MS; one more crash in that window
//   and the sandbox stops restarting until the user asks (Retry), so a
//   crash that happens at every start can never loop.
// - Nothing here retries forever: every path ends in a start or an error
//   the user sees ("Python could not start: <reason>").

export const START_ATTEMPTS = 3;
export const RETRY_DELAYS_MS = [1000, 3000];
export const MAX_CRASHES = 3;
export const CRASH_WINDOW_MS = 60_000;

/** True when trying the same start again cannot help. */
export function isPermanent(error) {
  if (!error) return false;
  if (error.name === 'WorkerRefused') return true;
  return error.name === 'SandboxAssetError' && /HTTP 404\b/.test(String(error.message));
}

/**
 * How long to wait before start attempt `failed + 1`, after `failed` failed
 * attempts (the last one with `error`); null: give up and report `error`.
 */
export function retryDelay(failed, error) {
  if (isPermanent(error) || error?.name === 'SandboxRestarted') return null;
  if (failed >= START_ATTEMPTS) return null;
  return RETRY_DELAYS_MS[Math.min(failed - 1, RETRY_DELAYS_MS.length - 1)];
}

/** Counts crashes of a ready interpreter within a sliding window. */
export class CrashLedger {
  constructor({ max = MAX_CRASHES, windowMs = CRASH_WINDOW_MS } = {}) {
    this.max = max;
    this.windowMs = windowMs;
    this.times = [];
  }

  /** Records a crash at `now`; true when it is one too many (stop restarting). */
  record(now) {
    this.times = this.times.filter((t) => now - t < this.windowMs);
    this.times.push(now);
    return this.times.length > this.max;
  }

  reset() { this.times = []; }
}
