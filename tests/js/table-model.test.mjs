// The table viewer's pure parts (web/components/table/model.mjs, work.mjs):
// reading a dataresource bundle, stable sorting with empty cells last, the
// filter, CSV with RFC 4180 quoting and OWASP's formula guard, TSV for the
// clipboard, and time-sliced runs that a newer run cancels.
import test from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ROWS, MAX_COLS, parseTable, valueAt, cellText, sortRows, rowTexts, filterRows, tableText, csvField, identity } from '../../web/components/table/model.mjs';
import { SlicedWork, CANCELLED } from '../../web/components/table/work.mjs';

const drain = (gen) => { for (;;) { const s = gen.next(); if (s.done) return s.value; } };
const bundle = (fields, data, extra = {}) => JSON.stringify({ schema: { fields }, data, ...extra });

test('parseTable: records → rows in field order; missing keys null; total_rows and title kept', () => {
  const t = parseTable(bundle([{ name: 'a', type: 'integer' }, { name: 'b', type: 'string' }], [{ b: 'x', a: 1 }, { a: 2 }], { total_rows: 10, title: 'T' }));
  assert.deepEqual([...t.cols[0]], [1, 2]);
  assert.ok(t.cols[0] instanceof Float64Array, 'a column of numbers is a Float64Array (a worker transfers it)');
  assert.deepEqual(t.cols[1], ['x', null]);
  assert.equal(t.n, 2);
  assert.deepEqual(t.fields.map((f) => f.type), ['integer', 'string']);
  assert.equal(t.total, 10);
  assert.equal(t.shown, 2);
  assert.equal(t.title, 'T');
  assert.equal(parseTable(bundle([{ name: 'a' }], [{ a: 1 }], { total_rows: 0 })).total, 1, 'a total below the rows shown is ignored');
  assert.throws(() => parseTable('{"schema": '), /JSON|Unexpected|end/);
  assert.deepEqual(parseTable({ data: [{ x: 1, y: 2 }] }).fields.map((f) => f.name), ['x', 'y'], 'no schema: the first record names the columns');
});

test('valueAt / cellText: values are text; null (NaN in a number column) is empty; objects are JSON', () => {
  const t = parseTable(bundle([{ name: 'n' }], [{ n: 1 }, { n: null }]));
  assert.equal(valueAt(t, 1, 0), null);
  assert.equal(cellText(valueAt(t, 0, 0)), '1');
  assert.equal(cellText(NaN), '');
  assert.equal(cellText(null), '');
  assert.equal(cellText('<b>x</b>'), '<b>x</b>');
  assert.equal(cellText(1.5), '1.5');
  assert.equal(cellText(false), 'false');
  assert.equal(cellText({ k: [1] }), '{"k":[1]}');
});

test('sortRows: numbers as numbers, text by collation with numeric parts, stable, empty cells last in both directions', () => {
  const t = parseTable(bundle([{ name: 'n', type: 'number' }, { name: 's', type: 'string' }],
    [{ n: 10, s: 'row 10' }, { n: null, s: '' }, { n: 2, s: 'row 2' }, { n: 2, s: 'Row 1' }, { n: -1, s: null }]));
  const asc = [...drain(sortRows(t, 0, 1))];
  assert.deepEqual(asc, [4, 2, 3, 0, 1], 'ties keep their order; null last');
  assert.deepEqual([...drain(sortRows(t, 0, -1))], [0, 2, 3, 4, 1], 'descending: still stable, null still last');
  assert.deepEqual([...drain(sortRows(t, 1, 1))], [3, 2, 0, 1, 4], '"row 2" before "row 10"; empty and null last');
});

test('sortRows on 100,000 rows yields many times (each slice is bounded) and sorts right', () => {
  const n = 100_000;
  const data = Array.from({ length: n }, (_, i) => ({ v: (i * 7919) % n }));
  const t = parseTable(bundle([{ name: 'v', type: 'integer' }], data));
  const gen = sortRows(t, 0, 1);
  let yields = 0;
  let s;
  while (!(s = gen.next()).done) yields++;
  assert.ok(yields > 100, `a sort in slices yields often: ${yields}`);
  const order = s.value;
  for (let i = 1; i < n; i++) assert.ok(t.cols[0][order[i - 1]] <= t.cols[0][order[i]]);
});

test('filterRows: every word, case-insensitive, anywhere in the row, keeping the order given', () => {
  const t = parseTable(bundle([{ name: 'a' }, { name: 'b' }], [{ a: 'Oslo', b: 'Norway' }, { a: 'Lima', b: 'Peru' }, { a: 'Bergen', b: 'norway' }]));
  const texts = drain(rowTexts(t));
  assert.deepEqual([...drain(filterRows(texts, Uint32Array.of(2, 1, 0), 'NORWAY'))], [2, 0]);
  assert.deepEqual([...drain(filterRows(texts, identity(3), 'norway berg'))], [2]);
  assert.deepEqual([...drain(filterRows(texts, identity(3), '  '))], [0, 1, 2], 'an empty filter keeps all');
  assert.deepEqual([...drain(filterRows(texts, identity(3), 'a\u0001n'))], [], 'the cell separator never matches across cells');
});

