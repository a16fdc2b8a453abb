// The stream-decoding benchmark, in one command:  node bench/run.mjs
//
// For each wire format (openai, anthropic) it decodes one large generated
// stream (bench/make-stream.mjs) four ways and reports best-of-N MB/s:
//   native    the core built with g++ -O2 (bench/decode_bench.cpp)
//   wasm      the core's browser build (build/wasm/ci_core.mjs) under this Node,
//             through js_glue/core.mjs: Core.createDecoder, feed() per chunk, finish()
//   session   the app's path on the same build: a core session fed with
//             CoreSession.feedLlmBytes per chunk (what js_glue/driver.mjs does),
//             its delta emits as the deltas, llm_done's assistant_message as the end
//   baseline  eventsource-parser + TextDecoder + JSON.parse, in this process
// and the ratios native/baseline, wasm/baseline and session/baseline. Every
// path gets the body in the same 4 KB chunks and must yield the same deltas
// (text and tool-call arguments); the run fails loudly if any of them
// reconstructs a different reply. Results go to bench/results/decode.json.
//
// All four run one after the other in each round (and the native decode in
// its own process), so load on the machine hits all alike.
//
// Options: --mb 20 (stream size), --runs 5, --chunk 4096,
//          --format openai|anthropic (default both),
//          --wasm-dir build/wasm (where ci_core.mjs/.wasm are), --keep (keep the streams)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { loadCore } from '../js_glue/core.mjs';
import { kFormats, makeStreams } from './make-stream.mjs';

const kRepo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kNativeBinary = path.join(kRepo, 'build/bench/decode_bench');
const kResultsFile = path.join(kRepo, 'bench/results/decode.json');

function Fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

function ParseArgs(argv) {
  const args = { mb: 20, runs: 5, chunk: 4096, formats: kFormats, wasmDir: 'build/wasm', keep: false };
  for (let i = 0; i < argv.length; ++i) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--mb' && Number(value) > 0) args.mb = Number(value), ++i;
    else if (key === '--runs' && Number(value) >= 1) args.runs = Math.floor(Number(value)), ++i;
    else if (key === '--chunk' && Number(value) >= 1) args.chunk = Math.floor(Number(value)), ++i;
    else if (key === '--format' && kFormats.includes(value)) args.formats = [value], ++i;
    else if (key === '--wasm-dir' && value) args.wasmDir = value, ++i;
    else if (key === '--keep') args.keep = true;
    else Fail(`unknown option ${key}\nusage: node bench/run.mjs [--mb 20] [--runs 5] [--chunk 4096] ` +
              '[--format openai|anthropic] [--wasm-dir build/wasm] [--keep]');
  }
  args.wasmDir = path.resolve(kRepo, args.wasmDir);
  return args;
}

function NewestMtime(files) {
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}

function CoreSources() {
  const dir = path.join(kRepo, 'wasm/core');
  return fs.readdirSync(dir).filter((f) => /\.(cpp|h)$/.test(f)).map((f) => path.join(dir, f));
}

// --- prerequisites -----------------------------------------------------------

async function LoadBaselineParser() {
  try {
    return (await import('eventsource-parser')).createParser;
  } catch {
    Fail('the baseline needs the npm package eventsource-parser: run `npm ci` at the repo root');
  }
}

// Builds build/bench/decode_bench when it is missing or older than its sources.
function EnsureNativeBinary() {
  const sources = [path.join(kRepo, 'bench/decode_bench.cpp'), ...CoreSources()];
  if (fs.existsSync(kNativeBinary) && fs.statSync(kNativeBinary).mtimeMs >= NewestMtime(sources)) return;
  const cpp = sources.filter((f) => f.endsWith('.cpp')).map((f) => path.relative(kRepo, f));
  const command = ['g++', '-O2', '-std=c++17', '-I', 'wasm', ...cpp, '-o', path.relative(kRepo, kNativeBinary)];
  console.log(`building the native bench (about 2 minutes): ${command.join(' ')}`);
  fs.mkdirSync(path.dirname(kNativeBinary), { recursive: true });
  const built = spawnSync(command[0], command.slice(1), { cwd: kRepo, stdio: 'inherit' });
  if (built.error) Fail(`cannot run g++ (${built.error.message}): apt-get install -y g++ nlohmann-json3-dev`);
  if (built.status !== 0) Fail('the native bench did not compile (see above)');
}

