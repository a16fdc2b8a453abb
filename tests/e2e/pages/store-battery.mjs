// The store battery: the cases of web/app/store.mjs's contract (layout v2),
// run in a real browser over the real IndexedDB Store and over the
// MemoryStore (the same case functions over both). Written for any engine:
// standard IndexedDB and DOM only, nothing engine-specific.
//
//   window.runStoreBattery() → { results: [{ name, ok, detail }] }
//   window.storeKit          → { Store, MemoryStore, StoreError, Conv, pattern, sameBytes, deleteDatabase }
//                              (for tests that drive the store themselves, e.g. the quota test)
//
// "Two tabs" are two Store instances opened on the same database name (for
// the MemoryStore: two handles on one instance, the only way it can share).
// Every case uses a database of its own, deleted afterwards.
import { Store, MemoryStore, StoreError, DB_VERSION } from '/web/app/store.mjs';

// ---------------------------------------------------------------- helpers

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

const show = (value) => JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v));

function same(actual, expected, what) {
  const a = show(actual);
  const e = show(expected);
  check(a === e, `${what}: got ${a}, want ${e}`);
}

/** n deterministic bytes (seeded xorshift). */
export function pattern(n, seed = 1) {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i += 1) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 255;
  }
  return out;
}

const text = (s) => new TextEncoder().encode(s);

export function sameBytes(a, b) {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Awaits `promise`, which must reject with a StoreError of `code` and a non-empty message. */
async function refused(promise, code, what) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  check(error, `${what}: resolved, want a StoreError '${code}'`);
  check(error instanceof StoreError && error.name === 'StoreError', `${what}: rejected with ${error?.name}: ${error?.message}, not a StoreError`);
  check(error.code === code, `${what}: code '${error.code}' (${error.message}), want '${code}'`);
  check(typeof error.message === 'string' && error.message.trim().length > 10, `${what}: empty message`);
  check(error.detail && typeof error.detail === 'object', `${what}: no detail`);
  return error;
}

/**
 * A conversation as the core keeps it, small: entries, files with versions
 * (1 when created, +1 per change), and the persist queue (paths written or
 * deleted since the last snapshot, emptied by snapshot() whether the save
 * then succeeds or not, as the driver's queue is).
 */
export class Conv {
  constructor(title = '', { version } = {}) {
    this.title = title;
    this.entries = [];
    this.files = new Map(); // path → { bytes, version }
    this.pending = new Map(); // path → 'write' | 'delete'
    this.version = version; // the stored version this copy is based on (undefined: never saved)
    this.reads = [];
  }

  /** A tab's copy of a loaded conversation. */
  static restore(loaded) {
    const conv = new Conv(loaded.state.conversation?.title ?? '', { version: loaded.version });
    conv.entries = structuredClone(loaded.state.conversation?.entries ?? []);
    for (const entry of loaded.state.files?.files ?? []) {
      const bytes = loaded.files[entry.path];
      if (bytes) conv.files.set(entry.path, { bytes, version: entry.version });
    }
    return conv;
  }

  say(line) { this.entries.push({ kind: 'user', text: line }); }

  write(path, bytes) {
    const old = this.files.get(path);
    this.files.set(path, { bytes, version: (old?.version ?? 0) + 1 });
    this.pending.set(path, 'write');
  }

  remove(path) {
    this.files.delete(path);
    this.pending.set(path, 'delete');
  }

  state() {
    return {
      conversation: { title: this.title, entries: structuredClone(this.entries) },
      files: {
        files: [...this.files].map(([path, f]) => ({ path, size: f.bytes.length, version: f.version, media_type: 'application/octet-stream' })),
      },
    };
  }

  /** The core's readFile: synchronous, bytes or null. Calls are recorded. */
  read = (path) => {
    this.reads.push(path);
    return this.files.get(path)?.bytes ?? null;
  };

  snapshot({ read = this.read } = {}) {
    const write = [];
    const del = [];
    for (const [path, op] of this.pending) {
      if (op === 'write') write.push({ path, bytes: this.files.get(path).bytes });
      else del.push(path);
    }
    this.pending.clear();
    return { state: this.state(), files: { write, delete: del }, read };
  }

  /** Saves with this copy's baseVersion; on success takes the new version. */
  async save(store, id, options) {
    const meta = await store.saveSnapshot(id, this.snapshot(options), { baseVersion: this.version });
    this.version = meta.version;
    return meta;
  }
}

