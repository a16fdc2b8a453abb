// Request validation for the scripted LLM server (tests/support/llm-server.mjs):
// what OpenAI Chat Completions, Anthropic Messages and OpenAI Responses check
// before they answer, with the wording of their real 400 errors, so that a
// malformed request fails a test instead of passing silently.
//
// validateRequest(format, body, headers) → { errors: [violation], warnings: [violation] }
//   violation: { message, param, code }   (the provider's error fields; param
//   and code are null where the provider sends null, Anthropic has neither)
// errorResponse(format, violation) → the provider's real 400 body (a string).
// estimateTokens(format, body) / contextWindowError(format, estimate, window):
//   the context window (see estimateTokens for how tokens are counted).
//
// A rule that our core breaks today, and that is reported but not yet fixed,
// goes into KNOWN_CORE_DEVIATIONS: it is then recorded as a warning (the
// request's record.warnings) instead of a 400, so the suite stays green while
// the report is open. Take a rule out once the core is fixed.
//
// None today. (tool_call_id_empty was one: a streamed call that never
// carried an id was sent back with id "". The core now gives such a call,
// and any id a format would refuse or a server reuses, an id of its own.)

export const KNOWN_CORE_DEVIATIONS = new Set();

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v) => typeof v === 'string';
const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'number' ? (Number.isInteger(v) ? 'an integer' : 'a decimal') : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const list = (vals) => (vals.length === 1 ? `'${vals[0]}'` : vals.length === 2 ? `'${vals[0]}' and '${vals[1]}'`
  : `${vals.slice(0, -1).map((v) => `'${v}'`).join(', ')}, and '${vals.at(-1)}'`);
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const DATA_URL = /^data:image\/(png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const isImageUrl = (u) => isStr(u) && (DATA_URL.test(u) || /^https:\/\/[^\s]+$/.test(u));

/** Collects violations; `rule` names the check (for KNOWN_CORE_DEVIATIONS). */
class Report {
  constructor() {
    this.errors = [];
    this.warnings = [];
  }
  add(rule, message, param = null, code = null) {
    const v = { rule, message, param, code };
    (KNOWN_CORE_DEVIATIONS.has(rule) ? this.warnings : this.errors).push(v);
  }
  warn(rule, message, param = null, code = null) {
    this.warnings.push({ rule, message, param, code });
  }
}

// ------------------------------------------------------------ OpenAI shared

const oaMissing = (r, rule, param) => r.add(rule, `Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
const oaType = (r, rule, param, expected, got) =>
  r.add(rule, `Invalid type for '${param}': expected ${expected}, but got ${typeName(got)} instead.`, param, 'invalid_type');
const oaValue = (r, rule, param, got, allowed) =>
  r.add(rule, `Invalid value: '${got}'. Supported values are: ${list(allowed)}.`, param, 'invalid_value');

function oaImageUrl(r, param, url) {
  if (!isImageUrl(url)) {
    r.add('image_url', `Invalid '${param}'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got ${isStr(url) ? 'a value that is not a data or https URL' : typeName(url)} instead.`, param, 'invalid_value');
  }
}

// -------------------------------------------------- OpenAI Chat Completions

const CHAT_ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'];

function chatContent(r, m, p) {
  const c = m.content;
  const role = m.role;
  if (c === undefined || c === null) {
    if (role === 'assistant' && (m.tool_calls?.length || m.function_call || m.refusal)) return;
    oaMissing(r, 'content', `${p}.content`);
    return;
  }
  if (isStr(c)) return;
  if (!Array.isArray(c)) {
    oaType(r, 'content', `${p}.content`, 'one of a string or array of objects', c);
    return;
  }
  const allowed = role === 'user' ? ['text', 'image_url', 'input_audio', 'file'] : role === 'assistant' ? ['text', 'refusal'] : ['text'];
  c.forEach((part, j) => {
    const pp = `${p}.content[${j}]`;
    if (!isObj(part)) return oaType(r, 'content', pp, 'an object', part);
    if (!allowed.includes(part.type)) return oaValue(r, 'content_part', `${pp}.type`, part.type, allowed);
    if (part.type === 'text' && !isStr(part.text)) return part.text === undefined ? oaMissing(r, 'content_part', `${pp}.text`) : oaType(r, 'content_part', `${pp}.text`, 'a string', part.text);
    if (part.type === 'image_url') {
      if (!isObj(part.image_url)) return oaMissing(r, 'content_part', `${pp}.image_url`);
      oaImageUrl(r, `${pp}.image_url.url`, part.image_url.url);
    }
    return undefined;
  });
}

function validateChat(body, r) {
  if (!isStr(body.model) || !body.model) r.add('model', 'you must provide a model parameter');
  if (!Array.isArray(body.messages)) {
    if (body.messages === undefined) oaMissing(r, 'messages', 'messages');
    else oaType(r, 'messages', 'messages', 'an array of objects', body.messages);
    return;
  }
  if (!body.messages.length) r.add('messages', "[] is too short - 'messages'", 'messages');
  let pending = null; // { index, ids: Set } : tool calls waiting for their tool messages
  const unanswered = () => {
    if (pending?.ids.size) {
      r.add('tool_pairing', `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending.ids].join(', ')}`, `messages.[${pending.index}].role`);
    }
    pending = null;
  };
  body.messages.forEach((m, i) => {
    const p = `messages[${i}]`;
    if (!isObj(m)) return oaType(r, 'messages', p, 'an object', m);
    if (!isStr(m.role)) return oaMissing(r, 'role', `${p}.role`);
    if (!CHAT_ROLES.includes(m.role)) return oaValue(r, 'role', `${p}.role`, m.role, CHAT_ROLES);
    if (m.role === 'function') return r.add('role', "scripted server: the deprecated 'function' role (our client answers tool calls with 'tool' messages)", `${p}.role`);
    if (m.role === 'tool') {
      if (!isStr(m.tool_call_id)) oaMissing(r, 'tool_pairing', `${p}.tool_call_id`);
      else if (!pending) r.add('tool_pairing', "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`);
      else if (!pending.ids.delete(m.tool_call_id)) {
        r.add('tool_pairing', `Invalid parameter: 'tool_call_id' of '${m.tool_call_id}' not found in 'tool_calls' of previous message.`, `messages.[${i}].tool_call_id`);
      }
      chatContent(r, m, p);
      return undefined;
    }
    unanswered();
    chatContent(r, m, p);
    if (m.role === 'assistant' && m.tool_calls !== undefined && m.tool_calls !== null) {
      if (!Array.isArray(m.tool_calls)) return oaType(r, 'tool_calls', `${p}.tool_calls`, 'an array of objects', m.tool_calls);
      if (!m.tool_calls.length) r.add('tool_calls', `[] is too short - '${p}.tool_calls'`, `${p}.tool_calls`, 'empty_array');
      const ids = new Set();
      m.tool_calls.forEach((call, j) => {
        const cp = `${p}.tool_calls[${j}]`;
        if (!isObj(call)) return oaType(r, 'tool_calls', cp, 'an object', call);
        if (!isStr(call.id)) oaMissing(r, 'tool_call_id', `${cp}.id`);
        else {
          ids.add(call.id); // even an empty one, so that its tool message pairs (one complaint, not two)
          if (!call.id) r.add('tool_call_id_empty', `Invalid '${cp}.id': empty string. Expected a string with minimum length 1, but got an empty string instead.`, `${cp}.id`, 'empty_string');
          if (call.id.length > 40) r.add('tool_call_id', `Invalid '${cp}.id': string too long. Expected a string with maximum length 40, but got a string with length ${call.id.length} instead.`, `${cp}.id`, 'string_above_max_length');
        }
        if (call.type !== 'function') {
          if (call.type === undefined) oaMissing(r, 'tool_calls', `${cp}.type`);
          else oaValue(r, 'tool_calls', `${cp}.type`, call.type, ['function']);
        }
        if (!isObj(call.function)) return oaMissing(r, 'tool_calls', `${cp}.function`);
        if (!isStr(call.function.name)) oaMissing(r, 'tool_calls', `${cp}.function.name`);
        if (!isStr(call.function.arguments)) {
          if (call.function.arguments === undefined) oaMissing(r, 'tool_calls', `${cp}.function.arguments`);
          else oaType(r, 'tool_calls', `${cp}.function.arguments`, 'a string', call.function.arguments);
        }
        return undefined;
      });
      if (ids.size) pending = { index: i, ids };
    }
    return undefined;
  });
  unanswered();
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) oaType(r, 'tools', 'tools', 'an array of objects', body.tools);
    else {
      body.tools.forEach((t, j) => {
        const tp = `tools[${j}]`;
        if (!isObj(t)) return oaType(r, 'tools', tp, 'an object', t);
        if (t.type !== 'function') return t.type === undefined ? oaMissing(r, 'tools', `${tp}.type`) : oaValue(r, 'tools', `${tp}.type`, t.type, ['function', 'custom']);
        if (!isObj(t.function)) return oaMissing(r, 'tools', `${tp}.function`);
        if (!isStr(t.function.name) || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.function.name)) {
          return t.function.name === undefined ? oaMissing(r, 'tools', `${tp}.function.name`)
            : r.add('tools', `Invalid '${tp}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `${tp}.function.name`, 'invalid_value');
        }
        if (t.function.parameters !== undefined && !isObj(t.function.parameters)) oaType(r, 'tools', `${tp}.function.parameters`, 'an object', t.function.parameters);
        return undefined;
      });
    }
  }
  if (body.stream !== true) r.add('stream', "scripted server: our client always streams ('stream': true), this request does not", 'stream');
  if (body.stream_options !== undefined && body.stream !== true) {
    r.add('stream', "The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', 'invalid_value');
  }
}

// --------------------------------------------------------- OpenAI Responses

const RESPONSES_ROLES = ['user', 'assistant', 'system', 'developer'];

function responsesMessage(r, item, p) {
  if (!RESPONSES_ROLES.includes(item.role)) return item.role === undefined ? oaMissing(r, 'role', `${p}.role`) : oaValue(r, 'role', `${p}.role`, item.role, RESPONSES_ROLES);
  const c = item.content;
  if (isStr(c)) return undefined;
  if (!Array.isArray(c)) return c === undefined ? oaMissing(r, 'content', `${p}.content`) : oaType(r, 'content', `${p}.content`, 'one of a string or array of objects', c);
  const allowed = item.role === 'assistant' ? ['output_text', 'refusal'] : ['input_text', 'input_image', 'input_file'];
  c.forEach((part, j) => {
    const pp = `${p}.content[${j}]`;
    if (!isObj(part)) return oaType(r, 'content', pp, 'an object', part);
    if (!allowed.includes(part.type)) return oaValue(r, 'content_part', `${pp}.type`, part.type, allowed);
    if ((part.type === 'input_text' || part.type === 'output_text') && !isStr(part.text)) {
      return part.text === undefined ? oaMissing(r, 'content_part', `${pp}.text`) : oaType(r, 'content_part', `${pp}.text`, 'a string', part.text);
    }
    if (part.type === 'input_image') {
      if (part.image_url === undefined && part.file_id === undefined) return oaMissing(r, 'content_part', `${pp}.image_url`);
      if (part.image_url !== undefined) oaImageUrl(r, `${pp}.image_url`, part.image_url);
      if (part.detail !== undefined && !['low', 'high', 'auto'].includes(part.detail)) oaValue(r, 'content_part', `${pp}.detail`, part.detail, ['low', 'high', 'auto']);
    }
    return undefined;
  });
  return undefined;
}

// A reasoning item handed back: OpenAI wants its summary, and with store:
// false its encrypted content (nothing is stored to look the id up in), and
// the item the model produced after it (its message or function call).
function responsesReasoning(r, item, p, body, next) {
  if (!Array.isArray(item.summary)) return item.summary === undefined ? oaMissing(r, 'reasoning', `${p}.summary`) : oaType(r, 'reasoning', `${p}.summary`, 'an array of objects', item.summary);
  item.summary.forEach((s, j) => {
    if (!isObj(s) || s.type !== 'summary_text' || !isStr(s.text)) oaType(r, 'reasoning', `${p}.summary[${j}]`, 'a summary_text object', s);
  });
  if (item.encrypted_content !== undefined && !isStr(item.encrypted_content)) return oaType(r, 'reasoning', `${p}.encrypted_content`, 'a string', item.encrypted_content);
  if (body.store === false && !isStr(item.encrypted_content)) {
    return r.add('reasoning', `Item with id '${item.id}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`, `${p}`);
  }
  const follows = isObj(next) && ['message', 'function_call'].includes(next.type ?? (next.role !== undefined ? 'message' : undefined));
  if (!follows) r.add('reasoning', `Item '${item.id}' of type 'reasoning' was provided without its required following item.`, `${p}`);
  return undefined;
}

const RESPONSES_INCLUDES = ['reasoning.encrypted_content', 'message.output_text.logprobs', 'file_search_call.results', 'web_search_call.action.sources', 'code_interpreter_call.outputs', 'computer_call_output.output.image_url', 'message.input_image.image_url'];

function validateResponses(body, r) {
  if (body.include !== undefined && body.include !== null) {
    if (!Array.isArray(body.include)) oaType(r, 'include', 'include', 'an array of strings', body.include);
    else body.include.forEach((v, j) => { if (!RESPONSES_INCLUDES.includes(v)) oaValue(r, 'include', `include[${j}]`, v, RESPONSES_INCLUDES); });
  }
  if (!isStr(body.model) || !body.model) oaMissing(r, 'model', 'model');
  const input = body.input;
  if (input === undefined && body.previous_response_id === undefined) oaMissing(r, 'input', 'input');
  if (input !== undefined && !isStr(input)) {
    if (!Array.isArray(input)) oaType(r, 'input', 'input', 'one of a string or array of input items', input);
    else {
      const calls = new Map(); // call_id → answered?
      input.forEach((item, i) => {
        const p = `input[${i}]`;
        if (!isObj(item)) return oaType(r, 'input', p, 'an object', item);
        const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
        if (type === 'message') return responsesMessage(r, item, p);
        if (type === 'function_call') {
          for (const k of ['call_id', 'name', 'arguments']) {
            if (!isStr(item[k])) {
              if (item[k] === undefined) oaMissing(r, 'function_call', `${p}.${k}`);
              else oaType(r, 'function_call', `${p}.${k}`, 'a string', item[k]);
            }
          }
          if (isStr(item.call_id)) calls.set(item.call_id, false);
          return undefined;
        }
        if (type === 'function_call_output') {
          if (!isStr(item.call_id)) return oaMissing(r, 'function_call_output', `${p}.call_id`);
          if (!isStr(item.output) && !Array.isArray(item.output)) {
            if (item.output === undefined) oaMissing(r, 'function_call_output', `${p}.output`);
            else oaType(r, 'function_call_output', `${p}.output`, 'one of a string or array of objects', item.output);
          }
          if (!calls.has(item.call_id)) r.add('tool_pairing', `No tool call found for function call output with call_id ${item.call_id}.`, 'input');
          else calls.set(item.call_id, true);
          return undefined;
        }
        if (type === 'reasoning') return responsesReasoning(r, item, p, body, input[i + 1]);
        if (type === 'item_reference') return undefined;
        return type === undefined ? oaMissing(r, 'input', `${p}.type`)
          : oaValue(r, 'input', `${p}.type`, type, ['message', 'function_call', 'function_call_output', 'reasoning', 'item_reference']);
      });
      for (const [id, answered] of calls) if (!answered) r.add('tool_pairing', `No tool output found for function call ${id}.`, 'input');
    }
  }
  if (body.instructions !== undefined && body.instructions !== null && !isStr(body.instructions)) oaType(r, 'instructions', 'instructions', 'a string', body.instructions);
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) oaType(r, 'tools', 'tools', 'an array of objects', body.tools);
    else {
      body.tools.forEach((t, j) => {
        const tp = `tools[${j}]`;
        if (!isObj(t)) return oaType(r, 'tools', tp, 'an object', t);
        if (t.type !== 'function') return undefined; // built-in tools (web_search, …) have other shapes
        if (!isStr(t.name)) return oaMissing(r, 'tools', `${tp}.name`); // the Chat Completions nesting ({function: {...}}) lands here
        if (t.parameters !== undefined && t.parameters !== null && !isObj(t.parameters)) oaType(r, 'tools', `${tp}.parameters`, 'an object', t.parameters);
        return undefined;
      });
    }
  }
  if (body.store !== undefined && typeof body.store !== 'boolean') oaType(r, 'store', 'store', 'a boolean', body.store);
  if (body.stream !== true) r.add('stream', "scripted server: our client always streams ('stream': true), this request does not", 'stream');
}

