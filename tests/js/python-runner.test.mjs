// The Python runner (js_glue/python/runner.mjs + ci_runtime.py) with REAL
// Pyodide, in this thread: running cells, output, errors, display(), files,
// wheels. One interpreter for the whole file (Pyodide takes ~2 s to load),
// so the tests share globals as a notebook would; each uses its own names.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadPyodide } from 'pyodide';
import { createRunner } from '../../js_glue/python/runner.mjs';
import { makeWheel, makeZip } from '../fixtures/python/wheel.mjs';

const RUNTIME = fs.readFileSync(new URL('../../js_glue/python/ci_runtime.py', import.meta.url), 'utf8');
const enc = new TextEncoder();
const dec = new TextDecoder();

let events = [];
let runnerPromise;
function runner() {
  runnerPromise ??= (async () => {
    const t0 = Date.now();
    const r = await createRunner({ loadPyodide, runtimeSource: RUNTIME, onEvent: (e) => events.push(e) });
    console.log(`# Pyodide + runner ready in ${Date.now() - t0} ms (in-thread)`);
    return r;
  })();
  return runnerPromise;
}

let n = 0;
async function run(code, files) {
  const r = await runner();
  events = [];
  return r.run({ exec_id: `t${++n}`, code, files });
}

const PNG_CELL = `
import struct, zlib
def make_png(w, h, rgb):
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\\x00" + bytes(rgb) * w for _ in range(h))
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
class Picture:
    def __init__(self, w, h): self.w, self.h = w, h
    def _repr_png_(self): return make_png(self.w, self.h, (255, 0, 0))
    def __repr__(self): return f"<Picture {self.w}x{self.h}>"
`;

test('runner info names Python 3.14 and Pyodide 314, and the lock file packages', async () => {
  const r = await runner();
  assert.match(r.info.python, /^3\.14/);
  assert.match(r.info.pyodide, /^314\./);
  assert.ok(r.info.packages.includes('numpy'), 'the lock file lists numpy');
});

test('globals persist between runs; the last expression is the result, as Jupyter shows it', async () => {
  let res = await run('a_value = 20\nb_value = a_value + 1\nb_value * 2');
  assert.equal(res.status, 'ok');
  assert.equal(res.ok, true);
  assert.equal(res.result, '42');
  res = await run('a_value + b_value');
  assert.equal(res.result, '41');
  res = await run('c_value = 3'); // an assignment shows nothing
  assert.equal(res.result, null);
  res = await run('c_value;'); // a trailing semicolon hides the value
  assert.equal(res.result, null);
  res = await run('"text"');
  assert.equal(res.result, "'text'");
  res = await run('None');
  assert.equal(res.result, null);
  res = await run('_'); // the last shown value, like IPython
  assert.equal(res.result, "'text'");
  res = await run('import os\nos.getcwd()');
  assert.equal(res.result, "'/mnt/data'");
});

test('top-level await works', async () => {
  const res = await run('import asyncio\nawait asyncio.sleep(0.01)\nasync def f():\n    return 7\nawait f()');
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.equal(res.result, '7');
});

