// AppController: the app without its DOM, a view model over one Session
// (js_glue/session.mjs: the core, the Python sandbox, the current
// conversation's CoreSession + Driver, the configure and restart rules).
// It adds what is the app's own: the store (IndexedDB), the settings and
// keys people save, the other tabs, and the view model that the components
// render. Components call its methods and listen for 'change' (detail: what
// changed); they never touch the core.
//
// Rules:
// - One conversation is live at a time. Switching cancels a running turn,
//   waits for pending saves, destroys its session and restores the other
//   one from IndexedDB. The Session gives each conversation a Python of its
//   own and tells the core when a restored conversation's variables are
//   gone; the view then offers to re-run its cells.
// - Python's start is bounded (js_glue/sandbox/start-policy.mjs): a start
//   that fails for good shows "Python could not start: <reason>" and a
//   Retry; a failed start writes nothing into any conversation.
// - The conversation items are derived from the core's conversation()
//   record (the truth) plus what is still streaming (text, live output).
// - API keys live in the store's `keys` and go to the session's driver
//   only; never to the core, a state, or an export.
// - One writer per conversation across tabs (ownership.mjs decides, tabs.mjs
//   holds the locks): a tab that is not the writer shows the conversation
//   read-only, reloads it when the writer saves, and writes nothing; its
//   "Continue here" moves the writer. The conversation list and settings
//   follow changes made in other tabs.
// - Saves go through the Saver (saver.mjs): one at a time, versioned, never
//   a file list without its bytes; a full disk frees the app's caches first,
//   then leaves the conversation marked unsaved (vm.unsaved) and retries when
//   the user frees space.
import { Session } from '../../js_glue/session.mjs';
import { loadBrowserCore, browserSandbox } from '../../js_glue/browser.mjs';
import { Keys } from './keys.mjs';
import { sessionError } from '../../js_glue/errors.mjs';
import { Store, MemoryStore } from './store.mjs';
import { initialViewModel, resetConversation, itemsOf, applyCoreEvent, applyLiveEvent, endTurn } from './view-model.mjs';
import { DEFAULT_SETTINGS, presetById, probeLocalServers, withModelDefaults } from './providers.mjs';
import { previewFor } from '../../js_glue/images.mjs';
import { saveBytes, safeFileName, zipFiles, baseName } from './files.mjs';
import { conversationToMarkdown, notebookCodeCells } from './export.mjs';
import { loadAppConfig } from './config.mjs';
import { packageOrigins, localPackageStore } from '../../js_glue/packages/policy.mjs';
import { cacheStorageWheels } from '../../js_glue/packages/index-client.mjs';
import { PACKAGE_CACHE } from '../sw/names.mjs';
import { ConnectPolicy } from './csp.mjs';
import { step as ownershipStep, INITIAL as OWNERSHIP_INITIAL } from './ownership.mjs';
import { Tabs } from './tabs.mjs';
import { Saver } from './saver.mjs';
import { loadMarkdown } from './markdown-lazy.mjs';
import { storageReport, clearAppCache, evictAppCaches } from './storage-report.mjs';

// stdout + stderr kept per run. Every byte is stored in the conversation,
// saved, and read back on each refresh; at the end of a run the whole output
// crosses into the core in one main-thread task (~50 ms per MB here), so 1 MB
// keeps a print flood from freezing the page (tests/security/dos.test.mjs).
export const OUTPUT_LIMIT_BYTES = 1_000_000;

const uid = () => (crypto.randomUUID ? crypto.randomUUID() : `c${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`);

/**
 * Resolves after the next frame has painted (a task after rAF), or after
 * 200 ms in a tab that paints nothing (hidden tabs get no frames); at once
 * without a DOM (Node).
 */
const afterPaint = () => new Promise((resolve) => {
  if (typeof requestAnimationFrame !== 'function') return resolve();
  requestAnimationFrame(() => setTimeout(resolve, 0));
  setTimeout(resolve, 200);
});

export class AppController extends EventTarget {
  /**
   * @param {object} [options]
   * @param {string} [options.baseURI]     where core/, pyodide/ and python/ live (document.baseURI)
   * @param {string} [options.dbName]
   * @param {boolean} [options.probeLocal] probe for Ollama / llama.cpp on first start (false: only when
   *                                       the user asks, findLocalServers(): a page that knocks on
   *                                       localhost ports unasked is a fingerprinting worry, and each
   *                                       closed port is an error in the console)
   * @param {object} [options.config]      the deployment config (default: config.json at baseURI, see config.mjs)
   * @param {boolean} [options.persist]    false: conversations, settings and keys in memory only (embeds)
   * @param {object} [options.overrides]   settings set by an embedder ({preset, baseUrl, format, model, systemPromptExtra}), not saved
   * @param {string} [options.apiKey]      the embedder's key for the overridden preset (memory only)
   * @param {object} [options.core]        a loaded core (default: core/ci_core.mjs at baseURI)
   * @param {Function} [options.createSandbox] the Session's sandbox factory (default: the browser's, js_glue/browser.mjs)
   */
  constructor(options = {}) {
    super();
    this.options = { baseURI: globalThis.document?.baseURI, probeLocal: false, ...options };
    this.ci = null; // the Session (js_glue/session.mjs)
    this.store = null;
    this.keyRing = null; // the saved keys, each bound to its origin (keys.mjs)
    this.vm = initialViewModel();
    this.ownership = OWNERSHIP_INITIAL;
    this.tabs = null;
    this.roleWaiters = [];
  }