/** Checks that a loaded conversation is exactly `conv` (state, every file's bytes) at `version`. */
function matches(loaded, conv, version, what) {
  check(loaded, `${what}: not found`);
  same(loaded.version, version, `${what}: version`);
  same(loaded.meta.version, version, `${what}: meta.version`);
  same(loaded.state, conv.state(), `${what}: state`);
  same(Object.keys(loaded.files).sort(), [...conv.files.keys()].sort(), `${what}: files`);
  for (const [path, f] of conv.files) check(sameBytes(loaded.files[path], f.bytes), `${what}: bytes of ${path} differ`);
  for (const entry of loaded.state.files.files) same(loaded.files[entry.path].length, entry.size, `${what}: ${entry.path} size vs index`);
}

export function deleteDatabase(name) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error(`deleting ${name} failed`));
  });
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('request failed'));
  });
}

function transactionDone(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    tx.onerror = () => {};
  });
}

// ---------------------------------------------------------------- kits
// A kit gives a case its "tabs" and white-box views of what is stored.

let dbCounter = 0;

function idbKit() {
  const name = `store-battery-${Date.now()}-${(dbCounter += 1)}`;
  const opened = [];
  return {
    kind: 'idb',
    name,
    async tab() {
      const store = await Store.open(name);
      opened.push(store);
      return store;
    },
    /** "path@version" of every blob row of a conversation (counted from the rows). */
    async blobKeys(store, id) {
      const keys = await store.db.getAllKeysFromIndex('blobs', 'by_conversation', id);
      return keys.map((k) => `${k[1]}@${k[2]}`).sort();
    },
    async allBlobCount(store) { return store.db.count('blobs'); },
    async stateRow(store, id) { return store.db.get('states', id); },
    async dropBlob(store, id, path, version) { await store.db.delete('blobs', [id, path, version]); },
    async dispose() {
      for (const store of opened) store.close();
      await deleteDatabase(name);
    },
  };
}

function memoryKit() {
  const shared = new MemoryStore();
  return {
    kind: 'memory',
    async tab() { return shared; },
    async blobKeys(store, id) {
      return [...(store.blobs.get(id)?.values() ?? [])].map((b) => `${b.path}@${b.version}`).sort();
    },
    async allBlobCount(store) { return [...store.blobs.values()].reduce((n, m) => n + m.size, 0); },
    async stateRow(store, id) { return store.states.get(id); },
    async dropBlob(store, id, path, version) {
      const blobs = store.blobs.get(id);
      for (const [key, b] of blobs) if (b.path === path && b.version === version) blobs.delete(key);
    },
    async dispose() {},
  };
}

// ---------------------------------------------------------------- cases
// Each case returns a short account of what it checked, or throws.

const CASES = {};

CASES['versions increase on every committed save'] = async (kit) => {
  const tab = await kit.tab();
  const conv = new Conv('Versions');
  conv.say('hello');
  conv.write('a.txt', text('one'));
  const m1 = await conv.save(tab, 'c');
  same(m1.version, 1, 'first save');
  conv.write('a.txt', text('two!'));
  const m2 = await conv.save(tab, 'c');
  same(m2.version, 2, 'second save');
  conv.say('again');
  const m3 = await conv.save(tab, 'c');
  same(m3.version, 3, 'third save (state only)');
  check(m3.created_ms === m1.created_ms && m3.updated_ms >= m2.updated_ms, 'created_ms kept, updated_ms moves on');
  same(m3.bytes, JSON.stringify(conv.state()).length + 4, 'meta.bytes = state JSON length + blob bytes');
  const loaded = await tab.loadConversation('c');
  matches(loaded, conv, 3, 'loaded');
  const row = await kit.stateRow(tab, 'c');
  same(row.version, 3, 'the states row carries the version');
  const list = await tab.listConversations();
  same(list.map((m) => [m.id, m.version, m.title]), [['c', 3, 'Versions']], 'listConversations');
  same(await kit.blobKeys(tab, 'c'), ['a.txt@2'], 'blob rows');
  same(await tab.loadConversation('nope'), null, 'an unknown conversation');
  return 'versions 1, 2, 3; meta.bytes; states row version; list; an unknown id loads as null';
};

