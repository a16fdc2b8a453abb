// Settings (a modal <dialog>): the model endpoint (presets, base URL,
// format, API key kept on this device per provider, model from the
// endpoint's /models list or typed), temperature, tools, a system prompt
// addition, the time limit per run and the steps per turn.
import { LitElement, html, css, nothing } from 'lit';
import { base } from './theme.mjs';
import { icon } from './icons.mjs';
import { PRESETS, presetById, originOf } from '../app/providers.mjs';

export class CiSettings extends LitElement {
  static properties = {
    app: { attribute: false },
    draft: { state: true },
    key: { state: true },
    showKey: { state: true },
    models: { state: true },
    modelsError: { state: true },
    loadingModels: { state: true },
    typeModel: { state: true },
  };

  static styles = [base, css`
    dialog { border: 1px solid var(--ci-border); border-radius: 16px; padding: 0; width: min(36rem, calc(100vw - 1.5rem)); max-height: calc(100dvh - 2rem); background: var(--ci-bg); color: var(--ci-text); box-shadow: var(--ci-shadow); }
    dialog::backdrop { background: rgb(0 0 0 / 35%); }
    form { display: flex; flex-direction: column; max-height: calc(100dvh - 2rem); }
    header { padding: 1rem 1.25rem 0.5rem; display: flex; align-items: center; }
    header h2 { margin: 0; font-size: 1.1rem; flex: 1; }
    .body { padding: 0.5rem 1.25rem 1rem; overflow-y: auto; display: grid; gap: 0.9rem; }
    fieldset { border: 0; padding: 0; margin: 0; display: grid; gap: 0.75rem; }
    legend { font-weight: 600; font-size: 0.8125rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--ci-muted); margin-bottom: 0.5rem; padding: 0; }
    label { display: grid; gap: 0.3rem; font-size: 0.875rem; font-weight: 500; }
    label.check { display: flex; align-items: center; gap: 0.5rem; font-weight: 400; }
    .hint { font-size: 0.75rem; color: var(--ci-muted); font-weight: 400; }
    .hint.error { color: var(--ci-danger); }
    .row { display: flex; gap: 0.5rem; align-items: stretch; }
    .row > :first-child { flex: 1; min-width: 0; }
    .two { display: grid; grid-template-columns: 1fr 1fr; gap: 0.75rem; }
    input, select, textarea { width: 100%; }
    input[type=checkbox] { width: auto; }
    textarea { min-height: 4.5rem; resize: vertical; }
    footer { display: flex; justify-content: flex-end; gap: 0.5rem; padding: 0.75rem 1.25rem; border-top: 1px solid var(--ci-border); }
    @media (max-width: 520px) { .two { grid-template-columns: 1fr; } }
  `];

  get dialog() { return this.renderRoot.querySelector('dialog'); }

  async open() {
    const s = this.app.vm.settings;
    this.draft = { ...s };
    this.key = await this.app.keyFor(s.preset);
    this.keyOrigin = originOf(s.baseUrl); // the key field's value belongs to this origin
    this.showKey = false;
    this.typeModel = false;
    this.models = null;
    await this.updateComplete;
    this.dialog.showModal();
    this.loadModels();
  }

  close() { this.dialog?.close(); }

  set(field, value) {
    this.draft = { ...this.draft, [field]: value };
  }

  // A model picked from the list: what the endpoint's list says of it (its
  // context window, whether it takes images) becomes the draft's, where it says.
  pickModel(model) {
    const info = this.models?.info?.[model] ?? {};
    this.draft = {
      ...this.draft,
      model,
      ...(typeof info.vision === 'boolean' ? { vision: info.vision } : {}),
      ...(Number.isInteger(info.context_window) ? { contextWindow: info.context_window } : {}),
      ...(typeof info.reasoning === 'boolean' ? { reasoning: info.reasoning } : {}),
    };
  }

  async choosePreset(id) {
    const p = presetById(id);
    // vision and contextWindow back to null: the new preset's own.
    this.draft = { ...this.draft, preset: p.id, baseUrl: p.baseUrl || this.draft.baseUrl, format: p.format, model: p.model, vision: null, contextWindow: null, reasoning: false };
    this.key = await this.app.keyFor(p.id);
    this.keyOrigin = originOf(this.draft.baseUrl);
    this.models = null;
    this.typeModel = false;
    this.loadModels();
  }

