// Conversations out and notebooks in. The .ipynb export is the core's
// (session.exportNotebook()); this file adds the Markdown export and reads
// an .ipynb's code cells for import.

function fence(text, lang = '') {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${text.replace(/\n$/, '')}\n${ticks}`;
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
        if (o.mime === 'image/png' || o.mime === 'image/jpeg') out.push(`![output](data:${o.mime};base64,${o.data})`, '');
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
