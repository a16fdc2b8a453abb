// The chat while a long answer streams, in real Chromium: the built app
// (dist/, Python ready first) shows a ~24 KB markdown answer streamed by the
// scripted model server (tests/support/llm-server.mjs, OpenAI format, one SSE
// event per 6 characters), against a bare page that shows the same stream from
// the same server (bench/chat-stream/page.mjs: streaming TextDecoder, lines,
// JSON.parse per event, the text appended to a <pre>, then the final markdown
// rendered ONCE with marked + DOMPurify + highlight.js). Same browser, same
// run, alternating, `--rounds` (default 3), medians. Two cases: `paced` (the
// server waits `--delay` ms, default 2, after each event: a fast model) and
// `fast` (no delay: as fast as the loopback gives it).
//
// Measured per run, from the request (just before the message is sent) to the
// end of the turn (the final answer painted and, in the app, the turn over):
//   busy     the page's main-thread busy time: CDP Performance.getMetrics
//            TaskDuration (and Chromium's Script/Layout/RecalcStyle parts;
//            its ScriptDuration misses most callback and microtask script),
//            after minus before. Tasks' wall time: a loaded machine stretches it
//   cpu      the same window's CPU time of the main thread (ThreadTime) and of
//            the renderer process (ProcessTime): steadier under load
//   long     PerformanceObserver('longtask') and ('long-animation-frame')
//            entries in the window: count, longest, LoAF blocking time
//   frames   a rAF loop in the page: frames, frames slower than 50 ms, the
//            slowest (the page could not draw for that long)
//   behind   how far the text on screen trails the text sent, per frame while
//            it streams: sampled just before each paint (a ResizeObserver
//            callback, after the frame's rAF callbacks), the answer's
//            characters the page shows (the app: its view model's streaming
//            text, which its chat has rendered by then; the bare page: the
//            text appended), dated against the server's write of the event
//            that completed them (each write of the response is logged):
//            median, 95th percentile, max
//   lag      from the server's last byte (the scripted server's record:
//            response.ended_ms, Date.now() when the response finished) to the
//            frame that shows the complete formatted answer (in the app: the
//            last item of vm.items is the assistant's answer, the chat's
//            finished message holds its last words, and the frame after that
//            check has run: a task posted from that rAF; page time +
//            performance.timeOrigin, set to the page's Date.now() at the end:
//            the monotonic clock drifts from the wall clock the server reads)
// The answer is a fixed text (fixed seed; headings, paragraphs with bold,
// inline code and links, bullet and numbered lists, 4 fenced python blocks of
// 15-30 lines, a 15-row GFM table), tagged per run so no render cache helps.
//
//   node bench/chat-stream.mjs [--rounds 3] [--delay 2] [--kb 24] [--dist DIR] [--trace] [--out FILE]
//
// --dist measures another build of the app (default: a copy of dist/ made at
// the start, so a rebuild meanwhile does not change the figures). Writes
// bench/results/chat-stream.json (with os.loadavg()) and prints a table.
// --trace adds, per run, where the page's main thread spent its time (a
// Chromium trace, self time by event name; tracing slows the pages, so it
// writes build/bench/chat-stream-trace.json instead).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { build } from 'vite';
import { launchBrowser, startApp, ROOT } from '../tests/e2e/harness.mjs';
import { startLlmServer, openaiEvents } from '../tests/support/llm-server.mjs';
import { copyDist } from '../tests/e2e/pwa-helpers.mjs';
import { waitReady, configure, ask } from '../tests/e2e/app-helpers.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const ROUNDS = Number(opt('rounds', 3));
const TRACE = args.includes('--trace');
const DELAY = Number(opt('delay', 2));
const KB = Number(opt('kb', 24));
const DIST = opt('dist', null);
const OUT = path.resolve(ROOT, opt('out', TRACE ? 'build/bench/chat-stream-trace.json' : 'bench/results/chat-stream.json'));
const SETTLE_MS = 1000; // after Python is ready, before the request: the app's start work ends
const TURN_TIMEOUT_MS = 120000;
const PROMPT = 'Load sales.csv, clean it, and explain the revenue by region with code I can rerun.';
const median = (xs) => { const s = xs.filter((x) => x != null).sort((a, b) => a - b); if (!s.length) return null; return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const round1 = (x) => (x == null ? null : Math.abs(x) < 10 ? Math.round(x * 1000) / 1000 : Math.round(x * 10) / 10);
const load1 = () => +os.loadavg()[0].toFixed(2);

// ---------------------------------------------------------------- the answer

const CODE_BLOCKS = [
  `import pandas as pd

df = pd.read_csv("/mnt/data/sales.csv", parse_dates=["date"])
print(df.shape)
print(df.dtypes)

# Normalise the column names and the region labels.
df.columns = [c.strip().lower().replace(" ", "_") for c in df.columns]
df["region"] = df["region"].str.strip().str.title()

# Drop exact duplicates and rows without an amount.
before = len(df)
df = df.drop_duplicates()
df = df[df["amount"].notna()]
print(f"removed {before - len(df)} rows")

df["month"] = df["date"].dt.to_period("M")
df.head(10)`,
  `summary = (
    df.groupby("region")
      .agg(orders=("order_id", "nunique"),
           revenue=("amount", "sum"),
           units=("units", "sum"),
           avg_price=("unit_price", "mean"))
      .sort_values("revenue", ascending=False)
)
summary["share"] = summary["revenue"] / summary["revenue"].sum()
summary["revenue_per_order"] = summary["revenue"] / summary["orders"]

for region, row in summary.iterrows():
    print(f"{region:<10} {row.revenue:>12,.0f}  {row.share:6.1%}  "
          f"{row.revenue_per_order:8.2f}")

top = summary.index[0]
print("largest region:", top)
summary.round(2)`,
  `import matplotlib.pyplot as plt

monthly = (
    df.pivot_table(index="month", columns="region", values="amount",
                   aggfunc="sum", fill_value=0)
      .sort_index()
)
monthly.index = monthly.index.to_timestamp()

fig, ax = plt.subplots(figsize=(9, 4.5))
for region in monthly.columns:
    ax.plot(monthly.index, monthly[region], marker="o", linewidth=1.5,
            label=region)
ax.set_title("Monthly revenue by region")
ax.set_xlabel("month")
ax.set_ylabel("revenue (USD)")
ax.grid(alpha=0.3)
ax.legend(ncol=3, frameon=False)
fig.tight_layout()
fig.savefig("/mnt/data/monthly_revenue.png", dpi=150)
plt.show()`,
  `import numpy as np

def growth_table(frame, column="amount", periods=3):
    """Month-over-month growth and a rolling mean per region."""
    out = []
    for region, part in frame.groupby("region"):
        series = part.groupby("month")[column].sum().sort_index()
        growth = series.pct_change().replace([np.inf, -np.inf], np.nan)
        rolling = series.rolling(periods, min_periods=1).mean()
        out.append(pd.DataFrame({
            "region": region,
            "month": series.index.astype(str),
            "revenue": series.values,
            "growth": growth.values,
            "rolling_mean": rolling.values,
        }))
    return pd.concat(out, ignore_index=True)

growth = growth_table(df)
latest = growth.groupby("region").tail(1).set_index("region")
latest = latest.sort_values("growth", ascending=False)
latest.to_csv("/mnt/data/latest_growth.csv")
print(latest[["revenue", "growth", "rolling_mean"]].round(3))
latest`,
];

/** A deterministic ~`kb` KB markdown answer, as a code interpreter writes one; `tag` makes it unique. */
function makeAnswer(tag, kb = KB) {
  let seed = 20261205;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const int = (a, b) => a + Math.floor(rnd() * (b - a + 1));
  const regions = ['North', 'South', 'East', 'West', 'Central', 'Coastal', 'Mountain'];
  const columns = ['amount', 'units', 'unit_price', 'discount', 'returns', 'order_id', 'date', 'region'];
  const verbs = ['grows', 'drops', 'stays flat', 'peaks in March', 'recovers after June', 'doubles', 'dips in the summer'];
  const links = [['the pandas user guide', 'https://pandas.pydata.org/docs/user_guide/groupby.html'],
    ['Matplotlib\'s gallery', 'https://matplotlib.org/stable/gallery/index.html'],
    ['the NumPy docs', 'https://numpy.org/doc/stable/'], ['this note on seasonality', 'https://otexts.com/fpp3/tspatterns.html']];
  const titles = ['Loading and cleaning the data', 'Revenue by region', 'What the table says', 'Monthly trend',
    'Growth month over month', 'Outliers and returns', 'Discounts and margins', 'Caveats', 'What to do next', 'Checking the result'];
  const sentence = () => {
    const r = pick(regions);
    const c = pick(columns);
    switch (int(0, 5)) {
      case 0: return `The **${r}** region ${pick(verbs)}, with \`${c}\` at ${int(2, 98)}.${int(0, 9)}% of the total.`;
      case 1: return `I grouped the rows by \`region\` and summed \`${c}\`; ${r} comes out at **${int(10, 990)},${int(100, 999)} USD**.`;
      case 2: { const [t, u] = pick(links); return `See [${t}](${u}) for how \`${pick(['groupby', 'pivot_table', 'resample', 'rolling'])}\` treats missing values.`; }
      case 3: return `About ${int(1, 40)} rows had an empty \`${c}\`, so they were left out of the sums (they are ${int(1, 9)}.${int(0, 9)}% of the orders).`;
      case 4: return `Compared with ${pick(regions)}, ${r} has ${int(2, 60)}% more orders but a lower average \`unit_price\`, which is why its margin ${pick(verbs)}.`;
      default: return `The median order in ${r} is ${int(20, 400)} USD and the 90th percentile ${int(500, 2500)} USD: a few large orders carry the month.`;
    }
  };
  const paragraph = () => Array.from({ length: int(3, 5) }, sentence).join(' ');
  const bullets = () => Array.from({ length: int(3, 6) }, () => `- ${sentence()}`).join('\n');
  const numbered = () => Array.from({ length: int(3, 5) }, (_, i) => `${i + 1}. ${sentence()}`).join('\n');
  const table = () => {
    const rows = ['| region | month | orders | revenue (USD) | units | avg price | share |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |'];
    for (let i = 0; i < 15; i += 1) {
      rows.push(`| ${regions[i % regions.length]} | 2026-${String((i % 12) + 1).padStart(2, '0')} | ${int(80, 900)} | ${int(10, 990)},${int(100, 999)} | ${int(200, 9000)} | ${int(5, 300)}.${int(10, 99)} | ${int(1, 30)}.${int(0, 9)}% |`);
    }
    return rows.join('\n');
  };
  const target = kb * 1000;
  const closing = `That is the whole analysis; the files are in /mnt/data. End of answer ${tag}.`;
  const parts = [`# Sales by region: what the data says (${tag})`, paragraph()];
  let code = 0;
  let tableDone = false;
  const size = () => parts.join('\n\n').length + closing.length + 2;
  for (let s = 0; size() < target; s += 1) {
    parts.push(`## ${s + 1}. ${titles[s % titles.length]}`, paragraph());
    if (s % 2 === 0 && code < CODE_BLOCKS.length) parts.push(`Here is the code for this step:\n\n\`\`\`python\n${CODE_BLOCKS[code++]}\n\`\`\``, paragraph());
    if (s === 2 && !tableDone) { parts.push(table(), paragraph()); tableDone = true; }
    parts.push(s % 3 === 1 ? numbered() : bullets());
    if (size() < target) parts.push(paragraph());
  }
  parts.push(closing);
  const text = parts.join('\n\n');
  return { text, lastWords: `End of answer ${tag}.`, codeBlocks: code, tableRows: tableDone ? 15 : 0 };
}

/**
 * The scripted server's step: the OpenAI stream of `text`, one write per SSE
 * event, `delay` ms after each. Also, per event, the body bytes and the
 * answer's characters sent once it is written (to date what a frame shows).
 */
function streamStep(text, delay) {
  const events = openaiEvents({ text });
  const splits = [];
  const chars = [];
  let at = 0;
  let n = 0;
  for (const e of events) {
    at += Buffer.byteLength(e);
    const data = e.startsWith('data: {') ? JSON.parse(e.slice(6)) : null;
    n += data?.choices?.[0]?.delta?.content?.length ?? 0;
    splits.push(at);
    chars.push(n);
  }
  if (n !== text.length) throw new Error('the stream does not carry the whole answer');
  return { step: { raw: { body: events.join(''), splits, delay_ms: delay, after: 'end' } }, events: events.length, bytes: at, splits, chars };
}

/**
 * Dates every write of a raw step's response: the scripted server updates
 * record.response.bytes_sent, then .last_write_ms, after each write
 * (llm-server.mjs sendRaw); an accessor on that object logs [bytes, ms].
 */
function logWrites(record) {
  record.bench_start_ms = Date.now();
  record.bench_writes = [];
  let info;
  Object.defineProperty(record, 'response', {
    enumerable: true,
    get: () => info,
    set(v) {
      info = v;
      let last = v.last_write_ms;
      Object.defineProperty(v, 'last_write_ms', {
        enumerable: true,
        get: () => last,
        set(ms) { last = ms; record.bench_writes.push([v.bytes_sent, ms]); },
      });
    },
  });
}

/**
 * How far the text on screen trails the text sent, per frame while the
 * answer streams: a frame at time t showing n characters is t minus the time
 * the server wrote the event that completed character n. Frames from the
 * first text to the first frame showing all of it.
 */
function behind(samples, origin, sent, writes) {
  const sentAt = []; // per event: when its last byte was written
  let w = 0;
  for (const end of sent.splits) {
    while (w < writes.length && writes[w][0] < end) w += 1;
    sentAt.push(w < writes.length ? writes[w][1] : null);
  }
  const total = sent.chars.at(-1);
  const out = [];
  for (const [ts, n] of samples) {
    if (n <= 0) continue;
    let i = sent.chars.findIndex((c) => c >= n);
    if (i < 0) i = sent.chars.length - 1;
    if (sentAt[i] != null) out.push(origin + ts - sentAt[i]);
    if (n >= total) break;
  }
  const sorted = [...out].sort((a, b) => a - b);
  const q = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null);
  return { behind_median_ms: q(0.5), behind_p95_ms: q(0.95), behind_max_ms: sorted.at(-1) ?? null, behind_frames: sorted.length };
}

