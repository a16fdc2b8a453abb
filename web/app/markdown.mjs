// Model text → safe HTML: marked (GitHub-flavoured markdown, code blocks
// highlighted by highlight.js inside the renderer, raw HTML kept as
// text), then DOMPurify as the
// LAST step; nothing touches the HTML after it. The purifier's hooks (part
// of that last step) keep the page's CSP quiet and its origin private:
// - no style attributes or <style> (style-src 'self' would refuse them),
// - images only from data: URLs (a remote image would leak that the answer
//   was read, and img-src refuses it anyway),
// - links to /mnt/data/… become buttons for the file (data-ci-file),
// - other links open in a new tab without an opener.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import python from 'highlight.js/lib/languages/python';
import plaintext from 'highlight.js/lib/languages/plaintext';
import bash from 'highlight.js/lib/languages/bash';
import json from 'highlight.js/lib/languages/json';
import sql from 'highlight.js/lib/languages/sql';
import javascript from 'highlight.js/lib/languages/javascript';

hljs.registerLanguage('python', python);
hljs.registerLanguage('plaintext', plaintext);
hljs.registerLanguage('bash', bash);
hljs.registerLanguage('json', json);
hljs.registerLanguage('sql', sql);
hljs.registerLanguage('javascript', javascript);

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

// Views re-render often (every streamed chunk): both renderers remember
// their recent answers.
function memo(fn, max = 400) {
  const cache = new Map();
  return (key, ...rest) => {
    const k = rest.length ? `${rest.join('|')}\u0000${key}` : key;
    let v = cache.get(k);
    if (v === undefined) {
      v = fn(key, ...rest);
      if (cache.size >= max) cache.delete(cache.keys().next().value);
      cache.set(k, v);
    }
    return v;
  };
}

/** Highlighted HTML for code (escaped; only <span class="hljs-…"> added). */
export const highlight = memo((code, lang = 'python') => {
  const language = hljs.getLanguage(lang) ? lang : 'plaintext';
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
});

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Raw HTML in the model's text is shown as text (as chat apps do): it
    // is what the model wrote, and an event-handler attribute never even
    // reaches a parser (Chromium reports one as a CSP violation when
    // DOMPurify's inert DOMParser reads it, although it never runs).
    html({ text }) {
      return escapeHtml(text);
    },
    code({ text, lang }) {
      const name = (lang || '').trim().split(/\s+/)[0].toLowerCase() || 'plaintext';
      const language = name === 'py' ? 'python' : name;
      return `<pre><code class="hljs language-${escapeHtml(language)}">${highlight(text, language)}</code></pre>\n`;
    },
  },
});

const purify = DOMPurify(window);
export const FILE_LINK = /^(?:sandbox:)?\/mnt\/data\/(.+)$/;

// sandbox:/mnt/data/… (ChatGPT's form) is not a scheme the purifier keeps:
// mark file links as a fragment before it checks URLs, finish after.
const FILE_FRAGMENT = '#ci-file:';
purify.addHook('beforeSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    const file = FILE_LINK.exec(node.getAttribute('href') ?? '');
    if (file) node.setAttribute('href', FILE_FRAGMENT + file[1]);
  }
});

purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    const href = node.getAttribute('href');
    if (href.startsWith(FILE_FRAGMENT)) {
      let path = href.slice(FILE_FRAGMENT.length);
      try { path = decodeURIComponent(path); } catch { /* keep it as written */ }
      node.setAttribute('data-ci-file', path);
      node.setAttribute('href', '#');
      node.setAttribute('title', `Open ${path}`);
    } else {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  }
  if (node.tagName === 'IMG') {
    const src = node.getAttribute('src') ?? '';
    if (!/^data:image\/(png|jpeg|gif|webp);base64,/i.test(src)) {
      node.removeAttribute('src');
      node.setAttribute('alt', `[image not shown: ${node.getAttribute('alt') || 'external image'}]`);
    }
    node.removeAttribute('srcset');
  }
});

const PURIFY_CONFIG = {
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'video', 'audio', 'source', 'link', 'meta', 'base'],
  FORBID_ATTR: ['style', 'srcset', 'formaction', 'action', 'ping'],
  ALLOW_DATA_ATTR: false,
};

/** Safe HTML for markdown text (the sanitizer's output, as is). */
export const renderMarkdown = memo((text) => {
  const html = marked.parse(text ?? '', { async: false });
  return purify.sanitize(html, PURIFY_CONFIG);
});
