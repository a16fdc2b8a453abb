// Helpers for the vision tests (tests/e2e/vision.test.mjs,
// tests/engines/flows/vision.test.mjs): real PNGs made here, and the image
// parts of a recorded model request in each of the three wire formats.
import zlib from 'node:zlib';

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A real RGB PNG of w×h in one colour with a diagonal stripe (so a
 * downscaled copy is not trivially compressible to nothing), as a Buffer.
 */
export function makePng(w, h, [r, g, b] = [200, 40, 40]) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = w * 3 + 1;
  const raw = Buffer.alloc(row * h);
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      const o = y * row + 1 + x * 3;
      const stripe = Math.abs(x - y) % 97 < 8;
      raw[o] = stripe ? 20 : r;
      raw[o + 1] = stripe ? 20 : g;
      raw[o + 2] = stripe ? 200 : b;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The model requests a scripted server recorded (not /models). */
export const modelRequests = (llm) => llm.requests.filter((r) => r.format);

const fromDataUrl = (url) => {
  const m = /^data:(image\/[a-z]+);base64,(.*)$/s.exec(String(url));
  return m ? { mediaType: m[1], bytes: Buffer.from(m[2], 'base64') } : null;
};

/**
 * Every image in a request body, in order: [{mediaType, bytes, path}] where
 * path says where it sits (e.g. "messages.3.content.1", "...tool_result...").
 * Chat Completions: image_url parts; Responses: input_image; Anthropic:
 * image blocks (base64 source), also inside a tool_result's content.
 */
export function imagesIn(body) {
  const found = [];
  const walk = (v, path) => {
    if (Array.isArray(v)) { v.forEach((x, i) => walk(x, `${path}.${i}`)); return; }
    if (!v || typeof v !== 'object') return;
    if (v.type === 'image_url' && v.image_url) found.push({ ...fromDataUrl(v.image_url.url), path, format: 'openai' });
    else if (v.type === 'input_image') found.push({ ...fromDataUrl(v.image_url), path, format: 'responses' });
    else if (v.type === 'image' && v.source?.type === 'base64') found.push({ mediaType: v.source.media_type, bytes: Buffer.from(v.source.data, 'base64'), path, format: 'anthropic' });
    for (const [k, x] of Object.entries(v)) if (x && typeof x === 'object') walk(x, `${path}.${v.type === 'tool_result' ? 'tool_result' : k}`);
  };
  walk(body, '');
  return found;
}

/**
 * Runs in the page (its source is sent: no closures): js_glue/images.mjs
 * previewFor on arg.png (base64, an over-size PNG), on a JPEG the page makes
 * (arg.jpeg: [w, h]), on a small PNG (arg.small, base64: no preview) and on
 * text; then the same over-size PNG with OffscreenCanvas hidden (the
 * <canvas> fallback). Returns base64 bytes and media types (null: none).
 */
export async function previewProbe(arg) {
  const { previewFor } = await import(arg.module);
  const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const toB64 = (bytes) => {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const out = (p) => (p ? { mediaType: p.mediaType, base64: toB64(p.bytes) } : null);
  const png = fromB64(arg.png);
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = arg.jpeg;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#3a7';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#a33';
  ctx.fillRect(0, 0, canvas.width / 2, canvas.height / 3);
  const jpegBlob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
  const jpeg = new Uint8Array(await jpegBlob.arrayBuffer());
  const result = {
    offscreen: typeof OffscreenCanvas === 'function',
    png: out(await previewFor(png, 'image/png')),
    untyped: out(await previewFor(png, '')),
    jpeg: out(await previewFor(jpeg, 'image/jpeg')),
    jpegType: jpegBlob.type,
    small: out(await previewFor(fromB64(arg.small), 'image/png')),
    text: out(await previewFor(new TextEncoder().encode('a,b\n1,2\n'), 'text/csv')),
    broken: out(await previewFor(png.slice(0, 200), 'image/png')),
  };
  const saved = globalThis.OffscreenCanvas;
  globalThis.OffscreenCanvas = undefined;
  try {
    result.fallback = out(await previewFor(png, 'image/png'));
  } finally {
    globalThis.OffscreenCanvas = saved;
  }
  return result;
}
