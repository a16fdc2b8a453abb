// Saves conversations to the store one at a time, each from the version this
// tab loaded or last saved (so the store can refuse a stale save), and keeps
// what could not be saved until it can be.
//
// Rules:
// - Saves run in order, one at a time: two saves of one conversation never
//   race each other for the same base version.
// - A save never loses what is in memory: the core's session keeps the
//   state and the bytes; `read(path)` lets the store write any file whose
//   bytes an earlier, failed save did not store (store.mjs: self-healing).
// - A full disk: the app's own caches give way first (evict(): the Python
//   snapshot, cached packages), then the save is tried once more; if it
//   still fails, the conversation stays "unsaved" with the reason until
//   retry() succeeds (after the user freed space). Nothing retries forever.
// - Failures never reject: onFailed(id, error) is told (error: the store's
//   {code, message, detail} StoreError), and save() resolves null.

export class Saver {
  /**
   * @param {object} o
   * @param {object} o.store                      saveSnapshot(id, {state, files, read}, {baseVersion}) → meta
   * @param {(meta) => void} o.onSaved
   * @param {(id, error) => void} o.onFailed
   * @param {() => Promise<boolean>} [o.evict]    frees the app's own caches; true when it freed something
   */
  constructor({ store, onSaved, onFailed, evict = async () => false }) {
    this.store = store;
    this.onSaved = onSaved;
    this.onFailed = onFailed;
    this.evict = evict;
    this.versions = new Map(); // id → the version this tab last loaded or saved
    this.unsaved = new Map(); // id → the StoreError of its last failed save
    this.chain = Promise.resolve();
  }

  /** The version conversation `id` was loaded as (undefined: new, never stored). */
  setVersion(id, version) {
    if (version == null) this.versions.delete(id);
    else this.versions.set(id, version);
  }

  /** Queues a save of `snapshot` ({state, files}); `read(path)` gives a file's current bytes. */
  save(id, snapshot, read) {
    const p = this.chain.then(() => this.saveNow(id, snapshot, read));
    this.chain = p.catch(() => {});
    return p;
  }

  async saveNow(id, snapshot, read) {
    const attempt = () => this.store.saveSnapshot(id, { ...snapshot, read }, { baseVersion: this.versions.get(id) });
    let meta;
    try {
      meta = await attempt();
    } catch (error) {
      if (error?.code !== 'quota' || !(await this.evict().catch(() => false))) return this.failed(id, error);
      try {
        meta = await attempt();
      } catch (again) {
        return this.failed(id, again);
      }
    }
    this.versions.set(id, meta.version);
    this.unsaved.delete(id);
    this.onSaved(meta);
    return meta;
  }

  failed(id, error) {
    this.unsaved.set(id, error);
    this.onFailed(id, error);
    return null;
  }

  /** Resolves when every queued save has finished. */
  flush() { return this.chain; }
}
