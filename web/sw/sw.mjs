// The app's service worker (bundled with its Workbox modules by
// web/build/service-worker.mjs into dist/sw.js, where the precache manifest
// is injected at self.__WB_MANIFEST). It
//   1. precaches the app shell, the core, Pyodide's core files and the Python
//      runner (with revisions: a new build means a new worker) and serves
//      them, online or not; a navigation that fails falls back to index.html;
//   2. adds COOP/COEP to the documents and workers it serves (isolation.mjs),
//      so hosts that cannot send headers still get cross-origin isolation;
//   3. keeps each Python package file after its first fetch, checked against
//      the lock file (packages.mjs);
//   4. waits when it is an update, until the page's "Reload" sends
//      SKIP_WAITING (web/app/pwa.mjs, web/components/ci-pwa-status.mjs).
import { precacheAndRoute, cleanupOutdatedCaches, addPlugins, matchPrecache } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';
import { clientsClaim } from 'workbox-core';
import { isolationPlugin, withIsolationHeaders } from './isolation.mjs';
import { looksLikePackage, handlePackage, fetchConfig, warmConfig } from './packages.mjs';
import { SKIP_WAITING } from './names.mjs';

const sameOrigin = (url) => url.origin === self.location.origin;
const configURL = new URL('config.json', self.registration.scope).href;

// 1. The precache; every response it serves gets the isolation headers.
addPlugins([isolationPlugin]);
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });
cleanupOutdatedCaches();

// config.json is not precached: hosts edit it after a build. Network first, the last copy offline.
registerRoute(({ url }) => url.href.split('?')[0] === configURL, () => fetchConfig(configURL, { cache: 'no-cache' }));

// Other same-origin pages (e.g. the developer page when served beside the app):
// the network, with the headers; offline, the app.
registerRoute(({ request, url }) => request.mode === 'navigate' && sameOrigin(url), async ({ request }) => {
  try {
    return withIsolationHeaders(await fetch(request));
  } catch (error) {
    const index = await matchPrecache('index.html');
    if (index) return withIsolationHeaders(index);
    throw error;
  }
});

// 2. Workers started from same-origin URLs need COEP too (the app's own are blob: workers, which inherit it).
registerRoute(({ request, url }) => sameOrigin(url) && (request.destination === 'worker' || request.destination === 'sharedworker'),
  new NetworkOnly({ plugins: [isolationPlugin] }));

// 3. Python packages.
registerRoute(looksLikePackage, handlePackage);

// At install, config.json and its lock file into the cache: the first visit read them before this worker ran.
self.addEventListener('install', (event) => {
  event.waitUntil(warmConfig().catch((error) => console.warn(`service worker: config not cached: ${error.message}`)));
});

// 4. A first install takes the open page at once (clientsClaim), so a first
// visit can reload into isolation; an update waits for the page's word.
clientsClaim();
self.addEventListener('message', (event) => {
  if (event.data?.type === SKIP_WAITING) self.skipWaiting();
});
