// Everything the app keeps on this device, in one IndexedDB database (idb).
//
// Layout (DB_VERSION 2):
//
//   conversations  {id, title, custom_title, created_ms, updated_ms, version, bytes}
//                  the list (small rows). version: +1 on every committed save;
//                  bytes: the state's JSON length + its blobs' bytes
//   states         {id, state, version}          the core's serialize() output
//   blobs          {conversation_id, path, version, bytes}
//                  file bytes, key [conversation_id, path, version], index by_conversation
//   settings       key → value                   app settings (no secrets)
//   keys           provider id → API key         never exported, never in a state
//
// `state.files.files` is the core's file index: entries {path, size, version,
// media_type, ...}; a file's version is 1 when created and +1 on each change
// (an entry without a version counts as version 0).
//
// The contract:
//
// 1. One transaction per save. saveSnapshot writes conversations + states +
//    blobs in ONE readwrite transaction, and every committed state names
//    exactly the blobs committed with it: the blob [id, path, version] of each
//    entry of its file index, and no other blob of that conversation (old
//    versions and deleted files are deleted in the same transaction: no
//    orphans). A state and its files can never disagree; a tab killed
//    mid-write leaves the old version or the new one.
// 2. Optimistic concurrency. A save carries the `baseVersion` it started from
//    (the version loadConversation or the previous save returned; undefined or
//    null for a new conversation). When the stored version is greater (another
//    tab or window saved since), nothing is written and the save rejects with
//    code 'conflict'. The new version is max(stored, baseVersion) + 1, so
//    versions only grow, also when a conversation deleted elsewhere is saved
//    again. Saves of one conversation from one tab must therefore be chained:
//    each with the version the previous one returned.
// 3. Self-healing. The bytes of every file the new state names must be in the
//    transaction: written now (`files.write`), or already stored under that
//    exact version, or read now through `read(path)` (synchronous,
//    Uint8Array or null). If none of these has them (or `read` gives a length
//    other than the index's size), nothing is written and the save rejects
//    with code 'missing_bytes'. So no save commits a file list without its
//    bytes, even after an earlier save failed and its queue was lost.
//    `files.delete` needs no handling: what the index no longer names goes.
// 4. Loading gives, for each index entry, the bytes stored under its exact
//    version: a blob whose length differs from the index's size is still
//    returned, a missing one is absent (the core keeps what exists and reports
//    the rest).
// 5. Errors have one shape: every method rejects only with a StoreError
//    {name: 'StoreError', code, message, detail}, code one of 'quota' (storage
//    is full), 'conflict', 'missing_bytes', 'unavailable' (IndexedDB cannot be
//    opened, or the connection was closed), 'unknown'. The message is never
//    empty (engines give errors with empty messages, and WebKit aborts
//    transactions with tx.error === null): it is composed from what is known.
//    detail keeps the original error's name and message.
// 6. The upgrade from version 1 (conversations, states, files {conversation_id,
//    path, bytes} keyed [conversation_id, path]) moves every files row to blobs
//    under the version its conversation's state index gives for that path (a
//    row the index does not name is dropped; an index entry without a row
//    stays as it is), sets each conversation's version to 1 and its bytes, and
//    deletes the files store, in the upgrade transaction (IndexedDB requests
//    only). If it fails, the transaction aborts and the version-1 data stays.
//
// MemoryStore (below) has the same API and semantics, in memory, for embeds.
import { openDB } from 'idb';

export const DB_NAME = 'code-interpreter';
export const DB_VERSION = 2;

const SAVE_STORES = ['conversations', 'states', 'blobs'];

/** The one error type every Store and MemoryStore method rejects with. */
export class StoreError extends Error {
  /**
   * @param {'quota'|'conflict'|'missing_bytes'|'unavailable'|'unknown'} code
   * @param {string} message
   * @param {object} [detail] the original error's name and message, and what else is known
   */
  constructor(code, message, detail = {}) {
    super(String(message ?? '').trim() || `Storage on this device failed (${code})`);
    this.name = 'StoreError';
    this.code = code;
    this.detail = detail;
  }
}

