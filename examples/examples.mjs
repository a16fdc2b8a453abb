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

// 3. The iframe embed, driven through embed-client.js (connectEmbed): it
// posts to the embed's exact origin, reads only its replies, and settles
// every request (errors are EmbedError {code, message, detail}).
const { connectEmbed } = await import(`${appUrl}embed-client.js`);
const frame = document.getElementById('embed');
frame.src = `${appUrl}embed.html?compact`;
const embed = connectEmbed(frame, {
  origin: appOrigin,
  // Events of turns typed in the embed's own UI (id null); ours are logged by followEmbed.
  onEvent: (e, id) => { if (id === null) log('iframe-log', `event (its own UI) ${e.type} ${JSON.stringify(e).slice(0, 160)}`); },
});
const logError = (e) => log('iframe-log', `error ${e.code ?? e.name}: ${e.message}`);
embed.ready.then(() => log('iframe-log', 'ready'), logError);
const followEmbed = async (events) => {
  for await (const e of events) log('iframe-log', `event ${e.type} ${JSON.stringify(e).slice(0, 160)}`);
};
const configureEmbed = (s) => embed.ready
  .then(() => embed.configure(Object.fromEntries(Object.entries(s).filter(([k, v]) => v !== '' || k === 'apiKey'))))
  .then((r) => log('iframe-log', `configured ${JSON.stringify(r.settings).slice(0, 160)}`), logError);
document.getElementById('iframe-ask').onclick = () => followEmbed(embed.send(document.getElementById('iframe-input').value));
document.getElementById('iframe-run').onclick = () => followEmbed(embed.runCode(document.getElementById('iframe-input').value));
document.getElementById('iframe-files').onclick = () => embed.listFiles().then((files) => log('iframe-log', `files ${JSON.stringify(files).slice(0, 200)}`), logError);
document.getElementById('iframe-cancel').onclick = () => embed.cancel().catch(logError);

const apply = () => {
  const s = settings();
  element.setAttribute('provider', s.provider);
  element.setAttribute('base-url', s.baseUrl);
  element.setAttribute('model', s.model);
  element.apiKey = s.apiKey;
  session?.close();
  session = null;
  configureEmbed(s);
};
form.onsubmit = (e) => { e.preventDefault(); apply(); };
apply();
