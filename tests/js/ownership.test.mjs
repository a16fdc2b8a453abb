// The cross-tab ownership machine (web/app/ownership.mjs) in memory: two
// tabs and a fake lock manager, h11-style (both ends driven here).
import test from 'node:test';
import assert from 'node:assert/strict';
import { step, INITIAL } from '../../web/app/ownership.mjs';

/** A lock manager with one exclusive lock per name, as navigator.locks. */
class Locks {
  constructor() { this.holder = new Map(); this.waiting = new Map(); }
  claim(tab, id, { wait, steal }) {
    const holder = this.holder.get(id);
    if (!holder || steal) {
      if (holder && steal) holder.deliver({ type: 'lock_lost', id });
      this.holder.set(id, tab);
      return tab.deliver({ type: 'lock', id, granted: true });
    }
    if (!wait) return tab.deliver({ type: 'lock', id, granted: false });
    this.waiting.set(id, [...(this.waiting.get(id) ?? []), tab]);
  }
  release(tab, id) {
    if (this.holder.get(id) !== tab) return;
    this.holder.delete(id);
    const next = this.waiting.get(id)?.shift();
    if (next) { this.holder.set(id, next); next.deliver({ type: 'lock', id, granted: true }); }
  }
  expire(tab, id) { // a waited claim timed out
    this.waiting.set(id, (this.waiting.get(id) ?? []).filter((t) => t !== tab));
    tab.deliver({ type: 'takeover_failed', id, reason: 'no answer within 10 s' });
  }
}

class Tab {
  constructor(name, world) {
    this.name = name; this.world = world; this.state = INITIAL; this.log = []; this.roles = [];
    this.autoFlush = true;
  }
  deliver(event) {
    const { state, actions } = step(this.state, event);
    this.state = state;
    for (const a of actions) this.perform(a);
  }
  perform(a) {
    this.log.push(a.type === 'post' ? `post:${a.message.type}` : a.type);
    switch (a.type) {
      case 'claim': this.world.locks.claim(this, a.id, a); break;
      case 'release': this.world.locks.release(this, a.id); break;
      case 'role': this.roles.push(a.role); break;
      case 'flush': if (this.autoFlush) this.deliver({ type: 'flushed', id: a.id }); break;
      case 'post': for (const t of this.world.tabs) if (t !== this) t.deliver(a.message.type === 'takeover' ? { type: 'peer_takeover', id: a.message.id } : { type: 'peer_' + a.message.type, ...a.message }); break;
      default: break;
    }
  }
}

function world(n = 2) {
  const w = { locks: new Locks(), tabs: [] };
  for (let i = 0; i < n; i += 1) w.tabs.push(new Tab(String.fromCharCode(65 + i), w));
  return w;
}

test('the first tab to open a conversation writes it; the second reads it', () => {
  const { tabs: [a, b] } = world();
  a.deliver({ type: 'open', id: 'c1' });
  b.deliver({ type: 'open', id: 'c1' });
  assert.equal(a.state.role, 'owner');
  assert.equal(b.state.role, 'reader');
  assert.match(b.state.note, /open in another tab/);
});

test('a reader reloads when the writer saves; the writer does not', () => {
  const { tabs: [a, b] } = world();
  a.deliver({ type: 'open', id: 'c1' });
  b.deliver({ type: 'open', id: 'c1' });
  b.log = []; a.log = [];
  b.deliver({ type: 'peer_saved', id: 'c1', version: 3 });
  a.deliver({ type: 'peer_saved', id: 'c1', version: 3 });
  assert.deepEqual(b.log, ['reload']);
  assert.deepEqual(a.log, []);
  b.log = [];
  b.deliver({ type: 'peer_saved', id: 'other', version: 1 });
  assert.deepEqual(b.log, [], 'another conversation\'s save is not ours');
});

test('Continue here: the writer flushes, releases and reads; the new writer reloads before it writes', () => {
  const w = world();
  const [a, b] = w.tabs;
  a.deliver({ type: 'open', id: 'c1' });
  b.deliver({ type: 'open', id: 'c1' });
  a.log = []; b.log = [];
  b.deliver({ type: 'continue_here' });
  assert.equal(a.state.role, 'reader');
  assert.equal(b.state.role, 'owner');
  assert.deepEqual(a.log, ['flush', 'release', 'role', 'post:released'], 'the old writer saves before it lets go');
  const reload = b.log.indexOf('reload');
  assert.ok(reload >= 0 && reload < b.log.lastIndexOf('role'), `the new writer reloads, then becomes writable: ${b.log}`);
  assert.equal(w.locks.holder.get('c1'), b);
});

test('while the writer is still saving, the takeover waits; nothing is released early', () => {
  const w = world();
  const [a, b] = w.tabs;
  a.autoFlush = false;
  a.deliver({ type: 'open', id: 'c1' });
  b.deliver({ type: 'open', id: 'c1' });
  b.deliver({ type: 'continue_here' });
  assert.equal(a.state.role, 'handing_over');
  assert.equal(b.state.role, 'taking_over');
  assert.equal(w.locks.holder.get('c1'), a, 'the lock stays with the writer until it has saved');
  a.deliver({ type: 'flushed', id: 'c1' });
  assert.equal(b.state.role, 'owner');
  assert.equal(a.state.role, 'reader');
});

test('a writer that never answers: the takeover fails with a reason, then a forced one wins and the old writer turns reader', () => {
  const w = world();
  const [a, b] = w.tabs;
  a.autoFlush = false;
  a.deliver({ type: 'open', id: 'c1' });
  b.deliver({ type: 'open', id: 'c1' });
  // a is frozen: it gets the request but never flushes.
  b.deliver({ type: 'continue_here' });
  w.locks.expire(b, 'c1');
  assert.equal(b.state.role, 'reader');
  assert.match(b.state.note, /did not hand .*no answer within 10 s/);
  b.deliver({ type: 'force' });
  assert.equal(b.state.role, 'owner');
  assert.equal(a.state.role, 'reader', 'the old writer learns it lost the lock');
  assert.match(a.state.note, /took this conversation over/);
});

test('a writer that moves to another conversation releases the first; a late grant for a left conversation is given back', () => {
  const w = world();
  const [a, b] = w.tabs;
  a.deliver({ type: 'open', id: 'c1' });
  b.deliver({ type: 'open', id: 'c1' });
  a.deliver({ type: 'open', id: 'c2' });
  assert.equal(w.locks.holder.get('c1'), undefined);
  assert.equal(a.state.role, 'owner');
  // b asks to continue c1 now that it is free: granted at once.
  b.deliver({ type: 'continue_here' });
  assert.equal(b.state.role, 'owner');
  // A grant for c9, which this tab is not showing, is released.
  a.log = [];
  a.deliver({ type: 'lock', id: 'c9', granted: true });
  assert.deepEqual(a.log, ['release']);
});

test('events that do not apply change nothing', () => {
  const s = { id: 'c1', role: 'owner', note: '' };
  for (const e of [{ type: 'continue_here' }, { type: 'flushed', id: 'c1' }, { type: 'takeover_failed', id: 'c1', reason: 'x' }, { type: 'nonsense' }]) {
    const r = step(s, e);
    assert.deepEqual(r, { state: s, actions: [] }, e.type);
  }
});
