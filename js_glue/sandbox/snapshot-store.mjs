// Stores Pyodide memory snapshots in the app origin's IndexedDB (the opaque
// sandbox frame has no IndexedDB of its own). A snapshot is ~30 MB, so only
// the newest one is kept: putting a snapshot deletes every other key.
//
// Keys name what made the memory: Pyodide's version, a hash of the runner's
// source, and the packages loaded (see PythonSandbox#snapshotKey). A key that
// does not match is simply a miss; a snapshot that fails to load is deleted.

const DB_NAME = 'ci-python-snapshots';
const PUT_TIMEOUT_MS = 20_000;
const STORE = 'snapshots';

/**
 * An Error for a failed IndexedDB request or transaction, never null: WebKit
 * may fire a transaction's error event with its `error` still null.
 */
export function idbError(error, what) {
  if (error instanceof Error || (error && typeof error.message === 'string' && error.message)) return error;
  const e = new Error(`${what} failed (the browser gave no reason; storage may be full or unavailable, as in some private windows)`);
  e.name = (error && error.name) || 'UnknownError';
  return e;
}

function request(req, what = 'An IndexedDB request') {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(idbError(req.error, what));
  });
}

/**
 * Writes `value` under `key` (clearing the store first) in one transaction.
 * Bounded: a write that neither completes nor fails within `timeoutMs` (seen
 * with Blob values in WebKit's private sessions) is aborted and rejected.
 */
function putOnly(db, key, value, timeoutMs = PUT_TIMEOUT_MS) {
  const tx = db.transaction(STORE, 'readwrite');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try { tx.abort(); } catch { /* already finished */ }
      const e = new Error(`Saving the Python snapshot did not finish within ${Math.round(timeoutMs / 1000)} s`);
      e.name = 'TimeoutError';
      reject(e);
    }, timeoutMs);
    const fail = (error) => { clearTimeout(timer); reject(idbError(error, 'Saving the Python snapshot')); };
    tx.oncomplete = () => { clearTimeout(timer); resolve(); };
    // No preventDefault: a failed put must abort the transaction (in WebKit a
    // transaction whose failed Blob put was not aborted never finishes, and
    // holds up every later transaction on this store, in every tab).
    tx.onerror = (event) => fail(tx.error ?? event.target?.error);
    tx.onabort = () => fail(tx.error);
    try {
      const store = tx.objectStore(STORE);
      store.clear(); // keep only the newest snapshot
      store.put(value, key);
    } catch (error) {
      // A value the browser refuses outright (DataCloneError, …).
      try { tx.abort(); } catch { /* already finished */ }
      fail(error);
    }
  });
}

let blobProbe = null;

/**
 * Whether this browser session's IndexedDB stores Blob values: WebKit's
 * ephemeral sessions (private windows, automation) refuse them, and a
 * refused 30 MB Blob put there can leave the next transaction on its store
 * waiting. So a 1-byte Blob is tried first, in a database of its own, once
 * per page; bounded by `timeoutMs`.
 */
export function blobsStorable(idb = globalThis.indexedDB, timeoutMs = 2000) {
  blobProbe ??= new Promise((resolve) => {
    const name = 'ci-blob-probe';
    const finish = (ok, db) => {
      clearTimeout(timer);
      try { db?.close(); idb.deleteDatabase(name); } catch { /* nothing to clean */ }
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    try {
      const req = idb.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('p');
      req.onerror = () => finish(false);
      req.onsuccess = () => {
        const db = req.result;
        try {
          const tx = db.transaction('p', 'readwrite');
          tx.objectStore('p').put(new Blob([new Uint8Array(1)]), 1);
          tx.oncomplete = () => finish(true, db);
          tx.onabort = () => finish(false, db);
        } catch { finish(false, db); }
      };
    } catch { finish(false); }
  });
  return blobProbe;
}

export class IndexedDbSnapshotStore {
  constructor({ dbName = DB_NAME, indexedDB = globalThis.indexedDB } = {}) {
    this.dbName = dbName;
    this.idb = indexedDB;
    this.db = null;
  }

  async open() {
    if (this.db) return this.db;
    if (!this.idb) throw new Error('IndexedDB is not available');
    const req = this.idb.open(this.dbName, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onblocked = () => {};
    this.db = await request(req, 'Opening the Python snapshot store');
    this.db.onversionchange = () => { this.db?.close(); this.db = null; };
    return this.db;
  }

  /** @returns {Promise<ArrayBuffer|null>} */
  async get(key) {
    const db = await this.open();
    const value = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(key));
    if (!value) return null;
    return value instanceof Blob ? value.arrayBuffer() : value;
  }

  /**
   * The newest (only) snapshot and its key, without knowing the key first.
   * The value stays a Blob (IndexedDB keeps it on disk; nothing is copied
   * into this page's memory: the sandbox worker reads it).
   * @returns {Promise<{key: string, value: Blob|ArrayBuffer}|null>}
   */
  async getLatest() {
    const db = await this.open();
    const cursor = await request(db.transaction(STORE, 'readonly').objectStore(STORE).openCursor());
    return cursor ? { key: String(cursor.key), value: cursor.value } : null;
  }

  async put(key, bytes) {
    const db = await this.open();
    // A Blob lets the browser keep the 30 MB on disk instead of in memory.
    // WebKit's ephemeral sessions (private windows, automation) refuse Blob
    // values ("Error preparing Blob/File data to be stored"): there (found by
    // blobsStorable, or by a failed put) the bytes go as an ArrayBuffer.
    if (!this.blobsRefused && !(await blobsStorable(this.idb))) this.blobsRefused = true;
    if (!this.blobsRefused) {
      try {
        return await putOnly(db, key, new Blob([bytes]));
      } catch (error) {
        if (error?.name === 'QuotaExceededError') throw error;
        this.blobsRefused = true;
      }
    }
    const buffer = bytes instanceof ArrayBuffer ? bytes : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    return putOnly(db, key, buffer);
  }

  /** Bytes the stored snapshot takes (0 when there is none). */
  async size() {
    const latest = await this.getLatest();
    const v = latest?.value;
    return v ? (v instanceof Blob ? v.size : v.byteLength ?? 0) : 0;
  }

  async delete(key) {
    const db = await this.open();
    await request(db.transaction(STORE, 'readwrite').objectStore(STORE).delete(key));
  }

  async clear() {
    const db = await this.open();
    await request(db.transaction(STORE, 'readwrite').objectStore(STORE).clear());
  }
}

/** A store that keeps snapshots in memory (tests, or when IndexedDB is unavailable). */
export class MemorySnapshotStore {
  constructor() { this.map = new Map(); }
  async get(key) { return this.map.get(key) ?? null; }
  async put(key, bytes) { this.map.clear(); this.map.set(key, bytes); }
  async delete(key) { this.map.delete(key); }
  async clear() { this.map.clear(); }
  async size() { let n = 0; for (const v of this.map.values()) n += v.byteLength ?? v.size ?? 0; return n; }
}