CASES['a stale save is refused (conflict) and changes nothing'] = async (kit) => {
  const tab = await kit.tab();
  const conv = new Conv('Budget 2025');
  conv.write('a.txt', text('v1'));
  await conv.save(tab, 'c');
  conv.write('a.txt', text('v2 bytes'));
  await conv.save(tab, 'c');
  const before = await tab.loadConversation('c');
  // A copy that still believes version 1 is the latest.
  const stale = new Conv('Budget 2025', { version: 1 });
  stale.write('a.txt', text('stale'));
  stale.write('b.txt', text('stale b'));
  const error = await refused(stale.save(tab, 'c'), 'conflict', 'save with baseVersion 1 over version 2');
  check(error.message.includes('Budget 2025'), `the message names the conversation: ${error.message}`);
  check(/another tab or window/i.test(error.message), `the message says another tab or window saved: ${error.message}`);
  same([error.detail.storedVersion, error.detail.baseVersion], [2, 1], 'detail');
  matches(await tab.loadConversation('c'), conv, 2, 'after the refused save');
  same((await tab.loadConversation('c')).meta.updated_ms, before.meta.updated_ms, 'meta untouched');
  same(await kit.blobKeys(tab, 'c'), ['a.txt@2'], 'no blob of the refused save');
  // A "new conversation" save (no baseVersion) over a stored one is a conflict too.
  const fresh = new Conv('Budget 2025');
  fresh.write('z.txt', text('z'));
  await refused(fresh.save(tab, 'c'), 'conflict', 'save with no baseVersion over version 2');
  // Two tabs creating the same new conversation: the second one is refused.
  const other = await kit.tab();
  const first = new Conv('Race');
  first.write('x', text('first'));
  const second = new Conv('Race');
  second.write('x', text('second'));
  await first.save(tab, 'race');
  await refused(second.save(other, 'race'), 'conflict', 'the second new-conversation save');
  matches(await other.loadConversation('race'), first, 1, 'race: the first save stays');
  matches(await tab.loadConversation('c'), conv, 2, 'still intact');
  return 'baseVersion 1 over 2 → conflict (message names the title, says another tab or window); no baseVersion over a stored row → conflict; nothing changed';
};

CASES['two tabs: the stale tab is refused, reloads, and both tabs\' files are kept'] = async (kit) => {
  const tabA = await kit.tab();
  const tabB = await kit.tab();
  const sales = text('region,amount\nnorth,10\nsouth,20\n');
  // A: shared.txt 10 B + sales.csv.
  const a = new Conv('Sales');
  a.say('load the sales');
  a.write('shared.txt', pattern(10, 1));
  a.write('sales.csv', sales);
  same((await a.save(tabA, 'c')).version, 1, 'A saves');
  // B loads it, changes shared.txt (20 B) and adds b.txt.
  const b = Conv.restore(await tabB.loadConversation('c'));
  same(b.version, 1, 'B loaded version 1');
  b.write('shared.txt', pattern(20, 2));
  b.write('b.txt', text('written by B'));
  b.say('B was here');
  same((await b.save(tabB, 'c')).version, 2, 'B saves on version 1');
  // A, still on version 1, saves again: refused, nothing of it lands.
  a.write('sales.csv', text('region,amount\nnorth,11\n'));
  a.say('A edits sales');
  await refused(a.save(tabA, 'c'), 'conflict', 'A saves with its stale baseVersion');
  matches(await tabA.loadConversation('c'), b, 2, 'after the refused save: B\'s version');
  // A reloads and saves on top: everything of both is there, consistent.
  const a2 = Conv.restore(await tabA.loadConversation('c'));
  a2.write('a.txt', text('written by A after reloading'));
  a2.say('A again');
  same((await a2.save(tabA, 'c')).version, 3, 'A saves on version 2');
  same(a2.reads, [], 'nothing had to be read back (every other file was stored)');
  const final = await (await kit.tab()).loadConversation('c');
  matches(final, a2, 3, 'a third tab loads version 3');
  check(final.files['shared.txt'].length === 20 && sameBytes(final.files['shared.txt'], pattern(20, 2)), 'shared.txt is B\'s 20 bytes');
  check(sameBytes(final.files['sales.csv'], sales), 'sales.csv is A\'s first version');
  same(final.state.files.files.find((e) => e.path === 'shared.txt').version, 2, 'shared.txt at version 2');
  same(await kit.blobKeys(tabA, 'c'), ['a.txt@1', 'b.txt@1', 'sales.csv@1', 'shared.txt@2'], 'blob rows: no orphan of shared.txt@1');
  return 'A v1 (shared 10 B + sales.csv); B loads, v2 (shared 20 B + b.txt); A stale → conflict, store = B\'s v2; A reloads → v3 with all four files, sizes = index, no orphan';
};

