// The page's side of the offline app: registers the service worker
// (dist/sw.js, source in web/sw/) with workbox-window and keeps a small state
// that <ci-pwa-status> shows:
//   online         navigator.onLine, followed on 'online' / 'offline'
//   controlled     a service worker serves this page (so it works offline)
//   updateReady    a new build's worker is waiting: applyUpdate() switches and reloads
//   packages       Python package files in the worker's package cache
//   persisted      navigator.storage.persist()'s answer (asked once the worker is installed)
// Registration happens only in the built app (main.mjs calls startPwa), in a
// top-level window with service worker support, after the app and Python
// have started (the precache download must not compete with Pyodide's start).
// On a first visit from a host without COOP/COEP, the page reloads ONCE when
// the new worker takes control, so that the worker's headers make it
// cross-origin isolated; not if the user already did something, and never
// twice in a tab (sessionStorage). Without any of this the app still works:
// the sandbox falls back to stop-by-restart.
import { Workbox } from 'workbox-window';
import { PACKAGE_CACHE } from '../sw/names.mjs';

const RELOADED_KEY = 'ci-pwa-isolation-reload';
const UPDATE_CHECK_MS = 60 * 60 * 1000;

class PwaState extends EventTarget {
  constructor() {
    super();
    this.supported = typeof navigator !== 'undefined' && 'serviceWorker' in navigator;
    this.started = false;
    this.online = typeof navigator === 'undefined' ? true : navigator.onLine !== false;
    this.controlled = this.supported && !!navigator.serviceWorker.controller;
    this.updateReady = false;
    this.packages = []; // [{ name, version, file }]
    this.persisted = null;
    this.wb = null;
    this.updating = false; // the user said Reload: reload when the new worker controls
    this.switched = false; // the new worker took over (from another tab) while this page is old
    if (typeof window !== 'undefined') {
      const follow = () => {
        this.online = navigator.onLine !== false;
        this.changed();
        if (this.online) this.checkForUpdate();
        else this.refreshPackages();
      };
      window.addEventListener('online', follow);
      window.addEventListener('offline', follow);
    }
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }

  /** Lists the package cache (shared with the worker; readable without it). */
  async refreshPackages() {
    if (typeof caches === 'undefined') return this.packages;
    try {
      if (!(await caches.has(PACKAGE_CACHE))) return this.packages;
      const cache = await caches.open(PACKAGE_CACHE);
      const keys = await cache.keys();
      this.packages = keys.map((request) => packageOfURL(request.url)).sort((a, b) => a.name.localeCompare(b.name));
      this.changed();
    } catch (error) {
      console.info(`package cache not readable: ${error.message}`);
    }
    return this.packages;
  }

  checkForUpdate() {
    this.wb?.update().catch(() => {});
  }

  /** Tells the waiting worker to take over; the page reloads when it does. */
  applyUpdate() {
    if (!this.wb || !this.updateReady) return false;
    this.updating = true;
    this.changed();
    // Another tab may have switched already: then only this page is old.
    if (this.switched) window.location.reload();
    else this.wb.messageSkipWaiting();
    return true;
  }
}

/** { name, version, file } from a package file's URL (wheel names: name-version-…). */
export function packageOfURL(url) {
  const file = decodeURIComponent(new URL(url).pathname.split('/').pop());
  const [name, version] = file.replace(/\.(whl|zip|tar|tgz|tar\.gz|tar\.bz2)$/i, '').split('-');
  return { name, version: version ?? '', file };
}

export const pwa = new PwaState();

/** A host page embedding this one, or a frame: no worker of ours. */
function isTopLevel() {
  try {
    return window.top === window.self;
  } catch {
    return false;
  }
}

async function requestPersistence() {
  try {
    if (!navigator.storage?.persist) return;
    let persisted = await navigator.storage.persisted();
    if (!persisted) persisted = await navigator.storage.persist();
    pwa.persisted = persisted;
    console.info(`persistent storage: ${persisted ? 'granted' : 'not granted (the browser may evict the offline files under storage pressure)'}`);
    pwa.changed();
  } catch (error) {
    console.info(`persistent storage not requested: ${error.message}`);
  }
}

/** Resolves when the app has started Python (or failed to), or after `maxMs`. */
function appSettled(app, maxMs) {
  return new Promise((resolve) => {
    const done = () => {
      const vm = app?.vm;
      if (!vm) return false;
      return vm.phase === 'failed' || (vm.phase === 'ready' && (vm.python.state === 'ready' || vm.python.state === 'failed'));
    };
    if (done()) { resolve(); return; }
    const timer = setTimeout(finish, maxMs);
    function finish() {
      clearTimeout(timer);
      app?.removeEventListener('change', onChange);
      resolve();
    }
    function onChange() { if (done()) finish(); }
    app?.addEventListener('change', onChange);
  });
}

/**
 * Registers the service worker next to this page (sw.js) once `app` has
 * started. Does nothing where service workers are missing or in a frame.
 * @param {object} options
 * @param {EventTarget & {vm: object}} [options.app] the AppController
 * @param {string} [options.url] the worker's URL (default: sw.js next to the page)
 */
export async function startPwa({ app, url = new URL('sw.js', document.baseURI).href } = {}) {
  if (!pwa.supported || pwa.started || !isTopLevel()) return false;
  pwa.started = true;
  const sw = navigator.serviceWorker;
  const hadController = !!sw.controller;
  let interacted = false;
  const interaction = () => { interacted = true; };
  for (const type of ['pointerdown', 'keydown', 'drop', 'paste']) window.addEventListener(type, interaction, { capture: true, once: true });

  sw.addEventListener('controllerchange', () => {
    pwa.controlled = true;
    if (pwa.updateReady) pwa.switched = true;
    pwa.changed();
    if (pwa.updating) {
      window.location.reload();
      return;
    }
    // First visit, not isolated: the worker's headers isolate the page after one reload.
    if (!hadController && !globalThis.crossOriginIsolated && !interacted && !sessionStorage.getItem(RELOADED_KEY)) {
      sessionStorage.setItem(RELOADED_KEY, String(Date.now()));
      window.location.reload();
    }
  });

  await appSettled(app, 180000); // the cap only guards against an app that never settles
  const wb = new Workbox(url, { scope: './' });
  pwa.wb = wb;
  wb.addEventListener('waiting', () => {
    pwa.updateReady = true;
    pwa.changed();
  });
  wb.addEventListener('activated', (event) => {
    if (!event.isUpdate) requestPersistence();
  });
  try {
    await wb.register();
  } catch (error) {
    console.warn(`The offline service worker could not be registered: ${error.message}`);
    return false;
  }
  if (hadController) requestPersistence();
  pwa.refreshPackages();
  setInterval(() => pwa.checkForUpdate(), UPDATE_CHECK_MS);
  return true;
}
