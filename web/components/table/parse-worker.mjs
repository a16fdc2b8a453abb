// Parses a table output's JSON off the main thread: a 100,000-row table is
// ~5 MB of JSON, and JSON.parse plus the turn into columns would hold the
// page for a few hundred ms. The numeric columns go back transferred (no
// copy), text columns packed into one string each (model.mjs PackedText: the
// page would otherwise rebuild every string in one task), the rest cloned.
import { parseTable, packTable } from './model.mjs';
import { PARSE, PARSED, PARSE_FAILED } from './parse-protocol.mjs';

self.onmessage = (e) => {
  const { type, id, text } = e.data ?? {};
  if (type !== PARSE) return;
  try {
    const { table, transfer } = packTable(parseTable(text));
    self.postMessage({ type: PARSED, id, table }, transfer);
  } catch (err) {
    self.postMessage({ type: PARSE_FAILED, id, error: { code: 'bad_table', message: String(err?.message ?? err), detail: null } });
  }
};
