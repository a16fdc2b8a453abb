// The other tabs and windows of this app in this browser: one lock per
// conversation (Web Locks, held while this tab writes it) and one broadcast
// channel for what changed. The decisions are web/app/ownership.mjs's; this
// file only performs them and turns what happens into its events.
//
// Messages on the channel (all carry `from`, this tab's id):
//   {type:'saved', id, version}   a writer committed version `version` of conversation id
//   {type:'takeover', id}         a reader asks the writer of id to hand it over
//   {type:'released', id}         the writer of id let go (informational)
//   {type:'list'}                 the conversation list changed (new, renamed, deleted)
//   {type:'settings'}             settings or keys changed
// Where a browser has no navigator.locks (or no BroadcastChannel), every
// claim is granted and nothing is broadcast: a single tab works as before,
// and the store's versions still refuse a stale save.

const TAKEOVER_WAIT_MS = 10_000;

export const TAB_MESSAGES = Object.freeze(['saved', 'takeover', 'released', 'list', 'settings']);

export class Tabs {
  /**
   * @param {object} options
   * @param {string} options.scope             names this app's locks and channel (the database name)
   * @param {(event: object) => void} options.onEvent  ownership events and {type:'list'|'settings'}
   * @param {number} [options.takeoverWaitMs]
   */
  constructor({ scope, onEvent, takeoverWaitMs = TAKEOVER_WAIT_MS, locks = globalThis.navigator?.locks, Channel = globalThis.BroadcastChannel }) {
    this.scope = scope;
    this.onEvent = onEvent;
    this.takeoverWaitMs = takeoverWaitMs;
    this.locks = locks ?? null;
    this.tabId = globalThis.crypto?.randomUUID?.() ?? String(Math.random());
    this.held = new Map(); // id → release function
    this.channel = Channel ? new Channel(`ci-tabs:${scope}`) : null;
    if (this.channel) this.channel.onmessage = (e) => this.onMessage(e.data);
  }

  get coordinated() { return !!this.locks; }

  lockName(id) { return `ci:${this.scope}:conversation:${id}`; }

  /** Performs an ownership action's claim: {id, wait, steal}. Answers with lock / lock_lost / takeover_failed events. */
  claim({ id, wait = false, steal = false }) {
    if (!this.locks) {
      queueMicrotask(() => this.onEvent({ type: 'lock', id, granted: true }));
      return;
    }
    if (this.held.has(id)) {
      queueMicrotask(() => this.onEvent({ type: 'lock', id, granted: true }));
      return;
    }
    const options = steal ? { steal: true } : wait ? { signal: AbortSignal.timeout(this.takeoverWaitMs) } : { ifAvailable: true };
    let granted = false;
    this.locks.request(this.lockName(id), options, (lock) => {
      if (!lock) {
        this.onEvent({ type: 'lock', id, granted: false });
        return undefined;
      }
      granted = true;
      // Held until release(id): the callback's promise is the lock's life.
      const held = new Promise((resolve) => this.held.set(id, resolve));
      this.onEvent({ type: 'lock', id, granted: true });
      return held;
    }).catch((error) => {
      if (granted) {
        // Stolen by another tab's forced takeover.
        this.held.delete(id);
        this.onEvent({ type: 'lock_lost', id });
      } else if (wait) {
        this.onEvent({ type: 'takeover_failed', id, reason: error?.name === 'TimeoutError' || error?.name === 'AbortError' ? `no answer within ${Math.round(this.takeoverWaitMs / 1000)} s` : String(error?.message ?? error) });
      } else {
        console.error('tabs: lock request failed', error);
        this.onEvent({ type: 'lock', id, granted: false });
      }
    });
  }

  release(id) {
    const release = this.held.get(id);
    this.held.delete(id);
    release?.();
  }

  /**
   * Holds conversation `id`'s lock only if no tab has it (for deleting a
   * conversation this tab does not show). Resolves with a release function,
   * or null when another tab writes it.
   */
  async tryHold(id) {
    if (!this.locks) return () => {};
    if (this.held.has(id)) return () => {};
    return new Promise((resolve) => {
      this.locks.request(this.lockName(id), { ifAvailable: true }, (lock) => {
        if (!lock) { resolve(null); return undefined; }
        return new Promise((release) => resolve(release));
      }).catch(() => resolve(null));
    });
  }

  post(message) {
    try { this.channel?.postMessage({ ...message, from: this.tabId }); } catch (error) { console.error('tabs: could not post', error); }
  }

  onMessage(m) {
    if (!m || m.from === this.tabId || !TAB_MESSAGES.includes(m.type)) return;
    if (m.type === 'saved') this.onEvent({ type: 'peer_saved', id: m.id, version: m.version });
    else if (m.type === 'takeover') this.onEvent({ type: 'peer_takeover', id: m.id });
    else if (m.type === 'list' || m.type === 'settings') this.onEvent({ type: m.type });
  }

  close() {
    for (const id of [...this.held.keys()]) this.release(id);
    this.channel?.close();
    this.channel = null;
  }
}
