// The markdown renderer (app/markdown.mjs: marked, highlight.js, DOMPurify,
// about a third of the app's code) as a lazy chunk. An empty conversation
// needs none of it, and evaluating it at start was the largest part of the
// app's longest task on a first visit (bench/README.md, "Lighthouse": total
// blocking time).
//
//   markdownNow()   the module once loaded, else null. Components render
//                   model text and code as plain text meanwhile (text nodes:
//                   nothing unsanitized reaches the DOM), call
//                   loadMarkdown() and render again when it resolves.
//   loadMarkdown()  starts the load once; resolves with the module. A failed
//                   load (offline before the chunk was cached) rejects, and
//                   the next call tries again.
// The controller awaits loadMarkdown() before it shows a conversation that
// has items, so a reloaded conversation appears formatted at once.

let loaded = null;
let loading = null;

export function markdownNow() {
  return loaded;
}

export function loadMarkdown() {
  loading ??= import('./markdown.mjs').then(
    (m) => { loaded = m; return m; },
    (error) => { loading = null; throw error; },
  );
  return loading;
}
