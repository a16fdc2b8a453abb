// A local PEP 691 package index for the package tests: wheels built here in
// memory (no pip, no network), served on 127.0.0.1 with CORS (as PyPI's
// JSON API sends it), PEP 658 .metadata files, and hits counted.
//
// Projects (normalized names):
//   ci-chain-a 1.0.0  → ci-chain-b>=1.0 → ci-chain-c        (a dependency chain)
//                       extra "fast" → ci-extra-dep; ci-linux-only only on sys_platform == "linux" (a marker)
//   ci-chain-b 1.0.0, 2.0.0 (ci-chain-a asks >=1.0,<2: 1.0.0)
//   ci-chain-c 1.0.0, 0.5.0
//   ci-conflict 1.0.0 → ci-chain-c<1 (a version conflict beside ci-chain-a)
//   ci-badhash 1.0.0  (the index's sha256 is not the file's)
//   ci-cext 1.0.0     (only a cp314 linux_x86_64 wheel: compiled, no browser build)
//   ci-nometa 1.0.0   (no .metadata file: dependencies are read from the wheel)
//   ci-plain 1.0.0    (no dependencies)
//   ci-pyodide-build 1.0.0 (a build for this Pyodide, pyodide_2026_0_wasm32, beside a manylinux one)
//   anything else     404
import http from 'node:http';
import { createHash } from 'node:crypto';
import { makeZip } from '../fixtures/python/wheel.mjs';

/** A wheel with dependencies in its METADATA. Returns {filename, bytes, sha256, metadata}. */
export function buildWheel({ name, version = '1.0.0', modules, requires = [], extras = [], tag = 'py3-none-any' }) {
  const mod = name.replace(/-/g, '_');
  const dist = `${mod}-${version}.dist-info`;
  const metadata = [
    'Metadata-Version: 2.1', `Name: ${name}`, `Version: ${version}`,
    ...extras.map((e) => `Provides-Extra: ${e}`), ...requires.map((r) => `Requires-Dist: ${r}`), '', '',
  ].join('\n');
  const files = {
    ...(modules ?? { [`${mod}/__init__.py`]: `VERSION = ${JSON.stringify(version)}\n` }),
    [`${dist}/METADATA`]: metadata,
    [`${dist}/WHEEL`]: `Wheel-Version: 1.0\nGenerator: ci-tests\nRoot-Is-Purelib: ${tag.endsWith('-none-any')}\nTag: ${tag}\n`,
  };
  files[`${dist}/RECORD`] = Object.keys(files).map((f) => `${f},,`).join('\n') + `\n${dist}/RECORD,,\n`;
  const bytes = makeZip(files);
  return { filename: `${mod}-${version}-${tag}.whl`, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), metadata };
}

export function defaultProjects() {
  const w = (o) => ({ ...buildWheel(o), coreMetadata: o.coreMetadata !== false, badHash: o.badHash });
  return {
    'ci-chain-a': [w({
      name: 'ci-chain-a',
      modules: { 'ci_chain_a/__init__.py': 'from ci_chain_b import VALUE as B\nVALUE = "a+" + B\n' },
      requires: ['ci-chain-b>=1.0,<2', 'ci-extra-dep; extra == "fast"', 'ci-linux-only; sys_platform == "linux"'],
      extras: ['fast'],
    })],
    'ci-chain-b': [
      w({ name: 'ci-chain-b', modules: { 'ci_chain_b/__init__.py': 'from ci_chain_c import VALUE as C\nVALUE = "b+" + C\n' }, requires: ['ci-chain-c>=1'] }),
      w({ name: 'ci-chain-b', version: '2.0.0', modules: { 'ci_chain_b/__init__.py': 'VALUE = "b2"\n' } }),
    ],
    'ci-chain-c': [
      w({ name: 'ci-chain-c', modules: { 'ci_chain_c/__init__.py': 'VALUE = "c"\n' } }),
      w({ name: 'ci-chain-c', version: '0.5.0', modules: { 'ci_chain_c/__init__.py': 'VALUE = "c0"\n' } }),
    ],
    'ci-extra-dep': [w({ name: 'ci-extra-dep', modules: { 'ci_extra_dep/__init__.py': 'FAST = True\n' } })],
    'ci-linux-only': [w({ name: 'ci-linux-only' })],
    'ci-plain': [w({ name: 'ci-plain' })],
    'ci-pyodide-build': [
      w({ name: 'ci-pyodide-build', tag: 'cp314-cp314-pyodide_2026_0_wasm32', modules: { 'ci_pyodide_build/__init__.py': 'BUILD = "pyodide"\n' } }),
      w({ name: 'ci-pyodide-build', tag: 'cp314-cp314-manylinux_2_17_x86_64', modules: { 'ci_pyodide_build/__init__.py': 'BUILD = "linux"\n' } }),
    ],
    'ci-conflict': [w({ name: 'ci-conflict', requires: ['ci-chain-c<1'] })],
    'ci-badhash': [w({ name: 'ci-badhash', badHash: true })],
    'ci-cext': [w({ name: 'ci-cext', tag: 'cp314-cp314-linux_x86_64' })],
    'ci-nometa': [w({ name: 'ci-nometa', requires: ['ci-chain-c'], coreMetadata: false })],
  };
}

/**
 * Starts the index. Returns { url (the /simple/ base), origin, hits: [paths], close(), setDown(bool), projects }.
 */
export async function startIndexServer({ projects = defaultProjects(), host = '127.0.0.1' } = {}) {
  const byFile = new Map();
  for (const list of Object.values(projects)) for (const w of list) byFile.set(w.filename, w);
  const hits = [];
  let down = false;
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(req.url.split('?')[0]);
    hits.push(path);
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'accept' };
    if (req.method === 'OPTIONS') { res.writeHead(204, cors); res.end(); return; }
    if (down) { res.writeHead(503, cors); res.end('down'); return; }
    const simple = /^\/simple\/([^/]+)\/?$/.exec(path);
    if (simple) {
      const list = projects[simple[1]];
      if (!list) { res.writeHead(404, cors); res.end('not found'); return; }
      const page = {
        meta: { 'api-version': '1.1' },
        name: simple[1],
        versions: [...new Set(list.map((w) => w.filename.split('-')[1]))],
        files: list.map((w) => ({
          filename: w.filename,
          url: `../../files/${w.filename}`,
          hashes: { sha256: w.badHash ? createHash('sha256').update('something else').digest('hex') : w.sha256 },
          size: w.bytes.length,
          ...(w.coreMetadata ? { 'core-metadata': { sha256: createHash('sha256').update(w.metadata).digest('hex') } } : {}),
        })),
      };
      res.writeHead(200, { ...cors, 'content-type': 'application/vnd.pypi.simple.v1+json' });
      res.end(JSON.stringify(page));
      return;
    }
    const file = /^\/files\/(.+?)(\.metadata)?$/.exec(path);
    const w = file && byFile.get(file[1]);
    if (w && (!file[2] || w.coreMetadata)) {
      const body = file[2] ? Buffer.from(w.metadata) : Buffer.from(w.bytes);
      res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(404, cors);
    res.end('not found');
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  const origin = `http://${host}:${server.address().port}`;
  return {
    url: `${origin}/simple/`, origin, hits, projects,
    setDown: (value) => { down = value; },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}
