// Everything the app keeps on this device, in one IndexedDB database (idb):
//
//   conversations  {id, title, custom_title, created_ms, updated_ms}   the list (small rows)
//   states         {id, state}                                        the core's serialize() output
//   files          {conversation_id, path, bytes}                     file bytes, key [conversation_id, path]
//   settings       key → value                                        app settings (no secrets)
//   keys           provider id → API key                              never exported, never in a state
//
// A core `persist` is written in ONE readwrite transaction over
// conversations + states + files, so a tab killed mid-write leaves the old
// version or the new one, never a mix of the two.
import { openDB } from 'idb';

export const DB_NAME = 'code-interpreter';
const DB_VERSION = 1;

/** A title for a conversation with no message yet: its first code line. */
function firstCodeLine(state) {
  const exec = state?.conversation?.entries?.find((e) => e.kind === 'exec');
  const line = exec?.exec?.code?.split('\n').find((l) => l.trim())?.trim();
  return line ? `Python: ${line.slice(0, 60)}` : '';
}

export class Store {
  /** @param {import('idb').IDBPDatabase} db */
  constructor(db) {
    this.db = db;
  }

  static async open(name = DB_NAME) {
    const db = await openDB(name, DB_VERSION, {
      upgrade(db) {
        db.createObjectStore('conversations', { keyPath: 'id' });
        db.createObjectStore('states', { keyPath: 'id' });
        const files = db.createObjectStore('files', { keyPath: ['conversation_id', 'path'] });
        files.createIndex('by_conversation', 'conversation_id');
        db.createObjectStore('settings');
        db.createObjectStore('keys');
      },
    });
    return new Store(db);
  }

  /** The conversation list, newest first. */
  async listConversations() {
    const all = await this.db.getAll('conversations');
    return all.sort((a, b) => b.updated_ms - a.updated_ms);
  }

  /**
   * Saves one persist snapshot atomically.
   * @param {string} id
   * @param {{state: object, files: {write: {path, bytes}[], delete: string[]}}} snapshot
   */
  async saveSnapshot(id, { state, files }) {
    const tx = this.db.transaction(['conversations', 'states', 'files'], 'readwrite');
    const conversations = tx.objectStore('conversations');
    const now = Date.now();
    const meta = (await conversations.get(id)) ?? { id, title: '', custom_title: false, created_ms: now };
    if (!meta.custom_title) meta.title = state?.conversation?.title || meta.title || firstCodeLine(state);
    meta.updated_ms = now;
    const work = [
      conversations.put(meta),
      tx.objectStore('states').put({ id, state }),
      ...files.delete.map((path) => tx.objectStore('files').delete([id, path])),
      ...files.write.map((f) => tx.objectStore('files').put({ conversation_id: id, path: f.path, bytes: f.bytes })),
    ];
    await Promise.all([...work, tx.done]);
    return meta;
  }

  /** @returns {Promise<{meta, state, files: {[path]: Uint8Array}}|null>} */
  async loadConversation(id) {
    const tx = this.db.transaction(['conversations', 'states', 'files'], 'readonly');
    const [meta, row, fileRows] = await Promise.all([
      tx.objectStore('conversations').get(id),
      tx.objectStore('states').get(id),
      tx.objectStore('files').index('by_conversation').getAll(id),
      tx.done,
    ]);
    if (!meta || !row) return null;
    const files = {};
    for (const f of fileRows) files[f.path] = f.bytes;
    return { meta, state: row.state, files };
  }

  async renameConversation(id, title) {
    const tx = this.db.transaction('conversations', 'readwrite');
    const meta = await tx.store.get(id);
    if (meta) {
      meta.title = title;
      meta.custom_title = true;
      await tx.store.put(meta);
    }
    await tx.done;
    return meta;
  }

  async deleteConversation(id) {
    const tx = this.db.transaction(['conversations', 'states', 'files'], 'readwrite');
    const keys = await tx.objectStore('files').index('by_conversation').getAllKeys(id);
    await Promise.all([
      tx.objectStore('conversations').delete(id),
      tx.objectStore('states').delete(id),
      ...keys.map((k) => tx.objectStore('files').delete(k)),
      tx.done,
    ]);
  }

  getSetting(key) { return this.db.get('settings', key); }
  setSetting(key, value) { return this.db.put('settings', value, key); }

  getKey(provider) { return this.db.get('keys', provider); }
  async setKey(provider, key) {
    if (key) await this.db.put('keys', key, provider);
    else await this.db.delete('keys', provider);
  }

  close() { this.db.close(); }
}

/**
 * The same API as Store, kept in memory only: for embeds (<code-interpreter
 * no-persist>, embed.html), whose conversations and keys must neither outlive
 * the page nor mix with the app's own stored ones. Values are structured-
 * cloned in and out, as IndexedDB would.
 */
export class MemoryStore {
  constructor() {
    this.conversations = new Map();
    this.states = new Map();
    this.files = new Map(); // id → Map(path → bytes)
    this.settings = new Map();
    this.keys = new Map();
  }

  static async open() { return new MemoryStore(); }

  async listConversations() {
    return [...this.conversations.values()].map((m) => ({ ...m })).sort((a, b) => b.updated_ms - a.updated_ms);
  }

  async saveSnapshot(id, { state, files }) {
    const now = Date.now();
    const meta = { ...(this.conversations.get(id) ?? { id, title: '', custom_title: false, created_ms: now }) };
    if (!meta.custom_title) meta.title = state?.conversation?.title || meta.title || firstCodeLine(state);
    meta.updated_ms = now;
    const bytes = new Map(this.files.get(id) ?? []);
    for (const path of files.delete) bytes.delete(path);
    for (const f of files.write) bytes.set(f.path, f.bytes.slice());
    this.conversations.set(id, meta);
    this.states.set(id, structuredClone(state));
    this.files.set(id, bytes);
    return { ...meta };
  }

  async loadConversation(id) {
    const meta = this.conversations.get(id);
    const state = this.states.get(id);
    if (!meta || !state) return null;
    const files = {};
    for (const [path, bytes] of this.files.get(id) ?? []) files[path] = bytes.slice();
    return { meta: { ...meta }, state: structuredClone(state), files };
  }

  async renameConversation(id, title) {
    const meta = this.conversations.get(id);
    if (!meta) return undefined;
    Object.assign(meta, { title, custom_title: true });
    return { ...meta };
  }

  async deleteConversation(id) {
    this.conversations.delete(id);
    this.states.delete(id);
    this.files.delete(id);
  }

  async getSetting(key) { return structuredClone(this.settings.get(key)); }
  async setSetting(key, value) { this.settings.set(key, structuredClone(value)); }

  async getKey(provider) { return this.keys.get(provider); }
  async setKey(provider, key) {
    if (key) this.keys.set(provider, key);
    else this.keys.delete(provider);
  }

  close() {}
}
