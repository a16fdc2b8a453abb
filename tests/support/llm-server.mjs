// The scripted LLM server: a real HTTP server on 127.0.0.1 that answers
// OpenAI Chat Completions (POST …/chat/completions), Anthropic Messages
// (POST …/messages) and OpenAI Responses (POST …/responses) requests exactly
// as those APIs do on the wire (streaming SSE, tool calls split across
// chunks, usage, error bodies, Retry-After, slow and cut-off streams), from a
// scenario: a queue of replies, one per model request.
//
// It is the only stand-in in the test suite: no model is reachable here.
//
// It is strict, as the providers are: every model request is checked first
// (tests/support/llm-validate.mjs: fields and their types, roles, tool calls
// paired with their results, image parts, tools, stream: true) and a
// malformed one is answered with the provider's real 400 body, without taking
// a reply from the queue. Each model request's record gets `format`
// ('openai' | 'anthropic' | 'responses'), `invalid: [reason]` (empty when the
// provider would accept it) and `warnings: [reason]` (rules our core is known
// to break, see KNOWN_CORE_DEVIATIONS there); server.violations() lists the
// requests with either. startLlmServer({ strict: false }) answers malformed
// requests anyway (still recording why). Raw steps are not checked: only
// requests are.
//
// A context window: startLlmServer({ contextWindow: N }) or a step's
// `context_window: N` answers a request whose prompt is over N tokens
// (estimated as chars/4 of the serialized messages, system + messages, or
// instructions + input: llm-validate.mjs estimateTokens) with the provider's
// real 400 (OpenAI and Responses: code context_length_exceeded; Anthropic:
// "prompt is too long: M tokens > N maximum"), recorded as
// record.overWindow = {estimate, window} (record.estimate whenever a window
// applies). A request refused by the server's window does not use up its
// reply (the step waits for the next request); a step's own window uses up
// that step. With a window, a reply without a scripted usage reports
// that estimate as its input tokens, as a real provider reports its own count.
//
// A reply step:
//   { text?, thinking?, tool_calls?: [{id, name, arguments}],   // what the model says
//     finish_reason?, usage?,
//     status?, error?: {type, message, code?}, headers?,        // an HTTP error instead
//     body?: string,                                            // raw body, sent as is
//     delay_ms?: per-event delay, cut_after?: events before the connection is cut,
//     hang?: true (headers, then nothing),
//     context_window?: tokens,                                  // see above
//     incomplete?: 'max_output_tokens', failed?: {code, message}, // Responses endings:
//     stream_error?: {code, message, param?},                    // .incomplete, .failed, an `error` event
//     raw?: RawResponse }                                        // any bytes, see below
//   In the Responses format (responsesEvents) a step streams as OpenAI does:
//   response.created, response.in_progress, then an output item per part
//   (reasoning with its summary for `thinking`, a message for `text`, a
//   function_call per tool call; output_item.added, the deltas, .done), then
//   response.completed with usage {input_tokens, input_tokens_details:
//   {cached_tokens}, output_tokens, output_tokens_details: {reasoning_tokens},
//   total_tokens} (a step's usage may give cached_tokens and reasoning_tokens
//   flat), or response.incomplete / response.failed / an `error` event. Each event is
//   `event: <type>` and a data line with "type" and "sequence_number".
//
// A raw step sends exactly what it says, for hostile-endpoint tests
// (tests/security/hostile-streams.mjs):
//   raw: { status?: 200, headers?: { 'content-type': 'text/event-stream' }  // as given, CORS added
//          body?: string | Uint8Array,                       // the bytes (strings as UTF-8)
//          splits?: [offset, …] | chunk_size?: n,            // one write per piece (Nagle off)
//          delay_ms?: 0,                                     // pause after each piece
//          cut_at?: offset,                                  // destroy the socket after this many body bytes
//          generate?: { bytes, piece, prefix?, suffix? },    // a huge body made on the fly: prefix,
//                                                            // piece repeated up to `bytes`, suffix
//                                                            // (never held in memory; waits on drain)
//          after?: 'end' | 'cut' | 'hang' | { repeat, interval_ms?, max_ms? } }
//                 // then: end the response (default), destroy the socket, keep it open with no
//                 // bytes, or keep writing `repeat` (until the client goes away or max_ms)
//   The request's record gets `response: { bytes_sent, last_write_ms, client_closed, ended_ms }`.
//
// startLlmServer({ respond(record) }) answers each model request with the
// step respond() returns (undefined: the queue as usual), e.g. to pick the
// reply from the request's content.
//
// Scenario files (tests/scenarios/*.json) hold such steps for a whole
// conversation: { "description": "...", "steps": [step, …] }. For easier
// writing, a step's `text` may be a list of lines, and a tool call may give
// `code` (a string or a list of lines) instead of `arguments`; loadScenario()
// turns these into the wire form above.
//
// As a command, it serves one scenario for a demo of the app with no model:
//   node tests/support/llm-server.mjs --port 8787 --scenario tests/scenarios/csv-chart.json
// It prints the base URL to enter in Settings and starts the scenario over
// when its steps run out.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validateRequest, errorResponse, estimateTokens, contextWindowError } from './llm-validate.mjs';

