// Shared helpers for tests/security (other suites may import them; the
// exports below are stable): the built app opened with canaries in every
// frame, CSP violation reports sorted into "a script was refused" and the
// rest, a DOM walk through shadow roots and output frames that finds event
// handler attributes and script URLs, and ways to put hostile text through
// the app's real renderers (the chat's assistant item, Python display()).
//
// Watching for execution: `__pwned()` (defined in every frame the page
// loads) and `alert`/`prompt`/`print` (replaced, so a call is counted and
// no dialog blocks the page) report to Node through a Playwright binding;
// real dialogs are counted too (page.on('dialog'), dismissed). A CSP
// violation is not an execution: it is a refused attempt, counted apart.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitReady, waitIdle } from '../e2e/app-helpers.mjs';

export const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');

/** { source: payloads[] } for each JSON file in corpus/<dir>/. */
export function loadCorpus(dir) {
  const at = path.join(CORPUS, dir);
  const out = {};
  for (const f of fs.readdirSync(at).filter((n) => n.endsWith('.json')).sort()) {
    const list = JSON.parse(fs.readFileSync(path.join(at, f), 'utf8'));
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) throw new Error(`${dir}/${f}: not a JSON array of strings`);
    out[f.replace(/\.json$/, '')] = list;
  }
  return out;
}

const SCRIPT_DIRECTIVE = /^(script-src|script-src-elem|script-src-attr|trusted-types|require-trusted-types-for|worker-src)/;

/** Violations split into script attempts (a refused script = a defended attack) and the rest. */
export function collectViolations(violations) {
  const script = violations.filter((v) => SCRIPT_DIRECTIVE.test(v.directive));
  const other = violations.filter((v) => !SCRIPT_DIRECTIVE.test(v.directive));
  return { script, other, total: violations.length };
}

/**
 * Opens the app (dist/ at `url`) with the canaries and waits until Python
 * is ready. Returns { page, violations, executions, dialogs, counts() }:
 * violations are { directive, blocked, source, sample, frame }, executions
 * { kind, href, frame }, dialogs { type, message }.
 */
export async function openSecureApp(browser, url, { width = 1280, height = 860, ready = true, path: at = '/' } = {}) {
  const page = await browser.newPage();
  await page.setViewportSize({ width, height });
  const violations = [];
  const executions = [];
  const dialogs = [];
  await page.exposeBinding('ciSecViolation', (src, v) => violations.push({ ...v, frame: src.frame.url() }));
  await page.exposeBinding('ciSecExec', (src, kind, href) => executions.push({ kind, href, frame: src.frame.url() }));
  page.on('dialog', (d) => {
    dialogs.push({ type: d.type(), message: d.message() });
    d.dismiss().catch(() => {});
  });
  await page.addInitScript(() => {
    window.__pwnedCalls = 0;
    window.__pwned = () => {
      window.__pwnedCalls += 1;
      window.ciSecExec?.('__pwned', String(location.href));
    };
    for (const name of ['alert', 'prompt', 'print']) {
      window[name] = () => { window.ciSecExec?.(name, String(location.href)); };
    }
    document.addEventListener('securitypolicyviolation', (e) => window.ciSecViolation?.({
      directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI, source: `${e.sourceFile}:${e.lineNumber}`, sample: e.sample,
    }));
  });
  await page.goto(new URL(at, `${url}/`).href);
  if (ready) await waitReady(page);
  return {
    page, violations, executions, dialogs,
    counts: () => ({ executions: executions.length, dialogs: dialogs.length, violations: collectViolations(violations) }),
  };
}

/**
 * The walker, run in the page: elements with on* attributes, script URLs,
 * stray <script>, in the document and every shadow root; and in each HTML
 * output frame's document, read from its srcdoc (the sanitized markup the
 * frame shows) with DOMParser, which runs nothing. (Evaluating inside
 * those script-less sandboxed frames through the debugger hangs now and
 * then; their markup is the same thing, deterministic.)
 */