// run_cell compiles a cell's statements and its last expression apart
// (ci_runtime.py, _Cell): each shape of cell keeps what a notebook shows.
test('the cell\'s value: await in either part, ";" only at the very end, indented text, statements only', async () => {
  const cases = [
    ['import asyncio\nawait_v = await asyncio.sleep(0, 5)\nawait_v + 1', '6'], // await in the statements only
    ['import asyncio\nsync_v = 2\nawait asyncio.sleep(0, sync_v * 4)', '8'], // await in the last expression only
    ['x_semi = [1, 2]  # a comment ;', '[1, 2]'.replace('[1, 2]', 'null')], // an assignment: nothing, whatever the comment says
    ['[1, 2]  # a comment ;', '[1, 2]'], // ";" in a comment does not hide the value
    ['y_semi = 4; y_semi', '4'], // ";" between statements does not either
    ['y_semi * 2 ;', null], // a trailing ";" (after spaces) does
    ['    z_ind = 3\n    z_ind + 1', '4'], // mis-indented text, as pasted from a function
    ['if True:\n    9', null], // the last statement is not an expression
    ['', null],
    ['# only a comment', null],
  ];
  for (const [code, want] of cases) {
    const res = await run(code);
    assert.equal(res.status, 'ok', `${JSON.stringify(code)}: ${JSON.stringify(res.error)}`);
    assert.equal(res.result, want === 'null' ? null : want, JSON.stringify(code));
  }
  // An error in the last expression points at its line of the cell.
  const res = await run('q_ok = 1\n\nq_ok / 0');
  assert.equal(res.error?.type, 'ZeroDivisionError');
  assert.match(res.error.traceback, /line 3/);
  assert.doesNotMatch(res.error.traceback, /ci_runtime|_base\.py/);
});

test('stdout and stderr are captured in order and streamed in batches, not per write', async () => {
  const res = await run('import sys\nfor i in range(20000):\n    print(i)\nprint("to stderr", file=sys.stderr)\nprint("end")');
  const expected = Array.from({ length: 20000 }, (_, i) => `${i}\n`).join('') + 'end\n';
  assert.equal(res.stdout, expected);
  assert.equal(res.stderr, 'to stderr\n');
  const textEvents = events.filter((e) => e.type === 'stdout' || e.type === 'stderr');
  assert.equal(textEvents.map((e) => (e.type === 'stdout' ? e.text : '')).join(''), expected, 'events carry the same text');
  assert.ok(textEvents.length < 200, `20000 prints went out in ${textEvents.length} events`);
  assert.ok(textEvents.every((e) => e.exec_id === `t${n}`));
  // Order across streams is kept: stderr's line sits between the numbers and "end".
  const kinds = textEvents.map((e) => e.type);
  const errAt = kinds.indexOf('stderr');
  assert.ok(errAt > 0 && kinds.slice(errAt + 1).every((k) => k === 'stdout'));
  assert.equal(textEvents.at(-1).text.endsWith('end\n'), true);
});

test('a print after a quiet spell goes out at once (before the code ends)', async () => {
  const r = await runner();
  const seen = [];
  const res = await (async () => {
    events = [];
    const p = r.run({ exec_id: 'quiet', code: 'import time\nprint("first")\ntime.sleep(0.3)\nprint("second")' });
    return p;
  })();
  for (const e of events) if (e.type === 'stdout') seen.push(e.text);
  assert.deepEqual(seen, ['first\n', 'second\n'], 'each print after a pause is its own event');
  assert.equal(res.stdout, 'first\nsecond\n');
});

