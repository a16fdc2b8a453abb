#!/usr/bin/env node
// Headless Code Interpreter: runs Python cells through the real core (the
// C++ state machine built to WebAssembly), the real driver, and Pyodide in a
// worker_thread — the same path as the browser, minus the page.
//
//   node js_glue/cli.mjs run [--files DIR] [--timeout-ms N] CELL.py…
//
// The cells run in order in one Python session (variables carry over). DIR's
// files are uploaded to /mnt/data first. One JSON line per cell on stdout:
//   {"cell","ok","status","stdout","stderr","result","error","outputs","files","restarted","ms"}
// Exit status: 0 when every cell ran (even if one raised), 2 on bad usage,
// 1 if the core or Pyodide cannot load.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadCore } from './core.mjs';
import { Driver } from './driver.mjs';
import { NodeSandbox } from './python/node-sandbox.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: node js_glue/cli.mjs run [--files DIR] [--timeout-ms N] CELL.py...

Runs the cells in order in one Python session (Pyodide, through the core).
  --files DIR       upload DIR's files (recursively) to /mnt/data first
  --timeout-ms N    time limit per cell in milliseconds (default 120000)
Prints one JSON line per cell. Exit: 0 all cells ran, 1 core/Pyodide failed to load, 2 bad usage.
`;

const MEDIA_TYPES = {
  '.csv': 'text/csv', '.txt': 'text/plain', '.json': 'application/json', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml', '.html': 'text/html',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '.pdf': 'application/pdf',
};

function usage(message) {
  if (message) process.stderr.write(`error: ${message}\n`);
  process.stderr.write(USAGE);
  process.exit(2);
}

function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') { process.stdout.write(USAGE); process.exit(0); }
  if (command !== 'run') usage(command ? `unknown command "${command}"` : 'no command');
  const opts = { files: null, timeoutMs: 120000, cells: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--files') {
      opts.files = rest[++i];
      if (!opts.files) usage('--files needs a directory');
    } else if (a === '--timeout-ms') {
      const v = Number(rest[++i]);
      if (!Number.isInteger(v) || v <= 0) usage('--timeout-ms needs a positive whole number of milliseconds');
      opts.timeoutMs = v;
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      opts.cells.push(a);
    }
  }
  if (!opts.cells.length) usage('no cells given');
  for (const c of opts.cells) if (!fs.existsSync(c) || !fs.statSync(c).isFile()) usage(`cannot read cell file ${c}`);
  if (opts.files && !(fs.existsSync(opts.files) && fs.statSync(opts.files).isDirectory())) usage(`--files ${opts.files} is not a directory`);
  return opts;
}

function* walk(dir, base = dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full, base);
    else if (entry.isFile()) yield path.relative(base, full).split(path.sep).join('/');
  }
}

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));

  const build = process.env.CI_WASM_BUILD ?? path.join(ROOT, 'build/wasm');
  let core;
  try {
    core = await loadCore({
      moduleUrl: pathToFileURL(path.join(build, 'ci_core.mjs')).href,
      wasmBinary: fs.readFileSync(path.join(build, 'ci_core.wasm')),
    });
  } catch (error) {
    fail(`the core could not load from ${build} (${error?.message ?? error}); build it with "npm run build:wasm"`);
  }

  const sandbox = new NodeSandbox();
  try {
    await sandbox.start();
  } catch (error) {
    await sandbox.close();
    fail(error?.message ?? String(error));
  }

  const session = core.createSession({ sandbox: { time_limit_ms: opts.timeoutMs } });
  const problems = [];
  const driver = new Driver(session, {
    sandbox,
    onProtocolError: (error) => problems.push(error),
  });

  if (opts.files) {
    for (const rel of walk(opts.files)) {
      const bytes = new Uint8Array(fs.readFileSync(path.join(opts.files, rel)));
      const res = driver.upload(rel, bytes, MEDIA_TYPES[path.extname(rel).toLowerCase()] ?? '');
      if (res.error) process.stderr.write(`warning: ${rel} was not uploaded: ${res.error.message}\n`);
    }
  }

  for (const cell of opts.cells) {
    const code = fs.readFileSync(cell, 'utf8');
    const t0 = Date.now();
    let finished = null;
    const errors = [];
    const off = driver.on((event) => {
      if (event.type === 'cell_finished') finished = event.exec;
      if (event.type === 'error') errors.push(event.error);
      if (event.type === 'notice') errors.push({ message: event.text });
    });
    const done = driver.turnDone();
    const res = driver.runCode(code);
    if (res.error) {
      off();
      process.stdout.write(`${JSON.stringify({ cell: path.basename(cell), ok: false, error: { type: 'ProtocolError', message: res.error.message, traceback: '' } })}\n`);
      continue;
    }
    await done;
    off();
    const exec = finished ?? {};
    const line = {
      cell: path.basename(cell),
      ok: exec.status === 'ok',
      status: exec.status ?? 'error',
      stdout: exec.stdout ?? '',
      stderr: exec.stderr ?? '',
      result: exec.result ?? null,
      error: exec.error ?? (finished ? null : { type: 'Error', message: errors.map((e) => e.message).join('; ') || 'the cell did not finish', traceback: '' }),
      // Images stay inline as base64 (as the sandbox gives them).
      outputs: (exec.outputs ?? []).map((o) => ({ mime: o.mime, data: o.data })),
      files: {
        created: exec.files?.created ?? [],
        modified: exec.files?.modified ?? [],
        deleted: exec.files?.deleted ?? [],
      },
      restarted: Boolean(exec.restarted),
      ms: exec.duration_ms ?? Date.now() - t0,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }

  driver.close();
  session.destroy();
  await sandbox.close();
  if (problems.length) process.stderr.write(`warning: ${problems.length} protocol error(s): ${problems.map((p) => p.message).join('; ')}\n`);
  process.exit(0);
}

main().catch((error) => fail(error?.stack ?? String(error)));
