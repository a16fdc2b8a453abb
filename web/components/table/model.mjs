// The table viewer's data, without DOM: a dataresource bundle (Table Schema,
// application/vnd.dataresource+json, as ci_runtime.py writes it and as
// JupyterLab / nteract read it) → columns and rows; sorting, filtering and
// the CSV / TSV texts, as generators that yield every few thousand steps so
// the element can run them in time slices (work.mjs): 100,000 rows never
// hold the main thread for long.
//
// Rules:
// - Values are data, never markup: cellText() turns any JSON value into the
//   text a cell shows (null → '', objects → JSON).
// - Sorting is stable and puts empty cells last in both directions; numbers
//   compare as numbers, text by the locale's collation with numeric parts
//   ("row 2" < "row 10").
// - CSV follows RFC 4180 (quotes doubled, fields with , " CR LF quoted) and
//   OWASP's advice on CSV injection: a field starting with = + - @ TAB or CR
//   gets a leading ' so a spreadsheet shows it as text, not a formula.
//   Numbers stay numbers (a negative number is no formula).

export const STEP = 4096; // work between yields (sort merges, filter checks, CSV rows)
// What the grid holds at most. Python sends ≤ 100,000 rows, but a raw bundle
// may hold more: 200,000 rows of 28 px stay under every engine's largest
// element height (Firefox's is ~17.9 million px), and the DOM holds every
// column of the rows in view, so columns are capped too.
export const MAX_ROWS = 200_000;
export const MAX_COLS = 200;

/**
 * Parses the bundle's JSON text (or an already parsed object) into columns:
 * {title, fields: [{name, type}], cols, n, total, shown, columns} (n = shown
 * ≤ MAX_ROWS; total: the rows there were; columns: how many there were,
 * of which the first MAX_COLS are kept). cols[c] is a
 * Float64Array when every value of the column is a number or null (null →
 * NaN; transferable, so a worker can hand it over without a copy), else an
 * Array of JSON values. Throws an Error when the text is not a table.
 */
export function parseTable(data) {
  const body = typeof data === 'string' ? JSON.parse(data) : data;
  if (!body || typeof body !== 'object') throw new Error('the table output is not an object');
  const schemaFields = Array.isArray(body.schema?.fields) ? body.schema.fields : null;
  const allRecords = Array.isArray(body.data) ? body.data : [];
  const records = allRecords.length > MAX_ROWS ? allRecords.slice(0, MAX_ROWS) : allRecords;
  const allFields = schemaFields ?? Object.keys(records[0] ?? {}).map((name) => ({ name }));
  const fields = allFields.slice(0, MAX_COLS)
    .map((f) => ({ name: String(f?.name ?? ''), type: typeof f?.type === 'string' ? f.type : 'any' }));
  const n = records.length;
  const cols = fields.map((f, c) => {
    const name = f.name;
    const out = new Array(n);
    let numeric = true;
    for (let i = 0; i < n; i++) {
      const r = records[i];
      let v = null;
      if (Array.isArray(r)) v = r[c] ?? null;
      else if (r && typeof r === 'object') v = Object.hasOwn(r, name) ? r[name] : null;
      else if (c === 0) v = r ?? null;
      if (v !== null && typeof v !== 'number') numeric = false;
      out[i] = v;
    }
    if (!numeric || !n) return out;
    const nums = new Float64Array(n);
    for (let i = 0; i < n; i++) nums[i] = out[i] === null ? NaN : out[i];
    return nums;
  });
  const total = Number.isSafeInteger(body.total_rows) && body.total_rows >= allRecords.length ? body.total_rows : allRecords.length;
  const title = typeof body.title === 'string' ? body.title : '';
  return { title, fields, cols, n, total, shown: n, columns: allFields.length };
}

/**
 * A column of text packed for a worker's reply: one string and where each
 * value ends (null: `nulls[i]`). Posting 100,000 strings makes the page
 * rebuild 100,000 objects in one task; one long string is a copy. Values are
 * cut out (a cheap slice) only when read.
 */
export class PackedText {
  constructor(text, ends, nulls) {
    this.text = text;
    this.ends = ends;
    this.nulls = nulls;
  }

  static pack(values) {
    const ends = new Uint32Array(values.length);
    const nulls = new Uint8Array(values.length);
    const parts = [];
    let at = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null) nulls[i] = 1;
      else { parts.push(v); at += v.length; }
      ends[i] = at;
    }
    return new PackedText(parts.join(''), ends, nulls);
  }

  /** After a postMessage (the class is lost on the way): the same object again. */
  static revive(o) {
    return new PackedText(o.text, o.ends, o.nulls);
  }

  get(i) {
    if (this.nulls[i]) return null;
    return this.text.slice(i ? this.ends[i - 1] : 0, this.ends[i]);
  }
}

/** Columns for a postMessage: text-only columns packed; returns {table, transfer}. */
export function packTable(table) {
  const transfer = [];
  const cols = table.cols.map((col) => {
    if (col instanceof Float64Array) { transfer.push(col.buffer); return col; }
    if (!col.every((v) => v === null || typeof v === 'string')) return col; // mixed values: cloned as they are
    const p = PackedText.pack(col);
    transfer.push(p.ends.buffer, p.nulls.buffer);
    return { packed: true, text: p.text, ends: p.ends, nulls: p.nulls };
  });
  return { table: { ...table, cols }, transfer };
}

