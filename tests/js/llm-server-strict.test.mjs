// The scripted model server is strict: it checks every model request as
// OpenAI Chat Completions, Anthropic Messages and OpenAI Responses do, and
// refuses a malformed one with the provider's real 400 body (recording why
// on the request), enforces a context window with the providers' real
// context-length errors, and streams the Responses format event by event.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startLlmServer, loadScenario, responsesEvents } from '../support/llm-server.mjs';
import { validateRequest, estimateTokens, KNOWN_CORE_DEVIATIONS } from '../support/llm-validate.mjs';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const clone = (v) => JSON.parse(JSON.stringify(v));

const GOOD = {
  openai: () => ({
    model: 'gpt-4o-mini',
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: 'system', content: 'You analyse data.' },
      { role: 'user', content: [{ type: 'text', text: 'What is in it?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
      { role: 'assistant', content: null, tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'python', arguments: '{"code":"1+1"}' } },
        { id: 'call_2', type: 'function', function: { name: 'python', arguments: '{"code":"2+2"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '2' },
      { role: 'tool', tool_call_id: 'call_2', content: '4' },
      { role: 'assistant', content: 'Two and four.' },
      { role: 'user', content: 'Thanks.' },
    ],
    tools: [{ type: 'function', function: { name: 'python', description: 'Run Python.', parameters: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } } }],
  }),
  anthropic: () => ({
    model: 'claude-sonnet-4-5',
    max_tokens: 4096,
    stream: true,
    system: 'You analyse data.',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'What is in it?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'toolu_01', name: 'python', input: { code: '1+1' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '2' }, { type: 'text', text: 'Go on.' }] },
      { role: 'assistant', content: 'Two.' },
      { role: 'user', content: 'Thanks.' },
    ],
    tools: [{ name: 'python', description: 'Run Python.', input_schema: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } }],
  }),
  responses: () => ({
    model: 'gpt-4.1-mini',
    stream: true,
    store: false,
    instructions: 'You analyse data.',
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is in it?' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG}` }] },
      { type: 'function_call', call_id: 'call_1', name: 'python', arguments: '{"code":"1+1"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '2' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Two.' }] },
      { role: 'user', content: 'Thanks.' },
    ],
    tools: [{ type: 'function', name: 'python', description: 'Run Python.', parameters: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] } }],
  }),
};
const PATH = { openai: '/v1/chat/completions', anthropic: '/v1/messages', responses: '/v1/responses' };
const HEADERS = { openai: {}, responses: {}, anthropic: { 'anthropic-version': '2023-06-01' } };

