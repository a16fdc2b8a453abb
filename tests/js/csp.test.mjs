// The app page's CSP must allow the sandbox frame's inline bootstrap by its
// hash (a srcdoc iframe inherits the page's policy): if frame.mjs changes
// and the hash in web/index.html does not, Python silently stops starting.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { BOOTSTRAP_SOURCE } from '../../js_glue/sandbox/frame.mjs';

for (const page of ['web/index.html', 'web/dev/index.html']) test(`${page}'s CSP allows the sandbox bootstrap by its current sha256`, () => {
  const hash = crypto.createHash('sha256').update(BOOTSTRAP_SOURCE).digest('base64');
  const html = fs.readFileSync(new URL(`../../${page}`, import.meta.url), 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)?.[1];
  assert.ok(csp, 'the page has a CSP meta');
  assert.ok(csp.includes(`'sha256-${hash}'`), `script-src must list 'sha256-${hash}'`);
  assert.ok(!/script-src[^;]*'unsafe-(inline|eval)'/.test(csp), 'no unsafe-inline or unsafe-eval for scripts');
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /base-uri 'none'/);
});
