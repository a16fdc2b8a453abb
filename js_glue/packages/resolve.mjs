// The resolver: requirements → a plan of wheels, or one error naming the
// package and what to do. The deciding part of issue 14; it does no I/O of
// its own: what it knows of an index comes from `index` (project pages and
// metadata, fetched by the host, or made in memory by the tests).
//
// Order of sources for each name: already installed in the sandbox, then
// Pyodide's lock file, then the configured indexes (PEP 691 JSON), newest
// matching version first. Resolution is greedy (as micropip's): the first
// version chosen for a name stays; a later requirement it does not satisfy
// is a version conflict, reported with both requirers.
//
//   resolve({ requirements, env, tags, lock, installed, index, policy })
//     requirements  PEP 508 strings
//     env           marker variables (pep508.mjs pyodideEnvironment)
//     tags          runtimeTags(lock.info) (wheel-tags.mjs)
//     lock          Pyodide's lock file ({packages: {key: {name, version, depends, imports}}})
//     installed     {key: version} already in the sandbox
//     index         { project(key) → {files: [PEP 691 file + index]} | null, metadata(file) → text }
//                   project() throws a PackageProblem 'index_down' when no index answers
//     policy        { check(key) → null | {code, message} }  (a deployment's allow/deny)
//   → { ok: true, plan: { wheels: [{name, key, version, filename, url, sha256, size, index, kind}],
//                         lock: [lock package names], already: [{name, version}] } }
//     (wheels in install order: dependencies first)
//   | { ok: false, error: { code, message, detail: {package, ...} } }

import { parseRequirement, evaluateMarker, satisfies, isPrerelease, sortVersionsDesc, normalizeName, RequirementError } from './pep508.mjs';
import { parseWheelName, wheelSupport, describeTags } from './wheel-tags.mjs';
import { parseMetadata } from './metadata.mjs';

export const PACKAGE_ERRORS = Object.freeze({
  BAD_REQUIREMENT: 'bad_requirement',
  NOT_FOUND: 'not_found',
  NO_BROWSER_BUILD: 'no_browser_build',
  VERSION_CONFLICT: 'version_conflict',
  NO_MATCHING_VERSION: 'no_matching_version',
  INDEX_DOWN: 'index_down',
  HASH_MISMATCH: 'hash_mismatch',
  NO_HASH: 'no_hash',
  DENIED: 'denied',
  DECLINED: 'declined',
  INSTALL_FAILED: 'install_failed',
});

/** An error with the common shape, thrown inside the resolver and by the host's fetchers. */
export class PackageProblem extends Error {
  constructor(code, message, detail = {}) {
    super(message);
    this.name = 'PackageProblem';
    this.code = code;
    this.detail = detail;
  }
  toJSON() { return { code: this.code, message: this.message, detail: this.detail }; }
}

const who = (parent) => (parent ? `${parent} requires` : 'you asked for');

export async function resolve({ requirements, env, tags, lock = {}, installed = {}, index, policy = null }) {
  try {
    return { ok: true, plan: await resolveOrThrow({ requirements, env, tags, lock, installed, index, policy }) };
  } catch (error) {
    if (error instanceof PackageProblem) return { ok: false, error: error.toJSON() };
    if (error instanceof RequirementError) {
      return { ok: false, error: { code: PACKAGE_ERRORS.BAD_REQUIREMENT, message: error.message, detail: {} } };
    }
    throw error;
  }
}

