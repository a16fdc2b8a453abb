// Model text → safe HTML: marked (GitHub-flavoured markdown, code blocks
// highlighted by highlight.js inside the renderer, raw HTML kept as
// text), then DOMPurify as the LAST step; nothing touches the HTML after
// it. The purifier's hooks (part of that last step) keep the page's CSP
// quiet and its origin private ("zero-click": nothing in an answer makes
// the browser contact another host until the user clicks):
// - no style attributes or <style> (style-src 'self' would refuse them),
// - images only from data: URLs; a markdown image from elsewhere becomes a
//   link "Image from <host> — open" (a remote image would tell its host
//   that the answer was read),
// - links to /mnt/data/… become buttons for the file (data-ci-file),
// - other links open in a new tab without an opener or a referrer,
// - no URL attribute other than those, and no CSS url() to another host.
// sanitizeHtmlOutput() does the same for Python's text/html outputs, which
// are shown in an <iframe sandbox> (no scripts) by ci-output.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import { quietHtml } from './quiet-html.mjs';
import { BlockStream } from './markdown-blocks.mjs';
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

// Views re-render often (every streamed chunk): the renderers remember
// their recent answers, the least recently used dropped first, up to `max`
// entries and `maxChars` characters of keys and values together (a code
// block streaming in leaves one entry per prefix: without the character
// bound a 1 MB one would keep hundreds of MB alive).
function memo(fn, max = 400, maxChars = 4_000_000) {
  const cache = new Map();
  let chars = 0;
  const sizeOf = (k, v) => k.length + (typeof v === 'string' ? v.length : 0);
  return (key, ...rest) => {
    const k = rest.length ? `${rest.join('|')}\u0000${key}` : key;
    let v = cache.get(k);
    if (v !== undefined) {
      cache.delete(k); // the most recently used go last: what every render asks for stays
      cache.set(k, v);
    } else {
      v = fn(key, ...rest);
      const size = sizeOf(k, v);
      if (size > maxChars / 4) return v; // too big to keep: render again when asked
      while (cache.size && (cache.size >= max || chars + size > maxChars)) {
        const [oldKey, oldValue] = cache.entries().next().value;
        cache.delete(oldKey);
        chars -= sizeOf(oldKey, oldValue);
      }
      cache.set(k, v);
      chars += size;
    }
    return v;
  };
}

/** Highlighted HTML for code (escaped; only <span class="hljs-…"> added). */
export const highlight = memo((code, lang = 'python') => {
  const language = hljs.getLanguage(lang) ? lang : 'plaintext';
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
});

export const FILE_LINK = /^(?:sandbox:)?\/mnt\/data\/(.+)$/;
const INLINE_IMAGE = /^data:image\/(?:png|jpeg|gif|webp);base64,[a-z0-9+/=\s]*$/i;

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
    // ![alt](url): only data: images are shown inline; a remote one is a
    // link the user may open; a file in /mnt/data is a link to the file.
    image({ href, title, text }) {
      const url = String(href ?? '').trim();
      const alt = text || 'image';
      if (INLINE_IMAGE.test(url)) return `<img src="${escapeHtml(url)}" alt="${escapeHtml(alt)}"${title ? ` title="${escapeHtml(title)}"` : ''}>`;
      if (FILE_LINK.test(url)) return `<a href="${escapeHtml(url)}">${escapeHtml(alt)}</a>`;
      let host = '';
      try {
        const u = new URL(url);
        if (u.protocol === 'http:' || u.protocol === 'https:') host = u.host;
      } catch { /* not an absolute URL */ }
      if (!host) return `<span class="ci-image-missing">[image: ${escapeHtml(alt)}]</span>`;
      return `<a class="ci-ext-image" href="${escapeHtml(url)}" title="Not loaded: loading it would tell ${escapeHtml(host)} that this was read. Click to open it in a new tab.">Image from ${escapeHtml(host)}: ${escapeHtml(alt)} — open</a>`;
    },
    code({ text, lang }) {
      const name = (lang || '').trim().split(/\s+/)[0].toLowerCase() || 'plaintext';
      const language = name === 'py' ? 'python' : name;
      return `<pre><code class="hljs language-${escapeHtml(language)}">${highlight(text, language)}</code></pre>\n`;
    },
  },
});

const purify = DOMPurify(window);

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
    if (!INLINE_IMAGE.test(src)) {
      node.removeAttribute('src');
      node.setAttribute('alt', `[image not shown: ${node.getAttribute('alt') || 'external image'}]`);
    }
    node.removeAttribute('srcset');
  }
});

