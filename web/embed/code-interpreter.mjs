// The entry of dist/code-interpreter.js, the module other pages import:
//   <script type="module" src="https://your.host/app/code-interpreter.js"></script>
//   <code-interpreter provider="openai" model="gpt-4o-mini" style="height: 40rem"></code-interpreter>
// or
//   import { createSession } from 'https://your.host/app/code-interpreter.js';
// It defines <code-interpreter> (the app's own component) and exports
// createSession (headless.mjs). Both find core/, pyodide/, python/ and
// config.json next to THIS file (import.meta.url), not next to the page, so
// the page may be on another origin (the host must then send CORS headers:
// `node scripts/serve.mjs --cors`; README.md "Embedding").
import { CodeInterpreter } from '../components/code-interpreter.mjs';
import { createSession as createHeadlessSession, HeadlessSession } from './headless.mjs';

// Not new URL('./', import.meta.url): Vite would treat that as an asset to bundle.
const HERE = import.meta.url.replace(/[^/?#]*([?#].*)?$/, '');

// Read by the element one microtask after it connects, so elements already
// in the page when this module runs get it too.
CodeInterpreter.assetBase ??= HERE;

/** A Code Interpreter with no UI. Options and events: web/embed/README.md. */
export function createSession(options = {}) {
  return createHeadlessSession({ assetBase: HERE, ...options });
}

export { CodeInterpreter, HeadlessSession };