async function LoadWasmCore(dir) {
  const mjs = path.join(dir, 'ci_core.mjs');
  const wasm = path.join(dir, 'ci_core.wasm');
  if (!fs.existsSync(mjs) || !fs.existsSync(wasm)) {
    const rel = path.relative(kRepo, dir);
    Fail(`no wasm build in ${rel}/ (ci_core.mjs + ci_core.wasm). Build it at the repo root with:\n` +
         `  NODE_PATH=/usr/share/nodejs emcmake cmake -S . -B ${rel} -DCMAKE_BUILD_TYPE=Release && ` +
         `NODE_PATH=/usr/share/nodejs cmake --build ${rel} --target ci_core_module`);
  }
  if (fs.statSync(wasm).mtimeMs < NewestMtime(CoreSources()))
    console.warn(`bench: warning: ${path.relative(kRepo, wasm)} is older than wasm/core sources; rebuild it for current figures`);
  // Through the glue the app uses (js_glue/core.mjs). Node 20's global fetch
  // breaks the 3.1.6 loader on a file path: hand it the bytes.
  return loadCore({ moduleUrl: pathToFileURL(mjs).href, wasmBinary: fs.readFileSync(wasm) });
}

// --- the decoders --------------------------------------------------------------
// Each returns the deltas of one complete decode as {kind, text, index}:
// kind "text" | "thinking" | "tool_call_begin" (text = tool name) |
// "tool_call_arguments" (text = fragment); index = which tool call.

function* Chunks(body, size) {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size);
}

function DecodeWasm(core, format, body, chunk) {
  const decoder = core.createDecoder(format);
  const deltas = [];
  for (const piece of Chunks(body, chunk)) {
    decoder.feed(piece, deltas);
  }
  return { deltas, result: decoder.finish() };
}

// The app's own path: a core session (what js_glue/driver.mjs feeds) turns
// each chunk into actions with CoreSession.feedLlmBytes; the delta emits are
// the deltas (coalesced per chunk by the core), and the reply's end is the
// assistant_message emit of llm_done. The session's reply limit is lifted
// for the big stream.
function DecodeSession(core, format, body, chunk) {
  const session = core.createSession({
    provider: { format, base_url: 'http://127.0.0.1:9/v1', model: 'bench' },
    limits: { max_reply_bytes: 1 << 30 },
  });
  try {
    const emits = (actions) => actions.filter((a) => a.type === 'emit').map((a) => a.event);
    const start = session.handle({ type: 'user_message', text: 'bench', now_ms: 1 });
    const request = start.actions.find((a) => a.type === 'http_request');
    if (!request) Fail(`the ${format} session asked for no model request`);
    const id = request.request_id;
    session.handle({ type: 'llm_headers', request_id: id, status: 200, headers: { 'content-type': 'text/event-stream' }, now_ms: 2 });
    const deltas = [];
    for (const piece of Chunks(body, chunk)) {
      const answer = session.feedLlmBytes(id, piece, 3);
      if (answer.error) Fail(`the ${format} session refused a chunk: ${JSON.stringify(answer.error)}`);
      for (const e of emits(answer.actions)) {
        if (e.type === 'text_delta') deltas.push({ kind: 'text', text: e.text, index: 0 });
        else if (e.type === 'thinking_delta') deltas.push({ kind: 'thinking', text: e.text, index: 0 });
        else if (e.type === 'tool_call_started') deltas.push({ kind: 'tool_call_begin', text: e.name, index: e.index });
        else if (e.type === 'tool_call_delta') deltas.push({ kind: 'tool_call_arguments', text: e.arguments, index: e.index });
        else if (e.type === 'error') Fail(`the ${format} session failed the reply: ${JSON.stringify(e.error)}`);
      }
    }
    const done = emits(session.handle({ type: 'llm_done', request_id: id, status: 200, now_ms: 4 }).actions);
    const message = done.find((e) => e.type === 'assistant_message');
    if (!message) Fail(`the ${format} session ended the reply without an assistant_message: ${JSON.stringify(done).slice(0, 300)}`);
    return { deltas, result: { text: message.text, tool_calls: message.tool_calls } };
  } finally {
    session.destroy();
  }
}

