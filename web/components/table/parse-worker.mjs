// Parses a table output's JSON off the main thread: a 100,000-row table is
// ~5 MB of JSON, and JSON.parse plus the turn into columns would hold the
// page for a few hundred ms. The numeric columns go back transferred (no
// copy); the others are cloned (strings clone fast).
import { parseTable } from './model.mjs';
import { PARSE, PARSED, PARSE_FAILED } from './parse-protocol.mjs';

self.onmessage = (e) => {
  const { type, id, text } = e.data ?? {};
  if (type !== PARSE) return;
  try {
    const table = parseTable(text);
    const buffers = table.cols.filter((c) => c instanceof Float64Array).map((c) => c.buffer);
    self.postMessage({ type: PARSED, id, table }, buffers);
  } catch (err) {
    self.postMessage({ type: PARSE_FAILED, id, error: { code: 'bad_table', message: String(err?.message ?? err), detail: null } });
  }
};
