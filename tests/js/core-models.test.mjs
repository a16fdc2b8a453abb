// The model list as a core request: list_models → an http_request the
// unchanged driver performs over real HTTP → a `models` emit. The server
// records the headers it got, so the wire details (API version, browser
// opt-in, the key on its own endpoint only) are checked where they arrive.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Driver } from '../../js_glue/driver.mjs';
import { loadBuiltCore } from './load-core.mjs';

const KEY = 'sk-test-models-41c2';

async function startModelsServer(answer) {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    const { status, body } = answer(req);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function listModels(format, answer, event = {}) {
  const core = await loadBuiltCore();
  const server = await startModelsServer(answer);
  const base = `${server.url}/v1`;
  const session = core.createSession({ provider: { format, base_url: base, model: 'm', auth: format === 'anthropic' ? 'x-api-key' : 'bearer' } });
  const emitted = [];
  const driver = new Driver(session, { apiKey: KEY, apiBaseUrl: base, onEmit: (e) => emitted.push(e) });
  try {
    const done = new Promise((resolve) => driver.on((e) => e.type === 'models' && resolve(e)));
    const r = driver.send({ type: 'list_models', ...event });
    assert.equal(r.error, undefined);
    const request = r.actions.find((a) => a.type === 'http_request');
    assert.equal(request.purpose, 'models');
    const models = await done;
    assert.equal(models.request_id, request.request_id);
    return { models, seen: server.seen, state: session.state() };
  } finally {
    driver.close();
    session.destroy();
    await server.close();
  }
}

test('openai: GET {base}/models with the key as a bearer token, ids sorted', async () => {
  const { models, seen, state } = await listModels('openai', () => ({
    status: 200, body: JSON.stringify({ object: 'list', data: [{ id: 'gpt-b' }, { id: 'gpt-a' }] }),
  }));
  assert.deepEqual(models.models, ['gpt-a', 'gpt-b']);
  assert.equal(models.error, undefined);
  assert.equal(seen[0].method, 'GET');
  assert.equal(seen[0].url, '/v1/models');
  assert.equal(seen[0].headers.authorization, `Bearer ${KEY}`);
  assert.equal(state, 'idle');
});

test('anthropic: the API version and the browser opt-in come from the core', async () => {
  const { models, seen } = await listModels('anthropic', () => ({
    status: 200, body: JSON.stringify({ data: [{ type: 'model', id: 'claude-x' }], has_more: false }),
  }));
  assert.deepEqual(models.models, ['claude-x']);
  assert.equal(seen[0].url, '/v1/models?limit=1000');
  assert.equal(seen[0].headers['anthropic-version'], '2023-06-01');
  assert.equal(seen[0].headers['anthropic-dangerous-direct-browser-access'], 'true');
  assert.equal(seen[0].headers['x-api-key'], KEY);
});

test('a refused key ends in a models emit with an error, in the one error shape', async () => {
  const { models } = await listModels('openai', () => ({
    status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }),
  }));
  assert.deepEqual(models.models, []);
  assert.equal(models.error.code, 'auth');
  assert.equal(models.error.detail.status, 401);
  assert.match(models.error.message, /Incorrect API key/);
});

test('an unreachable endpoint is a network error', async () => {
  const core = await loadBuiltCore();
  const session = core.createSession({ provider: { format: 'openai', base_url: 'http://127.0.0.1:9/v1', model: 'm' } });
  const driver = new Driver(session, {});
  const done = new Promise((resolve) => driver.on((e) => e.type === 'models' && resolve(e)));
  driver.send({ type: 'list_models' });
  const models = await done;
  assert.equal(models.error.code, 'network');
  driver.close();
  session.destroy();
});
