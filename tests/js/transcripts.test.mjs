// The transcripts replayed through the JS API of the wasm build: the same
// events give the same actions as in the native build.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, loadBuiltCore } from './load-core.mjs';

// Same partial-match rules as wasm/core/transcript.h.
function matches(expected, actual, where) {
  if (expected === '*') return null;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${where}: expected ${expected.length} items, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i += 1) {
      const why = matches(expected[i], actual[i], `${where}[${i}]`);
      if (why) return why;
    }
    return null;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return `${where}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      if (key === 'body_json' && typeof actual.body === 'string') {
        const why = matches(value, JSON.parse(actual.body), `${where}.body`);
        if (why) return why;
        continue;
      }
      if (!(key in actual)) return `${where}.${key}: missing`;
      const why = matches(value, actual[key], `${where}.${key}`);
      if (why) return why;
    }
    return null;
  }
  return expected === actual ? null : `${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

const dir = path.join(ROOT, 'tests/transcripts');
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  test(`transcript ${file} replays through the wasm build`, async () => {
    const core = await loadBuiltCore();
    const t = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const session = core.createSession(t.config);
    t.steps.forEach((step, i) => {
      const event = { now_ms: i * 1000, ...step.event };
      const result = session.handle(event);
      if ('expect_error' in step) {
        assert.ok(result.error, `step ${i}: expected a protocol error`);
        assert.ok(result.error.message.includes(step.expect_error), `step ${i}: ${result.error.message}`);
        return;
      }
      assert.equal(result.error, undefined, `step ${i}: unexpected protocol error ${JSON.stringify(result.error)}`);
      if (step.expect) assert.equal(matches(step.expect, result.actions, `step ${i}: actions`), null);
    });
    session.destroy();
  });
}
