#!/usr/bin/env node
// Headless Code Interpreter: the same Session as the browser
// (js_glue/session.mjs: the core built to WebAssembly, the driver) with
// Pyodide in a worker_thread (NodeSandbox). Two commands:
//
//   node js_glue/cli.mjs run [--files DIR] [--timeout-ms N] [--out DIR] [--notebook OUT.ipynb] CELL.py…
//     The cells run in order in one Python session (variables carry over).
//     One JSON line per cell on stdout:
//     {"cell","ok","status","stdout","stderr","result","error","outputs","files","restarted","ms"}
//
//   node js_glue/cli.mjs ask --base-url URL --model M [--format openai|anthropic|responses] [--key-env VAR]
//                            [--files DIR] [--out DIR] [--notebook OUT.ipynb] [--timeout-ms N] [--max-steps N]
//                            [--vision] [--context-window N] QUESTION
//     Streams the model's answer to stdout; the cells it runs and their
//     output go to stderr as they happen.
//
// Both: DIR's files are uploaded to /mnt/data first; --out DIR receives the
// files Python made or changed; --notebook writes the conversation as .ipynb.
// Exit status (like a Unix tool): 0 done; 1 it failed (the core or Pyodide
// did not load, the model answered with an error, a file could not be
// written); 2 bad usage; 3 the turn hit its step or token limit; 130
// interrupted (Ctrl-C).
import fs from 'node:fs';
import path from 'node:path';
import { Session } from './session.mjs';
import { loadNodeCore, nodeSandbox } from './node.mjs';

const USAGE = `usage: node js_glue/cli.mjs run [options] CELL.py...
       node js_glue/cli.mjs ask --base-url URL --model M [options] QUESTION

run   Runs the cells in order in one Python session (Pyodide, through the core);
      prints one JSON line per cell.
ask   Asks the model; streams its answer to stdout while the cells it writes run
      in Pyodide (their code and output go to stderr).

Options:
  --files DIR         upload DIR's files (recursively) to /mnt/data first
  --out DIR           write the files Python made or changed into DIR
  --notebook FILE     write the conversation as a Jupyter notebook (.ipynb)
  --timeout-ms N      time limit per cell in milliseconds (default 120000)
  --index URL         a PEP 691 package index (repeatable) for %pip install, micropip.install
                      and imports of missing packages; fetched by this process, never by Python
  --allow-packages    install from --index without asking (default: every install is declined)
ask only:
  --base-url URL      the model endpoint (OpenAI-compatible, or Anthropic's)
  --model M           the model id
  --format F          openai (Chat Completions, the default), anthropic (Messages)
                      or responses (OpenAI Responses API)
  --key-env VAR       read the API key from environment variable VAR (sent only to URL's origin)
  --max-steps N       model calls per turn (default 12)
  --system TEXT       added to the system prompt
  --vision            the model sees images: those in --files go with the question, and
                      the images runs display go back with their results (originals
                      up to 3.75 MB: no downscale here)
  --context-window N  the model's context window in tokens: older outputs are trimmed to
                      keep each request within it (default: unknown, trimmed only after
                      the model refuses a request as too long)

Exit: 0 done, 1 failed, 2 bad usage, 3 stopped by a step or token limit, 130 interrupted.
`;

class UsageError extends Error {}

