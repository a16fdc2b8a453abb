// Tables from Python, on REAL Pyodide (runner.mjs + ci_runtime.py): a
// DataFrame / Series (a stand-in shaped after pandas' API, since pandas
// cannot be loaded here: tests/fixtures/python/frame_standin.py), lists of
// dicts, csv.DictReader rows, lists with a header and dicts of columns
// become one application/vnd.dataresource+json output (Table Schema) with
// total_rows, a row cap and a byte cap, valid JSON (no NaN tokens), and a
// pandas-like text/plain preview for the model.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadPyodide } from 'pyodide';
import { createRunner } from '../../js_glue/python/runner.mjs';

const RUNTIME = fs.readFileSync(new URL('../../js_glue/python/ci_runtime.py', import.meta.url), 'utf8');
const STANDIN = fs.readFileSync(new URL('../fixtures/python/frame_standin.py', import.meta.url), 'utf8');
const TABLE = 'application/vnd.dataresource+json';

let runnerPromise;
function runner() {
  runnerPromise ??= createRunner({ loadPyodide, runtimeSource: RUNTIME, onEvent: () => {} });
  return runnerPromise;
}
let n = 0;
async function run(code) {
  const r = await runner();
  const res = await r.run({ exec_id: `tbl${++n}`, code });
  assert.equal(res.status, 'ok', `the cell should run: ${JSON.stringify(res.error)}\n${res.stderr}`);
  return res;
}
/** The one table output of a run, parsed (JSON.parse rejects NaN / Infinity tokens). */
function tableOf(res) {
  const tables = res.outputs.filter((o) => o.mime === TABLE);
  assert.equal(tables.length, 1, `one table output expected, got ${res.outputs.map((o) => o.mime)}`);
  return { ...tables[0], body: JSON.parse(tables[0].data) };
}
const names = (body) => body.schema.fields.map((f) => f.name);
const types = (body) => Object.fromEntries(body.schema.fields.map((f) => [f.name, f.type]));

test('setup: the DataFrame stand-in is importable as a module', async () => {
  const r = await runner();
  r.pyodide.FS.writeFile('/tmp/frame_standin.py', STANDIN);
  await run('import sys\nsys.path.insert(0, "/tmp")\nimport frame_standin as pd');
});

test('display(DataFrame) sends a Table Schema bundle: index + columns, pandas dtypes as types, NaN/NaT → null, datetimes → ISO; text/plain is its repr', async () => {
  const res = await run(`
import datetime, math
df = pd.DataFrame({"city": ["Oslo", "Lima", None], "temp": [3.5, float("nan"), 21.0],
                   "n": [1, 2, 3], "ok": [True, False, True],
                   "when": [datetime.datetime(2024, 5, 1, 12, 30), pd.NaT, datetime.datetime(2024, 5, 3)]},
                  index=pd.Index(["a", "b", "c"], name="key"))
display(df)`);
  const t = tableOf(res);
  assert.deepEqual(names(t.body), ['key', 'city', 'temp', 'n', 'ok', 'when']);
  assert.deepEqual(types(t.body), { key: 'string', city: 'string', temp: 'number', n: 'integer', ok: 'boolean', when: 'datetime' });
  assert.deepEqual(t.body.schema.primaryKey, ['key']);
  assert.equal(t.body.total_rows, 3);
  assert.deepEqual(t.body.data[1], { key: 'b', city: 'Lima', temp: null, n: 2, ok: false, when: null });
  assert.equal(t.body.data[0].when, '2024-05-01T12:30:00');
  assert.equal(t.body.data[2].city, null);
  assert.match(t.text, /\[3 rows x 5 columns\]/, 'the text fallback is the object repr');
  assert.doesNotMatch(t.data, /NaN|Infinity/);
});

test('a DataFrame as the last expression shows as the table; its repr is the result', async () => {
  const res = await run('pd.DataFrame({"x": [1, 2]})');
  const t = tableOf(res);
  assert.deepEqual(names(t.body), ['index', 'x']);
  assert.deepEqual(t.body.data, [{ index: 0, x: 1 }, { index: 1, x: 2 }]);
  assert.match(res.result, /\[2 rows x 1 columns\]/);
});

test('pandas.NA (no truth value) is null too', async () => {
  const t = tableOf(await run('display(pd.DataFrame({"n": [1, pd.NA]}))'));
  assert.deepEqual(t.body.data.map((r) => r.n), [1, null]);
});