CASES['self-healing: bytes a lost save never stored are read and committed'] = async (kit) => {
  const tab = await kit.tab();
  const conv = new Conv('Healing');
  conv.write('keep.txt', text('stored normally'));
  await conv.save(tab, 'c');
  // A save whose queue was lost: y.txt changed in the state, its bytes never written.
  conv.write('y.txt', pattern(300, 3));
  conv.write('keep.txt', text('changed too'));
  conv.pending.clear();
  conv.say('after a lost save');
  conv.reads = [];
  same((await conv.save(tab, 'c')).version, 2, 'the healing save commits');
  same(conv.reads.sort(), ['keep.txt', 'y.txt'], 'read() was asked for exactly the files the store lacked');
  matches(await tab.loadConversation('c'), conv, 2, 'loaded');
  same(await kit.blobKeys(tab, 'c'), ['keep.txt@2', 'y.txt@1'], 'blob rows');
  // And a normal save afterwards reads nothing.
  conv.reads = [];
  conv.say('one more');
  await conv.save(tab, 'c');
  same(conv.reads, [], 'a save with every blob stored reads nothing');
  return 'a state naming two files whose bytes were never written: read() called for exactly those two, both committed, old version removed';
};

CASES['missing bytes: nothing is committed, the previous version loads intact'] = async (kit) => {
  const tab = await kit.tab();
  const conv = new Conv('Missing');
  conv.write('a.txt', text('first'));
  await conv.save(tab, 'c');
  const good = Conv.restore(await tab.loadConversation('c'));
  const attempts = [
    ['read returns null', () => null],
    ['read gives the wrong length', (path) => (path === 'b.txt' ? text('short') : null)],
    ['read throws', () => { throw new Error('core gone'); }],
    ['no read', undefined],
  ];
  for (const [what, read] of attempts) {
    const bad = Conv.restore(await tab.loadConversation('c'));
    bad.write('b.txt', pattern(64, 4));
    bad.write('a.txt', text('second'));
    bad.pending.delete('b.txt'); // b.txt's bytes are not in the snapshot
    const snap = bad.snapshot();
    snap.read = read;
    if (read === undefined) delete snap.read;
    const error = await refused(tab.saveSnapshot('c', snap, { baseVersion: bad.version }), 'missing_bytes', what);
    check(error.message.includes('b.txt') && error.message.includes('Missing'), `${what}: the message names the file and the conversation: ${error.message}`);
    same(error.detail.path, 'b.txt', `${what}: detail.path`);
    matches(await tab.loadConversation('c'), good, 1, `${what}: the previous version`);
    same(await kit.blobKeys(tab, 'c'), ['a.txt@1'], `${what}: blob rows (a.txt@2 of the failed save not committed)`);
  }
  return 'read → null, wrong length, throwing, absent: each missing_bytes naming b.txt; version 1 loads intact, no blob of the failed save';
};

CASES['no orphan blobs after overwrite and delete'] = async (kit) => {
  const tab = await kit.tab();
  const conv = new Conv('Orphans');
  conv.write('f1', pattern(100, 1));
  conv.write('f2', pattern(200, 2));
  conv.write('f3', pattern(300, 3));
  await conv.save(tab, 'c');
  same(await kit.blobKeys(tab, 'c'), ['f1@1', 'f2@1', 'f3@1'], 'v1');
  conv.write('f1', pattern(101, 5)); // overwrite
  conv.remove('f2'); // deleted (in files.delete)
  await conv.save(tab, 'c');
  same(await kit.blobKeys(tab, 'c'), ['f1@2', 'f3@1'], 'after overwriting f1 and deleting f2');
  // f3 dropped from the index only (not in files.delete): still removed.
  conv.files.delete('f3');
  conv.write('f4', pattern(5, 6));
  await conv.save(tab, 'c');
  same(await kit.blobKeys(tab, 'c'), ['f1@2', 'f4@1'], 'after f3 left the index');
  conv.write('f1', pattern(7, 7));
  conv.write('f1', pattern(8, 8)); // two changes before one save
  await conv.save(tab, 'c');
  same(await kit.blobKeys(tab, 'c'), ['f1@4', 'f4@1'], 'after two changes of f1');
  matches(await tab.loadConversation('c'), conv, 4, 'loaded');
  same(await kit.allBlobCount(tab), 2, 'rows in the whole blob store');
  return 'rows counted after each save: overwritten versions and deleted files (listed or only absent from the index) leave no row';
};

