// Shared styles for the app's components. Lit adopts them as constructable
// stylesheets (adoptedStyleSheets), which the page's CSP (style-src 'self')
// allows: no <style> element and no style attribute is ever written.
// Colours are custom properties set once on <code-interpreter> (light and
// dark) and inherited through every shadow root.
import { css } from 'lit';

export const tokens = css`
  :host {
    --ci-bg: #ffffff;
    --ci-bg-soft: #f6f7f8;
    --ci-bg-sunk: #eef0f2;
    --ci-panel: #fafafb;
    --ci-border: #e3e5e8;
    --ci-text: #1d2127;
    --ci-muted: #596273; /* 5.4:1 on --ci-bg-sunk, where the sidebar's 11 px dates sit (WCAG AA: 4.5) */
    --ci-accent: #0f766e;
    --ci-accent-soft: #e6f4f1;
    --ci-accent-text: #ffffff;
    --ci-user: #eef2f7;
    --ci-danger: #b42318;
    --ci-danger-soft: #fef3f2;
    --ci-warn: #a15c07;
    --ci-warn-soft: #fffaeb;
    --ci-code-bg: #f6f8fa;
    --ci-shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 8px 24px rgb(16 24 40 / 8%);
    --ci-radius: 12px;
    --ci-font: ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
    --ci-mono: ui-monospace, SFMono-Regular, 'SF Mono', Menlo, Consolas, 'Liberation Mono', monospace;
    color-scheme: light dark;
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --ci-bg: #1b1c1f;
      --ci-bg-soft: #232428;
      --ci-bg-sunk: #2b2d31;
      --ci-panel: #17181a;
      --ci-border: #34363c;
      --ci-text: #e8e9ec;
      --ci-muted: #9aa1ad;
      --ci-accent: #2cc5b0;
      --ci-accent-soft: #153b37;
      --ci-accent-text: #0b1716;
      --ci-user: #2a2d33;
      --ci-danger: #ff8a7a;
      --ci-danger-soft: #3a1d1a;
      --ci-warn: #f5c05a;
      --ci-warn-soft: #352a12;
      --ci-code-bg: #141518;
      --ci-shadow: 0 1px 2px rgb(0 0 0 / 30%), 0 8px 24px rgb(0 0 0 / 35%);
    }
  }
`;

export const base = css`
  :host { font-family: var(--ci-font); color: var(--ci-text); box-sizing: border-box; }
  *, *::before, *::after { box-sizing: inherit; }
  button {
    font: inherit; font-size: 0.875rem; color: inherit; background: transparent; border: 1px solid var(--ci-border);
    border-radius: 8px; padding: 0.35rem 0.7rem; cursor: pointer; line-height: 1.3; display: inline-flex; align-items: center; gap: 0.35rem;
  }
  button:hover:not(:disabled) { background: var(--ci-bg-sunk); }
  button:disabled { opacity: 0.5; cursor: default; }
  button.primary { background: var(--ci-accent); color: var(--ci-accent-text); border-color: var(--ci-accent); font-weight: 600; }
  button.primary:hover:not(:disabled) { background: var(--ci-accent); filter: brightness(1.08); }
  button.danger { color: var(--ci-danger); }
  button.ghost { border-color: transparent; }
  button.icon { padding: 0.3rem 0.45rem; border-color: transparent; }
  :focus-visible { outline: 2px solid var(--ci-accent); outline-offset: 2px; }
  input, select, textarea {
    font: inherit; color: inherit; background: var(--ci-bg); border: 1px solid var(--ci-border); border-radius: 8px; padding: 0.45rem 0.6rem;
  }
  input:focus, select:focus, textarea:focus { outline: 2px solid var(--ci-accent); outline-offset: 0; border-color: transparent; }
  svg.icon { flex: none; display: block; }
  .muted { color: var(--ci-muted); }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  .spinner {
    width: 0.9em; height: 0.9em; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent;
    display: inline-block; animation: ci-spin 0.8s linear infinite; vertical-align: -0.1em; flex: none;
  }
  @keyframes ci-spin { to { transform: rotate(360deg); } }
  @media (prefers-reduced-motion: reduce) { .spinner { animation-duration: 3s; } }
`;

