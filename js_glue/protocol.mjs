// The JS mirror of wasm/core/protocol.h: the names on the wire between the
// glue and the core. tests/js/protocol.test.mjs checks these lists against
// the built module's protocolInfo(), so the two cannot drift apart, and that
// the glue (driver.mjs, session.mjs) names them only through the constants
// below (EVENT.USER_MESSAGE, ACTION.RUN_CODE, EMIT.TURN_DONE, …).
// Field-level documentation: wasm/PROTOCOL.md.

export const PROTOCOL_VERSION = 1;

export const EVENT_TYPES = Object.freeze([
  'configure', 'user_message', 'user_code', 'llm_headers', 'llm_chunk', 'llm_done', 'llm_failed',
  'exec_result', 'file_upload', 'file_delete', 'timer_fired', 'sandbox_restarted', 'cancel',
  'set_title', 'run_queued', 'clear_queue', 'list_models',
]);

export const ACTION_TYPES = Object.freeze([
  'http_request', 'abort_request', 'run_code', 'interrupt', 'set_timer', 'clear_timer', 'emit', 'persist',
]);

export const EMIT_TYPES = Object.freeze([
  'turn_started', 'title', 'model_request', 'text_delta', 'thinking_delta', 'tool_call_started',
  'tool_call_delta', 'assistant_message', 'usage', 'retrying', 'cell_started', 'cell_finished',
  'file_changed', 'notice', 'error', 'turn_done', 'queue', 'models', 'context_trimmed',
]);

/** name → name, keyed in capitals: EVENT.USER_MESSAGE === 'user_message'. */
const byName = (list) => Object.freeze(Object.fromEntries(list.map((name) => [name.toUpperCase(), name])));

export const EVENT = byName(EVENT_TYPES);
export const ACTION = byName(ACTION_TYPES);
export const EMIT = byName(EMIT_TYPES);
