// Names shared by the service worker (web/sw/sw.mjs) and the page
// (web/app/pwa.mjs): caches both read, the message the page sends.
export const PACKAGE_CACHE = 'ci-packages-v1'; // Python package files, each checked against the lock file's sha256
export const CONFIG_CACHE = 'ci-config-v1'; // config.json, network first (hosts edit it after a build)
export const SKIP_WAITING = 'SKIP_WAITING'; // workbox-window's messageSkipWaiting() sends { type: this }