  // ------------------------------------------------------------------ start

  async init() {
    try {
      const base = this.options.baseURI;
      const [core, store, config] = await Promise.all([
        this.options.core ?? loadBrowserCore(base),
        this.options.persist === false ? MemoryStore.open() : Store.open(this.options.dbName),
        this.options.config ?? loadAppConfig(base),
      ]);
      this.config = config;
      this.store = store;
      this.saver = new Saver({
        store,
        onSaved: (meta) => this.onSaved(meta),
        onFailed: (id, error) => this.onSaveFailed(id, error),
        evict: () => this.evictAppCaches(),
      });
      // Stored conversations are shared with the other tabs; in-memory ones (embeds) are not.
      if (this.options.persist !== false) {
        // Leaving the page: start the queued save now, not a task later (it may still be cut short).
        globalThis.addEventListener?.('pagehide', () => this.ci?.flush().catch(() => {}));
        this.tabs = new Tabs({ scope: this.options.dbName ?? 'code-interpreter', onEvent: (e) => this.onTabsEvent(e) });
      }
      const saved = await store.getSetting('settings');
      this.vm.firstStart = !saved;
      this.vm.settings = { ...DEFAULT_SETTINGS, ...(saved ?? {}) };
      this.keyRing = new Keys(store);
      await this.keyRing.load(this.vm.settings.preset, this.vm.settings.baseUrl);
      this.vm.hasKey = !!this.usableKey(this.vm.settings.preset);
      this.ci = new Session({
        core,
        createSandbox: this.options.createSandbox ?? browserSandbox(base, config, { outputLimitBytes: OUTPUT_LIMIT_BYTES }),
        // The core's persist actions, through the Saver (one writer per conversation across tabs).
        storage: { save: (id, snapshot, readFile) => this.save(id, snapshot, readFile), flush: () => this.saver.flush() },
        // Packages from the deployment's indexes, with the user's consent (ci-consent); kept per conversation.
        packages: { ...(config.packages ?? {}), ask: 'user', cache: cacheStorageWheels(PACKAGE_CACHE) },
        packageStore: this.options.persist === false ? null : localPackageStore(),
      });
      this.vm.consent = null;
      this.ci.on('event', (e) => this.onPackageEvent(e));
      this.vm.python = this.ci.python;
      this.ci.on('core', (e) => this.onEmit(e));
      this.ci.on('sandbox', (e) => this.onSandboxEvent(e));
      this.ci.on('event', (e) => this.dispatchEvent(new CustomEvent('public-event', { detail: e })));
      this.ci.on('python', () => this.changed('python'));
      this.configure();
      if (this.options.overrides || this.options.apiKey !== undefined) this.applyOverrides(this.options.overrides ?? {}, this.options.apiKey);
      if (!this.vm.firstStart) this.applyConnectPolicy(); // before any request to the endpoint or for packages
      this.vm.conversations = await store.listConversations();
      const last = await store.getSetting('current');
      if (last && this.vm.conversations.some((c) => c.id === last)) await this.open(last);
      else {
        await this.newSession();
        await store.setSetting('current', this.vm.currentId);
      }
      this.vm.phase = 'ready';
      this.changed('all');
      if (await store.getSetting('reopenSettings')) { // saved an endpoint on a new origin, then reloaded
        await store.setSetting('reopenSettings', false);
        this.dispatchEvent(new CustomEvent('open-settings'));
      }
      // Python's 14 MB start after the ready UI has painted, not beside it
      // (they held the first paint back on slow links: Lighthouse's LCP).
      // Once a service worker controls the page they come from its cache, not
      // the network: then Python starts as soon as the UI is ready (an offline
      // reload, bench/pwa.mjs: Python ready at ~650 ms instead of 735-835, the
      // UI no later). Started earlier still, beside the conversation's
      // restore, it made both later (UI +40 ms, Python ~670 ms).
      const fromCache = !!globalThis.navigator?.serviceWorker?.controller;
      (fromCache ? Promise.resolve() : afterPaint()).then(() => this.startPython());
      this.refreshStorage();
      if (this.vm.firstStart && this.options.probeLocal) this.findLocalServers();
    } catch (error) {
      console.error(error);
      this.vm.phase = 'failed';
      this.vm.fatal = `The app could not start: ${error.message}`;
      this.changed('all');
    }
  }

