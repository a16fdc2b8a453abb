// The app's entry: defines <code-interpreter> (which starts the
// AppController against the files next to this page: core/, pyodide/,
// python/). The built page (dist/) loads this bundled.
import './components/code-interpreter.mjs';
