// The bench page: ?mode=ours starts a PythonSandbox (opaque iframe + worker,
// snapshots in IndexedDB); ?mode=bare starts bare Pyodide in a module worker
// (bare-worker.mjs). Both start as soon as the page loads; `ready_ms` is
// performance.now() when Python is ready, i.e. time since navigation start.
// window.B holds the measurements bench/sandbox.mjs calls via page.evaluate.
const mode = new URLSearchParams(location.search).get('mode');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null; };

function fileSet(n, size, salt = 0) {
  const files = [];
  for (let i = 0; i < n; i++) {
    const bytes = new Uint8Array(size);
    for (let j = 0; j < size; j++) bytes[j] = (i * 31 + j * 7 + salt) & 255;
    files.push({ path: `f${String(i).padStart(4, '0')}.txt`, bytes });
  }
  return files;
}

function bigBytes(mb) {
  const b = new Uint8Array(mb * 1024 * 1024);
  for (let i = 0; i < b.length; i += 4096) b[i] = i & 255;
  return b;
}

// An empty worker in a sandboxed srcdoc frame (no Pyodide): it answers the
// byte length of each ArrayBuffer it gets, or of each Blob once it has read it.
async function floorFrame() {
  const worker = 'onmessage = (e) => { if (e.data === "port") { self.p = e.ports[0]; self.p.onmessage = async (m) => { const d = m.data; self.p.postMessage(d instanceof Blob ? (await d.arrayBuffer()).byteLength : d.byteLength); }; postMessage("up"); } };';
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.style.display = 'none';
  frame.srcdoc = `<script>const w = new Worker(URL.createObjectURL(new Blob([${JSON.stringify(worker)}]))); const c = new MessageChannel();` +
    `w.onmessage = () => parent.postMessage("floor-up", ${JSON.stringify(location.origin)}, [c.port1]); w.postMessage("port", [c.port2]);<\/script>`;
  const up = new Promise((resolve) => addEventListener('message', function on(e) { if (e.source === frame.contentWindow && e.data === 'floor-up') { removeEventListener('message', on); resolve(e.ports[0]); } }));
  document.body.append(frame);
  return { port: await up, frame };
}
const ask = (port, message, transfer = []) => new Promise((resolve) => { port.onmessage = (e) => resolve(e.data); port.postMessage(message, transfer); });