const isDir = (p) => fs.existsSync(p) && fs.statSync(p).isDirectory();
const wholeNumber = (flag, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} needs a positive whole number`);
  return n;
};

/** argv → {command, options}. @throws UsageError */
export function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') return { command: 'help' };
  if (command !== 'run' && command !== 'ask') throw new UsageError(command ? `unknown command "${command}"` : 'no command');
  const o = { command, files: null, out: null, notebook: null, timeoutMs: 120000, format: 'openai', baseUrl: null, model: null, keyEnv: null, maxSteps: 12, system: '', vision: false, contextWindow: 0, indexes: [], allowPackages: false, args: [] };
  const value = (i, flag) => {
    if (i >= rest.length || rest[i].startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return rest[i];
  };
  const askOnly = new Set(['--base-url', '--model', '--format', '--key-env', '--max-steps', '--system', '--vision', '--context-window']);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--help' || a === '-h') return { command: 'help' };
    if (askOnly.has(a) && command !== 'ask') throw new UsageError(`${a} is an option of "ask"`);
    switch (a) {
      case '--files': o.files = value(++i, a); break;
      case '--out': o.out = value(++i, a); break;
      case '--notebook': o.notebook = value(++i, a); break;
      case '--timeout-ms': o.timeoutMs = wholeNumber(a, value(++i, a)); break;
      case '--base-url': o.baseUrl = value(++i, a); break;
      case '--model': o.model = value(++i, a); break;
      case '--format': o.format = value(++i, a); break;
      case '--key-env': o.keyEnv = value(++i, a); break;
      case '--max-steps': o.maxSteps = wholeNumber(a, value(++i, a)); break;
      case '--system': o.system = value(++i, a); break;
      case '--vision': o.vision = true; break;
      case '--context-window': o.contextWindow = wholeNumber(a, value(++i, a)); break;
      case '--index': o.indexes.push(value(++i, a)); break;
      case '--allow-packages': o.allowPackages = true; break;
      case '--': o.args.push(...rest.slice(i + 1)); i = rest.length; break;
      default:
        if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
        o.args.push(a);
    }
  }
  if (o.files && !isDir(o.files)) throw new UsageError(`--files ${o.files} is not a directory`);
  for (const url of o.indexes) {
    try { new URL(url); } catch { throw new UsageError(`--index ${url} is not a URL`); }
  }
  if (o.allowPackages && !o.indexes.length) throw new UsageError('--allow-packages needs an --index');
  if (o.out && fs.existsSync(o.out) && !isDir(o.out)) throw new UsageError(`--out ${o.out} is not a directory`);
  if (command === 'run') {
    if (!o.args.length) throw new UsageError('no cells given');
    for (const c of o.args) if (!fs.existsSync(c) || !fs.statSync(c).isFile()) throw new UsageError(`cannot read cell file ${c}`);
  } else {
    if (!o.baseUrl) throw new UsageError('ask needs --base-url');
    try { new URL(o.baseUrl); } catch { throw new UsageError(`--base-url ${o.baseUrl} is not a URL`); }
    if (!o.model) throw new UsageError('ask needs --model');
    if (!['openai', 'anthropic', 'responses'].includes(o.format)) throw new UsageError('--format must be responses, openai or anthropic');
    if (o.keyEnv && !process.env[o.keyEnv]) throw new UsageError(`environment variable ${o.keyEnv} is not set`);
    if (o.args.length !== 1 || !o.args[0].trim()) throw new UsageError('ask needs one question (quote it)');
  }
  return { command, options: o };
}

function* walk(dir, base = dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full, base);
    else if (entry.isFile()) yield path.relative(base, full).split(path.sep).join('/');
  }
}

const say = (text) => process.stderr.write(text);

/** The session, with DIR's files uploaded. */
async function open(o) {
  let core;
  try {
    core = await loadNodeCore();
  } catch (error) {
    throw new Error(`the core could not load (${error?.message ?? error}); build it with "npm run build:wasm"`);
  }
  const session = new Session({
    core,
    createSandbox: nodeSandbox(),
    waitForPython: true,
    settings: { format: o.format, baseUrl: o.baseUrl ?? '', model: o.model ?? '', timeLimitS: o.timeoutMs / 1000, maxSteps: o.maxSteps, systemPromptExtra: o.system, vision: o.vision, contextWindow: o.contextWindow },
    apiKey: o.keyEnv ? process.env[o.keyEnv] : '',
    // No one to ask in a terminal run: --allow-packages is the consent.
    packages: { indexes: o.indexes ?? [], ask: o.allowPackages ? 'allow' : 'deny' },
  });
  session.on('protocol_error', ({ error }) => say(`warning: protocol error: ${error.message}\n`));
  session.newConversation();
  if (!(await session.startPython())) {
    const reason = session.python.error?.message ?? session.python.message;
    await session.close();
    throw new Error(reason);
  }
  if (o.files) {
    for (const rel of walk(o.files)) {
      const r = session.addFile(rel, new Uint8Array(fs.readFileSync(path.join(o.files, rel))));
      if (!r.ok) say(`warning: ${rel} was not uploaded: ${r.error.message}\n`);
    }
  }
  return session;
}

/** One cell's JSON line (the `run` command's output). */
function cellLine(cell, exec, errors, t0) {
  return {
    cell: path.basename(cell),
    ok: exec?.status === 'ok',
    status: exec?.status ?? 'error',
    stdout: exec?.stdout ?? '',
    stderr: exec?.stderr ?? '',
    result: exec?.result ?? null,
    error: exec?.error ?? (exec ? null : { type: 'Error', message: errors.map((e) => e.message).join('; ') || 'the cell did not finish', traceback: '' }),
    // Images stay inline as base64 (as the sandbox gives them).
    outputs: (exec?.outputs ?? []).map((out) => ({ mime: out.mime, data: out.data })),
    files: { created: exec?.files?.created ?? [], modified: exec?.files?.modified ?? [], deleted: exec?.files?.deleted ?? [] },
    restarted: Boolean(exec?.restarted),
    ms: exec?.duration_ms ?? Date.now() - t0,
  };
}

async function runCells(session, o) {
  for (const cell of o.args) {
    const t0 = Date.now();
    let exec = null;
    const errors = [];
    for await (const event of session.runCode(fs.readFileSync(cell, 'utf8'))) {
      if (event.type === 'cell_finished') exec = event.exec;
      else if (event.type === 'error') errors.push(event.error);
      else if (event.type === 'notice') errors.push({ message: event.text });
    }
    process.stdout.write(`${JSON.stringify(cellLine(cell, exec, errors, t0))}\n`);
  }
  return 0;
}

async function ask(session, o) {
  let done = null;
  let atLineStart = true;
  const out = (text) => {
    if (!text) return;
    process.stdout.write(text);
    atLineStart = text.endsWith('\n');
  };
  for await (const event of session.send(o.args[0])) {
    switch (event.type) {
      case 'text_delta': out(event.text); break;
      case 'message':
        if (event.role === 'assistant' && !atLineStart) out('\n');
        break;
      case 'cell_started': say(`\n[cell ${event.execution_count ?? ''}]\n${event.code}\n`); break;
      case 'stdout': case 'stderr': say(event.text); break;
      case 'output': say(`[${event.mime} output]\n`); break;
      case 'cell_finished': say(`[${event.status}${event.exec?.error ? `: ${event.exec.error.type}: ${event.exec.error.message}` : ''}]\n`); break;
      case 'retrying': say(`[retrying in ${Math.ceil(event.delay_ms / 1000)} s: ${event.reason}]\n`); break;
      case 'notice': say(`[${event.text}]\n`); break;
      case 'error': say(`error: ${event.error.message}\n`); break;
      case 'turn_done': done = event; break;
      default: break;
    }
  }
  if (!atLineStart) out('\n');
  if (!done) return 1;
  if (done.reason === 'step_limit' || done.reason === 'token_limit') {
    say(`stopped: the turn reached its ${done.reason === 'step_limit' ? 'step' : 'token'} limit\n`);
    return 3;
  }
  if (done.reason === 'cancelled') return 130;
  return done.reason === 'completed' ? 0 : 1;
}

/** Files Python made or changed (not the uploads as they were) → DIR. */
function writeOut(session, dir) {
  const made = session.listFiles().filter((f) => f.origin !== 'upload');
  fs.mkdirSync(dir, { recursive: true });
  const root = path.resolve(dir);
  for (const f of made) {
    const target = path.resolve(root, ...f.path.split('/'));
    // The core refuses "..", but a file name is never trusted with a path.
    if (!target.startsWith(root + path.sep)) throw new Error(`refusing to write ${f.path} outside ${dir}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, session.readFile(f.path) ?? new Uint8Array(0));
  }
  say(`${made.length} file${made.length === 1 ? '' : 's'} written to ${dir}\n`);
}

export async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(`error: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (parsed.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const o = parsed.options;
  let session;
  try {
    session = await open(o);
  } catch (error) {
    say(`error: ${error?.message ?? error}\n`);
    return 1;
  }
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: now
    interrupted = true;
    say('\nstopping… (Ctrl-C again to quit now)\n');
    session.cancel();
  };
  process.on('SIGINT', onSigint);
  let code = 1;
  try {
    code = o.command === 'run' ? await runCells(session, o) : await ask(session, o);
    if (o.out) writeOut(session, o.out);
    if (o.notebook) {
      fs.writeFileSync(o.notebook, `${JSON.stringify(session.exportNotebook(), null, 1)}\n`);
      say(`notebook written to ${o.notebook}\n`);
    }
  } catch (error) {
    say(`error: ${error?.message ?? error}\n`);
    code = 1;
  } finally {
    process.off('SIGINT', onSigint);
    await session.close();
  }
  return interrupted ? 130 : code;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('js_glue/cli.mjs')) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
    say(`error: ${error?.stack ?? error}\n`);
    process.exit(1);
  });
}
