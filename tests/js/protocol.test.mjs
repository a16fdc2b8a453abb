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

test('the glue names the core protocol only through protocol.mjs: every action handled by the driver, every event sent', async () => {
  const fs = await import('node:fs');
  const read = (p) => fs.readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
  const { EVENT, ACTION } = await import('../../js_glue/protocol.mjs');
  const glue = { driver: read('js_glue/driver.mjs'), session: read('js_glue/session.mjs'), viewModel: read('web/app/view-model.mjs') };
  const names = [...EVENT_TYPES, ...ACTION_TYPES, ...EMIT_TYPES];
  for (const [file, text] of Object.entries(glue)) {
    for (const name of names) {
      const raw = new RegExp(`(type: |case |type [!=]== )'${name}'`);
      assert.ok(!raw.test(text), `${file} spells '${name}' instead of using protocol.mjs`);
    }
  }
  for (const key of Object.keys(ACTION)) assert.match(glue.driver, new RegExp(`case ACTION\\.${key}:`), `the driver handles ${ACTION[key]}`);
  // Every event reaches the core from the glue (llm_chunk as raw bytes through feedLlmBytes).
  const sent = `${glue.driver}\n${glue.session}`;
  for (const key of Object.keys(EVENT)) {
    if (key === 'LLM_CHUNK') { assert.match(glue.driver, /feedLlmBytes\(/); continue; }
    assert.match(sent, new RegExp(`type: EVENT\\.${key}\\b`), `the glue sends ${EVENT[key]}`);
  }
});
