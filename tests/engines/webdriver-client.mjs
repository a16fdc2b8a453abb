// A small W3C WebDriver (classic: HTTP + JSON) client over Node's global
// fetch, enough for WebKitWebDriver. No dependency: webdriverio would pull in
// dozens of packages for the ten commands we use.
import { setTimeout as delay } from 'node:timers/promises';

/** The key of a web element reference in WebDriver JSON. */
export const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';

/** An error answered by the driver ({ value: { error, message } }), named with its command. */
export class WebDriverError extends Error {
  constructor(command, error, message) {
    super(`WebDriver ${command}: ${error}: ${message}`);
    this.name = 'WebDriverError';
    this.command = command;
    this.error = error; // the W3C error code, e.g. 'no such element', 'javascript error'
  }
}

/** How long a command may take before the client gives up (ms). */
export const COMMAND_TIMEOUT = 150000;

/**
 * One WebDriver command: `method` `base + path` with a JSON body; resolves to
 * the answer's `value`, rejects with a WebDriverError when the driver says
 * so (or a plain Error when the answer is no WebDriver JSON at all).
 */
export async function command(base, method, path, body, { timeout = COMMAND_TIMEOUT } = {}) {
  const name = `${method} ${path}`;
  // A command the driver never answers (it happens: a screenshot of a hidden
  // tab) must fail, not hang the test and keep the browser alive.
  const init = { method, headers: {}, signal: AbortSignal.timeout(timeout) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json; charset=utf-8';
  }
  if (process.env.WEBDRIVER_DEBUG) console.error(`[webdriver] ${name} ${init.body?.slice(0, 200) ?? ''}`);
  let response;
  try {
    response = await fetch(base + path, init);
  } catch (error) {
    const why = error.name === 'TimeoutError' ? `no answer within ${timeout} ms` : error.cause?.message || error.message;
    throw new Error(`WebDriver ${name}: ${why}`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`WebDriver ${name}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
  const value = json?.value;
  // W3C: an error is a 4xx/5xx answer whose value is { error, message }.
  if (!response.ok) {
    throw new WebDriverError(name, value?.error ?? `HTTP ${response.status}`, value?.message ?? text.slice(0, 200));
  }
  return value;
}

/**
 * Polls GET /status until the driver says ready (the driver process needs a
 * moment to bind its port). `alive()` is asked between polls so a driver that
 * died fails fast instead of running into the timeout.
 */
export async function waitForReady(base, { timeout = 20000, interval = 50, alive = () => true } = {}) {
  const deadline = Date.now() + timeout;
  let last = 'no answer';
  for (;;) {
    try {
      const status = await command(base, 'GET', '/status');
      if (status?.ready) return status;
      last = JSON.stringify(status);
    } catch (error) {
      last = error.message;
    }
    if (!alive()) throw new Error(`WebDriver at ${base} exited before it was ready (${last})`);
    if (Date.now() > deadline) throw new Error(`WebDriver at ${base} not ready after ${timeout} ms (${last})`);
    await delay(interval);
  }
}

/** A session: `cmd()` runs a command under /session/{id}; `exclusive()` serializes. */
export class Session {
  /** `timeout`: WebKitWebDriver waits forever for a browser that fails to start. */
  static async create(base, capabilities, { timeout = COMMAND_TIMEOUT } = {}) {
    const value = await command(base, 'POST', '/session', { capabilities }, { timeout });
    return new Session(base, value.sessionId, value.capabilities);
  }

  constructor(base, id, capabilities) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
    this.queue = Promise.resolve();
  }

  cmd(method, path = '', body) {
    return command(this.base, method, `/session/${this.id}${path}`, body);
  }

  /**
   * Runs `fn` when every earlier exclusive() call has finished: a session has
   * one "current window", so a page's switch-to-window and its command must
   * not interleave with another page's (the per-session mutex).
   */
  exclusive(fn) {
    const run = this.queue.then(() => fn());
    this.queue = run.catch(() => {});
    return run;
  }

  async delete() {
    await command(this.base, 'DELETE', `/session/${this.id}`);
  }
}
