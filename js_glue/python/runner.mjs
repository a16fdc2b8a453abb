// The Python runner: one Pyodide interpreter that runs cells the way a
// Jupyter kernel does (see INTERFACE.md for the contract).
//
// This module runs inside a worker (a Web Worker in the sandbox iframe, or a
// Node worker_thread) and is loaded from a blob URL in the browser, where
// relative imports cannot resolve: so it has NO imports, and uses nothing of
// the DOM or of Node. What it needs comes in as arguments (loadPyodide, the
// text of ci_runtime.py).
//
// Split of work: ci_runtime.py does what is easiest in Python (running the
// cell, display(), tracebacks); this file does what is cheapest in JS
// (moving file bytes in and out of the Emscripten FS without copies through
// Python, the file scan, package loading, serializing runs).
//
// The file scan (which files of /mnt/data a run created, changed or
// deleted): every file the host wrote, and every change a scan reported, is
// stamped with SENTINEL_MS as its mtime and its size is remembered. Any
// write, truncate or copy by Python sets "now" instead, so after a run a
// file is `modified` when its mtime or size differs, `created` when it was
// not known, and known files not found are `deleted`. The scan walks the
// file system's nodes in JS: 1,000 files take a fraction of a millisecond
// (a stat() per file from Python took ~10 ms), so every run is scanned and
// no change can be missed.

const DATA_DIR = '/mnt/data';
const RUNTIME_DIR = '/opt/ci';
const DEFAULT_OUTPUT_LIMIT = 2_000_000;
// Files that Python did not touch carry this mtime (1980-01-01 00:00:00 UTC).
const SENTINEL_MS = 315532800 * 1000;
// Only code with this word can import anything (`import x`, `from x import y`):
// other cells skip the parse that looks for imports.
const MAY_IMPORT = /\bimport\b/;

/** Turns a thrown value into a one-line reason a person can act on. */
function packageReason(message) {
  const m = String(message ?? '');
  if (/sha256|integrity|checksum|digest/i.test(m)) {
    return `the downloaded file does not match the checksum in the package list (${m.split('\n')[0]})`;
  }
  if (/No known package/i.test(m)) return 'it is not in the package list of this sandbox';
  if (/request failed|fetch failed|Failed to fetch|NetworkError|ENOTFOUND|ECONNREFUSED|EAI_AGAIN|404|ENOENT|refused/i.test(m)) {
    return `it could not be downloaded: offline, or the package server does not have it (${m.split('\n')[0]})`;
  }
  return m.split('\n')[0] || 'unknown error';
}

function isFatal(error) {
  return Boolean(error?.pyodide_fatal_error) || /fatally failed|fatal error/i.test(String(error?.message ?? ''));
}

