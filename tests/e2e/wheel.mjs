// Wheels and lock-file entries for the browser package tests, built in
// memory with the same zip writer as the Node tests (no pip, no network).
import { makeWheel } from '../fixtures/python/wheel.mjs';

/** A wheel for package `name` whose module defines VALUE = value. */
export function buildWheel(name, version, value) {
  const { filename, bytes, sha256 } = makeWheel({
    name,
    version,
    modules: { [`${name}/__init__.py`]: `VALUE = ${JSON.stringify(value)}\n` },
  });
  return { fileName: filename, bytes, sha256 };
}

/** A lock-file entry for a wheel built above. */
export function lockEntry(name, version, fileName, sha256) {
  return {
    name, version, file_name: fileName, install_dir: 'site', sha256, package_type: 'package',
    imports: [name], depends: [], unvendored_tests: false, tool: {},
  };
}
