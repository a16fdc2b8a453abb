// Vision, end to end (issue 12): the built app in real Chromium against the
// strict scripted model server (tests/support/llm-validate.mjs checks every
// image part as the provider would). With "The model can see images" on:
// - an uploaded PNG reaches the next request as an image, in all three wire
//   formats (Chat Completions image_url data URL, Responses input_image,
//   Anthropic image block with a base64 source), byte for byte, with its
//   file name in the same message;
// - a chart a run displayed (a PNG made with zlib + struct) reaches the
//   request after the tool result (Anthropic: inside the tool_result);
// - a 3000×1000 PNG goes as a downscaled copy, at most 1568 px on its longer
//   side (decoded from the image's header), while /mnt/data keeps the original;
// - no request carries more than 4 images, and none is refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startApp, artifactPath } from './harness.mjs';
import { startLlmServer } from '../support/llm-server.mjs';
import { requireBuiltApp, openApp, waitIdle, ask, configure, assertNoViolations } from './app-helpers.mjs';
import { makePng, modelRequests, imagesIn, previewProbe } from './vision-helpers.mjs';
import { imageInfo, MAX_SIDE } from '../../js_glue/images.mjs';

const FORMATS = ['openai', 'responses', 'anthropic'];

// A 24×12 PNG from plain Python, shown with display() (its _repr_png_).
const CHART_CODE = `import zlib, struct
rows = [b'\\x00' + bytes([x * 10, 255 - x * 10, 60]) * 24 for x in range(12)]
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 24, 12, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b''.join(rows))) + chunk(b'IEND', b'')
class Chart:
    def _repr_png_(self): return png
display(Chart())
print('drawn')`;

/** The message (or input item) of `body` an image found at `path` sits in, as JSON text. */
function messageOf(body, path) {
  const [, list, index] = path.split('.');
  return JSON.stringify(body[list]?.[index] ?? null);
}

async function setModel(page, llm, format) {
  await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format, model: 'gpt-4o-mini', vision: true }, 'sk-vision');
  await page.waitForFunction((f) => document.querySelector('code-interpreter').app.vm.settings.format === f, format);
}

async function upload(page, name, buffer) {
  await page.locator('ci-composer input[type=file]').setInputFiles({ name, mimeType: 'image/png', buffer });
  await page.locator(`ci-files li[data-path="${name}"]`).waitFor();
}

let app; let llm;
test.before(async () => {
  requireBuiltApp();
  app = await startApp({ isolation: true });
  llm = await startLlmServer();
});
test.after(async () => {
  await llm?.close();
  await app?.close();
});

/** Runs `body(page)` on the app in a browser of its own (a fresh profile: its own conversation, no other tab holding it). */
async function withApp(body) {
  const browser = await launchBrowser();
  try {
    const { page, violations } = await openApp(browser, app.url);
    await body(page);
    assertNoViolations(violations);
  } finally {
    await browser.close();
  }
}