// Every attribute that can make the browser fetch or navigate: only the
// values `allowed(tag, name, value)` accepts survive; CSS url() only to a
// fragment (#id). Shared by both purifiers below.
const URL_ATTRS = new Set(['src', 'href', 'xlink:href', 'srcset', 'imagesrcset', 'poster', 'background', 'data', 'codebase',
  'action', 'formaction', 'lowsrc', 'dynsrc', 'manifest', 'icon', 'ping', 'longdesc', 'usemap', 'cite', 'archive', 'classid', 'profile']);
const CSS_URL = /url\s*\(|image-set|@import|expression\s*\(/i;
const FRAGMENT_URL = /url\s*\(\s*['"]?#/gi;

function urlAttributeHook(allowed) {
  return (node, data) => {
    const name = data.attrName.toLowerCase();
    const value = String(data.attrValue ?? '').trim();
    if (URL_ATTRS.has(name) && !allowed(node.nodeName.toLowerCase(), name, value)) {
      data.keepAttr = false;
      return;
    }
    // url(#clip) is a reference inside the same document; any other url() may fetch.
    if (CSS_URL.test(value.replace(FRAGMENT_URL, '#'))) data.keepAttr = false;
  };
}

const LINK_URL = /^(?:https?:|mailto:|#)/i;
purify.addHook('uponSanitizeAttribute', urlAttributeHook((tag, name, value) => {
  if (tag === 'a' && name === 'href') return LINK_URL.test(value);
  if (tag === 'img' && name === 'src') return INLINE_IMAGE.test(value);
  return false;
}));

const PURIFY_CONFIG = {
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'video', 'audio', 'source', 'link', 'meta', 'base'],
  FORBID_ATTR: ['style', 'srcset', 'formaction', 'action', 'ping'],
  ALLOW_DATA_ATTR: false,
};

const renderSafe = (text) => purify.sanitize(marked.parse(text ?? '', { async: false }), PURIFY_CONFIG);

/** Safe HTML for markdown text (the sanitizer's output, as is). */
export const renderMarkdown = memo(renderSafe);

/**
 * For a streamed answer: `update(textSoFar)` → safe HTML per top-level
 * block, rendering only the blocks still open (app/markdown-blocks.mjs).
 * Each block is sanitized on its own, as a whole answer is.
 */
export function createBlockStream() {
  return new BlockStream({ lex: (text) => marked.lexer(text), render: renderSafe });
}

// Python's HTML outputs (display(), _repr_html_) go into an <iframe sandbox>
// without scripts, whose document inherits the page's CSP. What is left to
// stop before it: requests to other hosts with no click (images, CSS,
// <link rel=preconnect/prefetch>, meta refresh, media, nested frames) and
// markup the CSP would only refuse noisily (style). Links stay, opening in
// a new tab (the frame allows popups, never scripts).
const purifyOutput = DOMPurify(window);
const OUTPUT_MEDIA = /^(?:data:image\/|blob:)/i;
purifyOutput.addHook('uponSanitizeAttribute', urlAttributeHook((tag, name, value) => {
  if (tag === 'a' && name === 'href') return /^(?:https?:|mailto:)/i.test(value);
  if ((tag === 'img' && name === 'src') || (tag === 'image' && (name === 'href' || name === 'xlink:href'))) return OUTPUT_MEDIA.test(value);
  if (name === 'href' || name === 'xlink:href') return value.startsWith('#'); // <use href="#id">, in-page links
  return false;
}));
purifyOutput.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href') && !node.getAttribute('href').startsWith('#')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});
const OUTPUT_CONFIG = {
  FORBID_TAGS: [...PURIFY_CONFIG.FORBID_TAGS, 'frameset', 'track', 'picture', 'portal', 'fencedframe', 'feimage'],
  FORBID_ATTR: [...PURIFY_CONFIG.FORBID_ATTR, 'background', 'poster', 'lowsrc', 'dynsrc', 'imagesrcset'],
  ALLOW_DATA_ATTR: false,
};

export { quietHtml };

/** Markup for a sandboxed frame's srcdoc from Python's HTML (DOMPurify's output, as is). */
export const sanitizeHtmlOutput = memo((markup) => purifyOutput.sanitize(quietHtml(markup), OUTPUT_CONFIG), 100);
