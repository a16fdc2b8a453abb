// The hostile-endpoint corpus: malformed, hostile and merely unusual model
// responses, for both wire formats (OpenAI Chat Completions SSE and Anthropic
// Messages SSE), each as a raw step of the scripted LLM server
// (tests/support/llm-server.mjs, `raw`). hostile-streams.test.mjs runs every
// case through the real app in Chromium.
//
// A case: { id, category, format, step, expect, followup?, timing? }
//   expect: { kind: 'text', text }        the turn completes and the model's answer is exactly `text`
//           { kind: 'text-or-error', text, match }, { kind: 'text-one-of', texts }
//           { kind: 'empty-or-error', match } a reply with nothing in it
//           { kind: 'empty-notice' }      completes with no answer and a notice saying the reply was empty
//           { kind: 'any' }               ends either way (gap cases only)
//           { kind: 'error', match }      the turn ends with an error notice matching `match`
//           { kind: 'tool', stdout?, text } a tool call runs (Python), then the follow-up answer `text`
//   followup: the step for the turn's next model request (after a tool result)
//   timing: 'stream' (ends when the server stops: default), 'idle' (the stream-idle timeout),
//           'request' (the first-byte timeout), 'bound' (ends by a decoder bound while the
//           server still sends)
//   gap: a known weakness (what today's outcome lacks); such cases must still end, without a
//        crash, but their time and memory are reported, not asserted
//
// Expected texts for invalid UTF-8 come from TextDecoder (the WHATWG decoder),
// an implementation independent of the core's.
import zlib from 'node:zlib';

export const MB = 1 << 20;
const te = new TextEncoder();
const utf8 = (s) => Buffer.from(te.encode(s));
const cat = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? utf8(p) : Buffer.from(p))));
const whatwg = (bytes) => new TextDecoder('utf-8').decode(bytes);

// ---------------------------------------------------------------- OpenAI --
const oaEvent = (obj) => `data: ${JSON.stringify(obj)}\n\n`;
const oaChunk = (delta, finish = null, extra = {}) => oaEvent({ id: 'chatcmpl-h', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
const oaText = (...pieces) => pieces.map((p) => oaChunk({ content: p })).join('');
const OA_HEAD = oaChunk({ role: 'assistant', content: '' });
const OA_STOP = oaChunk({}, 'stop');
const OA_DONE = 'data: [DONE]\n\n';
const oaStream = (...pieces) => OA_HEAD + oaText(...pieces) + OA_STOP + OA_DONE;
/** A content delta whose string holds raw bytes (maybe invalid UTF-8) between `before` and `after`. */
const oaRawText = (before, bytes, after) => cat('data: {"choices":[{"index":0,"delta":{"content":', JSON.stringify(before).slice(0, -1), bytes, JSON.stringify(after).slice(1), '}}]}\n\n');
const oaTool = (id, name, args, index = 0) => oaChunk({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: args } }] });
const oaArgs = (args, index = 0) => oaChunk({ tool_calls: [{ index, function: { arguments: args } }] });

