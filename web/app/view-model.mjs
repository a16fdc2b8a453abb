// The app's view model as data, and what each event does to it: pure
// functions, no DOM, no timers, no Session (the controller, controller.mjs,
// performs what they ask for: a refresh of the items, of the files, a toast).
// Tested in memory: tests/js/view-model.test.mjs.
//
// The conversation's items are derived from the core's conversation() record
// (the truth: itemsOf); what is still streaming lives beside them (streaming,
// live), until the refresh that ends the turn.
import { DEFAULT_SETTINGS } from './providers.mjs';
import { EMIT } from '../../js_glue/protocol.mjs';

/** A new view model (phase 'loading'). */
export function initialViewModel() {
  return {
    phase: 'loading', // loading | ready | failed
    fatal: '',
    python: { state: 'idle', message: 'Python starts when needed', info: null, canInterrupt: false, stop: null },
    conversations: [],
    currentId: null,
    title: '',
    items: [],
    streaming: null, // { text, thinking } while the model writes
    live: new Map(), // exec_id → { stdout, stderr, outputs, packages }
    files: [],
    running: false,
    activity: '', // what the turn is doing now
    turnUsage: new Map(), // turn → { input, cached, output, total } (the core's usage_by_turn)
    heldQueue: 0, // runs saved as queued before a reload, waiting for Run or Discard
    restored: false, // a restored conversation with cells whose variables are gone
    settings: { ...DEFAULT_SETTINGS },
    hasKey: false,
    storage: null, // { usage, quota }
    toasts: [], // { id, level, text }
    localServers: [],
    localSearch: '', // '' | 'searching' | 'done': the welcome screen's "Find a local model"
    firstStart: false,
    // Who writes the current conversation: 'owner' (this tab), 'reader'
    // (another tab; read-only here), 'claiming', 'taking_over', 'handing_over'.
    access: { role: 'owner', note: '', canForce: false },
    unsaved: null, // { message } when the current conversation's last save failed
    turn: 0, // the turn running or last run (turn_started)
    // turn → the notice that the core trimmed that turn's requests to fit the
    // context window (context_trimmed). Shown in the chat, not kept by the core.
    contextNotes: new Map(),
  };
}

/** Empties the conversation part of the view for conversation `id`. */
export function resetConversation(vm, id) {
  Object.assign(vm, {
    currentId: id, title: '', items: [], streaming: null, files: [], running: false, activity: '', restored: false, heldQueue: 0,
  });
  vm.live = new Map();
  vm.turnUsage = new Map();
  vm.contextNotes = new Map();
}

/**
 * A turn's token use for the view, from the core's usage_by_turn (the
 * figure its token limit checks): input counts every input token, cached
 * ones too; cached says how many of them came from (or went into) a cache.
 */
