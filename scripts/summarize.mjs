// Sums the results of every suite that scripts/test.sh ran and prints the
// closing line "N passed, N failed". A suite that should have run but left
// no results (its build failed, it crashed) counts as one failure.
import fs from 'node:fs';
import path from 'node:path';

let passed = 0;
let failed = 0;
const lines = [];
const failures = [];

function gtest(label, file) {
  if (!fs.existsSync(file)) {
    lines.push(`${label}: no results (${file} missing)`);
    failed += 1;
    return;
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  let p = 0;
  let f = 0;
  for (const suite of report.testsuites ?? []) {
    for (const t of suite.testsuite ?? []) {
      if (t.status !== 'RUN' || t.result === 'SKIPPED') continue;
      if (t.failures?.length) f += 1;
      else p += 1;
    }
  }
  lines.push(`${label}: ${p} passed, ${f} failed`);
  passed += p;
  failed += f;
}

function tap(label, file) {
  if (!fs.existsSync(file)) {
    lines.push(`${label}: no results (${file} missing)`);
    failed += 1;
    return;
  }
  const text = fs.readFileSync(file, 'utf8');
  const num = (name) => Number((text.match(new RegExp(`^# ${name} (\\d+)$`, 'm')) ?? [])[1] ?? NaN);
  const p = num('pass');
  const f = num('fail') + (num('cancelled') || 0);
  if (Number.isNaN(p) || Number.isNaN(f)) {
    lines.push(`${label}: unreadable TAP summary`);
    failed += 1;
    return;
  }
  lines.push(`${label}: ${p} passed, ${f} failed`);
  passed += p;
  failed += f;
  if (f) failures.push(...tapFailures(label, text));
}

// The failing tests of a TAP file, each with its error's first line and where
// it was thrown: CI shows only the tail of the log, so the names must be here.
// A suite failing only because a subtest failed says nothing new: skipped.
function tapFailures(label, text) {
  const out = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const m = rows[i].match(/^(\s*)not ok \d+ - (.*)$/);
    if (!m) continue;
    const info = {};
    for (let j = i + 1; j < rows.length && j < i + 60; j++) {
      const r = rows[j].trim();
      if (r === '...' || /^(not )?ok \d+/.test(r)) break;
      const kv = r.match(/^(error|location|failureType|code):\s*(.*)$/);
      if (kv && !(kv[1] in info)) info[kv[1]] = kv[2].replace(/^['"|>-]+\s*|['"]$/g, '');
      else if (info.error === '' && r) info.error = r;
    }
    if (info.failureType === 'subtestsFailed') continue;
    const where = info.location ? ` (${info.location.replace(/^.*?(tests\/)/, '$1')})` : '';
    out.push(`  ✖ ${label} › ${m[2]}${where}\n      ${(info.error || info.failureType || '').slice(0, 300)}`);
  }
  return out;
}

gtest('native GoogleTest', path.join('build/native/test-results/core_tests.json'));
gtest('wasm GoogleTest (Node)', path.join('build/wasm/test-results/core_tests.json'));
tap('node tests', 'test-results/js.tap');
tap('browser tests', 'test-results/e2e.tap');
tap('three engines', 'test-results/engines.tap');
// The security scorecard (tests/security/) counts once it exists.
if (fs.existsSync('tests/security')) tap('security scorecard', 'test-results/security.tap');
// The app build leaves no results of its own: a failed build is one failure
// (the browser tests may still have run against an older dist/).
if (fs.existsSync('test-results/app-build-failed')) {
  lines.push('app build (vite): failed');
  failed += 1;
}

if (failures.length) console.log(`failing tests:\n${failures.slice(0, 30).join('\n')}`);
for (const l of lines) console.log(l);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
