// createSession(options): Code Interpreter with no UI, for scripts on any
// page: a Session (js_glue/session.mjs, the one assembly) with the browser's
// sandbox (an invisible opaque iframe appended to the page). Nothing is
// stored: the conversation lives as long as the session (close() frees it).
//
// send(text) and runCode(code) return an async iterable of public events
// (js_glue/events.mjs) that ends after `turn_done`. One turn at a time: a
// second send while one runs yields one `error` event (kind 'busy') and ends.
// API in web/embed/README.md.
import { Session } from '../../js_glue/session.mjs';
import { loadBrowserCore, browserSandbox } from '../../js_glue/browser.mjs';
import { presetById } from '../app/providers.mjs';
import { previewFor } from '../../js_glue/images.mjs';
import { loadAppConfig } from '../app/config.mjs';

async function toBytes(data) {
  if (data instanceof Uint8Array) return data.slice();
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  if (typeof data === 'string') return new TextEncoder().encode(data);
  throw new TypeError('addFile: data must be a Uint8Array, an ArrayBuffer, a Blob or a string');
}

/**
 * @param {object} [options]
 * @param {string} [options.provider]     a preset id (web/app/providers.mjs): its base URL and format
 * @param {'openai'|'responses'|'anthropic'} [options.format]  Chat Completions, OpenAI Responses, or Anthropic Messages
 * @param {string} [options.baseUrl]
 * @param {string} [options.model]
 * @param {string} [options.apiKey]       sent only to baseUrl's origin
 * @param {string} [options.systemPrompt] added to the core's system prompt
 * @param {string} [options.assetBase]    where core/, pyodide/, python/ and config.json are (dist/code-interpreter.js passes its folder)
 * @param {string} [options.packageBaseURL] where Python packages come from (default: config.json's, else Pyodide's CDN)
 * @param {string} [options.lockFileURL]
 * @param {boolean} [options.tools]       the model can call tools (true)
 * @param {number} [options.maxSteps]     model calls per turn (12)
 * @param {number} [options.timeLimitMs]  per run (120000)
 * @param {boolean} [options.vision]       the model sees images: uploads and displayed charts (the preset's, else false)
 * @param {number} [options.contextWindow] the model's window in tokens (the preset's, else 0: unknown)
 * @param {boolean|object} [options.snapshots] Pyodide warm-start snapshots in this page's IndexedDB (true)
 * @param {HTMLElement} [options.container] where the sandbox's hidden iframe goes (document.body)
 * @param {(event) => void} [options.onEvent] every public event, also outside send()/runCode() (uploads, restarts)
 */
export async function createSession(options = {}) {
  const assetBase = new URL(options.assetBase ?? document.baseURI, document.baseURI).href;
  const preset = options.provider ? presetById(options.provider) : null;
  const settings = {
    format: options.format ?? preset?.format ?? 'openai',
    baseUrl: options.baseUrl ?? preset?.baseUrl ?? '',
    model: options.model ?? preset?.model ?? '',
    tools: options.tools !== false,
    temperature: Number.isFinite(options.temperature) ? options.temperature : null,
    systemPromptExtra: String(options.systemPrompt ?? ''),
    maxSteps: options.maxSteps,
    timeLimitS: Number(options.timeLimitMs) / 1000 || undefined,
    // The model sees images / its window in tokens: given, else the preset's (false and unknown without one).
    vision: typeof options.vision === 'boolean' ? options.vision : !!preset?.vision,
    contextWindow: options.contextWindow ?? preset?.contextWindow ?? 0,
  };
  const [core, config] = await Promise.all([
    loadBrowserCore(assetBase),
    options.packageBaseURL ? { packageBaseURL: options.packageBaseURL, lockFileURL: options.lockFileURL ?? null } : loadAppConfig(assetBase),
  ]);
  if (options.lockFileURL) config.lockFileURL = options.lockFileURL;
  const session = new Session({
    core,
    settings,
    apiKey: options.apiKey ?? '',
    waitForPython: true,
    createSandbox: browserSandbox(assetBase, config, {
      snapshots: options.snapshots ?? true,
      ...(options.container ? { container: options.container } : {}),
    }),
  });
  return new HeadlessSession(session, options);
}

/** The public face of a Session for scripts: the turn iterables, files, export, close. */
export class HeadlessSession {
  constructor(session, options) {
    this.session = session;
    if (options.onEvent) session.on('event', (event) => options.onEvent(event));
    session.newConversation();
    // Python starts now; the first send/runCode waits for it.
    this.ready = session.startPython();
  }

  get settings() { return this.session.settings; }
  get info() { return this.session.python.info; }
  get sandbox() { return this.session.sandbox; }
  get closed() { return this.session.closed; }

  /** Sends a user message; iterate the result for the turn's events. */
  send(text) { return this.session.send(text); }

  /** Runs code with no model, as a turn of its own. */
  runCode(code) { return this.session.runCode(code); }

  /** Stops the running turn (the model request, or the Python run: interrupt, or restart). */
  cancel() { this.session.cancel(); }

  /** Adds (or replaces) /mnt/data/<name>. Returns the file's index entry. @throws on a refused name or a full quota */
  async addFile(name, data) {
    if (this.closed) throw new Error('This session is closed.');
    const bytes = await toBytes(data);
    const type = data instanceof Blob ? data.type : '';
    const r = this.session.addFile(String(name), bytes, type, await previewFor(bytes, type));
    if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.file;
  }

  /** A copy of the file's bytes, or null. */
  readFile(path) {
    return this.closed ? null : (this.session.readFile(path)?.slice() ?? null);
  }

  /** [{path, size, media_type, version, …}] */
  listFiles() { return this.closed ? [] : this.session.listFiles(); }

  /** The conversation as an .ipynb object (nbformat 4). */
  exportNotebook() { return this.session.exportNotebook(); }

  /** Ends everything: the running turn, the sandbox (its iframe), the core session. */
  close() { this.session.close(); }
}
