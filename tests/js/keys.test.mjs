// The saved keys (web/app/keys.mjs): each preset's key bound to the origin it
// was entered for, over a store that records what it is given.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Keys } from '../../web/app/keys.mjs';

function store(initial = {}) {
  const keys = { ...(initial.keys ?? {}) };
  const settings = { ...(initial.settings ?? {}) };
  return {
    keys, settings,
    async getKey(p) { return keys[p]; },
    async setKey(p, k) { keys[p] = k; },
    async getSetting(n) { return settings[n] === undefined ? undefined : structuredClone(settings[n]); },
    async setSetting(n, v) { settings[n] = structuredClone(v); },
  };
}

test('a key is usable only on the origin it was entered for; an empty field keeps a key that belongs elsewhere', async () => {
  const s = store();
  const k = new Keys(s);
  await k.load('custom', 'https://a.example/v1');
  await k.save('custom', 'sk-a', 'https://a.example/v1');
  assert.deepEqual(s.settings.keyOrigins, { custom: 'https://a.example' });
  assert.equal(k.usable('custom', 'https://a.example/v2'), 'sk-a', 'same origin, other path');
  assert.equal(k.usable('custom', 'https://b.example/v1'), '', 'another origin');
  assert.equal(await k.forDialog('custom', 'https://b.example/v1'), '', 'the dialog shows no key for another origin');
  await k.save('custom', '', 'https://b.example/v1');
  assert.equal(s.keys.custom, 'sk-a', 'an empty field on another origin keeps the key for its own');
  await k.save('custom', 'sk-b', 'https://b.example/v1');
  assert.deepEqual([k.usable('custom', 'https://b.example'), k.usable('custom', 'https://a.example')], ['sk-b', '']);
  await k.save('custom', '', 'https://b.example/v1');
  assert.equal(s.keys.custom, '', 'an empty field on its own origin deletes it');
  assert.deepEqual(s.settings.keyOrigins, {});
});

test('a key stored before origins were recorded is bound where it is used now; an embedder\'s key stays in memory', async () => {
  const s = store({ keys: { openai: 'sk-old' } });
  const k = new Keys(s);
  await k.load('openai', 'https://api.openai.com/v1');
  assert.deepEqual(s.settings.keyOrigins, { openai: 'https://api.openai.com' });
  assert.equal(k.usable('openai', 'https://evil.example/v1'), '');
  k.setInMemory('anthropic', 'sk-embed', 'https://api.anthropic.com/v1');
  assert.equal(k.usable('anthropic', 'https://api.anthropic.com/v1'), 'sk-embed');
  assert.equal(s.keys.anthropic, undefined, 'never stored');
  assert.deepEqual(k.raw('anthropic'), { apiKey: 'sk-embed', keyOrigin: 'https://api.anthropic.com' });
});
