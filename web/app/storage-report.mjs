// What the app keeps on this device besides the conversations, and how to
// free it: the Python snapshot (the sandbox's snapshot store) and the Python
// packages the service worker cached (PACKAGE_CACHE). Used by the storage
// view (ci-storage.mjs, through the controller) and by a full disk, where
// the app's own caches give way before the user's files (saver.mjs evict).
import { PACKAGE_CACHE } from '../sw/names.mjs';

/** Bytes and count of the Python packages the service worker cached. */
async function packageCacheSize() {
  if (!globalThis.caches || !(await caches.has(PACKAGE_CACHE))) return { count: 0, bytes: 0 };
  const cache = await caches.open(PACKAGE_CACHE);
  let bytes = 0;
  const requests = await cache.keys();
  for (const request of requests) {
    const response = await cache.match(request);
    const length = Number(response?.headers.get('content-length'));
    bytes += Number.isFinite(length) && length > 0 ? length : (await response.blob()).size;
  }
  return { count: requests.length, bytes };
}

/**
 * What uses this device's storage: each conversation (its state and
 * files), the Python snapshot, the cached packages, and the browser's own
 * estimate. Sizes in bytes; a part that cannot be measured is null.
 */
export async function storageReport(store, sandbox) {
  const [usage, snapshot, packages, estimate] = await Promise.all([
    store.usage?.().catch(() => null) ?? null,
    sandbox?.snapshotStore?.size?.().catch(() => null) ?? null,
    packageCacheSize().catch(() => null),
    globalThis.navigator?.storage?.estimate?.().catch(() => null) ?? null,
  ]);
  return { conversations: usage?.conversations ?? [], conversationsTotal: usage?.total ?? null, snapshot, packages, estimate };
}

/** Frees one of the app's caches: 'snapshot' | 'packages'. @throws what the storage threw */
export async function clearAppCache(which, sandbox) {
  if (which === 'snapshot') await sandbox?.snapshotStore?.clear();
  else if (which === 'packages' && globalThis.caches) await caches.delete(PACKAGE_CACHE);
}

/** A full disk: frees both caches. True when something was freed. */
export async function evictAppCaches(sandbox) {
  let freed = false;
  try {
    if (sandbox?.snapshotStore) {
      await sandbox.snapshotStore.clear();
      freed = true;
    }
  } catch (error) { console.warn('could not clear the Python snapshot', error); }
  try {
    if (globalThis.caches && (await caches.delete(PACKAGE_CACHE))) freed = true;
  } catch (error) { console.warn('could not clear cached packages', error); }
  return freed;
}