async function post(server, format, body, headers = HEADERS[format]) {
  const r = await fetch(`${server.url}${PATH[format]}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* a stream */ }
  return { status: r.status, text, json, record: server.requests.at(-1) };
}

/** Asserts the provider's exact 400 body shape, and that the message matches. */
function assertProviderError(format, res, message, { param, code } = {}) {
  assert.equal(res.status, 400, res.text);
  if (format === 'anthropic') {
    assert.deepEqual(Object.keys(res.json), ['type', 'error']);
    assert.equal(res.json.type, 'error');
    assert.deepEqual(Object.keys(res.json.error), ['type', 'message']);
    assert.equal(res.json.error.type, 'invalid_request_error');
    assert.match(res.json.error.message, message);
  } else {
    assert.deepEqual(Object.keys(res.json), ['error']);
    assert.deepEqual(Object.keys(res.json.error), ['message', 'type', 'param', 'code']);
    assert.equal(res.json.error.type, 'invalid_request_error');
    assert.match(res.json.error.message, message);
    if (param !== undefined) assert.equal(res.json.error.param, param);
    if (code !== undefined) assert.equal(res.json.error.code, code);
  }
}

// [name, format, break the good body (or headers), expected message, {param, code}]
const BAD = [
  // OpenAI Chat Completions
  ['no model', 'openai', (b) => { delete b.model; }, /you must provide a model parameter/],
  ['no messages', 'openai', (b) => { delete b.messages; }, /Missing required parameter: 'messages'/, { param: 'messages', code: 'missing_required_parameter' }],
  ['empty messages', 'openai', (b) => { b.messages = []; }, /\[\] is too short - 'messages'/, { param: 'messages' }],
  ['unknown role', 'openai', (b) => { b.messages[1].role = 'human'; }, /Invalid value: 'human'\. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'\./, { param: 'messages[1].role', code: 'invalid_value' }],
  ['tool call without id', 'openai', (b) => { delete b.messages[2].tool_calls[0].id; }, /Missing required parameter: 'messages\[2\]\.tool_calls\[0\]\.id'/, { code: 'missing_required_parameter' }],
  ['tool call id over 40 characters', 'openai', (b) => { b.messages[2].tool_calls[0].id = `call_${'x'.repeat(40)}`; b.messages[3].tool_call_id = b.messages[2].tool_calls[0].id; },
    /Invalid 'messages\[2\]\.tool_calls\[0\]\.id': string too long\. Expected a string with maximum length 40, but got a string with length 45 instead\./, { code: 'string_above_max_length' }],
  ['tool call type not function', 'openai', (b) => { b.messages[2].tool_calls[0].type = 'python'; }, /Invalid value: 'python'/, { param: 'messages[2].tool_calls[0].type' }],
  ['tool call arguments not a string', 'openai', (b) => { b.messages[2].tool_calls[0].function.arguments = { code: '1' }; }, /Invalid type for 'messages\[2\]\.tool_calls\[0\]\.function\.arguments': expected a string, but got an object instead\./, { code: 'invalid_type' }],
  ['tool message with no call before it', 'openai', (b) => { b.messages.splice(2, 1); }, /messages with role 'tool' must be a response to a preceeding message with 'tool_calls'/, { param: 'messages.[2].role' }],
  ['tool message answering an unknown id', 'openai', (b) => { b.messages[4].tool_call_id = 'call_9'; }, /'tool_call_id' of 'call_9' not found in 'tool_calls' of previous message/],
  ['a tool call left unanswered', 'openai', (b) => { b.messages.splice(4, 1); }, /An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'\. The following tool_call_ids did not have response messages: call_2/, { param: 'messages.[2].role' }],
  ['a tool call answered after another message', 'openai', (b) => { b.messages.splice(4, 0, { role: 'user', content: 'wait' }); }, /did not have response messages: call_2/],
  ['content of the wrong type', 'openai', (b) => { b.messages[6].content = 42; }, /Invalid type for 'messages\[6\]\.content': expected one of a string or array of objects, but got an integer instead\./],
  ['an unknown content part', 'openai', (b) => { b.messages[1].content[0].type = 'input_text'; }, /Invalid value: 'input_text'/, { param: 'messages[1].content[0].type' }],
  ['an image that is not a data or https URL', 'openai', (b) => { b.messages[1].content[1].image_url.url = 'file:///etc/passwd'; }, /Invalid 'messages\[1\]\.content\[1\]\.image_url\.url'/, { code: 'invalid_value' }],
  ['a tool without a function', 'openai', (b) => { b.tools = [{ type: 'function', name: 'python', parameters: {} }]; }, /Missing required parameter: 'tools\[0\]\.function'/],
  ['not streamed', 'openai', (b) => { delete b.stream; }, /our client always streams/],
  ['not JSON', 'openai', () => '{"model": ', /We could not parse the JSON body of your request/],
  // Anthropic Messages
  ['no anthropic-version header', 'anthropic', (b, h) => { delete h['anthropic-version']; }, /anthropic-version: header is required/],
  ['no model', 'anthropic', (b) => { delete b.model; }, /^model: Field required$/],
  ['no max_tokens', 'anthropic', (b) => { delete b.max_tokens; }, /^max_tokens: Field required$/],
  ['max_tokens not an integer', 'anthropic', (b) => { b.max_tokens = 10.5; }, /^max_tokens: Input should be a valid integer$/],
  ['starts with the assistant', 'anthropic', (b) => { b.messages.unshift({ role: 'assistant', content: 'Hi.' }); }, /first message must use the "user" role/],
  ['two user messages in a row', 'anthropic', (b) => { b.messages.push({ role: 'user', content: 'Again.' }); }, /roles must alternate between "user" and "assistant", but found multiple "user" roles in a row/],
  ['a system role message', 'anthropic', (b) => { b.messages[0].role = 'system'; }, /messages\.0\.role: Input should be 'user' or 'assistant'/],
  ['system of the wrong type', 'anthropic', (b) => { b.system = 42; }, /^system: Input should be a valid string$/],
  ['an empty text block', 'anthropic', (b) => { b.messages[0].content[0].text = ''; }, /messages\.0\.content\.0\.text: text content blocks must be non-empty/],
  ['an image with a media type it does not take', 'anthropic', (b) => { b.messages[0].content[1].source.media_type = 'image/bmp'; }, /media_type: Input should be 'image\/jpeg', 'image\/png', 'image\/gif' or 'image\/webp'/],
  ['an image as a data URL', 'anthropic', (b) => { b.messages[0].content[1].source = { type: 'base64', media_type: 'image/png', data: `data:image/png;base64,${PNG}` }; }, /source\.base64\.data/],
  ['tool_use input as a string', 'anthropic', (b) => { b.messages[1].content[1].input = '{"code":"1+1"}'; }, /messages\.1\.content\.1\.input: Input should be a valid dictionary/],
  ['a tool_use id with a colon', 'anthropic', (b) => { b.messages[1].content[1].id = 'functions.python:0'; b.messages[2].content[0].tool_use_id = 'functions.python:0'; },
    /messages\.1\.content\.1\.tool_use\.id: String should match pattern '\^\[a-zA-Z0-9_-\]\+\$'/],
  ['a tool_use left unanswered', 'anthropic', (b) => { b.messages[2].content.shift(); }, /messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01/],
  ['a tool_result for another id', 'anthropic', (b) => { b.messages[2].content[0].tool_use_id = 'toolu_99'; }, /unexpected `tool_use_id` found in `tool_result` blocks: toolu_99/],
  ['a tool_result after text', 'anthropic', (b) => { b.messages[2].content.reverse(); }, /`tool_result` blocks must come first/],
  ['an empty message', 'anthropic', (b) => { b.messages[2].content = []; }, /all messages must have non-empty content except for the optional final assistant message/],
  ['tool blocks without tools', 'anthropic', (b) => { delete b.tools; }, /Requests which include `tool_use` or `tool_result` blocks must define tools\./],
  ['a tool in the OpenAI shape', 'anthropic', (b) => { b.tools = [{ type: 'function', function: { name: 'python', parameters: {} } }]; }, /tools\.0/],
  ['a tool without input_schema', 'anthropic', (b) => { delete b.tools[0].input_schema; }, /tools\.0\.custom\.input_schema: Field required/],
  // OpenAI Responses
  ['no model', 'responses', (b) => { delete b.model; }, /Missing required parameter: 'model'/, { param: 'model', code: 'missing_required_parameter' }],
  ['no input', 'responses', (b) => { delete b.input; }, /Missing required parameter: 'input'/],
  ['an unknown item type', 'responses', (b) => { b.input[1].type = 'tool_call'; }, /Invalid value: 'tool_call'/, { param: 'input[1].type' }],
  ['a user message with output_text', 'responses', (b) => { b.input[0].content[0].type = 'output_text'; }, /Invalid value: 'output_text'\. Supported values are: 'input_text', 'input_image', and 'input_file'\./, { param: 'input[0].content[0].type' }],
  ['an assistant message with input_text', 'responses', (b) => { b.input[3].content[0].type = 'input_text'; }, /Invalid value: 'input_text'\. Supported values are: 'output_text' and 'refusal'\./],
  ['a Chat Completions text part', 'responses', (b) => { b.input[0].content[0].type = 'text'; }, /Invalid value: 'text'/],
  ['an image that is not a data or https URL', 'responses', (b) => { b.input[0].content[1].image_url = 'ftp://x/y.png'; }, /Invalid 'input\[0\]\.content\[1\]\.image_url'/],
  ['a function_call without call_id', 'responses', (b) => { delete b.input[1].call_id; }, /Missing required parameter: 'input\[1\]\.call_id'/],
  ['function_call arguments not a string', 'responses', (b) => { b.input[1].arguments = { code: '1' }; }, /Invalid type for 'input\[1\]\.arguments': expected a string/],
  ['an output with no call', 'responses', (b) => { b.input[2].call_id = 'call_9'; }, /No tool call found for function call output with call_id call_9\./, { param: 'input' }],
  ['an output before its call', 'responses', (b) => { [b.input[1], b.input[2]] = [b.input[2], b.input[1]]; }, /No tool call found for function call output with call_id call_1\./],
  ['a call with no output', 'responses', (b) => { b.input.splice(2, 1); }, /No tool output found for function call call_1\./],
  ['a tool in the Chat Completions shape', 'responses', (b) => { b.tools = [{ type: 'function', function: { name: 'python', parameters: {} } }]; }, /Missing required parameter: 'tools\[0\]\.name'/, { param: 'tools[0].name' }],
  ['store not a boolean', 'responses', (b) => { b.store = 'no'; }, /Invalid type for 'store': expected a boolean, but got a string instead\./],
  ['not streamed', 'responses', (b) => { b.stream = false; }, /our client always streams/],
  ['a reasoning item without its encrypted content (store: false)', 'responses', (b) => { b.input.splice(1, 0, { type: 'reasoning', id: 'rs_1', summary: [] }); },
    /Item with id 'rs_1' not found\. Items are not persisted when `store` is set to false\./],
  ['a reasoning item without a summary', 'responses', (b) => { b.input.splice(1, 0, { type: 'reasoning', id: 'rs_1', encrypted_content: 'gAAA' }); }, /Missing required parameter: 'input\[1\]\.summary'/],
  ['a reasoning item with nothing after it', 'responses', (b) => { b.input.push({ type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: 'gAAA' }); },
    /Item 'rs_2' of type 'reasoning' was provided without its required following item\./],
  ['an include it does not know', 'responses', (b) => { b.include = ['reasoning.raw']; }, /Invalid value: 'reasoning\.raw'/, { param: 'include[0]' }],
];

test('good requests in each format are accepted and streamed', async () => {
  const server = await startLlmServer();
  try {
    for (const format of ['openai', 'anthropic', 'responses']) {
      server.script([{ text: `hello from ${format}` }]);
      const res = await post(server, format, GOOD[format]());
      assert.equal(res.status, 200, `${format}: ${res.text}`);
      assert.match(res.text, new RegExp(`hello|from ${format}`));
      assert.deepEqual(res.record.invalid, [], format);
      assert.deepEqual(res.record.warnings, [], format);
      assert.equal(res.record.format, format);
    }
    assert.deepEqual(server.violations(), []);
  } finally {
    await server.close();
  }
});

test('each rule refuses its bad request with the provider\'s real 400 and records it, without taking a reply', async () => {
  const server = await startLlmServer();
  try {
    server.script([{ text: 'never sent' }]);
    for (const [name, format, breakIt, message, fields] of BAD) {
      const body = GOOD[format]();
      const headers = { ...HEADERS[format] };
      const broken = breakIt(body, headers) ?? body;
      const res = await post(server, format, broken, headers);
      try {
        assertProviderError(format, res, message, fields);
      } catch (error) {
        error.message = `${format} ${name}: ${error.message}`;
        throw error;
      }
      assert.ok(res.record.invalid.length >= 1, `${format} ${name}: recorded`);
      assert.match(res.record.invalid.join('\n'), message, `${format} ${name}`);
      assert.equal(server.remaining(), 1, `${format} ${name}: the queued reply is kept`);
    }
    assert.equal(server.violations().length, BAD.length);
  } finally {
    await server.close();
  }
});

test('an empty tool call id is refused as OpenAI refuses it (no rule is downgraded to a warning any more)', async () => {
  assert.equal(KNOWN_CORE_DEVIATIONS.size, 0);
  const server = await startLlmServer();
  try {
    server.script([{ text: 'answered' }]);
    const body = GOOD.openai();
    body.messages[2].tool_calls[0].id = '';
    body.messages[3].tool_call_id = '';
    const res = await post(server, 'openai', body);
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.record.warnings, []);
    assert.ok(res.record.invalid.includes("Invalid 'messages[2].tool_calls[0].id': empty string. Expected a string with minimum length 1, but got an empty string instead."), res.record.invalid.join('\n'));
  } finally {
    await server.close();
  }
});

test('strict: false answers a malformed request but still records what is wrong', async () => {
  const server = await startLlmServer({ strict: false });
  try {
    server.script([{ text: 'fine' }]);
    const res = await post(server, 'openai', { model: 'gpt-4o-mini', messages: [{ role: 'tool', tool_call_id: 'x', content: '1' }] });
    assert.equal(res.status, 200);
    assert.match(res.text, /fine/);
    assert.equal(res.record.invalid.length, 2, res.record.invalid.join('\n'));
  } finally {
    await server.close();
  }
});

test('the validator reads each format alone (no server): what our core sends passes', () => {
  for (const format of ['openai', 'anthropic', 'responses']) {
    const { errors, warnings } = validateRequest(format, GOOD[format](), HEADERS[format]);
    assert.deepEqual(errors, [], format);
    assert.deepEqual(warnings, [], format);
  }
  // Anthropic: a string content, and a final assistant message left empty for the model to fill.
  const b = GOOD.anthropic();
  b.messages.push({ role: 'assistant', content: [] });
  assert.deepEqual(validateRequest('anthropic', b, HEADERS.anthropic).errors, []);
});

test('the context window: over it, each provider\'s real context-length error, recorded', async () => {
  const server = await startLlmServer({ contextWindow: 100 });
  try {
    const long = 'x'.repeat(2000);
    server.script([{ text: 'fits' }]);
    const small = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] };
    const ok = await post(server, 'openai', small);
    assert.equal(ok.status, 200);
    assert.equal(ok.record.overWindow, undefined);
    assert.equal(ok.record.estimate, estimateTokens('openai', small));

    const big = { ...small, messages: [{ role: 'user', content: long }] };
    const m = estimateTokens('openai', big);
    assert.ok(m > 500 && m < 520, `about chars/4: ${m}`);
    server.script([{ text: 'never sent' }]);
    let res = await post(server, 'openai', big);
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { error: {
      message: `This model's maximum context length is 100 tokens. However, your messages resulted in ${m} tokens. Please reduce the length of the messages.`,
      type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
    assert.deepEqual(res.record.overWindow, { estimate: m, window: 100 });

    const anth = { model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, system: 'sys', messages: [{ role: 'user', content: long }] };
    const a = estimateTokens('anthropic', anth);
    server.script([{ text: 'never sent' }]);
    res = await post(server, 'anthropic', anth);
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { type: 'error', error: { type: 'invalid_request_error', message: `prompt is too long: ${a} tokens > 100 maximum` } });
    assert.deepEqual(res.record.overWindow, { estimate: a, window: 100 });

    const resp = { model: 'gpt-4.1-mini', stream: true, input: [{ role: 'user', content: long }] };
    const r = estimateTokens('responses', resp);
    server.script([{ text: 'never sent' }]);
    res = await post(server, 'responses', resp);
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'context_length_exceeded');
    assert.equal(res.json.error.type, 'invalid_request_error');
    assert.equal(res.json.error.param, 'input');
    assert.match(res.json.error.message, new RegExp(`maximum context length is 100 tokens\\. However, your input resulted in ${r} tokens`));
    assert.deepEqual(res.record.overWindow, { estimate: r, window: 100 });
  } finally {
    await server.close();
  }
});

