// Helpers shared by the security tests of the built app (escape, files,
// dos): run Python through the app controller (the same path as the
// "Python" input box) and wait for its cell; read the app's IndexedDB;
// collect the app's toasts. Everything goes through page.evaluate on the
// real app; nothing is stubbed.

/** The number of cells in the open conversation. */
export function cellCount(page) {
  return page.evaluate(() => document.querySelector('code-interpreter').app.vm.items.filter((i) => i.kind === 'cell').length);
}

/**
 * Runs `code` as a new cell with app.runCode and resolves with
 * { exec, doneAt }: the cell's exec record (status, stdout, stderr, error,
 * files, restarted, ...) and the page's performance.now() when it was seen
 * finished. Polls with a tiny evaluate (never the whole view model, which
 * may hold megabytes of output: serializing it would itself block the
 * page's main thread and spoil the long-task figures).
 */
export async function runPythonTimed(page, code, { timeout = 120000 } = {}) {
  const before = await cellCount(page);
  const accepted = await page.evaluate((c) => document.querySelector('code-interpreter').app.runCode(c), code);
  if (!accepted) throw new Error('app.runCode refused the code');
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await page.evaluate(() => {
      const vm = document.querySelector('code-interpreter').app.vm;
      const cells = vm.items.filter((i) => i.kind === 'cell');
      return { n: cells.length, status: cells.at(-1)?.exec.status, running: vm.running, now: performance.now() };
    });
    if (!last.running && last.n > before && last.status !== 'running') {
      const exec = await page.evaluate(() => document.querySelector('code-interpreter').app.vm.items.filter((i) => i.kind === 'cell').at(-1).exec);
      return { exec, doneAt: last.now };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeout} ms waiting for the cell to finish (last: ${JSON.stringify(last)})`);
}

/** Runs `code` as a new cell and resolves with its exec record. */
export async function runPython(page, code, options) {
  return (await runPythonTimed(page, code, options)).exec;
}

/**
 * Searches every record of every object store of every IndexedDB database
 * of the page's origin (keys and values; Blobs and byte arrays as latin1,
 * so UTF-8 text is found as its bytes) for each needle. Returns
 * { 'db/store': { count, bytes, hits: { needle: occurrences } } }.
 * Stores named in `skip` ('db/store') are not read.
 */
export function searchIndexedDb(page, needles, { skip = [] } = {}) {
  return page.evaluate(async ([needleList, skipStores]) => {
    const latin1 = (u8) => {
      let s = '';
      for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
      return s;
    };
    const flatten = async (v, depth = 0) => {
      if (v instanceof Blob) return latin1(new Uint8Array(await v.arrayBuffer()));
      if (v instanceof ArrayBuffer) return latin1(new Uint8Array(v));
      if (ArrayBuffer.isView(v)) return latin1(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      if (v && typeof v === 'object' && depth < 50) {
        const parts = [];
        for (const [k, x] of Object.entries(v)) parts.push(`${k}=${await flatten(x, depth + 1)}`);
        return `{${parts.join(',')}}`;
      }
      return String(v);
    };
    const out = {};
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((res, rej) => { const r = indexedDB.open(name); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
      for (const store of db.objectStoreNames) {
        const id = `${name}/${store}`;
        if (skipStores.includes(id)) continue;
        const [keys, values] = await new Promise((res, rej) => {
          const tx = db.transaction(store);
          const k = tx.objectStore(store).getAllKeys();
          const v = tx.objectStore(store).getAll();
          tx.oncomplete = () => res([k.result, v.result]);
          tx.onerror = () => rej(tx.error);
        });
        const text = `${await flatten(keys)}\n${await flatten(values)}`;
        const hits = {};
        for (const n of needleList) hits[n] = text.split(n).length - 1;
        out[id] = { count: values.length, bytes: text.length, hits };
      }
      db.close();
    }
    return out;
  }, [needles.map((n) => Buffer.from(n, 'utf8').toString('latin1')), skip]);
}

/** The toasts the app shows now, as text. */
export function toasts(page) {
  return page.evaluate(() => document.querySelector('code-interpreter').app.vm.toasts.map((t) => t.text));
}

/** The app's file list (session.listFiles through the view model). */
export function listFiles(page) {
  return page.evaluate(() => document.querySelector('code-interpreter').app.vm.files);
}

/** Reads a file's bytes from the core, as a plain array (null when absent). */
export async function readFile(page, path) {
  const a = await page.evaluate((p) => {
    const b = document.querySelector('code-interpreter').app.readFile(p);
    return b ? Array.from(b) : null;
  }, path);
  return a ? Buffer.from(a) : null;
}
