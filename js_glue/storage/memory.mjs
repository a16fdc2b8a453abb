// MemoryStorage: a Session's storage (js_glue/session.mjs) that keeps each
// conversation's latest snapshot in memory, in the shape the app's IndexedDB
// store returns it ({meta, state, files, version}). For Node (tests, a
// script that reopens a conversation) and embeds that keep nothing on disk.
//
// save(id, snapshot, readFile): snapshot = {state, files: {write: [{path,
// bytes}], delete: [path]}}; files not written in this snapshot are kept from
// earlier ones (a snapshot carries only what changed).

export class MemoryStorage {
  constructor() {
    this.conversations = new Map(); // id → {meta, state, files, version}
    this.pending = new Set();
    this.saves = 0;
  }

  save(id, { state, files }) {
    const p = Promise.resolve().then(() => {
      const old = this.conversations.get(id);
      const kept = { ...(old?.files ?? {}) };
      for (const path of files?.delete ?? []) delete kept[path];
      for (const f of files?.write ?? []) kept[f.path] = f.bytes.slice();
      const version = (old?.version ?? 0) + 1;
      const meta = { id, title: state?.conversation?.title ?? '', updated_ms: Date.now(), version };
      this.conversations.set(id, { meta, state: structuredClone(state), files: kept, version });
      this.saves += 1;
      return meta;
    });
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
    return p;
  }

  async load(id) {
    const c = this.conversations.get(id);
    return c ? { ...c, state: structuredClone(c.state), files: { ...c.files } } : null;
  }

  list() {
    return [...this.conversations.values()].map((c) => c.meta).sort((a, b) => b.updated_ms - a.updated_ms);
  }

  async flush() {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
