// Cross-origin isolation from the service worker, for hosts that cannot send
// headers (GitHub Pages, plain S3): the documents and workers this worker
// serves get COOP/COEP, so once it controls the page (after one reload on a
// first visit: web/app/pwa.mjs) the page is crossOriginIsolated and Stop can
// interrupt Python instead of restarting it. Same technique as
// coi-serviceworker: a Response is rebuilt with the extra headers.
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The response with COOP/COEP (and CORP same-origin unless the host set one). */
export function withIsolationHeaders(response) {
  // Opaque responses (status 0) cannot be read or rebuilt; errors pass as they are.
  if (!response || response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  if (!headers.has('Cross-Origin-Resource-Policy')) headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** A Workbox strategy plugin: every response its strategy hands to the page gets the headers. */
export const isolationPlugin = {
  handlerWillRespond: async ({ response }) => withIsolationHeaders(response),
};
