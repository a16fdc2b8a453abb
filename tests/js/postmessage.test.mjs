// No product code posts a message to '*': every postMessage names its
// target origin (the sandbox frame posts to the page's exact origin, and the
// page never posts to the frame's opaque origin at all).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './load-core.mjs';

function sources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(p));
    else if (/\.(mjs|js|html)$/.test(entry.name)) out.push(p);
  }
  return out;
}

test('no postMessage to the wildcard target origin in js_glue/ or web/', () => {
  const files = [...sources(path.join(ROOT, 'js_glue')), ...sources(path.join(ROOT, 'web'))];
  assert.ok(files.length > 10, 'the sources were found');
  const hits = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/postMessage\([^)]*['"]\*['"]/g)) hits.push(`${path.relative(ROOT, file)}: ${m[0]}`);
  }
  assert.deepEqual(hits, []);
});