  // What the Session holds, under the names the tests and tools use.
  get core() { return this.ci?.core ?? null; }
  get sandbox() { return this.ci?.sandbox ?? null; }
  get session() { return this.ci?.coreSession ?? null; }
  get driver() { return this.ci?.driver ?? null; }

  /** Starts Python; the status line follows this.vm.python (the Session's). */
  startPython() {
    this.ci.startPython();
  }

  /** The user's Retry after "Python could not start". */
  retryPython() {
    this.ci.retryPython();
  }

  /**
   * An endpoint's models for the settings dialog, asked by the core. `key`
   * goes along only if it was entered for that endpoint's origin (`keyOrigin`;
   * a key with no origin goes nowhere).
   */
  listModels({ baseUrl, format }, { key = '', keyOrigin = '' } = {}) {
    return this.ci.listModels({ baseUrl, format }, { apiKey: keyOrigin ? key : '', keyOrigin });
  }

  /** Looks for Ollama and llama.cpp on this machine (the welcome screen's button); vm.localSearch: 'searching' → 'done'. */
  async findLocalServers() {
    if (this.vm.localSearch === 'searching') return this.vm.localServers;
    this.vm.localSearch = 'searching';
    this.changed('settings');
    const found = await probeLocalServers((preset, timeoutMs) => this.ci.listModels({ baseUrl: preset.baseUrl, format: preset.format }, { apiKey: '', timeoutMs }));
    this.vm.localServers = found;
    this.vm.localSearch = 'done';
    this.changed('settings');
    return found;
  }

  // ---------------------------------------------------------------- events

  changed(what) {
    this.dispatchEvent(new CustomEvent('change', { detail: what }));
  }

  toast(text, level = 'error') {
    const t = { id: uid(), level, text };
    this.vm.toasts = [...this.vm.toasts, t];
    this.changed('toasts');
    if (level !== 'error') setTimeout(() => this.dismissToast(t.id), 6000);
  }

  dismissToast(id) {
    this.vm.toasts = this.vm.toasts.filter((t) => t.id !== id);
    this.changed('toasts');
  }

  /** A core event of the current conversation → the view model (view-model.mjs decides what changes). */
  onEmit(event) {
    const next = applyCoreEvent(this.vm, event);
    if (next.toast) this.toast(next.toast);
    if (next.endTurn) {
      // Applied a task later, and only if no other turn began meanwhile: a
      // queued run starts its own turn in the same core call that ended this
      // one, and ending that one would hide it (not running, its live output dropped).
      const turn = this.vm.turn;
      this.refreshItemsSoon(() => { if (this.vm.turn === turn) endTurn(this.vm); });
    }
    else if (next.items) this.refreshItemsSoon();
    if (next.files) this.refreshFiles();
    // Streamed text: one re-render per frame at most, however many pieces
    // arrive (a fast model sends hundreds a second; more than one render
    // per frame is never seen).
    if (next.changed === 'stream') this.changedNextFrame('stream');
    else if (next.changed) this.changed(next.changed);
  }

  /** A live event of a run (the Session reports the Python status itself) → the running cell's view. */
  onSandboxEvent(event) {
    if (!applyLiveEvent(this.vm, event)) return;
    // One re-render per frame at most, however fast output arrives (a print
    // flood sends a batch every 50 ms; each render lays out the live text).
    this.changedNextFrame('live');
  }

  /**
   * changed(what) at the next frame, once however often asked meanwhile. A
   * hidden page gets no frames: a timer stands in (browsers run it at most
   * once a second there), so the view is never far behind when it shows.
   */
  changedNextFrame(what) {
    this.frameChanges ??= new Set();
    this.frameChanges.add(what);
    if (this.frameQueued) return;
    this.frameQueued = true;
    let raf = 0;
    let timer = 0;
    const flush = () => {
      globalThis.cancelAnimationFrame?.(raf);
      clearTimeout(timer);
      this.frameQueued = false;
      const all = [...this.frameChanges];
      this.frameChanges.clear();
      for (const w of all) this.changed(w);
    };
    raf = globalThis.requestAnimationFrame?.(flush) ?? 0;
    timer = setTimeout(flush, raf ? 100 : 16);
  }

  // ---------------------------------------------------------- view model