CASES['delete removes the conversation and all its blobs (and only its own)'] = async (kit) => {
  const tab = await kit.tab();
  const x = new Conv('X');
  x.write('a', pattern(10, 1));
  x.write('b', pattern(20, 2));
  await x.save(tab, 'x');
  x.write('a', pattern(11, 3));
  await x.save(tab, 'x');
  const x2 = new Conv('X2'); // an id that starts with the other one
  x2.write('a', pattern(30, 4));
  await x2.save(tab, 'x2');
  const x0 = new Conv('X0'); // and one that sorts just below it
  x0.write('z', pattern(5, 5));
  await x0.save(tab, 'w');
  await tab.deleteConversation('x');
  same(await tab.loadConversation('x'), null, 'x loads as null');
  same(await kit.stateRow(tab, 'x'), undefined, 'no states row');
  same(await kit.blobKeys(tab, 'x'), [], 'no blob row of x');
  same((await tab.listConversations()).map((m) => m.id).sort(), ['w', 'x2'], 'the list');
  matches(await tab.loadConversation('x2'), x2, 1, 'x2 intact');
  matches(await tab.loadConversation('w'), x0, 1, 'w intact');
  same(await kit.allBlobCount(tab), 2, 'rows in the whole blob store');
  same((await tab.usage()).conversations.map((c) => c.id).sort(), ['w', 'x2'], 'usage no longer lists x');
  // A tab that still has x open (at version 2) saves it again: stored anew, the version keeps growing,
  // so a copy older than that tab's is still refused.
  x.say('still open in another tab');
  same((await x.save(tab, 'x')).version, 3, 'saved again after the delete: version 3, not 1');
  matches(await tab.loadConversation('x'), x, 3, 'x as that tab saved it');
  const older = new Conv('X', { version: 1 });
  older.write('a', text('old'));
  await refused(older.save(tab, 'x'), 'conflict', 'a copy of version 1 after the re-save');
  await tab.deleteConversation('x');
  // A new conversation under the deleted id starts at version 1.
  const again = new Conv('X again');
  again.write('n', text('new'));
  same((await again.save(tab, 'x')).version, 1, 'a new conversation under the deleted id');
  await tab.deleteConversation('never-existed');
  return 'meta, state and every blob of x gone; x2 and w (neighbouring ids) intact; a tab that still had it saves version 3 (never back to 1); deleting an unknown id is harmless';
};

CASES['usage() sums the stored states and blobs'] = async (kit) => {
  const tab = await kit.tab();
  const big = new Conv('Big');
  big.write('one.bin', pattern(5000, 1));
  big.write('two.bin', pattern(7000, 2));
  const m1 = await big.save(tab, 'big');
  big.write('one.bin', pattern(4000, 3)); // replaces 5000 bytes
  const m2 = await big.save(tab, 'big');
  const small = new Conv('Small');
  small.say('just text');
  const m3 = await small.save(tab, 'small');
  const want = {
    big: JSON.stringify(big.state()).length + 4000 + 7000,
    small: JSON.stringify(small.state()).length,
  };
  const usage = await tab.usage();
  same(usage.conversations, [
    { id: 'big', title: 'Big', bytes: want.big, files: 2 },
    { id: 'small', title: 'Small', bytes: want.small, files: 0 },
  ], 'per conversation, biggest first');
  same(usage.total, want.big + want.small, 'total');
  same([m2.bytes, m3.bytes], [want.big, want.small], 'meta.bytes agrees with usage');
  check(m1.bytes === JSON.stringify({ ...big.state(), files: { files: [{ path: 'one.bin', size: 5000, version: 1, media_type: 'application/octet-stream' }, { path: 'two.bin', size: 7000, version: 1, media_type: 'application/octet-stream' }] } }).length + 12000, 'meta.bytes of the first save');
  return `usage = ${JSON.stringify(usage)}`;
};

CASES['load returns stored bytes of another size; a missing blob is absent'] = async (kit) => {
  const tab = await kit.tab();
  const state = {
    conversation: { title: 'Odd', entries: [] },
    files: { files: [{ path: 'x.bin', size: 10, version: 1 }, { path: 'y.bin', size: 3, version: 2 }] },
  };
  const meta = await tab.saveSnapshot('c', { state, files: { write: [{ path: 'x.bin', bytes: pattern(12, 1) }, { path: 'y.bin', bytes: text('yyy') }], delete: [] } }, {});
  same(meta.version, 1, 'saved');
  let loaded = await tab.loadConversation('c');
  check(sameBytes(loaded.files['x.bin'], pattern(12, 1)), 'x.bin: the 12 stored bytes, though the index says 10');
  check(sameBytes(loaded.files['y.bin'], text('yyy')), 'y.bin');
  await kit.dropBlob(tab, 'c', 'y.bin', 2);
  loaded = await tab.loadConversation('c');
  same(Object.keys(loaded.files).sort(), ['x.bin'], 'y.bin (its blob gone) is absent');
  same(loaded.state, state, 'the state still names both');
  // A file written in the snapshot but not named by the index is not stored (it would be an orphan).
  const m2 = await tab.saveSnapshot('c', { state, files: { write: [{ path: 'y.bin', bytes: text('yyy') }, { path: 'stray', bytes: text('s') }], delete: [] } }, { baseVersion: 1 });
  same(m2.version, 2, 'saved again (y.bin restored from the write)');
  same(await kit.blobKeys(tab, 'c'), ['x.bin@1', 'y.bin@2'], 'no row for a path the index does not name');
  return 'a 12-byte blob under a 10-byte index entry is returned as stored; a removed blob is absent; a stray write is not stored';
};

