// The conversation list: new, search by title, open, rename, delete.
import { LitElement, html, css, nothing } from 'lit';
import { base } from './theme.mjs';
import { icon } from './icons.mjs';

function when(ms) {
  if (!ms) return '';
  const d = new Date(ms);
  const today = new Date();
  return d.toDateString() === today.toDateString()
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

export class CiSidebar extends LitElement {
  static properties = { app: { attribute: false }, vm: { attribute: false }, tick: { type: Number }, query: { state: true }, renaming: { state: true } };

  static styles = [base, css`
    :host { display: flex; flex-direction: column; min-height: 0; background: var(--ci-panel); }
    .top { padding: 0.75rem; display: grid; gap: 0.5rem; }
    .brand { display: flex; align-items: center; gap: 0.5rem; font-weight: 700; padding: 0.25rem 0.25rem 0.5rem; }
    .logo { width: 1.6rem; height: 1.6rem; border-radius: 8px; background: var(--ci-accent); color: var(--ci-accent-text); display: grid; place-items: center; font-size: 0.8rem; }
    .brand .spacer { flex: 1; }
    @media (min-width: 1100px) { .brand button { display: none; } }
    .new { justify-content: center; width: 100%; padding: 0.5rem; }
    input[type=search] { width: 100%; font-size: 0.875rem; }
    nav { overflow-y: auto; flex: 1; padding: 0 0.5rem 0.75rem; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: minmax(0, 1fr); gap: 1px; }
    li { display: flex; align-items: center; border-radius: 8px; }
    li:hover, li[aria-current='page'] { background: var(--ci-bg-sunk); }
    li .open { flex: 1; min-width: 0; overflow: hidden; border: 0; text-align: left; padding: 0.5rem 0.6rem; display: block; background: none; }
    .title { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 0.875rem; }
    .date { font-size: 0.6875rem; color: var(--ci-muted); }
    li .act { visibility: hidden; font-size: 0.8rem; }
    li:hover .act, li:focus-within .act, li[aria-current='page'] .act { visibility: visible; }
    li input { flex: 1; margin: 0.25rem; font-size: 0.875rem; }
    .empty { font-size: 0.8125rem; color: var(--ci-muted); padding: 0.5rem; }
  `];

  constructor() {
    super();
    this.query = '';
    this.renaming = '';
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  startRename(id) {
    this.renaming = id;
    this.updateComplete.then(() => this.renderRoot.querySelector('li input')?.select());
  }

  finishRename(e, id) {
    const title = e.target.value.trim();
    this.renaming = '';
    if (title) this.app.renameConversation(id, title);
  }

  render() {
    const vm = this.vm;
    if (!vm) return nothing;
    const q = this.query.toLowerCase();
    let list = vm.conversations;
    if (!list.some((c) => c.id === vm.currentId)) list = [{ id: vm.currentId, title: vm.title || 'New conversation', updated_ms: Date.now(), unsaved: true }, ...list];
    const shown = list.filter((c) => !q || (c.title || 'Untitled').toLowerCase().includes(q));
    return html`
      <div class="top">
        <div class="brand"><span class="logo" aria-hidden="true">CI</span><span>Code Interpreter</span><span class="spacer"></span>
          <button type="button" class="icon" aria-label="Close the conversation list" @click=${() => this.emit('close-sidebar')}>${icon('x')}</button></div>
        <button type="button" class="new primary" @click=${() => { this.app.newConversation(); this.emit('navigated'); }}>${icon('plus')} New conversation</button>
        <label class="sr-only" for="search">Search conversations</label>
        <input id="search" type="search" placeholder="Search conversations" .value=${this.query} @input=${(e) => { this.query = e.target.value; }}>
      </div>
      <nav aria-label="Conversations">
        <ul>${shown.map((c) => html`<li aria-current=${c.id === vm.currentId ? 'page' : 'false'}>
          ${this.renaming === c.id
            ? html`<input aria-label="New title" .value=${c.title || ''} @keydown=${(e) => { if (e.key === 'Enter') this.finishRename(e, c.id); if (e.key === 'Escape') { e.stopPropagation(); this.renaming = ''; } }} @blur=${(e) => this.finishRename(e, c.id)}>`
            : html`<button type="button" class="open" @click=${() => { this.app.open(c.id); this.emit('navigated'); }}>
                <span class="title">${c.title || 'Untitled'}</span><span class="date">${c.unsaved ? 'not saved yet' : when(c.updated_ms)}</span></button>
              ${c.unsaved ? nothing : html`
                <button type="button" class="icon act" aria-label="Rename ${c.title || 'Untitled'}" title="Rename" @click=${() => this.startRename(c.id)}>${icon('pencil', 14)}</button>
                <button type="button" class="icon act danger" aria-label="Delete ${c.title || 'Untitled'}" title="Delete" @click=${() => { if (confirm(`Delete "${c.title || 'Untitled'}" and its files?`)) this.app.deleteConversation(c.id); }}>${icon('trash', 14)}</button>`}`}
        </li>`)}</ul>
        ${shown.length ? nothing : html`<p class="empty">No conversation matches.</p>`}
      </nav>`;
  }
}
customElements.define('ci-sidebar', CiSidebar);