test('a step may set its own context window', async () => {
  const server = await startLlmServer();
  try {
    const body = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'y'.repeat(400) }] };
    server.script([{ context_window: 50, text: 'no' }, { text: 'yes' }]);
    const over = await post(server, 'openai', body);
    assert.equal(over.status, 400);
    assert.equal(over.json.error.code, 'context_length_exceeded');
    const next = await post(server, 'openai', body);
    assert.equal(next.status, 200, 'no window without the option');
    assert.match(next.text, /yes/);
  } finally {
    await server.close();
  }
});

/** Parses an SSE body into [{event, data}] and checks each frame's form. */
function parseSse(text) {
  assert.ok(text.endsWith('\n\n'), 'the stream ends with a whole event');
  return text.slice(0, -2).split('\n\n').map((frame) => {
    const m = frame.match(/^event: ([a-z_.]+)\ndata: (.*)$/s);
    assert.ok(m, `frame form: ${JSON.stringify(frame)}`);
    assert.ok(!m[2].includes('\n'), 'one data line');
    return { event: m[1], data: JSON.parse(m[2]) };
  });
}

test('Responses: a turn with thinking, text and two tool calls streams as OpenAI does', async () => {
  const server = await startLlmServer();
  try {
    const args1 = JSON.stringify({ code: 'import pandas as pd\ndf = pd.read_csv("sales.csv")\ndf.head()' });
    server.script([{
      thinking: 'Look at the file first.',
      text: 'Let me look at the data — ünïcödé 📊 too.',
      tool_calls: [{ id: 'call_a', name: 'python', arguments: args1 }, { id: 'call_b', arguments: '{"code":"1"}' }],
      usage: { input_tokens: 120, output_tokens: 30, cached_tokens: 64, reasoning_tokens: 12 },
    }]);
    const res = await post(server, 'responses', GOOD.responses());
    assert.equal(res.status, 200);
    const events = parseSse(res.text);
    events.forEach((e, i) => {
      assert.equal(e.data.type, e.event, 'the data repeats the event type');
      assert.equal(e.data.sequence_number, i, 'sequence numbers count from 0');
    });
    const kinds = events.map((e) => e.event);
    const squeeze = kinds.filter((k, i) => k !== kinds[i - 1]);
    assert.deepEqual(squeeze, [
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.done',
      'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    const of = (type) => events.filter((e) => e.event === type).map((e) => e.data);
    assert.equal(of('response.created')[0].response.status, 'in_progress');
    assert.equal(of('response.created')[0].response.model, 'gpt-4.1-mini', 'the requested model');
    assert.ok(of('response.output_text.delta').length > 3, 'text in small pieces');
    assert.equal(of('response.output_text.delta').map((d) => d.delta).join(''), 'Let me look at the data — ünïcödé 📊 too.');
    assert.equal(of('response.output_text.done')[0].text, 'Let me look at the data — ünïcödé 📊 too.');
    assert.equal(of('response.reasoning_summary_text.delta').map((d) => d.delta).join(''), 'Look at the file first.');
    const added = of('response.output_item.added');
    assert.deepEqual(added.map((a) => [a.output_index, a.item.type]), [[0, 'reasoning'], [1, 'message'], [2, 'function_call'], [3, 'function_call']]);
    assert.deepEqual(added[1].item, { id: 'msg_scripted', type: 'message', status: 'in_progress', role: 'assistant', content: [] });
    assert.deepEqual(added[2].item, { id: 'fc_scripted_1', type: 'function_call', status: 'in_progress', arguments: '', call_id: 'call_a', name: 'python' });
    assert.equal(added[3].item.name, 'python', 'the default tool name');
    const deltas = of('response.function_call_arguments.delta');
    assert.ok(deltas.filter((d) => d.item_id === 'fc_scripted_1').length > 3, 'arguments in pieces');
    assert.equal(deltas.filter((d) => d.item_id === 'fc_scripted_1').map((d) => d.delta).join(''), args1);
    assert.deepEqual(of('response.function_call_arguments.done').map((d) => [d.item_id, d.output_index, d.arguments]),
      [['fc_scripted_1', 2, args1], ['fc_scripted_2', 3, '{"code":"1"}']]);
    for (const d of [...of('response.output_text.delta'), ...of('response.content_part.added')]) {
      assert.deepEqual([d.item_id, d.output_index, d.content_index], ['msg_scripted', 1, 0]);
    }
    const done = of('response.completed')[0].response;
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.usage, { input_tokens: 120, input_tokens_details: { cached_tokens: 64 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 150 });
    assert.deepEqual(done.output.map((o) => o.type), ['reasoning', 'message', 'function_call', 'function_call']);
    assert.deepEqual(done.output.map((o) => o.status), [undefined, 'completed', 'completed', 'completed']);
  } finally {
    await server.close();
  }
});

test('Responses: reasoning handed back whole is accepted; asked for, it streams encrypted', async () => {
  const server = await startLlmServer();
  try {
    server.script([{ thinking: 'Add them.', tool_calls: [{ id: 'call_1', arguments: '{"code":"1+1"}' }] }, { thinking: 'Again.', text: 'ok' }]);
    const body = GOOD.responses();
    body.include = ['reasoning.encrypted_content'];
    body.input.splice(1, 0, { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Add.' }], encrypted_content: 'gAAAA' });
    const asked = await post(server, 'responses', body);
    assert.equal(asked.status, 200, asked.text);
    assert.deepEqual(asked.record.invalid, []);
    const done = asked.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)))
      .find((e) => e.type === 'response.output_item.done' && e.item.type === 'reasoning');
    assert.equal(done.item.encrypted_content, `enc:${Buffer.from('Add them.').toString('base64')}`);
    delete body.include;
    const plain = await post(server, 'responses', body);
    assert.ok(!plain.text.includes('encrypted_content'), 'not asked for: not sent');
  } finally {
    await server.close();
  }
});

test('Responses: incomplete and failed endings, HTTP errors in OpenAI\'s shape, cut and slow streams', async () => {
  const server = await startLlmServer();
  try {
    server.script([
      { text: 'partial answer', incomplete: 'max_output_tokens' },
      { failed: { code: 'server_error', message: 'The model crashed.' } },
      { status: 429, error: { type: 'rate_limit_exceeded', message: 'Slow down.', code: 'rate_limit_exceeded' }, headers: { 'retry-after': '2' } },
      { text: 'a long enough answer to be cut', cut_after: 4, delay_ms: 20 },
      { text: 'slow', delay_ms: 5 },
      { text: 'so far', stream_error: { code: 'rate_limit_exceeded', message: 'Rate limit reached. Please try again in 420ms.' } },
    ]);
    let events = parseSse((await post(server, 'responses', GOOD.responses())).text);
    let last = events.at(-1).data;
    assert.equal(last.type, 'response.incomplete');
    assert.equal(last.response.status, 'incomplete');
    assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(last.response.usage.output_tokens, 7);
    assert.equal(last.response.output[0].status, 'incomplete');
    assert.ok(!events.some((e) => e.event === 'response.completed'));

    events = parseSse((await post(server, 'responses', GOOD.responses())).text);
    last = events.at(-1).data;
    assert.equal(last.type, 'response.failed');
    assert.equal(last.response.status, 'failed');
    assert.deepEqual(last.response.error, { code: 'server_error', message: 'The model crashed.' });

    const limited = await post(server, 'responses', GOOD.responses());
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.json, { error: { message: 'Slow down.', type: 'rate_limit_exceeded', param: null, code: 'rate_limit_exceeded' } });

    const cut = await fetch(`${server.url}/v1/responses`, { method: 'POST', body: JSON.stringify(GOOD.responses()) });
    let got = '';
    await assert.rejects(async () => { for await (const c of cut.body) got += Buffer.from(c).toString(); });
    assert.equal(got.split('\n\n').filter(Boolean).length, 4, 'four events, then the cut');

    const slow = await post(server, 'responses', GOOD.responses());
    assert.equal(parseSse(slow.text).at(-1).event, 'response.completed');

    events = parseSse((await post(server, 'responses', GOOD.responses())).text);
    assert.deepEqual(events.at(-1), { event: 'error', data: { type: 'error', sequence_number: events.length - 1, code: 'rate_limit_exceeded', message: 'Rate limit reached. Please try again in 420ms.', param: null } });
    assert.ok(!events.some((e) => /^response\.(completed|failed|incomplete)$/.test(e.event)), 'nothing after the error');
  } finally {
    await server.close();
  }
});

