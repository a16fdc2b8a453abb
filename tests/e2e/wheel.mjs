// Builds a tiny pure-Python wheel in memory (a stored, uncompressed zip), so
// the package tests need no pip and no network.
import zlib from 'node:zlib';
import crypto from 'node:crypto';

function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A wheel for package `name` whose module defines VALUE = value. */
export function buildWheel(name, version, value) {
  const dist = `${name}-${version}.dist-info`;
  const files = {
    [`${name}/__init__.py`]: `VALUE = ${JSON.stringify(value)}\n`,
    [`${dist}/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
    [`${dist}/WHEEL`]: 'Wheel-Version: 1.0\nGenerator: ci-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    [`${dist}/top_level.txt`]: `${name}\n`,
  };
  const record = Object.keys(files).map((f) => `${f},,`).concat(`${dist}/RECORD,,`).join('\n') + '\n';
  files[`${dist}/RECORD`] = record;
  const bytes = zip(files);
  return {
    fileName: `${name}-${version}-py3-none-any.whl`,
    bytes,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
  };
}

/** A lock-file entry for a wheel built above. */
export function lockEntry(name, version, fileName, sha256) {
  return {
    name, version, file_name: fileName, install_dir: 'site', sha256, package_type: 'package',
    imports: [name], depends: [], unvendored_tests: false, tool: {},
  };
}