// The baseline does what the core does for the UI: frame SSE, parse each
// event's JSON, and pull out the text and tool-call pieces of choice 0 /
// the content blocks.
function DecodeBaseline(createParser, format, body, chunk) {
  const deltas = [];
  let onData;
  if (format === 'openai') {
    let done = false;
    onData = (data) => {
      if (done) return;
      if (data === '[DONE]') return void (done = true);
      const choice = JSON.parse(data).choices?.[0];
      const delta = choice?.delta;
      if (!delta) return;
      if (typeof delta.content === 'string' && delta.content) deltas.push({ kind: 'text', text: delta.content, index: 0 });
      for (const call of delta.tool_calls ?? []) {
        const index = call.index ?? 0;
        if (call.function?.name) deltas.push({ kind: 'tool_call_begin', text: call.function.name, index });
        const args = call.function?.arguments;
        if (args) deltas.push({ kind: 'tool_call_arguments', text: args, index });
      }
    };
  } else {
    const tool_by_block = new Map();
    onData = (data) => {
      const event = JSON.parse(data);
      if (event.type === 'content_block_start' && event.content_block?.type === 'tool_use') {
        const index = tool_by_block.size;
        tool_by_block.set(event.index, index);
        deltas.push({ kind: 'tool_call_begin', text: event.content_block.name, index });
      } else if (event.type === 'content_block_delta') {
        const d = event.delta;
        if (d.type === 'text_delta' && d.text) deltas.push({ kind: 'text', text: d.text, index: 0 });
        else if (d.type === 'input_json_delta' && d.partial_json)
          deltas.push({ kind: 'tool_call_arguments', text: d.partial_json, index: tool_by_block.get(event.index) });
        else if (d.type === 'thinking_delta') deltas.push({ kind: 'thinking', text: d.thinking, index: 0 });
      }
    };
  }
  const parser = createParser({ onEvent: (event) => onData(event.data) });
  const decoder = new TextDecoder('utf-8');
  for (const piece of Chunks(body, chunk)) parser.feed(decoder.decode(piece, { stream: true }));
  parser.feed(decoder.decode());
  return { deltas };
}

// One native decode timed inside its own process (after a warm-up decode
// there), so process start and file reading are not counted.
function RunNative(format, file, chunk, dumpPath) {
  const run = spawnSync(kNativeBinary, [format, file, '--runs', '1', '--chunk', String(chunk), '--dump', dumpPath],
                        { encoding: 'utf8' });
  if (run.status !== 0) Fail(`native bench failed for ${format}: ${run.stderr || run.error?.message}`);
  const report = JSON.parse(run.stdout.trim().split('\n').pop());
  return { seconds: report.seconds_best, out: { deltas: report.deltas, dump: JSON.parse(fs.readFileSync(dumpPath, 'utf8')) } };
}

// --- checking ----------------------------------------------------------------

function Reconstruct(deltas) {
  let text = '';
  const tools = [];
  for (const { kind, text: piece, index } of deltas) {
    if (kind === 'text') text += piece;
    else if (kind === 'tool_call_begin') (tools[index] ??= { name: '', arguments: '' }).name = piece;
    else if (kind === 'tool_call_arguments') (tools[index] ??= { name: '', arguments: '' }).arguments += piece;
  }
  return { text, tool_calls: Array.from(tools, (t) => t ?? { name: '', arguments: '' }) };
}

function FirstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) ++i;
  return `${a.length} vs ${b.length} chars; first difference at ${i}: ` +
         `${JSON.stringify(a.slice(i, i + 40))} vs ${JSON.stringify(b.slice(i, i + 40))}`;
}

// Fails the run unless `got` is the reply the generator wrote.
function CheckSame(format, who, got, expected) {
  const problems = [];
  if (got.text !== expected.text) problems.push(`text: ${FirstDifference(got.text, expected.text)}`);
  if (got.tool_calls.length !== expected.tool_calls.length)
    problems.push(`${got.tool_calls.length} tool calls, expected ${expected.tool_calls.length}`);
  expected.tool_calls.forEach((want, i) => {
    const have = got.tool_calls[i] ?? { name: '', arguments: '' };
    if (have.name !== want.name) problems.push(`tool call ${i} name ${JSON.stringify(have.name)}, expected ${JSON.stringify(want.name)}`);
    if (have.arguments !== want.arguments) problems.push(`tool call ${i} arguments: ${FirstDifference(have.arguments, want.arguments)}`);
  });
  if (problems.length) Fail(`MISMATCH: ${who} decoded ${format} differently from the generated reply:\n  ${problems.join('\n  ')}`);
}

// The core's own end result (not just its deltas) must agree as well.
function CheckCoreResult(format, who, result, expected) {
  if (result.error) Fail(`MISMATCH: ${who} ended ${format} with an error: ${JSON.stringify(result.error)}`);
  CheckSame(format, `${who} (final result)`, {
    text: result.text ?? '',
    tool_calls: (result.tool_calls ?? []).map(({ name, arguments: a }) => ({ name, arguments: a })),
  }, expected);
}

// --- timing ------------------------------------------------------------------

function TimeOnce(fn) {
  const start = process.hrtime.bigint();
  const out = fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, out };
}

