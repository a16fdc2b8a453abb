// The sandbox's message types (js_glue/sandbox/messages.mjs), checked in
// the sources: every type is sent by some file and handled by another, no
// file spells a type as a raw string, and the code that runs where imports
// cannot resolve (the frame's bootstrap, the worker's bootstrap,
// worker-main.mjs) gets the same constants.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MSG } from '../../js_glue/sandbox/messages.mjs';
import { BOOTSTRAP_SOURCE } from '../../js_glue/sandbox/frame.mjs';
import { WORKER_SOURCE } from '../../js_glue/sandbox/worker-bootstrap.mjs';
import { serveRunner } from '../../js_glue/python/worker-main.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIRS = ['js_glue/sandbox', 'js_glue/python'];
const sources = Object.fromEntries(DIRS.flatMap((dir) => fs.readdirSync(path.join(ROOT, dir))
  .filter((f) => f.endsWith('.mjs') && f !== 'messages.mjs')
  .map((f) => [`${dir}/${f}`, fs.readFileSync(path.join(ROOT, dir, f), 'utf8')])));

// A use of a constant: MSG.X, or ${q(MSG.X)} inside the frame's bootstrap string.
const REF = String.raw`(?:\$\{\s*\w+\(\s*)?MSG\.([A-Z_]+)`;
const SENDS = [String.raw`type:\s*${REF}`, String.raw`\b(?:request|post|postMessage)\(\s*${REF}`].map((r) => new RegExp(r, 'g'));
const HANDLES = [String.raw`[!=]==\s*${REF}`, String.raw`\bcase\s+${REF}`].map((r) => new RegExp(r, 'g'));

function uses(patterns) {
  const by = new Map(Object.keys(MSG).map((k) => [k, new Set()]));
  for (const [file, text] of Object.entries(sources)) {
    for (const re of patterns) for (const m of text.matchAll(re)) by.get(m[1])?.add(file);
  }
  return by;
}

test('the constants: frozen, one name per type', () => {
  assert.ok(Object.isFrozen(MSG));
  const values = Object.values(MSG);
  assert.equal(new Set(values).size, values.length, 'two names for one type');
});

test('every type is sent by some file and handled by some other', () => {
  const sent = uses(SENDS);
  const handled = uses(HANDLES);
  const problems = [];
  for (const key of Object.keys(MSG)) {
    const s = [...sent.get(key)];
    const h = [...handled.get(key)];
    if (!s.length) problems.push(`${key}: nobody sends it (handled in ${h.join(', ') || 'nothing'})`);
    else if (!h.length) problems.push(`${key}: nobody handles it (sent from ${s.join(', ')})`);
    else if (!s.some((a) => h.some((b) => a !== b))) problems.push(`${key}: sent and handled only in ${s[0]}`);
  }
  assert.deepEqual(problems, []);
});

test('every MSG.X named in the sources exists', () => {
  const unknown = [];
  for (const [file, text] of Object.entries(sources)) {
    for (const m of text.matchAll(/MSG\.([A-Za-z_]+)/g)) if (!(m[1] in MSG)) unknown.push(`${file}: MSG.${m[1]}`);
  }
  assert.deepEqual(unknown, []);
});

test('no file spells a message type as a raw string any more', () => {
  const values = new Set(Object.values(MSG));
  const quoted = String.raw`(['"\x60])([\w-]+)\1`;
  const positions = [
    new RegExp(String.raw`\btype\s*(?::|[!=]==)\s*${quoted}`, 'g'),
    new RegExp(String.raw`\bkind\s*(?::|[!=]==)\s*${quoted}`, 'g'),
    new RegExp(String.raw`\bcase\s+${quoted}\s*:`, 'g'),
    new RegExp(String.raw`\b(?:request|post|postMessage)\(\s*${quoted}`, 'g'),
  ];
  const raw = [];
  for (const [file, text] of Object.entries(sources)) {
    for (const re of positions) {
      for (const m of text.matchAll(re)) if (values.has(m[2])) raw.push(`${file}: ${m[0]}`);
    }
    if (text.includes(MSG.FRAME_READY)) raw.push(`${file}: the frame's ready string`);
  }
  assert.deepEqual(raw, []);
});

test('code that cannot import gets the same constants: the frame bootstrap text, the worker source', () => {
  for (const key of ['SPAWN', 'SPAWNED', 'SPAWN_FAILED', 'WORKER_ERROR', 'INTERRUPT', 'PORT', 'ALIVE', 'FRAME_READY']) {
    assert.ok(BOOTSTRAP_SOURCE.includes(`'${MSG[key]}'`), `the frame bootstrap has ${key}`);
  }
  assert.ok(!/MSG\.|\$\{/.test(BOOTSTRAP_SOURCE), 'nothing left unresolved in the frame bootstrap');
  assert.ok(WORKER_SOURCE.endsWith(`)(${JSON.stringify(MSG)});`), 'the worker bootstrap is called with the constants');
  // The worker source is valid script.
  assert.doesNotThrow(() => new Function(WORKER_SOURCE.replace(/\)\(\{.*\}\);$/s, ');')));
});

test('worker-main answers with the constants it is handed, and refuses to run without them', async () => {
  assert.throws(() => serveRunner({ on() {} }, { loadPyodide: null, importRunner: null }), /message types/);
  const posted = [];
  let deliver;
  const port = { postMessage: (m) => posted.push(m), on: (type, fn) => { deliver = fn; } };
  const runner = { info: { python: '3.x' }, run: async () => ({ status: 'ok', files: { created: [], modified: [] } }) };
  serveRunner(port, { loadPyodide: () => null, importRunner: async () => ({ createRunner: async () => runner }), messages: MSG });
  deliver({ type: MSG.INIT, id: 1, options: {} });
  deliver({ type: MSG.RUN, id: 2, request: { code: '' } });
  deliver({ type: 'no_such_type', id: 3 });
  for (let i = 0; i < 50 && posted.length < 3; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(posted.map((m) => [m.type, m.id]), [[MSG.READY, 1], [MSG.RESULT, 2], [MSG.ERROR, 3]]);
});
