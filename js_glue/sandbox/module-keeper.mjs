// The module keeper: a second sandbox frame, beside the Python one, that
// compiles Pyodide's wasm once and keeps the compiled module for the page's
// lifetime. It never instantiates it, runs no Python and gets no message but
// the wasm (frame.mjs: HOLD → HELD).
//
// Why: each restart of Python (the user's Restart, a stop that needs one, a
// new conversation) ends the worker, and with it the only module holding the
// interpreter's compiled code. The new worker then compiled the wasm afresh
// and ran on the engine's baseline code until its hot functions were
// optimized again: a snapshot start took ~300 ms of loadPyodide instead of
// ~190, and `1+1` took 1.3-6 ms for the first few hundred runs instead of
// ~0.8 (bench/README.md, "Python sandbox"). V8 keeps one compiled copy of a
// wasm module's bytes per process while any module of those bytes lives, and
// optimizes that copy's hot functions in place; Chromium hosts a page's
// sandboxed frames in one process. So while the keeper's module lives, a new
// worker's compile finds the code already compiled and optimized.
//
// Only where that was measured: V8 (navigator.userAgentData is the test;
// Chromium, Edge, Opera...). Elsewhere a keeper would hold a second copy of
// the compiled code for nothing, so none is made. A keeper that fails or does
// not answer is closed and not tried again: it only ever saves time.
//
// Why not keep the Python frame across restarts instead: a restart removes
// the whole frame, which ends a worker whatever it is doing and leaves nothing
// of the old interpreter's frame to the next one (README.md, "How the pieces
// talk"). The keeper's frame never runs user code, so that rule stays.

import { createFrame } from './frame.mjs';
import { frameControl } from './frame-control.mjs';
import { MSG } from './messages.mjs';

/** True where a kept module saves the next worker its compile (V8: see the top of this file). */
export function engineSharesCompiledWasm(nav = globalThis.navigator) {
  return !!nav && 'userAgentData' in nav;
}

export class ModuleKeeper {
  /** @param {{container: HTMLElement, timeoutMs?: number}} options */
  constructor({ container, timeoutMs = 60000 }) {
    this.container = container;
    this.timeoutMs = timeoutMs;
    this.iframe = null;
    this.control = null;
    this.cancelWait = null;
    this.closed = false;
    /** 'compiling' | 'held' | 'failed' | 'closed' */
    this.state = 'compiling';
  }

  /**
   * Compiles `wasm` (a Blob or bytes) in the keeper's frame and keeps it.
   * Resolves true when the module is held; false (and closes) when it is not.
   */
  async hold(wasm) {
    let timer = null;
    try {
      const iframe = await createFrame(this.container.ownerDocument ?? document);
      iframe.title = 'Python sandbox (compiled code)';
      if (this.closed) return false;
      this.iframe = iframe;
      const wait = frameControl(iframe, this.container);
      this.cancelWait = wait.cancel;
      const answered = (async () => {
        this.control = await wait.port;
        if (this.closed) return { ok: false, message: 'closed' };
        const held = new Promise((resolve) => {
          this.control.onmessage = (event) => { if (event.data?.type === MSG.HELD) resolve(event.data); };
        });
        this.control.postMessage({ type: MSG.HOLD, wasm });
        return held;
      })();
      const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve({ ok: false, message: `no answer within ${Math.round(this.timeoutMs / 1000)} s` }), this.timeoutMs); });
      const answer = await Promise.race([answered, timeout]);
      if (this.closed) return false;
      if (!answer.ok) throw new Error(answer.message);
      this.state = 'held';
      return true;
    } catch (error) {
      console.warn('python sandbox: compiled code not kept for restarts:', error);
      this.close('failed');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  close(state = 'closed') {
    if (this.closed) return;
    this.closed = true;
    this.state = state;
    this.cancelWait?.();
    try { this.control?.close(); } catch { /* closed already */ }
    // Removing the frame frees its module (and with it the compiled code,
    // once no worker holds a module of the same bytes).
    this.iframe?.remove();
    this.iframe = null;
  }
}
