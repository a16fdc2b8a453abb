// Writes one large streamed LLM reply per wire format, shaped like the
// recordings in tests/fixtures/streams/*.sse, for the decode benchmark:
//
//   <dir>/openai.sse      Chat Completions chunks: role chunk, text chunks of
//                         1-8 token-sized words (some non-ASCII, quotes,
//                         backslashes, newlines), two tool calls streamed as
//                         argument fragments, the finish chunk, the usage
//                         chunk, data: [DONE]
//   <dir>/anthropic.sse   Messages events: message_start, a text block of
//                         text_delta events, a ping, two tool_use blocks of
//                         input_json_delta events, message_delta, message_stop
//   <dir>/<format>.expected.json   {"text", "tool_calls": [{"name","arguments"}]}
//                         what a correct decoder's deltas add up to
//
// About 90% of each body is text chunks and 10% tool-call chunks. The
// content is pseudo-random from a fixed seed, so a given size always gives
// the same bytes.
//
// CLI:    node bench/make-stream.mjs [--out DIR] [--mb 20] [--seed 1]
// Module: makeStreams({ dir, mb, seed }) → { openai: {path, expectedPath, bytes}, anthropic: {...} }
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const kToolShare = 0.1;  // fraction of the body spent on tool-call chunks
const kToolCalls = 2;

// Token-sized pieces as models emit them (leading space, punctuation, digits),
// with multi-byte UTF-8 (2, 3 and 4 bytes) and characters JSON must escape.
const kWords = [
  ' the', ' data', ' shows', ' a', ' median', ' of', ' 4', '.', '35', ',', ' and', ' the', ' chart',
  ' sales', ' peak', ' in', ' November', ' —', ' about', ' 2', '.4×', ' summer', ' average', ':',
  ' café', ' é', ' résumé', ' Zürich', ' naïve', ' 日本', '語', ' データ', ' 😀', ' 📈', ' €', ' 12',
  '%', ' column', ' `price`', ' has', ' 37', ' missing', ' values', '.\n\n', '\n- ', ' **Total**',
  ' "quoted"', ' C:\\data', ' df', '.groupby', '(', ')', ' mean', ' per', ' region', ' →', ' 🙂',
  ' which', ' is', ' higher', ' than', ' expected', ' because', ' of', ' outliers', ' Ω', ' ß',
];

const kCodeLines = [
  'import pandas as pd',
  'import matplotlib.pyplot as plt',
  "df = pd.read_csv('/mnt/data/sales_{n}.csv')",
  "df['date'] = pd.to_datetime(df['date'])",
  "weekly = df.resample('W', on='date')['amount'].sum()",
  'print(weekly.describe())',
  '# résumé des ventes — 日本 📈',
  "ax = weekly.plot(title=\"Weekly sales {n}\")",
  "plt.savefig('/mnt/data/weekly_{n}.png')",
  "print(df.isna().sum().to_string())",
  "path = 'C:\\\\data\\\\export_{n}.csv'",
];

// mulberry32: small, fast, and deterministic across Node versions.
function Rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));  // inclusive
  const pick = (list) => list[Math.floor(next() * list.length)];
  const id = (n, alphabet) => Array.from({ length: n }, () => pick(alphabet)).join('');
  return { next, int, pick, id };
}

const kAlnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const kHex = '0123456789abcdef';

function TextPiece(rng) {
  let s = '';
  for (let i = rng.int(1, 8); i > 0; --i) s += rng.pick(kWords);
  return s;
}

// The argument text of one python tool call, about `target_chars` long.
function ToolArguments(rng, target_chars) {
  const lines = [];
  let length = 0;
  for (let n = 0; length < target_chars; ++n) {
    const line = rng.pick(kCodeLines).replaceAll('{n}', String(n));
    lines.push(line);
    length += line.length + 2;  // + the escaped newline
  }
  return JSON.stringify({ code: lines.join('\n') });
}

// Splits on code points (never inside a surrogate pair), 2-12 per fragment,
// as providers cut argument streams anywhere, escapes included.
function Fragments(rng, text) {
  const points = Array.from(text);
  const out = [];
  for (let i = 0; i < points.length;) {
    const n = rng.int(2, 12);
    out.push(points.slice(i, i + n).join(''));
    i += n;
  }
  return out;
}

// Collects SSE text in pieces and counts its UTF-8 bytes.
class Body {
  constructor() {
    this.parts = [];
    this.bytes = 0;
  }
  add(text) {
    this.parts.push(text);
    this.bytes += Buffer.byteLength(text);
  }
  toBuffer() {
    return Buffer.from(this.parts.join(''));
  }
}

// How many argument characters fit in `budget` bytes of chunks whose framing
// costs `overhead` bytes each (fragments average 7 code points).
function ArgumentCharsFor(budget, overhead) {
  return Math.max(64, Math.floor((budget / kToolCalls / (overhead + 8)) * 7));
}

