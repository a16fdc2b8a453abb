// The conversation store (web/app/store.mjs, layout v2) in real Chromium with
// real IndexedDB: the store battery page (tests/e2e/pages/store.html, the same
// cases over Store and MemoryStore; each case reported here as a test of its
// own), and storage that is really full: a 2 MB quota set for the origin
// through CDP before its first visit, then a 3 MB file.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { artifactPath, launchBrowser, startApp } from './harness.mjs';

let app;

before(async () => {
  app = await startApp();
});

after(async () => {
  await app?.close();
});

// store.html maps 'idb' to /node_modules/idb/build/index.js (scripts/serve.mjs serves it).
async function gotoStorePage(browser, page) {
  await page.goto(`${app.url}/tests/e2e/pages/store.html`);
  await page.waitForFunction(() => window.storeBatteryReady === true, null, { timeout: 20000 });
}

// Cases that must be there, for both backends unless marked.
const REQUIRED = [
  'versions increase', 'a stale save is refused', 'two tabs', 'self-healing', 'missing bytes', 'no orphan blobs',
  'delete removes', 'usage() sums', 'load returns stored bytes', 'titles', 'errors are StoreErrors', 'settings and keys',
];
const IDB_ONLY = ['upgrade v1 → v2', 'a tab of the old version blocks the upgrade', 'a newer version of the app closes'];

test('store battery in Chromium: Store (IndexedDB) and MemoryStore', { timeout: 120000 }, async (t) => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await gotoStorePage(browser, page);
    const names = await page.evaluate(() => window.storeCaseNames());
    const { results } = await page.evaluate(() => window.runStoreBattery());
    fs.writeFileSync(artifactPath('store-battery.json'), JSON.stringify(results, null, 1));
    await page.screenshot({ path: artifactPath('store-battery.png') }).catch(() => {});
    assert.deepEqual(results.map((r) => r.name), names, 'every case reported once');
    for (const want of REQUIRED) {
      for (const backend of ['Store (IndexedDB)', 'MemoryStore']) {
        assert.ok(names.some((n) => n.startsWith(`${backend}: ${want}`)), `${backend}: ${want}… is in the battery`);
      }
    }
    for (const want of IDB_ONLY) assert.ok(names.some((n) => n.startsWith(`Store (IndexedDB): ${want}`)), `${want}… is in the battery`);
    for (const r of results) {
      await t.test(r.name, () => {
        assert.ok(r.ok, r.detail);
      });
    }
  } finally {
    await browser.close();
  }
});

