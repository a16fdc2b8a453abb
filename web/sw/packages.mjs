// Python package files (wheels from the package index: Pyodide's CDN by
// default, or config.json's packageBaseURL) kept for offline use. The first
// fetch of a file goes to the network; its bytes are checked against the
// sha256 in the lock file (config.json's lockFileURL, or this build's
// pyodide/pyodide-lock.json) and only a match is cached. Later fetches, online
// or not, are answered from the cache. The page checks the sha256 again
// before a byte reaches Python (js_glue/sandbox/assets.mjs fetchPackage), so
// this cache can never be a way around the check.
//
// Wheels from a configured package index (issue 14) are put into the same
// cache by the page itself (js_glue/packages/index-client.mjs
// cacheStorageWheels), only after their sha256 matched the index's, and
// checked again when read; this worker then answers them from the cache
// like any package file, so an installed package works offline.
import { matchPrecache } from 'workbox-precaching';
import { CacheExpiration } from 'workbox-expiration';
import { DEFAULT_PACKAGE_BASE_URL, packagesByFile, sha256Hex } from '../../js_glue/sandbox/assets.mjs';
import { loadAppConfig } from '../app/config.mjs';
import { PACKAGE_CACHE, CONFIG_CACHE } from './names.mjs';

const scope = () => self.registration.scope;
const expiration = new CacheExpiration(PACKAGE_CACHE, { maxEntries: 500 });

/**
 * A file a package index serves, or a lock file? (Cheap, synchronous: the
 * route's match; handlePackage then checks it against config.json.)
 */
export function looksLikePackage({ request, url }) {
  return request.method === 'GET' && request.destination === ''
    && /\.(whl|zip|tar|tgz|tar\.gz|tar\.bz2|json)$/i.test(url.pathname);
}

/** Network first into `cacheName`, the cached copy when the network fails. */
async function networkFirst(cacheName, url, init) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(url, init);
    if (response.ok) await cache.put(url, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(url, { ignoreVary: true });
    if (cached) return cached;
    throw error;
  }
}

/** config.json: network first (hosts edit it after a build), the cached copy when offline. */
export function fetchConfig(target, init) {
  return networkFirst(CONFIG_CACHE, String(target), init);
}

export function readConfig() {
  return loadAppConfig(scope(), fetchConfig);
}

/**
 * At install: config.json and the configured lock file into the cache (the
 * first visit read both before this worker ran; an offline start needs them).
 */
export async function warmConfig() {
  const { lockFileURL } = await readConfig();
  if (lockFileURL) await networkFirst(CONFIG_CACHE, lockFileURL, { cache: 'no-cache' });
}

let lockMemo = null; // { url, byFile: Promise<Map> } for this worker's life

function readLock(config) {
  const url = config.lockFileURL ?? new URL('pyodide/pyodide-lock.json', scope()).href;
  if (lockMemo?.url !== url) {
    const byFile = (async () => {
      const response = (await matchPrecache(url)) ?? (await networkFirst(CONFIG_CACHE, url, { cache: 'no-cache' }));
      if (!response.ok) throw new Error(`lock file ${url}: HTTP ${response.status}`);
      return packagesByFile(await response.json());
    })();
    byFile.catch(() => { if (lockMemo?.byFile === byFile) lockMemo = null; });
    lockMemo = { url, byFile };
  }
  return lockMemo.byFile;
}

/**
 * The route's handler. A package file: cached → from the cache; else the
 * network, cached only when its sha256 matches the lock file. The configured
 * lock file (when it is not this build's): network first, kept for offline
 * starts. Anything else: the network, untouched.
 */
export async function handlePackage({ request }) {
  if (/\.json$/i.test(new URL(request.url).pathname)) {
    const { lockFileURL } = await readConfig();
    return request.url === lockFileURL ? networkFirst(CONFIG_CACHE, request.url, { cache: 'no-cache' }) : fetch(request);
  }
  const cache = await caches.open(PACKAGE_CACHE);
  const hit = await cache.match(request.url, { ignoreVary: true });
  if (hit) {
    expiration.updateTimestamp(request.url).catch(() => {});
    return hit;
  }
  const config = await readConfig();
  const base = config.packageBaseURL ?? DEFAULT_PACKAGE_BASE_URL;
  if (!request.url.startsWith(base)) return fetch(request);
  const response = await fetch(request);
  if (!response.ok) return response;
  const bytes = await response.arrayBuffer();
  const copy = () => new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
  const fileName = decodeURIComponent(new URL(request.url).pathname.split('/').pop());
  try {
    const entry = (await readLock(config)).get(fileName);
    const actual = await sha256Hex(bytes);
    if (entry?.sha256 && actual === entry.sha256.toLowerCase()) {
      await cache.put(request.url, copy());
      await expiration.updateTimestamp(request.url);
      expiration.expireEntries().catch(() => {});
    } else {
      console.warn(`service worker: ${fileName} not cached: ${entry ? `sha256 ${actual} is not the lock file's ${entry.sha256}` : 'not in the lock file'}`);
    }
  } catch (error) {
    console.warn(`service worker: ${fileName} not cached: ${error.message}`);
  }
  return copy();
}
