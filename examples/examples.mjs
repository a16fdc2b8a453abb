// The examples page: the same app embedded three ways, from the app URL in
// ?app= (default http://127.0.0.1:8080/). See README.md here and
// web/embed/README.md for the API.
const params = new URLSearchParams(location.search);
const appUrl = new URL(params.get('app') || 'http://127.0.0.1:8080/', location.href).href.replace(/\/?$/, '/');
const appOrigin = new URL(appUrl).origin;
document.getElementById('app-url').textContent = appUrl;

const form = document.getElementById('model');
const settings = () => Object.fromEntries(new FormData(form));
const log = (id, line) => {
  const el = document.getElementById(id);
  el.textContent += `${typeof line === 'string' ? line : JSON.stringify(line)}\n`;
  el.scrollTop = el.scrollHeight;
};

const ci = await import(`${appUrl}code-interpreter.js`);

// 1. The element. Attributes for the settings; the key as a property only.
const element = document.createElement('code-interpreter');
element.setAttribute('compact', '');
element.setAttribute('no-persist', '');
document.getElementById('element-slot').append(element);
for (const name of ['ci-message', 'ci-cell', 'ci-file', 'ci-turn', 'ci-error']) {
  element.addEventListener(name, (e) => log('element-log', `${name} ${JSON.stringify(e.detail).slice(0, 200)}`));
}

// 2. createSession, made on first use with the current settings.
let session = null;
const getSession = async () => {
  session ??= await ci.createSession({ ...settings(), onEvent: () => {} });
  return session;
};
const follow = async (events) => {
  for await (const e of events) log('headless-log', `${e.type} ${JSON.stringify(e).slice(0, 200)}`);
};
document.getElementById('headless-run').onclick = async () => follow((await getSession()).runCode(document.getElementById('headless-input').value));
document.getElementById('headless-ask').onclick = async () => follow((await getSession()).send(document.getElementById('headless-input').value));
document.getElementById('headless-cancel').onclick = () => session?.cancel();

// 3. The iframe embed: messages to its exact origin, replies only from it.
const frame = document.getElementById('embed');
frame.src = `${appUrl}embed.html?compact`;
let nextId = 1;
let embedReady = false; // set by its 'ready' message: posting earlier would reach about:blank
const request = (message) => frame.contentWindow.postMessage({ ...message, id: nextId++ }, appOrigin);
window.addEventListener('message', (e) => {
  if (e.source !== frame.contentWindow || e.origin !== appOrigin) return;
  const m = e.data;
  log('iframe-log', m.type === 'event' ? `event ${m.event.type} ${JSON.stringify(m.event).slice(0, 160)}` : `${m.type} ${JSON.stringify(m).slice(0, 200)}`);
  if (m.type === 'ready') {
    embedReady = true;
    request({ type: 'configure', ...settings() });
  }
});
document.getElementById('iframe-ask').onclick = () => request({ type: 'send', text: document.getElementById('iframe-input').value });
document.getElementById('iframe-files').onclick = () => request({ type: 'list_files' });

const apply = () => {
  const s = settings();
  element.setAttribute('provider', s.provider);
  element.setAttribute('base-url', s.baseUrl);
  element.setAttribute('model', s.model);
  element.apiKey = s.apiKey;
  session?.close();
  session = null;
  if (embedReady) request({ type: 'configure', ...s });
};
form.onsubmit = (e) => { e.preventDefault(); apply(); };
apply();