  async loadModels() {
    const { baseUrl, format } = this.draft;
    if (!baseUrl) return;
    if (this.needsReload) { // the page may not connect there yet (csp.mjs): the list loads after the reload
      this.loadToken = (this.loadToken ?? 0) + 1;
      this.models = null;
      this.modelsError = '';
      this.loadingModels = false;
      return;
    }
    const token = (this.loadToken = (this.loadToken ?? 0) + 1);
    this.loadingModels = true;
    this.modelsError = '';
    try {
      // Asked by the core; the key goes along only to the origin it was entered for (not to a base URL being typed).
      const models = await this.app.listModels({ baseUrl, format }, { key: this.key, keyOrigin: this.keyOrigin });
      if (token !== this.loadToken) return;
      this.models = models;
      if (!this.draft.model && models.length) this.pickModel(models[0]);
      if (this.draft.model && !models.includes(this.draft.model)) this.typeModel = true;
    } catch (error) {
      if (token !== this.loadToken) return;
      this.models = null;
      this.modelsError = `${error.message} Type the model's name instead.`;
    } finally {
      if (token === this.loadToken) this.loadingModels = false;
    }
  }

  /** The draft's endpoint is on an origin the page's connect policy lacks: saving reloads the app. */
  get needsReload() {
    try {
      new URL(this.draft?.baseUrl); // eslint-disable-line no-new
    } catch {
      return false; // not a URL yet: the form's own check says so
    }
    return !!this.app.needsReloadFor?.(this.draft.baseUrl);
  }

  async save(e) {
    e.preventDefault();
    const d = this.draft;
    const temperature = d.temperatureText === undefined ? d.temperature : (d.temperatureText === '' ? null : Number(d.temperatureText));
    const { temperatureText, ...rest } = d;
    void temperatureText;
    await this.app.saveSettings({ ...rest, temperature: Number.isFinite(temperature) ? temperature : null }, this.key);
    this.close();
  }

  renderModel() {
    const d = this.draft;
    const list = this.models && !this.typeModel;
    return html`<label>Model
      <div class="row">
        ${list
          ? html`<select name="model" .value=${d.model} @change=${(e) => this.pickModel(e.target.value)}>
              ${this.models.map((m) => html`<option value=${m} ?selected=${m === d.model}>${m}</option>`)}</select>`
          : html`<input name="model" .value=${d.model ?? ''} placeholder="e.g. gpt-4o-mini, llama3.2" @input=${(e) => this.set('model', e.target.value)} autocomplete="off">`}
        ${this.models ? html`<button type="button" @click=${() => { this.typeModel = !this.typeModel; }}>${list ? 'Type a name' : 'Pick from list'}</button>` : nothing}
        <button type="button" @click=${() => this.loadModels()} title="Fetch the endpoint's model list" aria-label="Refresh the model list">${this.loadingModels ? html`<span class="spinner"></span>` : '↻'}</button>
      </div>
      ${this.modelsError ? html`<span class="hint error">${this.modelsError}</span>` : this.models ? html`<span class="hint">${this.models.length} models at this endpoint</span>` : nothing}
    </label>`;
  }