// ---------------------------------------------------------------- helpers

/** A title for a conversation with no message yet: its first code line. */
function firstCodeLine(state) {
  const exec = state?.conversation?.entries?.find((e) => e.kind === 'exec');
  const line = exec?.exec?.code?.split('\n').find((l) => l.trim())?.trim();
  return line ? `Python: ${line.slice(0, 60)}` : '';
}

/** The title rules: the core's custom title (a rename); a rename stored before the core kept them; the core's automatic title; the old one; the first code line. */
function titleFor(meta, state) {
  if (state?.conversation?.custom_title) return state.conversation.title ?? '';
  if (meta?.custom_title) return meta.title ?? '';
  return state?.conversation?.title || meta?.title || firstCodeLine(state);
}

const quoted = (title) => (title ? `"${title}"` : 'this conversation');

/** The entries of a state's file index that have a path. */
function fileIndex(state) {
  const list = state?.files?.files;
  return Array.isArray(list) ? list.filter((e) => e && typeof e.path === 'string') : [];
}

/** An index entry's version (0 when it has none: the key must still be valid). */
function fileVersion(entry) {
  return Number.isSafeInteger(entry?.version) && entry.version >= 0 ? entry.version : 0;
}

const blobKey = (path, version) => `${version}\u0000${path}`;

function asBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return null;
}

const byteLength = (value) => value?.byteLength ?? 0;