  /**
   * refreshItems once for this batch of core events: a run's end emits
   * cell_finished and turn_done together, and each refresh reads the whole
   * conversation out of the core (costly with a long output).
   */
  refreshItemsSoon(then) {
    if (then) (this.afterRefresh ??= []).push(then);
    if (this.refreshQueued) return;
    this.refreshQueued = true;
    // A task of its own (not a microtask): the event that caused it may have
    // cost the main thread already (a run's end hands the core its output).
    setTimeout(() => {
      this.refreshQueued = false;
      const after = this.afterRefresh ?? [];
      this.afterRefresh = [];
      this.refreshItems();
      for (const f of after) f();
      if (after.length) this.changed('running');
    }, 0);
  }

  refreshItems() {
    if (!this.session) return;
    const { items, turnUsage, title, heldQueue } = itemsOf(this.session.conversation(), this.vm.contextNotes);
    Object.assign(this.vm, { items, turnUsage, heldQueue, title: title || this.vm.title });
    this.changed('items');
  }

  refreshFiles() {
    if (!this.session) return;
    this.vm.files = this.session.listFiles();
    this.changed('files');
    this.refreshStorage();
  }

  async refreshStorage() {
    try {
      const est = await navigator.storage?.estimate?.();
      if (est) {
        this.vm.storage = { usage: est.usage ?? 0, quota: est.quota ?? 0 };
        this.changed('files');
      }
    } catch { /* not available (private mode) */ }
  }

  // -------------------------------------------------------- conversations

  /**
   * The Session's storage: the core's persist, through the Saver; a tab that
   * does not write this conversation saves nothing. `readFile` reads the
   * bytes of a file an earlier failed save did not store, while the session
   * lives (leave() waits for the saves before it destroys the session).
   */
  save(id, snapshot, readFile = (path) => this.ci.readFile(path)) {
    if (!this.mayWrite(id)) return Promise.resolve(null);
    // A conversation with nothing in it yet is not worth a row in the list.
    const { state } = snapshot;
    const empty = !state?.conversation?.entries?.length && !state?.files?.files?.length;
    if (empty && !this.vm.conversations.some((c) => c.id === id)) return Promise.resolve(null);
    return this.saver.save(id, snapshot, readFile);
  }

  onSaved(meta) {
    const list = this.vm.conversations.filter((c) => c.id !== meta.id);
    this.vm.conversations = [meta, ...list].sort((a, b) => b.updated_ms - a.updated_ms);
    if (meta.id === this.vm.currentId && this.vm.unsaved) {
      this.vm.unsaved = null;
      this.toast('Saved on this device again.', 'info');
    }
    this.changed('conversations');
    this.tabs?.post({ type: 'saved', id: meta.id, version: meta.version });
    this.tabs?.post({ type: 'list' });
  }

  onSaveFailed(id, error) {
    console.error('save failed', error);
    if (error?.code === 'conflict') {
      // Another tab wrote a newer version (possible only without Web Locks):
      // show the newest one, read-only, and say what was not saved.
      this.toast(`${error.message} This tab's last change was not saved; the newest version is shown.`);
      if (id === this.vm.currentId) this.ownershipEvent({ type: 'lock_lost', id });
      return;
    }
    if (id !== this.vm.currentId) {
      this.toast(`Could not save a conversation on this device: ${error?.message || 'unknown error'}`);
      return;
    }
    const full = error?.code === 'quota';
    this.vm.unsaved = {
      message: error?.message || 'The conversation could not be saved on this device.',
      full,
    };
    this.changed('unsaved');
    this.refreshStorage();
  }

  /** Saves what the current conversation has queued, now; resolves when every save has finished. */
  flushSaves() {
    return this.ci.flush();
  }

  /** Tries the current conversation's save again (after space was freed). */
  retrySave() {
    const id = this.vm.currentId;
    if (!this.session || !this.saver.unsaved.has(id)) return Promise.resolve(null);
    return this.save(id, { state: this.session.serialize(), files: { write: [], delete: [] } });
  }

  /** What uses this device's storage (the storage view; storage-report.mjs). */
  storageReport() {
    return storageReport(this.store, this.sandbox);
  }

  /** Frees one of the app's own caches ('snapshot' | 'packages') from the storage view, then retries an unsaved save. */
  async clearCache(which) {
    try {
      await clearAppCache(which, this.sandbox);
    } catch (error) {
      this.toast(`Could not clear it: ${error?.message || error}`);
    }
    this.refreshStorage();
    return this.retrySave();
  }

  /** A full disk: the app's own caches give way before the user's files. True when something was freed. */
  evictAppCaches() {
    return evictAppCaches(this.sandbox);
  }

  /** Ends the current conversation here: stops its turn, saves what it has, then lets its session go. */
  async leave() {
    await this.ci?.leave();
  }

  resetView(id) {
    resetConversation(this.vm, id);
  }

  /**
   * A new, empty conversation, current and writable here (its id is new: no
   * other tab has it). The Session gives it a Python that ran no other
   * conversation's code.
   */
  async newSession() {
    const id = uid();
    this.resetView(id);
    this.ci.newConversation(id);
    this.saver?.setVersion(id, undefined);
    this.vm.unsaved = null;
    await this.claim(id);
  }

