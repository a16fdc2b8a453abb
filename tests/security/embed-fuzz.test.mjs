// Security scorecard, embedding (SECURITY.md): 1,000 random and crafted
// postMessage messages to dist/embed.html from senders it must not listen
// to, in real Chromium:
//   - a parent page on a NOT allowed origin (its own embed instance);
//   - a sibling frame on the ALLOWED origin that is not the embed's parent
//     (right origin, wrong event.source);
//   - a sibling frame on a foreign origin.
// Kinds: well-formed requests of every type (configure with a key, send,
// run_code, add_file, …), random values, prototype-pollution keys
// (__proto__, constructor, prototype via JSON.parse), huge strings,
// non-objects (including the sandbox's 'ci-sandbox-frame-ready' string),
// transferred ArrayBuffers, MessagePorts, deeply nested objects.
// Counted: state changes in both embeds (conversation, files, settings,
// keys, running, toasts, Object.prototype) and replies seen anywhere (the
// parents and the siblings), and requests reaching the model server. All
// must be 0, while the embeds must have received every posted message, and
// the allowed parent still gets its answer afterwards (the channel works).
import test from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp } from '../e2e/harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import {
  distWithConfig, startHostServer, parentPage, SIBLING_PAGE, embedFrame, embedState, embedStats, waitEmbedReady, until,
} from '../e2e/embed-helpers.mjs';

const TOTAL = 1000;