// ------------------------------------------------------------- Anthropic --
const anEvent = (name, obj) => `event: ${name}\ndata: ${JSON.stringify(obj)}\n\n`;
const AN_START = anEvent('message_start', { type: 'message_start', message: { id: 'msg_h', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } });
const anBlockStart = (index, block = { type: 'text', text: '' }) => anEvent('content_block_start', { type: 'content_block_start', index, content_block: block });
const anDelta = (index, delta) => anEvent('content_block_delta', { type: 'content_block_delta', index, delta });
const anText = (index, text) => anDelta(index, { type: 'text_delta', text });
const anBlockStop = (index) => anEvent('content_block_stop', { type: 'content_block_stop', index });
const AN_MSG_DELTA = anEvent('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } });
const AN_STOP = anEvent('message_stop', { type: 'message_stop' });
const anStream = (...pieces) => AN_START + anBlockStart(0) + pieces.map((p) => anText(0, p)).join('') + anBlockStop(0) + AN_MSG_DELTA + AN_STOP;
const anRawText = (before, bytes, after) => cat('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":', JSON.stringify(before).slice(0, -1), bytes, JSON.stringify(after).slice(1), '}}\n\n');
const anToolStart = (index, id, name = 'python') => anBlockStart(index, { type: 'tool_use', id, name, input: {} });
const anArgs = (index, partial) => anDelta(index, { type: 'input_json_delta', partial_json: partial });
const AN_TOOL_END = anEvent('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } }) + AN_STOP;

const F = {
  openai: { stream: oaStream, rawText: oaRawText, head: OA_HEAD, text: oaText, end: OA_STOP + OA_DONE },
  anthropic: {
    stream: anStream,
    rawText: anRawText,
    head: AN_START + anBlockStart(0),
    text: (...p) => p.map((x) => anText(0, x)).join(''),
    end: anBlockStop(0) + AN_MSG_DELTA + AN_STOP,
  },
};

/** The compact valid streams split at every byte offset, and their answer. */
export const SPLIT_TEXT = ['Hé, wörld', ' — 日本 🎉\r\n', 'ok'];
// Compact (few fields) so that one case per byte offset stays affordable.
export const SPLIT_STREAMS = {
  openai: SPLIT_TEXT.map((t) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: t } }] })}\n\n`).join('')
    + 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
  anthropic: 'event: message_start\ndata: {"type":"message_start","message":{"id":"m"}}\n\n'
    + SPLIT_TEXT.map((t) => `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } })}\n\n`).join('')
    + 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
};
const SPLIT_ANSWER = SPLIT_TEXT.join('');

const SSE = { 'content-type': 'text/event-stream' };
const HTML = { 'content-type': 'text/html; charset=utf-8' };
const JSONCT = { 'content-type': 'application/json' };
const ERR_CUT = /ended before the provider signalled its end|broke mid-answer|connection/i;

function htmlPage(title) {
  return `<!DOCTYPE html>\n<html>\n<head><title>${title}</title></head>\n<body>\n<center><h1>${title}</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n`;
}

/**
 * Every case. `options.splitEvery` (default: HOSTILE_SPLIT_EVERY=1) makes one case per
 * byte offset of each compact stream (about 1,110 cases in all); otherwise a sample of
 * offsets (about 330 cases in all).
 */
export function hostileCases({ splitEvery = process.env.HOSTILE_SPLIT_EVERY === '1' } = {}) {
  const cases = [];
  const add = (category, format, name, step, expect, extra = {}) => {
    cases.push({ id: `${format}/${category}/${name}`, category, format, step, expect, ...extra });
  };
  const text = (t) => ({ kind: 'text', text: t });
  const error = (match) => ({ kind: 'error', match });

  for (const format of ['openai', 'anthropic']) {
    const f = F[format];
    const body = SPLIT_STREAMS[format];
    const bytes = utf8(body);

    // 1. A valid stream split at every byte offset (two writes, 15 ms apart),
    //    and the realistic stream in 1-byte writes.
    // The sample (default): every offset inside a multi-byte character or next to a line end, and
    // every 16th; HOSTILE_SPLIT_EVERY=1: every offset. (The 1-byte-writes case below splits everywhere at once.)
    const all = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    const offsets = splitEvery ? all : all.filter((i) => (bytes[i] & 0xc0) === 0x80 || bytes[i] === 0x0a || bytes[i - 1] === 0x0a || bytes[i] === 0x0d || i % 16 === 0);
    for (const at of offsets) add('split', format, `at-${at}`, { raw: { headers: SSE, body: bytes, splits: [at], delay_ms: 15 } }, text(SPLIT_ANSWER));
    add('split', format, 'one-byte-writes-realistic-stream', { raw: { headers: SSE, body: utf8(f.stream(...SPLIT_TEXT)), chunk_size: 1, delay_ms: 1 } }, text(SPLIT_ANSWER));

    // 2. Line endings, BOM, comments.
    add('framing', format, 'crlf', { raw: { headers: SSE, body: body.replace(/\n/g, '\r\n') } }, text(SPLIT_ANSWER));
    add('framing', format, 'cr-only', { raw: { headers: SSE, body: body.replace(/\n/g, '\r') } }, text(SPLIT_ANSWER));
    add('framing', format, 'crlf-split-between-cr-and-lf', { raw: { headers: SSE, body: body.replace(/\n/g, '\r\n'), splits: [...body.replace(/\n/g, '\r\n')].map((c, i) => (c === '\r' ? i + 1 : -1)).filter((i) => i > 0), delay_ms: 5 } }, text(SPLIT_ANSWER));
    add('framing', format, 'bom', { raw: { headers: SSE, body: `\uFEFF${body}` } }, text(SPLIT_ANSWER));
    add('framing', format, 'bom-split-bytes', { raw: { headers: SSE, body: cat('\uFEFF', body), splits: [1, 2, 3], delay_ms: 10 } }, text(SPLIT_ANSWER));
    add('framing', format, 'comments-between-events', { raw: { headers: SSE, body: `: hello\n\n${body.replace(/\n\n/g, '\n: keep-alive\n\n')}` } }, text(SPLIT_ANSWER));
    add('framing', format, 'comment-only', { raw: { headers: SSE, body: ': ping\n\n'.repeat(200) } }, error(/ended before the provider signalled its end/));
    add('framing', format, 'no-final-blank-line', { raw: { headers: SSE, body: body.replace(/\n\n$/, '') } }, text(SPLIT_ANSWER));
    add('framing', format, 'blank-lines-only', { raw: { headers: SSE, body: '\n'.repeat(5000) } }, error(/answered with an empty body/));
    add('framing', format, 'data-without-space', { raw: { headers: SSE, body: body.replace(/data: /g, 'data:') } }, text(SPLIT_ANSWER));
    add('framing', format, 'unknown-fields', { raw: { headers: SSE, body: body.replace(/\n\n/g, '\nfoo: bar\nretry: 99999999999999999999\nid: 1\0x\n\n') } }, text(SPLIT_ANSWER));

    // 3. Endless input: a line, an event, a field name that never ends.
    const endlessMatch = /without completing an event/;
    add('endless', format, 'endless-data-line', { raw: { headers: SSE, body: `${f.head}data: {"choices":[{"delta":{"content":"`, after: { repeat: 'A'.repeat(65536), max_ms: 90000 } } }, error(endlessMatch), { timing: 'bound' });
    add('endless', format, 'endless-field-name', { raw: { headers: SSE, body: f.head, after: { repeat: 'x'.repeat(65536), max_ms: 90000 } } }, error(endlessMatch), { timing: 'bound' });
    add('endless', format, 'endless-event-many-lines', { raw: { headers: SSE, body: f.head, after: { repeat: 'data: 0123456789abcdef\n'.repeat(2048), max_ms: 90000 } } }, error(endlessMatch), { timing: 'bound' });

    // 4. 100 MB bodies, generated on the fly.
    add('huge', format, '100MB-comment-padding-then-answer', { raw: { headers: SSE, generate: { prefix: '', piece: ': padding padding padding padding padding padding padding\n', bytes: 100 * MB - ((100 * MB) % 58), suffix: body } } }, text(SPLIT_ANSWER));
    add('huge', format, '100MB-blank-lines-then-answer', { raw: { headers: SSE, generate: { prefix: f.head, piece: '\n', bytes: 100 * MB, suffix: f.text('tail') + f.end } } }, text('tail'));
    add('huge', format, '100MB-single-line', { raw: { headers: SSE, generate: { prefix: f.head, piece: 'data: ', bytes: 100 * MB - ((100 * MB) % 6) } } }, error(endlessMatch), { timing: 'bound' });
    const junk = format === 'openai' ? oaEvent({ choices: [] }) : anEvent('ping', { type: 'ping' });
    add('huge', format, '100MB-of-empty-events-then-answer', { raw: { headers: SSE, generate: { prefix: f.head, piece: junk, bytes: Math.floor((100 * MB) / junk.length) * junk.length, suffix: f.text('after pings') + f.end } } }, text('after pings'));

    // A content flood: the model "answers" 100 MB of text. And keep-alives forever.
    const flood = f.text('x'.repeat(4000));
    // (10 MB by default: 100 MB takes about a minute and 2.4 GB here; HOSTILE_FLOOD_MB=100 measures it.)
    const floodMB = Number(process.env.HOSTILE_FLOOD_MB) || 10;
    add('huge', format, `${floodMB}MB-of-text-deltas`, { raw: { headers: SSE, generate: { prefix: f.head, piece: flood, bytes: Math.floor((floodMB * MB) / flood.length) * flood.length, suffix: f.end } } }, error(/reply passed 1\.0 MB/));
    add('endless', format, 'keep-alive-comments-for-8s', { raw: { headers: SSE, body: f.head + f.text('thinking…'), after: { repeat: ': keep-alive\n\n', interval_ms: 200, max_ms: 8000 } } }, error(/took longer than \d+ s/));

    // 5. Invalid UTF-8 in text deltas: the answer is the WHATWG decoding.
    const bad = {
      'lone-ff': [0xff],
      'lone-continuation': [0x80, 0xbf],
      'overlong-slash': [0xc0, 0xaf],
      'overlong-3byte-nul': [0xe0, 0x80, 0x80],
      'cesu-lone-high-surrogate': [0xed, 0xa0, 0x80],
      'cesu-surrogate-pair': [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80],
      'truncated-3byte': [0xe6, 0x97],
      'five-byte-form': [0xf8, 0x88, 0x80, 0x80, 0x80],
      'above-10ffff': [0xf4, 0x90, 0x80, 0x80],
      'latin1-bytes': [0xe9, 0xe8, 0xfc],
    };
    for (const [name, b] of Object.entries(bad)) {
      const raw = cat(f.head, f.rawText('x', Buffer.from(b), 'y'), f.end);
      add('utf8', format, `text-${name}`, { raw: { headers: SSE, body: raw } }, text(whatwg(cat('x', Buffer.from(b), 'y'))));
    }
    // Split inside the invalid sequence too.
    {
      const raw = cat(f.head, f.rawText('x', Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80, 0xf0, 0x9f]), 'y'), f.end);
      const mid = raw.indexOf(0xa0);
      add('utf8', format, 'text-invalid-split-mid-sequence', { raw: { headers: SSE, body: raw, splits: [mid, mid + 3, mid + 7], delay_ms: 10 } }, text(whatwg(Buffer.from([0x78, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80, 0xf0, 0x9f, 0x79]))));
    }
    // JSON escapes of lone surrogates: the decoders' JSON readers.
    add('utf8', format, 'text-json-escaped-lone-surrogate', { raw: { headers: SSE, body: cat(f.head, f.rawText('x', '\\ud800', 'y'), f.end) } }, { kind: 'text-or-error', text: 'x\uFFFDy', match: /JSON|surrogate/i });
    add('utf8', format, 'text-json-escaped-reversed-pair', { raw: { headers: SSE, body: cat(f.head, f.rawText('x', '\\udc00\\ud800', 'y'), f.end) } }, { kind: 'text-or-error', text: 'x\uFFFD\uFFFDy', match: /JSON|surrogate/i });
    // Invalid UTF-8 in the tool call's arguments: the code runs with U+FFFD.
    {
      const pre = `{"code": "print('a`;
      const post = `b')"}`;
      for (const [name, b] of Object.entries({ 'lone-ff': [0xff], 'overlong-slash': [0xc0, 0xaf], 'cesu-lone-surrogate': [0xed, 0xa0, 0x80] })) {
        // The arguments are JSON text inside a JSON string: the raw bytes sit inside the outer string.
        const escaped = cat(JSON.stringify(pre).slice(0, -1), Buffer.from(b), JSON.stringify(post).slice(1));
        const raw = format === 'openai'
          ? cat(OA_HEAD, oaTool('call_u', 'python', ''), 'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":', escaped, '}}]}}]}\n\n', oaChunk({}, 'tool_calls'), OA_DONE)
          : cat(AN_START, anToolStart(0, 'toolu_u'), 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":', escaped, '}}\n\n', anBlockStop(0), AN_TOOL_END);
        add('utf8', format, `tool-args-${name}`, { raw: { headers: SSE, body: raw } }, { kind: 'tool', stdouts: [`${whatwg(cat('a', Buffer.from(b), 'b'))}\n`], text: 'after the tool' }, { followup: { raw: { headers: SSE, body: f.stream('after the tool') } } });
      }
    }

    // 6. HTML error pages and wrong content types.
    add('html', format, '200-text-html', { raw: { status: 200, headers: HTML, body: htmlPage('Welcome to nginx!') } }, error(/web page, not a stream/));
    add('html', format, '502-bad-gateway', { raw: { status: 502, headers: HTML, body: htmlPage('502 Bad Gateway') } }, error(/HTTP 502.*HTML page.*502 Bad Gateway/));
    add('html', format, '503-unavailable', { raw: { status: 503, headers: HTML, body: htmlPage('503 Service Temporarily Unavailable') } }, error(/HTTP 503.*HTML page/));
    add('html', format, '404-html', { raw: { status: 404, headers: HTML, body: htmlPage('404 Not Found') } }, error(/Not found \(HTTP 404\).*HTML/));
    add('html', format, '500-plain-text', { raw: { status: 500, headers: { 'content-type': 'text/plain' }, body: 'Internal Server Error\n' } }, error(/HTTP 500.*Internal Server Error/));
    add('html', format, '200-html-no-title-huge', { raw: { status: 200, headers: HTML, body: `<html><body>${'<div>x</div>'.repeat(200000)}</body></html>` } }, error(/web page, not a stream/));
    add('content-type', format, 'sse-body-as-application-json', { raw: { headers: JSONCT, body } }, text(SPLIT_ANSWER));
    add('content-type', format, 'sse-body-without-content-type', { raw: { headers: {}, body } }, text(SPLIT_ANSWER));
    const nonStreaming = format === 'openai'
      ? JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'not streamed' }, finish_reason: 'stop' }] })
      : JSON.stringify({ id: 'x', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'not streamed' }], stop_reason: 'end_turn' });
    add('content-type', format, 'non-streaming-json-answer', { raw: { headers: JSONCT, body: nonStreaming } }, error(/one JSON document instead of a stream/));
    add('content-type', format, 'octet-stream-garbage', { raw: { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)) } }, error(/not a stream of events.*application\/octet-stream/));
    add('content-type', format, 'latin1-charset-claimed', { raw: { headers: { 'content-type': 'text/event-stream; charset=iso-8859-1' }, body: cat(f.head, f.rawText('caf', Buffer.from([0xe9]), ''), f.end) } }, text('caf\uFFFD'));

    // 7. Provider JSON error bodies (non-2xx) and mid-stream errors.
    const errs = format === 'openai'
      ? [[400, 'invalid_request_error', 'Invalid model'], [401, 'invalid_api_key', 'Incorrect API key provided'], [403, 'permission_denied', 'Project does not have access'], [404, 'not_found_error', 'The model does not exist'], [413, 'invalid_request_error', 'Request too large'], [422, 'invalid_request_error', 'Unprocessable'], [429, 'insufficient_quota', 'You exceeded your current quota'], [500, 'server_error', 'The server had an error'], [503, 'server_error', 'The engine is currently overloaded']]
      : [[400, 'invalid_request_error', 'max_tokens: too large'], [401, 'authentication_error', 'invalid x-api-key'], [403, 'permission_error', 'Your API key does not have permission'], [404, 'not_found_error', 'model: claude-x'], [413, 'request_too_large', 'Request exceeds the maximum size'], [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'], [500, 'api_error', 'Internal server error'], [529, 'overloaded_error', 'Overloaded']];
    for (const [status, type, message] of errs) {
      const b = format === 'openai' ? { error: { message, type, param: null, code: type } } : { type: 'error', error: { type, message } };
      add('error-body', format, `${status}-${type}`, { raw: { status, headers: JSONCT, body: JSON.stringify(b) } }, error(new RegExp(`HTTP ${status}.*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)));
    }
    // The other provider's shape, Ollama's, FastAPI's; deep nesting and huge numbers in error bodies.
    add('error-body', format, '400-other-provider-shape', { raw: { status: 400, headers: JSONCT, body: format === 'openai' ? '{"type":"error","error":{"type":"invalid_request_error","message":"cross shape"}}' : '{"error":{"message":"cross shape","type":"x"}}' } }, error(/HTTP 400.*cross shape/));
    add('error-body', format, '400-ollama-string-error', { raw: { status: 400, headers: JSONCT, body: '{"error":"model \\"llama9\\" not found, try pulling it first"}' } }, error(/HTTP 400.*not found, try pulling/));
    add('error-body', format, '422-fastapi-detail', { raw: { status: 422, headers: JSONCT, body: '{"detail":[{"loc":["body","model"],"msg":"field required","type":"value_error.missing"}]}' } }, error(/HTTP 422.*field required/));
    add('error-body', format, '400-deep-nesting', { raw: { status: 400, headers: JSONCT, body: `{"error":${'['.repeat(100000)}${']'.repeat(100000)}}` } }, error(/HTTP 400/));
    add('error-body', format, '400-huge-message', { raw: { status: 400, headers: JSONCT, body: JSON.stringify({ error: { message: `long ${'m'.repeat(5 * MB)}`, type: 'invalid_request_error' } }) } }, error(/The provider rejected the request \(HTTP 400\)\. HTTP 400: .*long m+/));
    add('error-body', format, '400-empty-body', { raw: { status: 400, headers: JSONCT, body: '' } }, error(/HTTP 400 with an empty body/));
    add('error-body', format, '400-nul-and-control-chars', { raw: { status: 400, headers: JSONCT, body: cat('{"error":{"message":"bad\\u0000x\\u001b[31mred\\u0007","type":"t"}}') } }, error(/HTTP 400: bad x \[31mred/));
    add('error-body', format, '429-retry-after-huge', { raw: { status: 429, headers: { ...JSONCT, 'retry-after': '99999999999' }, body: '{"error":{"message":"slow down","type":"rate_limit_error"}}' } }, error(/Rate limited \(HTTP 429\).*slow down/));
    add('error-body', format, '429-retry-after-garbage', { raw: { status: 429, headers: { ...JSONCT, 'retry-after': '-1, NaN, 1e999' }, body: '{"error":{"message":"slow down","type":"rate_limit_error"}}' } }, error(/Rate limited \(HTTP 429\).*slow down/));
    add('error-body', format, '599-unknown-status', { raw: { status: 599, headers: JSONCT, body: '{"error":{"message":"odd status","type":"x"}}' } }, error(/HTTP 599.*odd status/));
    if (format === 'openai') {
      add('midstream-error', format, 'error-object', { raw: { headers: SSE, body: OA_HEAD + oaText('partial ') + oaEvent({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } }) } }, error(/The server had an error while processing/));
      add('midstream-error', format, 'error-string', { raw: { headers: SSE, body: OA_HEAD + oaEvent({ error: 'upstream timeout' }) } }, error(/upstream timeout/));
      add('midstream-error', format, 'event-error-not-json', { raw: { headers: SSE, body: `${OA_HEAD}event: error\ndata: upstream exploded\n\n` } }, error(/upstream exploded/));
    } else {
      add('midstream-error', format, 'overloaded-before-content', { raw: { headers: SSE, body: AN_START + anEvent('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) } }, error(/Overloaded/));
      add('midstream-error', format, 'api-error-after-text', { raw: { headers: SSE, body: AN_START + anBlockStart(0) + anText(0, 'partial ') + anEvent('error', { type: 'error', error: { type: 'api_error', message: 'Internal server error' } }) } }, error(/Internal server error/));
      add('midstream-error', format, 'event-error-not-json', { raw: { headers: SSE, body: `${AN_START}event: error\ndata: upstream exploded\n\n` } }, error(/upstream exploded/));
    }

    // 8. Deep nesting and huge numbers in stream events.
    add('json', format, 'deep-array-1e5', { raw: { headers: SSE, body: `${f.head}data: ${'['.repeat(100000)}${']'.repeat(100000)}\n\n${f.end}` } }, error(/nested deeper than 256|expected a JSON object/));
    add('json', format, 'deep-object-1e5', { raw: { headers: SSE, body: `${f.head}data: ${'{"a":'.repeat(100000)}1${'}'.repeat(100000)}\n\n${f.end}` } }, error(/nested deeper than 256/));
    add('json', format, 'deep-inside-delta', { raw: { headers: SSE, body: `${f.head}data: {"choices":[{"index":0,"delta":{"content":"x","x":${'['.repeat(100000)}${']'.repeat(100000)}}}]}\n\n${f.end}` } }, error(/nested deeper than 256/));
    add('json', format, 'unclosed-deep', { raw: { headers: SSE, body: `${f.head}data: ${'['.repeat(100000)}\n\n${f.end}` } }, error(/JSON|nested/));
    add('json', format, 'not-json', { raw: { headers: SSE, body: `${f.head}data: {not json at all\n\n${f.end}` } }, error(/not JSON|JSON/));
    add('json', format, 'json-number-root', { raw: { headers: SSE, body: `${f.head}data: 42\n\n${f.end}` } }, error(/expected a JSON object/));
    add('json', format, 'json-string-root', { raw: { headers: SSE, body: `${f.head}data: "hello"\n\n${f.end}` } }, error(/expected a JSON object/));
    add('json', format, 'json-null-root', { raw: { headers: SSE, body: `${f.head}data: null\n\n${f.end}` } }, error(/expected a JSON object/));
    add('json', format, 'truncated-json', { raw: { headers: SSE, body: `${f.head}data: {"choices":[{"index":0,"delta":{"content":"abc\n\n${f.end}` } }, error(/JSON/));
    add('json', format, 'raw-nul-in-string', { raw: { headers: SSE, body: cat(f.head, f.rawText('a', Buffer.from([0]), 'b'), f.end) } }, error(/JSON/));
    add('json', format, 'escaped-nul-in-text', { raw: { headers: SSE, body: cat(f.head, f.rawText('a', '\\u0000', 'b'), f.end) } }, text('a\u0000b'));
    add('json', format, 'nul-bytes-between-events', { raw: { headers: SSE, body: cat(f.head, Buffer.alloc(64), '\n\n', f.text('after nul'), f.end) } }, text('after nul'));
    add('json', format, 'duplicate-keys', { raw: { headers: SSE, body: `${f.head}${format === 'openai' ? 'data: {"choices":[{"index":0,"delta":{"content":"first","content":"second"}}]}\n\n' : 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"first","text":"second"}}\n\n'}${f.end}` } }, { kind: 'text-one-of', texts: ['first', 'second'] });
    if (format === 'openai') {
      const n = (num) => `${OA_HEAD}data: {"id":"x","created":${num},"choices":[{"index":0,"delta":{"content":"num"}}],"usage":{"prompt_tokens":${num},"completion_tokens":${num}}}\n\n${OA_STOP}${OA_DONE}`;
      // Numbers beyond a double's range are refused as "not JSON" (RFC 8259 lets a parser limit
      // the range); within it, any field value is fine.
      for (const [name, num] of [['1e400', '1e400'], ['-1e400', '-1e400'], ['huge-integer', '1'.repeat(400)]]) {
        add('numbers', format, name, { raw: { headers: SSE, body: n(num) } }, error(/event data is not JSON/));
      }
      for (const [name, num] of [['int64-overflow', '9223372036854775808'], ['negative', '-5'], ['1e300', '1e300'], ['long-fraction', `0.${'3'.repeat(400)}`]]) {
        add('numbers', format, name, { raw: { headers: SSE, body: n(num) } }, text('num'));
      }
      add('numbers', format, 'choice-index-1e400', { raw: { headers: SSE, body: `${OA_HEAD}data: {"choices":[{"index":1e400,"delta":{"content":"ignored"}}]}\n\n${oaText('kept')}${OA_STOP}${OA_DONE}` } }, error(/event data is not JSON/));
    } else {
      const n = (num) => `${AN_START}${anBlockStart(0)}${anText(0, 'num')}${anBlockStop(0)}event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":${num},"input_tokens":${num}}}\n\n${AN_STOP}`;
      // Numbers beyond a double's range are refused as "not JSON" (RFC 8259 lets a parser limit
      // the range); within it, any field value is fine.
      for (const [name, num] of [['1e400', '1e400'], ['-1e400', '-1e400'], ['huge-integer', '1'.repeat(400)]]) {
        add('numbers', format, name, { raw: { headers: SSE, body: n(num) } }, error(/event data is not JSON/));
      }
      for (const [name, num] of [['int64-overflow', '9223372036854775808'], ['negative', '-5'], ['1e300', '1e300'], ['long-fraction', `0.${'3'.repeat(400)}`]]) {
        add('numbers', format, name, { raw: { headers: SSE, body: n(num) } }, text('num'));
      }
      add('numbers', format, 'block-index-1e400', { raw: { headers: SSE, body: `${AN_START}data: {"type":"content_block_start","index":1e400,"content_block":{"type":"text","text":""}}\n\n${anBlockStart(0)}${anText(0, 'kept')}${anBlockStop(0)}${AN_MSG_DELTA}${AN_STOP}` } }, error(/event data is not JSON/));
    }

    // 9. Indices: duplicate, out of order, never started; tool calls.
    const tool = (code) => JSON.stringify({ code });
    if (format === 'openai') {
      add('indices', format, 'tool-indices-out-of-order', { raw: { headers: SSE, body: OA_HEAD + oaTool('call_b', 'python', '', 5) + oaTool('call_a', 'python', '', 0) + oaArgs(tool('print("from 0")'), 0) + oaArgs(tool('print("from 5")'), 5) + oaChunk({}, 'tool_calls') + OA_DONE } }, { kind: 'tool', stdouts: ['from 5\n', 'from 0\n'], text: 'after the tool' }, { followup: { raw: { headers: SSE, body: oaStream('after the tool') } } });
      add('indices', format, 'tool-duplicate-index-new-id', { raw: { headers: SSE, body: OA_HEAD + oaTool('call_1', 'python', tool('print(1)'), 0) + oaTool('call_2', 'python', tool('print(2)'), 0) + oaChunk({}, 'tool_calls') + OA_DONE } }, { kind: 'tool', stdouts: ['1\n', '2\n'], text: 'after the tool' }, { followup: { raw: { headers: SSE, body: oaStream('after the tool') } } });
      add('indices', format, 'tool-args-before-start', { raw: { headers: SSE, body: OA_HEAD + oaArgs('{"code":', 3) + oaArgs('"print(3)"}', 3) + oaChunk({}, 'tool_calls') + OA_DONE } }, { kind: 'tool', stdouts: [''], status: 'error', text: 'after the tool' }, { followup: { raw: { headers: SSE, body: oaStream('after the tool') } } });
      add('indices', format, 'second-choice-ignored', { raw: { headers: SSE, body: `${OA_HEAD}data: {"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]}\n\n${OA_STOP}${OA_DONE}` } }, text('A'));
    } else {
      add('indices', format, 'delta-for-unstarted-block', { raw: { headers: SSE, body: AN_START + anBlockStart(0) + anText(0, 'a') + anText(7, 'b') + anArgs(9, '{"code":"print(9)"}') + anBlockStop(0) + AN_MSG_DELTA + AN_STOP } }, text('ab'));
      add('indices', format, 'block-start-twice', { raw: { headers: SSE, body: AN_START + anBlockStart(0) + anText(0, 'one ') + anBlockStart(0) + anText(0, 'two') + anBlockStop(0) + AN_MSG_DELTA + AN_STOP } }, text('one two'));
      add('indices', format, 'tool-blocks-out-of-order', { raw: { headers: SSE, body: AN_START + anToolStart(3, 'toolu_3') + anToolStart(1, 'toolu_1') + anArgs(1, tool('print("one")')) + anArgs(3, tool('print("three")')) + anBlockStop(1) + anBlockStop(3) + AN_TOOL_END } }, { kind: 'tool', stdouts: ['three\n', 'one\n'], text: 'after the tool' }, { followup: { raw: { headers: SSE, body: anStream('after the tool') } } });
      add('indices', format, 'negative-index', { raw: { headers: SSE, body: AN_START + anBlockStart(-1) + anText(-1, 'neg') + anBlockStop(-1) + AN_MSG_DELTA + AN_STOP } }, text('neg'));
    }

    // 10. Tool calls with unterminated arguments.
    const unterminated = '{"code": "print(1';
    const toolUnterminated = format === 'openai'
      ? OA_HEAD + oaTool('call_x', 'python', '') + oaArgs(unterminated)
      : AN_START + anToolStart(0, 'toolu_x') + anArgs(0, unterminated);
    add('tool', format, 'unterminated-args-then-finish', { raw: { headers: SSE, body: toolUnterminated + (format === 'openai' ? oaChunk({}, 'tool_calls') + OA_DONE : anBlockStop(0) + AN_TOOL_END) } }, { kind: 'tool', stdouts: [''], text: 'after the tool', status: 'error' }, { followup: { raw: { headers: SSE, body: f.stream('after the tool') } } });
    add('tool', format, 'unterminated-args-then-eof', { raw: { headers: SSE, body: toolUnterminated } }, error(/ended before the provider signalled its end/));
    // (A reset can discard bytes Chromium had not read yet: then fetch itself fails, "Could not reach".)
    add('tool', format, 'unterminated-args-then-cut', { raw: { headers: SSE, body: toolUnterminated, after: 'cut' } }, error(/broke mid-answer|ended before|Could not reach/));
    add('tool', format, 'unknown-tool-name', { raw: { headers: SSE, body: format === 'openai' ? OA_HEAD + oaTool('call_z', 'rm_rf', tool('x')) + oaChunk({}, 'tool_calls') + OA_DONE : AN_START + anToolStart(0, 'toolu_z', 'rm_rf') + anArgs(0, tool('x')) + anBlockStop(0) + AN_TOOL_END } }, { kind: 'tool', stdouts: [''], text: 'after the tool', status: 'error' }, { followup: { raw: { headers: SSE, body: f.stream('after the tool') } } });

    // 11. End of stream: missing end markers, events after the end.
    if (format === 'openai') {
      add('end', format, 'done-missing-finish-present', { raw: { headers: SSE, body: OA_HEAD + oaText('fin') + OA_STOP } }, text('fin'));
      add('end', format, 'done-and-finish-missing', { raw: { headers: SSE, body: OA_HEAD + oaText('no end') } }, error(/ended before the provider signalled its end/));
      add('end', format, 'events-after-done', { raw: { headers: SSE, body: OA_HEAD + oaText('before') + OA_DONE + oaText(' after') + oaEvent({ error: { message: 'late' } }) } }, text('before'));
      add('end', format, 'done-only', { raw: { headers: SSE, body: OA_DONE } }, { kind: 'empty-notice' });
    } else {
      add('end', format, 'message-stop-missing-stop-reason-present', { raw: { headers: SSE, body: AN_START + anBlockStart(0) + anText(0, 'fin') + anBlockStop(0) + AN_MSG_DELTA } }, text('fin'));
      add('end', format, 'message-stop-and-stop-reason-missing', { raw: { headers: SSE, body: AN_START + anBlockStart(0) + anText(0, 'no end') } }, error(/ended before the provider signalled its end/));
      add('end', format, 'events-after-message-stop', { raw: { headers: SSE, body: anStream('before') + anText(0, ' after') + anEvent('error', { type: 'error', error: { type: 'api_error', message: 'late' } }) } }, text('before'));
      add('end', format, 'message-stop-only', { raw: { headers: SSE, body: AN_STOP } }, { kind: 'empty-notice' });
    }
    add('end', format, 'zero-byte-200', { raw: { headers: SSE, body: '' } }, error(/answered with an empty body/));
    add('end', format, 'zero-byte-200-no-content-type', { raw: { headers: {}, body: '' } }, error(/answered with an empty body/));

    // 12. Cuts: the connection reset at chosen places.
    const full = utf8(f.stream('abcdefgh', 'ijklmnop'));
    const firstText = full.indexOf(utf8('abcdefgh'));
    for (const [name, at] of [['before-any-byte', 0], ['mid-first-event', 20], ['mid-text-event', firstText + 3], ['between-events', full.indexOf(utf8('\n\n'), firstText) + 2], ['one-byte-before-end', full.length - 1]]) {
      add('cut', format, name, { raw: { headers: SSE, body: full, cut_at: at } }, error(/broke mid-answer|Could not reach|ended before|network/i));
    }

    // 13. Silence: headers then nothing; a partial event then nothing; content then nothing.
    add('silence', format, 'headers-then-silence', { raw: { headers: SSE, body: '', after: 'hang' } }, error(/did not start answering within/), { timing: 'request' });
    add('silence', format, 'partial-event-then-silence', { raw: { headers: SSE, body: `${f.head}data: {"choi`, after: 'hang' } }, error(/stalled: no data/), { timing: 'idle' });
    add('silence', format, 'text-then-silence', { raw: { headers: SSE, body: f.head + f.text('half an answer'), after: 'hang' } }, error(/stalled: no data/), { timing: 'idle' });
    add('silence', format, 'error-status-then-silence', { raw: { status: 500, headers: JSONCT, body: '{"error":{"message":"par', after: 'hang' } }, error(/stalled|did not start|HTTP 500/), { timing: 'idle' });

    // 14. Content encodings: claimed but plain, and real gzip.
    add('encoding', format, 'gzip-claimed-plain-body', { raw: { headers: { ...SSE, 'content-encoding': 'gzip' }, body } }, error(/Could not reach|broke|network|Failed to fetch|decod/i));
    add('encoding', format, 'br-claimed-plain-body', { raw: { headers: { ...SSE, 'content-encoding': 'br' }, body } }, error(/Could not reach|broke|network|Failed to fetch|decod/i));
    add('encoding', format, 'unknown-encoding', { raw: { headers: { ...SSE, 'content-encoding': 'x-evil' }, body } }, { kind: 'text-or-error', text: SPLIT_ANSWER, match: /Could not reach|network/i });
    add('encoding', format, 'real-gzip', { raw: { headers: { ...SSE, 'content-encoding': 'gzip' }, body: zlib.gzipSync(utf8(body)) } }, text(SPLIT_ANSWER));
    add('encoding', format, 'gzip-bomb-64MB-of-comments', { raw: { headers: { ...SSE, 'content-encoding': 'gzip' }, body: gzipBomb() } }, error(/ended before the provider signalled its end/));

    // 15. Giant single events.
    add('giant', format, 'event-17MB-beyond-sse-bound', { raw: { headers: SSE, body: `${f.head}data: {"choices":[{"index":0,"delta":{"content":"${'g'.repeat(17 * MB)}"}}]}\n\n${f.end}` } }, error(/without completing an event/));
    add('giant', format, 'event-20MB-in-many-data-lines', { raw: { headers: SSE, body: `${f.head}${'data: 0123456789abcdefghijklmnopqrstuvwxyz\n'.repeat(Math.ceil((20 * MB) / 43))}\n${f.end}` } }, error(/without completing an event/));
    add('headers', format, 'huge-header-value', { raw: { headers: { ...SSE, 'x-junk': 'j'.repeat(300000) }, body } }, { kind: 'text-or-error', text: SPLIT_ANSWER, match: /Could not reach|network/i });
    add('headers', format, 'thousand-headers', { raw: { headers: { ...SSE, ...Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`x-h${i}`, `v${i}`])) }, body } }, { kind: 'text-or-error', text: SPLIT_ANSWER, match: /Could not reach|network/i });
  }
  return cases;
}

let bomb;
/** 64 MB of SSE comment lines, gzip-compressed (about 64 KB on the wire). */
function gzipBomb() {
  if (!bomb) {
    const line = Buffer.from(': zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n');
    bomb = zlib.gzipSync(Buffer.concat(Array(64 * 16384).fill(line)), { level: 9 });
  }
  return bomb;
}

/** Counts by category and format. */
export function countCases(cases) {
  const out = {};
  for (const c of cases) {
    out[c.category] ??= { openai: 0, anthropic: 0 };
    out[c.category][c.format] += 1;
  }
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const cases = hostileCases();
  console.log(`${cases.length} cases`);
  console.table(countCases(cases));
}