export const SCENARIOS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../scenarios');

const lines = (v) => (Array.isArray(v) ? v.join('\n') : v);

/** A scenario file's step in the wire form (text and code lines joined, code → arguments). */
export function normalizeStep(step) {
  const out = { ...step };
  if (out.text !== undefined) out.text = lines(out.text);
  if (out.thinking !== undefined) out.thinking = lines(out.thinking);
  if (out.tool_calls) {
    out.tool_calls = out.tool_calls.map((call, i) => {
      const { code, ...rest } = call;
      let args = rest.arguments;
      if (code !== undefined) args = { code: lines(code) };
      return { ...rest, id: rest.id ?? `call_${i + 1}`, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) };
    });
  }
  return out;
}

/**
 * Loads a scenario: a name ("csv-chart" → tests/scenarios/csv-chart.json)
 * or a path to a .json file. Returns { name, description, steps } with the
 * steps in the wire form, ready for server.script(steps).
 */
export function loadScenario(name) {
  const file = name.endsWith('.json') || name.includes('/') ? path.resolve(name) : path.join(SCENARIOS_DIR, `${name}.json`);
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`scenario ${name}: cannot read ${file}: ${error.message}`);
  }
  if (typeof data.description !== 'string' || !Array.isArray(data.steps) || !data.steps.length) {
    throw new Error(`scenario ${file}: needs a "description" string and a non-empty "steps" list`);
  }
  return { name: path.basename(file, '.json'), description: data.description, steps: data.steps.map(normalizeStep) };
}

const enc = (obj) => `data: ${JSON.stringify(obj)}\n\n`;
const named = (name, obj) => `event: ${name}\ndata: ${JSON.stringify(obj)}\n\n`;

function pieces(text, size = 6) {
  const out = [];
  const chars = [...text]; // never split a code point: real APIs send whole tokens
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

/** The SSE events of an OpenAI Chat Completions stream for one reply step. */
export function openaiEvents(step, model = 'gpt-4o-mini') {
  const base = { id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 1732600000, model, system_fingerprint: 'fp_scripted' };
  const chunk = (delta, finish = null) => enc({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const events = [chunk({ role: 'assistant', content: '', refusal: null })];
  if (step.thinking) for (const p of pieces(step.thinking)) events.push(chunk({ reasoning_content: p }));
  if (step.text) for (const p of pieces(step.text)) events.push(chunk({ content: p }));
  (step.tool_calls ?? []).forEach((call, index) => {
    events.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name ?? 'python', arguments: '' } }] }));
    for (const p of pieces(call.arguments, 9)) events.push(chunk({ tool_calls: [{ index, function: { arguments: p } }] }));
  });
  const finish = step.finish_reason ?? (step.tool_calls?.length ? 'tool_calls' : 'stop');
  events.push(chunk({}, finish));
  const usage = step.usage ?? { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 };
  events.push(enc({ ...base, choices: [], usage }));
  events.push('data: [DONE]\n\n');
  return events;
}