test('output beyond the limit is cut with a clear note', async () => {
  const res = await run('print("x" * 3_000_000)');
  assert.ok(res.stdout.length < 2_100_000, `stdout is ${res.stdout.length} chars`);
  assert.match(res.stdout, /\[output truncated: \d+ bytes not shown\]/);
  const shown = res.stdout.replace(/\n\[output truncated.*\n$/s, '');
  assert.equal(shown.length, 2_000_000);
});

test('writes below Python (os.write to fd 1) are captured too', async () => {
  const res = await run('import os\nos.write(1, "fd ✓\\n".encode())\nos.write(2, b"fd2\\n")\nNone');
  assert.equal(res.stdout, 'fd ✓\n');
  assert.equal(res.stderr, 'fd2\n');
});

test('exceptions come back as {type, message, traceback} trimmed to the user code', async () => {
  const res = await run('def inner():\n    return {}["missing"]\n\ndef outer():\n    inner()\n\nouter()');
  assert.equal(res.status, 'error');
  assert.equal(res.ok, false);
  assert.equal(res.error.type, 'KeyError');
  assert.equal(res.error.message, "'missing'");
  const tb = res.error.traceback;
  assert.match(tb, /^Traceback \(most recent call last\):/);
  assert.match(tb, /File "<cell \d+>", line 7, in <module>\n\s+outer\(\)/);
  assert.match(tb, /line 2, in inner\n\s+return \{\}\["missing"\]/);
  assert.doesNotMatch(tb, /_pyodide|pyodide\/|\/opt\/ci|ci_runtime|webloop/);
  assert.match(tb, /KeyError: 'missing'\n$/);
  // A function defined in an earlier cell shows its own cell's line.
  const res2 = await run('outer()');
  assert.match(res2.error.traceback, /File "<cell \d+>", line 2, in inner/);
  assert.match(res2.error.traceback, /return \{\}\["missing"\]/);
});

test('a SyntaxError is shown the way Python shows it', async () => {
  const res = await run('x = 1\nprint("a"\n');
  assert.equal(res.error.type, 'SyntaxError');
  assert.match(res.error.message, /'\(' was never closed \(line 2\)/);
  assert.match(res.error.traceback, /File "<cell \d+>", line 2\n\s+print\("a"\n\s+\^/);
  assert.doesNotMatch(res.error.traceback, /_pyodide|Traceback/);
});

test('input() fails at once with a clear message, and sys.stdin too', async () => {
  const t0 = Date.now();
  let res = await run('name = input("Your name? ")');
  assert.ok(Date.now() - t0 < 2000);
  assert.equal(res.error.type, 'RuntimeError');
  assert.match(res.error.message, /input\(\) is not supported: the code runs without a keyboard; put the values in the code/);
  assert.equal(res.stdout, 'Your name? ');
  res = await run('import sys\nsys.stdin.readline()');
  assert.equal(res.error.type, 'RuntimeError');
});

test('sys.exit() ends the cell, not the interpreter', async () => {
  await run('survivor = "still here"');
  let res = await run('import sys\nprint("before")\nsys.exit(0)\nprint("after")');
  assert.equal(res.status, 'ok');
  assert.equal(res.stdout, 'before\n');
  assert.match(res.stderr, /sys\.exit\(\) ended the code early/);
  res = await run('import sys\nsys.exit(3)');
  assert.equal(res.status, 'error');
  assert.equal(res.error.type, 'SystemExit');
  assert.match(res.error.message, /sys\.exit\(3\)/);
  res = await run('exit()');
  assert.equal(res.status, 'ok');
  res = await run('survivor');
  assert.equal(res.result, "'still here'");
});

test('deep recursion gives RecursionError, and a huge recursion limit is capped instead of crashing', async () => {
  let res = await run('def rec(): rec()\nrec()');
  assert.equal(res.error.type, 'RecursionError');
  assert.ok(res.error.traceback.length < 5000, 'repeated frames are collapsed');
  res = await run('import sys\nsys.setrecursionlimit(10**6)\ndef deep(n): return deep(n + 1)\ndeep(0)');
  assert.equal(res.error.type, 'RecursionError');
  assert.match(res.stderr, /lowered to 10000/);
  res = await run('1 + 1');
  assert.equal(res.result, '2');
});

test('display(): PNG, SVG, HTML, Markdown, JSON, mime bundles, raw bundles, in order with print', async () => {
  await run(PNG_CELL);
  const res = await run(`
class Svg:
    def _repr_svg_(self): return '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'
class Html:
    def _repr_html_(self): return "<table><tr><td>1</td></tr></table>"
class Md:
    def _repr_markdown_(self): return "**bold**"
class Js:
    def _repr_json_(self): return {"a": [1, 2]}
class Bundle:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": "<i>bundle</i>", "text/plain": "bundle"}
print("before")
display(Picture(3, 2))
display(Svg(), Html())
display(Md())
display(Js())
display(Bundle())
display({"text/html": "<b>raw</b>", "text/plain": "raw"}, raw=True)
display(42)
print("after")
`);
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  const mimes = res.outputs.map((o) => o.mime);
  assert.deepEqual(mimes, ['image/png', 'image/svg+xml', 'text/html', 'text/markdown', 'application/json', 'text/html', 'text/html', 'text/plain']);
  const png = Buffer.from(res.outputs[0].data, 'base64');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a real PNG');
  assert.equal(png.readUInt32BE(16), 3, 'width 3');
  assert.equal(png.readUInt32BE(20), 2, 'height 2');
  assert.match(res.outputs[1].data, /^<svg/);
  assert.equal(JSON.parse(res.outputs[4].data).a[1], 2);
  assert.equal(res.outputs[5].data, '<i>bundle</i>');
  assert.equal(res.outputs[6].data, '<b>raw</b>');
  assert.equal(res.outputs[7].data, '42');
  // Events went out as they happened, between the prints.
  const order = events.map((e) => (e.type === 'output' ? e.mime : e.type === 'stdout' ? `stdout:${e.text}` : e.type));
  assert.equal(order[0], 'stdout:before\n');
  assert.equal(order[1], 'image/png');
  assert.equal(order.at(-1), 'stdout:after\n');
});

test('a rich last expression gives its repr as result and its rich form as an output (execute_result)', async () => {
  const res = await run('Picture(2, 2)');
  assert.equal(res.result, '<Picture 2x2>');
  assert.equal(res.outputs.length, 1);
  assert.equal(res.outputs[0].mime, 'image/png');
  const plain = await run('[1, 2, 3]');
  assert.equal(plain.outputs.length, 0, 'plain values are only a result');
});

test('a broken _repr_html_ does not break the cell', async () => {
  const res = await run('class Bad:\n    def _repr_html_(self): raise ValueError("nope")\n    def __repr__(self): return "Bad()"\nBad()');
  assert.equal(res.status, 'ok');
  assert.equal(res.result, 'Bad()');
  assert.match(res.stderr, /_repr_html_ of Bad failed/);
});

test('IPython.display works without IPython (HTML, Markdown, SVG, Image, display)', async () => {
  const res = await run(`
from IPython.display import display, HTML, Markdown, SVG, Image
display(HTML("<p>hi</p>"))
display(Markdown("# T"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"/>'))
display(Image(data=make_png(1, 1, (0, 0, 255))))
`);
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.deepEqual(res.outputs.map((o) => o.mime), ['text/html', 'text/markdown', 'image/svg+xml', 'image/png']);
});

test('matplotlib hook: our backend is selected, open figures become PNGs and are closed', async () => {
  // matplotlib itself cannot load here (no CDN); a stand-in pyplot module
  // exercises the hook the way matplotlib would be driven.
  const res = await run(`
import os, sys, types
backend = os.environ["MPLBACKEND"]
fake = types.ModuleType("matplotlib.pyplot")
class Fig:
    def __init__(self, n): self.n = n
    def savefig(self, buf, format=None, **kw):
        assert format == "png"
        buf.write(make_png(self.n, 1, (0, 255, 0)))
fake._figs = {1: Fig(1), 2: Fig(2)}
fake.get_fignums = lambda: sorted(fake._figs)
fake.figure = lambda n: fake._figs[n]
fake.close = lambda which: fake._figs.clear()
sys.modules["matplotlib.pyplot"] = fake
print("drawn")
backend
`);
  assert.equal(res.result, "'module://ci_mpl_backend'");
  assert.deepEqual(res.outputs.map((o) => o.mime), ['image/png', 'image/png']);
  assert.equal(Buffer.from(res.outputs[1].data, 'base64').readUInt32BE(16), 2, 'figure 2 is 2 px wide');
  const after = await run('len(sys.modules["matplotlib.pyplot"]._figs)');
  assert.equal(after.result, '0', 'figures were closed');
  assert.equal(after.outputs.length, 0);
  // plt.show() through our backend module emits at once.
  const shown = await run(`
fake._figs[3] = Fig(3)
import ci_runtime
ci_runtime.show_figures()
print("after show")
`);
  assert.equal(shown.outputs.length, 1);
  assert.ok(fs.readFileSync(new URL('../../js_glue/python/ci_runtime.py', import.meta.url), 'utf8').includes('def show('));
  await run('del sys.modules["matplotlib.pyplot"]');
});

test('files: written before the run, changes reported after (created, modified, deleted); unicode and nested names', async () => {
  let res = await run('import os\nsorted(os.listdir("."))', {
    write: [
      { path: '日本語.csv', bytes: enc.encode('a,b\n1,2\n') },
      { path: 'deep/er/😀 emoji.txt', bytes: enc.encode('smile') },
      { path: 'keep.txt', bytes: enc.encode('same') },
      { path: 'same-size.txt', bytes: enc.encode('AAAA') },
    ],
    delete: [],
  });
  assert.equal(res.status, 'ok');
  assert.match(res.result, /日本語\.csv/);
  assert.deepEqual(res.files, { created: [], modified: [], deleted: [] }, 'files the host wrote are not reported back');

  res = await run(`
with open("日本語.csv", "a") as f: f.write("3,4\\n")
with open("same-size.txt", "w") as f: f.write("BBBB")
os.makedirs("out/sub", exist_ok=True)
with open("out/sub/結果.txt", "w") as f: f.write("done")
os.remove("deep/er/😀 emoji.txt")
open("/tmp/outside.txt", "w").write("secret")
os.symlink("/tmp/outside.txt", "link-to-outside.txt")
os.symlink("/etc", "etc-link")
`);
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.deepEqual(res.files.created.map((f) => f.path), ['out/sub/結果.txt']);
  assert.equal(dec.decode(res.files.created[0].bytes), 'done');
  assert.deepEqual(res.files.modified.map((f) => f.path).sort(), ['same-size.txt', '日本語.csv']);
  assert.equal(dec.decode(res.files.modified.find((f) => f.path === 'same-size.txt').bytes), 'BBBB');
  assert.equal(dec.decode(res.files.modified.find((f) => f.path === '日本語.csv').bytes), 'a,b\n1,2\n3,4\n');
  assert.deepEqual(res.files.deleted, ['deep/er/😀 emoji.txt']);
  const all = JSON.stringify(res.files.created.concat(res.files.modified).map((f) => [f.path, dec.decode(f.bytes)]));
  assert.doesNotMatch(all, /secret|outside|etc-link/, 'nothing from outside /mnt/data comes back');
  assert.match(res.stderr, /symbolic links .* not saved: .*etc-link/);

  // Nothing changed: nothing reported, and the symlink note is not repeated.
  res = await run('1');
  assert.deepEqual(res.files, { created: [], modified: [], deleted: [] });
  assert.equal(res.stderr, '');

  // The host deletes and rewrites; a directory in the way of a file is replaced.
  res = await run('open("keep.txt").read(), os.path.exists("out")', {
    write: [{ path: 'keep.txt', bytes: enc.encode('new version') }],
    delete: ['日本語.csv'],
  });
  assert.equal(res.result, "('new version', True)");
  assert.deepEqual(res.files, { created: [], modified: [], deleted: [] });
  res = await run('os.path.exists("日本語.csv")');
  assert.equal(res.result, 'False');
});

test('files: the scan notices every kind of change (same-size rewrite, rename, copy over, utime, mmap, a tree removed), and 1,000 untouched files stay quiet', async () => {
  const many = Array.from({ length: 1000 }, (_, i) => ({ path: `many/f${i}.txt`, bytes: enc.encode(`file ${i}`) }));
  let res = await run('pass', {
    write: [...many, ...['a', 'b', 'c', 'd', 'e'].map((n) => ({ path: `${n}.txt`, bytes: enc.encode(`${n}${n}${n}`) })),
      { path: 'tree/x/y.txt', bytes: enc.encode('y') }],
    delete: [],
  });
  assert.deepEqual(res.files, { created: [], modified: [], deleted: [] });
  res = await run('1+1');
  assert.deepEqual(res.files, { created: [], modified: [], deleted: [] }, 'nothing touched: nothing reported');
  res = await run(`
import os, shutil, mmap
open("a.txt", "r+").write("AAA")                  # same size, same second
os.rename("b.txt", "b2.txt")
shutil.copyfile("many/f1.txt", "c.txt")
os.utime("d.txt")
with open("e.txt", "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    m[0:1] = b"E"
    m.flush()
    m.close()
shutil.rmtree("tree")
`);
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.deepEqual(res.files.created.map((f) => f.path), ['b2.txt']);
  assert.deepEqual(res.files.modified.map((f) => f.path), ['a.txt', 'c.txt', 'd.txt', 'e.txt']);
  assert.equal(dec.decode(res.files.modified[0].bytes), 'AAA');
  assert.equal(dec.decode(res.files.modified[1].bytes), 'file 1');
  assert.equal(dec.decode(res.files.modified[3].bytes), 'Eee');
  assert.deepEqual(res.files.deleted, ['b.txt', 'tree/x/y.txt']);
  res = await run('import shutil\nshutil.rmtree("many")\nopen("a.txt").read()');
  assert.equal(res.result, "'AAA'");
  assert.equal(res.files.deleted.length, 1000);
  assert.deepEqual(res.files.created.concat(res.files.modified), []);
});

test('files: a path outside /mnt/data in a request is refused, not written', async () => {
  const res = await run('import os\nos.path.exists("/tmp/evil.txt")', {
    write: [{ path: '../../tmp/evil.txt', bytes: enc.encode('x') }, { path: '/etc/evil', bytes: enc.encode('x') }],
    delete: [],
  });
  assert.equal(res.result, 'False');
  assert.match(res.stderr, /\[file not written\] \.\.\/\.\.\/tmp\/evil\.txt: not a path inside \/mnt\/data/);
});

test('installWheel: a pure-Python wheel built here installs and imports', async () => {
  const r = await runner();
  const wheel = makeWheel({ name: 'ci_tiny', modules: { 'ci_tiny/__init__.py': 'def greet(who):\n    return f"hello {who}"\n' } });
  const out = await r.installWheel({ filename: wheel.filename, bytes: wheel.bytes });
  assert.deepEqual(out, { ok: true, name: 'ci_tiny' });
  const res = await run('import ci_tiny\nci_tiny.greet("wheel")');
  assert.equal(res.result, "'hello wheel'");
  const meta = await run('import importlib.metadata as m\nm.version("ci_tiny")');
  assert.equal(meta.result, "'1.0.0'");
});

test('installWheel refuses compiled, malformed and non-wheel files with a reason', async () => {
  const r = await runner();
  const binary = makeWheel({ name: 'ci_bin', modules: { 'ci_bin/__init__.py': '' }, tag: 'cp314-cp314-linux_x86_64' });
  let out = await r.installWheel({ filename: binary.filename, bytes: binary.bytes });
  assert.equal(out.ok, false);
  assert.match(out.error, /compiled code/);
  out = await r.installWheel({ filename: 'ci_bad-1.0-py3-none-any.whl', bytes: enc.encode('not a zip') });
  assert.equal(out.ok, false);
  assert.match(out.error, /not a valid wheel/);
  out = await r.installWheel({ filename: 'ci_nowheel-1.0-py3-none-any.whl', bytes: makeZip({ 'ci_nowheel.py': 'x=1' }) });
  assert.equal(out.ok, false);
  assert.match(out.error, /no \.dist-info\/WHEEL/);
  out = await r.installWheel({ filename: 'archive.zip', bytes: makeZip({ 'a.py': '' }) });
  assert.equal(out.ok, false);
  assert.match(out.error, /not a wheel file name/);
});

const NO_NETWORK = 'it is not installed in this sandbox and there is no network to install it; use the standard library or the packages listed as available';

test('an import that is not available says so clearly (no package host: no network to install it)', async () => {
  const res = await run('import surely_not_a_module_xyz');
  assert.equal(res.error.type, 'ModuleNotFoundError');
  assert.equal(res.error.message, `No module named 'surely_not_a_module_xyz' (${NO_NETWORK})`);
});

test('the missing-module hint says what the host said of a package index: none, one (how to install), or a failed offer (why)', async () => {
  const PACKAGES = fs.readFileSync(new URL('../../js_glue/python/ci_packages.py', import.meta.url), 'utf8');
  let reply = null; // the host's answer to the next package request
  const asked = [];
  const r = await createRunner({
    loadPyodide, runtimeSource: RUNTIME, packagesSource: PACKAGES, onEvent: () => {},
    requestPackages: async (request) => { asked.push(request.requirements); return reply; },
  });
  const message = async (code) => (await r.run({ exec_id: `h${++n}`, code })).error?.message;

  // Nothing said yet (an importlib call is not offered before the cell): both ways are named.
  let m = await message('import importlib\nimportlib.import_module("yaml")');
  assert.deepEqual(asked, [], 'no offer for a dynamic import');
  assert.match(m, /^No module named 'yaml' \(it is not installed in this sandbox, and Python has no network; if a package index is configured, `%pip install pyyaml`/);

  // The host has no index: no network, as without a host.
  reply = { ok: false, error: { code: 'not_configured', message: 'No package index is configured.' } };
  m = await message('import ci_hint_missing');
  assert.deepEqual(asked, [['ci_hint_missing']], 'the missing import was offered');
  assert.equal(m, `No module named 'ci_hint_missing' (${NO_NETWORK})`);

  // The offer failed: the error says why.
  reply = { ok: false, error: { code: 'declined', message: 'Not installed: the user declined ci-hint-missing 1.0.' } };
  m = await message('import ci_hint_missing');
  assert.equal(m, "No module named 'ci_hint_missing' (Not installed: the user declined ci-hint-missing 1.0.)");

  // An index is configured and the import was not offered: how to install it, and no "no network to install it".
  m = await message('import importlib\nimportlib.import_module("ci_hint_dynamic")');
  assert.equal(m, "No module named 'ci_hint_dynamic' (it is not installed in this sandbox; install it from the configured package index: "
    + '`%pip install ci_hint_dynamic` at the start of a cell, or `await micropip.install("ci_hint_dynamic")`; the page fetches it and the user is asked first)');
  assert.equal(asked.length, 2, 'no offer for it');

  // A missing submodule of a package that is installed: no word about installing.
  m = await message('import pyodide.ci_no_such_submodule');
  assert.equal(m, "No module named 'pyodide.ci_no_such_submodule'");
});

test('a memory snapshot made after setup restarts a ready runner fast (cwd, streams, display intact)', async () => {
  let t0 = Date.now();
  const maker = await createRunner({ loadPyodide, runtimeSource: RUNTIME, pyodideOptions: { _makeSnapshot: true } });
  const snapshot = maker.makeSnapshot();
  const plainMs = Date.now() - t0;
  assert.ok(snapshot instanceof Uint8Array && snapshot.length > 1_000_000);
  t0 = Date.now();
  const fast = await createRunner({ loadPyodide, runtimeSource: RUNTIME, pyodideOptions: { _loadSnapshot: snapshot } });
  const snapMs = Date.now() - t0;
  console.log(`# plain load + snapshot ${plainMs} ms; load from snapshot ${snapMs} ms (${(snapshot.length / 1e6).toFixed(1)} MB)`);
  const res = await fast.run({ exec_id: 'snap', code: 'import os\nprint("hi")\ndisplay({"text/html": "<b>x</b>"}, raw=True)\nopen("f.txt", "w").write("1")\nos.getcwd()' });
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.equal(res.result, "'/mnt/data'");
  assert.equal(res.stdout, 'hi\n');
  assert.equal(res.outputs[0].data, '<b>x</b>');
  assert.deepEqual(res.files.created.map((f) => f.path), ['f.txt']);
});
