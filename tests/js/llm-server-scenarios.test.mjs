// The scripted model server's scenario files (tests/scenarios/*.json) and its
// command line: every scenario loads into wire-form steps, and the command
// prints the base URL, serves the scenario and starts it over when it runs out.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadScenario, SCENARIOS_DIR, startLlmServer } from '../support/llm-server.mjs';

const SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/llm-server.mjs');
// A request as our client sends it (the server validates every model request).
const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
const STEP_KEYS = new Set(['text', 'thinking', 'tool_calls', 'finish_reason', 'usage', 'status', 'error', 'headers', 'body', 'delay_ms', 'cut_after', 'hang', 'context_window', 'incomplete', 'failed', 'stream_error']);

test('every scenario file loads into wire-form steps', () => {
  const names = fs.readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  assert.ok(names.length >= 3, names.join());
  for (const name of names) {
    const s = loadScenario(name);
    assert.equal(s.name, name);
    assert.ok(s.description.length > 20, `${name} is described`);
    for (const step of s.steps) {
      for (const k of Object.keys(step)) assert.ok(STEP_KEYS.has(k), `${name}: unknown step key ${k}`);
      if (step.text !== undefined) assert.equal(typeof step.text, 'string');
      for (const call of step.tool_calls ?? []) {
        assert.equal(typeof call.id, 'string');
        assert.equal(typeof JSON.parse(call.arguments).code, 'string', `${name}: tool call arguments hold code`);
      }
    }
  }
  assert.deepEqual(loadScenario(path.join(SCENARIOS_DIR, 'fenced-code.json')).steps, loadScenario('fenced-code').steps, 'by path or by name');
  assert.throws(() => loadScenario('no-such-scenario'), /cannot read/);
});

test('onEmpty refills the queue', async () => {
  const server = await startLlmServer({ onEmpty: () => [{ text: 'again' }] });
  try {
    for (let i = 0; i < 2; i += 1) {
      const r = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: CHAT });
      assert.equal(r.status, 200);
      assert.match(await r.text(), /again/);
    }
  } finally {
    await server.close();
  }
});

test('the command prints the base URL and loops the scenario', async () => {
  const child = spawn(process.execPath, [SERVER, '--port', '0', '--scenario', 'provider-error'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    const url = await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/(http:\/\/127\.0\.0\.1:\d+)\/v1/);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body: CHAT });
      statuses.push(r.status);
      await r.text();
    }
    assert.deepEqual(statuses, [429, 401, 429], 'the scenario starts over');
    const models = await (await fetch(`${url}/v1/models`)).json();
    assert.equal(models.data[0].id, 'gpt-4o-mini');
    await new Promise((resolve) => {
      const check = () => (/starting it over/.test(out) ? resolve() : setTimeout(check, 50));
      check();
    });
  } finally {
    child.kill('SIGTERM');
  }
});