/** A table from packTable after its postMessage. */
export function unpackTable(table) {
  return { ...table, cols: table.cols.map((c) => (c && c.packed ? PackedText.revive(c) : c)) };
}

/** A reader of column c: i → its value (null when empty), whatever the column's form. */
export function columnReader(table, c) {
  const col = table.cols[c];
  if (col instanceof PackedText) return (i) => col.get(i);
  if (col instanceof Float64Array) return (i) => { const v = col[i]; return v !== v ? null : v; }; // NaN: empty
  return (i) => col[i] ?? null;
}

/** The value at row r, column c (null for an empty cell). */
export function valueAt(table, r, c) {
  const col = table.cols[c];
  if (col instanceof PackedText) return col.get(r);
  const v = col[r];
  return v !== v ? null : v ?? null; // NaN in a Float64Array column is an empty cell
}

/** The text a cell shows. */
export function cellText(v) {
  if (v === null || v === undefined || v !== v) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') {
    try { return JSON.stringify(v); } catch { return String(v); }
  }
  return String(v);
}

/** Whether a column sorts (and aligns) as numbers: every value is a number or empty. */
export function isNumericColumn(table, col) {
  return table.cols[col] instanceof Float64Array;
}

/**
 * A stable sort of row indexes by one column: a generator (yields between
 * chunks) whose return value is the sorted Uint32Array.
 * dir: 1 ascending, -1 descending. Bottom-up merge sort: O(n log n), stable,
 * and easy to cut into slices (a native sort with a comparator cannot yield).
 */
export function* sortRows(table, col, dir, collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })) {
  const n = table.n;
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  let cmp;
  if (isNumericColumn(table, col)) {
    const keys = table.cols[col];
    cmp = (x, y) => {
      const p = keys[x];
      const q = keys[y];
      if (p !== p) return q !== q ? 0 : 1; // empty last, whatever the direction
      if (q !== q) return -1;
      return p < q ? -dir : p > q ? dir : 0;
    };
  } else {
    const read = columnReader(table, col);
    const keys = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = read(i);
      keys[i] = v === null || v === undefined ? null : cellText(v);
      if (i % STEP === STEP - 1) yield;
    }
    const compare = collator.compare;
    cmp = (x, y) => {
      const p = keys[x];
      const q = keys[y];
      if (p === null || p === '') return q === null || q === '' ? 0 : 1;
      if (q === null || q === '') return -1;
      return dir * compare(p, q);
    };
  }
  let steps = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        b[k++] = cmp(a[j], a[i]) < 0 ? a[j++] : a[i++]; // ties keep the left run first: stable
        if (++steps >= STEP) { steps = 0; yield; }
      }
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    [a, b] = [b, a];
  }
  return a;
}

/** Each row's text for the filter, lower case (built once per table, in slices). */
export function* rowTexts(table) {
  const out = new Array(table.n);
  const readers = table.cols.map((_, c) => columnReader(table, c));
  for (let i = 0; i < table.n; i++) {
    let s = readers.length ? cellText(readers[0](i)) : '';
    for (let c = 1; c < readers.length; c++) s += `\u0001${cellText(readers[c](i))}`;
    out[i] = s.toLowerCase();
    if (i % STEP === STEP - 1) yield;
  }
  return out;
}

/**
 * The rows of `order` whose text holds every word of `query` (case-insensitive,
 * words split on spaces), in that order: a generator returning a Uint32Array.
 */
export function* filterRows(texts, order, query) {
  const words = String(query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return order;
  const out = new Uint32Array(order.length);
  let k = 0;
  for (let i = 0; i < order.length; i++) {
    const t = texts[order[i]];
    let ok = true;
    for (const w of words) if (!t.includes(w)) { ok = false; break; }
    if (ok) out[k++] = order[i];
    if (i % STEP === STEP - 1) yield;
  }
  return out.subarray(0, k);
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field (RFC 4180 quoting; text that a spreadsheet would run as a formula gets a leading '). */
export function csvField(v) {
  if (v === null || v === undefined || v !== v) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = cellText(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One TSV field for the clipboard: tabs and newlines become spaces (a paste keeps its grid). */
export function tsvField(v) {
  return cellText(v).replace(/[\t\r\n]+/g, ' ');
}

/**
 * The header and the rows of `order` as CSV (CRLF lines) or TSV: a generator
 * returning the text in pieces of STEP rows (each piece joined while the
 * others wait their turn: one join of 100,000 rows is a long task; a Blob
 * takes the pieces as they are).
 */
export function* tableText(table, order, kind = 'csv') {
  const field = kind === 'csv' ? csvField : tsvField;
  const sep = kind === 'csv' ? ',' : '\t';
  const eol = kind === 'csv' ? '\r\n' : '\n';
  const pieces = [table.fields.map((f) => field(f.name)).join(sep) + eol];
  const readers = table.cols.map((_, c) => columnReader(table, c));
  let lines = [];
  for (let i = 0; i < order.length; i++) {
    const r = order[i];
    lines.push(readers.map((read) => field(read(r))).join(sep));
    if (lines.length === STEP || i === order.length - 1) {
      pieces.push(lines.join(eol) + eol);
      lines = [];
      yield;
    }
  }
  return pieces;
}

/** All row indexes in their original order. */
export function identity(n) {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
