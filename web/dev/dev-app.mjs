// The developer page: a Session (js_glue/session.mjs: the core, the driver
// and the sandbox, assembled once) talking to a real model endpoint, with
// Python in the browser sandbox (an opaque-origin iframe + worker).
// Everything from the model and from Python goes into the DOM as text
// (textContent) or as an image; HTML outputs render in a sandboxed iframe
// without scripts, never in this page's DOM.
import { loadCore } from '../../js_glue/core.mjs';
import { Session } from '../../js_glue/session.mjs';
import { PythonSandbox } from '../../js_glue/sandbox/python-sandbox.mjs';

const $ = (sel) => document.querySelector(sel);
const SETTINGS_KEY = 'ci.dev.settings';

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function loadSettings() {
  try {
    return JSON.parse(localStorage.getItem(SETTINGS_KEY)) ?? {};
  } catch {
    return {};
  }
}

/** The form's fields as a Session's settings (js_glue/settings.mjs). */
const sessionSettings = (s) => ({ format: s.format, baseUrl: s.base_url, model: s.model, tools: s.tools });

const core = await loadCore({ moduleUrl: new URL('../../build/wasm/ci_core.mjs', import.meta.url).href });
let settings = { format: 'openai', base_url: 'http://localhost:11434/v1', model: 'llama3.2', api_key: '', tools: true, ...loadSettings() };
let current = null; // the <li> of the streaming assistant reply
let liveCell = null; // the <li> of the running cell: live stdout goes there
// The sandbox from node_modules/pyodide (the dev server serves the repo).
const session = new Session({ core, createSandbox: (hooks) => new PythonSandbox(hooks), settings: sessionSettings(settings), apiKey: settings.api_key });
session.on('core', show);
session.on('sandbox', (event) => {
  if (!liveCell) return;
  if (event.type === 'stdout' || event.type === 'stderr') liveCell.querySelector('.live').textContent += event.text;
  else if (event.type === 'package') liveCell.querySelector('.live').textContent += `[${event.state} ${event.name}${event.message ? ': ' + event.message : ''}]\n`;
});
session.newConversation();
$('#status').textContent = 'Core loaded; starting Python…';
session.startPython().then((info) => {
  if (!info) {
    add('error', session.python.message);
    return;
  }
  $('#status').textContent = `Ready: Python ${info.python} (Pyodide ${info.pyodide})${session.python.canInterrupt ? '' : ', stop restarts Python'}. Set the endpoint, then ask, or run code with “Run Python”.`;
});

function add(className, text) {
  const li = el('li', className, text);
  $('#log').append(li);
  li.scrollIntoView({ block: 'end' });
  return li;
}

function show(event) {
  switch (event.type) {
    case 'text_delta':
      current ??= add('assistant', '');
      current.textContent += event.text;
      break;
    case 'assistant_message':
    case 'turn_done':
      current = null;
      if (event.type === 'turn_done') $('#status').textContent = `Turn ${event.turn} ${event.reason} · tokens in ${event.usage.input_tokens ?? 0}, out ${event.usage.output_tokens ?? 0}`;
      break;
    case 'cell_started': {
      current = null;
      liveCell = add('cell', `In [${event.execution_count}]:`);
      liveCell.dataset.exec = event.exec_id;
      liveCell.append(el('pre', '', event.code), el('pre', 'live', ''));
      break;
    }
    case 'cell_finished':
      renderResult(event.exec);
      break;
    case 'file_changed':
      renderFiles();
      break;
    case 'retrying':
      $('#status').textContent = `Retrying in ${Math.round(event.delay_ms / 1000)} s (attempt ${event.attempt} of ${event.max_attempts}): ${event.reason}`;
      break;
    case 'notice':
      add('notice', event.text);
      break;
    case 'error':
      add('error', event.error.message);
      break;
    default:
      break;
  }
}

