// The headless CLI (js_glue/cli.mjs), spawned as a user would: cells run in
// order through the built core, the driver and NodeSandbox (real Pyodide).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../support/run-cli.mjs';


function workspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-cli-test-'));
  fs.mkdirSync(path.join(dir, 'data/nested'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data/nested/日本語.csv'), 'city,pop\nTokyo,14\nOsaka,3\n');
  fs.writeFileSync(path.join(dir, '1-load.py'), [
    'import csv',
    'with open("nested/日本語.csv") as f:',
    '    rows = list(csv.DictReader(f))',
    'print(len(rows), "rows")',
    'with open("summary.txt", "w") as f:',
    '    f.write(str(sum(int(r["pop"]) for r in rows)))',
    'rows[0]["city"]',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, '2-fail.py'), 'import os\nos.remove("summary.txt")\n1 / 0\n');
  fs.writeFileSync(path.join(dir, '3-display.py'), [
    'import base64, struct, zlib',
    'def chunk(k, d):',
    '    return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d) & 0xffffffff)',
    'png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\\x00\\x00")) + chunk(b"IEND", b"")',
    'class P:',
    '    def _repr_png_(self): return png',
    'display(P())',
    'len(rows)',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, '4-loop.py'), 'while True:\n    pass\n');
  fs.writeFileSync(path.join(dir, '5-after.py'), 'rows[1]["city"]\n');
  return dir;
}

test('cli run: cells in one session through the core, one JSON line each', async () => {
  const dir = workspace();
  try {
    const cells = ['1-load.py', '2-fail.py', '3-display.py', '4-loop.py', '5-after.py'].map((c) => path.join(dir, c));
    const t0 = Date.now();
    const { code, stdout, stderr } = await cli(['run', '--files', path.join(dir, 'data'), '--timeout-ms', '1500', ...cells]);
    console.log(`# cli: 5 cells in ${Date.now() - t0} ms (including Pyodide load)`);
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 5);
    const [load, fail, disp, loop, after] = lines;

    assert.equal(load.cell, '1-load.py');
    assert.equal(load.ok, true);
    assert.equal(load.stdout, '2 rows\n');
    assert.equal(load.result, "'Tokyo'");
    assert.equal(load.error, null);
    assert.deepEqual(load.files, { created: ['summary.txt'], modified: [], deleted: [] });
    assert.equal(typeof load.ms, 'number');

    assert.equal(fail.ok, false, 'a cell that raised is reported, the CLI goes on');
    assert.equal(fail.error.type, 'ZeroDivisionError');
    assert.match(fail.error.traceback, /1 \/ 0/);
    assert.deepEqual(fail.files.deleted, ['summary.txt']);

    assert.equal(disp.ok, true);
    assert.equal(disp.result, '2', 'variables carry over between cells');
    assert.equal(disp.outputs.length, 1);
    assert.equal(disp.outputs[0].mime, 'image/png');
    assert.equal(Buffer.from(disp.outputs[0].data, 'base64').subarray(1, 4).toString(), 'PNG');

    assert.equal(loop.ok, false);
    assert.equal(loop.status, 'timeout');
    assert.match(loop.error.message, /longer than the 1\.5 s limit and was stopped; variables are kept/);

    assert.equal(after.result, "'Osaka'", 'the session survived the time limit');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: bad usage exits 2 with a message', async () => {
  for (const args of [[], ['frobnicate'], ['run'], ['run', '--timeout-ms', 'soon', 'x.py'], ['run', '/nonexistent/cell.py']]) {
    const { code, stderr } = await cli(args);
    assert.equal(code, 2, `args ${JSON.stringify(args)}`);
    assert.match(stderr, /usage: node js_glue\/cli\.mjs run/);
  }
});

test('cli: a core that cannot load exits 1 with the reason', async () => {
  const dir = workspace();
  try {
    const { code, stderr, stdout } = await cli(['run', path.join(dir, '5-after.py')], { CI_WASM_BUILD: path.join(dir, 'no-build') });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /the core could not load/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
