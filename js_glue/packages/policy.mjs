// The deployment's package policy and where each conversation's installs
// are kept: what the Session and the app need before any package is asked
// for. No dependencies (the resolver's, e.g. PEP 440, load with host.mjs
// only when a run asks for a package; the unbundled dev page never does).

/** A project name as PEP 503 compares them: lower case, runs of -_. as one -. */
export const normalizeName = (name) => String(name ?? '').toLowerCase().replace(/[-_.]+/g, '-');

/** An index entry from config: a URL string or {url}. Its base always ends in '/'. */
export const indexURL = (entry) => {
  const url = String(typeof entry === 'string' ? entry : entry?.url ?? '');
  return url.endsWith('/') ? url : `${url}/`;
};

/** The `packages` section of a deployment's config, cleaned: {indexes: [url], allow: [key], deny: [key]}. */
export function packagesPolicy(raw = {}) {
  const list = (v) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string' && x).map((x) => (x === '*' ? '*' : normalizeName(x))) : []);
  const indexes = (Array.isArray(raw?.indexes) ? raw.indexes : []).map((e) => {
    try { return new URL(indexURL(e)).href; } catch { return null; }
  }).filter(Boolean);
  return { indexes, allow: list(raw?.allow), deny: list(raw?.deny) };
}

/** The URLs a page must be able to reach for these indexes (the CSP's connect-src): each index and its file origins. */
export function packageOrigins(raw = {}) {
  const out = [];
  for (const e of Array.isArray(raw?.indexes) ? raw.indexes : []) {
    out.push(typeof e === 'string' ? e : e?.url);
    for (const f of Array.isArray(e?.files) ? e.files : []) out.push(f);
  }
  return out.filter((u) => typeof u === 'string' && u);
}

/**
 * Each conversation's installs and consent, kept in the page's localStorage
 * (Python never sees it). For now here, not in the core's snapshot.
 */
export function localPackageStore(storage = globalThis.localStorage, prefix = 'ci-packages:') {
  return {
    get: async (id) => {
      try { return JSON.parse(storage?.getItem(prefix + id) ?? 'null'); } catch { return null; }
    },
    put: async (id, state) => { storage?.setItem(prefix + id, JSON.stringify(state)); },
  };
}
