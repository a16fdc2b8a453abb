// A table output's JSON → the model's columns (model.mjs's parseTable), in a
// worker when the text is large (parse-worker.mjs), on the page when it is
// small or when no worker can start (a page whose CSP forbids workers): the
// table then still shows, only its first paint may take longer.
//
// Contract: loadTable(text) resolves with the table or rejects with an Error
// whose message says why the text is no table.
import { parseTable, unpackTable } from './model.mjs';
import { PARSE, PARSED, PARSE_FAILED } from './parse-protocol.mjs';

export const WORKER_FROM_CHARS = 256 * 1024; // below this, parsing on the page is quicker than a message round trip

let worker = null; // started on first need, kept for later tables
let workerBroken = false;
let nextId = 0;
const pending = new Map(); // id → {resolve, reject}

function getWorker() {
  if (worker || workerBroken) return worker;
  try {
    worker = new Worker(new URL('./parse-worker.mjs', import.meta.url), { type: 'module' });
  } catch {
    workerBroken = true;
    return null;
  }
  worker.onmessage = (e) => {
    const { type, id, table, error } = e.data ?? {};
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (type === PARSED) p.resolve(unpackTable(table));
    else if (type === PARSE_FAILED) p.reject(new Error(error?.message ?? 'the table could not be read'));
  };
  worker.onerror = (e) => {
    // The worker could not load (CSP, offline before caching…): parse here.
    e.preventDefault?.();
    workerBroken = true;
    worker = null;
    for (const [id, p] of pending) { pending.delete(id); p.fallback(); }
  };
  return worker;
}

export function loadTable(text) {
  if (typeof text !== 'string' || text.length < WORKER_FROM_CHARS) return Promise.resolve().then(() => parseTable(text));
  const w = getWorker();
  if (!w) return Promise.resolve().then(() => parseTable(text));
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    const fallback = () => { try { resolve(parseTable(text)); } catch (e) { reject(e); } };
    pending.set(id, { resolve, reject, fallback });
    w.postMessage({ type: PARSE, id, text });
  });
}