// --------------------------------------------------------------- the pages

/** Init script of both pages: long tasks, and a rAF loop between __benchStart() and __benchStop(). */
function installMonitor() {
  const tasks = [];
  const frames = [];
  const observers = [];
  const watch = (type, onEntry) => {
    try {
      const o = new PerformanceObserver((list) => { for (const e of list.getEntries()) onEntry(e); });
      o.observe({ type, buffered: true });
      observers.push([o, onEntry]);
    } catch { /* not supported */ }
  };
  watch('longtask', (e) => tasks.push([e.startTime, e.duration]));
  // Long animation frames (Chromium 123+): a frame's script, style, layout
  // and paint together, which the longtask entries miss.
  watch('long-animation-frame', (e) => frames.push([e.startTime, e.duration, e.blockingDuration]));
  let run = null;
  // What a frame shows, sampled just before it is painted: a ResizeObserver's
  // callbacks run in the frame's rendering step, after every rAF callback
  // (where a renderer that waits for the next frame renders) and layout. A
  // 1-pixel probe changes width every frame to make it fire.
  let probe = null;
  window.__benchStart = () => {
    const r = { t0: performance.now(), last: null, frames: 0, slow: 0, max: 0, on: true, samples: [] };
    run = r;
    if (!probe) {
      probe = document.createElement('div');
      Object.assign(probe.style, { position: 'fixed', left: '0', top: '0', width: '1px', height: '1px', opacity: '0', pointerEvents: 'none' });
      document.body.append(probe);
      new ResizeObserver(() => {
        // The answer's characters this frame shows (each page sets __benchProgress).
        if (run?.on && window.__benchProgress) run.samples.push([performance.now(), window.__benchProgress()]);
      }).observe(probe);
    }
    const loop = (ts) => {
      if (!r.on) return;
      r.wide = !r.wide;
      probe.style.width = r.wide ? '2px' : '1px';
      if (r.last !== null) {
        const d = ts - r.last;
        r.frames += 1;
        if (d > 50) r.slow += 1;
        if (d > r.max) r.max = d;
      }
      r.last = ts;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  };
  window.__benchStop = () => {
    const t1 = performance.now();
    run.on = false;
    for (const [o, onEntry] of observers) for (const e of o.takeRecords()) onEntry(e);
    const inRun = (list) => list.filter(([s]) => s >= run.t0 && s <= t1);
    const lt = inRun(tasks).map(([, d]) => d);
    const lf = inRun(frames);
    return { t0: run.t0, t1, samples: run.samples, frames: run.frames, slow_frames: run.slow, max_frame_ms: run.max,
      longtasks: lt.length, longtask_max_ms: lt.length ? Math.max(...lt) : 0, longtask_total_ms: lt.reduce((a, b) => a + b, 0),
      loafs: lf.length, loaf_max_ms: lf.length ? Math.max(...lf.map((f) => f[1])) : 0, loaf_blocking_ms: lf.reduce((a, f) => a + f[2], 0) };
  };
}

/**
 * In the app's page: window.__benchDone resolves once the turn is over and the
 * finished answer (its last words) is in the chat and painted. Checked once
 * per frame (rAF): the time is the frame that shows it.
 */
function watchApp(lastWords) {
  const host = document.querySelector('code-interpreter');
  const { app } = host;
  const chat = host.shadowRoot.querySelector('ci-chat');
  const t = { origin: performance.timeOrigin };
  // The answer's text in the view model: sampled just before a paint, after
  // the frame's rAF callbacks, it is what the chat has rendered (the app
  // renders each change in the same task, or at the next frame's rAF).
  window.__benchProgress = () => {
    const { vm } = app;
    if (vm.streaming) return vm.streaming.text.length;
    const last = vm.items.at(-1);
    return last?.kind === 'assistant' ? last.text.length : 0;
  };
  window.__benchDone = new Promise((resolve) => {
    const tick = () => {
      const { vm } = app;
      if (t.dom === undefined) {
        const last = vm.items.at(-1);
        if (t.item === undefined && last?.kind === 'assistant' && last.text?.endsWith(lastWords)) t.item = performance.now();
        if (t.item !== undefined) {
          const proses = chat.shadowRoot.querySelectorAll('.assistant:not([data-streaming]) .prose');
          if (proses[proses.length - 1]?.textContent.includes(lastWords)) t.dom = performance.now();
        }
      }
      if (t.dom !== undefined && !vm.running) {
        // Posted from this rAF: runs after the frame that shows the answer.
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          t.frame = performance.now();
          // performance.timeOrigin + now() drifts from the wall clock (Date.now(), the server's): the offset.
          t.origin += Date.now() - (performance.timeOrigin + performance.now());
          t.mon = window.__benchStop();
          resolve(t);
        };
        ch.port2.postMessage(0);
        return;
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

const busy = (m0, m1) => ({
  busy_ms: (m1.TaskDuration - m0.TaskDuration) * 1000,
  cpu_ms: (m1.ThreadTime - m0.ThreadTime) * 1000,
  process_cpu_ms: (m1.ProcessTime - m0.ProcessTime) * 1000,
  all: Object.fromEntries(Object.keys(m1).filter((k) => /Duration|Time|Count$/.test(k)).map((k) => [k, +(m1[k] - m0[k]).toFixed(4)])),
  script_ms: (m1.ScriptDuration - m0.ScriptDuration) * 1000,
  layout_ms: (m1.LayoutDuration - m0.LayoutDuration) * 1000,
  style_ms: (m1.RecalcStyleDuration - m0.RecalcStyleDuration) * 1000,
});

const withTimeout = (promise, ms, what) => Promise.race([promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no end after ${ms} ms`)), ms).unref())]);

/** The model request the run made (the last one) and what the server recorded of its response. */
function serverSide(llm, before) {
  const model = llm.requests.slice(before).filter((r) => r.format);
  if (model.length !== 1) throw new Error(`expected one model request, got ${model.length}`);
  const r = model[0];
  if (r.invalid?.length) throw new Error(`the server refused the request: ${r.invalid.join('; ')}`);
  return { start: r.bench_start_ms, last_write: r.response.last_write_ms, end: r.response.ended_ms, writes: r.bench_writes };
}

/**
 * --trace: a Chromium trace of the measured window; the page's main thread
 * (the main frame's renderer process) summed by event name in self time (an
 * event's time minus its children's), the top names in ms. Tracing costs
 * time itself: such a run writes build/bench/chat-stream-trace.json, not the
 * reference figures.
 */
async function startTrace(cdp) {
  if (!TRACE) return null;
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8', 'blink'] }, transferMode: 'ReportEvents' });
  // And a sampling profile of the page's JavaScript: self time by script file.
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = await cdp.send('Profiler.stop');
    const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    await complete;
    const js = profileByFile(profile);
    const started = events.find((e) => e.name === 'TracingStartedInBrowser');
    const pid = started?.args?.data?.frames?.find((f) => !f.parent)?.processId;
    const tid = events.find((e) => e.pid === pid && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')?.tid;
    const own = events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.dur != null).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const self = {};
    const stack = [];
    for (const e of own) {
      while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
      const parent = stack.at(-1);
      if (parent) self[parent.name] -= e.dur;
      self[e.name] = (self[e.name] ?? 0) + e.dur;
      stack.push(e);
    }
    const events_ms = Object.fromEntries(Object.entries(self).map(([k, v]) => [k, Math.round(v / 100) / 10]).filter(([, v]) => v >= 5).sort((a, b) => b[1] - a[1]).slice(0, 25));
    return { events_ms, js_ms: js };
  };
}

/** A CPU profile's self time (ms) by script file (hash-free chunk name) and by the top functions. */
function profileByFile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i + 1] ?? 0) / 1000));
  const files = {};
  const fns = {};
  for (const [id, ms] of self) {
    const { callFrame: f } = byId.get(id);
    const file = (f.url ? f.url.split('/').pop().replace(/-[\w-]{8}\.js$/, '.js') : `(${f.functionName || 'program'})`).slice(0, 60);
    files[file] = (files[file] ?? 0) + ms;
    const fn = `${(f.functionName || '(anonymous)').slice(0, 60)} ${file}:${f.lineNumber + 1}`;
    fns[fn] = (fns[fn] ?? 0) + ms;
  }
  const top = (o, n) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  return { by_file: top(files, 12), by_function: top(fns, 15) };
}

async function runOurs(browser, appUrl, llm, c, answer) {
  const page = await browser.newPage();
  try {
    await page.addInitScript(installMonitor);
    await page.goto(`${appUrl}/`);
    await waitReady(page);
    if (await page.evaluate(() => document.querySelector('code-interpreter').app.vm.items.length)) {
      await page.evaluate(() => document.querySelector('code-interpreter').app.newConversation());
      await page.waitForFunction(() => document.querySelector('code-interpreter').app.vm.items.length === 0);
      await waitReady(page);
    }
    await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', tools: true }, 'sk-bench');
    await page.bringToFront();
    await page.waitForTimeout(SETTLE_MS);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const sent = streamStep(answer.text, c.delay);
    llm.script([sent.step]);
    const before = llm.requests.length;
    await page.evaluate(watchApp, answer.lastWords);
    const stopTrace = await startTrace(cdp);
    const m0 = await metrics(cdp);
    await page.evaluate(() => window.__benchStart());
    await ask(page, PROMPT);
    const t = await withTimeout(page.evaluate(() => window.__benchDone), TURN_TIMEOUT_MS, 'the app');
    const m1 = await metrics(cdp);
    const trace = await stopTrace?.();
    const server = serverSide(llm, before);
    const text = await page.evaluate(() => document.querySelector('code-interpreter').app.vm.items.at(-1).text);
    if (text !== answer.text) throw new Error('the app\'s final answer differs from the one sent');
    const { samples, ...mon } = t.mon;
    return { ...busy(m0, m1), ...mon, ...behind(samples, t.origin, sent, server.writes), wall_ms: t.frame - mon.t0,
      lag_ms: t.origin + t.frame - server.end, lag_item_ms: t.origin + t.item - server.end, sent, server, ...(trace && { trace_self_ms: trace }) };
  } finally {
    await page.close();
  }
}

async function runBare(browser, bareUrl, llm, c, answer) {
  const page = await browser.newPage();
  try {
    await page.addInitScript(installMonitor);
    await page.goto(`${bareUrl}/page.html`);
    await page.waitForFunction(() => window.bareReady === true);
    await page.bringToFront();
    await page.waitForTimeout(300);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const sent = streamStep(answer.text, c.delay);
    llm.script([sent.step]);
    const before = llm.requests.length;
    const stopTrace = await startTrace(cdp);
    const m0 = await metrics(cdp);
    const r = await withTimeout(page.evaluate(async (a) => {
      window.__benchStart();
      const out = await window.runBare(a);
      const mon = window.__benchStop();
      // performance.timeOrigin + now() drifts from the wall clock (Date.now(), the server's): corrected.
      return { ...out, mon, origin: performance.timeOrigin + (Date.now() - (performance.timeOrigin + performance.now())) };
    }, { baseUrl: `${llm.url}/v1`, prompt: PROMPT, lastWords: answer.lastWords }), TURN_TIMEOUT_MS, 'the bare page');
    const m1 = await metrics(cdp);
    const trace = await stopTrace?.();
    const server = serverSide(llm, before);
    if (r.text !== answer.text) throw new Error('the bare page\'s text differs from the one sent');
    const { samples, ...mon } = r.mon;
    return { ...busy(m0, m1), ...mon, ...behind(samples, r.origin, sent, server.writes), wall_ms: r.frame - mon.t0,
      lag_ms: r.origin + r.frame - server.end, lag_body_end_ms: r.origin + r.body_end - server.end, sent, server, ...(trace && { trace_self_ms: trace }) };
  } finally {
    await page.close();
  }
}

/** The bare page, built by Vite (the same libraries from node_modules, minified like the app). */
async function startBarePage() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-chat-stream-'));
  await build({
    configFile: false,
    root: path.join(ROOT, 'bench/chat-stream'),
    base: './',
    logLevel: 'warn',
    build: { outDir: out, emptyOutDir: true, target: 'es2022', minify: true, rollupOptions: { input: path.join(ROOT, 'bench/chat-stream/page.html') } },
  });
  // Served like the app (scripts/serve.mjs: cross-origin isolated, no-cache), from the build only.
  const server = await startApp({ isolation: true, dist: out, checkout: false });
  return { url: server.url, close: async () => { await server.close(); fs.rmSync(out, { recursive: true, force: true }); } };
}

// ---------------------------------------------------------------- the run

const CASES = [
  { name: 'paced', delay: DELAY },
  { name: 'fast', delay: 0 },
];
const FIELDS = ['busy_ms', 'cpu_ms', 'process_cpu_ms', 'script_ms', 'layout_ms', 'style_ms', 'wall_ms', 'lag_ms', 'longtasks', 'longtask_max_ms', 'longtask_total_ms', 'loafs', 'loaf_max_ms', 'loaf_blocking_ms', 'frames', 'slow_frames', 'max_frame_ms', 'behind_median_ms', 'behind_p95_ms', 'behind_max_ms', 'events_per_s', 'stream_ms', 'busy_share'];

function summarize(runs) {
  return Object.fromEntries(FIELDS.map((f) => [f, round1(median(runs.map((r) => r[f])))]));
}

async function main() {
  const t0 = Date.now();
  const gitHead = (() => { try { return execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).toString().trim(); } catch { return null; } })();
  const copy = DIST ? null : await copyDist();
  const distDir = DIST ? path.resolve(DIST) : copy.dir;
  const distBuilt = fs.statSync(path.join(DIST ? distDir : path.join(ROOT, 'dist'), 'index.html')).mtime.toISOString();
  const mdChunk = fs.readdirSync(path.join(distDir, 'assets')).find((f) => f.startsWith('markdown-')) ?? null; // names the build
  const app = await startApp({ isolation: true, dist: distDir, checkout: false });
  const bare = await startBarePage();
  const llm = await startLlmServer({ respond: (record) => { logWrites(record); return undefined; } });
  const browser = await launchBrowser();
  const loads = [load1()];
  const runs = Object.fromEntries(CASES.map((c) => [c.name, { ours: [], bare: [] }]));
  const probe = makeAnswer('run0p');
  const probeStream = streamStep(probe.text, 0);
  let chromium = null;
  try {
    // A first visit: Python's first start makes its snapshot; the rounds then start warm.
    const warm = await browser.newPage();
    await warm.goto(`${app.url}/`);
    await waitReady(warm);
    chromium = await warm.evaluate(() => navigator.userAgent.match(/Chrom(?:e|ium)\/([\d.]+)/)?.[1] ?? null);
    await warm.waitForTimeout(3000);
    await warm.close();
    console.log(`answer: ${probe.text.length} chars, ${probeStream.bytes} bytes of SSE in ${probeStream.events} events; ${probe.codeBlocks} python blocks, a ${probe.tableRows}-row table; load ${load1()}`);
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const c of CASES) {
        const answer = makeAnswer(`run${round}${c.name[0]}`);
        const order = round % 2 ? ['ours', 'bare'] : ['bare', 'ours'];
        for (const who of order) {
          const r = who === 'ours' ? await runOurs(browser, app.url, llm, c, answer) : await runBare(browser, bare.url, llm, c, answer);
          r.stream_ms = r.server.end - r.server.start;
          r.events_per_s = r.sent.events / ((r.server.last_write - r.server.start) / 1000);
          r.busy_share = r.busy_ms / r.wall_ms;
          delete r.sent;
          delete r.server.writes;
          r.load = load1();
          runs[c.name][who].push(r);
        }
        const o = runs[c.name].ours.at(-1);
        const b = runs[c.name].bare.at(-1);
        console.log(`round ${round} ${c.name.padEnd(5)} ours: busy ${o.busy_ms.toFixed(0)} ms, cpu ${o.cpu_ms.toFixed(0)} (script ${o.script_ms.toFixed(0)}, layout ${o.layout_ms.toFixed(0)}, style ${o.style_ms.toFixed(0)}), lag ${o.lag_ms.toFixed(0)} ms, behind ${o.behind_median_ms?.toFixed(0)}/${o.behind_p95_ms?.toFixed(0)} ms, long tasks ${o.longtasks} (max ${o.longtask_max_ms.toFixed(0)}), LoAF ${o.loafs} (max ${o.loaf_max_ms.toFixed(0)}), frames >50 ms ${o.slow_frames}/${o.frames}, stream ${o.stream_ms} ms at ${o.events_per_s.toFixed(0)} ev/s`);
        console.log(`        ${''.padEnd(5)} bare: busy ${b.busy_ms.toFixed(0)} ms, cpu ${b.cpu_ms.toFixed(0)} (script ${b.script_ms.toFixed(0)}, layout ${b.layout_ms.toFixed(0)}, style ${b.style_ms.toFixed(0)}), lag ${b.lag_ms.toFixed(0)} ms, behind ${b.behind_median_ms?.toFixed(0)}/${b.behind_p95_ms?.toFixed(0)} ms, long tasks ${b.longtasks} (max ${b.longtask_max_ms.toFixed(0)}), LoAF ${b.loafs} (max ${b.loaf_max_ms.toFixed(0)}), frames >50 ms ${b.slow_frames}/${b.frames}, stream ${b.stream_ms} ms at ${b.events_per_s.toFixed(0)} ev/s; load ${load1()}`);
      }
      loads.push(load1());
    }
  } finally {
    await browser.close();
    await llm.close();
    await bare.close();
    await app.close();
    copy?.remove();
  }

  const cases = Object.fromEntries(CASES.map((c) => {
    const ours = summarize(runs[c.name].ours);
    const base = summarize(runs[c.name].bare);
    const ratio = (f) => (ours[f] != null && base[f] ? +(ours[f] / base[f]).toFixed(2) : null);
    return [c.name, {
      delay_ms: c.delay,
      median: { ours, bare: base },
      ratio_ours_to_bare: { busy: ratio('busy_ms'), cpu: ratio('cpu_ms'), process_cpu: ratio('process_cpu_ms'), script: ratio('script_ms'), layout: ratio('layout_ms'), style: ratio('style_ms'), lag: ratio('lag_ms'), wall: ratio('wall_ms'), busy_share: ratio('busy_share'), behind_median: ratio('behind_median_ms'), behind_p95: ratio('behind_p95_ms') },
      runs: { ours: runs[c.name].ours, bare: runs[c.name].bare },
    }];
  }));
  const result = {
    benchmark: 'chat while a ~24 KB markdown answer streams: the built app vs a bare page (plain text, then one markdown render), headless Chromium, same run, alternating',
    date: new Date().toISOString(),
    rounds: ROUNDS,
    chromium,
    git_head: gitHead,
    traced: TRACE,
    dist: DIST ? distDir : 'a copy of dist/',
    dist_built: distBuilt,
    dist_markdown_chunk: mdChunk,
    answer: { chars: probe.text.length, sse_bytes: probeStream.bytes, events: probeStream.events, piece_chars: 6, python_blocks: probe.codeBlocks, table_rows: probe.tableRows },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg_start: loads[0], loadavg_per_round: loads.slice(1), loadavg_end: os.loadavg().map((x) => +x.toFixed(2)) },
    seconds: Math.round((Date.now() - t0) / 1000),
    notes: {
      busy_ms: 'CDP Performance.getMetrics TaskDuration of the page (its main thread; tasks\' wall time), after minus before: from just before the message is sent to the end of the turn; cpu_ms: ThreadTime (main-thread CPU), process_cpu_ms: ProcessTime (the renderer process)',
      behind_ms: 'per frame while the answer streams, sampled just before the paint (ResizeObserver on a probe resized every frame): now minus the server\'s write of the event that completed the characters the page shows (app: vm streaming text; bare: text appended)',
      lag_ms: 'from the scripted server\'s last byte (response.ended_ms) to the frame that shows the complete formatted answer (page performance.timeOrigin + now, set to the page\'s Date.now(), the server\'s clock)',
      bare: 'bench/chat-stream/page.mjs: fetch + streaming TextDecoder + line split + JSON.parse per event, delta appended to a <pre> text node, scrolled once per frame; at the end the markdown rendered once (marked + DOMPurify + highlight.js python) in place of the plain text',
    },
    cases,
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);

  const rows = [
    ['main-thread busy, ms', 'busy_ms', 'busy'], ['  share of the wall time', 'busy_share', 'busy_share'], ['main-thread CPU, ms', 'cpu_ms', 'cpu'], ['renderer process CPU, ms', 'process_cpu_ms', 'process_cpu'], ['  script, ms', 'script_ms', 'script'], ['  layout, ms', 'layout_ms', 'layout'],
    ['  style, ms', 'style_ms', 'style'], ['lag after the last byte, ms', 'lag_ms', 'lag'],
    ['text behind the stream, median ms', 'behind_median_ms', 'behind_median'], ['  95th percentile, ms', 'behind_p95_ms', 'behind_p95'], ['  max, ms', 'behind_max_ms'], ['request to painted answer, ms', 'wall_ms', 'wall'],
    ['long tasks', 'longtasks'], ['longest task, ms', 'longtask_max_ms'],
    ['long animation frames', 'loafs'], ['longest LoAF, ms', 'loaf_max_ms'], ['LoAF blocking total, ms', 'loaf_blocking_ms'], ['frames > 50 ms', 'slow_frames'], ['frames', 'frames'],
    ['slowest frame, ms', 'max_frame_ms'], ['events/s sent', 'events_per_s'],
  ];
  console.log(`\n${probe.text.length}-char answer in ${probeStream.events} SSE events; medians of ${ROUNDS} rounds; load ${loads.join(' → ')} (1-min avg), ${os.cpus().length} cores; ${result.seconds} s`);
  for (const [name, k] of Object.entries(cases)) {
    console.log(`\n${name} (server delay ${k.delay_ms} ms per event)`);
    console.log(`  ${'metric'.padEnd(31)} ${'ours'.padStart(9)} ${'bare'.padStart(9)} ${'ours/bare'.padStart(10)}`);
    for (const [label, f, rk] of rows) {
      const o = k.median.ours[f];
      const b = k.median.bare[f];
      const rr = rk ? k.ratio_ours_to_bare[rk] : null;
      console.log(`  ${label.padEnd(31)} ${String(o).padStart(9)} ${String(b).padStart(9)} ${(rr != null ? `${rr}x` : '').padStart(10)}`);
    }
  }
  if (TRACE) {
    for (const [name, k] of Object.entries(cases)) {
      for (const who of ['ours', 'bare']) {
        const t = k.runs[who].at(-1).trace_self_ms;
        console.log(`\n${name} ${who}, last round, main thread self time by trace event (ms): ${Object.entries(t.events_ms).slice(0, 14).map(([n, v]) => `${n} ${v}`).join(', ')}`);
        console.log(`  JavaScript self time by file (ms): ${Object.entries(t.js_ms.by_file).map(([n, v]) => `${n} ${v}`).join(', ')}`);
        console.log(`  by function: ${Object.entries(t.js_ms.by_function).slice(0, 10).map(([n, v]) => `${n} ${v}`).join(', ')}`);
      }
    }
  }
  console.log(`\nwrote ${path.relative(process.cwd(), OUT)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
