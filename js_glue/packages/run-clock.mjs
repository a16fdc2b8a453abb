// A run's time limit waits while a person decides (package consent, issue
// 14). Both hosts (NodeSandbox, PythonSandbox) keep the limit timer as
// t.limit = {handle, ms, at} when they arm it; this pauses and re-arms it.
// A run that asks for no package is timed exactly as before.

/**
 * Pauses a run's time limit while the host waits on a person (package
 * consent). Returns resume(arm): arm(ms) re-arms the rest of the limit.
 * (The supervisor only sees the timer fire later: its rules do not change.)
 */
export function pauseLimit(t, now) {
  const limit = t?.limit;
  if (!limit || limit.paused) return null;
  clearTimeout(limit.handle);
  limit.paused = true;
  const left = Math.max(0, limit.ms - (now() - limit.at));
  return (arm) => {
    if (!limit.paused) return;
    limit.paused = false;
    limit.ms = left;
    limit.at = now();
    limit.handle = arm(left);
    t.timers.push(limit.handle);
  };
}