function domOffenders() {
  const URL_ATTRS = new Set(['href', 'src', 'xlink:href', 'action', 'formaction', 'data', 'poster', 'background', 'srcset', 'ping', 'codebase', 'to', 'values', 'from', 'by']);
  const BAD_URL = /^(?:javascript|vbscript|livescript):|^data:text\/html/i;
  const out = [];
  let elements = 0;
  let frames = 0;
  const describe = (el, where) => `<${el.localName}${el.id ? `#${el.id}` : ''}> in ${where}`;
  const walk = (root, where, doc) => {
    for (const el of root.querySelectorAll('*')) {
      elements += 1;
      const here = el.getRootNode() === doc ? where : `shadow of <${el.getRootNode().host?.localName}>`;
      for (const a of el.attributes) {
        const name = a.name.toLowerCase();
        const value = a.value.replace(/[\u0000-\u0020\u007f-\u00a0]/g, '');
        if (name.startsWith('on')) out.push(`${describe(el, here)} has ${a.name}="${a.value.slice(0, 80)}"`);
        else if (URL_ATTRS.has(name) && BAD_URL.test(value)) out.push(`${describe(el, here)} has ${a.name}="${a.value.slice(0, 80)}"`);
      }
      if (el.localName === 'script' && !(doc === document && el.parentNode === document.head && el.src && new URL(el.src).origin === location.origin)) {
        out.push(`${describe(el, here)}: a <script> the app did not ship (${(el.src || el.textContent).slice(0, 80)})`);
      }
      if (el.localName === 'iframe' && /^HTML output/.test(el.title) && doc === document) {
        frames += 1;
        const inner = new DOMParser().parseFromString(el.srcdoc, 'text/html');
        walk(inner, 'an HTML output frame', inner);
      }
      if (el.shadowRoot) walk(el.shadowRoot, here, doc);
    }
  };
  walk(document, 'document', document);
  return { out, elements, frames };
}

/**
 * Walks the app's DOM (document + every shadow root) and each HTML output
 * frame's markup. Returns { offenders: string[], elements, frames }:
 * offenders must be empty.
 */
export async function walkDom(page) {
  const r = await page.evaluate(domOffenders);
  return { offenders: r.out, elements: r.elements, frames: r.frames };
}

/**
 * Renders each text as an assistant message through the chat's own path
 * (the view model's items → <ci-chat> renderItem → renderAssistant →
 * renderMarkdown → unsafeHTML), as a restored conversation would be.
 */
export async function renderAssistantItems(page, texts) {
  await page.evaluate(async (list) => {
    const app = document.querySelector('code-interpreter').app;
    app.vm.items = list.map((text, i) => ({ kind: 'assistant', turn: i + 1, text, thinking: '' }));
    app.changed('items');
    await document.querySelector('code-interpreter').updateComplete;
    await document.querySelector('code-interpreter').renderRoot.querySelector('ci-chat')?.updateComplete;
  }, texts);
  await page.waitForFunction((n) => {
    const chat = document.querySelector('code-interpreter').renderRoot.querySelector('ci-chat');
    return chat.renderRoot.querySelectorAll('[data-kind=assistant]').length === n;
  }, texts.length);
}

/** Runs Python through the app (as "Run Python" does) and waits for its cell to finish; returns the cell. */
export async function runPython(page, code, timeout = 120000) {
  const before = await page.evaluate(() => document.querySelector('code-interpreter').app.vm.items.filter((i) => i.kind === 'cell').length);
  const ok = await page.evaluate((c) => document.querySelector('code-interpreter').app.runCode(c), code);
  if (!ok) throw new Error('the app refused to run the code');
  const vm = await waitIdle(page, (v) => {
    const cells = v.items.filter((i) => i.kind === 'cell');
    return cells.length > before && cells.at(-1).exec.status !== 'running';
  }, timeout);
  return vm.items.filter((i) => i.kind === 'cell').at(-1).exec;
}

/** Python source: a list of (mime, text) displayed through objects with _repr_<kind>_. */
export function displayCode(kind, payloads) {
  const method = { html: '_repr_html_', svg: '_repr_svg_', markdown: '_repr_markdown_' }[kind];
  if (!method) throw new Error(`unknown display kind ${kind}`);
  const b64 = Buffer.from(JSON.stringify(payloads), 'utf8').toString('base64');
  return `import json, base64
class _Out:
    def __init__(self, data): self.data = data
    def ${method}(self): return self.data
_payloads = json.loads(base64.b64decode('${b64}').decode('utf-8'))
for _p in _payloads:
    display(_Out(_p))
print(len(_payloads))`;
}

/** Clicks every "Show as HTML" button (HTML outputs first shown as a plain table). */
export async function showAllHtml(page) {
  const buttons = page.locator('ci-output').getByRole('button', { name: 'Show as HTML' });
  const total = await buttons.count();
  for (let i = 0; i < total; i += 1) {
    const left = await buttons.count();
    if (!left) break;
    await buttons.first().click({ timeout: 20000 });
    await page.waitForFunction(([sel, n]) => {
      let count = 0;
      const walk = (root) => {
        for (const el of root.querySelectorAll('*')) {
          if (el.localName === 'button' && el.textContent.trim() === sel) count += 1;
          if (el.shadowRoot) walk(el.shadowRoot);
        }
      };
      walk(document);
      return count < n;
    }, ['Show as HTML', left], { timeout: 20000 });
  }
  return total;
}

/** Starts a new, empty conversation through the controller. */
export async function newConversation(page) {
  await page.evaluate(() => document.querySelector('code-interpreter').app.newConversation());
  await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.items.length === 0);
}

/** Lets pending loads, frames and timers settle (fixed: the point is to give a leak its chance). */
export function settle(page, ms = 1500) {
  return page.waitForTimeout(ms);
}