test('CSV: RFC 4180 quoting; a cell starting with = + - @ TAB or CR gets a leading quote (OWASP), numbers stay numbers', () => {
  assert.equal(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('-2'), "'-2");
  assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvField('\tx'), "'\tx");
  assert.equal(csvField('\rx'), `"'\rx"`);
  assert.equal(csvField(-2), '-2');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('line\nnext'), '"line\nnext"');
  assert.equal(csvField(null), '');
  assert.equal(csvField('<img src=x onerror=alert(1)>'), '<img src=x onerror=alert(1)>');
  const t = parseTable(bundle([{ name: '=name' }, { name: 'v' }], [{ '=name': 'a', v: 1 }, { '=name': '-x', v: null }]));
  assert.equal(drain(tableText(t, Uint32Array.of(1, 0), 'csv')).join(''), "'=name,v\r\n'-x,\r\na,1\r\n", 'the header is guarded too; the order given');
  assert.equal(drain(tableText(t, identity(2), 'tsv')).join(''), '=name\tv\na\t1\n-x\t\n', 'TSV (clipboard) keeps text as is');
  const many = parseTable(bundle([{ name: 'i', type: 'integer' }], Array.from({ length: 10000 }, (_, i) => ({ i }))));
  const pieces = drain(tableText(many, identity(10000), 'csv'));
  assert.equal(pieces.length, 1 + Math.ceil(10000 / 4096), 'the header, then pieces of 4,096 rows');
  assert.equal(pieces.join('').split('\r\n').length, 10002, 'every row once, CRLF-terminated');
});

test('SlicedWork: runs to the end in slices; a newer run cancels the older one', async () => {
  let clock = 0;
  const w = new SlicedWork({ budget: 5, now: () => clock, yieldTurn: () => new Promise((r) => setImmediate(r)) });
  function* job(n, tag) { for (let i = 0; i < n; i++) { clock += 1; yield; } return tag; }
  assert.equal(await w.run(job(50, 'a')), 'a');
  const first = w.run(job(50, 'old'));
  const second = w.run(job(3, 'new'));
  assert.equal(await first, CANCELLED);
  assert.equal(await second, 'new');
});

test('packTable / unpackTable: text columns travel as one string and come back value for value (null kept); numbers and mixed columns as they are', async () => {
  const { packTable, unpackTable, PackedText } = await import('../../web/components/table/model.mjs');
  const t = parseTable(bundle([{ name: 's' }, { name: 'n' }, { name: 'm' }], [
    { s: 'héllo', n: 1, m: true }, { s: null, n: null, m: 'x' }, { s: '', n: 2.5, m: { k: 1 } }, { s: '<b>é</b>', n: 3, m: null }]));
  // What the page must read back (taken first: the transfer detaches t's number buffer).
  const cells = [0, 1, 2, 3].map((r) => [0, 1, 2].map((c) => valueAt(t, r, c)));
  const sorted = [...drain(sortRows(t, 0, 1))];
  const texts = drain(rowTexts(t));
  const csv = drain(tableText(t, identity(4))).join('');
  const { table, transfer } = packTable(t);
  assert.equal(transfer.length, 3, 'the number buffer, the text column\'s ends and nulls');
  const back = unpackTable(structuredClone(table, { transfer }));
  assert.ok(back.cols[0] instanceof PackedText);
  assert.deepEqual([0, 1, 2, 3].map((r) => [0, 1, 2].map((c) => valueAt(back, r, c))), cells);
  assert.deepEqual(cells[1], [null, null, 'x']);
  assert.deepEqual([...drain(sortRows(back, 0, 1))], sorted);
  assert.deepEqual(drain(rowTexts(back)), texts);
  assert.equal(drain(tableText(back, identity(4))).join(''), csv);
});

test('parseTable caps what the grid holds: MAX_ROWS rows and MAX_COLS columns of a raw bundle, saying how many there were', () => {
  const fields = Array.from({ length: MAX_COLS + 50 }, (_, i) => ({ name: `c${i}`, type: 'integer' }));
  const wide = parseTable({ schema: { fields }, data: [Object.fromEntries(fields.map((f, i) => [f.name, i]))] });
  assert.equal(wide.fields.length, MAX_COLS);
  assert.equal(wide.columns, MAX_COLS + 50);
  assert.equal(wide.cols.length, MAX_COLS);
  const long = parseTable({ schema: { fields: [{ name: 'i', type: 'integer' }] }, data: Array.from({ length: MAX_ROWS + 10 }, (_, i) => ({ i })) });
  assert.equal(long.n, MAX_ROWS);
  assert.equal(long.total, MAX_ROWS + 10, 'the rows there were, even without total_rows');
});
