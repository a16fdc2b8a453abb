// Settings → the core's `configure` event, written once for every front end
// (the app, <code-interpreter>, createSession, the dev page, the CLI).
//
// Settings (all optional):
//   format            'openai' | 'anthropic' | 'responses'   the wire format (Chat Completions,
//                     Messages, OpenAI Responses; a key goes as x-api-key to Anthropic, else as a bearer token)
//   baseUrl           the endpoint ('' for none: code runs without a model)
//   model             the model id
//   tools             the model may call the Python tool (true)
//   temperature       number | null
//   systemPromptExtra added to the core's system prompt
//   timeLimitS        seconds per run, at least 1 (120)
//   maxSteps          model calls per turn, 1…100 (12)
//   vision            the model takes images (false: none are sent)
//   contextWindow     the model's window in tokens (0 or absent: unknown; the core then trims only
//                     after a context-length error). The app fills both from its preset when unset
//                     (web/app/providers.mjs withModelDefaults)
//   promptCaching     Anthropic prompt caching (true)
//   reasoning         Responses only: the model reasons (o-series, gpt-5); its encrypted reasoning
//                     is kept between the tool calls of a turn (false: a model without reasoning
//                     refuses the request that asks for it)
//   reasoningSummary  Responses only, with reasoning: show its reasoning summaries (false; OpenAI
//                     asks some organizations to verify themselves first)
//
// The key rule: a key is entered for one origin and goes only there. A key
// bound to another origin than the base URL's is not usable (usableKey), and
// the driver adds a usable key only to requests to that origin
// (js_glue/driver.mjs headersFor).

export const DEFAULT_PYTHON_VERSION = '3.14';
export const DEFAULT_TIME_LIMIT_S = 120;
export const DEFAULT_MAX_STEPS = 12;

/** The origin of a URL, or '' when it is not one (keys are bound to an origin). */
export const originOf = (url) => {
  try { return new URL(url).origin; } catch { return ''; }
};

/** A base URL as the core wants it: trimmed, without a trailing slash. */
export const cleanBaseUrl = (url) => String(url ?? '').trim().replace(/\/+$/, '');

/** The key if it was entered for the origin of `baseUrl` (or was never bound to one), else ''. */
export function usableKey(key, keyOrigin, baseUrl) {
  return key && (!keyOrigin || keyOrigin === originOf(baseUrl)) ? key : '';
}

/** The core's `provider` config (no key: only how to send one). */
export function providerConfig(settings, hasKey) {
  const format = settings.format ?? 'openai';
  return {
    format,
    base_url: cleanBaseUrl(settings.baseUrl),
    model: settings.model ?? '',
    tools: settings.tools !== false,
    temperature: Number.isFinite(settings.temperature) ? settings.temperature : null,
    auth: hasKey ? (format === 'anthropic' ? 'x-api-key' : 'bearer') : 'none',
    vision: settings.vision === true,
    context_window: contextWindow(settings.contextWindow),
    prompt_caching: settings.promptCaching !== false,
    reasoning: format === 'responses' && settings.reasoning === true,
    reasoning_summary: format === 'responses' && settings.reasoning === true && settings.reasoningSummary === true ? 'auto' : null,
  };
}

/** A context window in tokens: a positive whole number, else 0 (unknown). */
export const contextWindow = (n) => Math.max(0, Math.trunc(Number(n)) || 0);

/** Model calls per turn: a whole number in 1…100. */
export const maxSteps = (n) => Math.max(1, Math.min(100, Math.trunc(Number(n)) || DEFAULT_MAX_STEPS));

/** The time limit per run in ms: at least 1 s. */
export const timeLimitMs = (seconds) => Math.round(Math.max(1, Number(seconds) || DEFAULT_TIME_LIMIT_S) * 1000);

/**
 * The whole `configure` event body.
 * @param {object} settings
 * @param {{python?: string, packages?: string[]}|null} info  the running Python's (null before it started)
 * @param {boolean} hasKey
 */
export function coreConfig(settings, info, hasKey) {
  return {
    provider: providerConfig(settings, hasKey),
    limits: { max_steps: maxSteps(settings.maxSteps) },
    sandbox: {
      python_version: info?.python ?? DEFAULT_PYTHON_VERSION,
      packages: info?.packages ?? [],
      time_limit_ms: timeLimitMs(settings.timeLimitS),
    },
    system_prompt_extra: String(settings.systemPromptExtra ?? ''),
  };
}
