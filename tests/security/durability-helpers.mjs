// Page-side kit and checks for durability.test.mjs. Installed into the built
// app's page with page.evaluate (the page's CSP refuses inline scripts), it
// writes versioned records through the app's real Store
// (document.querySelector('code-interpreter').app.store.saveSnapshot: one
// IndexedDB readwrite transaction over conversations + states + blobs, layout
// v2 of web/app/store.mjs) and reads them back.
//
// A record `dur-rNN` at version v:
//   state.conversation.title = "dur rNN v<v> <sum>", state.version = v, state.sum = <sum>
//   meta.title (the conversation list row) is derived from that title
//   files f0 … f(k-1), k = 1 + v % 3, each at file version v in the state's
//   file index (state.files.files) and so stored as blob [id, fN.bin, v]; the
//   others leave the index, so the store deletes their blobs in the same
//   transaction. Each write is a save with baseVersion v - 1: the store's
//   version of a record is its v (one committed save per version), so a
//   refused save (conflict, missing bytes) would be a bug, reported through
//   window.durFailed.
//   each file: a 16-byte header (magic "DUR1", record, version, payload length)
//   + a seeded pseudo-random payload + FNV-1a of header and payload (4 bytes).
//   Sizes range from a few bytes to 3 MB (seeded by record, version, file).
// A record is intact when every part carries the same version and every
// checksum holds; torn otherwise.