// ---------- ours ----------
async function ours() {
  const { PythonSandbox } = await import('/js_glue/sandbox/python-sandbox.mjs');
  let onEvent = null;
  // ?keep=0: without the module keeper (module-keeper.mjs), for an A/B of it.
  const keepCompiledCode = new URLSearchParams(location.search).get('keep') !== '0';
  const sb = new PythonSandbox({ snapshots: true, keepCompiledCode, onEvent: (e) => onEvent?.(e) });
  await sb.start();
  const ready_ms = performance.now();
  let n = 0;
  const run = (code, files = { write: [], delete: [] }, timeout_ms = 120000) => sb.run({ exec_id: `b${++n}`, code, timeout_ms, files });
  const check = (r, what) => { if (r.status !== 'ok') throw new Error(`${what}: ${r.status} ${JSON.stringify(r.error)}`); return r; };
  return {
    mode, ready_ms, start: sb.lastStart,
    async snapshotDone() { await sb.snapshotDone; await sb.snapshotStored; return sb.lastStart; },
    async roundTrip(runs = 50, warmUps = 5) {
      for (let i = 0; i < warmUps; i++) check(await run('1+1'), 'warm-up');
      const ms = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const r = await run('1+1');
        ms.push(performance.now() - t);
        if (r.result !== '2') throw new Error(`1+1 gave ${r.result}`);
      }
      return ms;
    },
    async fileSync(reps = 10) {
      // The core's plan: the first run carries all 1000 files, later runs
      // only what changed (nothing, or one file).
      check(await run('import shutil, os\nfor e in os.scandir("/mnt/data"):\n    (shutil.rmtree if e.is_dir() else os.unlink)(e.path)'), 'clean');
      await run('pass'); // let the runner forget the deleted files
      const files = fileSet(1000, 1024);
      let t = performance.now();
      let r = check(await run('pass', { write: files, delete: [] }), 'initial');
      const initial = performance.now() - t;
      const none = [], one = [];
      for (let k = 0; k < reps; k++) {
        t = performance.now();
        r = check(await run('pass'), 'none');
        none.push(performance.now() - t);
        if (r.files.created.length + r.files.modified.length + r.files.deleted.length) throw new Error('files reported changed');
        const f = fileSet(1, 1024, k + 1)[0];
        f.path = files[k * 37 % 1000].path;
        t = performance.now();
        r = check(await run('pass', { write: [f], delete: [] }), 'one');
        one.push(performance.now() - t);
      }
      const count = check(await run('len(os.listdir("/mnt/data"))'), 'count').result;
      if (count !== '1000') throw new Error(`expected 1000 files, found ${count}`);
      check(await run('for e in os.scandir("/mnt/data"): os.unlink(e.path)'), 'clean');
      await run('pass');
      return { initial, none, one };
    },
    async big(mb = 100) {
      const bytes = bigBytes(mb);
      // As the driver does: the core's readFile hands a fresh copy, which the
      // sandbox takes over (transfer: true). The copy is not timed (nor is
      // bare's).
      const copy = bytes.slice();
      let t = performance.now();
      check(await run('pass', { write: [{ path: 'big.bin', bytes: copy, transfer: true }], delete: [] }), 'in');
      const inMs = performance.now() - t;
      if (copy.byteLength !== 0) throw new Error('the 100 MB were copied, not transferred');
      t = performance.now();
      const r = check(await run('import os; os.utime("/mnt/data/big.bin")'), 'out');
      const outMs = performance.now() - t;
      const back = r.files.modified[0]?.bytes;
      if (!back || back.byteLength !== bytes.byteLength || back[4096] !== bytes[4096]) throw new Error('100 MB did not come back');
      check(await run('pass', { write: [], delete: ['big.bin'] }), 'delete');
      return { in: inMs, out: outMs };
    },
    // The floor of "100 MB in" for any opaque-frame sandbox: Chromium runs a
    // sandboxed frame (and its worker) in another renderer process, so a
    // transferred ArrayBuffer is copied across. An empty worker in such a
    // frame, no Pyodide: the transfer and nothing else.
    async floor(mb = 100, tries = 3) {
      const bytes = bigBytes(mb);
      const { port, frame } = await floorFrame();
      const ms = [];
      for (let i = 0; i < tries; i++) {
        const copy = bytes.slice();
        const t = performance.now();
        const n = await ask(port, copy.buffer, [copy.buffer]);
        ms.push(performance.now() - t);
        if (n !== bytes.byteLength) throw new Error(`floor: ${n} bytes arrived`);
      }
      frame.remove();
      return ms;
    },
    // Another design's floor (bench/README.md, "Limits"): a user's upload is
    // a Blob (a File), held by the browser. Its handle posted into an opaque
    // frame's worker and read there, against this page reading the same Blob
    // (what an in-page Pyodide must do with an upload at least).
    async blobFloor(mb = 100, tries = 3) {
      const blob = new Blob([bigBytes(mb)]);
      const { port, frame } = await floorFrame();
      const out = { frame: [], page: [] };
      for (let i = 0; i < tries; i++) {
        let t = performance.now();
        const n = await ask(port, blob);
        out.frame.push(performance.now() - t);
        t = performance.now();
        const read = await blob.arrayBuffer();
        out.page.push(performance.now() - t);
        if (n !== blob.size || read.byteLength !== blob.size) throw new Error(`blob floor: ${n} / ${read.byteLength} bytes`);
      }
      frame.remove();
      return out;
    },
    async interrupt(tries = 15) {
      if (!sb.canInterrupt) throw new Error('not interruptible (no cross-origin isolation?)');
      const ms = [], missed = [];
      for (let i = 0; i < tries; i++) {
        const id = `loop${i}`;
        // Interrupt once the loop is surely running: after its first output
        // has reached the page, plus the same 300 ms the bare loop gets.
        const started = new Promise((resolve) => { onEvent = (e) => { if (e.type === 'stdout' && e.exec_id === id) resolve(); }; });
        const p = sb.run({ exec_id: id, code: 'print("go")\nwhile True: pass', timeout_ms: 60000, files: { write: [], delete: [] } });
        await started;
        await sleep(300);
        const t = performance.now();
        sb.interrupt(id, false);
        const r = await p;
        ms.push(performance.now() - t);
        // Not honoured within graceMs (2 s): the sandbox restarted the worker
        // (by design). Counted, not timed.
        if (r.restarted) { ms.pop(); missed.push(i); await run('1+1'); continue; }
        if (r.status !== 'cancelled') throw new Error(`interrupt ${i} gave ${r.status}: ${JSON.stringify(r.error)}`);
      }
      return { ms, missed };
    },
    async restart(tries = 5) {
      const ms = [], starts = [];
      for (let i = 0; i < tries; i++) {
        const t = performance.now();
        await sb.restart('bench');
        ms.push(performance.now() - t);
        starts.push(sb.lastStart);
        check(await run('1+1'), 'after restart');
      }
      return { ms, starts };
    },
  };
}