  async newConversation() {
    await this.leave();
    await this.newSession();
    this.store.setSetting('current', this.vm.currentId);
    this.changed('all');
  }

  async open(id) {
    if (id === this.vm.currentId && this.session) return;
    await this.leave();
    const saved = await this.store.loadConversation(id);
    if (!saved) {
      this.toast('That conversation could not be found on this device.');
      await this.newSession();
      this.changed('all');
      return;
    }
    this.resetView(id);
    this.vm.unsaved = null;
    this.show(saved);
    const hasCells = this.vm.items.some((i) => i.kind === 'cell');
    // Formatted at once, not as text for a moment (app/markdown-lazy.mjs); beside the claim.
    const formatted = this.vm.items.length && globalThis.document ? loadMarkdown().catch(() => {}) : null;
    await this.claim(id);
    await formatted;
    // "Re-run all cells" only where this tab may run them.
    this.vm.restored = hasCells && this.writable;
    if (this.writable) this.ci.freshPython();
    this.store.setSetting('current', id);
    this.changed('all');
  }

  /** Makes a stored conversation ({meta, state, files, version}) the current session. */
  show(saved) {
    // Fresh Python only once this tab knows it writes the conversation (open(), becameWriter()).
    const { problems } = this.ci.openConversation(saved, { fresh: false });
    this.saver.setVersion(saved.meta.id, saved.version ?? saved.meta.version);
    this.vm.title = saved.meta.title;
    for (const p of problems) this.toast(`Restoring: ${p}`, 'warning');
    // Renamed before the core kept titles: the core learns the name (it owns titles now).
    if (saved.meta.custom_title && !this.ci.conversation()?.custom_title) this.ci.setTitle(saved.meta.title ?? '');
    this.refreshItems();
    this.refreshFiles();
  }

  // ------------------------------------------------------- other tabs

  /** True when this tab may change conversation `id` (it holds its lock, or there are no other tabs to ask). */
  mayWrite(id) {
    if (!this.tabs) return true;
    return id === this.ownership.id && (this.ownership.role === 'owner' || this.ownership.role === 'handing_over');
  }

  get writable() { return this.mayWrite(this.vm.currentId); }

  /** Claims conversation `id` for this tab; resolves once this tab knows whether it writes or reads it. */
  claim(id) {
    if (!this.tabs) return Promise.resolve();
    const decided = new Promise((resolve) => this.roleWaiters.push(resolve));
    this.ownershipEvent({ type: 'open', id });
    return decided;
  }

  onTabsEvent(event) {
    if (event.type === 'list') this.refreshConversationList();
    else if (event.type === 'settings') this.reloadSettings();
    else this.ownershipEvent(event);
  }

  ownershipEvent(event) {
    const { state, actions } = ownershipStep(this.ownership, event);
    this.ownership = state;
    for (const a of actions) this.performOwnership(a);
  }

  performOwnership(a) {
    switch (a.type) {
      case 'claim': this.tabs.claim(a); break;
      case 'release': this.tabs.release(a.id); break;
      case 'post': this.tabs.post(a.message); break;
      case 'flush': this.handOver(a.id); break;
      case 'reload': this.reloadFromStore(a.id); break;
      case 'role': {
        const was = this.vm.access.role;
        this.vm.access = { role: a.role, note: a.note ?? '', canForce: !!a.canForce };
        if (a.role === 'owner' && (was === 'taking_over' || was === 'reader')) this.becameWriter();
        if (a.role === 'owner' || a.role === 'reader') for (const resolve of this.roleWaiters.splice(0)) resolve();
        this.changed('access');
        break;
      }
      default: break;
    }
  }

  /** The user's "Continue here" (force: take it even from a tab that does not answer). */
  continueHere(force = false) {
    this.ownershipEvent({ type: force ? 'force' : 'continue_here' });
  }

  /** Another tab continues this conversation: stop, save everything, then let go. */
  async handOver(id) {
    if (id === this.vm.currentId) {
      this.ci.cancel();
      this.driver?.flushPersist();
    }
    await this.saver.flush();
    this.ownershipEvent({ type: 'flushed', id });
  }

  /**
   * Shows the stored version of the current conversation (a reader's live
   * view; a new writer's start). Coalesced: one reload at a time, and one
   * more if another save arrived meanwhile.
   */
  async reloadFromStore(id) {
    if (this.reloading) { this.reloadAgain = true; return; }
    this.reloading = true;
    try {
      do {
        this.reloadAgain = false;
        const saved = await this.store.loadConversation(id);
        if (id !== this.vm.currentId) return;
        if (!saved) continue;
        this.ci.detach();
        this.show(saved);
        this.changed('all');
      } while (this.reloadAgain);
    } catch (error) {
      this.toast(`Could not show the newest version: ${error?.message || error}`);
    } finally {
      this.reloading = false;
    }
  }

