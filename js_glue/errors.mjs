// One error shape for every boundary the glue offers: {code, message, detail}.
//   code     a stable snake_case word a program can branch on ("busy", "closed", "refused", …)
//   message  a sentence fit to show a person
//   detail   optional data (the refused event, an HTTP status, …); never a secret
// Core protocol errors arrive as {code|type, message, detail?} (js_glue/core.mjs);
// errorOf() turns those, thrown Errors and strings into this shape.

export function sessionError(code, message, detail = undefined) {
  return detail === undefined ? { code, message } : { code, message, detail };
}

/** Any failure as {code, message, detail?}. `fallbackCode` names what failed when the value has no code. */
export function errorOf(value, fallbackCode = 'error') {
  if (value && typeof value === 'object') {
    // An Error's name says what failed when it is more than "Error" (WorkerRefused, TimeoutError, …).
    const named = value instanceof Error && value.name !== 'Error' ? value.name : null;
    const code = value.code ?? value.type ?? named ?? fallbackCode;
    const message = String(value.message ?? value);
    return sessionError(String(code), message, value.detail);
  }
  return sessionError(fallbackCode, String(value ?? 'unknown error'));
}
