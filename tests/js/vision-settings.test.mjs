// Issue 12 in the glue, without a browser: the presets' vision and context
// window, the settings that override them (null: the preset's), what goes to
// the core's provider config, the driver's upload with a preview (a second
// blob), the public context_trimmed event and the chat's trimming notice.
import test from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS, presetById, DEFAULT_SETTINGS, withModelDefaults } from '../../web/app/providers.mjs';
import { providerConfig, coreConfig } from '../../js_glue/settings.mjs';
import { Driver } from '../../js_glue/driver.mjs';
import { fromCoreEvent } from '../../js_glue/events.mjs';
import { initialViewModel, applyCoreEvent, itemsOf, contextTrimText, resetConversation } from '../../web/app/view-model.mjs';

test('presets say which models see images and their context windows (unknown where the model is the user\'s)', () => {
  const of = (id) => [presetById(id).vision, presetById(id).contextWindow];
  assert.deepEqual(of('openai'), [true, 128000]);
  assert.deepEqual(of('anthropic'), [true, 200000]);
  assert.deepEqual(of('gemini'), [true, 1048576]);
  assert.deepEqual(of('deepseek'), [false, 65536]);
  for (const id of ['openrouter', 'groq', 'mistral', 'ollama', 'llamacpp', 'lmstudio', 'custom']) assert.deepEqual(of(id), [false, 0], id);
  for (const p of PRESETS) assert.ok(typeof p.vision === 'boolean' && Number.isInteger(p.contextWindow), `${p.id} has both fields`);
});

test('settings: null takes the preset\'s vision and window; a set value wins; the core gets provider.vision / context_window', () => {
  assert.equal(DEFAULT_SETTINGS.vision, null);
  assert.equal(DEFAULT_SETTINGS.contextWindow, null);
  const anthropic = withModelDefaults({ ...DEFAULT_SETTINGS, preset: 'anthropic' });
  assert.equal(anthropic.vision, true);
  assert.equal(anthropic.contextWindow, 200000);
  const own = withModelDefaults({ ...DEFAULT_SETTINGS, preset: 'anthropic', vision: false, contextWindow: 6000 });
  assert.equal(own.vision, false);
  assert.equal(own.contextWindow, 6000);
  const custom = withModelDefaults({ ...DEFAULT_SETTINGS, preset: 'custom', vision: true, contextWindow: '' });
  assert.equal(custom.vision, true);
  assert.equal(custom.contextWindow, 0, 'blank: the preset\'s, unknown for custom');

  const p = providerConfig(own, false);
  assert.equal(p.vision, false);
  assert.equal(p.context_window, 6000);
  assert.equal(p.prompt_caching, true, 'on unless turned off');
  assert.equal(providerConfig({ vision: 'yes', contextWindow: -5 }, false).vision, false, 'only true turns vision on');
  assert.equal(providerConfig({ contextWindow: -5 }, false).context_window, 0, 'a negative window: unknown');
  assert.equal(providerConfig({ promptCaching: false }, false).prompt_caching, false);
  assert.equal(coreConfig(withModelDefaults({ preset: 'openai' }), null, true).provider.context_window, 128000);
});

test('reasoning settings reach the core only for the Responses format', () => {
  const off = providerConfig({ format: 'responses' }, true);
  assert.equal(off.reasoning, false);
  assert.equal(off.reasoning_summary, null);
  const on = providerConfig({ format: 'responses', reasoning: true }, true);
  assert.equal(on.reasoning, true);
  assert.equal(on.reasoning_summary, null, 'summaries only when asked for');
  assert.equal(providerConfig({ format: 'responses', reasoning: true, reasoningSummary: true }, true).reasoning_summary, 'auto');
  assert.equal(providerConfig({ format: 'responses', reasoningSummary: true }, true).reasoning_summary, null, 'no summaries without reasoning');
  const chat = providerConfig({ format: 'openai', reasoning: true, reasoningSummary: true }, true);
  assert.equal(chat.reasoning, false, 'Chat Completions has no such thing');
  assert.equal(chat.reasoning_summary, null);
});

test('driver.upload with a preview sends preview_media_type and the preview as the second blob; without, one blob', () => {
  const seen = [];
  const session = { handle: (event, blobs) => { seen.push({ event, blobs }); return { actions: [] }; } };
  const d = new Driver(session, { fetch: async () => { throw new Error('no fetch here'); } });
  const original = new Uint8Array([1, 2, 3]);
  const small = new Uint8Array([9]);
  d.upload('photo.png', original, 'image/png', { bytes: small, mediaType: 'image/jpeg' });
  d.upload('data.csv', original, 'text/csv');
  d.upload('plain.png', original, 'image/png', null);
  assert.equal(seen[0].event.preview_media_type, 'image/jpeg');
  assert.equal(seen[0].event.blob, 0);
  assert.deepEqual(seen[0].blobs, [original, small]);
  for (const s of seen.slice(1)) {
    assert.equal('preview_media_type' in s.event, false, 'no preview field without a preview');
    assert.deepEqual(s.blobs, [original]);
  }
});

const TRIM = { type: 'context_trimmed', outputs_trimmed: 12, images_omitted: 1, turns_dropped: 3, estimated_tokens: 5800, budget_tokens: 6000, retried: false };

test('context_trimmed is a public event, as the core emitted it', () => {
  assert.deepEqual(fromCoreEvent(TRIM), TRIM);
});

test('the chat shows a trimming notice (a status, not an error) after the turn\'s message, one per turn, the latest wins', () => {
  const vm = initialViewModel();
  applyCoreEvent(vm, { type: 'turn_started', turn: 2 });
  assert.deepEqual(applyCoreEvent(vm, TRIM), { items: true }, 'the items are refreshed to show it');
  applyCoreEvent(vm, { ...TRIM, outputs_trimmed: 14 });
  const conv = {
    entries: [
      { kind: 'user', turn: 1, text: 'first' }, { kind: 'assistant', turn: 1, text: 'ok' },
      { kind: 'user', turn: 2, text: 'second' }, { kind: 'assistant', turn: 2, text: 'done' },
    ],
  };
  const { items } = itemsOf(conv, vm.contextNotes);
  assert.deepEqual(items.map((i) => i.kind), ['user', 'assistant', 'user', 'notice', 'assistant']);
  const note = items[3];
  assert.equal(note.turn, 2);
  assert.equal(note.role, 'status');
  assert.equal(note.level, 'info');
  assert.match(note.text, /14 older outputs, 1 image, 3 earlier turns/);
  assert.match(note.text, /context window \(a budget of 6,000 tokens\)/);
  assert.deepEqual(itemsOf(conv).items.length, 4, 'without notes: the core\'s items only');
  resetConversation(vm, 'other');
  assert.equal(vm.contextNotes.size, 0, 'another conversation starts without notes');
});

test('the notice says when the model refused a request as too long and it was sent again trimmed harder', () => {
  const text = contextTrimText({ ...TRIM, outputs_trimmed: 1, images_omitted: 0, turns_dropped: 0, retried: true });
  assert.match(text, /refused the request as too long/);
  assert.match(text, /1 older output\b/);
  assert.doesNotMatch(text, /image|turn/);
  const images = contextTrimText({ ...TRIM, outputs_trimmed: 0, images_omitted: 2, turns_dropped: 0 });
  assert.match(images, /newest images: 2 images left out/, 'only images: the image limit, not the window');
});