  /**
   * This tab now writes the current conversation, which another tab may have
   * changed meanwhile: a fresh Python (none of its variables, and none of
   * the files this tab's Python saw before), the files sent in anew.
   */
  becameWriter() {
    this.vm.restored = this.vm.items.some((i) => i.kind === 'cell');
    this.ci.takeOver();
  }

  async refreshConversationList() {
    try {
      this.vm.conversations = await this.store.listConversations();
    } catch (error) { console.warn(error); return; }
    const current = this.vm.conversations.find((c) => c.id === this.vm.currentId);
    if (current && !current.custom_title) this.vm.title = current.title || this.vm.title;
    else if (current) this.vm.title = current.title;
    // Deleted in another tab while shown here read-only: move on.
    if (!current && this.saver.versions.has(this.vm.currentId) && !this.writable) {
      this.toast('This conversation was deleted in another tab or window.', 'warning');
      await this.newConversation();
      return;
    }
    this.changed('conversations');
  }

  /** Settings saved in another tab. */
  async reloadSettings() {
    const saved = await this.store.getSetting('settings');
    if (!saved || this.options.overrides) return;
    this.vm.settings = { ...DEFAULT_SETTINGS, ...saved };
    await this.keyRing.load(saved.preset, saved.baseUrl);
    this.vm.hasKey = !!this.usableKey(saved.preset);
    this.vm.firstStart = false;
    if (this.needsReloadFor(saved.baseUrl)) {
      this.toast('The model endpoint was changed in another tab: reload this page to use it here.', 'warning');
    } else {
      this.applyConnectPolicy();
      this.configure();
    }
    this.changed('settings');
  }

  /** Refuses a change in a tab that does not write the current conversation. */
  readOnly() {
    if (this.writable) return false;
    this.toast('This conversation is open in another tab or window. Use “Continue here” to work on it in this one.', 'warning');
    return true;
  }

  /** Renames a conversation: the current one through its core (the title's owner), any one in the list at once. */
  async renameConversation(id, title) {
    if (id === this.vm.currentId && this.writable) this.ci.setTitle(title.trim());
    const meta = await this.store.renameConversation(id, title.trim());
    if (!meta) return;
    this.vm.conversations = this.vm.conversations.map((c) => (c.id === id ? meta : c));
    if (id === this.vm.currentId) this.vm.title = meta.title;
    this.changed('conversations');
    this.tabs?.post({ type: 'list' });
  }

  async deleteConversation(id) {
    const current = id === this.vm.currentId;
    // Another tab that writes it would save it back: only its writer (or nobody) may delete it.
    let release = null;
    if (this.tabs && !(current && this.writable)) {
      release = await this.tabs.tryHold(id);
      if (!release) {
        const title = this.vm.conversations.find((c) => c.id === id)?.title || 'This conversation';
        this.toast(`“${title}” is open in another tab or window: close it there (or use “Continue here”) before deleting it.`, 'warning');
        return;
      }
    }
    try {
      if (current) await this.leave();
      await this.store.deleteConversation(id);
    } catch (error) {
      this.toast(`Could not delete the conversation: ${error?.message || error}`);
      return;
    } finally {
      release?.();
    }
    this.saver.setVersion(id, undefined);
    this.saver.unsaved.delete(id);
    this.vm.conversations = this.vm.conversations.filter((c) => c.id !== id);
    if (current) {
      await this.newSession();
      this.store.setSetting('current', this.vm.currentId);
    }
    this.changed('all');
    this.tabs?.post({ type: 'list' });
    this.refreshStorage();
    this.retrySave(); // space was freed
  }

  // ------------------------------------------------------------- settings

  /** The core's configure event for the current settings (js_glue/settings.mjs). */
  coreConfig() {
    return this.ci.coreConfig();
  }

  /** Hands the settings and the preset's key to the Session (it sends them to the core now when idle, else after the turn). */
  configure() {
    if (!this.ci) return;
    const s = this.vm.settings;
    // vision and contextWindow unset (null): the preset's (providers.mjs).
    const r = this.ci.configure(withModelDefaults(s), this.keyRing.raw(s.preset));
    if (r.error) this.toast(`Settings not applied: ${r.error.message}`);
  }

  /** The key of `preset` if it was entered for the origin of `baseUrl` (or was never bound), else ''. */
  usableKey(preset, baseUrl = this.vm.settings.baseUrl) {
    return this.keyRing.usable(preset, baseUrl);
  }

  /** The keys read so far, preset → key (for the embed tests: an embed never holds the app's stored key). */
  get keys() { return this.keyRing?.keys ?? {}; }

