// Which wheels can run in this Pyodide. Pure.
//
// A wheel's name is {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl
// (each tag may be a '.'-joined set). It runs here when it is
//   - pure Python: platform 'any', abi 'none', python py3 / py3X / cp3X (X ≤ the running minor), or
//   - built for this Pyodide: platform pyodide_{abi_version}_wasm32 or
//     emscripten_{platform version}_wasm32, abi cp3Y (Y = the running minor) or abi3 / none.
// Anything else (manylinux, macosx, win, another Pyodide ABI) is compiled
// code with no browser build.

import { normalizeName } from './pep508.mjs';

/** {name, key, version, build, python: [], abi: [], platform: []} or null for a name that is not a wheel's. */
export function parseWheelName(filename) {
  const m = /^([^-]+)-([^-]+)(?:-(\d[^-]*))?-([^-]+)-([^-]+)-([^-]+)\.whl$/.exec(String(filename ?? ''));
  if (!m) return null;
  return {
    name: m[1], key: normalizeName(m[1]), version: m[2], build: m[3] ?? '',
    python: m[4].split('.'), abi: m[5].split('.'), platform: m[6].split('.'),
  };
}

/**
 * The runtime's tags. lockInfo: the lock file's `info` ({abi_version: '2026_0',
 * platform: 'emscripten_5_0_3', python: '3.14.2', arch: 'wasm32'}).
 */
export function runtimeTags(lockInfo = {}) {
  const [, minor] = String(lockInfo.python ?? '3.14').split('.');
  const arch = lockInfo.arch ?? 'wasm32';
  const platforms = [];
  if (lockInfo.abi_version) platforms.push(`pyodide_${lockInfo.abi_version}_${arch}`);
  if (lockInfo.platform) platforms.push(`${String(lockInfo.platform).replace(/\./g, '_')}_${arch}`);
  return { minor: Number(minor), cp: `cp3${minor}`, platforms };
}

/**
 * 'pure' | 'platform' (a browser build for this Pyodide) | null (cannot run here).
 */
export function wheelSupport(filename, tags) {
  const w = parseWheelName(filename);
  if (!w) return null;
  const pyOk = (py) => py === 'py3' || (/^(py|cp)3(\d+)$/.test(py) && Number(/(\d+)$/.exec(py)[1].slice(1)) <= tags.minor);
  if (w.platform.includes('any') && w.abi.includes('none') && w.python.some(pyOk)) return 'pure';
  if (w.platform.some((p) => tags.platforms.includes(p))) {
    if (w.abi.includes(tags.cp) && w.python.includes(tags.cp)) return 'platform';
    if ((w.abi.includes('abi3') || w.abi.includes('none')) && w.python.some(pyOk)) return 'platform';
  }
  return null;
}

/** How a wheel's tags read to a person ('linux_x86_64', 'cp312 for macosx_11_0_arm64'). */
export const describeTags = (filename) => {
  const w = parseWheelName(filename);
  return w ? `${w.python.join('.')}-${w.abi.join('.')}-${w.platform.join('.')}` : String(filename);
};
