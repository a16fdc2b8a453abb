// Runs INSIDE a chart frame, before the chart libraries: the page's policy
// (inherited by the srcdoc frame) has style-src without 'unsafe-inline', so
// the <style> elements the libraries add are refused (the browser logs a
// CSP report for each, harmless: nothing loads). Their text goes into
// constructable stylesheets instead (adoptedStyleSheets, which no CSP
// governs) and libraries that call sheet.insertRule (Plotly) get such a
// sheet as the element's .sheet, so the charts look as designed.
// Built alone as dist/charts/style-shim.js (loaded first, since Plotly adds
// its styles while it loads) and bundled into the renderers (a no-op twice).
const nativeSheet = Object.getOwnPropertyDescriptor(HTMLStyleElement.prototype, 'sheet').get;
const shimSheets = new WeakMap(); // <style> → CSSStyleSheet

export function adopt(sheet) {
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

/** The constructable sheet standing in for a refused <style>, made once, with its text. */
function shimFor(el) {
  let sheet = shimSheets.get(el);
  if (!sheet) {
    sheet = new CSSStyleSheet();
    try { sheet.replaceSync(el.textContent || ''); } catch { /* bad CSS: an empty sheet */ }
    shimSheets.set(el, sheet);
    adopt(sheet);
  }
  return sheet;
}

export function installStyleShim() {
  if (self.ciStyleShim) return;
  self.ciStyleShim = true;
  // Libraries that add rules with sheet.insertRule (Plotly) get the stand-in
  // when the browser gave the element no sheet of its own.
  Object.defineProperty(HTMLStyleElement.prototype, 'sheet', {
    configurable: true,
    get() { return nativeSheet.call(this) ?? (this.isConnected ? shimFor(this) : null); },
  });
  // Libraries that set the text (vega-embed, vega-tooltip) get it copied.
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) {
        if (n.localName === 'style' && !nativeSheet.call(n)) shimFor(n);
      }
    }
  }).observe(document, { childList: true, subtree: true });
}


installStyleShim();