/** highlight.js token colours (GitHub-like), light and dark. */
export const code = css`
  pre { margin: 0; overflow-x: auto; font-family: var(--ci-mono); font-size: 0.8125rem; line-height: 1.5; }
  code { font-family: var(--ci-mono); font-size: 0.85em; }
  .hljs-keyword, .hljs-built_in, .hljs-literal, .hljs-meta { color: #cf222e; }
  .hljs-string, .hljs-regexp { color: #0a3069; }
  .hljs-number, .hljs-attr, .hljs-variable, .hljs-params { color: #0550ae; }
  .hljs-comment { color: #6e7781; font-style: italic; }
  .hljs-title, .hljs-title.function_, .hljs-title.class_, .hljs-section { color: #8250df; }
  .hljs-subst, .hljs-punctuation { color: inherit; }
  @media (prefers-color-scheme: dark) {
    .hljs-keyword, .hljs-built_in, .hljs-literal, .hljs-meta { color: #ff7b72; }
    .hljs-string, .hljs-regexp { color: #a5d6ff; }
    .hljs-number, .hljs-attr, .hljs-variable, .hljs-params { color: #79c0ff; }
    .hljs-comment { color: #8b949e; }
    .hljs-title, .hljs-title.function_, .hljs-title.class_, .hljs-section { color: #d2a8ff; }
  }
`;

/** Rendered markdown (assistant text, text/markdown outputs). */
export const prose = css`
  .prose { line-height: 1.6; overflow-wrap: anywhere; }
  .prose > :first-child { margin-top: 0; }
  .prose > :last-child { margin-bottom: 0; }
  .prose p, .prose ul, .prose ol, .prose pre, .prose table, .prose blockquote { margin: 0.6em 0; }
  .prose h1, .prose h2, .prose h3, .prose h4 { margin: 1em 0 0.4em; line-height: 1.3; }
  .prose h1 { font-size: 1.35em; } .prose h2 { font-size: 1.2em; } .prose h3 { font-size: 1.05em; }
  .prose pre { background: var(--ci-code-bg); border: 1px solid var(--ci-border); border-radius: 8px; padding: 0.7rem 0.85rem; }
  .prose :not(pre) > code { background: var(--ci-bg-sunk); padding: 0.1em 0.35em; border-radius: 5px; }
  .prose a { color: var(--ci-accent); }
  .prose a[data-ci-file] { font-weight: 600; }
  .prose a[data-ci-file]::before { content: '↓ '; }
  .prose blockquote { border-left: 3px solid var(--ci-border); padding-left: 0.8em; color: var(--ci-muted); }
  .prose table { border-collapse: collapse; display: block; overflow-x: auto; max-width: 100%; font-size: 0.9em; }
  .prose th, .prose td { border: 1px solid var(--ci-border); padding: 0.3em 0.6em; text-align: left; }
  .prose th { background: var(--ci-bg-soft); }
  .prose img { max-width: 100%; }
  .prose img:not([src]) { display: none; }
  .prose hr { border: 0; border-top: 1px solid var(--ci-border); }
`;

/** A data table (CSV previews, tables from HTML outputs). */
export const table = css`
  .table-wrap { overflow: auto; max-height: 24rem; border: 1px solid var(--ci-border); border-radius: 8px; background: var(--ci-bg); }
  table.data { border-collapse: collapse; font-size: 0.8125rem; font-variant-numeric: tabular-nums; width: max-content; min-width: 100%; }
  table.data th, table.data td { padding: 0.3rem 0.6rem; border-bottom: 1px solid var(--ci-border); text-align: left; white-space: nowrap; max-width: 24rem; overflow: hidden; text-overflow: ellipsis; }
  table.data th { position: sticky; top: 0; background: var(--ci-bg-soft); font-weight: 600; }
  table.data tr:hover td { background: var(--ci-bg-soft); }
`;