test('responsesEvents alone: a text reply and a hang', async () => {
  const events = responsesEvents({ text: 'hi' }).map((e) => JSON.parse(e.split('\ndata: ')[1]));
  assert.deepEqual(events.map((e) => e.type), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
  const server = await startLlmServer();
  try {
    server.script([{ hang: true }]);
    const ac = new AbortController();
    const r = await fetch(`${server.url}/v1/responses`, { method: 'POST', body: JSON.stringify(GOOD.responses()), signal: ac.signal });
    assert.equal(r.status, 200, 'headers, then nothing');
    ac.abort();
  } finally {
    await server.close();
  }
});

test('scenario steps play in all three formats on the strict server', async () => {
  const server = await startLlmServer();
  try {
    for (const format of ['openai', 'anthropic', 'responses']) {
      const { steps } = loadScenario('csv-chart');
      server.script(clone(steps));
      for (let i = 0; i < steps.length; i += 1) {
        const res = await post(server, format, GOOD[format]());
        assert.equal(res.status, 200, `${format} step ${i}: ${res.text}`);
        for (const call of steps[i].tool_calls ?? []) assert.ok(res.text.includes(call.id), `${format} step ${i}: the tool call ${call.id}`);
      }
      assert.equal(server.remaining(), 0);
    }
  } finally {
    await server.close();
  }
});