export async function createRunner({
  loadPyodide,
  pyodideOptions = {},
  runtimeSource,
  onEvent = () => {},
  interruptBuffer = null,
  outputLimitBytes = DEFAULT_OUTPUT_LIMIT,
  maxRecursionLimit = 10_000,
  // Packages from an index (issue 14): the text of ci_packages.py, and the
  // host's answer to a package request ({kind, requirements, installed,
  // runtime, lock} → {ok, lock: [names], wheels: [{filename, bytes, name,
  // version, kind}], already, error}). Without them micropip.install only
  // takes uploaded wheels.
  packagesSource = null,
  requestPackages = null,
} = {}) {
  if (typeof loadPyodide !== 'function') throw new TypeError('createRunner: loadPyodide must be a function');
  if (typeof runtimeSource !== 'string') throw new TypeError('createRunner: runtimeSource must be the text of ci_runtime.py');

  // Output before our streams are installed (startup, Pyodide's own
  // messages) is not part of any run.
  const pyodide = await loadPyodide({ ...pyodideOptions, stdout: () => {}, stderr: () => {} });

  let fatal = null; // the error that killed the interpreter, if any
  let failCurrent = null; // settles the run in flight when the interpreter dies
  try {
    const api = pyodide._api;
    if (api) {
      const previous = api.on_fatal;
      api.on_fatal = (error) => {
        fatal = error;
        failCurrent?.(error);
        previous?.(error);
      };
    }
  } catch { /* older Pyodide: a crash then surfaces as a rejected call */ }

  // No keyboard: a read of fd 0 fails at once instead of blocking the worker.
  pyodide.setStdin({ error: true });

  pyodide.FS.mkdirTree(RUNTIME_DIR);
  pyodide.FS.mkdirTree(DATA_DIR);
  // As bytes: FS.writeFile turns a string into a JS array of numbers first
  // (tens of ms for these files at every start, a snapshot start included).
  const utf8 = new TextEncoder();
  pyodide.FS.writeFile(`${RUNTIME_DIR}/ci_runtime.py`, utf8.encode(runtimeSource), { canOwn: true });
  const rt = pyodide.runPython(`
import sys, importlib
if ${JSON.stringify(RUNTIME_DIR)} not in sys.path:
    sys.path.append(${JSON.stringify(RUNTIME_DIR)})
import ci_runtime
ci_runtime`);
  rt.setup(JSON.stringify({ output_limit: outputLimitBytes, max_recursion_limit: maxRecursionLimit }));
  let pk = null; // ci_packages, when the host installs packages
  if (typeof packagesSource === 'string') {
    pyodide.FS.writeFile(`${RUNTIME_DIR}/ci_packages.py`, utf8.encode(packagesSource), { canOwn: true });
    pk = pyodide.runPython('import ci_packages\nci_packages');
    pk.setup();
  }

  // Writes below Python (os.write(1, …), C extensions) arrive here with the
  // GIL released, so they cannot join Python's batch: they go out at once
  // (text that print() batched in the last 50 ms may follow them), under
  // the same size limit.
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  let fdSink = null; // set while a run is in flight
  for (const stream of ['stdout', 'stderr']) {
    const setter = stream === 'stdout' ? 'setStdout' : 'setStderr';
    pyodide[setter]({
      write: (bytes) => {
        const text = decoders[stream].decode(bytes, { stream: true });
        if (text) fdSink?.(stream, text);
        return bytes.length;
      },
      isatty: false,
    });
  }

  const lockfile = (() => {
    try { return pyodide.lockfile ?? pyodide._api?.lockfile ?? null; } catch { return null; }
  })();
  const lockPackages = lockfile?.packages ?? {};
  const importToPackage = new Map();
  for (const [key, pkg] of Object.entries(lockPackages)) {
    for (const name of pkg.imports ?? []) if (!importToPackage.has(name)) importToPackage.set(name, key);
  }
  // IPython.display is served by ci_runtime (the real IPython has no kernel
  // here and would only print reprs); never download IPython for it.
  importToPackage.delete('IPython');

  const info = {
    python: rt.sys_version ?? pyodide.runPython('import sys; sys.version.split()[0]'),
    pyodide: pyodide.version,
    packages: Object.keys(lockPackages).sort(),
  };

  const setInterrupts = (on) => {
    if (!interruptBuffer || fatal) return;
    // Only the user's code may be interrupted: a KeyboardInterrupt in our own
    // steps (file scan, package install) could lose a file.
    try {
      pyodide.setInterruptBuffer(on ? interruptBuffer : undefined);
    } catch { /* after a fatal error every API call throws */ }
  };
  const interruptRequested = () => Boolean(interruptBuffer && interruptBuffer[0] !== 0);

  function normalizeDataPath(path) {
    const p = String(path ?? '');
    if (!p || p.startsWith('/') || p.includes('\0') || p.split('/').some((s) => s === '..' || s === '')) return null;
    return p;
  }

  function fsExists(path) {
    try { pyodide.FS.lookupPath(path, { follow: false }); return true; } catch { return false; }
  }

  /** Deletes, then writes (parents created). Returns notes for stderr. */
  function applyFiles(files) {
    const notes = [];
    for (const raw of files?.delete ?? []) {
      const rel = normalizeDataPath(raw);
      if (!rel) { notes.push(`[file not removed] ${raw}: not a path inside /mnt/data\n`); continue; }
      const full = `${DATA_DIR}/${rel}`;
      try {
        if (fsExists(full)) pyodide.FS.unlink(full);
      } catch (error) {
        notes.push(`[file not removed] ${rel}: ${error?.message ?? error}\n`);
      }
      known.delete(rel);
    }
    for (const file of files?.write ?? []) {
      const rel = normalizeDataPath(file.path);
      if (!rel) { notes.push(`[file not written] ${file.path}: not a path inside /mnt/data\n`); continue; }
      const full = `${DATA_DIR}/${rel}`;
      try {
        const dir = full.slice(0, full.lastIndexOf('/'));
        pyodide.FS.mkdirTree(dir);
        // A directory (or link) where the file goes would make writeFile fail
        // or write elsewhere: the host's file wins.
        try {
          const { node } = pyodide.FS.lookupPath(full, { follow: false });
          if (pyodide.FS.isDir(node.mode)) pyodide.runPython(`import shutil; shutil.rmtree(${JSON.stringify(full)})`);
          else pyodide.FS.unlink(full);
        } catch { /* absent */ }
        const bytes = file.bytes instanceof Uint8Array ? file.bytes : new Uint8Array(file.bytes ?? 0);
        // canOwn: the bytes were transferred to this worker for this write;
        // MEMFS keeps the array itself instead of copying 100 MB again.
        pyodide.FS.writeFile(full, bytes, { canOwn: true });
        pyodide.FS.utime(full, SENTINEL_MS, SENTINEL_MS);
        known.set(rel, bytes.byteLength);
      } catch (error) {
        notes.push(`[file not written] ${rel}: ${error?.message ?? error}\n`);
      }
    }
    return notes;
  }

  /** Loads the lock-file packages the code imports. Returns {import name: reason} of failures. */
  async function loadPackagesFor(code, execId) {
    const problems = {};
    if (!importToPackage.size || !MAY_IMPORT.test(code)) return problems;
    const proxy = rt.imports_of(code);
    const imports = proxy.toJs();
    proxy.destroy();
    const wanted = [];
    for (const name of imports) {
      const key = importToPackage.get(name);
      if (key && !pyodide.loadedPackages[lockPackages[key].name] && !wanted.includes(key)) wanted.push(key);
    }
    if (!wanted.length) return problems;
    // The dependency closure, so the user sees every package that comes.
    const all = [];
    const visit = (key) => {
      const pkg = lockPackages[key];
      if (!pkg || all.includes(key) || pyodide.loadedPackages[pkg.name]) return;
      all.push(key);
      for (const dep of pkg.depends ?? []) visit(dep);
    };
    wanted.forEach(visit);
    for (const key of all) onEvent({ type: 'package', exec_id: execId, name: lockPackages[key].name, state: 'loading' });

    const reasons = new Map();
    let current = null;
    const messages = [];
    try {
      await pyodide.loadPackage(all.map((k) => lockPackages[k].name), {
        checkIntegrity: true,
        messageCallback: (m) => messages.push(m),
        errorCallback: (m) => {
          // Pyodide reports "The following error occurred while loading X:"
          // and then the error itself.
          const head = /error occurred while loading (\S+?):?$/.exec(m);
          if (head) { current = head[1]; return; }
          if (current) { reasons.set(current, m); current = null; } else messages.push(m);
        },
      });
    } catch (error) {
      for (const key of all) if (!reasons.has(lockPackages[key].name)) reasons.set(lockPackages[key].name, String(error?.message ?? error));
    }
    const failedNames = new Set();
    for (const key of all) {
      const name = lockPackages[key].name;
      if (pyodide.loadedPackages[name]) {
        onEvent({ type: 'package', exec_id: execId, name, state: 'loaded' });
      } else {
        failedNames.add(key);
        const why = packageReason(reasons.get(name) ?? reasons.get(key) ?? messages.join(' '));
        onEvent({ type: 'package', exec_id: execId, name, state: 'failed', message: `Could not load the package ${name}: ${why}` });
      }
    }
    // Name the failure where the import fails: each import maps to the
    // first failed package on its dependency path.
    for (const name of imports) {
      const key = importToPackage.get(name);
      if (!key) continue;
      const chain = [];
      const walk = (k) => {
        if (chain.includes(k)) return;
        chain.push(k);
        for (const d of lockPackages[k]?.depends ?? []) walk(d);
      };
      walk(key);
      const bad = chain.find((k) => failedNames.has(k));
      if (bad) {
        const pkgName = lockPackages[bad].name;
        problems[name] = `the package ${pkgName} could not be loaded: ${packageReason(reasons.get(pkgName) ?? messages.join(' '))}`;
      }
    }
    return problems;
  }

  // ---- packages from an index (issue 14) ----
  // What the resolver needs of the lock file: names, versions, dependencies.
  const lockSummary = () => ({
    info: lockfile?.info ?? {},
    packages: Object.fromEntries(Object.entries(lockPackages).map(([k, p]) => [k, { name: p.name, version: p.version, depends: p.depends ?? [] }])),
  });

  /** One host-installed wheel into site-packages (pure) or through Pyodide's loader (a Pyodide build). */
  async function installOne(w) {
    const bytes = w.bytes instanceof Uint8Array ? w.bytes : new Uint8Array(w.bytes);
    if (w.kind === 'platform') {
      // A build for this Pyodide may hold shared libraries: Pyodide's own
      // installer unpacks it and loads them (its loadPackage would fetch).
      const install = pyodide._api?.install;
      if (typeof install !== 'function') return { ok: false, name: w.name, error: 'this Pyodide cannot install a wheel built for it from bytes' };
      const site = pyodide.runPython('import site; site.getsitepackages()[0]');
      await install(bytes, w.filename, site, new Map([['INSTALLER', 'code-interpreter']]));
      return { ok: true, name: w.name };
    }
    const py = pyodide.toPy(bytes);
    try {
      const res = rt.install_wheel(String(w.filename), py);
      const out = res.toJs({ dict_converter: Object.fromEntries });
      res.destroy();
      return out;
    } finally {
      py.destroy?.();
    }
  }

  /**
   * Asks the host for packages and installs what it hands in. Never throws:
   * {ok, installed: ['name version'], already, error: {code, message}}.
   */
  async function installFromHost(kind, requirements, execId) {
    if (!pk || typeof requestPackages !== 'function') {
      return { ok: false, error: { code: 'not_configured', message: 'No package index is configured for this sandbox: only packages of its own list and uploaded wheels can be installed.' } };
    }
    let reply;
    try {
      reply = await requestPackages({
        kind, requirements, installed: JSON.parse(pk.installed_json()), runtime: { python: info.python }, lock: lockSummary(), exec_id: execId,
      });
    } catch (error) {
      return { ok: false, error: { code: 'install_failed', message: `The packages were not installed: ${error?.message ?? error}` } };
    }
    pk.index_configured = reply?.error?.code !== 'not_configured'; // for the ModuleNotFoundError hint (ci_runtime)
    if (reply?.error?.code === 'not_configured') {
      // No index: names of the sandbox's own package list still load (as micropip did).
      const names = requirements.map((r) => String(r).split(/[\s=<>!~;[]/)[0].toLowerCase().replace(/[-_.]+/g, '-'));
      if (names.length && names.every((k) => lockPackages[k])) reply = { ok: true, lock: names.map((k) => lockPackages[k].name), wheels: [], already: [] };
    }
    if (!reply?.ok) return { ok: false, error: reply?.error ?? { code: 'install_failed', message: 'The packages were not installed.' } };
    const done = [];
    if (reply.lock?.length) {
      for (const name of reply.lock) onEvent({ type: 'package', exec_id: execId, name, state: 'loading' });
      try { await pyodide.loadPackage(reply.lock, { checkIntegrity: true, messageCallback: () => {}, errorCallback: () => {} }); } catch { /* named below */ }
      for (const name of reply.lock) {
        const ok = Boolean(pyodide.loadedPackages[name]);
        onEvent({ type: 'package', exec_id: execId, name, state: ok ? 'loaded' : 'failed' });
        if (!ok) return { ok: false, error: { code: 'install_failed', message: `Could not load the package ${name} from the sandbox's package list.` } };
        done.push(name);
      }
    }
    for (const w of reply.wheels ?? []) {
      onEvent({ type: 'package', exec_id: execId, name: w.name, state: 'loading' });
      let out;
      try { out = await installOne(w); } catch (error) { out = { ok: false, error: String(error?.message ?? error) }; }
      onEvent({ type: 'package', exec_id: execId, name: w.name, state: out.ok ? 'loaded' : 'failed', ...(out.ok ? {} : { message: out.error }) });
      if (!out.ok) return { ok: false, error: { code: 'install_failed', message: `${w.name} ${w.version} could not be installed: ${out.error}` } };
      done.push(`${w.name} ${w.version}`);
    }
    pyodide.runPython('import importlib; importlib.invalidate_caches()');
    return { ok: true, installed: done, already: reply.already ?? [] };
  }

  /** `%pip install …` / `!pip install …` lines at the start of a cell: {pip: [requirement lists], code: the rest}. */
  function splitPipLines(code) {
    const lines = code.split('\n');
    const pip = [];
    let i = 0;
    for (; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line || line.startsWith('#')) continue;
      const m = /^[%!]pip\s+install\s+(.*)$/.exec(line);
      if (!m) break;
      pip.push(m[1].split(/\s+/).filter((a) => a && !a.startsWith('-')));
    }
    // The lines stay as blank lines: tracebacks keep the user's line numbers.
    return { pip, code: pip.length ? lines.map((l, j) => (j < i ? '' : l)).join('\n') : code };
  }

  /**
   * Missing imports (not in the lock file, not findable) offered to the user
   * through the host. Returns {import name: why it was not installed}, which
   * the ModuleNotFoundError then says (ci_runtime).
   */
  async function offerMissingImports(code, execId, emitText) {
    if (!pk || typeof requestPackages !== 'function' || !MAY_IMPORT.test(code)) return {};
    const proxy = rt.imports_of(code);
    const imports = proxy.toJs();
    proxy.destroy();
    const candidates = imports.filter((name) => !importToPackage.has(name));
    if (!candidates.length) return {};
    const mp = pk.missing(candidates);
    const missing = mp.toJs();
    mp.destroy();
    if (!missing.length) return {};
    const wanted = missing.map((name) => pk.package_for_import(name));
    const out = await installFromHost('import', wanted, execId);
    if (out.ok) {
      if (out.installed.length) emitText('stderr', `[package] installed ${out.installed.join(', ')}\n`);
      return {};
    }
    if (out.error.code === 'not_configured') return {};
    emitText('stderr', `[package] ${out.error.message}\n`);
    return Object.fromEntries(missing.map((name) => [name, out.error.message]));
  }

  function readChanged(list) {
    const out = [];
    for (const rel of list) {
      try {
        // One copy out of MEMFS into an array of its own, which the worker
        // then transfers (no further copy).
        out.push({ path: rel, bytes: pyodide.FS.readFile(`${DATA_DIR}/${rel}`) });
      } catch { /* vanished between the scan and now: reported by the next scan */ }
    }
    return out;
  }

  async function runNow(request) {
    const t0 = Date.now();
    const execId = request.exec_id;
    const stdout = [];
    const stderr = [];
    const outputs = [];
    const emitText = (stream, text) => {
      (stream === 'stderr' ? stderr : stdout).push(text);
      onEvent({ type: stream === 'stderr' ? 'stderr' : 'stdout', exec_id: execId, text });
    };
    const finish = (fields) => ({
      ok: fields.status === 'ok',
      status: fields.status,
      stdout: stdout.join(''),
      stderr: stderr.join(''),
      result: fields.result ?? null,
      error: fields.error ?? null,
      outputs,
      files: fields.files ?? { created: [], modified: [], deleted: [] },
      ms: Date.now() - t0,
    });
    if (fatal) {
      return finish({ status: 'crashed', error: { type: 'PythonCrashed', message: 'Python stopped working (a fatal error) and must be restarted.', traceback: '' } });
    }

    const notes = applyFiles(request.files);
    for (const n of notes) emitText('stderr', n);

    // `%pip install` at the start of the cell: installed by the host, then the rest runs.
    const split = splitPipLines(String(request.code ?? ''));
    const code = split.code;
    for (const reqs of split.pip) {
      const out = await installFromHost('pip', reqs, execId);
      if (out.ok) {
        const already = out.already.map((a) => `${a.name} ${a.version}`);
        emitText('stdout', `${out.installed.length ? `Installed ${out.installed.join(', ')}` : 'Nothing new to install'}${already.length ? ` (already installed: ${already.join(', ')})` : ''}\n`);
      } else {
        emitText('stderr', `[pip] ${out.error.message}\n`);
        const scan = scanFiles();
        return finish({ status: 'error', error: { type: 'PackageInstallError', message: out.error.message, traceback: '' }, files: scan });
      }
    }

    let problems = {};
    try {
      problems = await loadPackagesFor(code, execId);
    } catch (error) {
      emitText('stderr', `[packages] ${error?.message ?? error}\n`);
    }
    for (const why of new Set(Object.values(problems))) emitText('stderr', `[package] ${why}\n`);
    try {
      Object.assign(problems, await offerMissingImports(code, execId, emitText));
    } catch (error) {
      emitText('stderr', `[package] ${error?.message ?? error}\n`);
    }

    if (interruptRequested()) {
      // Stopped while files or packages were loading: the code never ran.
      interruptBuffer[0] = 0;
      const scan = scanFiles();
      return finish({ status: 'cancelled', error: { type: 'KeyboardInterrupt', message: 'The run was stopped before the code started.', traceback: '' }, files: scan });
    }

    let fdBytes = 0;
    let fdDropped = 0;
    fdSink = (stream, text) => {
      if (fdBytes + text.length > outputLimitBytes) { fdDropped += text.length; return; }
      fdBytes += text.length;
      emitText(stream, text);
    };
    const hooks = {
      text: emitText,
      output: (mime, data, text) => {
        const output = { mime, data };
        if (typeof text === 'string' && text) output.text = text; // the text/plain fallback (see ci_runtime)
        outputs.push(output);
        onEvent({ type: 'output', exec_id: execId, ...output });
      },
      interrupts: setInterrupts,
    };
    // While the code awaits (asyncio.sleep, a fetch), Python does not run and
    // cannot see the interrupt buffer: poll it and cancel the waiting task.
    const poll = interruptBuffer
      ? setInterval(() => {
        if (interruptBuffer[0] !== 0) {
          try {
            if (rt.cancel_current()) interruptBuffer[0] = 0;
          } catch { /* Python busy: it will see the buffer itself */ }
        }
      }, 50)
      : null;

    let outcome;
    try {
      outcome = await new Promise((resolve, reject) => {
        // Settled by the cell, or by on_fatal if the interpreter dies.
        failCurrent = reject;
        // Most cells have no package problem: no dict to make.
        const pyProblems = Object.keys(problems).length ? pyodide.toPy(problems) : null;
        // micropip.install in the cell asks the host through this (cleared after the run).
        pk?.set_host((json) => installFromHost('pip', JSON.parse(json).requirements, execId).then((r) => JSON.stringify(r)));
        try {
          Promise.resolve(rt.run_cell(code, hooks, pyProblems)).then(resolve, reject);
        } catch (error) {
          reject(error);
        } finally {
          pyProblems?.destroy();
        }
      });
    } catch (error) {
      failCurrent = null;
      fdSink = null;
      if (poll) clearInterval(poll);
      setInterrupts(false);
      if (fatal || isFatal(error)) {
        fatal = fatal ?? error;
        return finish({
          status: 'crashed',
          error: { type: 'PythonCrashed', message: `Python crashed (${String(error?.message ?? error).split('\n')[0]}). It must be restarted; variables are lost, files are kept.`, traceback: '' },
        });
      }
      outcome = { status: 'error', error: { type: error?.type ?? error?.name ?? 'Error', message: String(error?.message ?? error), traceback: '' } };
    }
    failCurrent = null;
    fdSink = null;
    try { pk?.clear_host(); } catch { /* after a fatal error */ }
    if (fdDropped) emitText('stderr', `\n[output truncated: ${fdDropped} bytes not shown]\n`);
    if (poll) clearInterval(poll);
    setInterrupts(false);

    let fields = outcome;
    if (typeof outcome?.toJs === 'function') {
      fields = outcome.toJs({ dict_converter: Object.fromEntries });
      outcome.destroy();
    }
    const files = scanFiles((note) => emitText('stderr', note));
    return finish({ ...fields, files });
  }

  // ---- the file scan (see the top of this file) ----
  const known = new Map(); // path relative to /mnt/data → size, for files the host knows of
  const reportedLinks = new Set();
  const notedNames = new Set();

  /** Regular files under `dir` (its node `node`) → found: rel → [mtime ms, size]; symbolic links → links. */
  function walk(dir, rel, node, found, links) {
    const FS = pyodide.FS;
    let names;
    try { names = FS.readdir(dir); } catch { return; }
    for (const name of names) {
      if (name === '.' || name === '..') continue;
      const path = `${dir}/${name}`;
      const relPath = rel ? `${rel}/${name}` : name;
      try {
        let child = FS.lookupNode(node, name);
        if (FS.isMountpoint(child)) child = child.mounted.root;
        if (FS.isLink(child.mode)) links.push(path); // never followed: a link may point anywhere
        else if (FS.isDir(child.mode)) walk(path, relPath, child, found, links);
        else if (FS.isFile(child.mode)) {
          const st = child.node_ops.getattr(child);
          found.set(relPath, [Number(st.mtime), st.size]);
        }
      } catch { /* vanished or unreadable: as if absent */ }
    }
  }

  /**
   * What the run did to /mnt/data: {created, modified, deleted} (created and
   * modified with their bytes). Regular files only. Symbolic links are
   * skipped (and said so once), so a link to /etc or /tmp never brings
   * outside content back.
   */
  function scanFiles(noteSink) {
    const FS = pyodide.FS;
    const found = new Map();
    const links = [];
    let root = null;
    try { root = FS.lookupPath(DATA_DIR, { follow: true }).node; } catch { /* no /mnt/data: every file is gone */ }
    if (root && FS.isDir(root.mode)) walk(DATA_DIR, '', root, found, links);
    const created = [];
    const modified = [];
    let notes = '';
    for (const [rel, [mtime, size]] of found) {
      if (typeof rel.isWellFormed === 'function' && !rel.isWellFormed()) {
        if (!notedNames.has(rel)) { notedNames.add(rel); notes += `[file skipped] ${JSON.stringify(rel)}: its name is not valid UTF-8\n`; }
        continue;
      }
      if (!known.has(rel)) created.push(rel);
      else if (Math.floor(mtime / 1000) !== SENTINEL_MS / 1000 || size !== known.get(rel)) modified.push(rel);
    }
    const deleted = [];
    for (const rel of known.keys()) if (!found.has(rel)) deleted.push(rel);
    for (const rel of deleted) known.delete(rel);
    for (const rel of [...created, ...modified]) {
      try { FS.utime(`${DATA_DIR}/${rel}`, SENTINEL_MS, SENTINEL_MS); } catch { /* vanished: the next scan says so */ }
      known.set(rel, found.get(rel)[1]);
    }
    const newLinks = links.filter((p) => !reportedLinks.has(p));
    for (const p of links) reportedLinks.add(p);
    if (newLinks.length) {
      notes += `[note] symbolic links in /mnt/data are not files and were not saved: ${newLinks.map((p) => p.slice(DATA_DIR.length + 1)).join(', ')} (copy the data into a file instead)\n`;
    }
    if (notes) noteSink?.(notes);
    return { created: readChanged(created.sort()), modified: readChanged(modified.sort()), deleted: deleted.sort() };
  }

  // Runs are serialized: a second run waits for the first.
  let queue = Promise.resolve();
  const serialize = (fn) => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };

  return {
    info,
    pyodide,
    run: (request) => serialize(() => runNow(request)),
    // An uploaded or restored wheel; kind 'platform' (a Pyodide build) goes through Pyodide's loader.
    installWheel: ({ filename, bytes, kind }) => serialize(async () => {
      try {
        return await installOne({ filename: String(filename ?? ''), bytes, kind, name: String(filename ?? '').split('-')[0] });
      } catch (error) {
        return { ok: false, name: '', error: String(error?.message ?? error) };
      }
    }),
    makeSnapshot: () => pyodide.makeMemorySnapshot(),
    get crashed() { return fatal !== null; },
  };
}