/** Installs window.__dur { write(record, version), verify(records), timeStrict(n) } in the app page. */
export function installKit(page) {
  return page.evaluate(() => {
    const MAGIC = 0x31525544; // "DUR1"
    const mix = (a) => {
      let x = a >>> 0 || 1;
      return () => {
        x ^= x << 13; x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5; x >>>= 0;
        return x;
      };
    };
    const fnv = (bytes, end) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < end; i += 1) {
        h ^= bytes[i];
        h = Math.imul(h, 0x01000193) >>> 0;
      }
      return h >>> 0;
    };
    const seed = (r, v, i) => (Math.imul(r + 1, 73856093) ^ Math.imul(v + 1, 19349663) ^ Math.imul(i + 1, 83492791)) >>> 0;
    const fileCount = (v) => 1 + (v % 3);
    const fileSize = (r, v, i) => {
      const u = mix(seed(r, v, i) ^ 0x9e3779b9)() / 2 ** 32;
      return Math.min(3 << 20, Math.floor(4 * 2 ** (u * 19.5))); // 4 B … 3 MB, log-uniform
    };
    function fileBytes(r, v, i) {
      const n = fileSize(r, v, i);
      const bytes = new Uint8Array(16 + n + 4);
      const view = new DataView(bytes.buffer);
      view.setUint32(0, MAGIC, true);
      view.setUint32(4, r, true);
      view.setUint32(8, v, true);
      view.setUint32(12, n, true);
      const rnd = mix(seed(r, v, i));
      const words = Math.floor(n / 4);
      const body = new Uint32Array(bytes.buffer, 0, 4 + words);
      for (let w = 0; w < words; w += 1) body[4 + w] = rnd();
      for (let b = 16 + words * 4; b < 16 + n; b += 1) bytes[b] = rnd() & 255;
      view.setUint32(16 + n, fnv(bytes, 16 + n), true);
      return bytes;
    }
    const id = (r) => `dur-r${String(r).padStart(2, '0')}`;
    const store = () => document.querySelector('code-interpreter').app.store;

    function snapshot(r, v) {
      const files = Array.from({ length: fileCount(v) }, (_, i) => ({ path: `f${i}.bin`, bytes: fileBytes(r, v, i) }));
      const sum = files.reduce((a, f) => (a ^ new DataView(f.bytes.buffer).getUint32(f.bytes.length - 4, true)) >>> 0, v);
      const title = `dur r${r} v${v} ${sum}`;
      const index = files.map((f) => ({ path: f.path, size: f.bytes.length, version: v, media_type: 'application/octet-stream' }));
      const state = { version: v, sum, conversation: { id: id(r), title, entries: [{ kind: 'user', turn: 1, text: title }] }, files: { files: index } };
      const del = [0, 1, 2].filter((i) => i >= fileCount(v)).map((i) => `f${i}.bin`);
      return { state, files: { write: files, delete: del }, bytes: files.reduce((a, f) => a + f.bytes.length, 0) };
    }

    function check(r, saved) {
      if (!saved) return { r, version: 0, ok: true, missing: true };
      const problems = [];
      const v = saved.state?.version;
      if (!Number.isInteger(v) || v < 1) return { r, version: null, ok: false, problems: ['state has no version'] };
      const want = `dur r${r} v${v} `;
      if (!saved.state.conversation?.title?.startsWith(want)) problems.push(`state title ${saved.state.conversation?.title}`);
      if (!saved.meta?.title?.startsWith(want)) problems.push(`meta title ${saved.meta?.title} (state v${v})`);
      const names = Object.keys(saved.files).sort();
      const expected = Array.from({ length: fileCount(v) }, (_, i) => `f${i}.bin`);
      if (names.join() !== expected.join()) problems.push(`files ${names} for v${v} (want ${expected})`);
      let sum = v;
      for (const name of names) {
        const b = saved.files[name];
        const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
        if (b.length < 20 || view.getUint32(0, true) !== MAGIC) { problems.push(`${name}: no header`); continue; }
        const [fr, fv, n] = [view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)];
        if (fr !== r || fv !== v) problems.push(`${name}: record ${fr} v${fv}, state v${v}`);
        if (b.length !== 16 + n + 4) problems.push(`${name}: ${b.length} bytes, header says ${16 + n + 4}`);
        else if (view.getUint32(16 + n, true) !== fnv(b, 16 + n)) problems.push(`${name}: checksum`);
        else if (n !== fileSize(r, v, Number(name.slice(1, -4)))) problems.push(`${name}: size`);
        sum = (sum ^ view.getUint32(b.length - 4, true)) >>> 0;
      }
      if (!problems.length && sum !== saved.state.sum) problems.push('state checksum does not match the files');
      return { r, version: v, ok: !problems.length, problems, bytes: names.reduce((a, n) => a + saved.files[n].length, 0) };
    }

    window.__dur = {
      /** Writes records in a loop, sequentially: picks a record with the seeded RNG, writes its next version. */
      async run(records, start, seedValue, maxWrites) {
        const rnd = mix(seedValue);
        const next = { ...start };
        for (let n = 0; n < maxWrites; n += 1) {
          const r = rnd() % records;
          const v = (next[r] ?? 0) + 1;
          const snap = snapshot(r, v);
          await window.durStarted(r, v, snap.bytes);
          try {
            await store().saveSnapshot(id(r), snap, { baseVersion: v - 1 });
          } catch (error) {
            await window.durFailed?.(r, v, { code: error?.code ?? null, name: error?.name ?? null, message: error?.message ?? String(error) });
            throw error;
          }
          next[r] = v;
          await window.durAcked(r, v);
        }
        return next;
      },
      async verify(records) {
        const out = [];
        for (let r = 0; r < records; r += 1) out.push(check(r, await store().loadConversation(id(r))));
        return out;
      },
      /**
       * ms per save of the same `n` snapshots with the store's default durability and with 'strict'
       * (twice each, the last run kept), as raw transactions over the store's layout (the Store has
       * no durability option). Each file is written at version 1, so a record's blobs overwrite
       * each other as the store's would replace them.
       */
      async timeDurability(n) {
        const db = store().db;
        const save = async (durability, k) => {
          const snap = snapshot(90 + (k % 5), 1000 + k);
          const cid = `dur-t${k % 5}`;
          const state = { ...snap.state, files: { files: snap.state.files.files.map((e) => ({ ...e, version: 1 })) } };
          const tx = db.transaction(['conversations', 'states', 'blobs'], 'readwrite', durability ? { durability } : undefined);
          await Promise.all([
            tx.objectStore('conversations').put({ id: cid, title: 't', custom_title: false, created_ms: 0, updated_ms: 0, version: k + 1, bytes: snap.bytes }),
            tx.objectStore('states').put({ id: cid, state, version: k + 1 }),
            ...snap.files.write.map((f) => tx.objectStore('blobs').put({ conversation_id: cid, path: f.path, version: 1, bytes: f.bytes })),
            tx.done,
          ]);
          return { bytes: snap.bytes, durability: tx.durability };
        };
        const result = {};
        for (const mode of [null, 'strict', null, 'strict']) {
          const t0 = performance.now();
          let reported;
          for (let k = 0; k < n; k += 1) reported = (await save(mode, k)).durability;
          result[mode ?? 'default'] = { msPerSave: +((performance.now() - t0) / n).toFixed(2), reportedDurability: reported };
        }
        return result;
      },
    };
  });
}

/** A seeded RNG for Node (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