function renderResult(x) {
  let li = [...document.querySelectorAll('#log li.cell')].find((n) => n.dataset.exec === x.exec_id);
  if (!li) li = add('cell', `In [${x.execution_count || ' '}]:`);
  if (li === liveCell) liveCell = null;
  li.querySelector('.live')?.remove();
  li.classList.toggle('error', x.status !== 'ok');
  li.append(el('div', 'meta', `${x.status} · ${x.duration_ms} ms${x.restarted ? ' · Python was restarted: variables reset, files kept' : ''}`));
  if (x.stdout) li.append(el('pre', '', x.stdout));
  if (x.stderr) li.append(el('pre', 'stderr', x.stderr));
  for (const o of x.outputs ?? []) li.append(renderOutput(o));
  if (x.result !== null && x.result !== undefined) li.append(el('pre', 'result', `Out[${x.execution_count}]: ${x.result}`));
  if (x.error) li.append(el('pre', 'stderr', x.error.traceback || `${x.error.type}: ${x.error.message}`));
  const made = [...(x.files?.created ?? []), ...(x.files?.modified ?? [])];
  if (made.length) li.append(el('div', 'meta', `files: ${made.join(', ')}`));
}

// Rich outputs: images as <img> (no script can run in an image), HTML in a
// sandboxed iframe without allow-scripts, everything else as text.
function renderOutput({ mime, data }) {
  if (mime === 'image/png' || mime === 'image/jpeg') {
    const img = el('img', 'output');
    img.src = `data:${mime};base64,${data}`;
    img.alt = 'image output';
    return img;
  }
  if (mime === 'image/svg+xml') {
    const img = el('img', 'output');
    img.src = URL.createObjectURL(new Blob([data], { type: mime }));
    img.alt = 'SVG output';
    return img;
  }
  if (mime === 'text/html') {
    const frame = el('iframe', 'output');
    frame.setAttribute('sandbox', '');
    frame.srcdoc = data;
    frame.title = 'HTML output';
    return frame;
  }
  return el('pre', 'output', data);
}

function renderFiles() {
  const list = $('#files');
  list.replaceChildren();
  for (const f of session.listFiles()) {
    const li = el('li');
    const a = el('a', '', `${f.path} (${f.size} bytes, ${f.media_type})`);
    a.href = '#';
    a.addEventListener('click', (e) => {
      e.preventDefault();
      download(f.path.split('/').pop(), session.readFile(f.path), f.media_type);
    });
    li.append(a);
    list.append(li);
  }
}

function download(name, bytes, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = el('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// Settings form.
const form = $('#settings');
for (const [k, v] of Object.entries(settings)) {
  const input = form.elements[k];
  if (!input) continue;
  if (input.type === 'checkbox') input.checked = Boolean(v);
  else input.value = v;
}
form.addEventListener('submit', (e) => {
  e.preventDefault();
  const f = form.elements;
  settings = { format: f.format.value, base_url: f.base_url.value.trim(), model: f.model.value.trim(), api_key: f.api_key.value, tools: f.tools.checked };
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
  const r = session.configure(sessionSettings(settings), { apiKey: settings.api_key });
  if (r.error) {
    add('error', r.error.message);
    return;
  }
  $('#status').textContent = 'Settings saved.';
});

// Asking.
function send() {
  const text = $('#message').value;
  if (!text.trim()) return;
  add('user', text);
  const r = session.send(text);
  if (r.error) add('error', r.error.message);
  else $('#message').value = '';
}
$('#ask').addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});
$('#message').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    send();
  }
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') session.cancel();
});
$('#stop').addEventListener('click', () => session.cancel());
$('#upload').addEventListener('change', async (e) => {
  for (const file of e.target.files) {
    const r = session.addFile(file.name, new Uint8Array(await file.arrayBuffer()), file.type);
    if (!r.ok) add('error', r.error.message);
  }
  e.target.value = '';
});
$('#export').addEventListener('click', () => {
  const nb = session.exportNotebook();
  download('conversation.ipynb', new TextEncoder().encode(JSON.stringify(nb, null, 1)), 'application/x-ipynb+json');
});

$('#run').addEventListener('click', () => {
  const code = $('#message').value;
  if (!code.trim()) return;
  const r = session.runCode(code);
  if (r.error) add('error', r.error.message);
  else $('#message').value = '';
});
