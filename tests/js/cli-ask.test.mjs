// The CLI on the shared Session (js_glue/cli.mjs): `ask` against the scripted
// LLM server over real HTTP (all three wire formats), with real Pyodide running
// the model's cells; `run --notebook` checked by Jupyter's own nbformat and
// rendered by nbconvert (Debian's python3-nbformat / python3-nbconvert).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './load-core.mjs';
import { cli } from '../support/run-cli.mjs';
import { startLlmServer, loadScenario } from '../support/llm-server.mjs';

// Debian's interpreter: the one python3-nbformat and python3-nbconvert install into.
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const KEY = 'sk-cli-test-key-0123456789';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ci-cli-ask-'));

/** nbformat.validate + nbconvert to HTML; returns the HTML. */
function jupyterChecks(file) {
  const validate = spawnSync(PYTHON, ['-c', 'import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print(len(nb.cells))', file], { encoding: 'utf8' });
  assert.equal(validate.status, 0, `nbformat.validate failed:\n${validate.stderr}`);
  const out = tmp();
  const convert = spawnSync(PYTHON, ['-m', 'nbconvert', '--to', 'html', '--output-dir', out, file], { encoding: 'utf8' });
  assert.equal(convert.status, 0, `nbconvert failed:\n${convert.stderr}`);
  const html = fs.readdirSync(out).find((f) => f.endsWith('.html'));
  assert.ok(html, 'nbconvert wrote no HTML');
  return fs.readFileSync(path.join(out, html), 'utf8');
}

test('cli ask (OpenAI format): streams the answer, runs the cell, writes the chart and the notebook; the key goes to its endpoint only', async () => {
  const server = await startLlmServer();
  const dir = tmp();
  try {
    server.script(loadScenario('csv-chart').steps);
    fs.mkdirSync(path.join(dir, 'in'));
    fs.copyFileSync(path.join(ROOT, 'tests/scenarios/sales.csv'), path.join(dir, 'in/sales.csv'));
    const nb = path.join(dir, 'conversation.ipynb');
    const r = await cli(['ask', '--base-url', `${server.url}/v1`, '--model', 'gpt-4o-mini', '--key-env', 'CI_TEST_KEY',
      '--files', path.join(dir, 'in'), '--out', path.join(dir, 'out'), '--notebook', nb, 'Which region sells most? Draw it.'], { CI_TEST_KEY: KEY });
    assert.equal(r.code, 0, r.stderr);
    // stdout is the model's text only; the cell and its output went to stderr.
    assert.match(r.stdout, /Let me sum the sales per region/);
    assert.doesNotMatch(r.stdout, /import csv/);
    assert.match(r.stderr, /import csv/);
    assert.match(r.stderr, /East\s+150/, 'the cell ran on the uploaded sales.csv');
    const out = fs.readdirSync(path.join(dir, 'out'));
    assert.ok(out.includes('chart.png'), `the chart Python made is in --out (${out})`);
    assert.ok(!out.includes('sales.csv'), 'an upload Python did not change is not copied back');
    assert.deepEqual([...fs.readFileSync(path.join(dir, 'out/chart.png')).subarray(1, 4)], [0x50, 0x4e, 0x47]);
    const models = server.requests.filter((q) => q.path.endsWith('/chat/completions'));
    assert.equal(models.length, 2, 'one request for the tool call, one for the answer after it');
    for (const q of models) assert.equal(q.headers.authorization, `Bearer ${KEY}`);
    const html = jupyterChecks(nb);
    assert.match(html, /Which region sells most/);
    assert.match(html, /data:image\/png;base64/, 'the chart is in the notebook as a display output');
  } finally {
    await server.close();
  }
});

test('cli ask (Anthropic format): a tool call and its answer; a model error exits 1 with its message', async () => {
  const server = await startLlmServer();
  try {
    server.script([
      { tool_calls: [{ id: 'toolu_1', name: 'python', arguments: JSON.stringify({ code: 'print(6 * 7)' }) }] },
      { text: 'The answer is 42.' },
    ]);
    const ok = await cli(['ask', '--format', 'anthropic', '--base-url', `${server.url}/v1`, '--model', 'claude-sonnet-4-5', '--key-env', 'CI_TEST_KEY', 'What is 6 times 7?'], { CI_TEST_KEY: KEY });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /The answer is 42\./);
    assert.match(ok.stderr, /print\(6 \* 7\)\n42/);
    const sent = server.requests.filter((q) => q.path.endsWith('/messages'));
    assert.equal(sent.length, 2);
    assert.equal(sent[0].headers['x-api-key'], KEY);
    assert.ok(sent[0].headers['anthropic-version'], 'the core sends the API version');

    server.script([{ status: 401, error: { type: 'authentication_error', message: 'invalid x-api-key' } }]);
    const bad = await cli(['ask', '--format', 'anthropic', '--base-url', `${server.url}/v1`, '--model', 'claude-sonnet-4-5', 'Hello?']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error: .*(401|key|auth)/i);
    assert.equal(bad.stdout, '');
  } finally {
    await server.close();
  }
});

