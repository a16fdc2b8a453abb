// The app's entry: paints first, then defines <code-interpreter> (which
// starts the AppController against the files next to this page: core/,
// pyodide/, python/). The built page (dist/) loads this bundled: this module
// is the small entry chunk, the app a chunk of its own.
//
// Until the app's chunk is requested, the page shows web/index.html's intro
// (light DOM, styled by app.css): it is the first and the largest paint, and
// no big download competes with it (app/first-paint.mjs says why).
import { afterFirstPaint } from './app/first-paint.mjs';

await afterFirstPaint();
// The offline service worker (web/app/pwa.mjs): only in the built app
// (import.meta.env is Vite's; unbundled it is undefined), after the app started.
const prod = !!import.meta.env?.PROD;
const [, pwa] = await Promise.all([import('./components/code-interpreter.mjs'), prod ? import('./app/pwa.mjs') : null]);
if (pwa) customElements.whenDefined('code-interpreter').then(() => pwa.startPwa({ app: document.querySelector('code-interpreter')?.app }));
