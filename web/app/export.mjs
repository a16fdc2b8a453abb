// Conversations out and notebooks in. The .ipynb export is the core's
// (session.exportNotebook()); this file adds the Markdown export and reads
// an .ipynb's code cells for import.

function fence(text, lang = '') {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${text.replace(/\n$/, '')}\n${ticks}`;
}

// Explorable outputs have no Markdown form: a table becomes a Markdown table
// of its first rows and its size; a chart its title (or its text fallback).
// The full data stays in the .ipynb export (the core's), where JupyterLab
// renders both interactive.
const TABLE_MIME = 'application/vnd.dataresource+json';
const CHART_MIMES = ['application/vnd.vegalite.v5+json', 'application/vnd.vegalite.v4+json', 'application/vnd.plotly.v1+json'];
export const MARKDOWN_TABLE_ROWS = 20;

// A cell's text inside a Markdown table: one line, no column break, and no
// markup a Markdown viewer would render (the export may be opened anywhere).
function mdCell(v) {
  const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_[\]|<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`));
}

/** A table output (Table Schema JSON) as a Markdown table of its first rows and "N rows × M columns". */
export function tableToMarkdown(o, maxRows = MARKDOWN_TABLE_ROWS) {
  let body;
  try {
    body = JSON.parse(o.data);
  } catch {
    return o.text ? fence(o.text) : '*[table output]*';
  }
  const records = Array.isArray(body?.data) ? body.data : [];
  const names = (Array.isArray(body?.schema?.fields) ? body.schema.fields.map((f) => String(f?.name ?? '')) : Object.keys(records[0] ?? {}));
  const total = Number.isSafeInteger(body?.total_rows) ? body.total_rows : records.length;
  const lines = [];
  if (typeof body?.title === 'string' && body.title) lines.push(`**${mdCell(body.title)}**`, '');
  if (names.length) {
    lines.push(`| ${names.map(mdCell).join(' | ')} |`, `|${names.map(() => ' --- |').join('')}`);
    for (const r of records.slice(0, maxRows)) lines.push(`| ${names.map((n) => mdCell(r?.[n])).join(' | ')} |`);
  }
  const shown = Math.min(records.length, maxRows);
  const size = `${total.toLocaleString('en-US')} row${total === 1 ? '' : 's'} × ${names.length} column${names.length === 1 ? '' : 's'}`;
  lines.push('', shown < total ? `*${size} (the first ${shown} shown)*` : `*${size}*`);
  return lines.join('\n');
}

/** A chart output (Vega-Lite or Plotly JSON) as "[chart: its title]", or its text fallback. */
export function chartToMarkdown(o) {
  let title = '';
  try {
    const spec = JSON.parse(o.data);
    const t = o.mime.includes('plotly') ? spec?.layout?.title : spec?.title;
    title = typeof t === 'string' ? t : typeof t?.text === 'string' ? t.text : Array.isArray(t?.text) ? t.text.join(' ') : '';
  } catch { /* no title: the text fallback below */ }
  if (title) return `*[chart: ${mdCell(title)}]*`;
  return o.text ? fence(o.text) : '*[chart]*';
}

/** The conversation (the core's conversation() JSON) as Markdown. */
export function conversationToMarkdown(conversation) {
  const out = [`# ${conversation.title || 'Conversation'}`, ''];
  for (const e of conversation.entries ?? []) {
    if (e.kind === 'user') out.push('**User:**', '', e.text, '');
    else if (e.kind === 'assistant' && e.text) out.push('**Assistant:**', '', e.text, '');
    else if (e.kind === 'notice') out.push(`> ${e.level === 'error' ? '⚠ ' : ''}${e.text.replace(/\n/g, '\n> ')}`, '');
    else if (e.kind === 'exec') {
      const x = e.exec;
      out.push(`**In [${x.execution_count}]** (${x.status}, ${x.duration_ms} ms):`, '', fence(x.code, 'python'), '');
      const text = [x.stdout, x.stderr, x.result !== null && x.result !== undefined ? `Out[${x.execution_count}]: ${x.result}` : '',
        x.error ? (x.error.traceback || `${x.error.type}: ${x.error.message}`) : ''].filter(Boolean).join('\n');
      if (text) out.push(fence(text), '');
      for (const o of x.outputs ?? []) {
        if (o.mime === TABLE_MIME) out.push(tableToMarkdown(o), '');
        else if (CHART_MIMES.includes(o.mime)) out.push(chartToMarkdown(o), '');
        else if (o.mime === 'image/png' || o.mime === 'image/jpeg') out.push(`![output](data:${o.mime};base64,${o.data})`, '');
        else if (o.mime === 'text/markdown') out.push(o.data, '');
        else if (o.mime !== 'text/html' && o.mime !== 'image/svg+xml') out.push(fence(o.data), '');
        else out.push(`*[${o.mime} output]*`, '');
      }
      const made = [...(x.files?.created ?? []), ...(x.files?.modified ?? [])];
      if (made.length) out.push(`Files: ${made.map((p) => `\`${p}\``).join(', ')}`, '');
    }
  }
  return out.join('\n');
}

/**
 * The code cells of an .ipynb (nbformat 4), in order, as strings. Empty
 * cells are skipped; IPython magics and shell lines (%, !) are commented out.
 * @throws {Error} when the text is not a notebook.
 */
export function notebookCodeCells(text) {
  let nb;
  try {
    nb = JSON.parse(text);
  } catch {
    throw new Error('This file is not a Jupyter notebook (not JSON).');
  }
  if (!nb || !Array.isArray(nb.cells)) throw new Error('This file is not a Jupyter notebook (no "cells" list).');
  return nb.cells
    .filter((c) => c.cell_type === 'code')
    .map((c) => (Array.isArray(c.source) ? c.source.join('') : String(c.source ?? '')))
    .map((src) => src.replace(/^([ \t]*)([%!])/gm, '$1# $2'))
    .filter((src) => src.trim() !== '');
}