/** Runs in a sender frame: posts `count` fuzz messages to `target`; returns what was posted. Self-contained. */
async function fuzz({ count, seed, appOrigin, llmUrl, target }) {
  let s = seed >>> 0;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const to = target === 'child' ? document.getElementById('embed').contentWindow : window.parent.frames[0];
  const TYPES = ['ping', 'configure', 'send', 'run_code', 'cancel', 'add_file', 'list_files', 'read_file', 'new_conversation'];
  const request = (id) => {
    const type = pick(TYPES);
    const m = { type, id };
    if (type === 'configure') Object.assign(m, { provider: 'custom', baseUrl: `${llmUrl}/v1`, model: 'gpt-4o-mini', apiKey: `sk-fuzz-${id}`, systemPrompt: 'pwned' });
    if (type === 'send') m.text = 'hello from a fuzzer';
    if (type === 'run_code') m.code = 'open("pwned.txt", "w").write("x")';
    if (type === 'add_file') { m.name = 'pwned.txt'; m.bytes = new TextEncoder().encode('pwned').buffer; }
    if (type === 'read_file') m.path = 'pwned.txt';
    return m;
  };
  const randomValue = (depth) => {
    const k = Math.floor(rnd() * (depth > 3 ? 8 : 11));
    switch (k) {
      case 0: return null;
      case 1: return rnd() < 0.5;
      case 2: return (rnd() - 0.5) * 1e9;
      case 3: return String.fromCharCode(...Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 0xffff)));
      case 4: return pick([NaN, Infinity, -0, 2 ** 53, Number.MIN_VALUE]);
      case 5: return pick([new Date(rnd() * 1e13), /re(g)ex/gi, 12345678901234567890n, new Uint8Array(16), new Blob(['b'])]);
      case 6: return pick(TYPES.concat(['result', 'event', 'ready', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']));
      case 7: return undefined;
      case 8: return Array.from({ length: Math.floor(rnd() * 5) }, () => randomValue(depth + 1));
      case 9: return new Map([[randomValue(depth + 1), randomValue(depth + 1)]]);
      default: {
        const o = {};
        for (let i = Math.floor(rnd() * 5); i > 0; i -= 1) o[pick(['type', 'id', 'text', 'code', 'name', 'bytes', 'path', 'apiKey', 'x'])] = randomValue(depth + 1);
        return o;
      }
    }
  };
  const PROTO = [
    '{"__proto__": {"type": "configure", "id": 1, "polluted": true}}',
    '{"type": "configure", "id": 2, "__proto__": {"apiKey": "sk-proto"}, "provider": "custom"}',
    '{"constructor": {"prototype": {"type": "send", "polluted": true}}, "type": "send", "id": 3, "text": "x"}',
    '{"type": "__proto__", "id": 4}',
    '{"type": "constructor", "id": 5}',
    '{"type": "hasOwnProperty", "id": 6}',
    '{"type": "toString", "id": "__proto__"}',
    '{"type": "configure", "id": 7, "provider": "__proto__"}',
  ];
  const kinds = ['request', 'random', 'proto', 'huge', 'nonobject', 'transfer', 'port', 'deep'];
  const counts = Object.fromEntries(kinds.map((k) => [k, 0]));
  let posted = 0;
  let refused = 0;
  for (let i = 0; i < count; i += 1) {
    const kind = kinds[i % kinds.length];
    const id = `${seed}-${i}`;
    let message;
    let transfer = [];
    switch (kind) {
      case 'request': message = request(id); break;
      case 'random': message = randomValue(0); break;
      case 'proto': message = JSON.parse(pick(PROTO)); break;
      case 'huge': {
        const size = pick([4096, 65536, 262144, 1 << 20, 2 << 20]);
        message = pick([
          () => ({ type: 'send', id, text: 'x'.repeat(size) }),
          () => ({ type: 'configure', id, apiKey: 'k'.repeat(size), provider: 'custom' }),
          () => 'y'.repeat(size),
          () => ({ type: 'add_file', id, name: 'n'.repeat(size), bytes: 'z' }),
        ])();
        break;
      }
      case 'nonobject': message = pick(['ci-sandbox-frame-ready', 42, null, undefined, true, [request(id)], 'configure', 0n, new ArrayBuffer(8)]); break;
      case 'transfer': {
        const buffer = new ArrayBuffer(1024);
        message = pick([() => buffer, () => ({ ...request(id), bytes: buffer }), () => ({ type: 'add_file', id, name: 'evil.bin', bytes: buffer })])();
        transfer = [buffer];
        break;
      }
      case 'port': {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { window.portReplies = (window.portReplies ?? 0) + 1; };
        message = pick([() => ({ ...request(id), port: channel.port2 }), () => 'ci-sandbox-frame-ready', () => request(id)])();
        transfer = [channel.port2];
        break;
      }
      default: {
        let o = request(id);
        for (let d = pick([50, 500, 2000]); d > 0; d -= 1) o = { type: 'send', id, text: 'deep', next: o };
        message = o;
      }
    }
    try {
      // The SENDER here is the hostile page: it may post to '*' as well as to
      // the embed's origin. The product's own code never does (tests/js/postmessage.test.mjs).
      to.postMessage(message, pick([appOrigin, '*']), transfer);
      posted += 1;
      counts[kind] += 1;
    } catch {
      refused += 1; // not cloneable here (the browser refused to send it): not counted as posted
    }
    if (i % 25 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  return { posted, refused, counts };
}

test(`embed.html: ${TOTAL} random and crafted messages from senders it must ignore → 0 state changes, 0 replies`, async () => {
  const allowedHost = await startHostServer();
  const foreignHost = await startHostServer();
  const dist = distWithConfig({ embedAllowedOrigins: [allowedHost.url] });
  const app = await startApp({ dist: dist.dir });
  const llm = await startLlmServer();
  allowedHost.pages['/parent.html'] = parentPage(app.url, { siblings: [`${allowedHost.url}/sibling.html`, `${foreignHost.url}/sibling.html`] });
  allowedHost.pages['/sibling.html'] = SIBLING_PAGE;
  foreignHost.pages['/sibling.html'] = SIBLING_PAGE;
  foreignHost.pages['/parent.html'] = parentPage(app.url);
  const browser = await launchBrowser();
  try {
    const allowed = await browser.newPage();
    await allowed.goto(`${allowedHost.url}/parent.html`);
    const foreign = await browser.newPage();
    await foreign.goto(`${foreignHost.url}/parent.html`);
    const embedA = embedFrame(allowed);
    const embedB = embedFrame(foreign);
    await waitEmbedReady(embedA);
    await waitEmbedReady(embedB);
    await until(() => allowed.evaluate(() => window.got.some((g) => g.data?.type === 'ready')), { what: 'ready to the allowed parent' });
    const repliesBefore = await allowed.evaluate(() => window.got.length);
    const stateBefore = [await embedState(embedA), await embedState(embedB)];
    const statsBefore = [await embedStats(embedA), await embedStats(embedB)];
    const llmBefore = llm.requests.length;

    const appOrigin = new URL(app.url).origin;
    const frameAt = (page, url) => page.frames().find((f) => f.url() === url);
    const siblingSame = frameAt(allowed, `${allowedHost.url}/sibling.html`);
    const siblingForeign = frameAt(allowed, `${foreignHost.url}/sibling.html`);
    const plan = [
      { name: 'foreign parent', frame: foreign.mainFrame(), count: 600, target: 'child', seed: 1 },
      { name: 'allowed-origin sibling (not the parent)', frame: siblingSame, count: 250, target: 'sibling', seed: 2 },
      { name: 'foreign-origin sibling', frame: siblingForeign, count: 150, target: 'sibling', seed: 3 },
    ];
    assert.equal(plan.reduce((n, p) => n + p.count, 0), TOTAL);
    const sent = [];
    for (const p of plan) {
      const r = await p.frame.evaluate(fuzz, { count: p.count, seed: p.seed, appOrigin, llmUrl: llm.url, target: p.target });
      sent.push({ ...p, ...r });
    }
    const posted = sent.reduce((n, r) => n + r.posted, 0);
    const toB = sent[0].posted;
    const toA = posted - toB;
    // Every posted message reached its embed (read or unreadable) before we look.
    await until(async () => {
      const [a, b] = [await embedStats(embedA), await embedStats(embedB)];
      const got = (x, y) => (x.received - y.received) + (x.unreadable - y.unreadable);
      return got(a, statsBefore[0]) >= toA && got(b, statsBefore[1]) >= toB;
    }, { what: 'the embeds to receive every message', timeout: 120000 });
    await new Promise((r) => setTimeout(r, 3000)); // time for any effect to show

    const stateAfter = [await embedState(embedA), await embedState(embedB)];
    const statsAfter = [await embedStats(embedA), await embedStats(embedB)];
    const changes = stateAfter.reduce((n, st, i) => n + Object.keys(st).filter((k) => JSON.stringify(st[k]) !== JSON.stringify(stateBefore[i][k])).length, 0);
    const accepted = statsAfter.reduce((n, st, i) => n + st.accepted - statsBefore[i].accepted, 0);
    const embedReplies = statsAfter.reduce((n, st, i) => n + st.replies - statsBefore[i].replies, 0);
    const seenReplies = (await allowed.evaluate(() => window.got.length)) - repliesBefore
      + (await foreign.evaluate(() => window.got.length))
      + (await siblingSame.evaluate(() => window.got.length))
      + (await siblingForeign.evaluate(() => window.got.length))
      + (await foreign.evaluate(() => window.portReplies ?? 0))
      + (await siblingSame.evaluate(() => window.portReplies ?? 0))
      + (await siblingForeign.evaluate(() => window.portReplies ?? 0));
    const modelRequests = llm.requests.length - llmBefore;
    const received = statsAfter.reduce((n, st, i) => n + st.received - statsBefore[i].received + st.unreadable - statsBefore[i].unreadable, 0);
    const kinds = {};
    for (const r of sent) for (const [k, v] of Object.entries(r.counts)) kinds[k] = (kinds[k] ?? 0) + v;
    console.log(`[security] embed fuzz: ${TOTAL} messages (${posted} posted, ${TOTAL - posted} refused by the sender's browser as not cloneable; ${Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(', ')}) from a foreign parent, an allowed-origin sibling and a foreign sibling → ${changes} state changes, ${seenReplies + embedReplies} replies, ${accepted} accepted, ${modelRequests} model requests (embeds received ${received})`);

    for (let i = 0; i < 2; i += 1) assert.deepEqual(stateAfter[i], stateBefore[i], `embed ${i ? 'B (foreign parent)' : 'A (allowed parent)'}: no state change`);
    assert.equal(changes, 0, 'state changes');
    assert.equal(stateAfter[0].polluted || stateAfter[1].polluted, false, 'Object.prototype untouched');
    assert.equal(accepted, 0, 'messages accepted');
    assert.equal(embedReplies, 0, 'messages the embeds posted');
    assert.equal(seenReplies, 0, 'messages any sender received');
    assert.equal(modelRequests, 0, 'requests to the model server');
    assert.ok(posted >= TOTAL * 0.95, `most messages could be posted (${posted})`);
    assert.ok(received >= posted, `the embeds received every posted message (${received} ≥ ${posted})`);

    // The channel still works for the one sender it must answer.
    await allowed.evaluate(() => window.request({ type: 'ping', id: 'after-fuzz' }));
    await until(() => allowed.evaluate(() => window.got.some((g) => g.data?.type === 'result' && g.data.id === 'after-fuzz' && g.data.ok)), { what: 'the allowed parent\'s ping result' });
  } finally {
    await browser.close();
    await allowedHost.close();
    await foreignHost.close();
    await llm.close();
    await app.close();
    dist.remove();
  }
});