function formatBytes(n) {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

/** The name and message of an original error, for StoreError.detail. */
function original(error) {
  if (error == null) return { name: null, message: '' };
  if (typeof error !== 'object') return { name: null, message: String(error) };
  return { name: error.name ?? null, message: String(error.message ?? '') };
}

function isQuota(error) {
  if (!error || typeof error !== 'object') return false;
  return error.name === 'QuotaExceededError' || error.code === 22 || /quota/i.test(String(error.message ?? ''));
}

/**
 * Any error → a StoreError with a non-empty message.
 * @param {unknown} error
 * @param {{action: string, needed?: number, open?: boolean}} context
 *   action: what failed, as the start of a sentence ("Saving "Sales"");
 *   needed: the bytes the failed write carried; open: it happened opening the database
 */
function toStoreError(error, { action, needed, open = false }) {
  if (error instanceof StoreError) return error;
  const orig = original(error);
  const detail = { ...orig, ...(needed ? { needed } : {}) };
  if (isQuota(error)) {
    const size = needed ? ` (this save needed about ${formatBytes(needed)})` : '';
    return new StoreError('quota', `${action} failed: storage on this device is full${size}. `
      + 'Nothing of it was stored; delete some files or conversations to free space.', detail);
  }
  const text = orig.name && orig.message && orig.message !== orig.name ? `${orig.name}: ${orig.message}`
    : orig.message || orig.name || 'the browser gave no reason';
  const why = text.replace(/[.\s]+$/, '');
  if (open || orig.name === 'VersionError') {
    return new StoreError('unavailable', `${action} failed: this browser does not let the app use its storage `
      + `(a private window, storage turned off, or a newer version of the app open in another tab) (${why}).`, detail);
  }
  if (orig.name === 'InvalidStateError') {
    return new StoreError('unavailable', `${action} failed: the connection to this device's storage was closed `
      + `(another tab may have updated the app): reload this page (${why}).`, detail);
  }
  if (orig.name === 'AbortError' || orig.name === 'UnknownError') {
    return new StoreError('unknown', `${action} failed: the browser aborted the write (${why}). Nothing of it was stored.`, detail);
  }
  return new StoreError('unknown', `${action} failed: ${why}.`, detail);
}

/**
 * A write that failed without saying why (WebKit aborts transactions with
 * tx.error === null, also when storage is full): when the storage estimate
 * leaves less room than the write needed, it is reported as 'quota'.
 */
async function guessQuota(error, action, needed) {
  if (!(error instanceof StoreError) || error.code !== 'unknown' || !needed) return error;
  try {
    const { usage, quota } = (await navigator.storage?.estimate?.()) ?? {};
    if (Number.isFinite(usage) && Number.isFinite(quota) && quota - usage < needed) {
      return new StoreError('quota', `${action} failed: storage on this device is full (this save needed about `
        + `${formatBytes(needed)}, about ${formatBytes(Math.max(0, quota - usage))} is free). Nothing of it was stored; `
        + 'delete some files or conversations to free space.', { ...error.detail, needed, usage, quota, estimated: true });
    }
  } catch { /* no estimate: keep the error as it is */ }
  return error;
}

/** Aborts a transaction that may already have ended. */
function abortQuietly(tx) {
  try {
    tx.abort();
  } catch { /* already committed or aborted */ }
}

/**
 * Which error explains a failed transaction: a quota error wherever it shows
 * (a request's AbortError may arrive before the transaction's own
 * QuotaExceededError), else the transaction's error, else the caught one.
 */
function explain(caught, txError) {
  if (caught instanceof StoreError) return caught;
  if (isQuota(caught)) return caught;
  if (isQuota(txError)) return txError;
  return txError ?? caught;
}

// ------------------------------------------------------------ save planning

/** The parts of a save that need nothing stored (done before any transaction). */
function prepare(id, snapshot) {
  const { state, files = {}, read } = snapshot ?? {};
  if (typeof id !== 'string' || !id) throw new StoreError('unknown', 'Saving failed: the conversation has no id.');
  if (!state || typeof state !== 'object') throw new StoreError('unknown', `Saving ${quoted(id)} failed: no state was given.`);
  const written = new Map();
  for (const f of files?.write ?? []) {
    const bytes = asBytes(f?.bytes);
    if (typeof f?.path === 'string' && bytes) written.set(f.path, bytes);
  }
  return { state, entries: fileIndex(state), written, read, stateChars: JSON.stringify(state).length };
}

/** The bytes of an entry the store lacks, read through `read`; throws 'missing_bytes'. */
function healBytes(read, entry, title) {
  const version = fileVersion(entry);
  let bytes = null;
  let why = '';
  if (typeof read !== 'function') why = 'no reader was given';
  else {
    try {
      bytes = asBytes(read(entry.path));
      if (!bytes) why = 'they are not in memory either';
    } catch (error) {
      why = `reading them failed: ${original(error).message || original(error).name || error}`;
    }
  }
  if (bytes && Number.isSafeInteger(entry.size) && bytes.byteLength !== entry.size) {
    why = `${bytes.byteLength} bytes were read, the file list says ${entry.size}`;
    bytes = null;
  }
  if (!bytes) {
    throw new StoreError('missing_bytes', `Saving ${quoted(title)} failed: the contents of "${entry.path}" `
      + `(version ${version}) are neither stored nor available (${why}). Nothing was saved.`,
    { path: entry.path, version, size: entry.size ?? null, reason: why });
  }
  return bytes;
}

/**
 * What a save writes, given what is stored: the conversation's meta row (or
 * undefined) and the primary keys of its blobs. Throws 'conflict' or
 * 'missing_bytes' (then nothing may be written).
 */
function planSave(id, prep, options, meta, storedKeys) {
  const title = titleFor(meta, prep.state);
  const base = options?.baseVersion ?? null;
  if (base !== null && !(Number.isSafeInteger(base) && base >= 0)) {
    throw new StoreError('unknown', `Saving ${quoted(title)} failed: baseVersion ${String(base)} is not a version.`);
  }
  const stored = meta ? (Number.isSafeInteger(meta.version) ? meta.version : 0) : 0;
  if (stored > (base ?? 0)) {
    throw new StoreError('conflict', `${quoted(title)} was not saved: another tab or window saved a newer version of it `
      + `(version ${stored}; this one started from ${base === null ? 'no saved version' : `version ${base}`}). `
      + 'Reload the conversation to continue from the newer version.',
    { storedVersion: stored, baseVersion: base });
  }
  const present = new Set(storedKeys.map((k) => blobKey(k[1], k[2])));
  const named = new Set();
  const puts = [];
  let blobBytes = 0;
  let needed = prep.stateChars;
  for (const entry of prep.entries) {
    const version = fileVersion(entry);
    const key = blobKey(entry.path, version);
    if (named.has(key)) continue; // the same entry twice: the core reports it on restore
    named.add(key);
    let bytes = prep.written.get(entry.path);
    if (!bytes && !present.has(key)) bytes = healBytes(prep.read, entry, title);
    if (bytes) {
      puts.push({ conversation_id: id, path: entry.path, version, bytes });
      blobBytes += bytes.byteLength;
      needed += bytes.byteLength;
    } else {
      blobBytes += Number.isSafeInteger(entry.size) ? entry.size : 0; // kept as stored
    }
  }
  const deletes = storedKeys.filter((k) => !named.has(blobKey(k[1], k[2])));
  const now = Date.now();
  const next = {
    ...(meta ?? { id, title: '', custom_title: false, created_ms: now }),
    title,
    custom_title: !!(prep.state?.conversation?.custom_title || meta?.custom_title),
    updated_ms: now,
    version: Math.max(stored, base ?? 0) + 1,
    bytes: prep.stateChars + blobBytes,
  };
  return { title, meta: next, puts, deletes, needed };
}

// ------------------------------------------------------------ the upgrade

/** Runs inside idb's upgrade callback: IndexedDB requests only, no other promise. */
async function upgradeSchema(db, oldVersion, tx) {
  if (oldVersion < 1) {
    db.createObjectStore('conversations', { keyPath: 'id' });
    db.createObjectStore('states', { keyPath: 'id' });
    db.createObjectStore('settings');
    db.createObjectStore('keys');
  }
  if (oldVersion < 2) {
    const blobs = db.createObjectStore('blobs', { keyPath: ['conversation_id', 'path', 'version'] });
    blobs.createIndex('by_conversation', 'conversation_id');
    if (oldVersion === 1) await migrateV1(db, tx, blobs);
  }
}

async function migrateV1(db, tx, blobs) {
  const states = tx.objectStore('states');
  const conversations = tx.objectStore('conversations');
  const files = tx.objectStore('files');
  const writes = [];
  const versions = new Map(); // conversation id → Map(path → version)
  const stateChars = new Map();
  let cursor = await states.openCursor();
  while (cursor) {
    const row = cursor.value;
    const paths = new Map();
    for (const entry of fileIndex(row.state)) if (!paths.has(entry.path)) paths.set(entry.path, fileVersion(entry));
    versions.set(row.id, paths);
    stateChars.set(row.id, JSON.stringify(row.state ?? null).length);
    writes.push(cursor.update({ ...row, version: 1 }));
    cursor = await cursor.continue();
  }
  const blobBytes = new Map();
  cursor = await files.openCursor();
  while (cursor) {
    const { conversation_id: id, path, bytes } = cursor.value;
    const version = versions.get(id)?.get(path);
    if (version !== undefined) { // a row the index does not name is dropped
      writes.push(blobs.put({ conversation_id: id, path, version, bytes }));
      blobBytes.set(id, (blobBytes.get(id) ?? 0) + byteLength(bytes));
    }
    cursor = await cursor.continue();
  }
  cursor = await conversations.openCursor();
  while (cursor) {
    const meta = cursor.value;
    writes.push(cursor.update({ ...meta, version: 1, bytes: (stateChars.get(meta.id) ?? 0) + (blobBytes.get(meta.id) ?? 0) }));
    cursor = await cursor.continue();
  }
  await Promise.all(writes);
  db.deleteObjectStore('files');
}

// ------------------------------------------------------------ the store

export class Store {
  /** @param {import('idb').IDBPDatabase} db */
  constructor(db) {
    this.db = db;
  }

  /**
   * Opens (creating or upgrading) the database. Rejects with StoreError
   * 'unavailable' when IndexedDB cannot be used (private mode, blocked by a
   * tab of an older version of the app, a failed upgrade).
   */
  static async open(name = DB_NAME) {
    const action = 'Opening the storage on this device';
    if (typeof indexedDB === 'undefined' || !indexedDB) {
      throw new StoreError('unavailable', `${action} failed: this browser gives the app no IndexedDB (a private window, or storage turned off).`, { name: null, message: 'indexedDB is undefined' });
    }
    let upgradeError = null;
    const db = await new Promise((resolve, reject) => {
      let settled = false;
      openDB(name, DB_VERSION, {
        upgrade(db, oldVersion, _newVersion, tx) {
          upgradeSchema(db, oldVersion, tx).catch((error) => {
            upgradeError = error;
            abortQuietly(tx);
          });
        },
        blocked() {
          // Only a tab of an older version of the app (which does not close on
          // versionchange) keeps this open from proceeding.
          settled = true;
          reject(new StoreError('unavailable', `${action} failed: another tab or window has this app open with an older `
            + 'version of its storage. Close it, then reload this page.', { name: 'blocked', message: '' }));
        },
        blocking(_currentVersion, _blockedVersion, event) {
          // A newer version of the app (or a deletion) waits for this connection:
          // close it (later calls reject with 'unavailable': reload).
          event?.target?.close();
        },
      }).then((db) => {
        if (settled) db.close();
        else resolve(db);
      }, (error) => {
        if (settled) return;
        settled = true;
        if (upgradeError) {
          const orig = original(upgradeError);
          reject(new StoreError('unavailable', `${action} failed: upgrading the stored data failed (${orig.name ?? 'error'}: `
            + `${orig.message || 'no reason given'}); the data is unchanged.`, orig));
        } else reject(toStoreError(error, { action, open: true }));
      });
    });
    return new Store(db);
  }

  /** The conversation list, newest first. */
  async listConversations() {
    try {
      const all = await this.db.getAll('conversations');
      return all.sort((a, b) => b.updated_ms - a.updated_ms);
    } catch (error) {
      throw toStoreError(error, { action: 'Reading the conversation list' });
    }
  }

  /**
   * Saves one snapshot atomically (see the contract at the top).
   * @param {string} id
   * @param {{state: object, files?: {write?: {path: string, bytes: Uint8Array}[], delete?: string[]},
   *          read?: (path: string) => Uint8Array|null}} snapshot
   * @param {{baseVersion?: number|null}} [options]
   * @returns {Promise<object>} the new meta row (with its version)
   */
  async saveSnapshot(id, snapshot, options = {}) {
    let title = snapshot?.state?.conversation?.title || '';
    let needed = 0;
    try {
      const prep = prepare(id, snapshot);
      needed = prep.stateChars;
      const tx = this.db.transaction(SAVE_STORES, 'readwrite');
      const done = tx.done;
      done.catch(() => {}); // looked at below
      try {
        const blobs = tx.objectStore('blobs');
        const [meta, keys] = await Promise.all([
          tx.objectStore('conversations').get(id),
          blobs.index('by_conversation').getAllKeys(id),
        ]);
        const plan = planSave(id, prep, options, meta, keys);
        title = plan.title;
        needed = plan.needed;
        const work = [];
        try {
          work.push(tx.objectStore('conversations').put(plan.meta));
          work.push(tx.objectStore('states').put({ id, state: prep.state, version: plan.meta.version }));
          for (const key of plan.deletes) work.push(blobs.delete(key));
          for (const row of plan.puts) work.push(blobs.put(row));
        } catch (error) { // a request that could not even be made (DataCloneError): the others end aborted
          for (const request of work) request.catch(() => {});
          throw error;
        }
        await Promise.all([...work, done]);
        return plan.meta;
      } catch (error) {
        abortQuietly(tx);
        await done.catch(() => {}); // the transaction's own error is known once it ended
        throw explain(error, tx.error);
      }
    } catch (error) {
      const action = `Saving ${quoted(title)}`;
      throw await guessQuota(toStoreError(error, { action, needed }), action, needed);
    }
  }

  /** @returns {Promise<{meta, state, files: {[path]: Uint8Array}, version: number}|null>} */
  async loadConversation(id) {
    let title = '';
    try {
      const tx = this.db.transaction(SAVE_STORES, 'readonly');
      const [meta, row] = await Promise.all([tx.objectStore('conversations').get(id), tx.objectStore('states').get(id)]);
      if (!meta || !row) {
        await tx.done;
        return null;
      }
      title = meta.title;
      const entries = fileIndex(row.state);
      const blobs = tx.objectStore('blobs');
      const rows = await Promise.all(entries.map((e) => blobs.get([id, e.path, fileVersion(e)])));
      await tx.done;
      const files = {};
      rows.forEach((r, i) => {
        if (r && !(entries[i].path in files)) files[entries[i].path] = asBytes(r.bytes) ?? r.bytes;
      });
      return { meta, state: row.state, files, version: meta.version ?? 0 };
    } catch (error) {
      throw toStoreError(error, { action: `Loading ${quoted(title || id)}` });
    }
  }

  async renameConversation(id, title) {
    try {
      const tx = this.db.transaction('conversations', 'readwrite');
      const meta = await tx.store.get(id);
      if (meta) {
        meta.title = title;
        meta.custom_title = true;
        await tx.store.put(meta);
      }
      await tx.done;
      return meta;
    } catch (error) {
      throw toStoreError(error, { action: `Renaming the conversation to ${quoted(title)}` });
    }
  }

  /** Removes the conversation's row, its state and all its blobs, in one transaction. */
  async deleteConversation(id) {
    try {
      const tx = this.db.transaction(SAVE_STORES, 'readwrite');
      await Promise.all([
        tx.objectStore('conversations').delete(id),
        tx.objectStore('states').delete(id),
        // Every key [id, path, version]: arrays sort after strings, so [id, []] is above them all.
        tx.objectStore('blobs').delete(IDBKeyRange.bound([id], [id, []])),
        tx.done,
      ]);
    } catch (error) {
      throw toStoreError(error, { action: 'Deleting the conversation' });
    }
  }

  /**
   * What uses the space, computed from the stored rows: per conversation the
   * state's JSON length + its blobs' bytes, and how many blobs; biggest first.
   * @returns {Promise<{conversations: {id, title, bytes, files}[], total: number}>}
   */
  async usage() {
    try {
      const tx = this.db.transaction(SAVE_STORES, 'readonly');
      const rows = new Map();
      const row = (id) => {
        if (!rows.has(id)) rows.set(id, { id, title: '', bytes: 0, files: 0 });
        return rows.get(id);
      };
      for (const meta of await tx.objectStore('conversations').getAll()) row(meta.id).title = meta.title ?? '';
      let cursor = await tx.objectStore('states').openCursor();
      while (cursor) {
        row(cursor.value.id).bytes += JSON.stringify(cursor.value.state ?? null).length;
        cursor = await cursor.continue();
      }
      cursor = await tx.objectStore('blobs').openCursor();
      while (cursor) {
        const r = row(cursor.value.conversation_id);
        r.bytes += byteLength(cursor.value.bytes);
        r.files += 1;
        cursor = await cursor.continue();
      }
      await tx.done;
      return summarize(rows);
    } catch (error) {
      throw toStoreError(error, { action: 'Measuring what uses the storage' });
    }
  }

  async getSetting(key) {
    try {
      return await this.db.get('settings', key);
    } catch (error) {
      throw toStoreError(error, { action: 'Reading the settings' });
    }
  }

  async setSetting(key, value) {
    try {
      return await this.db.put('settings', value, key);
    } catch (error) {
      throw toStoreError(error, { action: 'Saving the settings' });
    }
  }

  async getKey(provider) {
    try {
      return await this.db.get('keys', provider);
    } catch (error) {
      throw toStoreError(error, { action: 'Reading the API key' });
    }
  }

  async setKey(provider, key) {
    try {
      if (key) await this.db.put('keys', key, provider);
      else await this.db.delete('keys', provider);
    } catch (error) {
      throw toStoreError(error, { action: 'Saving the API key' });
    }
  }

  close() { this.db.close(); }
}

function summarize(rows) {
  const conversations = [...rows.values()].sort((a, b) => b.bytes - a.bytes);
  return { conversations, total: conversations.reduce((sum, c) => sum + c.bytes, 0) };
}

/**
 * The same API and semantics as Store (versions, conflicts, self-healing,
 * usage, StoreError), kept in memory only: for embeds (<code-interpreter
 * no-persist>, embed.html), whose conversations and keys must neither outlive
 * the page nor mix with the app's own stored ones. Values are structured-
 * cloned in and out, as IndexedDB would.
 */
export class MemoryStore {
  constructor() {
    this.conversations = new Map(); // id → meta
    this.states = new Map(); // id → {id, state, version}
    this.blobs = new Map(); // id → Map(blobKey(path, version) → {path, version, bytes})
    this.settings = new Map();
    this.keys = new Map();
  }

  static async open() { return new MemoryStore(); }

  async listConversations() {
    return [...this.conversations.values()].map((m) => ({ ...m })).sort((a, b) => b.updated_ms - a.updated_ms);
  }

  async saveSnapshot(id, snapshot, options = {}) {
    let title = snapshot?.state?.conversation?.title || '';
    let needed = 0;
    try {
      const prep = prepare(id, snapshot);
      const meta = this.conversations.get(id);
      const stored = this.blobs.get(id) ?? new Map();
      const keys = [...stored.values()].map((b) => [id, b.path, b.version]);
      const plan = planSave(id, prep, options, meta ? { ...meta } : undefined, keys);
      title = plan.title;
      needed = plan.needed;
      // Everything that can fail happens before the first change.
      const state = structuredClone(prep.state);
      const next = new Map(stored);
      for (const key of plan.deletes) next.delete(blobKey(key[1], key[2]));
      for (const row of plan.puts) next.set(blobKey(row.path, row.version), { path: row.path, version: row.version, bytes: row.bytes.slice() });
      this.conversations.set(id, { ...plan.meta });
      this.states.set(id, { id, state, version: plan.meta.version });
      this.blobs.set(id, next);
      return { ...plan.meta };
    } catch (error) {
      throw toStoreError(error, { action: `Saving ${quoted(title)}`, needed });
    }
  }

  async loadConversation(id) {
    try {
      const meta = this.conversations.get(id);
      const row = this.states.get(id);
      if (!meta || !row) return null;
      const stored = this.blobs.get(id) ?? new Map();
      const files = {};
      for (const entry of fileIndex(row.state)) {
        const blob = stored.get(blobKey(entry.path, fileVersion(entry)));
        if (blob && !(entry.path in files)) files[entry.path] = blob.bytes.slice();
      }
      return { meta: { ...meta }, state: structuredClone(row.state), files, version: meta.version ?? 0 };
    } catch (error) {
      throw toStoreError(error, { action: `Loading ${quoted(this.conversations.get(id)?.title || id)}` });
    }
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
    this.blobs.delete(id);
  }

  async usage() {
    const rows = new Map();
    const row = (id) => {
      if (!rows.has(id)) rows.set(id, { id, title: '', bytes: 0, files: 0 });
      return rows.get(id);
    };
    for (const meta of this.conversations.values()) row(meta.id).title = meta.title ?? '';
    for (const { id, state } of this.states.values()) row(id).bytes += JSON.stringify(state ?? null).length;
    for (const [id, blobs] of this.blobs) {
      for (const blob of blobs.values()) {
        const r = row(id);
        r.bytes += byteLength(blob.bytes);
        r.files += 1;
      }
    }
    return summarize(rows);
  }

  async getSetting(key) {
    try {
      return structuredClone(this.settings.get(key));
    } catch (error) {
      throw toStoreError(error, { action: 'Reading the settings' });
    }
  }

  async setSetting(key, value) {
    try {
      this.settings.set(key, structuredClone(value));
    } catch (error) {
      throw toStoreError(error, { action: 'Saving the settings' });
    }
  }

  async getKey(provider) { return this.keys.get(provider); }
  async setKey(provider, key) {
    if (key) this.keys.set(provider, key);
    else this.keys.delete(provider);
  }

  close() {}
}