CASES['titles: custom title wins, else the core\'s, else the first code line; rename bumps nothing'] = async (kit) => {
  const tab = await kit.tab();
  const code = { conversation: { title: '', entries: [{ kind: 'exec', exec: { code: '\n  import pandas as pd\nprint(1)' } }] }, files: { files: [] } };
  const m1 = await tab.saveSnapshot('c', { state: code, files: { write: [], delete: [] } }, {});
  same(m1.title, 'Python: import pandas as pd', 'the first code line');
  const titled = { ...code, conversation: { ...code.conversation, title: 'Pandas intro' } };
  const m2 = await tab.saveSnapshot('c', { state: titled, files: { write: [], delete: [] } }, { baseVersion: 1 });
  same(m2.title, 'Pandas intro', 'the core\'s title');
  const renamed = await tab.renameConversation('c', 'My notes');
  same([renamed.title, renamed.custom_title, renamed.version], ['My notes', true, 2], 'rename');
  same((await tab.loadConversation('c')).version, 2, 'rename bumps no version');
  const m3 = await tab.saveSnapshot('c', { state: titled, files: { write: [], delete: [] } }, { baseVersion: 2 });
  same([m3.title, m3.custom_title, m3.version], ['My notes', true, 3], 'the custom title wins over the core\'s');
  const otherTab = await kit.tab();
  same((await otherTab.listConversations())[0].title, 'My notes', 'seen by another tab');
  same(await tab.renameConversation('unknown', 'x'), undefined, 'renaming an unknown id');
  return 'first code line → core title → custom title kept by later saves; rename keeps the version';
};

CASES['errors are StoreErrors with a message, and nothing is half-written'] = async (kit) => {
  const tab = await kit.tab();
  const conv = new Conv('Clone');
  conv.write('a', text('a'));
  await conv.save(tab, 'c');
  // A value IndexedDB cannot clone (a function) in the state.
  const snap = conv.snapshot();
  snap.state.conversation.callback = () => 1;
  snap.files.write.push({ path: 'a', bytes: text('b') });
  const error = await refused(tab.saveSnapshot('c', snap, { baseVersion: 1 }), 'unknown', 'a state that cannot be cloned');
  same(error.detail.name, 'DataCloneError', 'detail keeps the original error\'s name');
  matches(await tab.loadConversation('c'), conv, 1, 'version 1 intact');
  await refused(tab.saveSnapshot('c', { state: null }, { baseVersion: 1 }), 'unknown', 'no state');
  await refused(tab.saveSnapshot('c', { state: conv.state() }, { baseVersion: 'x' }), 'unknown', 'a baseVersion that is no version');
  same(StoreError.name, 'StoreError', 'the class');
  if (kit.kind === 'idb') {
    const closed = await kit.tab();
    closed.close();
    const e = await refused(closed.listConversations(), 'unavailable', 'a closed connection');
    check(/reload/i.test(e.message), `says to reload: ${e.message}`);
    await refused(closed.saveSnapshot('c', conv.snapshot(), { baseVersion: 1 }), 'unavailable', 'saving on a closed connection');
    await refused(closed.loadConversation('c'), 'unavailable', 'loading on a closed connection');
  }
  return `DataCloneError → unknown with detail.name; bad arguments → unknown${kit.kind === 'idb' ? '; a closed connection → unavailable for list, save, load' : ''}`;
};

CASES['settings and keys keep working'] = async (kit) => {
  const tab = await kit.tab();
  same(await tab.getSetting('settings'), undefined, 'unset');
  await tab.setSetting('settings', { preset: 'openai', n: 1 });
  same(await tab.getSetting('settings'), { preset: 'openai', n: 1 }, 'a setting');
  await tab.setKey('openai', 'sk-test');
  same(await tab.getKey('openai'), 'sk-test', 'a key');
  await tab.setKey('openai', '');
  same(await tab.getKey('openai'), undefined, 'an empty key deletes it');
  return 'get/set of settings and keys';
};

// IndexedDB only: the v1 layout, written with raw IndexedDB as the old code wrote it.

