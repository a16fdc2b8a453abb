// The package resolver (js_glue/packages/): requirements, markers, wheel
// tags and the plan, first in memory, then over the local PEP 691 index
// server (tests/support/pep691-server.mjs) through the host's index client.
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseRequirement, evaluateMarker, pyodideEnvironment, parseMarker } from '../../js_glue/packages/pep508.mjs';
import { wheelSupport, runtimeTags } from '../../js_glue/packages/wheel-tags.mjs';
import { resolve, PACKAGE_ERRORS } from '../../js_glue/packages/resolve.mjs';
import { createIndexClient } from '../../js_glue/packages/index-client.mjs';
import { startIndexServer } from '../support/pep691-server.mjs';

const LOCK_INFO = { abi_version: '2026_0', arch: 'wasm32', platform: 'emscripten_5_0_3', python: '3.14.2' };
const env = pyodideEnvironment({ python: LOCK_INFO.python });
const tags = runtimeTags(LOCK_INFO);
const lock = { info: LOCK_INFO, packages: { numpy: { name: 'numpy', version: '2.2.5', depends: [], imports: ['numpy'] } } };

test('PEP 508: name, extras, specifiers, markers', () => {
  const r = parseRequirement('Foo.Bar [Socks,fast] (>=1.2,<2) ; python_version >= "3.8"');
  assert.equal(r.key, 'foo-bar');
  assert.deepEqual(r.extras, ['socks', 'fast']);
  assert.equal(r.specifier, '>=1.2,<2');
  assert.equal(evaluateMarker(r.marker, env), true);
  assert.equal(evaluateMarker(parseMarker('sys_platform == "linux" or python_version < "3.10"'), env), false);
  assert.equal(evaluateMarker(parseMarker('platform_system == "Emscripten" and implementation_name == "cpython"'), env), true);
  assert.equal(evaluateMarker(parseMarker('extra == "Fast"'), env, 'fast'), true);
  assert.equal(evaluateMarker(parseMarker('extra == "fast"'), env, ''), false);
  assert.throws(() => parseRequirement('foo >= banana'), /not a version specifier/);
  assert.throws(() => parseRequirement('!!'), /not a package requirement/);
});

test('wheel tags: pure, this Pyodide, and compiled for elsewhere', () => {
  assert.equal(wheelSupport('a-1.0-py3-none-any.whl', tags), 'pure');
  assert.equal(wheelSupport('a-1.0-py2.py3-none-any.whl', tags), 'pure');
  assert.equal(wheelSupport('a-1.0-cp314-cp314-pyodide_2026_0_wasm32.whl', tags), 'platform');
  assert.equal(wheelSupport('a-1.0-cp312-abi3-emscripten_5_0_3_wasm32.whl', tags), 'platform');
  assert.equal(wheelSupport('a-1.0-cp313-cp313-pyodide_2025_0_wasm32.whl', tags), null);
  assert.equal(wheelSupport('a-1.0-cp314-cp314-manylinux_2_17_x86_64.whl', tags), null);
  assert.equal(wheelSupport('a-1.0-py2-none-any.whl', tags), null);
});

/** An index in memory: {key: [{filename, sha256, requires}]} */
function memoryIndex(projects) {
  const meta = new Map();
  return {
    describe: () => 'the test index',
    project: async (key) => {
      const list = projects[key];
      if (!list) return null;
      return {
        name: key,
        files: list.map((f) => {
          meta.set(f.filename, `Name: ${key}\nVersion: ${f.filename.split('-')[1]}\n${(f.requires ?? []).map((r) => `Requires-Dist: ${r}\n`).join('')}`);
          return { filename: f.filename, url: `mem://${f.filename}`, hashes: { sha256: f.sha256 ?? 'ab'.repeat(32) }, size: 10, index: 'mem://', yanked: f.yanked };
        }),
      };
    },
    metadata: async (file) => meta.get(file.filename),
  };
}

const run = (requirements, projects, extra = {}) => resolve({ requirements, env, tags, lock, installed: {}, index: memoryIndex(projects), ...extra });

test('resolve: chain in install order, extras, markers, lock first, installed kept', async () => {
  const projects = {
    a: [{ filename: 'a-1.0-py3-none-any.whl', requires: ['b>=1', 'x; extra == "fast"', 'linux-only; sys_platform == "linux"', 'numpy'] }],
    b: [{ filename: 'b-1.0-py3-none-any.whl', requires: ['c'] }, { filename: 'b-2.0rc1-py3-none-any.whl' }, { filename: 'b-1.5-py3-none-any.whl', yanked: 'bad', requires: ['c'] }],
    c: [{ filename: 'c-3.0-py3-none-any.whl' }, { filename: 'c-3.1-cp314-cp314-linux_x86_64.whl' }],
    x: [{ filename: 'x-1.0-py3-none-any.whl' }],
  };
  let out = await run(['a'], projects);
  assert.ok(out.ok, JSON.stringify(out.error));
  assert.deepEqual(out.plan.wheels.map((w) => `${w.name} ${w.version}`), ['c 3.0', 'b 1.0', 'a 1.0']);
  assert.deepEqual(out.plan.lock, ['numpy']);
  out = await run(['a[fast]'], projects);
  assert.deepEqual(out.plan.wheels.map((w) => w.name).sort(), ['a', 'b', 'c', 'x']);
  out = await resolve({ requirements: ['a'], env, tags, lock, installed: { c: '3.0' }, index: memoryIndex(projects) });
  assert.deepEqual(out.plan.wheels.map((w) => w.name), ['b', 'a']);
  assert.deepEqual(out.plan.already, [{ name: 'c', version: '3.0' }]);
  // A pre-release only when nothing else matches.
  out = await run(['b>=2.0rc1'], projects);
  assert.equal(out.plan.wheels[0].version, '2.0rc1');
});

