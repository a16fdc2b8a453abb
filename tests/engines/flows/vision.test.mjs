// Vision in every engine (issue 12): the built app in Chromium, Firefox and
// WebKit, the strict scripted model server, "The model can see images" on.
// An uploaded small PNG reaches the model's request as an image part byte
// for byte; a 3000×1000 PNG is downscaled in the page (js_glue/images.mjs:
// createImageBitmap → OffscreenCanvas, or a <canvas> where an engine has no
// OffscreenCanvas 2D) and goes at most 1568 px on its longer side, while
// /mnt/data keeps the original. One browser per engine.
// Run: node --test tests/engines/flows/vision.test.mjs   (CI_ENGINES=webkit narrows)
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp } from '../../e2e/harness.mjs';
import { copyDist } from '../../e2e/pwa-helpers.mjs';
import { startLlmServer } from '../../support/llm-server.mjs';
import { makePng, modelRequests, imagesIn, previewProbe } from '../../e2e/vision-helpers.mjs';
import { imageInfo, MAX_SIDE } from '../../../js_glue/images.mjs';
import { defineFlows, closePage, openApp, waitIdle, configure, newConversation, readAppFile, FILE_INPUT, TEXTAREA } from './common.mjs';

let dist;
let iso;
let src; // the checkout's js_glue/, unbundled, for the in-page check of previewFor
let llm;
async function servers() {
  if (iso) return;
  dist = await copyDist();
  iso = await startApp({ isolation: true, dist: dist.dir, checkout: false });
  src = await startApp({ isolation: true, dist: dist.dir, checkout: true });
  llm = await startLlmServer();
}
after(async () => {
  await Promise.all([iso?.close(), src?.close(), llm?.close()]);
  dist?.remove();
});

async function uploadAndAsk(page, name, png, question, answered) {
  await page.setInputFiles(FILE_INPUT, [{ name, mimeType: 'image/png', buffer: png }]);
  await page.waitFor((n) => document.querySelector('code-interpreter').app.vm.files.some((f) => f.path === n), name);
  const before = modelRequests(llm).length;
  llm.script([{ text: `Seen ${name}.` }]);
  await page.fill(TEXTAREA, question);
  await page.press(TEXTAREA, 'Enter');
  await waitIdle(page, (s) => s.items.filter((i) => i.kind === 'assistant').length >= answered, 120000);
  const sent = modelRequests(llm).slice(before);
  assert.equal(sent.length, 1, `one request for "${question}"`);
  assert.deepEqual(sent[0].invalid, [], 'a request the provider accepts');
  return imagesIn(sent[0].body);
}

defineFlows(import.meta.url, [
  {
    name: 'previewFor downscales in the page (OffscreenCanvas and the <canvas> fallback)',
    async run({ browser, log, notes }) {
      const page = await browser.newPage();
      try {
        await page.goto(`${src.url}/js_glue/images.mjs`);
        const r = await page.evaluateAsync(previewProbe, { module: '/js_glue/images.mjs', png: makePng(3000, 1000).toString('base64'), jpeg: [2400, 1800], small: makePng(300, 200).toString('base64') });
        const info = (p) => p && { ...imageInfo(Buffer.from(p.base64, 'base64')), given: p.mediaType };
        log(`OffscreenCanvas ${r.offscreen}; png ${JSON.stringify(info(r.png))}; jpeg ${JSON.stringify(info(r.jpeg))}; fallback ${JSON.stringify(info(r.fallback))}`);
        Object.assign(notes, { offscreen: r.offscreen });
        for (const key of ['png', 'untyped', 'fallback']) {
          assert.deepEqual(info(r[key]), { mediaType: 'image/png', width: 1568, height: 523, given: 'image/png' }, `${key}: a 1568×523 PNG`);
        }
        if (r.jpegType === 'image/jpeg') assert.deepEqual(info(r.jpeg), { mediaType: 'image/jpeg', width: 1568, height: 1176, given: 'image/jpeg' }, 'a JPEG stays JPEG');
        assert.equal(r.small, null, 'small enough: no preview');
        assert.equal(r.text, null, 'not an image: no preview');
        // A PNG cut short: Chromium refuses it (null); Firefox and WebKit decode what arrived. Either way no throw, nothing over-size.
        assert.ok(r.broken === null || Math.max(info(r.broken).width, info(r.broken).height) <= 1568, `cut short: none, or a bounded preview (${JSON.stringify(info(r.broken))})`);
      } finally {
        await closePage(page);
      }
    },
  },
  {
    name: 'an uploaded PNG reaches the request; a 3000×1000 one goes downscaled',
    async run({ browser, log, notes }) {
      const page = await openApp(browser, `${iso.url}/`);
      try {
        await newConversation(page);
        await configure(page, { preset: 'custom', baseUrl: `${llm.url}/v1`, format: 'openai', model: 'gpt-4o-mini', vision: true }, 'sk-engines-vision');

        const small = makePng(40, 30);
        const first = await uploadAndAsk(page, 'small.png', small, 'What is in small.png?', 1);
        assert.ok(first.some((im) => im.bytes?.equals(small) && im.mediaType === 'image/png'), `small.png went byte for byte (images: ${first.length})`);

        const big = makePng(3000, 1000);
        const second = await uploadAndAsk(page, 'wide.png', big, 'And wide.png?', 2);
        const sizes = second.map((im) => ({ ...imageInfo(im.bytes), bytes: im.bytes.length }));
        log(`images in the request: ${JSON.stringify(sizes)}`);
        const wide = sizes.filter((s) => s.width > s.height * 2.5);
        assert.equal(wide.length, 1, 'the wide image is in the request once');
        Object.assign(notes, { preview: wide[0] });
        assert.ok(Math.max(wide[0].width, wide[0].height) <= MAX_SIDE, `at most ${MAX_SIDE} px: ${wide[0].width}×${wide[0].height}`);
        assert.ok(Math.abs(wide[0].height - 523) <= 1 && wide[0].width === MAX_SIDE, `aspect kept: ${wide[0].width}×${wide[0].height}`);
        const kept = await readAppFile(page, 'wide.png');
        assert.deepEqual(imageInfo(kept), { mediaType: 'image/png', width: 3000, height: 1000 }, '/mnt/data keeps the original');
      } finally {
        await closePage(page);
      }
    },
  },
], { before: servers });