  /** The key to show for `preset` (settings dialog): '' when it belongs to another origin. */
  keyFor(preset) {
    const s = this.vm.settings;
    return this.keyRing.forDialog(preset, preset === s.preset ? s.baseUrl : (presetById(preset).baseUrl || s.baseUrl));
  }

  /** Saves settings (and the key of their preset, on this device only). */
  async saveSettings(settings, key) {
    const s = { ...this.vm.settings, ...settings };
    s.baseUrl = (s.baseUrl || '').trim().replace(/\/+$/, '');
    this.vm.settings = s;
    await this.keyRing.save(s.preset, key, s.baseUrl);
    this.vm.hasKey = !!this.usableKey(s.preset);
    this.vm.firstStart = false;
    await this.store.setSetting('settings', s);
    this.tabs?.post({ type: 'settings' });
    if (this.needsReloadFor(s.baseUrl)) return this.reloadForPolicy();
    this.applyConnectPolicy();
    this.configure();
    this.changed('settings');
  }

  /** Narrows the page's connect-src to the endpoint, the packages and the lock file (csp.mjs; once). */
  applyConnectPolicy() {
    if (!globalThis.document) return; // no page, no policy (the controller's logic tests run in Node)
    this.connectPolicy ??= new ConnectPolicy(globalThis.document);
    const sb = this.sandbox?.options ?? {};
    this.connectPolicy.apply([this.vm.settings.baseUrl, sb.packageBaseURL, sb.lockFileURL, ...packageOrigins(this.config?.packages)].filter(Boolean).map(String));
  }

  // ------------------------------------------------------------- packages

  /** A package_consent question is shown (ci-consent) until it is answered or closed. */
  onPackageEvent(e) {
    if (e.type === 'package_consent') { this.vm.consent = e; this.changed('consent'); }
    if (e.type === 'package_consent_done' && this.vm.consent?.request_id === e.request_id) { this.vm.consent = null; this.changed('consent'); }
  }

  /** The user's answer to the open package question. */
  answerConsent(allow, { forConversation = false } = {}) {
    const q = this.vm.consent;
    if (!q) return false;
    return this.ci.answerConsent(q.request_id, allow, { forConversation });
  }

  /** Saving this endpoint needs a reload: the page's added connect policy does not list its origin. */
  needsReloadFor(baseUrl) {
    return !!this.connectPolicy?.applied && !!baseUrl && !this.connectPolicy.allows(baseUrl);
  }

  /** Reloads to apply a new policy; settings reopen after it. Conversations and files are saved first. */
  async reloadForPolicy() {
    await this.store.setSetting('reopenSettings', true);
    await this.leave();
    (this.options.reload ?? (() => globalThis.location.reload()))();
  }

  /**
   * Settings an embedder gives (element attributes, embed.html's configure):
   * applied now, sent to the core, never written to the store. The key is
   * kept in memory for that preset only.
   */
  applyOverrides(settings, key) {
    const s = { ...this.vm.settings };
    for (const [k, v] of Object.entries(settings)) if (v !== undefined && v !== null) s[k] = v;
    if (settings.preset && !settings.baseUrl) s.baseUrl = presetById(settings.preset).baseUrl;
    if (settings.preset && !settings.format) s.format = presetById(settings.preset).format;
    s.baseUrl = String(s.baseUrl || '').trim().replace(/\/+$/, '');
    this.vm.settings = s;
    if (key !== undefined) this.keyRing.setInMemory(s.preset, key, s.baseUrl);
    this.vm.hasKey = !!this.usableKey(s.preset);
    this.vm.firstStart = false;
    this.configure();
    this.changed('settings');
  }

  useLocalServer(server) {
    const preset = presetById(server.preset);
    return this.saveSettings({ preset: preset.id, baseUrl: server.baseUrl, format: preset.format, model: server.models[0] ?? '' });
  }

  get modelReady() {
    const s = this.vm.settings;
    return !!(s.baseUrl && s.model);
  }

  // ------------------------------------------------------------- actions

  /** Why this tab cannot change the conversation now, or null. */
  refusal() {
    if (!this.ci?.driver) return sessionError('not_ready', 'The app is still starting.');
    if (this.readOnly()) return sessionError('read_only', 'This conversation is open in another tab or window.');
    return null;
  }

  /**
   * Sends a message. Returns {ok: true} or {ok: false, error: {code,
   * message, detail}}; a refusal is also shown as a toast.
   */
  trySend(text) {
    if (!String(text).trim()) return { ok: false, error: sessionError('empty', 'There is nothing to send.') };
    const refused = this.refusal();
    if (refused) return { ok: false, error: refused };
    if (!this.modelReady) {
      this.toast('Choose a model endpoint and a model in Settings first (or run Python without a model).');
      this.dispatchEvent(new CustomEvent('open-settings'));
      return { ok: false, error: sessionError('no_model', 'Choose a model endpoint and a model in Settings first.') };
    }
    this.vm.restored = false;
    return this.accepted(this.ci.send(text));
  }