// One warm-up each, then `runs` rounds that run every contender once, so that
// changes in machine load (it is shared) hit all of them alike. A contender
// returns {seconds, out}. Returns the best time of each and its last output.
function TimeAll(runs, contenders) {
  const best = Object.fromEntries(Object.keys(contenders).map((k) => [k, Infinity]));
  const last = {};
  for (let round = -1; round < runs; ++round) {
    for (const [name, fn] of Object.entries(contenders)) {
      const { seconds, out } = fn();
      if (round >= 0) best[name] = Math.min(best[name], seconds);
      last[name] = out;
    }
  }
  return { best, last };
}

function MachineInfo() {
  const gpp = spawnSync('g++', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'unknown';
  // The machine is shared: the load average says how much to trust the figures.
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, load_average_1m: os.loadavg()[0],
           node: process.version, gpp };
}

function Table(rows) {
  const head = ['format', 'MB', 'native MB/s', 'wasm MB/s', 'session MB/s', 'baseline MB/s', 'native/baseline',
                'wasm/baseline', 'session/baseline'];
  const body = rows.map((r) => [r.format, (r.bytes / 1e6).toFixed(1), r.native.mb_per_s.toFixed(1),
                                r.wasm.mb_per_s.toFixed(1), r.session.mb_per_s.toFixed(1), r.baseline.mb_per_s.toFixed(1),
                                `${r.ratios.native_over_baseline.toFixed(2)}x`, `${r.ratios.wasm_over_baseline.toFixed(2)}x`,
                                `${r.ratios.session_over_baseline.toFixed(2)}x`]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function Main() {
  const args = ParseArgs(process.argv.slice(2));
  const createParser = await LoadBaselineParser();
  const core = await LoadWasmCore(args.wasmDir);
  EnsureNativeBinary();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-bench-'));
  try {
    console.log(`generating ${args.mb} MB streams in ${dir}`);
    const streams = makeStreams({ dir, mb: args.mb });
    const rows = [];
    for (const format of args.formats) {
      const { path: file, expectedPath, bytes } = streams[format];
      const expected = JSON.parse(fs.readFileSync(expectedPath, 'utf8'));
      const body = fs.readFileSync(file);
      console.log(`${format}: ${(bytes / 1e6).toFixed(1)} MB, best of ${args.runs}, ${args.chunk}-byte chunks`);

      const dump = path.join(dir, `${format}.native.json`);
      const { best, last } = TimeAll(args.runs, {
        native: () => RunNative(format, file, args.chunk, dump),
        wasm: () => TimeOnce(() => DecodeWasm(core, format, body, args.chunk)),
        session: () => TimeOnce(() => DecodeSession(core, format, body, args.chunk)),
        baseline: () => TimeOnce(() => DecodeBaseline(createParser, format, body, args.chunk)),
      });
      CheckSame(format, 'native', last.native.dump, expected);
      CheckCoreResult(format, 'native', last.native.dump.result, expected);
      CheckSame(format, 'wasm', Reconstruct(last.wasm.deltas), expected);
      CheckCoreResult(format, 'wasm', last.wasm.result, expected);
      CheckSame(format, 'wasm session', Reconstruct(last.session.deltas), expected);
      CheckCoreResult(format, 'wasm session', last.session.result, expected);
      CheckSame(format, 'baseline', Reconstruct(last.baseline.deltas), expected);

      const rate = (seconds) => ({ seconds_best: seconds, mb_per_s: bytes / 1e6 / seconds });
      const row = {
        format, bytes, chunk: args.chunk, runs: args.runs,
        deltas: { native: last.native.deltas, wasm: last.wasm.deltas.length, session: last.session.deltas.length,
                  baseline: last.baseline.deltas.length },
        native: rate(best.native), wasm: rate(best.wasm), session: rate(best.session), baseline: rate(best.baseline),
      };
      row.ratios = {
        native_over_baseline: row.native.mb_per_s / row.baseline.mb_per_s,
        wasm_over_baseline: row.wasm.mb_per_s / row.baseline.mb_per_s,
        session_over_baseline: row.session.mb_per_s / row.baseline.mb_per_s,
      };
      rows.push(row);
    }

    console.log(`\nevery decoder reconstructed the same text and tool calls\n\n${Table(rows)}`);
    const report = {
      benchmark: 'llm stream decoding throughput (MB = 1e6 bytes, best of runs)',
      date: new Date().toISOString(),
      machine: MachineInfo(),
      wasm_build: path.relative(kRepo, args.wasmDir),
      baseline: 'eventsource-parser + TextDecoder(stream) + JSON.parse per event, same Node process',
      results: rows,
    };
    fs.mkdirSync(path.dirname(kResultsFile), { recursive: true });
    fs.writeFileSync(kResultsFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${path.relative(kRepo, kResultsFile)}`);
  } finally {
    if (args.keep) console.log(`streams kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

await Main();
