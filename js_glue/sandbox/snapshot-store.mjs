// Stores Pyodide memory snapshots in the app origin's IndexedDB (the opaque
// sandbox frame has no IndexedDB of its own). A snapshot is ~30 MB, so only
// the newest one is kept: putting a snapshot deletes every other key.
//
// Keys name what made the memory: Pyodide's version, a hash of the runner's
// source, and the packages loaded (see PythonSandbox#snapshotKey). A key that
// does not match is simply a miss; a snapshot that fails to load is deleted.

const DB_NAME = 'ci-python-snapshots';
const STORE = 'snapshots';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
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
    this.db = await request(req);
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
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    store.clear(); // keep only the newest snapshot
    // A Blob lets the browser keep the 30 MB on disk instead of in memory.
    store.put(new Blob([bytes]), key);
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('snapshot write aborted'));
    });
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
}