const V1 = {
  c1: {
    meta: { id: 'c1', title: 'Sales by region', custom_title: false, created_ms: 1000, updated_ms: 2000 },
    state: {
      conversation: { id: 'c1', title: 'Sales by region', entries: [{ kind: 'user', turn: 1, text: 'hi' }] },
      files: { files: [{ path: 'a.txt', size: 5, version: 3, media_type: 'text/plain' }, { path: 'data/x.bin', size: 4096, version: 1, media_type: 'application/octet-stream' }] },
    },
    rows: { 'a.txt': text('hello'), 'data/x.bin': pattern(4096, 9), 'old.txt': text('not in the index') },
  },
  c2: {
    meta: { id: 'c2', title: 'Renamed', custom_title: true, created_ms: 3000, updated_ms: 4000 },
    state: { conversation: { id: 'c2', title: 'core title', entries: [] }, files: { files: [{ path: 'missing.txt', size: 3, version: 2 }] } },
    rows: {},
  },
};

async function writeV1(name) {
  await deleteDatabase(name);
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    db.createObjectStore('conversations', { keyPath: 'id' });
    db.createObjectStore('states', { keyPath: 'id' });
    const files = db.createObjectStore('files', { keyPath: ['conversation_id', 'path'] });
    files.createIndex('by_conversation', 'conversation_id');
    db.createObjectStore('settings');
    db.createObjectStore('keys');
  };
  const db = await request(open);
  const tx = db.transaction(['conversations', 'states', 'files', 'settings', 'keys'], 'readwrite');
  for (const c of Object.values(V1)) {
    tx.objectStore('conversations').put(c.meta);
    tx.objectStore('states').put({ id: c.meta.id, state: c.state });
    for (const [path, bytes] of Object.entries(c.rows)) tx.objectStore('files').put({ conversation_id: c.meta.id, path, bytes });
  }
  tx.objectStore('files').put({ conversation_id: 'ghost', path: 'g.txt', bytes: text('no conversation') });
  tx.objectStore('settings').put({ preset: 'openai' }, 'settings');
  tx.objectStore('settings').put('c1', 'current');
  tx.objectStore('keys').put('sk-v1', 'openai');
  await transactionDone(tx);
  return db;
}

CASES['upgrade v1 → v2 keeps every file and state'] = async (kit) => {
  (await writeV1(kit.name)).close();
  const tab = await kit.tab();
  same(tab.db.version, DB_VERSION, 'database version');
  same([...tab.db.objectStoreNames].sort(), ['blobs', 'conversations', 'keys', 'settings', 'states'], 'object stores (files is gone)');
  const c1 = await tab.loadConversation('c1');
  same(c1.version, 1, 'c1: version 1');
  same(c1.state, V1.c1.state, 'c1: state');
  same(Object.keys(c1.files).sort(), ['a.txt', 'data/x.bin'], 'c1: files');
  check(sameBytes(c1.files['a.txt'], V1.c1.rows['a.txt']) && sameBytes(c1.files['data/x.bin'], V1.c1.rows['data/x.bin']), 'c1: bytes');
  same(await kit.blobKeys(tab, 'c1'), ['a.txt@3', 'data/x.bin@1'], 'c1: blobs under the index\'s versions; old.txt dropped');
  same(c1.meta, { ...V1.c1.meta, version: 1, bytes: JSON.stringify(V1.c1.state).length + 5 + 4096 }, 'c1: meta');
  const c2 = await tab.loadConversation('c2');
  same([c2.version, c2.meta.title, c2.meta.custom_title], [1, 'Renamed', true], 'c2: version, custom title');
  same(c2.state, V1.c2.state, 'c2: the state still names missing.txt');
  same(c2.files, {}, 'c2: missing.txt stays missing');
  same(await kit.allBlobCount(tab), 2, 'rows in the blob store (the ghost row dropped)');
  same((await kit.stateRow(tab, 'c1')).version, 1, 'states rows carry version 1');
  same([await tab.getSetting('settings'), await tab.getSetting('current'), await tab.getKey('openai')], [{ preset: 'openai' }, 'c1', 'sk-v1'], 'settings and keys');
  const usage = await tab.usage();
  same(usage.total, usage.conversations.reduce((n, c) => n + c.bytes, 0), 'usage total');
  same(usage.conversations.find((c) => c.id === 'c1').bytes, c1.meta.bytes, 'usage agrees with meta.bytes');
  // Saving on top of the upgraded data.
  const conv = Conv.restore(c1);
  await refused(new Conv('x').save(tab, 'c1'), 'conflict', 'a new-conversation save over an upgraded one');
  conv.write('a.txt', text('hello again'));
  same((await conv.save(tab, 'c1')).version, 2, 'saved with baseVersion 1');
  matches(await tab.loadConversation('c1'), conv, 2, 'c1 after a save');
  same(await kit.blobKeys(tab, 'c1'), ['a.txt@4', 'data/x.bin@1'], 'c1 blobs after the save');
  return 'c1: state, both files (bytes), versions 3 and 1, orphan row dropped, meta version/bytes; c2: custom title, missing file still missing; ghost row dropped; settings, keys; a save on top';
};

