// Requirements (PEP 508) and environment markers, evaluated for the running
// Pyodide. Pure: no I/O. Versions and specifiers are PEP 440, through
// @renovatebot/pep440 (a kept library; only PEP 508's grammar is written here).
//
//   parseRequirement('name[extra]>=1.2; python_version >= "3.8"')
//     → { name, extras: ['extra'], specifier: '>=1.2', marker: <tree>|null, url: null }
//   evaluateMarker(tree, env, extra) → boolean
//   pyodideEnvironment({python: '3.14.2'}) → the marker variables of Pyodide

import pep440 from '@renovatebot/pep440';

// PEP 503 normalized names (lower case, runs of -_. as one -): policy.mjs's.
import { normalizeName } from './policy.mjs';

export { normalizeName };

export class RequirementError extends Error {
  constructor(message) { super(message); this.name = 'RequirementError'; }
}

const NAME_RE = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;

/** Parses one PEP 508 requirement string. Throws RequirementError with a reason. */
export function parseRequirement(text) {
  const src = String(text ?? '');
  const [head, ...markerParts] = splitMarker(src);
  const m = NAME_RE.exec(head);
  if (!m) throw new RequirementError(`"${src.trim()}" is not a package requirement (expected a name such as requests or requests>=2)`);
  let rest = head.slice(m[0].length);
  const name = m[1];
  let extras = [];
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new RequirementError(`"${src.trim()}": an extra is not closed with ]`);
    extras = rest.slice(1, close).split(',').map((e) => normalizeName(e.trim())).filter(Boolean);
    rest = rest.slice(close + 1).trim();
  }
  let url = null;
  let specifier = '';
  if (rest.startsWith('@')) {
    url = rest.slice(1).trim();
  } else {
    specifier = rest.trim().replace(/^\((.*)\)$/, '$1').replace(/\s+/g, '');
    if (specifier && !pep440.validRange(specifier)) {
      throw new RequirementError(`"${src.trim()}": "${specifier}" is not a version specifier (PEP 440, e.g. >=1.2,<2)`);
    }
  }
  const marker = markerParts.length ? parseMarker(markerParts.join(';')) : null;
  return { name, key: normalizeName(name), extras, specifier, marker, url };
}

/** Splits at the first ';' outside quotes (a URL may hold one only after a space). */
function splitMarker(src) {
  let quote = null;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quote) { if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === ';') return [src.slice(0, i), src.slice(i + 1)];
  }
  return [src];
}

// ---- markers -------------------------------------------------------------

const VARIABLES = new Set([
  'python_version', 'python_full_version', 'os_name', 'sys_platform', 'platform_release', 'platform_system',
  'platform_version', 'platform_machine', 'platform_python_implementation', 'implementation_name',
  'implementation_version', 'extra', 'os.name', 'sys.platform', 'platform.version', 'platform.machine',
  'platform.python_implementation', 'python_implementation',
]);
const VERSION_VARS = new Set(['python_version', 'python_full_version', 'implementation_version']);

function tokenize(text) {
  const tokens = [];
  const re = /\s*(?:(\()|(\))|(===|==|!=|~=|<=|>=|<|>|not\s+in\b|in\b|and\b|or\b)|("[^"]*"|'[^']*')|([A-Za-z_][A-Za-z0-9_.]*))/y;
  let i = 0;
  const s = text.trim();
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new RequirementError(`cannot read the marker "${s}" at "${s.slice(i)}"`);
    i = re.lastIndex;
    if (m[1]) tokens.push({ t: '(' });
    else if (m[2]) tokens.push({ t: ')' });
    else if (m[3]) tokens.push({ t: 'op', v: m[3].replace(/\s+/g, ' ') });
    else if (m[4]) tokens.push({ t: 'str', v: m[4].slice(1, -1) });
    else tokens.push({ t: 'var', v: m[5] });
  }
  return tokens;
}