// ---------- bare Pyodide ----------
async function bare() {
  const isolated = self.crossOriginIsolated === true;
  const ib = isolated ? new Uint8Array(new SharedArrayBuffer(1)) : null;
  let worker, nextId = 1;
  const pending = new Map();
  const spawn = () => {
    worker = new Worker('/bench/sandbox/bare-worker.mjs', { type: 'module' });
    worker.onmessage = (e) => { const p = pending.get(e.data.id); pending.delete(e.data.id); p?.(e.data); };
    worker.onerror = (e) => console.error('bare worker error', e.message);
  };
  const request = (type, payload = {}, transfer = []) => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    worker.postMessage({ type, id, ...payload }, transfer);
  });
  const check = (r, what) => { if (!r.ok) throw new Error(`${what}: ${JSON.stringify(r.error)}`); return r; };
  spawn();
  const init = check(await request('init', { interruptBuffer: ib?.buffer ?? null }), 'init');
  const ready_ms = performance.now();
  return {
    mode, ready_ms, start: { load_ms: Math.round(init.load_ms) },
    async snapshotDone() { return null; },
    async roundTrip(runs = 50, warmUps = 5) {
      for (let i = 0; i < warmUps; i++) check(await request('run', { code: '1+1' }), 'warm-up');
      const ms = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const r = await request('run', { code: '1+1' });
        ms.push(performance.now() - t);
        if (r.result !== '2') throw new Error(`1+1 gave ${r.result}`);
      }
      return ms;
    },
    async fileSync(reps = 10) {
      // Bare equivalent: the page writes the files it knows changed
      // (FS.writeFile, bytes transferred), runs the cell, and lists
      // /mnt/data with stat in Python (to notice what the cell changed).
      check(await request('run', { code: 'import os\nfor e in os.scandir("/mnt/data"): os.unlink(e.path)' }), 'clean');
      const files = fileSet(1000, 1024);
      const send = (fs) => request('sync', { files: fs.map((f) => ({ path: f.path, bytes: f.bytes.buffer })), code: 'pass' }, fs.map((f) => f.bytes.buffer));
      let t = performance.now();
      check(await send(files.map((f) => ({ path: f.path, bytes: f.bytes.slice() }))), 'initial');
      const initial = performance.now() - t;
      const none = [], one = [];
      for (let k = 0; k < reps; k++) {
        t = performance.now();
        check(await send([]), 'none');
        none.push(performance.now() - t);
        const f = fileSet(1, 1024, k + 1)[0];
        f.path = files[k * 37 % 1000].path;
        t = performance.now();
        check(await send([f]), 'one');
        one.push(performance.now() - t);
      }
      const count = check(await request('run', { code: 'len(os.listdir("/mnt/data"))' }), 'count').result;
      if (count !== '1000') throw new Error(`expected 1000 files, found ${count}`);
      check(await request('run', { code: 'for e in os.scandir("/mnt/data"): os.unlink(e.path)' }), 'clean');
      return { initial, none, one };
    },
    async big(mb = 100) {
      const bytes = bigBytes(mb);
      const copy = bytes.slice(); // the page keeps `bytes`; the copy is transferred (not timed)
      let t = performance.now();
      check(await request('write', { path: 'big.bin', bytes: copy.buffer }, [copy.buffer]), 'in');
      const inMs = performance.now() - t;
      t = performance.now();
      const r = check(await request('read', { path: 'big.bin' }), 'out');
      const outMs = performance.now() - t;
      if (r.bytes.byteLength !== bytes.byteLength || r.bytes[4096] !== bytes[4096]) throw new Error('100 MB did not come back');
      check(await request('unlink', { path: 'big.bin' }), 'unlink');
      return { in: inMs, out: outMs };
    },
    async interrupt(tries = 15) {
      if (!ib) throw new Error('not cross-origin isolated');
      const ms = [], missed = [];
      for (let i = 0; i < tries; i++) {
        Atomics.store(ib, 0, 0);
        const p = request('run', { code: 'while True: pass' });
        await sleep(300);
        const t = performance.now();
        Atomics.store(ib, 0, 2); // SIGINT
        const r = await Promise.race([p, sleep(2000).then(() => null)]);
        if (!r) { missed.push(i); await this.restart(1); continue; } // same 2 s grace as ours
        ms.push(performance.now() - t);
        if (r.ok || !/KeyboardInterrupt/.test(r.error?.message ?? '')) throw new Error(`interrupt gave ${JSON.stringify(r)}`);
      }
      return { ms, missed };
    },
    async restart(tries = 5) {
      const ms = [];
      for (let i = 0; i < tries; i++) {
        const t = performance.now();
        worker.terminate();
        for (const p of pending.values()) p({ ok: false, error: { message: 'terminated' } });
        pending.clear();
        spawn();
        check(await request('init', { interruptBuffer: ib?.buffer ?? null }), 'init');
        ms.push(performance.now() - t);
        check(await request('run', { code: '1+1' }), 'after restart');
      }
      return { ms };
    },
  };
}

window.B = null;
window.benchReady = (mode === 'ours' ? ours() : bare()).then(
  (b) => { window.B = b; document.getElementById('status').textContent = `${mode} ready in ${Math.round(b.ready_ms)} ms`; return { mode, ready_ms: b.ready_ms, start: b.start, crossOriginIsolated: self.crossOriginIsolated }; },
  (error) => { document.getElementById('status').textContent = `failed: ${error.message}`; throw error; },
);
window.median = median;
