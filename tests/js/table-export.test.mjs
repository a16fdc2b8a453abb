// The Markdown export's static fallback for explorable outputs
// (web/app/export.mjs): a table output becomes a Markdown table of its first
// rows and its size; a chart its title or its text fallback. Cells carry no
// markup a Markdown viewer would render, and never break the table.
import test from 'node:test';
import assert from 'node:assert/strict';
import { conversationToMarkdown, tableToMarkdown, chartToMarkdown, MARKDOWN_TABLE_ROWS } from '../../web/app/export.mjs';

const TABLE = 'application/vnd.dataresource+json';
const table = (data, extra = {}) => ({
  mime: TABLE,
  data: JSON.stringify({ schema: { fields: [{ name: 'index', type: 'integer' }, { name: 'name', type: 'string' }] }, data, ...extra }),
  text: 'preview',
});

test('a table output: a Markdown table of the first rows, then "N rows × M columns (the first K shown)"', () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ index: i, name: `n${i}` }));
  const md = tableToMarkdown(table(rows, { total_rows: 1000, title: 'Sales' }));
  const lines = md.split('\n');
  assert.equal(lines[0], '**Sales**');
  assert.equal(lines[2], '| index | name |');
  assert.equal(lines[3], '| --- | --- |');
  assert.equal(lines[4], '| 0 | n0 |');
  assert.equal(lines.filter((l) => l.startsWith('| ')).length, 2 + MARKDOWN_TABLE_ROWS, 'header, rule, rows');
  assert.equal(lines.at(-1), `*1,000 rows × 2 columns (the first ${MARKDOWN_TABLE_ROWS} shown)*`);
  assert.equal(tableToMarkdown(table([{ index: 0, name: null }])).split('\n').at(-1), '*1 row × 2 columns*');
});

test('table cells: pipes, newlines and markup are escaped; bad JSON falls back to the text', () => {
  const md = tableToMarkdown(table([{ index: 1, name: 'a|b\n<img src=x onerror=alert(1)> *x* [l](u)' }]));
  const row = md.split('\n')[2];
  assert.equal(row, '| 1 | a\\|b &lt;img src=x onerror=alert(1)&gt; \\*x\\* \\[l\\](u) |');
  assert.equal(row.split(/(?<!\\)\|/).length, 4, 'still two cells');
  assert.equal(tableToMarkdown({ mime: TABLE, data: '{', text: 'the preview' }), '```\nthe preview\n```');
});

test('a chart output: "[chart: title]" from Vega-Lite or Plotly, else its text fallback', () => {
  assert.equal(chartToMarkdown({ mime: 'application/vnd.vegalite.v5+json', data: JSON.stringify({ title: 'Sales by month', mark: 'bar' }) }), '*[chart: Sales by month]*');
  assert.equal(chartToMarkdown({ mime: 'application/vnd.vegalite.v4+json', data: JSON.stringify({ title: { text: 'T' } }) }), '*[chart: T]*');
  assert.equal(chartToMarkdown({ mime: 'application/vnd.plotly.v1+json', data: JSON.stringify({ data: [], layout: { title: { text: 'P' } } }) }), '*[chart: P]*');
  assert.equal(chartToMarkdown({ mime: 'application/vnd.plotly.v1+json', data: '{}', text: '<Figure>' }), '```\n<Figure>\n```');
  assert.equal(chartToMarkdown({ mime: 'application/vnd.plotly.v1+json', data: '{}' }), '*[chart]*');
});

test('conversationToMarkdown uses the fallbacks for table and chart outputs of a cell', () => {
  const md = conversationToMarkdown({
    title: 'T',
    entries: [{ kind: 'exec', exec: { execution_count: 1, status: 'ok', duration_ms: 5, code: 'display_table(rows)', stdout: '', stderr: '', result: null, error: null,
      outputs: [table([{ index: 0, name: 'x' }]), { mime: 'application/vnd.vegalite.v5+json', data: '{"title":"C"}', text: 'alt' }] } }],
  });
  assert.match(md, /\| index \| name \|\n\| --- \| --- \|\n\| 0 \| x \|\n\n\*1 row × 2 columns\*/);
  assert.match(md, /\*\[chart: C\]\*/);
  assert.doesNotMatch(md, /dataresource/);
});