async function resolveOrThrow({ requirements, env, tags, lock, installed, index, policy }) {
  const lockPackages = lock?.packages ?? {};
  const lockByKey = new Map(Object.entries(lockPackages).map(([k, p]) => [normalizeName(p.name ?? k), { ...p, key: k }]));
  const chosen = new Map(); // key → { name, version, source, spec: [{specifier, by}], deps: [req strings], extrasDone: Set }
  const plan = { wheels: [], lock: [], already: [] };
  const edges = new Map(); // key → [dependency keys] (index wheels only)
  const queue = [];
  for (const text of [].concat(requirements ?? [])) {
    const req = parseRequirement(text);
    if (req.url) throw new PackageProblem(PACKAGE_ERRORS.BAD_REQUIREMENT, `${req.name}: installing from a URL (${req.url}) is not supported here; name the package and its version instead, from a configured index`, { package: req.name });
    queue.push({ req, parent: null });
  }

  const lockClosure = (key, by) => {
    const p = lockByKey.get(key);
    if (!p || chosen.has(key)) return;
    chosen.set(key, { name: p.name, version: p.version, source: 'lock', spec: [], by });
    for (const d of p.depends ?? []) lockClosure(normalizeName(d), p.name);
  };

  while (queue.length) {
    const { req, parent } = queue.shift();
    const key = req.key;
    const refusal = policy?.check?.(key, req.name);
    if (refusal) throw new PackageProblem(refusal.code ?? PACKAGE_ERRORS.DENIED, refusal.message, { package: req.name });
    const have = chosen.get(key);
    if (have) {
      if (!satisfies(have.version, req.specifier)) {
        throw new PackageProblem(PACKAGE_ERRORS.VERSION_CONFLICT,
          `Version conflict for ${have.name}: ${who(parent)} ${req.name}${req.specifier}, but ${have.name} ${have.version} is ${have.source === 'installed' ? 'already installed' : `what ${have.by ? `${have.by} needs` : 'was chosen'}`}. ` +
          (have.source === 'installed' ? 'Restart Python to install another version.' : 'Ask for versions that agree.'),
          { package: have.name, version: have.version, wanted: req.specifier, by: parent ?? null, chosen_by: have.by ?? null });
      }
      // New extras of an index package bring their dependencies.
      if (have.source === 'index') {
        for (const extra of req.extras) {
          if (have.extrasDone.has(extra)) continue;
          have.extrasDone.add(extra);
          enqueueDeps(have, [extra], queue, env, edges);
        }
      }
      continue;
    }
    if (installed[key] !== undefined) {
      if (!satisfies(installed[key], req.specifier)) {
        throw new PackageProblem(PACKAGE_ERRORS.VERSION_CONFLICT,
          `Version conflict for ${req.name}: ${who(parent)} ${req.name}${req.specifier}, but ${req.name} ${installed[key]} is already installed in this Python. Restart Python to install another version.`,
          { package: req.name, version: installed[key], wanted: req.specifier, by: parent ?? null });
      }
      chosen.set(key, { name: req.name, version: installed[key], source: 'installed', spec: [], by: parent });
      plan.already.push({ name: req.name, version: installed[key] });
      continue;
    }
    const fromLock = lockByKey.get(key);
    if (fromLock && satisfies(fromLock.version, req.specifier)) {
      lockClosure(key, parent);
      plan.lock.push(fromLock.name);
      continue;
    }
    const project = await index.project(key, req.name);
    if (!project) {
      throw new PackageProblem(PACKAGE_ERRORS.NOT_FOUND,
        `No package named "${req.name}" on ${index.describe?.() ?? 'the configured package indexes'}${parent ? ` (${parent} requires it)` : ''}. Check the spelling; the import name can differ from the package name (e.g. import yaml → pip install pyyaml).`,
        { package: req.name, by: parent ?? null });
    }
    const pick = choose(project, req, env, tags, parent);
    const entry = { name: pick.name, version: pick.version, source: 'index', spec: [], by: parent, extrasDone: new Set(req.extras), requires: [] };
    chosen.set(key, entry);
    const text = await index.metadata(pick.file, project);
    const meta = parseMetadata(text);
    entry.requires = meta.requiresDist;
    plan.wheels.push({
      name: pick.name, key, version: pick.version, filename: pick.file.filename, url: pick.file.url,
      sha256: pick.file.hashes.sha256.toLowerCase(), size: pick.file.size ?? null, index: pick.file.index ?? project.index ?? '',
      kind: pick.kind,
    });
    edges.set(key, []);
    enqueueDeps(entry, ['', ...req.extras], queue, env, edges);
  }

  // Install order: each wheel after the wheels it depends on.
  const byKey = new Map(plan.wheels.map((w) => [w.key, w]));
  const ordered = [];
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key) || !byKey.has(key)) return;
    seen.add(key);
    for (const d of edges.get(key) ?? []) visit(d);
    ordered.push(byKey.get(key));
  };
  plan.wheels.forEach((w) => visit(w.key));
  plan.wheels = ordered;
  return plan;
}