/** The SSE events of an Anthropic Messages stream for one reply step. */
export function anthropicEvents(step, model = 'claude-sonnet-4-5') {
  const usage = step.usage ?? { input_tokens: 42, output_tokens: 7 };
  const events = [named('message_start', {
    type: 'message_start',
    message: { id: 'msg_scripted', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null,
      usage: { input_tokens: usage.input_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 } },
  })];
  let index = 0;
  const block = (content_block, deltas) => {
    events.push(named('content_block_start', { type: 'content_block_start', index, content_block }));
    for (const delta of deltas) events.push(named('content_block_delta', { type: 'content_block_delta', index, delta }));
    events.push(named('content_block_stop', { type: 'content_block_stop', index }));
    index += 1;
  };
  if (step.thinking) {
    block({ type: 'thinking', thinking: '', signature: '' },
      [...pieces(step.thinking).map((t) => ({ type: 'thinking_delta', thinking: t })), { type: 'signature_delta', signature: 'EqQBCgIYAhIM' }]);
  }
  events.push(named('ping', { type: 'ping' }));
  if (step.text) block({ type: 'text', text: '' }, pieces(step.text).map((t) => ({ type: 'text_delta', text: t })));
  for (const call of step.tool_calls ?? []) {
    block({ type: 'tool_use', id: call.id, name: call.name ?? 'python', input: {} },
      pieces(call.arguments, 9).map((p) => ({ type: 'input_json_delta', partial_json: p })));
  }
  const stop = step.finish_reason ?? (step.tool_calls?.length ? 'tool_use' : 'end_turn');
  events.push(named('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }));
  events.push(named('message_stop', { type: 'message_stop' }));
  return events;
}

/**
 * The SSE events of an OpenAI Responses stream for one reply step, as the
 * API streams them: response.created, response.in_progress, then one output
 * item per part of the reply (a reasoning item with its summary for
 * `thinking`, a message for `text`, a function_call per tool call), each
 * opened by response.output_item.added and closed by response.output_item.done
 * with its deltas between (a reasoning item carries `encrypted_content` when
 * the request's include asks for reasoning.encrypted_content: "enc:" and the
 * base64 of the thinking), and last response.completed (or
 * response.incomplete for `incomplete: "max_output_tokens"`, response.failed
 * for `failed: {code, message}`). Every event is `event: <type>` plus a data
 * line whose JSON repeats the type and carries a sequence_number from 0.
 */
export function responsesEvents(step, model = 'gpt-4.1-mini', include = []) {
  let seq = 0;
  const out = [];
  const emit = (type, fields) => out.push(named(type, { type, sequence_number: seq++, ...fields }));
  const output = [];
  const response = (status, extra = {}) => ({
    id: 'resp_scripted', object: 'response', created_at: 1732600000, status, error: null, incomplete_details: null,
    instructions: null, max_output_tokens: null, model, output: [...output], parallel_tool_calls: true, previous_response_id: null,
    reasoning: { effort: null, summary: null }, store: false, temperature: 1, text: { format: { type: 'text' } }, tool_choice: 'auto',
    tools: [], top_p: 1, truncation: 'disabled', usage: null, user: null, metadata: {}, ...extra,
  });
  emit('response.created', { response: response('in_progress') });
  emit('response.in_progress', { response: response('in_progress') });
  let index = 0;
  if (step.thinking) {
    const item = { id: 'rs_scripted', type: 'reasoning', summary: [] };
    const output_index = index;
    emit('response.output_item.added', { output_index, item });
    emit('response.reasoning_summary_part.added', { item_id: item.id, output_index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    for (const p of pieces(step.thinking)) emit('response.reasoning_summary_text.delta', { item_id: item.id, output_index, summary_index: 0, delta: p, obfuscation: 'q' });
    emit('response.reasoning_summary_text.done', { item_id: item.id, output_index, summary_index: 0, text: step.thinking });
    emit('response.reasoning_summary_part.done', { item_id: item.id, output_index, summary_index: 0, part: { type: 'summary_text', text: step.thinking } });
    const done = { ...item, summary: [{ type: 'summary_text', text: step.thinking }] };
    if (include.includes('reasoning.encrypted_content')) done.encrypted_content = `enc:${Buffer.from(step.thinking).toString('base64')}`;
    emit('response.output_item.done', { output_index, item: done });
    output.push(done);
    index += 1;
  }
  if (step.text) {
    const id = 'msg_scripted';
    const output_index = index;
    emit('response.output_item.added', { output_index, item: { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
    emit('response.content_part.added', { item_id: id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    for (const p of pieces(step.text)) emit('response.output_text.delta', { item_id: id, output_index, content_index: 0, delta: p, logprobs: [], obfuscation: 'x7Qa' });
    emit('response.output_text.done', { item_id: id, output_index, content_index: 0, text: step.text, logprobs: [] });
    const part = { type: 'output_text', text: step.text, annotations: [], logprobs: [] };
    emit('response.content_part.done', { item_id: id, output_index, content_index: 0, part });
    const done = { id, type: 'message', status: step.incomplete ? 'incomplete' : 'completed', role: 'assistant', content: [part] };
    emit('response.output_item.done', { output_index, item: done });
    output.push(done);
    index += 1;
  }
  (step.tool_calls ?? []).forEach((call, i) => {
    const id = `fc_scripted_${i + 1}`;
    const output_index = index;
    const name = call.name ?? 'python';
    emit('response.output_item.added', { output_index, item: { id, type: 'function_call', status: 'in_progress', arguments: '', call_id: call.id, name } });
    for (const p of pieces(call.arguments, 9)) emit('response.function_call_arguments.delta', { item_id: id, output_index, delta: p, obfuscation: 'Zt' });
    emit('response.function_call_arguments.done', { item_id: id, output_index, name, arguments: call.arguments });
    const done = { id, type: 'function_call', status: 'completed', arguments: call.arguments, call_id: call.id, name };
    emit('response.output_item.done', { output_index, item: done });
    output.push(done);
    index += 1;
  });
  const u = step.usage ?? {};
  const input = u.input_tokens ?? 42;
  const outTokens = u.output_tokens ?? 7;
  const usage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.input_tokens_details?.cached_tokens ?? u.cached_tokens ?? 0 },
    output_tokens: outTokens,
    output_tokens_details: { reasoning_tokens: u.output_tokens_details?.reasoning_tokens ?? u.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens ?? input + outTokens,
  };
  if (step.stream_error) {
    // An error event in the stream (e.g. a rate limit mid-reply), and nothing after it.
    emit('error', { code: step.stream_error.code ?? 'server_error', message: step.stream_error.message ?? 'An error occurred.', param: step.stream_error.param ?? null });
  } else if (step.failed) {
    emit('response.failed', { response: response('failed', { error: { code: step.failed.code ?? 'server_error', message: step.failed.message ?? 'The model failed to generate a response.' }, usage: null }) });
  } else if (step.incomplete) {
    emit('response.incomplete', { response: response('incomplete', { incomplete_details: { reason: step.incomplete }, usage }) });
  } else {
    emit('response.completed', { response: response('completed', { usage }) });
  }
  return out;
}

function errorBody(format, status, error) {
  if (format === 'anthropic') return JSON.stringify({ type: 'error', error: { type: error.type, message: error.message } });
  return JSON.stringify({ error: { message: error.message, type: error.type, param: null, code: error.code ?? null } });
}

/**
 * @param {object} [options]
 * @param {boolean} [options.cors]   answer with permissive CORS headers (true)
 * @param {number} [options.port]    0: a free port
 * @param {string} [options.host]
 * @param {() => object[] | null} [options.onEmpty] called when a model request finds the queue
 *   empty: steps to queue (e.g. the scenario again), or null for the "no reply left" 500
 * @param {boolean} [options.strict] validate each model request as its provider would (true):
 *   a malformed one gets the provider's 400 and record.invalid (see llm-validate.mjs)
 * @param {object[]} [options.models] the /models answer's entries (default one gpt-4o-mini)
 * @param {number} [options.contextWindow] tokens: a request whose estimate (llm-validate.mjs
 *   estimateTokens: chars/4 of the prompt) is over it gets the provider's context-length 400
 */
export async function startLlmServer({ cors = true, port: wantPort = 0, host = '127.0.0.1', onEmpty = null, respond = null, strict = true, contextWindow = null, models = null } = {}) {
  const queue = [];
  const requests = [];
  const sockets = new Set();

  const server = http.createServer(async (req, res) => {
    const corsHeaders = cors
      ? { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-expose-headers': '*' }
      : {};
    if (req.method === 'OPTIONS') {
      res.writeHead(204, corsHeaders);
      res.end();
      return;
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url, 'http://x');
    const record = { method: req.method, path: url.pathname, headers: req.headers, body: body ? safeJson(body) : null };
    requests.push(record);

    if (req.method === 'GET' && url.pathname.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json', ...corsHeaders });
      // options.models: the list's entries as given (e.g. with OpenRouter's context_length).
      res.end(JSON.stringify({ object: 'list', data: models ?? [{ id: 'gpt-4o-mini', object: 'model', owned_by: 'scripted' }] }));
      return;
    }
    const format = url.pathname.endsWith('/messages') ? 'anthropic'
      : url.pathname.endsWith('/chat/completions') ? 'openai'
        : url.pathname.endsWith('/responses') ? 'responses' : null;
    if (!format || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/plain', ...corsHeaders });
      res.end('not found');
      return;
    }
    record.format = format;
    // The provider's checks come first: a malformed request is refused
    // without taking a reply from the queue.
    const { errors, warnings } = validateRequest(format, record.body, req.headers);
    record.invalid = errors.map((v) => v.message);
    record.warnings = warnings.map((v) => v.message);
    if (strict && errors.length) {
      res.writeHead(400, { 'content-type': 'application/json', ...corsHeaders });
      res.end(errorResponse(format, errors[0]));
      return;
    }
    let step = respond ? respond(record) : undefined;
    let queued = false;
    if (step === undefined) {
      if (!queue.length && onEmpty) queue.push(...(onEmpty() ?? []));
      queued = queue.length > 0;
      step = queue.shift() ?? { status: 500, error: { type: 'server_error', message: 'scripted server: no reply left in the scenario' } };
    }
    if (step.raw) {
      await sendRaw(req, res, step.raw, corsHeaders, record);
      return;
    }
    const window = step.context_window ?? contextWindow;
    if (window) {
      const estimate = estimateTokens(format, record.body);
      record.estimate = estimate;
      if (estimate > window) {
        record.overWindow = { estimate, window };
        // Refused by the server's window before answering: the reply waits for
        // the next request. (A step's own window is a one-off refusal: used up.)
        if (queued && step.context_window == null) queue.unshift(step);
        res.writeHead(400, { 'content-type': 'application/json', ...corsHeaders });
        res.end(contextWindowError(format, estimate, window));
        return;
      }
      // With a window, the usage reports the count it enforced (as a real
      // provider reports its own count), unless the step scripts one.
      if (!step.usage) {
        step = { ...step, usage: format === 'openai'
          ? { prompt_tokens: estimate, completion_tokens: 7, total_tokens: estimate + 7 }
          : { input_tokens: estimate, output_tokens: 7 } };
      }
    }
    if (step.status && step.status !== 200) {
      res.writeHead(step.status, { 'content-type': 'application/json', ...corsHeaders, ...step.headers });
      res.end(step.body ?? errorBody(format, step.status, step.error ?? { type: 'error', message: 'error' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...corsHeaders, ...step.headers });
    res.flushHeaders();
    if (step.hang) return; // the client's timers must deal with it
    const model = typeof record.body?.model === 'string' && record.body.model ? record.body.model : undefined;
    const events = step.body !== undefined ? [step.body]
      : format === 'anthropic' ? anthropicEvents(step) : format === 'responses' ? responsesEvents(step, model, Array.isArray(record.body?.include) ? record.body.include : []) : openaiEvents(step);
    for (let i = 0; i < events.length; i += 1) {
      if (step.cut_after !== undefined && i >= step.cut_after) {
        res.socket.destroy(); // a connection cut mid-stream
        return;
      }
      res.write(events[i]);
      if (step.delay_ms) await new Promise((r) => setTimeout(r, step.delay_ms));
    }
    res.end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(wantPort, host, resolve);
  });
  const { port } = server.address();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    /** Replaces the queue of replies. */
    script(steps) {
      queue.length = 0;
      queue.push(...steps);
    },
    remaining: () => queue.length,
    /** The model requests the server refused or warned about: [{path, invalid, warnings}]. */
    violations: () => requests.filter((q) => q.invalid?.length || q.warnings?.length).map((q) => ({ path: q.path, invalid: q.invalid, warnings: q.warnings })),
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const toBuffer = (v) => (v === undefined ? Buffer.alloc(0) : typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer ? v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) : v));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The pieces of a raw body: at the given offsets, or every chunk_size bytes, or whole. */
function rawPieces(body, { splits, chunk_size: size }) {
  if (size) {
    const out = [];
    for (let i = 0; i < body.length; i += size) out.push(body.subarray(i, i + size));
    return out;
  }
  if (splits?.length) {
    const cuts = [...new Set(splits.filter((o) => o > 0 && o < body.length))].sort((a, b) => a - b);
    const out = [];
    let at = 0;
    for (const c of cuts) {
      out.push(body.subarray(at, c));
      at = c;
    }
    out.push(body.subarray(at));
    return out;
  }
  return body.length ? [body] : [];
}

/** Sends a raw step (see the opening comment); records what was sent in record.response. */
async function sendRaw(req, res, raw, corsHeaders, record) {
  const info = { bytes_sent: 0, last_write_ms: Date.now(), client_closed: false, ended_ms: 0 };
  record.response = info;
  const socket = res.socket;
  socket.setNoDelay(true); // one write, one TCP segment (as far as the kernel goes)
  let gone = false;
  res.on('close', () => {
    if (!res.writableFinished) info.client_closed = !info.ended_ms;
    gone = true;
  });
  const write = async (buf) => {
    if (gone || !buf.length) return !gone;
    const ok = res.write(buf);
    info.bytes_sent += buf.length;
    info.last_write_ms = Date.now();
    if (!ok && !gone) {
      await new Promise((r) => {
        const done = () => { res.off('drain', done); res.off('close', done); r(); };
        res.on('drain', done);
        res.on('close', done);
      });
    }
    return !gone;
  };
  const cut = () => {
    info.ended_ms = Date.now();
    socket.destroy();
  };
  res.writeHead(raw.status ?? 200, { ...(raw.headers ?? { 'content-type': 'text/event-stream' }), ...corsHeaders });
  res.flushHeaders();
  info.last_write_ms = Date.now();

  let sent = 0;
  const pieces = raw.generate ? null : rawPieces(toBuffer(raw.body), raw);
  if (pieces) {
    for (const piece of pieces) {
      let p = piece;
      if (raw.cut_at !== undefined && sent + p.length > raw.cut_at) p = p.subarray(0, raw.cut_at - sent);
      if (!(await write(p))) return;
      sent += p.length;
      if (raw.cut_at !== undefined && sent >= raw.cut_at) {
        await sleep(Math.max(raw.delay_ms ?? 0, 100)); // let the bytes arrive before the reset
        cut();
        return;
      }
      if (raw.delay_ms) await sleep(raw.delay_ms);
    }
  } else {
    // A huge body made on the fly: a few MB per batch of writes, waiting on drain.
    const g = raw.generate;
    if (!(await write(toBuffer(g.prefix)))) return;
    const piece = toBuffer(g.piece);
    const batch = Buffer.concat(Array(Math.max(1, Math.floor((1 << 20) / piece.length))).fill(piece));
    let left = g.bytes;
    while (left > 0) {
      const b = batch.subarray(0, Math.min(left, batch.length));
      if (!(await write(b))) return;
      left -= b.length;
    }
    if (!(await write(toBuffer(g.suffix)))) return;
  }
  const after = raw.after ?? 'end';
  if (after === 'end') {
    res.end(() => { info.ended_ms = Date.now(); });
  } else if (after === 'cut') {
    await sleep(100);
    cut();
  } else if (after === 'hang') {
    // Headers (and maybe a body) sent; nothing more, connection kept open.
  } else {
    const buf = toBuffer(after.repeat);
    const stopAt = Date.now() + (after.max_ms ?? 120000);
    while (!gone && Date.now() < stopAt) {
      if (!(await write(buf))) return;
      if (after.interval_ms) await sleep(after.interval_ms);
      else await new Promise((r) => setImmediate(r));
    }
    if (!gone) cut();
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function usage() {
  return `usage: node tests/support/llm-server.mjs --scenario NAME|FILE.json [--port 8787] [--host 127.0.0.1] [--once]

Serves the scripted model for a demo of the app with no real model.
  --scenario  a file in tests/scenarios/ (by name) or a path to a scenario .json
  --port      the port to listen on (default 8787; 0: any free port)
  --host      the address to listen on (default 127.0.0.1)
  --once      do not start the scenario over when it runs out (then it answers HTTP 500)
Scenarios: ${fs.readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).join(', ')}`;
}

async function main(argv) {
  const opts = { port: 8787, host: '127.0.0.1', scenario: null, once: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port') opts.port = Number(value());
    else if (a === '--host') opts.host = value();
    else if (a === '--scenario') opts.scenario = value();
    else if (a === '--once') opts.once = true;
    else if (a === '--help' || a === '-h') { console.log(usage()); return; }
    else throw new Error(`unknown argument: ${a}`);
  }
  if (!opts.scenario) throw new Error('--scenario is required');
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port must be a port number');
  const scenario = loadScenario(opts.scenario);
  let rounds = 1;
  const server = await startLlmServer({
    port: opts.port,
    host: opts.host,
    onEmpty: opts.once ? null : () => {
      rounds += 1;
      console.log(`[scenario] ${scenario.name}: its ${scenario.steps.length} steps ran out; starting it over (round ${rounds})`);
      return scenario.steps;
    },
  });
  server.script(scenario.steps);
  let seen = 0;
  setInterval(() => {
    for (; seen < server.requests.length; seen += 1) {
      const r = server.requests[seen];
      if (r.method !== 'OPTIONS') console.log(`[request] ${r.method} ${r.path}`);
    }
  }, 200).unref();
  console.log(`Scripted model server: scenario "${scenario.name}" (${scenario.steps.length} steps)
  ${scenario.description}

In the app's Settings: provider "Custom (OpenAI-compatible URL)", base URL
  ${server.url}/v1
any API key (or none), model gpt-4o-mini. (For the Anthropic format, pick
"Anthropic" and set the same base URL.)
${opts.once ? 'The scenario runs once; after it, requests get HTTP 500.' : 'When the scenario runs out, it starts over from its first step.'} Ctrl+C stops.`);
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`llm-server: ${error.message}\n\n${usage()}`);
    process.exit(2);
  });
}
