// The baseline of bench/chat-stream.mjs: the floor of showing a streamed
// answer. It fetches the same scripted stream from the same server as the
// app, decodes it with a streaming TextDecoder, splits lines, JSON.parses
// each `data:` event and appends its delta text to a <pre>'s text node
// (unformatted; the end of the text kept in view once per frame). When the
// body ends it renders the whole markdown ONCE with the app's libraries
// (marked, DOMPurify, highlight.js for python blocks, the versions in
// node_modules, built by Vite like the app) in place of the plain text.
// Built by Vite into a temp dir by the bench; not part of the product.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import python from 'highlight.js/lib/languages/python';

hljs.registerLanguage('python', python);
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    html({ text }) { return escapeHtml(text); },
    code({ text, lang }) {
      const language = hljs.getLanguage(lang || '') ? lang : 'plaintext';
      const body = language === 'plaintext' ? escapeHtml(text) : hljs.highlight(text, { language, ignoreIllegals: true }).value;
      return `<pre><code class="hljs language-${escapeHtml(language)}">${body}</code></pre>\n`;
    },
  },
});
const purify = DOMPurify(window);
const PURIFY_CONFIG = { FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe'], FORBID_ATTR: ['style'], ALLOW_DATA_ATTR: false };

/** After the next frame (its paint): a task queued from that frame's rAF. */
const afterFrame = () => new Promise((resolve) => requestAnimationFrame(() => {
  const ch = new MessageChannel();
  ch.port1.onmessage = () => resolve(performance.now());
  ch.port2.postMessage(0);
}));

/**
 * Streams one answer from `${baseUrl}/chat/completions` and shows it.
 * Resolves with page times (performance.now()): body_end (the fetch body
 * finished), dom (the formatted answer is in the DOM), frame (the frame that
 * shows it has been produced), and the answer's text and event count.
 */
window.runBare = async ({ baseUrl, prompt, lastWords }) => {
  const log = document.getElementById('log');
  const pre = document.getElementById('stream');
  const answer = document.getElementById('answer');
  pre.textContent = '';
  answer.textContent = '';
  const node = document.createTextNode('');
  pre.append(node);
  let scrollPending = false;
  const keepInView = () => {
    if (scrollPending) return;
    scrollPending = true;
    requestAnimationFrame(() => { scrollPending = false; log.scrollTop = log.scrollHeight; });
  };
  const started = performance.now();
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: prompt }] }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let text = '';
  let events = 0;
  let firstText = null;
  window.__benchProgress = () => text.length; // the characters the page shows (bench/chat-stream.mjs samples it per frame)
  const line = (l) => {
    if (!l.startsWith('data:')) return;
    const data = l.slice(5).trim();
    if (data === '[DONE]') return;
    events += 1;
    const delta = JSON.parse(data).choices?.[0]?.delta?.content;
    if (delta) {
      firstText ??= performance.now();
      node.appendData(delta);
      text += delta;
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const l of lines) line(l);
    keepInView();
  }
  buf += decoder.decode();
  for (const l of buf.split('\n')) line(l);
  const bodyEnd = performance.now();
  // The final answer, formatted once, replaces the plain text.
  answer.innerHTML = purify.sanitize(marked.parse(text, { async: false }), PURIFY_CONFIG);
  pre.textContent = '';
  log.scrollTop = log.scrollHeight;
  const dom = performance.now();
  const frame = await afterFrame();
  if (!answer.textContent.includes(lastWords)) throw new Error(`the rendered answer lacks its last words (${lastWords})`);
  return { started, first_text: firstText, body_end: bodyEnd, dom, frame, events, chars: text.length, text };
};
window.bareReady = true;
