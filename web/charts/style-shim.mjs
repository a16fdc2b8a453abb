// Runs INSIDE a chart frame, before the chart libraries. The page's policy
// (inherited by the srcdoc frame) has style-src without 'unsafe-inline', so
// a <style> element the libraries add would be refused (and logged as a CSP
// violation): their CSS would be lost and the console flooded.
// So document.createElement('style') makes a <ci-style> instead: an element
// with no meaning to the browser (nothing to refuse), whose CSS goes into a
// constructable stylesheet (adoptedStyleSheets, which no CSP governs), kept
// in step with its text, and handed out as its .sheet for libraries that
// call insertRule (Plotly). Ids, getElementById and matches() work as for a
// <style>. A real <style> that arrives anyway (parsed markup) still gets its
// text adopted when the browser gave it no sheet.
// Built alone as dist/charts/style-shim.js (loaded first: Plotly adds its
// styles while it loads) and bundled into the renderers (a no-op twice).

const nativeSheet = Object.getOwnPropertyDescriptor(HTMLStyleElement.prototype, 'sheet').get;
const fallbackSheets = new WeakMap(); // refused <style> → CSSStyleSheet

export function adopt(sheet) {
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

function drop(sheet) {
  document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
}

function sheetWith(text) {
  const sheet = new CSSStyleSheet();
  try { sheet.replaceSync(text || ''); } catch { /* bad CSS: an empty sheet */ }
  return sheet;
}

class CiStyle extends HTMLElement {
  constructor() {
    super();
    this.ciSheet = null;
    this.ciText = null;
  }

  // The stand-in for HTMLStyleElement.sheet: adopted while connected.
  get sheet() {
    if (!this.isConnected) return null;
    if (!this.ciSheet) {
      this.ciSheet = sheetWith(this.textContent);
      this.ciText = this.textContent;
      adopt(this.ciSheet);
    }
    return this.ciSheet;
  }

  connectedCallback() {
    void this.sheet;
    this.ciObserver ??= new MutationObserver(() => this.sync());
    this.ciObserver.observe(this, { childList: true, characterData: true, subtree: true });
  }

  disconnectedCallback() {
    this.ciObserver?.disconnect();
    if (this.ciSheet) drop(this.ciSheet);
    this.ciSheet = null;
  }

  // Text set after insertion (innerHTML, textContent) replaces the rules.
  sync() {
    if (this.ciSheet && this.textContent !== this.ciText) {
      this.ciText = this.textContent;
      try { this.ciSheet.replaceSync(this.textContent); } catch { /* keep the old rules */ }
    }
  }
}

export function installStyleShim() {
  if (self.ciStyleShim) return;
  self.ciStyleShim = true;
  customElements.define('ci-style', CiStyle);
  const hidden = sheetWith('ci-style { display: none !important; }');
  adopt(hidden);
  const XHTML = 'http://www.w3.org/1999/xhtml';
  const create = Document.prototype.createElement;
  const createNS = Document.prototype.createElementNS;
  document.createElement = function createElement(tag, options) {
    return create.call(this, String(tag).toLowerCase() === 'style' ? 'ci-style' : tag, options);
  };
  document.createElementNS = function createElementNS(ns, tag, options) {
    if (ns === XHTML && String(tag).toLowerCase() === 'style') return create.call(this, 'ci-style');
    return createNS.call(this, ns, tag, options);
  };
  // A real <style> from parsed markup: refused by the page's policy, its text adopted.
  Object.defineProperty(HTMLStyleElement.prototype, 'sheet', {
    configurable: true,
    get() {
      const own = nativeSheet.call(this);
      if (own || !this.isConnected) return own;
      let sheet = fallbackSheets.get(this);
      if (!sheet) {
        sheet = sheetWith(this.textContent);
        fallbackSheets.set(this, sheet);
        adopt(sheet);
      }
      return sheet;
    },
  });
}

installStyleShim();
