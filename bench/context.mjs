// The context budget's effect on request size: one 200-turn conversation
// (each run prints ~6 KB) through the real core and Session against the
// scripted server, once with no window (the core resends everything, as
// before the budget) and once with a 16,000-token window. Reports the
// largest and the total request bytes and tokens (the server's chars/4) of
// each, and their ratio. One command: node bench/context.mjs [--turns N] [--window T]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBuiltCore } from '../tests/js/load-core.mjs';
import { startLlmServer } from '../tests/support/llm-server.mjs';
import { estimateTokens } from '../tests/support/llm-validate.mjs';
import { Session } from '../js_glue/session.mjs';
import { FakeSandbox } from '../tests/support/fake-sandbox.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TURNS = arg('--turns', 200);
const WINDOW = arg('--window', 16000);

async function run(window) {
  const core = await loadBuiltCore();
  // No window on the server for the unbudgeted run (it would refuse from turn
  // ~10 on); with one, the server reports its count as usage, as providers do.
  const server = await startLlmServer({ strict: false, contextWindow: window || null });
  const session = new Session({
    core,
    createSandbox: (hooks) => {
      const s = new FakeSandbox(hooks);
      s.answer = (req) => ({ ok: true, status: 'ok', stdout: `${req.code}\n${'row 1234, 5678.9, some text\n'.repeat(220)}`, stderr: '', result: null, error: null, outputs: [], files: { created: [], modified: [], deleted: [] }, ms: 1 });
      return s;
    },
    settings: { format: 'openai', baseUrl: `${server.url}/v1`, model: 'gpt-4o-mini', contextWindow: window },
    apiKey: 'sk-bench',
  });
  session.newConversation('bench');
  let trims = 0;
  session.on('event', (e) => { if (e.type === 'context_trimmed') trims += 1; });
  const started = performance.now();
  for (let turn = 1; turn <= TURNS; turn++) {
    server.script([
      { tool_calls: [{ id: `call_${turn}`, name: 'python', arguments: JSON.stringify({ code: `print(report(${turn}))` }) }] },
      { text: `Turn ${turn} done.` },
    ]);
    for await (const e of session.send(`Report ${turn}, please.`)) void e;
  }
  const ms = performance.now() - started;
  const chat = server.requests.filter((q) => q.format === 'openai');
  const bytes = chat.map((q) => JSON.stringify(q.body).length);
  const tokens = chat.map((q) => estimateTokens('openai', q.body));
  await session.close();
  await server.close();
  return {
    window, requests: chat.length, trims, ms: Math.round(ms),
    largest_bytes: Math.max(...bytes), total_bytes: bytes.reduce((a, b) => a + b, 0),
    largest_tokens: Math.max(...tokens), total_tokens: tokens.reduce((a, b) => a + b, 0),
  };
}

const without = await run(0);
const withBudget = await run(WINDOW);
const result = {
  turns: TURNS,
  without,
  with: withBudget,
  ratio_total_tokens: +(withBudget.total_tokens / without.total_tokens).toFixed(3),
  ratio_largest_tokens: +(withBudget.largest_tokens / without.largest_tokens).toFixed(3),
};
console.log(JSON.stringify(result, null, 2));
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'context.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
