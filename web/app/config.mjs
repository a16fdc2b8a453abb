// The deployment's settings: config.json next to index.html, edited by whoever
// hosts dist/ (public/README.md lists the fields). Missing or broken → the
// defaults, with a console warning: a static host must work with no config.
//   packageBaseURL       where Python packages are fetched (null: Pyodide's CDN for this version)
//   lockFileURL          the package lock file (null: pyodide/pyodide-lock.json of this build)
//   embedAllowedOrigins  origins that may drive embed.html by postMessage ([]: none but this one)
//   packages             packages from an index (issue 14): {indexes: [url | {url, files: [origin]}],
//                        allow: [name | '*'] (no question), deny: [name | '*'] (never)}; no indexes: off.
//                        The page fetches them with the user's consent, never Python; the CSP names them.
export const DEFAULT_CONFIG = Object.freeze({
  packageBaseURL: null,
  lockFileURL: null,
  embedAllowedOrigins: [],
  packages: Object.freeze({ indexes: [], allow: [], deny: [] }),
});

/** Reads config.json at `baseURI`; never throws. URLs come back absolute. */
export async function loadAppConfig(baseURI, fetchImpl = globalThis.fetch.bind(globalThis)) {
  const config = { ...DEFAULT_CONFIG };
  let raw = null;
  try {
    const r = await fetchImpl(new URL('config.json', baseURI), { cache: 'no-cache' });
    if (r.ok) raw = await r.json();
  } catch (error) {
    console.warn(`config.json not read (${error.message}); using the defaults`);
  }
  if (!raw || typeof raw !== 'object') return config;
  for (const key of ['packageBaseURL', 'lockFileURL']) {
    if (typeof raw[key] === 'string' && raw[key]) {
      try {
        config[key] = new URL(raw[key], baseURI).href;
      } catch {
        console.warn(`config.json: ${key} is not a URL; using the default`);
      }
    }
  }
  if (raw.packages && typeof raw.packages === 'object') {
    const strings = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string' && x) : []);
    const indexes = [];
    for (const entry of Array.isArray(raw.packages.indexes) ? raw.packages.indexes : []) {
      const url = typeof entry === 'string' ? entry : entry?.url;
      try {
        if (typeof url !== 'string' || !url) throw new TypeError('no url');
        indexes.push({ url: new URL(url, baseURI).href, files: strings(entry?.files).map((o) => new URL(o).origin) });
      } catch {
        console.warn(`config.json: packages.indexes entry ${JSON.stringify(entry)} is not a URL; left out`);
      }
    }
    config.packages = { indexes, allow: strings(raw.packages.allow), deny: strings(raw.packages.deny) };
  }
  if (Array.isArray(raw.embedAllowedOrigins)) {
    config.embedAllowedOrigins = raw.embedAllowedOrigins.filter((o) => typeof o === 'string').map((o) => {
      try { return new URL(o).origin; } catch { return null; }
    }).filter((o) => o && o !== 'null');
  }
  return config;
}