function enqueueDeps(entry, extras, queue, env, edges) {
  for (const text of entry.requires) {
    const req = parseRequirement(text);
    const wanted = extras.some((extra) => evaluateMarker(req.marker, env, extra));
    // A dependency under an extra is wanted only for that extra (its marker says so).
    if (!wanted) continue;
    const key = normalizeName(entry.name);
    if (!edges.has(key)) edges.set(key, []);
    edges.get(key).push(req.key);
    queue.push({ req, parent: `${entry.name} ${entry.version}` });
  }
}

/** The wheel to install for one requirement, or a PackageProblem saying why none can be. */
function choose(project, req, env, tags, parent) {
  const files = (project.files ?? []).filter((f) => !f.yanked);
  const wheels = [];
  const others = [];
  for (const f of files) {
    const w = parseWheelName(f.filename);
    if (!w) { others.push(f); continue; }
    if (f['requires-python'] && !satisfies(env.python_full_version, f['requires-python'])) continue;
    wheels.push({ file: f, w, kind: wheelSupport(f.filename, tags) });
  }
  const versions = sortVersionsDesc([...new Set(wheels.map((x) => x.w.version).concat(others.map((f) => versionOfSdist(f.filename)).filter(Boolean)))]);
  const matching = versions.filter((v) => satisfies(v, req.specifier));
  const finals = matching.filter((v) => !isPrerelease(v));
  const order = finals.length || !matching.length ? finals : matching; // pre-releases only when nothing else matches
  const name = project.name ?? req.name;
  for (const version of order) {
    const usable = wheels.filter((x) => x.w.version === version && x.kind);
    if (!usable.length) continue;
    // A build for this Pyodide is preferred to a pure one of the same version (it is what the author made for it).
    const best = usable.find((x) => x.kind === 'platform') ?? usable[0];
    if (!best.file.hashes?.sha256) {
      throw new PackageProblem(PACKAGE_ERRORS.NO_HASH,
        `${name} ${version}: the index gives no sha256 for ${best.file.filename}, so it cannot be checked and is not installed. Use an index that lists hashes (PEP 691).`,
        { package: name, version, file: best.file.filename });
    }
    return { name, version, file: best.file, kind: best.kind };
  }
  if (!matching.length) {
    const avail = versions.slice(0, 8).join(', ') || 'none';
    throw new PackageProblem(PACKAGE_ERRORS.NO_MATCHING_VERSION,
      `No version of ${name} matches ${req.specifier || 'the request'}${parent ? ` (${parent} requires it)` : ''}; the index has ${avail}. Ask for one of those versions.`,
      { package: name, wanted: req.specifier, available: versions, by: parent ?? null });
  }
  const newest = order[0] ?? matching[0];
  const builds = wheels.filter((x) => x.w.version === newest).map((x) => describeTags(x.file.filename));
  throw new PackageProblem(PACKAGE_ERRORS.NO_BROWSER_BUILD,
    `${name} ${newest} has compiled code with no build for the browser (${builds.length ? `its wheels are for ${builds.join(', ')}` : 'it has only a source distribution'}), so it cannot be installed here. Look for a pure-Python alternative, or a package in Pyodide's own list.`,
    { package: name, version: newest, wheels: builds, by: parent ?? null });
}

function versionOfSdist(filename) {
  const m = /^(.+)-([^-]+)\.(tar\.gz|zip|tar\.bz2)$/.exec(String(filename ?? ''));
  return m ? m[2] : null;
}
