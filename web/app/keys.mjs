// Keys: the API keys people save, one per preset, each bound to the origin
// it was entered for. A key goes nowhere else: moving a preset's base URL to
// another origin does not take its key along (the rule itself is
// js_glue/settings.mjs usableKey; the driver applies it to every request).
//
// Kept in the store: the keys (store.getKey/setKey, this device only) and
// the origins (setting 'keyOrigins', not secret). Keys an embedder gives are
// kept in memory only (setInMemory). Nothing here goes to the core.
import { usableKey, originOf } from '../../js_glue/settings.mjs';

export class Keys {
  /** @param {object} store  getKey(preset), setKey(preset, key), getSetting(name), setSetting(name, value) */
  constructor(store) {
    this.store = store;
    this.keys = {}; // preset → key ('' for none); only presets read so far
    this.origins = {}; // preset → the origin its key was entered for
  }

  /** Reads the origins and `preset`'s key. A key saved before origins were recorded is bound to `baseUrl`'s origin. */
  async load(preset, baseUrl) {
    this.origins = (await this.store.getSetting('keyOrigins')) ?? {};
    this.keys = { [preset]: (await this.store.getKey(preset)) ?? '' };
    if (this.keys[preset] && !this.origins[preset]) {
      this.origins[preset] = originOf(baseUrl);
      await this.store.setSetting('keyOrigins', this.origins);
    }
  }

  /** The key as stored, for the Session (which applies the origin rule itself). */
  raw(preset) {
    return { apiKey: this.keys[preset] ?? '', keyOrigin: this.origins[preset] };
  }

  /** `preset`'s key if it was entered for `baseUrl`'s origin (or was never bound), else ''. */
  usable(preset, baseUrl) {
    return usableKey(this.keys[preset] ?? '', this.origins[preset], baseUrl);
  }

  /** `preset`'s key for the settings dialog, read when needed: '' when it belongs to another origin than `baseUrl`'s. */
  async forDialog(preset, baseUrl) {
    if (!(preset in this.keys)) this.keys[preset] = (await this.store.getKey(preset)) ?? '';
    return this.usable(preset, baseUrl);
  }

  /**
   * Saves `key` for `preset`, bound to `baseUrl`'s origin ('' deletes it).
   * An empty key field for a key that belongs to another origin keeps that
   * key (for its origin); `undefined` changes nothing.
   */
  async save(preset, key, baseUrl) {
    await this.forDialog(preset, baseUrl);
    if (key === undefined) return;
    const elsewhere = !key && this.keys[preset] && this.origins[preset] && this.origins[preset] !== originOf(baseUrl);
    if (elsewhere) return;
    this.keys[preset] = key;
    await this.store.setKey(preset, key);
    if (key) this.origins[preset] = originOf(baseUrl);
    else delete this.origins[preset];
    await this.store.setSetting('keyOrigins', this.origins);
  }

  /** An embedder's key for `preset`: in memory, bound to `baseUrl`'s origin, never stored. */
  setInMemory(preset, key, baseUrl) {
    this.keys[preset] = key ?? '';
    this.origins[preset] = originOf(baseUrl);
  }
}