test('cli ask (OpenAI Responses format): a function call and its output, the answer streamed; the strict server finds nothing wrong', async () => {
  const server = await startLlmServer();
  try {
    server.script([
      { text: 'Computing.', tool_calls: [{ id: 'call_r1', name: 'python', arguments: JSON.stringify({ code: 'print(2 ** 10)' }) }], usage: { prompt_tokens: 300, completion_tokens: 20 } },
      { text: 'Two to the tenth is 1024.' },
    ]);
    const r = await cli(['ask', '--format', 'responses', '--base-url', `${server.url}/v1`, '--model', 'gpt-5-mini', '--key-env', 'CI_TEST_KEY', 'What is 2**10?'], { CI_TEST_KEY: KEY });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Computing\.\nTwo to the tenth is 1024\./);
    assert.match(r.stderr, /print\(2 \*\* 10\)\n1024/);
    const sent = server.requests.filter((q) => q.path.endsWith('/responses'));
    assert.equal(sent.length, 2);
    assert.equal(sent[0].headers.authorization, `Bearer ${KEY}`);
    for (const q of sent) assert.deepEqual(q.invalid ?? [], [], 'a request the real API would accept');
    const second = sent[1].body.input;
    const call = second.find((i) => i.type === 'function_call');
    const output = second.find((i) => i.type === 'function_call_output');
    assert.equal(call.call_id, 'call_r1');
    assert.equal(output.call_id, 'call_r1', 'the output answers its call');
    assert.match(output.output, /1024/);
  } finally {
    await server.close();
  }
});

test('cli ask: a step limit exits 3; bad usage exits 2 with the reason', async () => {
  const server = await startLlmServer();
  try {
    const call = (i) => ({ tool_calls: [{ id: `call_${i}`, name: 'python', arguments: JSON.stringify({ code: `print(${i})` }) }] });
    server.script([call(1), call(2), call(3)]);
    const r = await cli(['ask', '--base-url', `${server.url}/v1`, '--model', 'm', '--max-steps', '2', 'Loop forever.']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /step limit/);
  } finally {
    await server.close();
  }
  for (const [args, message] of [
    [['ask', '--model', 'm', 'q'], /--base-url/],
    [['ask', '--base-url', 'http://127.0.0.1:9/v1', 'q'], /--model/],
    [['ask', '--base-url', 'not a url', '--model', 'm', 'q'], /not a URL/],
    [['ask', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--format', 'gemini', 'q'], /openai or anthropic/],
    [['ask', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--key-env', 'CI_NO_SUCH_VARIABLE', 'q'], /CI_NO_SUCH_VARIABLE/],
    [['run', '--model', 'm', 'x.py'], /option of "ask"/],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /usage:/);
  }
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /ask --base-url URL --model M/);
});

test('cli run --notebook: stream, display and error outputs in a notebook Jupyter accepts and renders', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, '1.py'), 'print("hello from cell one")\nx = 21\n');
  fs.writeFileSync(path.join(dir, '2.py'), [
    'class H:',
    '    def _repr_html_(self): return "<b>bold output</b>"',
    'display(H())',
    'x * 2',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, '3.py'), 'raise ValueError("cell three fails")\n');
  const nb = path.join(dir, 'run.ipynb');
  const r = await cli(['run', '--notebook', nb, ...['1.py', '2.py', '3.py'].map((c) => path.join(dir, c))]);
  assert.equal(r.code, 0, r.stderr);
  const notebook = JSON.parse(fs.readFileSync(nb, 'utf8'));
  const cells = notebook.cells.filter((c) => c.cell_type === 'code');
  assert.equal(cells.length, 3);
  const types = cells.map((c) => c.outputs.map((o) => o.output_type));
  assert.deepEqual(types[0], ['stream']);
  assert.ok(types[1].includes('display_data') && types[1].includes('execute_result'), JSON.stringify(types[1]));
  assert.deepEqual(types[2], ['error']);
  assert.equal(cells[2].outputs[0].ename, 'ValueError');
  const html = jupyterChecks(nb);
  assert.match(html, /hello from cell one/);
  assert.match(html, /bold output/);
  assert.match(html, /cell three fails/);
});

test('cli ask --vision --context-window: an image in --files goes with the question (Anthropic format), the window reaches the core', async () => {
  const server = await startLlmServer();
  const dir = tmp();
  try {
    server.script([{ text: 'A tiny picture.' }]);
    fs.mkdirSync(path.join(dir, 'in'));
    // A 1×1 PNG: what matters is that its bytes arrive as an image block.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    fs.writeFileSync(path.join(dir, 'in/dot.png'), png);
    const r = await cli(['ask', '--base-url', `${server.url}/v1`, '--model', 'claude-sonnet-4-5', '--format', 'anthropic', '--key-env', 'CI_TEST_KEY',
      '--files', path.join(dir, 'in'), '--vision', '--context-window', '200000', 'What is in dot.png?'], { CI_TEST_KEY: KEY });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /A tiny picture\./);
    const [q] = server.requests.filter((x) => x.path.endsWith('/messages'));
    assert.deepEqual(q.invalid, []);
    const blocks = q.body.messages[0].content;
    const image = blocks.find((b) => b.type === 'image');
    assert.ok(image, JSON.stringify(blocks).slice(0, 300));
    assert.deepEqual(image.source, { type: 'base64', media_type: 'image/png', data: png.toString('base64') });
    assert.ok(blocks.some((b) => b.type === 'text' && /\/mnt\/data\/dot\.png/.test(b.text)), 'the text names the file');
    assert.deepEqual(q.body.system[0].cache_control, { type: 'ephemeral' }, 'prompt caching on by default');
    // Without --vision the same question is text only.
    server.script([{ text: 'No picture.' }]);
    const blind = await cli(['ask', '--base-url', `${server.url}/v1`, '--model', 'claude-sonnet-4-5', '--format', 'anthropic', '--key-env', 'CI_TEST_KEY',
      '--files', path.join(dir, 'in'), 'What is in dot.png?'], { CI_TEST_KEY: KEY });
    assert.equal(blind.code, 0, blind.stderr);
    const last = server.requests.filter((x) => x.path.endsWith('/messages')).at(-1);
    assert.ok(!JSON.stringify(last.body).includes('"type":"image"'));
  } finally {
    await server.close();
  }
});
