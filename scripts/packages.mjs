#!/usr/bin/env node
// The offline package bundle (issue 14): copies chosen Pyodide packages —
// with every package they depend on, and the standard-library modules
// Pyodide ships as packages — from the Pyodide CDN or a mirror into the built
// site, checks each file's sha256 against the lock file, and points the
// site's config.json at the copy. An intranet or offline deployment then
// serves numpy, pandas and matplotlib itself.
//
//   npm run packages -- --from URL [--out DIR] name…
//     --from URL   a Pyodide package folder: URL/pyodide-lock.json and the files it names
//                  (default: Pyodide's CDN for this Pyodide version)
//     --out DIR    the built site (default dist/); files go to DIR/packages/
//   e.g. npm run packages -- --from https://mirror.example/pyodide/v314.0.7/full/ numpy pandas matplotlib
//
// DIR/packages/pyodide-lock.json is the mirror's whole lock file (names keep
// resolving; a package left out answers "not found" with its name), and
// DIR/config.json gets packageBaseURL "packages/" and lockFileURL
// "packages/pyodide-lock.json". Exit: 0 done, 1 failed (the message names
// the package), 2 bad usage.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PACKAGE_BASE_URL } from '../js_glue/sandbox/assets.mjs';
import { normalizeName } from '../js_glue/packages/pep508.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

class UsageError extends Error {}

export function parseArgs(argv) {
  const o = { from: DEFAULT_PACKAGE_BASE_URL, out: path.join(ROOT, 'dist'), names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from' || a === '--out') {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      o[a.slice(2)] = argv[++i];
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else o.names.push(a);
  }
  if (!o.names.length) throw new UsageError('name at least one package (e.g. numpy pandas matplotlib)');
  try { o.from = new URL(o.from.endsWith('/') ? o.from : `${o.from}/`).href; } catch { throw new UsageError(`--from ${o.from} is not a URL`); }
  return o;
}

/** The lock keys to copy: the names asked for, what they depend on, and Pyodide's stdlib modules. */
export function closure(lock, names) {
  const packages = lock.packages ?? {};
  const byName = new Map(Object.entries(packages).map(([k, p]) => [normalizeName(p.name ?? k), k]));
  const out = new Set();
  const visit = (name, by) => {
    const key = packages[name] ? name : byName.get(normalizeName(name));
    if (!key) throw new Error(`${name} is not in the lock file at --from${by ? ` (${by} depends on it)` : ''}; only packages of that Pyodide package list can be bundled`);
    if (out.has(key)) return;
    out.add(key);
    for (const d of packages[key].depends ?? []) visit(d, packages[key].name);
  };
  for (const n of names) visit(n, null);
  for (const [k, p] of Object.entries(packages)) if (p.package_type === 'cpython_module') out.add(k);
  return [...out];
}

async function get(url, what) {
  let r;
  try {
    r = await fetch(url, { signal: AbortSignal.timeout(120000) });
  } catch (error) {
    throw new Error(`${what}: could not reach ${url} (${error?.cause?.message ?? error.message}); is the mirror up?`);
  }
  if (!r.ok) throw new Error(`${what}: ${url} answered HTTP ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
}

export async function bundle({ from, out, names }, log = (s) => process.stdout.write(s)) {
  const lockBytes = await get(new URL('pyodide-lock.json', from).href, 'the lock file');
  const lock = JSON.parse(lockBytes.toString('utf8'));
  const keys = closure(lock, names);
  const dir = path.join(out, 'packages');
  fs.mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (const key of keys) {
    const p = lock.packages[key];
    const target = path.join(dir, p.file_name);
    if (fs.existsSync(target) && createHash('sha256').update(fs.readFileSync(target)).digest('hex') === p.sha256) continue;
    const data = await get(new URL(p.file_name, from).href, p.name);
    const sha = createHash('sha256').update(data).digest('hex');
    if (sha !== String(p.sha256).toLowerCase()) {
      throw new Error(`${p.name}: ${p.file_name} does not match the lock file's sha256 (expected ${p.sha256}, got ${sha}); nothing of it was written`);
    }
    fs.writeFileSync(target, data);
    bytes += data.length;
  }
  fs.writeFileSync(path.join(dir, 'pyodide-lock.json'), lockBytes);
  const configPath = path.join(out, 'config.json');
  let config = {};
  try { config = JSON.parse(fs.readFileSync(configPath, 'utf8')); } catch { /* none yet */ }
  fs.writeFileSync(configPath, `${JSON.stringify({ ...config, packageBaseURL: 'packages/', lockFileURL: 'packages/pyodide-lock.json' }, null, 2)}\n`);
  log(`bundled ${keys.length} package files (${(bytes / 1e6).toFixed(1)} MB downloaded) into ${dir}: ${names.join(', ')} and what they need; ${configPath} points there\n`);
  return { keys, dir };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`packages: ${error.message}\nusage: npm run packages -- --from URL [--out DIR] name…\n`);
    process.exit(2);
  }
  bundle(o).catch((error) => {
    process.stderr.write(`packages: ${error.message}\n`);
    process.exit(1);
  });
}