test('previewFor in Chromium: over-size PNG (also untyped, also without OffscreenCanvas) → PNG ≤1568 px; JPEG → JPEG; small, text, broken → none', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${app.url}/js_glue/images.mjs`); // a page of the app's origin with no policy of its own
    const r = await page.evaluate(previewProbe, { module: '/js_glue/images.mjs', png: makePng(3000, 1000).toString('base64'), jpeg: [2400, 1800], small: makePng(300, 200).toString('base64') });
    const info = (p) => p && { ...imageInfo(Buffer.from(p.base64, 'base64')), given: p.mediaType };
    assert.equal(r.offscreen, true, 'Chromium has OffscreenCanvas');
    for (const key of ['png', 'untyped', 'fallback']) {
      assert.deepEqual(info(r[key]), { mediaType: 'image/png', width: 1568, height: 523, given: 'image/png' }, `${key}: a 1568×523 PNG`);
    }
    assert.equal(r.jpegType, 'image/jpeg');
    assert.deepEqual(info(r.jpeg), { mediaType: 'image/jpeg', width: 1568, height: 1176, given: 'image/jpeg' }, 'a JPEG stays JPEG, aspect kept');
    assert.equal(r.small, null, 'small enough: no preview');
    assert.equal(r.text, null, 'not an image: no preview');
    // A PNG cut short: Chromium refuses it (null); Firefox and WebKit decode what arrived. Either way no throw, nothing over-size.
    assert.ok(r.broken === null || Math.max(info(r.broken).width, info(r.broken).height) <= 1568, `cut short: none, or a bounded preview (${JSON.stringify(info(r.broken))})`);
  } finally {
    await browser.close();
  }
});

test('vision: an uploaded PNG reaches the request as an image in all three formats; a 3000×1000 one goes downscaled to ≤1568 px', () => withApp(async (page) => {
  let answers = 0;
  for (const [i, format] of FORMATS.entries()) {
    await setModel(page, llm, format);
    const name = `photo-${format}.png`;
    const png = makePng(40, 30, [60 * i, 120, 200]);
    await upload(page, name, png);
    const before = modelRequests(llm).length;
    llm.script([{ text: `I see a ${format} picture.` }]);
    await ask(page, 'What is in the picture?');
    answers += 1;
    await waitIdle(page, (v) => v.items.filter((x) => x.kind === 'assistant').length >= answers);
    const sent = modelRequests(llm).slice(before);
    assert.equal(sent.length, 1, `one ${format} request for the question`);
    const [req] = sent;
    assert.deepEqual(req.invalid, [], `the ${format} request is one the provider accepts`);
    const images = imagesIn(req.body);
    const mine = images.find((im) => im.bytes?.equals(png));
    assert.ok(mine, `${format}: the uploaded PNG is in the request byte for byte (found ${images.length} image(s): ${images.map((im) => im.path).join(', ')})`);
    assert.equal(mine.format, format, `${format}: in the format's own image part`);
    assert.equal(mine.mediaType, 'image/png');
    assert.match(messageOf(req.body, mine.path), new RegExp(name.replace('.', '\\.')), `${format}: the message says which file the image is`);
    if (format !== 'anthropic') assert.match(messageOf(req.body, mine.path), /"role":"user"/, `${format}: in a user message`);
  }

  // Over-size: a preview made in the browser goes instead of the original.
  await setModel(page, llm, 'openai');
  const big = makePng(3000, 1000);
  await upload(page, 'wide.png', big);
  const before = modelRequests(llm).length;
  llm.script([{ text: 'A wide picture.' }]);
  await ask(page, 'And this one?');
  answers += 1;
  await waitIdle(page, (v) => v.items.filter((x) => x.kind === 'assistant').length >= answers);
  const [req] = modelRequests(llm).slice(before);
  assert.deepEqual(req.invalid, []);
  const images = imagesIn(req.body);
  const wide = images.filter((im) => {
    const info = imageInfo(im.bytes);
    return info && info.width > info.height * 2.5; // the 3:1 one, whichever size it was sent at
  });
  assert.equal(wide.length, 1, `the wide image is in the request once (images: ${images.map((im) => JSON.stringify(imageInfo(im.bytes))).join(', ')})`);
  const info = imageInfo(wide[0].bytes);
  assert.ok(Math.max(info.width, info.height) <= MAX_SIDE, `sent at most ${MAX_SIDE} px on its longer side, got ${info.width}×${info.height}`);
  assert.equal(info.width, MAX_SIDE, 'downscaled to exactly the limit, aspect kept');
  assert.ok(Math.abs(info.height - 523) <= 1, `height ${info.height} ≈ 1000 × 1568 / 3000`);
  console.log(`wide.png: original ${big.length} bytes (3000×1000), sent ${wide[0].bytes.length} bytes (${info.width}×${info.height} ${wide[0].mediaType})`);
  const kept = await page.evaluate(() => Array.from(document.querySelector('code-interpreter').app.readFile('wide.png') ?? []));
  assert.deepEqual(imageInfo(new Uint8Array(kept)), { mediaType: 'image/png', width: 3000, height: 1000 }, '/mnt/data keeps the original');

  for (const r of modelRequests(llm)) assert.ok(imagesIn(r.body).length <= 4, `at most 4 images per request (${r.path})`);
  await page.screenshot({ path: artifactPath('vision-uploads.png') });
}));

test('vision: a chart a run displayed reaches the next request, in all three formats (Anthropic: inside the tool_result)', () => withApp(async (page) => {
  let answers = 0;
  for (const [i, format] of FORMATS.entries()) {
    await setModel(page, llm, format);
    const before = modelRequests(llm).length;
    llm.script([
      { tool_calls: [{ id: `call_chart_${i}`, arguments: JSON.stringify({ code: CHART_CODE }) }] },
      { text: 'The chart shows a gradient.' },
    ]);
    await ask(page, `Draw a chart (${format}).`);
    answers += 1;
    await waitIdle(page, (v) => v.items.filter((x) => x.kind === 'assistant' && x.text).length >= answers);
    const sent = modelRequests(llm).slice(before);
    assert.equal(sent.length, 2, `${format}: the call, then the request with its result`);
    for (const r of sent) assert.deepEqual(r.invalid, [], `${format}: accepted by the provider's checks`);
    const charts = imagesIn(sent[1].body).filter((im) => {
      const info = imageInfo(im.bytes);
      return info?.width === 24 && info?.height === 12;
    });
    assert.ok(charts.length >= 1, `${format}: the displayed 24×12 PNG is in the request after the run`);
    const chart = charts.at(-1);
    assert.equal(chart.mediaType, 'image/png');
    assert.equal(chart.format, format);
    if (format === 'anthropic') assert.match(chart.path, /tool_result/, 'Anthropic: the image is inside the tool_result');
    else assert.match(messageOf(sent[1].body, chart.path), /"role":"user"/, `${format}: in a user message after the tool result`);
    assert.match(messageOf(sent[1].body, chart.path), /cell/i, `${format}: the text says which cell showed the image`);
  }
}));