export function turnUsageOf(u) {
  const cached = (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
  return { input: (u.input_tokens ?? 0) + cached, cached, output: u.output_tokens ?? 0, total: u.total_tokens ?? 0 };
}

/**
 * The chat's line for a context_trimmed event {outputs_trimmed,
 * images_omitted, turns_dropped, estimated_tokens, budget_tokens, retried}.
 */
export function contextTrimText(e) {
  const n = (count, one, many) => `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
  const parts = [];
  if (e.outputs_trimmed > 0) parts.push(n(e.outputs_trimmed, 'older output', 'older outputs'));
  if (e.images_omitted > 0) parts.push(n(e.images_omitted, 'image', 'images'));
  if (e.turns_dropped > 0) parts.push(n(e.turns_dropped, 'earlier turn', 'earlier turns'));
  if (parts.length === 1 && e.images_omitted > 0 && !e.retried) {
    // Only images: the per-request image count (or their size), not the text.
    return `The model now sees only the newest images: ${parts[0]} left out of its request. They stay here.`;
  }
  const what = parts.length ? parts.join(', ') : 'older outputs';
  // The core's budget: the window less room for the answer.
  const window = e.budget_tokens > 0 ? ` (a budget of ${e.budget_tokens.toLocaleString('en')} tokens)` : '';
  const why = e.retried ? 'The model refused the request as too long, so it was trimmed harder and sent again: ' : 'Trimmed to fit the model\'s context window' + window + ': ';
  return `${why}the model no longer sees ${what}. They stay here; re-run a cell if the model needs its output again.`;
}

/** items with each turn's context note after that turn's first item (its message), or at the end. */
export function withContextNotes(items, notes) {
  if (!notes?.size) return items;
  const out = [...items];
  for (const note of [...notes.values()].sort((a, b) => a.turn - b.turn)) {
    const first = out.findIndex((i) => i.turn === note.turn);
    if (first < 0) out.push(note);
    else out.splice(first + 1, 0, note);
  }
  return out;
}

/**
 * The view's part of the core's conversation record: {items, turnUsage,
 * title, heldQueue}; notes: vm.contextNotes, merged into the items.
 */
export function itemsOf(conv, notes = null) {
  const items = [];
  for (const e of conv.entries) {
    if (e.kind === 'user') items.push({ kind: 'user', turn: e.turn, text: e.text });
    else if (e.kind === 'assistant') {
      if (e.text || e.thinking) items.push({ kind: 'assistant', turn: e.turn, text: e.text, thinking: e.thinking ?? '' });
    } else if (e.kind === 'exec') items.push({ kind: 'cell', turn: e.turn, exec: e.exec });
    else if (e.kind === 'notice') items.push({ kind: 'notice', turn: e.turn, level: e.level, text: e.text });
  }
  return {
    items: withContextNotes(items, notes),
    turnUsage: new Map(Object.entries(conv.usage_by_turn ?? {}).map(([turn, u]) => [Number(turn), turnUsageOf(u)])),
    title: conv.title ?? '',
    // Code queued before a reload waits for the user (it may be why they reloaded).
    heldQueue: conv.queue_held ? conv.queued?.length ?? 0 : 0,
  };
}

/**
 * What a core event does to the view. Changes `vm` in place and returns
 * what the controller must do next: {changed?: what to re-render, items?:
 * refresh the items from the core, files?: refresh the file list, toast?:
 * text to show, endTurn?: refresh the items, then endTurn(vm) in the same
 * task (never "not running" beside stale items)}.
 */
export function applyCoreEvent(vm, event) {
  const streaming = () => (vm.streaming ??= { text: '', thinking: '' });
  switch (event.type) {
    case EMIT.TURN_STARTED:
      vm.turn = event.turn ?? vm.turn + 1;
      vm.running = true;
      vm.activity = 'Starting…';
      return { changed: 'running' };
    case EMIT.MODEL_REQUEST:
      vm.activity = event.attempt > 1 ? `Asking the model again (attempt ${event.attempt})…` : 'Waiting for the model…';
      streaming();
      return { changed: 'stream' };
    case EMIT.TEXT_DELTA:
      streaming().text += event.text;
      vm.activity = 'Writing…';
      return { changed: 'stream' };
    case EMIT.THINKING_DELTA:
      streaming().thinking += event.text;
      vm.activity = 'Thinking…';
      return { changed: 'stream' };
    case EMIT.TOOL_CALL_STARTED:
      vm.activity = 'Writing code…';
      return { changed: 'stream' };
    case EMIT.ASSISTANT_MESSAGE:
      vm.streaming = null;
      return { items: true };
    case EMIT.CELL_STARTED:
      vm.streaming = null;
      vm.live.set(event.exec_id, { stdout: '', stderr: '', outputs: [], packages: [] });
      vm.activity = 'Running Python…';
      return { items: true };
    case EMIT.CELL_FINISHED:
      vm.live.delete(event.exec.exec_id);
      return { items: true, files: true };
    case EMIT.FILE_CHANGED:
      return { files: true };
    case EMIT.RETRYING:
      vm.activity = `Retrying in ${Math.ceil(event.delay_ms / 1000)} s (attempt ${event.attempt} of ${event.max_attempts}): ${event.reason}`;
      return { changed: 'running' };
    case EMIT.TITLE:
      // The core owns the title: a rename (custom) is never replaced by its automatic one.
      vm.title = event.title;
      return { changed: 'conversations' };
    case EMIT.QUEUE:
      return { items: true };
    case EMIT.NOTICE:
      return { items: true };
    case EMIT.ERROR:
      return event.error.kind === 'file' ? { toast: event.error.message } : { items: true };
    case EMIT.TURN_DONE:
      return { endTurn: true };
    case EMIT.CONTEXT_TRIMMED: {
      // Not an error: a status line in the turn (the latest trim of the turn).
      const turn = event.turn ?? vm.turn;
      vm.contextNotes.set(turn, { kind: 'notice', turn, level: 'info', role: 'status', trimmed: true, text: contextTrimText(event), event: { ...event } });
      return { items: true };
    }
    default:
      return {};
  }
}

/** The end of a turn in the view (after the refresh that shows its last items). */
export function endTurn(vm) {
  vm.running = false;
  vm.streaming = null;
  vm.activity = '';
  vm.live.clear();
}

/** A live event of a run (stdout, stderr, output, package) into the running cell's view. True when it changed something. */
export function applyLiveEvent(vm, event) {
  const live = vm.live.get(event.exec_id);
  if (!live) return false;
  if (event.type === 'stdout' || event.type === 'stderr') live[event.type] += event.text;
  else if (event.type === 'output') live.outputs.push({ mime: event.mime, data: event.data });
  else if (event.type === 'package') live.packages.push(event);
  else return false;
  return true;
}