  render() {
    const d = this.draft;
    const preset = d ? presetById(d.preset) : null;
    return html`<dialog aria-labelledby="settings-title" @close=${() => this.dispatchEvent(new CustomEvent('closed'))}>
      ${d ? html`<form method="dialog" @submit=${this.save}>
        <header><h2 id="settings-title">Settings</h2><button type="button" class="icon" aria-label="Close settings" @click=${() => this.close()}>${icon('x')}</button></header>
        <div class="body">
          <fieldset>
            <legend>Model endpoint</legend>
            <label>Provider
              <select name="preset" @change=${(e) => this.choosePreset(e.target.value)}>
                ${PRESETS.map((p) => html`<option value=${p.id} ?selected=${p.id === d.preset}>${p.name}</option>`)}
              </select>
            </label>
            <div class="two">
              <label>Base URL
                <input name="baseUrl" type="url" required .value=${d.baseUrl} placeholder="https://…/v1" @change=${(e) => { this.set('baseUrl', e.target.value.trim()); this.loadModels(); }}>
              </label>
              <label>Format
                <select name="format" @change=${(e) => this.set('format', e.target.value)}>
                  <option value="openai" ?selected=${d.format === 'openai'}>OpenAI Chat Completions</option>
                  <option value="anthropic" ?selected=${d.format === 'anthropic'}>Anthropic Messages</option>
                  <option value="responses" ?selected=${d.format === 'responses'}>OpenAI Responses</option>
                </select>
              </label>
            </div>
            ${this.needsReload ? html`<p class="hint" role="note" data-reload-note>For your safety this page connects only to the endpoint you chose. Saving reloads the app to allow ${new URL(d.baseUrl, location.href).origin}: conversations and files are kept, a running answer stops, Python restarts. Settings open again after the reload with this endpoint's model list.</p>` : nothing}
            ${preset.key !== 'none' || this.key ? html`<label>API key for ${preset.name}
              <div class="row">
                <input name="apiKey" type=${this.showKey ? 'text' : 'password'} autocomplete="off" spellcheck="false" .value=${this.key ?? ''}
                  placeholder=${preset.key === 'required' ? 'Required' : 'Optional'} @change=${(e) => { this.key = e.target.value.trim(); this.keyOrigin = originOf(this.draft.baseUrl); this.loadModels(); }}>
                <button type="button" @click=${() => { this.showKey = !this.showKey; }} aria-pressed=${String(!!this.showKey)}>${this.showKey ? 'Hide' : 'Show'}</button>
              </div>
              <span class="hint">Stored on this device only (IndexedDB), sent only to ${d.baseUrl ? new URL(d.baseUrl, location.href).origin : 'this endpoint'}, never exported.</span>
            </label>` : html`<p class="hint">A local server needs no key. If the browser is refused (CORS), start Ollama with <code>OLLAMA_ORIGINS=${location.origin}</code>.</p>`}
            ${this.renderModel()}
            <label class="check"><input type="checkbox" .checked=${d.tools !== false} @change=${(e) => this.set('tools', e.target.checked)}> The model can call tools (off: it writes <code>\`\`\`python</code> blocks that run)</label>
            <label class="check"><input type="checkbox" name="vision" .checked=${d.vision ?? !!preset.vision} @change=${(e) => this.set('vision', e.target.checked)}> The model can see images (uploads and the charts runs show are sent to it)</label>
            ${d.format === 'responses' ? html`<label class="check"><input type="checkbox" name="reasoning" .checked=${d.reasoning === true} @change=${(e) => this.set('reasoning', e.target.checked)}> The model reasons (o-series, gpt-5): its reasoning is kept between the code it runs</label>
            ${d.reasoning === true ? html`<label class="check sub"><input type="checkbox" name="reasoningSummary" .checked=${d.reasoningSummary === true} @change=${(e) => this.set('reasoningSummary', e.target.checked)}> Show summaries of its reasoning (OpenAI may first ask your organization to verify itself)</label>` : nothing}` : nothing}
            <label>Context window (tokens)
              <input name="contextWindow" type="number" min="1000" step="1" .value=${d.contextWindow ?? ''}
                placeholder=${preset.contextWindow ? `${preset.contextWindow} (this provider's)` : 'unknown'}
                @input=${(e) => this.set('contextWindow', e.target.value === '' ? null : Math.trunc(Number(e.target.value)) || null)}>
              <span class="hint">Older outputs are trimmed to keep each request within it. Blank: ${preset.contextWindow ? 'the provider\'s' : 'unknown (trimmed only when the model refuses a request as too long)'}.</span>
            </label>
          </fieldset>
          <fieldset>
            <legend>Behaviour</legend>
            <div class="two">
              <label>Temperature
                <input name="temperature" type="number" min="0" max="2" step="0.1" placeholder="model default"
                  .value=${d.temperatureText ?? (d.temperature ?? '')} @input=${(e) => this.set('temperatureText', e.target.value)}>
              </label>
              <label>Time limit per run (s)
                <input name="timeLimitS" type="number" min="1" max="3600" .value=${String(d.timeLimitS)} @input=${(e) => this.set('timeLimitS', Number(e.target.value) || 120)}>
              </label>
              <label>Model steps per turn
                <input name="maxSteps" type="number" min="1" max="100" .value=${String(d.maxSteps)} @input=${(e) => this.set('maxSteps', Number(e.target.value) || 12)}>
              </label>
            </div>
            <label class="check"><input type="checkbox" name="collapseCode" .checked=${d.collapseCode !== false} @change=${(e) => this.set('collapseCode', e.target.checked)}> Collapse code after it runs without error (its outputs stay; "Show code" opens it)</label>
            <label>Add to the system prompt
              <textarea name="systemPromptExtra" .value=${d.systemPromptExtra ?? ''} placeholder="e.g. Answer in French. Prefer seaborn for charts." @input=${(e) => this.set('systemPromptExtra', e.target.value)}></textarea>
            </label>
          </fieldset>
        </div>
        <footer>
          <button type="button" @click=${() => this.close()}>Cancel</button>
          <button type="submit" class="primary">${this.needsReload ? 'Save and reload' : 'Save'}</button>
        </footer>
      </form>` : nothing}
    </dialog>`;
  }
}
customElements.define('ci-settings', CiSettings);
