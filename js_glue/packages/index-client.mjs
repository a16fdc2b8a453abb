// The I/O around the resolver: PEP 691 JSON project pages, PEP 658
// metadata files and wheels, fetched by the HOST (the page, or Node), never
// by Python. Every wheel's bytes are checked against the index's sha256
// before anyone sees them.
//
//   const client = createIndexClient({ indexes: ['http://127.0.0.1:8000/simple/'], fetch })
//   client.project(key) → { name, index, files: [{filename, url, hashes, size, 'core-metadata', yanked, ...}] } | null
//   client.metadata(file) → METADATA text (the .metadata file, or read from the wheel itself)
//   client.wheel(w) → ArrayBuffer whose sha256 is w.sha256 (else PackageProblem hash_mismatch)
// Indexes are tried in order; the first that knows the name answers. An
// index that does not answer (network error, 5xx) is 'index_down' when no
// other index knows the name.

import { unzipSync } from 'fflate';
import { PackageProblem, PACKAGE_ERRORS } from './resolve.mjs';

export const PEP691_ACCEPT = 'application/vnd.pypi.simple.v1+json';

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

import { indexURL } from './policy.mjs';

export { indexURL };

/**
 * Verified wheels kept in the browser's Cache Storage (the cache the app's
 * service worker serves package files from, so they work offline). Only
 * bytes whose sha256 matched go in; they are checked again when read.
 */
export function cacheStorageWheels(cacheName) {
  if (typeof caches === 'undefined') return null;
  return {
    get: async (url) => {
      const hit = await (await caches.open(cacheName)).match(url, { ignoreVary: true });
      return hit ? hit.arrayBuffer() : null;
    },
    put: async (url, bytes) => {
      await (await caches.open(cacheName)).put(url, new Response(bytes.slice(0), { headers: { 'content-type': 'application/octet-stream' } }));
    },
    delete: async (url) => { await (await caches.open(cacheName)).delete(url); },
  };
}

export function createIndexClient({ indexes = [], fetch: fetchImpl = globalThis.fetch.bind(globalThis), timeoutMs = 60000, cache = null } = {}) {
  const bases = indexes.map(indexURL);
  const wheelBytes = new Map(); // sha256 → ArrayBuffer (read for metadata, kept for the install)

  async function get(url, { accept, what, pkg }) {
    let response;
    try {
      response = await fetchImpl(url, { headers: accept ? { accept } : {}, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new PackageProblem(PACKAGE_ERRORS.INDEX_DOWN,
        `Could not reach the package index for ${pkg} (${url}: ${error?.message ?? error}). You may be offline, or the index is down; try again later.`,
        { package: pkg, url });
    }
    return response;
  }

  async function project(key, name = key) {
    let down = null;
    for (const base of bases) {
      const url = new URL(`${key}/`, base).href;
      let response;
      try {
        response = await get(url, { accept: `${PEP691_ACCEPT}, application/json;q=0.5`, pkg: name });
      } catch (error) { down ??= error; continue; }
      if (response.status === 404) continue;
      if (!response.ok) {
        down ??= new PackageProblem(PACKAGE_ERRORS.INDEX_DOWN,
          `The package index ${base} answered HTTP ${response.status} for ${name}; it may be down. Try again later.`, { package: name, url, status: response.status });
        continue;
      }
      let page;
      try { page = await response.json(); } catch {
        down ??= new PackageProblem(PACKAGE_ERRORS.INDEX_DOWN,
          `The package index ${base} did not answer ${name} in the PEP 691 JSON format; configure an index that does.`, { package: name, url });
        continue;
      }
      const files = (page.files ?? []).map((f) => ({ ...f, url: new URL(f.url, url).href, index: base }));
      return { name: page.name ?? name, index: base, files };
    }
    if (down) throw down;
    return null;
  }

  async function wheel(w) {
    const cached = wheelBytes.get(w.sha256);
    if (cached) return cached;
    // Kept from an earlier page (offline after the first use): checked again.
    try {
      const kept = await cache?.get(w.url);
      if (kept && (await sha256Hex(kept)) === String(w.sha256).toLowerCase()) {
        wheelBytes.set(w.sha256, kept);
        return kept;
      }
      if (kept) await cache.delete?.(w.url);
    } catch { /* no cache: the network */ }
    const response = await get(w.url, { pkg: w.name });
    if (!response.ok) {
      throw new PackageProblem(response.status === 404 ? PACKAGE_ERRORS.NOT_FOUND : PACKAGE_ERRORS.INDEX_DOWN,
        `Could not download ${w.filename} for ${w.name} (HTTP ${response.status} from ${w.url}). ${response.status === 404 ? 'The index lists a file it does not have.' : 'The index may be down; try again later.'}`,
        { package: w.name, url: w.url, status: response.status });
    }
    const bytes = await response.arrayBuffer();
    const actual = await sha256Hex(bytes);
    if (actual !== String(w.sha256).toLowerCase()) {
      throw new PackageProblem(PACKAGE_ERRORS.HASH_MISMATCH,
        `${w.name} ${w.version} was not installed: ${w.filename} does not match the sha256 the index gives (expected ${w.sha256}, got ${actual}). The file was changed or damaged on the way; nothing of it reached Python. Tell whoever runs the index.`,
        { package: w.name, version: w.version, url: w.url, expected: w.sha256, actual });
    }
    wheelBytes.set(w.sha256, bytes);
    try { await cache?.put(w.url, bytes); } catch (error) { console.warn(`${w.filename} not kept for offline use: ${error?.message ?? error}`); }
    return bytes;
  }

  async function metadata(file) {
    const pkg = file.filename.split('-')[0];
    const meta = file['core-metadata'] ?? file['data-dist-info-metadata'];
    if (meta) {
      const response = await get(`${file.url}.metadata`, { pkg });
      if (response.ok) {
        const bytes = await response.arrayBuffer();
        const want = typeof meta === 'object' ? meta.sha256 : null;
        if (want && (await sha256Hex(bytes)) !== want.toLowerCase()) {
          throw new PackageProblem(PACKAGE_ERRORS.HASH_MISMATCH,
            `The metadata of ${file.filename} does not match the sha256 the index gives; ${pkg} was not installed. Tell whoever runs the index.`,
            { package: pkg, url: `${file.url}.metadata` });
        }
        return new TextDecoder().decode(bytes);
      }
    }
    // No PEP 658 file: read METADATA from the wheel itself (checked first).
    const [, version] = file.filename.split('-');
    const bytes = await wheel({ name: pkg, version, filename: file.filename, url: file.url, sha256: file.hashes?.sha256 ?? '' });
    const files = unzipSync(new Uint8Array(bytes), { filter: (f) => /^[^/]+\.dist-info\/METADATA$/.test(f.name) });
    const text = Object.values(files)[0];
    if (!text) {
      throw new PackageProblem(PACKAGE_ERRORS.INSTALL_FAILED, `${file.filename} has no .dist-info/METADATA: it is not a valid wheel, so ${pkg} was not installed.`, { package: pkg });
    }
    return new TextDecoder().decode(text);
  }

  return { project, metadata, wheel, describe: () => bases.join(', ') || 'no package index' };
}