// ------------------------------------------------------- Anthropic Messages

const anErr = (r, rule, message) => r.add(rule, message);

function anthropicBlock(r, block, p, role) {
  if (!isObj(block)) return anErr(r, 'content', `${p}: Input should be a valid dictionary or object to extract fields from`);
  const allowed = role === 'user' ? ['text', 'image', 'document', 'tool_result'] : ['text', 'thinking', 'redacted_thinking', 'tool_use'];
  if (!allowed.includes(block.type)) {
    if (['text', 'image', 'document', 'tool_result', 'thinking', 'redacted_thinking', 'tool_use'].includes(block.type)) {
      return anErr(r, 'content', `${p}.type: \`${block.type}\` blocks are not allowed in ${role} messages`);
    }
    return anErr(r, 'content', `${p}: Input tag '${block.type}' found using 'type' does not match any of the expected tags: ${allowed.map((t) => `'${t}'`).join(', ')}`);
  }
  if (block.type === 'text') {
    if (!isStr(block.text)) return anErr(r, 'content', `${p}.text: ${block.text === undefined ? 'Field required' : 'Input should be a valid string'}`);
    if (!block.text) anErr(r, 'empty_text', `${p}.text: text content blocks must be non-empty`);
  }
  if (block.type === 'image') {
    const s = block.source;
    if (!isObj(s)) return anErr(r, 'image', `${p}.source: Field required`);
    if (s.type === 'base64') {
      if (!IMAGE_TYPES.includes(s.media_type)) anErr(r, 'image', `${p}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
      if (!isStr(s.data) || !s.data || !/^[A-Za-z0-9+/]+={0,2}$/.test(s.data)) anErr(r, 'image', `${p}.source.base64.data: ${s.data === undefined ? 'Field required' : 'The image data is not valid base64'}`);
    } else if (s.type === 'url') {
      if (!isStr(s.url) || !/^https?:\/\//.test(s.url)) anErr(r, 'image', `${p}.source.url.url: Field required`);
    } else {
      anErr(r, 'image', `${p}.source: Input tag '${s.type}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`);
    }
  }
  if (block.type === 'tool_use') {
    if (!isStr(block.id) || !/^[a-zA-Z0-9_-]+$/.test(block.id)) anErr(r, 'tool_use_id', `${p}.tool_use.id: ${block.id === undefined ? 'Field required' : "String should match pattern '^[a-zA-Z0-9_-]+$'"}`);
    if (!isStr(block.name)) anErr(r, 'tool_use', `${p}.name: Field required`);
    if (!isObj(block.input)) anErr(r, 'tool_use', `${p}.input: ${block.input === undefined ? 'Field required' : 'Input should be a valid dictionary'}`);
  }
  if (block.type === 'tool_result') {
    if (!isStr(block.tool_use_id) || !/^[a-zA-Z0-9_-]+$/.test(block.tool_use_id)) anErr(r, 'tool_use_id', `${p}.tool_result.tool_use_id: ${block.tool_use_id === undefined ? 'Field required' : "String should match pattern '^[a-zA-Z0-9_-]+$'"}`);
    const c = block.content;
    if (c !== undefined && !isStr(c) && !Array.isArray(c)) anErr(r, 'tool_result', `${p}.content: Input should be a valid list`);
    if (Array.isArray(c)) c.forEach((b, k) => anthropicBlock(r, b, `${p}.content.${k}`, 'user'));
    if (block.is_error !== undefined && typeof block.is_error !== 'boolean') anErr(r, 'tool_result', `${p}.is_error: Input should be a valid boolean`);
  }
  return undefined;
}

function validateAnthropic(body, r, headers) {
  if (!headers['anthropic-version']) anErr(r, 'version', 'anthropic-version: header is required');
  if (!isStr(body.model) || !body.model) anErr(r, 'model', 'model: Field required');
  if (!Number.isInteger(body.max_tokens)) anErr(r, 'max_tokens', `max_tokens: ${body.max_tokens === undefined ? 'Field required' : 'Input should be a valid integer'}`);
  else if (body.max_tokens < 1) anErr(r, 'max_tokens', 'max_tokens: Input should be greater than or equal to 1');
  if (body.system !== undefined) {
    if (Array.isArray(body.system)) {
      body.system.forEach((b, k) => {
        if (!isObj(b) || b.type !== 'text' || !isStr(b.text)) anErr(r, 'system', `system.${k}: Input should be a valid text block`);
        else if (!b.text) anErr(r, 'system', `system.${k}.text: text content blocks must be non-empty`);
      });
    } else if (!isStr(body.system)) anErr(r, 'system', 'system: Input should be a valid string');
  }
  if (!Array.isArray(body.messages)) {
    anErr(r, 'messages', `messages: ${body.messages === undefined ? 'Field required' : 'Input should be a valid list'}`);
    return;
  }
  const msgs = body.messages;
  if (!msgs.length) anErr(r, 'messages', 'messages: at least one message is required');
  let hasToolBlocks = false;
  let prevToolUses = null; // ids of the previous assistant message's tool_use blocks
  msgs.forEach((m, i) => {
    const p = `messages.${i}`;
    if (!isObj(m)) return anErr(r, 'messages', `${p}: Input should be a valid dictionary`);
    if (m.role !== 'user' && m.role !== 'assistant') return anErr(r, 'role', `${p}.role: Input should be 'user' or 'assistant'`);
    if (i === 0 && m.role !== 'user') anErr(r, 'alternation', 'messages: first message must use the "user" role');
    if (i > 0 && isObj(msgs[i - 1]) && msgs[i - 1].role === m.role) {
      anErr(r, 'alternation', `messages: roles must alternate between "user" and "assistant", but found multiple "${m.role}" roles in a row`);
    }
    const blocks = isStr(m.content) ? [{ type: 'text', text: m.content }] : m.content;
    if (!Array.isArray(blocks)) return anErr(r, 'content', `${p}.content: ${m.content === undefined ? 'Field required' : 'Input should be a valid list'}`);
    if (!blocks.length || (isStr(m.content) && !m.content)) {
      if (!(m.role === 'assistant' && i === msgs.length - 1)) anErr(r, 'empty_content', `${p}: all messages must have non-empty content except for the optional final assistant message`);
    }
    if (Array.isArray(m.content)) m.content.forEach((b, k) => anthropicBlock(r, b, `${p}.content.${k}`, m.role));
    const ofType = (t) => blocks.filter((b) => isObj(b) && b.type === t);
    if (m.role === 'user') {
      const results = ofType('tool_result');
      if (results.length) hasToolBlocks = true;
      const ids = new Set(results.map((b) => b.tool_use_id));
      blocks.forEach((b, k) => {
        if (!isObj(b) || b.type !== 'tool_result') return;
        if (!prevToolUses?.has(b.tool_use_id)) {
          anErr(r, 'tool_pairing', `${p}.content.${k}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${b.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
        }
      });
      if (prevToolUses) {
        const missing = [...prevToolUses].filter((id) => !ids.has(id));
        if (missing.length) {
          anErr(r, 'tool_pairing', `${`messages.${i - 1}`}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
        }
      }
      const firstOther = blocks.findIndex((b) => !isObj(b) || b.type !== 'tool_result');
      if (firstOther >= 0 && blocks.slice(firstOther).some((b) => isObj(b) && b.type === 'tool_result') && results.length) {
        anErr(r, 'tool_pairing', `${p}: \`tool_result\` blocks must come first in the user message that follows the \`tool_use\`, before any other content`);
      }
      prevToolUses = null;
    } else {
      const uses = ofType('tool_use');
      if (uses.length) hasToolBlocks = true;
      prevToolUses = uses.length ? new Set(uses.map((b) => b.id)) : null;
    }
    return undefined;
  });
  if (prevToolUses) {
    anErr(r, 'tool_pairing', `messages.${msgs.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${[...prevToolUses].join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) anErr(r, 'tools', 'tools: Input should be a valid list');
    else {
      body.tools.forEach((t, j) => {
        if (!isObj(t)) return anErr(r, 'tools', `tools.${j}: Input should be a valid dictionary`);
        if (t.type !== undefined && t.type !== 'custom') {
          if (/_\d{8}$/.test(String(t.type))) return undefined; // versioned server tools (web_search_20250305, …) have other shapes
          return anErr(r, 'tools', `tools.${j}: Input tag '${t.type}' found using 'type' does not match any of the expected tags: 'custom', or a versioned server tool ('web_search_20250305', 'bash_20250124', …)`);
        }
        if (!isStr(t.name) || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) anErr(r, 'tools', `tools.${j}.custom.name: ${t.name === undefined ? 'Field required' : "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"}`);
        if (!isObj(t.input_schema)) anErr(r, 'tools', `tools.${j}.custom.input_schema: Field required`);
        else if (t.input_schema.type !== 'object') anErr(r, 'tools', `tools.${j}.custom.input_schema.type: Input should be 'object'`);
        return undefined;
      });
    }
  }
  if (hasToolBlocks && !(Array.isArray(body.tools) && body.tools.length)) {
    anErr(r, 'tools', 'Requests which include `tool_use` or `tool_result` blocks must define tools.');
  }
  if (body.tool_choice !== undefined && (!isObj(body.tool_choice) || !['auto', 'any', 'tool', 'none'].includes(body.tool_choice.type))) {
    anErr(r, 'tools', "tool_choice: Input tag found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'");
  }
  if (body.stream !== true) anErr(r, 'stream', "scripted server: our client always streams ('stream': true), this request does not");
}

// ----------------------------------------------------------------- public

/**
 * Validates one model request body as the provider would.
 * @param {'openai'|'anthropic'|'responses'} format
 * @param {unknown} body  the parsed body (a string when it was not JSON)
 * @param {object} headers  the request headers (lower-case names)
 */
export function validateRequest(format, body, headers = {}) {
  const r = new Report();
  if (!isObj(body)) {
    if (format === 'anthropic') anErr(r, 'json', isStr(body) ? 'There was an error parsing the body of your request. Please check that it is valid JSON.' : 'Input should be a valid dictionary');
    else r.add('json', "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)");
    if (format === 'anthropic' && !headers['anthropic-version']) anErr(r, 'version', 'anthropic-version: header is required');
    return r;
  }
  if (format === 'openai') validateChat(body, r);
  else if (format === 'anthropic') validateAnthropic(body, r, headers);
  else if (format === 'responses') validateResponses(body, r);
  return r;
}

/** The provider's 400 body for one violation (a string). */
export function errorResponse(format, violation) {
  if (format === 'anthropic') return JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: violation.message } });
  return JSON.stringify({ error: { message: violation.message, type: 'invalid_request_error', param: violation.param ?? null, code: violation.code ?? null } });
}

/**
 * A rough token count of a request's prompt: the characters of the
 * serialized prompt divided by 4, rounded up (OpenAI's rule of thumb for
 * English text). The prompt is the messages (Chat Completions), the system
 * plus the messages (Anthropic), or the instructions plus the input
 * (Responses), each as JSON text; tools and other parameters are not counted.
 * An image costs IMAGE_TOKENS whatever its size, as the providers count
 * (by pixels, after their own downscale), not its base64 characters.
 */
export const IMAGE_TOKENS = 1600;
const IMAGE_DATA = /data:image\/[a-z+.-]+;base64,[A-Za-z0-9+/=]+|"data":"[A-Za-z0-9+/=]{64,}"/g;
export function estimateTokens(format, body) {
  if (!isObj(body)) return 0;
  let text;
  if (format === 'anthropic') text = JSON.stringify(body.system ?? '') + JSON.stringify(body.messages ?? []);
  else if (format === 'responses') text = JSON.stringify(body.instructions ?? '') + JSON.stringify(body.input ?? []);
  else text = JSON.stringify(body.messages ?? []);
  let images = 0;
  text = text.replace(IMAGE_DATA, () => { images += 1; return 'image'; });
  return Math.ceil(text.length / 4) + images * IMAGE_TOKENS;
}

/** The provider's real 400 body for a prompt over the context window (a string). */
export function contextWindowError(format, estimate, window) {
  if (format === 'anthropic') {
    return JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: `prompt is too long: ${estimate} tokens > ${window} maximum` } });
  }
  if (format === 'responses') {
    return JSON.stringify({ error: { message: `Your input exceeds the context window of this model. This model's maximum context length is ${window} tokens. However, your input resulted in ${estimate} tokens. Please reduce the length of the input.`, type: 'invalid_request_error', param: 'input', code: 'context_length_exceeded' } });
  }
  return JSON.stringify({ error: { message: `This model's maximum context length is ${window} tokens. However, your messages resulted in ${estimate} tokens. Please reduce the length of the messages.`, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
}
