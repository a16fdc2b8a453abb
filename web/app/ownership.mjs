// Who may write the open conversation, across this browser's tabs and
// windows. A pure state machine: events in, actions out, no I/O (the
// controller performs the actions with web/app/tabs.mjs and the store;
// tests/js/ownership.test.mjs drives it in memory).
//
// Rules:
// - One writer per conversation: a tab writes a conversation only while it
//   holds that conversation's lock (Web Locks). The first tab to open it
//   gets it; another tab that opens it is a reader: it shows it read-only
//   and reloads it whenever the writer saves (peer_saved).
// - "Continue here" moves the writer: the reader asks (post takeover) and
//   waits for the lock; the writer stops its turn, saves everything
//   (flush), releases the lock and becomes a reader; the new writer reloads
//   the newest version from the store before it becomes writable, so
//   nothing the old writer acknowledged is lost.
// - Bounded: a takeover that gets no lock in time ends as a reader with the
//   reason (takeover_failed), and may then be forced (steal), which a
//   frozen or unresponsive writer cannot refuse; the old writer learns it
//   lost the lock (lock_lost) and turns reader.
// - A lock granted for a conversation this tab has left is released at once.
//
// State: { id, role }, role ∈ 'none' | 'claiming' | 'owner' | 'reader' |
// 'taking_over' | 'handing_over'; plus `note` (why this tab is a reader).
//
// Events:  {type:'open', id}  {type:'lock', id, granted}  {type:'lock_lost', id}
//          {type:'continue_here'}  {type:'force'}  {type:'takeover_failed', id, reason}
//          {type:'peer_takeover', id}  {type:'flushed', id}  {type:'peer_saved', id, version}
// Actions: {type:'claim', id, wait, steal}  {type:'release', id}  {type:'flush', id}
//          {type:'reload', id}  {type:'post', message}  {type:'role', role, note}

export const INITIAL = Object.freeze({ id: null, role: 'none', note: '' });

const READ_ONLY_NOTE = 'This conversation is open in another tab or window. It is shown here read-only and kept up to date.';

/** @returns {{state, actions}} */
export function step(state, event) {
  const same = event.id === undefined || event.id === state.id;
  const to = (role, note = '') => ({ ...state, role, note });
  switch (event.type) {
    case 'open': {
      const actions = [];
      if (state.id && state.id !== event.id && ['owner', 'handing_over', 'taking_over'].includes(state.role)) actions.push({ type: 'release', id: state.id });
      actions.push({ type: 'claim', id: event.id, wait: false, steal: false });
      return { state: { id: event.id, role: 'claiming', note: '' }, actions };
    }
    case 'lock': {
      if (!same) return { state, actions: event.granted ? [{ type: 'release', id: event.id }] : [] };
      if (state.role === 'claiming') {
        return event.granted
          ? { state: to('owner'), actions: [{ type: 'role', role: 'owner', note: '' }] }
          : { state: to('reader', READ_ONLY_NOTE), actions: [{ type: 'role', role: 'reader', note: READ_ONLY_NOTE }] };
      }
      if (state.role === 'taking_over') {
        return event.granted
          // The newest version first, then writable.
          ? { state: to('owner'), actions: [{ type: 'reload', id: state.id }, { type: 'role', role: 'owner', note: '' }] }
          : { state: to('reader', READ_ONLY_NOTE), actions: [{ type: 'role', role: 'reader', note: READ_ONLY_NOTE }] };
      }
      // A grant nobody waits for any more (we left, or already own it).
      return { state, actions: event.granted && state.role !== 'owner' && state.role !== 'handing_over' ? [{ type: 'release', id: event.id }] : [] };
    }
    case 'lock_lost':
      if (!same || !['owner', 'handing_over'].includes(state.role)) return { state, actions: [] };
      {
        const note = 'Another tab or window took this conversation over. It is shown here read-only.';
        return { state: to('reader', note), actions: [{ type: 'role', role: 'reader', note }] };
      }
    case 'continue_here':
    case 'force':
      if (state.role !== 'reader' || !state.id) return { state, actions: [] };
      return {
        state: to('taking_over', 'Asking the other tab to hand this conversation over…'),
        actions: [
          { type: 'role', role: 'taking_over', note: 'Asking the other tab to hand this conversation over…' },
          ...(event.type === 'continue_here' ? [{ type: 'post', message: { type: 'takeover', id: state.id } }] : []),
          { type: 'claim', id: state.id, wait: true, steal: event.type === 'force' },
        ],
      };
    case 'takeover_failed':
      if (!same || state.role !== 'taking_over') return { state, actions: [] };
      {
        const note = `The other tab did not hand this conversation over (${event.reason}). You can take it over anyway.`;
        return { state: to('reader', note), actions: [{ type: 'role', role: 'reader', note, canForce: true }] };
      }
    case 'peer_takeover':
      if (!same || state.role !== 'owner') return { state, actions: [] };
      return { state: to('handing_over'), actions: [{ type: 'flush', id: state.id }] };
    case 'flushed':
      if (!same || state.role !== 'handing_over') return { state, actions: [] };
      {
        const note = 'You continued this conversation in another tab or window. It is shown here read-only.';
        return {
          state: to('reader', note),
          actions: [{ type: 'release', id: state.id }, { type: 'role', role: 'reader', note }, { type: 'post', message: { type: 'released', id: state.id } }],
        };
      }
    case 'peer_saved':
      return { state, actions: same && (state.role === 'reader' || state.role === 'taking_over') ? [{ type: 'reload', id: state.id }] : [] };
    default:
      return { state, actions: [] };
  }
}
