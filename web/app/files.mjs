// File helpers with no DOM beyond Blob/URL: sizes as people read them, a
// small CSV reader for previews, zipping (fflate), and saving bytes as a
// download.
import { zipSync } from 'fflate';

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function baseName(path) {
  return path.split('/').pop();
}

/** How to preview a file: 'table' | 'image' | 'text' | null. */
export function previewKind(path, mediaType) {
  const ext = path.split('.').pop().toLowerCase();
  if (ext === 'csv' || ext === 'tsv' || mediaType === 'text/csv') return 'table';
  if (/^image\/(png|jpeg|gif|webp|svg\+xml)$/.test(mediaType)) return 'image';
  if (mediaType.startsWith('text/') || /json|xml|javascript|x-python/.test(mediaType) || ['txt', 'md', 'py', 'json', 'log', 'html'].includes(ext)) return 'text';
  return null;
}

/** The first `maxRows` rows of CSV text (quotes and "" escapes honoured). */
export function parseCsvHead(text, { maxRows = 21, delimiter } = {}) {
  const sep = delimiter ?? (text.split('\n', 1)[0].includes('\t') && !text.split('\n', 1)[0].includes(',') ? '\t' : ',');
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === sep) { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if ((field !== '' || row.length) && rows.length < maxRows) { row.push(field); rows.push(row); }
  return rows;
}

/** Zips {path: Uint8Array} into one Uint8Array. */
export function zipFiles(files) {
  const entries = {};
  for (const [path, bytes] of Object.entries(files)) entries[path] = [bytes, { level: /\.(png|jpe?g|gif|webp|zip|gz|xlsx)$/i.test(path) ? 0 : 6 }];
  return zipSync(entries);
}

/** Saves bytes as a download named `name`. */
export function saveBytes(name, bytes, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** A file name from a title: letters, digits, dashes. */
export function safeFileName(title, fallback = 'conversation') {
  const s = (title || '').normalize('NFKD').replace(/[^\w\- ]+/g, '').trim().replace(/\s+/g, '-').slice(0, 60);
  return s || fallback;
}
