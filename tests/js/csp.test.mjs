// The app page's CSP must allow the sandbox frame's inline bootstrap by its
// hash (a srcdoc iframe inherits the page's policy): if frame.mjs changes
// and the hash in web/index.html does not, Python silently stops starting.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { BOOTSTRAP_SOURCE } from '../../js_glue/sandbox/frame.mjs';

for (const page of ['web/index.html', 'web/dev/index.html', 'web/embed/embed.html']) test(`${page}'s CSP allows the sandbox bootstrap by its current sha256`, () => {
  const hash = crypto.createHash('sha256').update(BOOTSTRAP_SOURCE).digest('base64');
  const html = fs.readFileSync(new URL(`../../${page}`, import.meta.url), 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)?.[1];
  assert.ok(csp, 'the page has a CSP meta');
  assert.ok(csp.includes(`'sha256-${hash}'`), `script-src must list 'sha256-${hash}'`);
  assert.ok(!/script-src[^;]*'unsafe-(inline|eval)'/.test(csp), 'no unsafe-inline or unsafe-eval for scripts');
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /base-uri 'none'/);
});

// The run-time connect policy (web/app/csp.mjs): the text it adds and what it allows.
test('csp.mjs: connect-src lists the endpoint, package and lock origins and nothing scheme-wide', async () => {
  const { connectPolicyText, sourceFor, ConnectPolicy } = await import('../../web/app/csp.mjs');
  assert.equal(sourceFor('https://api.openai.com/v1'), 'https://api.openai.com');
  assert.equal(sourceFor('http://localhost:11434/v1/'), 'http://localhost:11434');
  assert.equal(sourceFor('javascript:alert(1)'), null);
  assert.equal(sourceFor('http://[::1]:8080/v1'), 'http:', 'IPv6: by scheme (CSP cannot name it)');
  assert.equal(connectPolicyText(['https://api.openai.com/v1', 'https://cdn.jsdelivr.net/pyodide/v0/full/', 'https://api.openai.com/x']),
    "connect-src 'self' https://api.openai.com https://cdn.jsdelivr.net");
  const appended = [];
  const doc = {
    baseURI: 'http://127.0.0.1:8080/', location: { origin: 'http://127.0.0.1:8080' },
    querySelector: (sel) => (sel.includes('ci-connect-policy') ? {} : null),
    createElement: () => ({ dataset: {} }),
    head: { append: (m) => appended.push(m) },
  };
  const policy = new ConnectPolicy(doc);
  assert.equal(policy.allows('https://evil.example/'), true, 'nothing is restricted before apply');
  assert.equal(policy.apply(['https://api.openai.com/v1', 'https://cdn.jsdelivr.net/pyodide/']), true);
  assert.equal(appended[0].httpEquiv, 'Content-Security-Policy');
  assert.equal(appended[0].content, "connect-src 'self' https://api.openai.com https://cdn.jsdelivr.net");
  assert.equal(policy.apply(['https://evil.example/']), false, 'applied once: a policy cannot be loosened');
  assert.equal(policy.allows('https://api.openai.com/v1/chat/completions'), true);
  assert.equal(policy.allows('http://127.0.0.1:8080/core/x.wasm'), true, "'self'");
  assert.equal(policy.allows('https://evil.example/'), false);
  assert.equal(new ConnectPolicy({ ...doc, querySelector: () => null }).apply(['https://x.example']), false, 'a page that does not opt in gets no policy');
});

test('web/index.html opts in to the run-time connect policy; script-src has no unsafe keyword; object-src and base-uri none', () => {
  const html = fs.readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8');
  assert.match(html, /<meta name="ci-connect-policy" content="auto">/);
  const csp = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)[1];
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.ok(directives['script-src'].includes("'wasm-unsafe-eval'"));
  assert.ok(!directives['script-src'].some((v) => v === "'unsafe-inline'" || v === "'unsafe-eval'" || v === '*' || v === 'data:' || v === 'http:' || v === 'https:'));
  assert.deepEqual(directives['object-src'], ["'none'"]);
  assert.deepEqual(directives['base-uri'], ["'none'"]);
  assert.deepEqual(directives['form-action'], ["'none'"]);
  assert.ok(!directives['style-src'].includes("'unsafe-inline'"));
});

// The chart frame (web/charts/frame.mjs) is a srcdoc iframe too: the pages
// that show Python's outputs must allow its bootstrap by its hash, or no chart draws.
for (const page of ['web/index.html', 'web/embed/embed.html']) test(`${page}'s CSP allows the chart frame's bootstrap by its current sha256`, async () => {
  const { CHART_BOOTSTRAP_SOURCE } = await import('../../web/charts/frame.mjs');
  const hash = crypto.createHash('sha256').update(CHART_BOOTSTRAP_SOURCE).digest('base64');
  const html = fs.readFileSync(new URL(`../../${page}`, import.meta.url), 'utf8');
  const csp = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)[1];
  assert.ok(csp.includes(`'sha256-${hash}'`), `script-src must list 'sha256-${hash}'`);
});
