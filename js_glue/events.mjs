// The public events of an embedded Code Interpreter, one shape for all three
// ways to embed (the <code-interpreter> element's `ci-event`, createSession's
// iterables, embed.html's postMessage `event`s). Built from what the core
// emits (js_glue/driver.mjs onEmit, wasm/PROTOCOL.md "Emitted UI events") and
// the sandbox's live run events (PythonSandbox onEvent). Every event is plain
// data (a fresh copy: an embedder can keep or change it without touching the
// app's state), with a `type`:
//
//   text_delta     {text}                         the model's answer, streaming
//   thinking_delta {text}
//   message        {role: 'user'|'assistant', text, tool_calls?, finish_reason?}
//   cell_started   {exec_id, code, source, execution_count}
//   stdout|stderr  {exec_id, text}                live output of a run
//   output         {exec_id, mime, data, text?}   display(): image/png (base64), text/html, a table, a chart …; text: its text/plain
//   cell_finished  {exec_id, status, exec}        exec: the core's record (stdout, result, error, outputs, files)
//   file_changed   {path, change, file?}          change: created | modified | deleted (uploads too)
//   notice         {level, text}
//   retrying       {attempt, max_attempts, delay_ms, reason}
//   error          {error: {kind, type, message, status?}}
//   turn_done      {turn, reason, usage}          reason: completed | cancelled | error | step_limit | token_limit
//   context_trimmed {outputs_trimmed, images_omitted, turns_dropped, estimated_tokens, budget_tokens, retried}
//                  the core left older outputs, images or turns out of a request to fit the model's window
//
// Events the core emits that an embedder has no use for (tool_call_delta,
// model_request, usage, …) are dropped.

const PASS = new Set(['text_delta', 'thinking_delta', 'cell_started', 'file_changed', 'notice', 'retrying', 'error', 'turn_done', 'title', 'context_trimmed']);

/** The public event for a core UI event, or null. */
export function fromCoreEvent(event) {
  if (!event || typeof event.type !== 'string') return null;
  if (event.type === 'user_message') return { type: 'message', role: 'user', text: String(event.text ?? '') };
  if (event.type === 'assistant_message') {
    return structuredClone({ type: 'message', role: 'assistant', text: event.text ?? '', tool_calls: event.tool_calls ?? [], finish_reason: event.finish_reason ?? null });
  }
  if (event.type === 'cell_finished') {
    return structuredClone({ type: 'cell_finished', exec_id: event.exec?.exec_id, status: event.exec?.status, exec: event.exec });
  }
  return PASS.has(event.type) ? structuredClone(event) : null;
}

/** The public event for a sandbox live event (stdout, stderr, output), or null. */
export function fromSandboxEvent(event) {
  if (!event) return null;
  if (event.type === 'stdout' || event.type === 'stderr') return { type: event.type, exec_id: event.exec_id, text: String(event.text ?? '') };
  if (event.type === 'output') return structuredClone({ type: 'output', exec_id: event.exec_id, mime: event.mime, data: event.data, ...(event.text ? { text: event.text } : {}) });
  return null;
}

/** The DOM event name the element fires for a public event (besides `ci-event` for all). */
export function domEventName(event) {
  switch (event.type) {
    case 'message': return 'ci-message';
    case 'cell_started': case 'cell_finished': case 'stdout': case 'stderr': case 'output': return 'ci-cell';
    case 'file_changed': return 'ci-file';
    case 'turn_done': return 'ci-turn';
    case 'error': return 'ci-error';
    default: return null;
  }
}