function MakeOpenAi(target_bytes, seed) {
  const rng = Rng(seed);
  const head = {
    id: `chatcmpl-${rng.id(29, kAlnum)}`,
    object: 'chat.completion.chunk',
    created: 1752148330,
    model: 'gpt-4o-2024-08-06',
    system_fingerprint: `fp_${rng.id(10, kHex)}`,
  };
  const body = new Body();
  const chunk = (choices, extra = {}) => body.add(`data: ${JSON.stringify({ ...head, choices, ...extra })}\n\n`);
  const choice = (delta, finish_reason = null) => [{ index: 0, delta, logprobs: null, finish_reason }];

  let text = '';
  chunk(choice({ role: 'assistant', content: '', refusal: null }));
  const text_budget = target_bytes * (1 - kToolShare);
  while (body.bytes < text_budget) {
    const piece = TextPiece(rng);
    text += piece;
    chunk(choice({ content: piece }));
  }

  const overhead = Buffer.byteLength(
      JSON.stringify({ ...head, choices: choice({ tool_calls: [{ index: 0, function: { arguments: '' } }] }) })) + 8;
  const tool_calls = [];
  for (let index = 0; index < kToolCalls; ++index) {
    const call = { name: 'python', arguments: ToolArguments(rng, ArgumentCharsFor(target_bytes * kToolShare, overhead)) };
    tool_calls.push(call);
    chunk(choice({
      tool_calls: [{ index, id: `call_${rng.id(24, kAlnum)}`, type: 'function', function: { name: call.name, arguments: '' } }],
    }));
    for (const fragment of Fragments(rng, call.arguments))
      chunk(choice({ tool_calls: [{ index, function: { arguments: fragment } }] }));
  }
  chunk(choice({}, 'tool_calls'));
  const completion_tokens = Math.round(body.bytes / 60);
  chunk([], {
    usage: {
      prompt_tokens: 1187, completion_tokens, total_tokens: 1187 + completion_tokens,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
  });
  body.add('data: [DONE]\n\n');
  return { body: body.toBuffer(), expected: { text, tool_calls } };
}

function MakeAnthropic(target_bytes, seed) {
  const rng = Rng(seed + 1);
  const body = new Body();
  const event = (type, data) => body.add(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);

  event('message_start', {
    message: {
      model: 'claude-sonnet-4-5-20250929', id: `msg_01${rng.id(22, kAlnum)}`, type: 'message', role: 'assistant',
      content: [], stop_reason: null, stop_sequence: null,
      usage: { input_tokens: 1342, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 4 },
    },
  });
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  body.add('event: ping\ndata: {"type": "ping"}\n\n');

  let text = '';
  const text_budget = target_bytes * (1 - kToolShare);
  while (body.bytes < text_budget) {
    const piece = TextPiece(rng);
    text += piece;
    event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
  }
  event('content_block_stop', { index: 0 });

  const overhead = Buffer.byteLength(
      'event: content_block_delta\ndata: ' +
      JSON.stringify({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } })) + 2;
  const tool_calls = [];
  for (let i = 0; i < kToolCalls; ++i) {
    const index = i + 1;
    const call = { name: 'python', arguments: ToolArguments(rng, ArgumentCharsFor(target_bytes * kToolShare, overhead)) };
    tool_calls.push(call);
    event('content_block_start',
          { index, content_block: { type: 'tool_use', id: `toolu_01${rng.id(22, kAlnum)}`, name: call.name, input: {} } });
    event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
    for (const fragment of Fragments(rng, call.arguments))
      event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: fragment } });
    event('content_block_stop', { index });
  }
  event('message_delta',
        { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: Math.round(body.bytes / 60) } });
  event('message_stop', {});
  return { body: body.toBuffer(), expected: { text, tool_calls } };
}

export const kFormats = ['openai', 'anthropic'];

export function makeStreams({ dir, mb = 20, seed = 1 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const target_bytes = mb * 1e6;
  const out = {};
  for (const [format, make] of [['openai', MakeOpenAi], ['anthropic', MakeAnthropic]]) {
    const { body, expected } = make(target_bytes, seed);
    const file = path.join(dir, `${format}.sse`);
    const expectedPath = path.join(dir, `${format}.expected.json`);
    fs.writeFileSync(file, body);
    fs.writeFileSync(expectedPath, JSON.stringify(expected));
    out[format] = { path: file, expectedPath, bytes: body.length };
  }
  return out;
}

function Main(argv) {
  const args = { out: null, mb: 20, seed: 1 };
  for (let i = 0; i < argv.length; ++i) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--out' && value) args.out = value, ++i;
    else if (key === '--mb' && Number(value) > 0) args.mb = Number(value), ++i;
    else if (key === '--seed' && value) args.seed = Number(value), ++i;
    else {
      console.error('usage: node bench/make-stream.mjs [--out DIR] [--mb 20] [--seed 1]');
      process.exit(1);
    }
  }
  const dir = args.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ci-bench-'));
  const made = makeStreams({ dir, mb: args.mb, seed: args.seed });
  for (const [format, { path: file, bytes }] of Object.entries(made)) console.log(`${format}\t${bytes}\t${file}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) Main(process.argv.slice(2));