/** Parses a marker expression into a tree: {and:[a,b]} | {or:[a,b]} | {op, left, right}. */
export function parseMarker(text) {
  const tokens = tokenize(text);
  let p = 0;
  const peek = () => tokens[p];
  const fail = () => { throw new RequirementError(`cannot read the marker "${text.trim()}"`); };
  const value = () => {
    const tok = tokens[p++];
    if (!tok) fail();
    if (tok.t === 'str') return { str: tok.v };
    if (tok.t === 'var' && VARIABLES.has(tok.v)) return { var: tok.v.replace('.', '_') === 'python_implementation' ? 'platform_python_implementation' : tok.v.replace('.', '_') };
    throw new RequirementError(`the marker "${text.trim()}" names an unknown variable "${tok.v ?? tok.t}"`);
  };
  const atom = () => {
    if (peek()?.t === '(') {
      p++;
      const e = orExpr();
      if (tokens[p++]?.t !== ')') fail();
      return e;
    }
    const left = value();
    const op = tokens[p++];
    if (op?.t !== 'op' || op.v === 'and' || op.v === 'or') fail();
    return { op: op.v, left, right: value() };
  };
  const andExpr = () => {
    let e = atom();
    while (peek()?.t === 'op' && peek().v === 'and') { p++; e = { and: [e, atom()] }; }
    return e;
  };
  const orExpr = () => {
    let e = andExpr();
    while (peek()?.t === 'op' && peek().v === 'or') { p++; e = { or: [e, andExpr()] }; }
    return e;
  };
  const tree = orExpr();
  if (p !== tokens.length) fail();
  return tree;
}

function compare(op, l, r, versions) {
  if (op === 'in') return r.includes(l);
  if (op === 'not in') return !r.includes(l);
  if (versions && pep440.valid(l) && pep440.valid(r) && op !== '===') {
    if (op === '~=') return pep440.satisfies(l, `~=${r}`);
    return pep440.satisfies(l, `${op}${r}`);
  }
  switch (op) {
    case '==': case '===': return l === r;
    case '!=': return l !== r;
    case '<': return l < r;
    case '<=': return l <= r;
    case '>': return l > r;
    case '>=': return l >= r;
    default: return false;
  }
}

/** Evaluates a marker tree for `env`; `extra` is the extra being resolved ('' for none). */
export function evaluateMarker(tree, env, extra = '') {
  if (!tree) return true;
  if (tree.and) return evaluateMarker(tree.and[0], env, extra) && evaluateMarker(tree.and[1], env, extra);
  if (tree.or) return evaluateMarker(tree.or[0], env, extra) || evaluateMarker(tree.or[1], env, extra);
  const side = (v) => (v.str !== undefined ? v.str : v.var === 'extra' ? extra : String(env[v.var] ?? ''));
  let l = side(tree.left);
  let r = side(tree.right);
  if (tree.left.var === 'extra' || tree.right.var === 'extra') { l = normalizeName(l); r = normalizeName(r); }
  const versions = VERSION_VARS.has(tree.left.var) || VERSION_VARS.has(tree.right.var);
  return compare(tree.op, l, r, versions);
}

/** The marker variables of the running Pyodide (python: its full version, e.g. '3.14.2'). */
export function pyodideEnvironment({ python = '3.14.0' } = {}) {
  const full = String(python).split(/\s/)[0];
  const [major, minor] = full.split('.');
  return {
    python_version: `${major}.${minor}`,
    python_full_version: full,
    implementation_version: full,
    os_name: 'posix',
    sys_platform: 'emscripten',
    platform_system: 'Emscripten',
    platform_machine: 'wasm32',
    platform_release: '',
    platform_version: '',
    platform_python_implementation: 'CPython',
    implementation_name: 'cpython',
  };
}

/** True when `version` satisfies `specifier` ('' satisfies all). Pre-releases only when asked for by the specifier. */
export function satisfies(version, specifier) {
  if (!specifier) return true;
  try { return pep440.satisfies(version, specifier, { prereleases: true }); } catch { return false; }
}

export const isPrerelease = (version) => {
  const p = pep440.parse(version);
  return Boolean(p && (p.pre || p.dev));
};

/** Newest first. */
export const sortVersionsDesc = (versions) => [...versions].filter((v) => pep440.valid(v)).sort((a, b) => pep440.rcompare(a, b));