  /**
   * Runs code with no model ("Run Python", an edited cell, a re-run); while
   * a turn runs it waits for it. Returns {ok} or {ok: false, error}.
   */
  tryRunCode(code) {
    if (!String(code).trim()) return { ok: false, error: sessionError('empty', 'There is no code to run.') };
    const refused = this.refusal();
    if (refused) return { ok: false, error: refused };
    this.vm.restored = false;
    return this.accepted(this.ci.runCode(code, { queue: true }));
  }

  accepted(turn) {
    if (turn.error) {
      this.toast(turn.error.message);
      return { ok: false, error: turn.error };
    }
    if (!turn.queued) this.refreshItems();
    return { ok: true };
  }

  /** @returns {boolean} the message was accepted (trySend says why not) */
  ask(text) { return this.trySend(text).ok; }

  /** @returns {boolean} the code was accepted (tryRunCode says why not) */
  runCode(code) { return this.tryRunCode(code).ok; }

  /** Runs every cell of this conversation again, in order (after a reload). */
  rerunAll() {
    if (this.readOnly()) return;
    this.vm.restored = false;
    this.ci.runAll(this.vm.items.filter((i) => i.kind === 'cell').map((i) => i.exec.code));
    this.changed('items');
  }

  /** Runs the code that waited when the page was closed or reloaded. */
  runQueued() {
    if (this.refusal()) return;
    this.vm.restored = false;
    this.ci.runQueued();
    this.refreshItemsSoon();
  }

  /** Drops the code that waited when the page was closed or reloaded. */
  clearQueue() {
    if (this.refusal()) return;
    this.ci.clearQueue();
    this.refreshItemsSoon();
  }

  dismissRestored() {
    this.vm.restored = false;
    this.changed('items');
  }

  stop() {
    this.ci?.cancel();
  }

  /** Adds files to /mnt/data. Returns one {ok, file?} or {ok: false, error} per file (a refusal is also shown). */
  async upload(fileList) {
    const refused = this.refusal();
    if (refused) return [...fileList].map(() => ({ ok: false, error: refused }));
    const results = [];
    for (const file of fileList) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const name = file.name || `pasted-${Date.now()}.${(file.type.split('/')[1] || 'bin').replace('+xml', '')}`;
      // The core guesses a media type the browser does not know (its one table).
      // An over-size image gets a downscaled copy for the model (null otherwise; never throws).
      const preview = await previewFor(bytes, file.type);
      const r = this.ci.addFile(name, bytes, file.type, preview);
      if (!r.ok && r.error.detail?.kind !== 'file') this.toast(r.error.message); // the core's own file errors show as they come (onEmit)
      results.push(r);
    }
    this.refreshFiles();
    return results;
  }

  deleteFile(path) {
    if (this.readOnly()) return;
    const r = this.ci.deleteFile(path);
    if (!r.ok) this.toast(r.error.message);
    this.refreshFiles();
  }

  readFile(path) {
    return this.ci?.readFile(path) ?? null;
  }

  downloadFile(path) {
    const bytes = this.readFile(path);
    if (!bytes) {
      this.toast(`${path} is not in this conversation's files.`);
      return;
    }
    const f = this.vm.files.find((x) => x.path === path);
    saveBytes(baseName(path), bytes, f?.media_type || 'application/octet-stream');
  }

  downloadAll() {
    const files = {};
    for (const f of this.vm.files) files[f.path] = this.readFile(f.path);
    saveBytes(`${safeFileName(this.vm.title, 'files')}.zip`, zipFiles(files), 'application/zip');
  }

  exportNotebook() {
    const nb = this.ci.exportNotebook();
    saveBytes(`${safeFileName(this.vm.title)}.ipynb`, new TextEncoder().encode(JSON.stringify(nb, null, 1)), 'application/x-ipynb+json');
  }

  exportMarkdown() {
    const md = conversationToMarkdown(this.ci.conversation());
    saveBytes(`${safeFileName(this.vm.title)}.md`, new TextEncoder().encode(md), 'text/markdown');
  }

  /** Imports an .ipynb's code cells and runs them in order. */
  async importNotebook(file) {
    if (this.readOnly()) return;
    try {
      const cells = notebookCodeCells(await file.text());
      if (!cells.length) {
        this.toast('That notebook has no code cells.', 'warning');
        return;
      }
      this.toast(`Running ${cells.length} cell${cells.length === 1 ? '' : 's'} from ${file.name}…`, 'info');
      this.ci.runAll(cells);
    } catch (error) {
      this.toast(error.message);
    }
  }
}