test('a Series is a two-column table (index, its name)', async () => {
  const t = tableOf(await run('display(pd.Series([1.5, float("inf"), -2], name="score"))'));
  assert.deepEqual(names(t.body), ['index', 'score']);
  assert.deepEqual(t.body.data.map((r) => r.score), [1.5, null, -2], '±inf has no JSON form: null');
});

test('display_table(list of dicts, title): keys in first-seen order, missing keys null, title and a pandas-like preview for the model', async () => {
  const t = tableOf(await run(`display_table([{"name": "a", "qty": 1}, {"name": "b", "price": 2.5, "qty": None}], title="Stock")`));
  assert.equal(t.body.title, 'Stock');
  assert.deepEqual(names(t.body), ['name', 'qty', 'price']);
  assert.deepEqual(t.body.data, [{ name: 'a', qty: 1, price: null }, { name: 'b', qty: null, price: 2.5 }]);
  assert.deepEqual(types(t.body), { name: 'string', qty: 'integer', price: 'number' });
  assert.match(t.text, /^Stock\n/);
  assert.match(t.text, /\[2 rows x 3 columns\]$/);
});

test('display_table(csv.DictReader): the file header order; hostile cells pass through as plain text, unchanged', async () => {
  const hostile = ['=HYPERLINK("http://x")', '<img src=x onerror=alert(1)>', '+1', '@SUM(A1)', '-2'];
  const csv = `a,b\n${hostile.map((h, i) => `${i},"${h.replaceAll('"', '""')}"`).join('\n')}\n`;
  const t = tableOf(await run(`import csv, io\ndisplay_table(csv.DictReader(io.StringIO(${JSON.stringify(csv)})))`));
  assert.deepEqual(names(t.body), ['a', 'b']);
  assert.deepEqual(t.body.data.map((r) => r.b), hostile);
});

test('lists with a header row, columns=, a dict of columns; bytes → repr, nested values stay JSON', async () => {
  let t = tableOf(await run('display_table([["x", "y"], [1, b"\\x00"], [2, {"k": [1, float("nan")]}]])'));
  assert.deepEqual(names(t.body), ['x', 'y']);
  assert.equal(t.body.data[0].y, "b'\\x00'");
  assert.deepEqual(t.body.data[1].y, { k: [1, null] });
  t = tableOf(await run('display_table([(1, 2, 3)], columns=["a", "b"])'));
  assert.deepEqual(names(t.body), ['a', 'b', 'column 3'], 'rows wider than the header get named columns');
  t = tableOf(await run('display_table({"a": [1, 2, 3], "b": ["x", "y"]})'));
  assert.deepEqual(t.body.data, [{ a: 1, b: 'x' }, { a: 2, b: 'y' }, { a: 3, b: null }]);
});

test('display_table of something that is no table is a TypeError the code sees', async () => {
  const r = await runner();
  const res = await r.run({ exec_id: `tbl${++n}`, code: 'display_table("abc")' });
  assert.equal(res.status, 'error');
  assert.equal(res.error.type, 'TypeError');
  assert.match(res.error.message, /list of dicts/);
});

test('row cap: 150,000 rows send the first 100,000 and say total_rows 150000', async () => {
  const t = tableOf(await run('display_table(({"i": i, "half": i / 2} for i in range(150_000)))'));
  assert.equal(t.body.total_rows, 150000);
  assert.equal(t.body.data.length, 100000);
  assert.deepEqual(t.body.data.at(-1), { i: 99999, half: 49999.5 });
  assert.match(t.text, /\[150000 rows x 2 columns\]/);
});

test('byte cap: rows of long text are cut to fit the JSON cap, still valid JSON with the total', async () => {
  const t = tableOf(await run('import ci_runtime\ntext, _ = ci_runtime.table_bundle([{"s": "x" * 1000}] * 500, max_bytes=100_000)\ndisplay({"application/vnd.dataresource+json": text}, raw=True)'));
  assert.ok(t.data.length <= 100_000, `at most the cap: ${t.data.length}`);
  assert.ok(t.body.data.length > 50 && t.body.data.length < 100, `about 97 rows fit: ${t.body.data.length}`);
  assert.equal(t.body.total_rows, 500);
});
