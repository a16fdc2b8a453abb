// Model endpoints: the presets people pick from, the /models list, and the
// probe for a local server on first start. Keys are passed in by the caller
// and go only to the preset's own base URL. Settings → the core's config and
// the key-origin rule: js_glue/settings.mjs.
export { originOf } from '../../js_glue/settings.mjs';

/** format: the wire format; key: 'required' | 'optional' | 'none'. */
export const PRESETS = [
  { id: 'openai', name: 'OpenAI', baseUrl: 'https://api.openai.com/v1', format: 'openai', key: 'required', model: 'gpt-4o-mini' },
  { id: 'anthropic', name: 'Anthropic', baseUrl: 'https://api.anthropic.com/v1', format: 'anthropic', key: 'required', model: 'claude-sonnet-4-5' },
  { id: 'openrouter', name: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', format: 'openai', key: 'required', model: '' },
  { id: 'groq', name: 'Groq', baseUrl: 'https://api.groq.com/openai/v1', format: 'openai', key: 'required', model: '' },
  { id: 'gemini', name: 'Google Gemini', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', format: 'openai', key: 'required', model: 'gemini-2.5-flash' },
  { id: 'mistral', name: 'Mistral', baseUrl: 'https://api.mistral.ai/v1', format: 'openai', key: 'required', model: '' },
  { id: 'deepseek', name: 'DeepSeek', baseUrl: 'https://api.deepseek.com/v1', format: 'openai', key: 'required', model: 'deepseek-chat' },
  { id: 'ollama', name: 'Ollama (local)', baseUrl: 'http://localhost:11434/v1', format: 'openai', key: 'none', model: '' },
  { id: 'llamacpp', name: 'llama.cpp server (local)', baseUrl: 'http://localhost:8080/v1', format: 'openai', key: 'none', model: '' },
  { id: 'lmstudio', name: 'LM Studio (local)', baseUrl: 'http://localhost:1234/v1', format: 'openai', key: 'none', model: '' },
  { id: 'custom', name: 'Custom (OpenAI-compatible URL)', baseUrl: '', format: 'openai', key: 'optional', model: '' },
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
};

/** Headers for a GET to this endpoint (the key is for this base URL only). */
function authHeaders(format, key) {
  if (format === 'anthropic') {
    const h = { 'anthropic-version': '2023-06-01', 'anthropic-dangerous-direct-browser-access': 'true' };
    if (key) h['x-api-key'] = key;
    return h;
  }
  return key ? { authorization: `Bearer ${key}` } : {};
}

/**
 * The endpoint's model ids (GET {baseUrl}/models), sorted.
 * @throws {Error} with a message fit to show (no list, HTTP error, CORS).
 */
export async function fetchModels({ baseUrl, format, key, timeoutMs = 8000, fetch: f = globalThis.fetch.bind(globalThis) }) {
  const url = `${baseUrl.replace(/\/+$/, '')}/models`;
  let response;
  try {
    response = await f(url, { headers: authHeaders(format, key), signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`Could not reach ${url} (${error.name === 'TimeoutError' ? 'timed out' : 'network error or CORS refusal'}).`);
  }
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}.`);
  const body = await response.json().catch(() => null);
  const list = Array.isArray(body?.data) ? body.data : Array.isArray(body?.models) ? body.models : null;
  if (!list) throw new Error(`${url} did not return a model list.`);
  return list.map((m) => (typeof m === 'string' ? m : m.id ?? m.name)).filter(Boolean).sort();
}

/** Local servers to offer on first start: the presets that answer /models quickly. */
export async function probeLocalServers({ timeoutMs = 1500, fetch: f } = {}) {
  const local = PRESETS.filter((p) => p.id === 'ollama' || p.id === 'llamacpp');
  const answers = await Promise.all(local.map(async (p) => {
    try {
      const models = await fetchModels({ baseUrl: p.baseUrl, format: p.format, timeoutMs, fetch: f });
      return { preset: p.id, name: p.name, baseUrl: p.baseUrl, models };
    } catch {
      return null;
    }
  }));
  return answers.filter(Boolean);
}
