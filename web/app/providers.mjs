// Model endpoints: the presets people pick from, and the probe for a local
// server on first start. The model list itself is a request of the core's
// (Session.listModels); settings → the core's config and the key-origin
// rule: js_glue/settings.mjs.
export { originOf } from '../../js_glue/settings.mjs';

/**
 * format: the wire format ('openai': Chat Completions, 'anthropic', 'responses': OpenAI Responses); key: 'required' | 'optional' | 'none'.
 * vision: the preset's model takes images; contextWindow: its window in tokens (0: unknown, so
 * the core trims only after a context-length error). Both hold for the preset's default model;
 * where the model depends on the user (OpenRouter, Groq, Mistral, local servers, custom) they
 * are false and 0, and the settings dialog says what to set.
 */
export const PRESETS = [
  // OpenAI's own: the Responses API (its newest models are served only there).
  { id: 'openai', name: 'OpenAI', baseUrl: 'https://api.openai.com/v1', format: 'responses', key: 'required', model: 'gpt-4o-mini', vision: true, contextWindow: 128000 },
  { id: 'anthropic', name: 'Anthropic', baseUrl: 'https://api.anthropic.com/v1', format: 'anthropic', key: 'required', model: 'claude-sonnet-4-5', vision: true, contextWindow: 200000 },
  { id: 'openrouter', name: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', format: 'openai', key: 'required', model: '', vision: false, contextWindow: 0 },
  { id: 'groq', name: 'Groq', baseUrl: 'https://api.groq.com/openai/v1', format: 'openai', key: 'required', model: '', vision: false, contextWindow: 0 },
  { id: 'gemini', name: 'Google Gemini', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', format: 'openai', key: 'required', model: 'gemini-2.5-flash', vision: true, contextWindow: 1048576 },
  { id: 'mistral', name: 'Mistral', baseUrl: 'https://api.mistral.ai/v1', format: 'openai', key: 'required', model: '', vision: false, contextWindow: 0 },
  // deepseek-chat: text only; 64K tokens (the smaller of the windows DeepSeek has served it with).
  { id: 'deepseek', name: 'DeepSeek', baseUrl: 'https://api.deepseek.com/v1', format: 'openai', key: 'required', model: 'deepseek-chat', vision: false, contextWindow: 65536 },
  { id: 'ollama', name: 'Ollama (local)', baseUrl: 'http://localhost:11434/v1', format: 'openai', key: 'none', model: '', vision: false, contextWindow: 0 },
  { id: 'llamacpp', name: 'llama.cpp server (local)', baseUrl: 'http://localhost:8080/v1', format: 'openai', key: 'none', model: '', vision: false, contextWindow: 0 },
  { id: 'lmstudio', name: 'LM Studio (local)', baseUrl: 'http://localhost:1234/v1', format: 'openai', key: 'none', model: '', vision: false, contextWindow: 0 },
  { id: 'custom', name: 'Custom (OpenAI-compatible URL)', baseUrl: '', format: 'openai', key: 'optional', model: '', vision: false, contextWindow: 0 },
];

export function presetById(id) {
  return PRESETS.find((p) => p.id === id) ?? PRESETS.at(-1);
}

export const DEFAULT_SETTINGS = {
  preset: 'ollama',
  baseUrl: 'http://localhost:11434/v1',
  format: 'openai',
  model: '',
  tools: true,
  temperature: null,
  systemPromptExtra: '',
  timeLimitS: 120,
  maxSteps: 12,
  vision: null, // null: the preset's (modelDefaults)
  contextWindow: null, // tokens; null: the preset's (0 there: unknown)
  reasoning: false, // Responses: the model reasons (its encrypted reasoning is kept within a turn)
  reasoningSummary: false, // …and shows summaries of it
};

/**
 * Settings with `vision` and `contextWindow` filled in: the user's when set
 * (true/false; a positive whole number), else the preset's. What goes to the
 * core (js_glue/settings.mjs providerConfig → provider.vision, .context_window).
 */
export function withModelDefaults(settings) {
  const preset = presetById(settings.preset);
  const window = Math.trunc(Number(settings.contextWindow));
  return {
    ...settings,
    vision: typeof settings.vision === 'boolean' ? settings.vision : !!preset.vision,
    contextWindow: settings.contextWindow !== null && settings.contextWindow !== '' && window > 0 ? window : preset.contextWindow ?? 0,
  };
}

/**
 * Local servers to offer on first start: the presets that answer /models
 * quickly. `listModels(preset, timeoutMs)` asks one (the Session's, through
 * the core: it knows each provider's path and headers).
 */
export async function probeLocalServers(listModels, { timeoutMs = 1500 } = {}) {
  const local = PRESETS.filter((p) => p.id === 'ollama' || p.id === 'llamacpp');
  const answers = await Promise.all(local.map(async (p) => {
    try {
      const models = await listModels(p, timeoutMs);
      return { preset: p.id, name: p.name, baseUrl: p.baseUrl, models };
    } catch {
      return null;
    }
  }));
  return answers.filter(Boolean);
}