test('real quota in Chromium (2 MB): a 3 MB save fails with code quota and keeps the last version; a save naming the file cannot commit; without it, it does', { timeout: 120000 }, async () => {
  const browser = await launchBrowser(); // a fresh profile: the origin was never visited
  try {
    const page = await browser.newPage(); // about:blank
    const cdp = await browser.context.newCDPSession(page);
    // Only enforced when set before the origin's first visit.
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: app.url, quotaSize: 2 * 1024 * 1024 });
    await gotoStorePage(browser, page);
    const r = await page.evaluate(async () => {
      const { Store, StoreError, Conv, pattern, sameBytes } = window.storeKit;
      const enc = (s) => new TextEncoder().encode(s);
      const attempt = async (promise) => {
        try {
          const meta = await promise;
          return { ok: true, version: meta.version };
        } catch (e) {
          return { ok: false, storeError: e instanceof StoreError, name: e.name, code: e.code, message: e.message, detail: e.detail };
        }
      };
      // Compares a loaded conversation with a tab's copy: version, state, every file's bytes.
      const same = (loaded, conv, version) => loaded && loaded.version === version
        && JSON.stringify(loaded.state) === JSON.stringify(conv.state())
        && Object.keys(loaded.files).sort().join() === [...conv.files.keys()].sort().join()
        && [...conv.files].every(([p, f]) => sameBytes(loaded.files[p], f.bytes));
      const out = {};
      const store = await Store.open('quota-test');
      const conv = new Conv('Quarterly report');
      conv.say('start');
      conv.write('notes.txt', enc('small notes'));
      out.v1 = await attempt(conv.save(store, 'q'));
      const committed = Conv.restore(await store.loadConversation('q'));

      // 1. A 3 MB file: refused by the quota, version 1 stays intact.
      conv.write('big.bin', pattern(3 * 1024 * 1024, 7));
      conv.say('added a big file');
      out.big = await attempt(conv.save(store, 'q'));
      out.afterBigIntact = same(await store.loadConversation('q'), committed, 1);

      // 2. A small save (notes changed) whose state still names big.bin: the store lacks its
      //    bytes, read() gives them, so this save carries 3 MB too and cannot commit.
      conv.write('notes.txt', enc('changed notes'));
      conv.say('small change');
      conv.reads = [];
      out.small = await attempt(conv.save(store, 'q'));
      out.smallReads = [...conv.reads].sort();
      out.afterSmallIntact = same(await store.loadConversation('q'), committed, 1);

      // 3. The big file deleted from the state: commits (notes.txt@2 healed through read()).
      conv.remove('big.bin');
      conv.reads = [];
      out.final = await attempt(conv.save(store, 'q'));
      out.finalReads = [...conv.reads].sort();
      const loaded = await store.loadConversation('q');
      out.finalIntact = same(loaded, conv, 2);
      out.finalNotes = new TextDecoder().decode(loaded.files['notes.txt']);
      out.usage = await store.usage();
      out.estimate = await navigator.storage.estimate().then((e) => ({ usage: e.usage, quota: e.quota }), () => null);
      store.close();
      return out;
    });
    console.log(JSON.stringify(r, null, 1));
    fs.writeFileSync(artifactPath('store-quota.json'), JSON.stringify(r, null, 1));
    // (navigator.storage.estimate() does not show the override: it reported 10 GB while the
    // 2 MB were enforced; the refused 3 MB save below is what proves the quota.)
    assert.deepEqual(r.v1, { ok: true, version: 1 }, 'the first save commits');

    assert.equal(r.big.ok, false, 'the 3 MB save is refused');
    assert.equal(r.big.storeError, true, `a StoreError (${r.big.name}: ${r.big.message})`);
    assert.equal(r.big.code, 'quota', `code quota (${r.big.message}; detail ${JSON.stringify(r.big.detail)})`);
    assert.ok(r.big.message.trim().length > 0, 'a message');
    assert.match(r.big.message, /Quarterly report/, 'it names the conversation');
    assert.match(r.big.message, /storage on this device is full/, 'it says storage is full');
    assert.match(r.big.message, /3\.\d MB/, 'it says how much the save needed');
    assert.equal(r.afterBigIntact, true, 'version 1 still loads intact after the refused save');

    assert.equal(r.small.ok, false, 'the small save naming big.bin is refused');
    assert.equal(r.small.code, 'quota', `code quota (${r.small.message})`);
    assert.ok(r.small.message.trim().length > 0, 'a message');
    assert.deepEqual(r.smallReads, ['big.bin'], 'it read big.bin (notes.txt@2 was in the write) to carry its bytes');
    assert.equal(r.afterSmallIntact, true, 'version 1 still loads intact');

    assert.deepEqual(r.final, { ok: true, version: 2 }, 'without big.bin the save commits');
    assert.deepEqual(r.finalReads, ['notes.txt'], 'notes.txt@2, lost with the refused saves, was healed through read()');
    assert.equal(r.finalIntact, true, 'version 2 loads as saved');
    assert.equal(r.finalNotes, 'changed notes');
    assert.deepEqual(r.usage.conversations.map((c) => [c.id, c.files]), [['q', 1]], 'one conversation, one blob (nothing of the 3 MB file stored)');
  } finally {
    await browser.close();
  }
});
