// quietHtml(): HTML text without the parts that only make the page's CSP
// report violations when parsed. Its own module (not app/markdown.mjs, the
// lazy chunk): ci-output reads tables out of HTML outputs without the
// markdown stack.

// Parsing HTML in this page, even into an inert document (DOMParser, which
// DOMPurify uses), makes Chromium report each event-handler attribute,
// <style> and style attribute as a CSP violation, although nothing runs.
// pandas puts a <style scoped> in every table. So before any parse, this
// drops them from the text: <style>…</style> and <base> elements (base-uri
// 'none' reports those), and on*= / style= attributes inside tags. It is
// noise reduction, not the defence: what it misses is only reported (and
// refused) by the CSP, and DOMPurify still
// removes it after.
// A linear scan (a regular expression for whole tags backtracked
// exponentially on an unclosed one): each start tag up to its '>' (quotes
// count only as attribute values, after '='), with noisy attributes cut.
const NOISY_ATTR = /([\s/"'])(?:on[a-z-]*|style)(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]*))?(?=[\s/>]|$)/gi;
const TAG_START = /[a-zA-Z]/;
export function quietHtml(markup) {
  const text = String(markup ?? '').replace(/<style\b[\s\S]*?(?:<\/style\s*>|$)/gi, '').replace(/<base\b[^>]*>?/gi, '');
  let out = '';
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      out += text.slice(i);
      break;
    }
    if (!TAG_START.test(text[lt + 1] ?? '')) {
      out += text.slice(i, lt + 1);
      i = lt + 1;
      continue;
    }
    let j = lt + 1;
    let quote = '';
    let afterEq = false;
    for (; j < text.length; j += 1) {
      const c = text[j];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '>') break;
      else if ((c === '"' || c === "'") && afterEq) quote = c;
      if (!quote && c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r' && c !== '\f') afterEq = c === '=';
    }
    out += text.slice(i, lt) + text.slice(lt, j).replace(NOISY_ATTR, '$1') + (j < text.length ? '>' : '');
    i = j + 1;
  }
  return out;
}
