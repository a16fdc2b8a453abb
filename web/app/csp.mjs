// The app's connect-src, narrowed at run time. web/index.html's static CSP
// must allow any model endpoint (`connect-src 'self' http: https:`): the
// user enters it later. Once the endpoint is known, this module ADDS a
// second policy, `connect-src 'self' <endpoint origin> <package origin>
// <lock file origin>`, as a <meta http-equiv="Content-Security-Policy"> in
// <head>. Policies intersect, so from then on a script that got into the
// page (or a fetch the app did not mean) can reach only those origins: the
// API key and the user's data cannot be sent anywhere else.
//
// Rules:
// - A policy can be added, never loosened: an endpoint on an origin the
//   added policy does not list needs a page reload (the controller saves,
//   then reloads; the settings dialog says so before saving).
// - Only on a page that opts in with <meta name="ci-connect-policy"
//   content="auto"> (web/index.html): <code-interpreter> embedded in
//   someone else's page must not add a policy to that page.
// - Until the first settings are saved (first start) nothing is added: the
//   first-start probe for local servers and the settings dialog's model list
//   need to reach endpoints not yet chosen, and no key is stored yet. The
//   first save adds the policy without a reload (narrowing needs none).
// - An origin CSP cannot name (an IPv6 literal) is allowed by its scheme,
//   no looser than the static policy.

export const OPT_IN = 'meta[name="ci-connect-policy"][content="auto"]';

/** The CSP source expression for a URL's origin, or null when it is not http(s). */
export function sourceFor(url, base = globalThis.location?.href) {
  let u;
  try {
    u = new URL(url, base);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (u.hostname.startsWith('[')) return u.protocol; // CSP host-source has no IPv6 literal form
  return `${u.protocol}//${u.host}`;
}

/** The policy text for these URLs (the endpoint, the package location, the lock file…). */
export function connectPolicyText(urls, base) {
  const sources = [...new Set(urls.map((u) => sourceFor(u, base)).filter(Boolean))];
  return `connect-src 'self' ${sources.join(' ')}`.trim();
}

export class ConnectPolicy {
  /** @param {Document} [doc] */
  constructor(doc = globalThis.document) {
    this.doc = doc;
    this.sources = null; // Set of source expressions once applied
    this.text = '';
  }

  /** The page asked for a run-time connect policy (see OPT_IN). */
  get enabled() {
    return !!this.doc?.querySelector?.(OPT_IN);
  }

  get applied() {
    return this.sources !== null;
  }

  /**
   * Adds the policy for these URLs (once; later calls do nothing and return
   * false). Relative URLs resolve against the document.
   */
  apply(urls) {
    if (this.applied || !this.enabled) return false;
    const base = this.doc.baseURI;
    this.sources = new Set(urls.map((u) => sourceFor(u, base)).filter(Boolean));
    this.text = connectPolicyText(urls, base);
    const meta = this.doc.createElement('meta');
    meta.httpEquiv = 'Content-Security-Policy';
    meta.content = this.text;
    meta.dataset.ciConnectPolicy = 'applied';
    this.doc.head.append(meta);
    return true;
  }

  /** Whether the page may connect to `url` now (always true before apply). */
  allows(url) {
    if (!this.applied) return true;
    let u;
    try {
      u = new URL(url, this.doc.baseURI);
    } catch {
      return false;
    }
    if (u.origin === (this.doc.location?.origin ?? new URL(this.doc.baseURI).origin)) return true;
    const src = sourceFor(u.href);
    return !!src && (this.sources.has(src) || this.sources.has(u.protocol));
  }
}
