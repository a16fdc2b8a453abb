import test from 'node:test';
import assert from 'node:assert/strict';
import { ACTION_TYPES, EMIT_TYPES, EVENT_TYPES, PROTOCOL_VERSION } from '../../js_glue/protocol.mjs';
import { loadBuiltCore } from './load-core.mjs';

test('the JS protocol mirror lists exactly the names of the C++ core', async () => {
  const core = await loadBuiltCore();
  const info = core.protocolInfo();
  assert.equal(info.version, PROTOCOL_VERSION);
  assert.deepEqual(info.events, [...EVENT_TYPES], 'event types differ between protocol.h and protocol.mjs');
  assert.deepEqual(info.actions, [...ACTION_TYPES], 'action types differ between protocol.h and protocol.mjs');
  assert.deepEqual(info.emits, [...EMIT_TYPES], 'emit types differ between protocol.h and protocol.mjs');
});

test('PROTOCOL.md documents every event, action and emit name', async () => {
  const fs = await import('node:fs');
  const doc = fs.readFileSync(new URL('../../wasm/PROTOCOL.md', import.meta.url), 'utf8');
  for (const name of [...EVENT_TYPES, ...ACTION_TYPES, ...EMIT_TYPES]) {
    assert.ok(doc.includes('`' + name), `wasm/PROTOCOL.md does not mention ${name}`);
  }
});
