// The deployment's settings: config.json next to index.html, edited by whoever
// hosts dist/ (public/README.md lists the fields). Missing or broken → the
// defaults, with a console warning: a static host must work with no config.
//   packageBaseURL       where Python packages are fetched (null: Pyodide's CDN for this version)
//   lockFileURL          the package lock file (null: pyodide/pyodide-lock.json of this build)
//   embedAllowedOrigins  origins that may drive embed.html by postMessage ([]: none but this one)
export const DEFAULT_CONFIG = Object.freeze({
  packageBaseURL: null,
  lockFileURL: null,
  embedAllowedOrigins: [],
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
  if (Array.isArray(raw.embedAllowedOrigins)) {
    config.embedAllowedOrigins = raw.embedAllowedOrigins.filter((o) => typeof o === 'string').map((o) => {
      try { return new URL(o).origin; } catch { return null; }
    }).filter((o) => o && o !== 'null');
  }
  return config;
}
