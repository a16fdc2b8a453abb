// afterFirstPaint(): resolves once the page's own HTML (web/index.html's
// intro) has been painted, so the app's code is requested only then.
//
// Why: a slow network shares its bandwidth among everything requested at
// once, and a script that arrives before the first frame runs before it. The
// app bundle and what it pulls in (the core's 840 KB wasm, Pyodide's 14 MB)
// must neither delay nor compete with the first paint; Lighthouse's
// simulation charges the first and largest paints with every request that
// started before them (bench/README.md, "Lighthouse").
//
// How, in order of precision:
//   - a hidden page paints nothing (no frames, no paint entries): at once;
//   - Paint Timing: the 'first-contentful-paint' entry (presentation time);
//   - otherwise two animation frames: the first runs before frame N is
//     painted, the second once frame N is out.
// A safety timer (`timeoutMs` after those two frames) ends the wait should a
// browser announce Paint Timing and never report the entry: the app must
// start whatever the browser reports. Hiding the page while waiting also
// ends it. Never rejects.
//
// `win` is injectable for tests (tests/js/first-paint.test.mjs): it needs
// document, requestAnimationFrame, setTimeout and, optionally,
// PerformanceObserver.

/** @returns {Promise<'hidden'|'paint'|'frames'|'timeout'>} why the wait ended */
export function afterFirstPaint({ win = globalThis, timeoutMs = 1000 } = {}) {
  const doc = win.document;
  if (!doc || doc.visibilityState === 'hidden' || typeof win.requestAnimationFrame !== 'function') {
    return Promise.resolve('hidden');
  }
  return new Promise((resolve) => {
    let done = false;
    let observer = null;
    const finish = (why) => {
      if (done) return;
      done = true;
      observer?.disconnect();
      doc.removeEventListener?.('visibilitychange', onVisibility);
      resolve(why);
    };
    const onVisibility = () => { if (doc.visibilityState === 'hidden') finish('hidden'); };
    doc.addEventListener?.('visibilitychange', onVisibility);

    const paintTiming = !!win.PerformanceObserver?.supportedEntryTypes?.includes?.('paint');
    if (paintTiming) {
      observer = new win.PerformanceObserver((list) => {
        if (list.getEntries().some((e) => e.name === 'first-contentful-paint')) finish('paint');
      });
      // buffered: the entry may already be there (a module script runs after parsing).
      observer.observe({ type: 'paint', buffered: true });
    }
    win.requestAnimationFrame(() => win.requestAnimationFrame(() => {
      if (!paintTiming) win.setTimeout(() => finish('frames'), 0);
      else win.setTimeout(() => finish('timeout'), timeoutMs);
    }));
  });
}
