// The in-page element query behind every selector of tests/engines.
//
// `deepQuery` runs IN THE PAGE: the backends send its source (fn.toString())
// through their CSP-exempt evaluate, so it must not close over anything.
//
// Selector syntax:
//   'a >> b >> c'  CSS `a` in the document, then CSS `b` inside the OPEN shadow
//                  root of that element, then `c` inside b's shadow root.
//   'textarea'     (no ' >> ') deep search: the first element matching the CSS
//                  selector in the document or any open shadow root, in
//                  document order (a host, then its shadow tree, then its
//                  light children).
// Returns the element or null; an invalid CSS selector throws (SyntaxError).
export function deepQuery(selector) {
  const parts = selector.split(' >> ').map((part) => part.trim());
  if (parts.length > 1) {
    let scope = document;
    for (let i = 0; i < parts.length; i++) {
      const found = scope.querySelector(parts[i]);
      if (!found) return null;
      if (i === parts.length - 1) return found;
      if (!found.shadowRoot) return null; // closed or no shadow root: nothing to pierce
      scope = found.shadowRoot;
    }
  }
  const css = parts[0];
  document.querySelector(css); // throws at once on an invalid selector
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.matches(css)) return el;
      if (el.shadowRoot) {
        const inner = walk(el.shadowRoot);
        if (inner) return inner;
      }
    }
    return null;
  };
  return walk(document);
}

/** The source to embed in evaluated expressions: `(${DEEP_QUERY_SOURCE})(selector)`. */
export const DEEP_QUERY_SOURCE = deepQuery.toString();
