// web/app/first-paint.mjs: the app's code is requested only after the page's
// own HTML has painted. A fake window drives frames, paint entries and
// visibility by hand, so each test says exactly when the wait may end.
import test from 'node:test';
import assert from 'node:assert/strict';
import { afterFirstPaint } from '../../web/app/first-paint.mjs';

function fakeWindow({ paintTiming = true, hidden = false, raf = true } = {}) {
  const frames = [];
  const timers = [];
  const observers = [];
  const listeners = new Map();
  const paints = [];
  const win = {
    document: {
      visibilityState: hidden ? 'hidden' : 'visible',
      addEventListener: (type, fn) => listeners.set(type, fn),
      removeEventListener: (type) => listeners.delete(type),
    },
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    frame() { const due = frames.splice(0); for (const fn of due) fn(); },
    runTimers() { const due = timers.splice(0); for (const t of due) t.fn(); return due.map((t) => t.ms); },
    paint(name) {
      paints.push({ name });
      for (const o of observers) if (o.observing) o.cb({ getEntries: () => [{ name }] });
    },
    hide() { win.document.visibilityState = 'hidden'; listeners.get('visibilitychange')?.(); },
    observers,
  };
  if (raf) win.requestAnimationFrame = (fn) => frames.push(fn);
  if (paintTiming) {
    win.PerformanceObserver = class {
      static supportedEntryTypes = ['paint', 'longtask'];
      constructor(cb) { this.cb = cb; observers.push(this); }
      observe({ type, buffered }) {
        assert.equal(type, 'paint');
        this.observing = true;
        if (buffered && paints.length) this.cb({ getEntries: () => paints.slice() });
      }
      disconnect() { this.observing = false; }
    };
  }
  return win;
}

// Resolved yet? (a settled promise's then-callback runs within two microtask turns)
async function state(promise) {
  let value = 'pending';
  promise.then((v) => { value = v; });
  for (let i = 0; i < 3; i++) await null;
  return value;
}

test('with Paint Timing it waits for the first contentful paint, not for frames', async () => {
  const win = fakeWindow();
  const wait = afterFirstPaint({ win });
  win.frame();
  win.frame();
  assert.equal(await state(wait), 'pending', 'two frames alone do not end the wait');
  win.paint('first-paint');
  assert.equal(await state(wait), 'pending', 'a non-contentful paint does not end it');
  win.paint('first-contentful-paint');
  assert.equal(await state(wait), 'paint');
  assert.ok(win.observers.every((o) => !o.observing), 'the observer is disconnected');
});

test('a paint that happened before the module ran counts (buffered entry)', async () => {
  const win = fakeWindow();
  win.paint('first-contentful-paint');
  assert.equal(await state(afterFirstPaint({ win })), 'paint');
});

test('without Paint Timing it waits two frames and then a task', async () => {
  const win = fakeWindow({ paintTiming: false });
  const wait = afterFirstPaint({ win });
  win.frame();
  assert.equal(win.runTimers().length, 0, 'no task before the second frame');
  assert.equal(await state(wait), 'pending');
  win.frame();
  assert.equal(await state(wait), 'pending', 'the second frame only queues a task');
  win.runTimers();
  assert.equal(await state(wait), 'frames');
});

test('a browser that announces Paint Timing but never reports the entry still starts the app', async () => {
  const win = fakeWindow();
  const wait = afterFirstPaint({ win, timeoutMs: 1234 });
  win.frame();
  assert.deepEqual(win.runTimers(), [], 'the safety timer starts only after two frames');
  win.frame();
  assert.deepEqual(win.runTimers(), [1234]);
  assert.equal(await state(wait), 'timeout');
});

test('a hidden page (no frames, no paints) starts at once, and hiding the page ends the wait', async () => {
  assert.equal(await state(afterFirstPaint({ win: fakeWindow({ hidden: true }) })), 'hidden');
  assert.equal(await state(afterFirstPaint({ win: fakeWindow({ raf: false }) })), 'hidden');
  const win = fakeWindow();
  const wait = afterFirstPaint({ win });
  assert.equal(await state(wait), 'pending');
  win.hide();
  assert.equal(await state(wait), 'hidden');
});