CASES['a tab of the old version blocks the upgrade: unavailable, then it proceeds'] = async (kit) => {
  const old = await writeV1(kit.name); // stays open, as a tab of the old app would (no versionchange handler)
  const error = await refused(kit.tab(), 'unavailable', 'opening while a v1 connection is open');
  check(/another tab or window/i.test(error.message), `says another tab holds it: ${error.message}`);
  old.close();
  const tab = await kit.tab(); // waits behind the first open, which now upgrades
  const c1 = await tab.loadConversation('c1');
  same([c1.version, Object.keys(c1.files).sort()], [1, ['a.txt', 'data/x.bin']], 'upgraded once the old tab closed');
  return 'blocked → unavailable (message says another tab); after it closes, the upgrade runs and the data is there';
};

CASES['a newer version of the app closes this connection instead of being blocked'] = async (kit) => {
  const tab = await kit.tab();
  const conv = new Conv('Keep');
  conv.write('k', text('k'));
  await conv.save(tab, 'c');
  const open = indexedDB.open(kit.name, DB_VERSION + 1);
  let blocked = false;
  open.onblocked = () => { blocked = true; };
  const newer = await request(open);
  same(newer.version, DB_VERSION + 1, 'the newer open succeeded');
  same(blocked, false, 'it was not blocked');
  newer.close();
  await refused(tab.loadConversation('c'), 'unavailable', 'the old connection after the upgrade');
  return 'an open at version + 1 succeeds without blocked; the old Store then reports unavailable';
};

const IDB_ONLY = new Set([
  'upgrade v1 → v2 keeps every file and state',
  'a tab of the old version blocks the upgrade: unavailable, then it proceeds',
  'a newer version of the app closes this connection instead of being blocked',
]);

// ---------------------------------------------------------------- runner

export const BACKENDS = [
  { label: 'Store (IndexedDB)', kit: idbKit },
  { label: 'MemoryStore', kit: memoryKit },
];

export function caseNames() {
  const names = [];
  for (const backend of BACKENDS) {
    for (const name of Object.keys(CASES)) {
      if (backend.label === 'MemoryStore' && IDB_ONLY.has(name)) continue;
      names.push(`${backend.label}: ${name}`);
    }
  }
  return names;
}

export async function runStoreBattery() {
  const results = [];
  for (const backend of BACKENDS) {
    for (const [name, run] of Object.entries(CASES)) {
      if (backend.label === 'MemoryStore' && IDB_ONLY.has(name)) continue;
      const kit = backend.kit();
      const result = { name: `${backend.label}: ${name}`, ok: false, detail: '' };
      try {
        result.detail = await run(kit);
        result.ok = true;
      } catch (error) {
        result.detail = error instanceof CheckFailed ? error.message
          : `${error?.name}: ${error?.message}${error?.code ? ` (code ${error.code})` : ''}\n${error?.stack ?? ''}`;
      }
      try {
        await kit.dispose();
      } catch (error) {
        result.ok = false;
        result.detail += `\ncleanup failed: ${error?.message}`;
      }
      results.push(result);
    }
  }
  return { results };
}

window.runStoreBattery = runStoreBattery;
window.storeCaseNames = caseNames;
window.storeKit = { Store, MemoryStore, StoreError, Conv, pattern, sameBytes, deleteDatabase };
window.storeBatteryReady = true;

// The page by hand: a Run button that lists the results.
const button = document.getElementById('run');
const status = document.getElementById('status');
if (button && status) {
  button.disabled = false;
  status.textContent = 'ready';
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'running…';
    const { results } = await runStoreBattery();
    const list = document.getElementById('results');
    list.replaceChildren(...results.map((r) => {
      const li = document.createElement('li');
      li.className = r.ok ? 'ok' : 'failed';
      li.textContent = r.name;
      const pre = document.createElement('pre');
      pre.textContent = r.detail;
      li.append(pre);
      return li;
    }));
    status.textContent = `${results.filter((r) => r.ok).length}/${results.length} passed`;
    button.disabled = false;
  });
}
