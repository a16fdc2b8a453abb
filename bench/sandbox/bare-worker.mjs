// The baseline: bare Pyodide in a plain module worker on the same page, no
// iframe, no runner, talking to the page by postMessage. Only what a minimal
// app would do for each benchmark.
import { loadPyodide } from '/node_modules/pyodide/pyodide.mjs';

let py = null;
const post = (m, transfer = []) => self.postMessage(m, transfer);

// The "file scan" of the bare equivalent: list /mnt/data with stat, in
// Python, like the runner's scan does (without its bookkeeping).
const SCAN = `
import os
_n = 0
for _e in os.scandir('/mnt/data'):
    _st = _e.stat(follow_symlinks=False)
    _n += 1
_n`;

self.onmessage = async (event) => {
  const m = event.data;
  try {
    if (m.type === 'init') {
      const t0 = performance.now();
      py = await loadPyodide({ indexURL: '/node_modules/pyodide/' });
      if (m.interruptBuffer) py.setInterruptBuffer(new Uint8Array(m.interruptBuffer));
      py.FS.mkdirTree('/mnt/data');
      post({ id: m.id, ok: true, load_ms: performance.now() - t0 });
    } else if (m.type === 'run') {
      const r = py.runPython(m.code);
      post({ id: m.id, ok: true, result: r === undefined ? null : String(r) });
    } else if (m.type === 'sync') {
      // Write the files the page says changed, run the cell, list /mnt/data.
      for (const f of m.files) py.FS.writeFile(`/mnt/data/${f.path}`, new Uint8Array(f.bytes), { canOwn: true });
      py.runPython(m.code);
      const n = py.runPython(SCAN);
      post({ id: m.id, ok: true, result: n });
    } else if (m.type === 'write') {
      py.FS.writeFile(`/mnt/data/${m.path}`, new Uint8Array(m.bytes), { canOwn: true });
      post({ id: m.id, ok: true });
    } else if (m.type === 'read') {
      const bytes = py.FS.readFile(`/mnt/data/${m.path}`);
      post({ id: m.id, ok: true, bytes }, [bytes.buffer]);
    } else if (m.type === 'unlink') {
      py.FS.unlink(`/mnt/data/${m.path}`);
      post({ id: m.id, ok: true });
    }
  } catch (error) {
    post({ id: m.id, ok: false, error: { type: error?.type ?? error?.name, message: String(error?.message ?? error).slice(-300) } });
  }
};
