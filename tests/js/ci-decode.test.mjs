// The native ci-decode tool, run as a program on every recorded-shape
// stream: its one JSON line must equal the fixture's expected result.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './load-core.mjs';

const tool = path.join(ROOT, 'build/native/ci-decode');
const dir = path.join(ROOT, 'tests/fixtures/streams');
// The file name's prefix is its wire format: openai_*, anthropic_*, responses_*.
const formatOf = (file) => file.split('_')[0];

test('ci-decode is built', () => {
  assert.ok(fs.existsSync(tool), `${tool} is missing: run "npm run build:native"`);
});

for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.sse'))) {
  test(`ci-decode reconstructs ${file}`, () => {
    const format = formatOf(file);
    const run = spawnSync(tool, ['--format', format, path.join(dir, file)], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON object on one line');
    const expected = JSON.parse(fs.readFileSync(path.join(dir, file.replace(/\.sse$/, '.expected.json')), 'utf8'));
    assert.deepEqual(JSON.parse(lines[0]), expected);
  });
}

test('ci-decode reads stdin with "-" and rejects bad usage', () => {
  const body = fs.readFileSync(path.join(dir, 'openai_text.sse'));
  const run = spawnSync(tool, ['--format', 'openai', '-'], { input: body, encoding: 'utf8' });
  assert.equal(run.status, 0);
  assert.equal(typeof JSON.parse(run.stdout).text, 'string');
  assert.equal(spawnSync(tool, ['--format', 'morse', '-'], { input: '' }).status, 2);
  assert.equal(spawnSync(tool, []).status, 2);
  assert.equal(spawnSync(tool, ['--format', 'openai', '/nonexistent/file']).status, 1);
});
