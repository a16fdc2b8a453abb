// js_glue/images.mjs in Node: the header reader (the size of PNG, JPEG, GIF
// and WebP images without decoding), when a preview is needed, its size, and
// previewFor's null paths (no browser here: it must answer null, never
// throw). The real downscale runs in browsers: tests/e2e/vision.test.mjs and
// tests/engines/flows/vision.test.mjs.
import test from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { imageInfo, needsPreview, previewSize, previewFor, MAX_SIDE, MAX_BYTES } from '../../js_glue/images.mjs';

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(type), data])) >>> 0);
  return Buffer.concat([len, Buffer.from(type), data, crc]);
}

/** A real (decodable) RGB PNG of w×h. */
function png(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((w * 3 + 1) * h);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A JPEG header: SOI, an APP0 (JFIF) segment, a DQT-sized filler, then SOF2 (progressive) with h and w.
function jpegHeader(w, h, sof = 0xc2) {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const dht = [0xff, 0xc4, 0x00, 0x05, 0, 0, 0]; // C4 is a Huffman table, not a frame: skipped
  const sofSeg = [0xff, sof, 0x00, 0x11, 8, h >> 8, h & 255, w >> 8, w & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return new Uint8Array([0xff, 0xd8, ...app0, ...dht, ...sofSeg, 0xff, 0xd9]);
}

function gifHeader(w, h) {
  return new Uint8Array([...Buffer.from('GIF89a'), w & 255, w >> 8, h & 255, h >> 8, 0, 0, 0]);
}

function riff(kind, payload) {
  const b = Buffer.alloc(20 + payload.length);
  b.write('RIFF', 0);
  b.writeUInt32LE(12 + payload.length, 4);
  b.write('WEBP', 8);
  b.write(kind, 12);
  b.writeUInt32LE(payload.length, 16);
  Buffer.from(payload).copy(b, 20);
  return new Uint8Array(b);
}
// VP8: a frame tag, the start code 9d 01 2a, then 14-bit width and height.
const webpLossy = (w, h) => riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, w & 255, w >> 8, h & 255, h >> 8, 0, 0]);
function webpLossless(w, h) {
  const bits = ((w - 1) & 0x3fff) | (((h - 1) & 0x3fff) << 14);
  return riff('VP8L', [0x2f, bits & 255, (bits >>> 8) & 255, (bits >>> 16) & 255, (bits >>> 24) & 255, 0, 0, 0, 0, 0]);
}
function webpExtended(w, h) {
  const [a, b] = [w - 1, h - 1];
  return riff('VP8X', [0x10, 0, 0, 0, a & 255, (a >> 8) & 255, a >> 16, b & 255, (b >> 8) & 255, b >> 16]);
}

test('imageInfo reads the type and size of PNG, JPEG (baseline and progressive), GIF and the three WebP kinds', () => {
  assert.deepEqual(imageInfo(png(3000, 1000)), { mediaType: 'image/png', width: 3000, height: 1000 });
  assert.deepEqual(imageInfo(jpegHeader(4032, 3024)), { mediaType: 'image/jpeg', width: 4032, height: 3024 });
  assert.deepEqual(imageInfo(jpegHeader(640, 480, 0xc0)), { mediaType: 'image/jpeg', width: 640, height: 480 });
  assert.deepEqual(imageInfo(gifHeader(320, 200)), { mediaType: 'image/gif', width: 320, height: 200 });
  assert.deepEqual(imageInfo(webpLossy(2000, 1500)), { mediaType: 'image/webp', width: 2000, height: 1500 });
  assert.deepEqual(imageInfo(webpLossless(1600, 900)), { mediaType: 'image/webp', width: 1600, height: 900 });
  assert.deepEqual(imageInfo(webpExtended(5000, 20)), { mediaType: 'image/webp', width: 5000, height: 20 });
});

test('imageInfo answers null for what is not one of the four image types, or is cut short', () => {
  assert.equal(imageInfo(new TextEncoder().encode('region,total\nN,10\n')), null);
  assert.equal(imageInfo(new Uint8Array()), null);
  assert.equal(imageInfo(png(10, 10).subarray(0, 20)), null, 'a PNG cut inside its IHDR');
  assert.equal(imageInfo(jpegHeader(10, 10).subarray(0, 12)), null, 'a JPEG cut before its frame header');
  assert.equal(imageInfo(new TextEncoder().encode('%PDF-1.7\n')), null);
});

test('a preview is needed over 1568 px on the longer side or over ~3.5 MB, and keeps the aspect', () => {
  assert.equal(MAX_SIDE, 1568);
  assert.equal(needsPreview({ width: 1568, height: 1568 }, 1000), false, 'exactly the limit: sent as is');
  assert.equal(needsPreview({ width: 1569, height: 10 }, 1000), true);
  assert.equal(needsPreview({ width: 10, height: 3000 }, 1000), true);
  assert.equal(needsPreview({ width: 800, height: 600 }, MAX_BYTES + 1), true, 'small but heavy');
  assert.equal(needsPreview(null, MAX_BYTES * 2), false, 'not an image: never');
  assert.deepEqual(previewSize(3000, 1000), { width: 1568, height: 523 });
  assert.deepEqual(previewSize(1000, 3000), { width: 523, height: 1568 });
  assert.deepEqual(previewSize(100000, 10), { width: 1568, height: 1 }, 'at least one pixel');
  assert.deepEqual(previewSize(800, 600), { width: 800, height: 600 }, 'never upscaled');
});

test('previewFor in Node (no createImageBitmap): null for every input, and it never throws', async () => {
  assert.equal(typeof globalThis.createImageBitmap, 'undefined', 'this test pins the no-browser path');
  assert.equal(await previewFor(png(3000, 1000), 'image/png'), null, 'an over-size image, but no way to decode it here');
  assert.equal(await previewFor(png(16, 16), 'image/png'), null);
  assert.equal(await previewFor(new TextEncoder().encode('a,b\n'), 'text/csv'), null);
  assert.equal(await previewFor(null), null);
});

test('previewFor answers null without decoding when no preview is needed, and on a decode failure', async () => {
  const calls = [];
  globalThis.createImageBitmap = async (blob) => { calls.push(blob.type); throw new DOMException('The source image could not be decoded.', 'InvalidStateError'); };
  try {
    assert.equal(await previewFor(png(640, 480), 'image/png'), null, 'small enough: the core sends the original');
    assert.equal(await previewFor(new TextEncoder().encode('not an image'), 'image/png'), null, 'not an image by its bytes');
    assert.deepEqual(calls, [], 'nothing was decoded for those');
    assert.equal(await previewFor(png(3000, 1000), ''), null, 'an undecodable over-size image: null, not a throw');
    assert.deepEqual(calls, ['image/png'], 'the type comes from the bytes when the browser gave none');
  } finally {
    delete globalThis.createImageBitmap;
  }
});
