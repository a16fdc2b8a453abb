// The app's entry: defines <code-interpreter> (which starts the
// AppController against the files next to this page: core/, pyodide/,
// python/). The built page (dist/) loads this bundled.
import './components/code-interpreter.mjs';
import { startPwa } from './app/pwa.mjs';

// The offline service worker (web/app/pwa.mjs): only in the built app
// (import.meta.env is Vite's; unbundled it is undefined), after the app started.
if (import.meta.env?.PROD) {
  customElements.whenDefined('code-interpreter').then(() => startPwa({ app: document.querySelector('code-interpreter')?.app }));
}