test('resolve: each error names the package and what to do', async () => {
  const projects = {
    a: [{ filename: 'a-1.0-py3-none-any.whl', requires: ['c<2'] }],
    b: [{ filename: 'b-1.0-py3-none-any.whl', requires: ['c>=3'] }],
    c: [{ filename: 'c-1.0-py3-none-any.whl' }, { filename: 'c-3.0-py3-none-any.whl' }],
    ext: [{ filename: 'ext-1.0-cp314-cp314-manylinux_2_17_x86_64.whl' }, { filename: 'ext-1.0.tar.gz' }],
    src: [{ filename: 'src-1.0.tar.gz' }],
  };
  let out = await run(['a', 'b'], projects);
  assert.equal(out.error.code, PACKAGE_ERRORS.VERSION_CONFLICT);
  assert.match(out.error.message, /c.*b 1\.0 requires c>=3.*c 1\.0/);
  out = await run(['ext'], projects);
  assert.equal(out.error.code, PACKAGE_ERRORS.NO_BROWSER_BUILD);
  assert.match(out.error.message, /ext 1\.0 has compiled code.*manylinux_2_17_x86_64/);
  out = await run(['src'], projects);
  assert.equal(out.error.code, PACKAGE_ERRORS.NO_BROWSER_BUILD);
  assert.match(out.error.message, /only a source distribution/);
  out = await run(['nothere'], projects);
  assert.equal(out.error.code, PACKAGE_ERRORS.NOT_FOUND);
  assert.match(out.error.message, /No package named "nothere"/);
  out = await run(['c>9'], projects);
  assert.equal(out.error.code, PACKAGE_ERRORS.NO_MATCHING_VERSION);
  assert.match(out.error.message, /3\.0, 1\.0/);
  out = await resolve({ requirements: ['c>=3'], env, tags, lock, installed: { c: '1.0' }, index: memoryIndex(projects) });
  assert.equal(out.error.code, PACKAGE_ERRORS.VERSION_CONFLICT);
  assert.match(out.error.message, /Restart Python/);
  out = await run(['a'], projects, { policy: { check: (key) => (key === 'c' ? { code: 'denied', message: 'c is not allowed here' } : null) } });
  assert.equal(out.error.code, PACKAGE_ERRORS.DENIED);
  out = await run(['a @ https://example.invalid/a.whl'], projects);
  assert.equal(out.error.code, PACKAGE_ERRORS.BAD_REQUIREMENT);
});

test('over a local PEP 691 index: chain, extra, marker, .metadata or the wheel, hash, 404, down, compiled', async (t) => {
  const server = await startIndexServer();
  t.after(() => server.close());
  const client = createIndexClient({ indexes: [server.url] });
  const go = (requirements) => resolve({ requirements, env, tags, lock, installed: {}, index: client });
  let out = await go(['ci-chain-a[fast]']);
  assert.ok(out.ok, JSON.stringify(out.error));
  assert.deepEqual(out.plan.wheels.map((w) => `${w.name} ${w.version}`), ['ci-chain-c 1.0.0', 'ci-chain-b 1.0.0', 'ci-extra-dep 1.0.0', 'ci-chain-a 1.0.0']);
  assert.ok(!server.hits.some((h) => h.includes('linux-only')), 'the marker kept ci-linux-only out');
  assert.ok(server.hits.some((h) => h.endsWith('.whl.metadata')), 'PEP 658 metadata read');
  assert.ok(!server.hits.some((h) => h.endsWith('ci_chain_a-1.0.0-py3-none-any.whl')), 'no wheel fetched to resolve');
  for (const w of out.plan.wheels) {
    const bytes = await client.wheel(w);
    assert.equal(bytes.byteLength, w.size);
  }
  out = await go(['ci-nometa']);
  assert.ok(out.ok);
  assert.deepEqual(out.plan.wheels.map((w) => w.name), ['ci-chain-c', 'ci-nometa']);

  out = await go(['ci-badhash']);
  assert.ok(out.ok);
  await assert.rejects(client.wheel(out.plan.wheels[0]), (e) => e.code === PACKAGE_ERRORS.HASH_MISMATCH && /ci-badhash 1\.0\.0 was not installed/.test(e.message));
  out = await go(['ci-cext']);
  assert.equal(out.error.code, PACKAGE_ERRORS.NO_BROWSER_BUILD);
  assert.match(out.error.message, /linux_x86_64/);
  out = await go(['ci-missing-name']);
  assert.equal(out.error.code, PACKAGE_ERRORS.NOT_FOUND);
  out = await go(['ci-chain-a', 'ci-conflict']);
  assert.equal(out.error.code, PACKAGE_ERRORS.VERSION_CONFLICT);
  server.setDown(true);
  out = await go(['ci-chain-c']);
  assert.equal(out.error.code, PACKAGE_ERRORS.INDEX_DOWN);
  assert.match(out.error.message, /HTTP 503 for ci-chain-c/);
  server.setDown(false);
  const nowhere = createIndexClient({ indexes: ['http://127.0.0.1:9/simple/'] });
  out = await resolve({ requirements: ['x'], env, tags, lock, installed: {}, index: nowhere });
  assert.equal(out.error.code, PACKAGE_ERRORS.INDEX_DOWN);
  assert.match(out.error.message, /Could not reach the package index for x/);
});
