// Image previews for the model: an uploaded image too big to send as is gets
// a downscaled copy, made here in the browser, that the core sends to a
// vision model instead of the original (wasm/PROTOCOL.md, `file_upload`'s
// `preview_media_type` and second blob). The original stays the file Python
// sees; the preview is never stored (after a reload the core describes an
// over-size original in text instead).
//
// Contract:
// - imageInfo(bytes) → {mediaType, width, height} | null: reads the size from
//   the header (PNG, JPEG, GIF, WebP), without decoding. Pure; runs anywhere.
// - needsPreview(info, byteLength) → bool: longer side over MAX_SIDE px, or
//   more bytes than MAX_BYTES (what the providers take per image).
// - previewFor(bytes, mediaType) → Promise<{bytes, mediaType} | null>: the
//   downscaled copy (longest side ≤ MAX_SIDE), or null when none is needed,
//   when this is not a browser (Node: no createImageBitmap), when the image
//   does not decode, or on any other failure. Never throws: an upload must
//   not fail because its preview could not be made.
//   JPEG stays JPEG (q 0.85); PNG, GIF and WebP become PNG (alpha kept),
//   and JPEG only when that PNG is still over MAX_BYTES.

/** Longest side sent to the model (Anthropic's recommended maximum; OpenAI's high detail tiles fit). */
export const MAX_SIDE = 1568;
/** Bytes per image the providers take comfortably (Anthropic's limit is 5 MB of base64: 3.75 MB raw). */
export const MAX_BYTES = 3.5 * 1024 * 1024;
export const JPEG_QUALITY = 0.85;

export const IMAGE_TYPES = Object.freeze(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const u16be = (b, o) => (b[o] << 8) | b[o + 1];
const u16le = (b, o) => b[o] | (b[o + 1] << 8);
const u24le = (b, o) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const u32be = (b, o) => ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
const ascii = (b, o, n) => String.fromCharCode(...b.subarray(o, o + n));

/** {mediaType, width, height} from the image's header, or null (not one of the four, or cut short). */
export function imageInfo(input) {
  const b = input instanceof Uint8Array ? input : new Uint8Array(input ?? []);
  try {
    if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR') {
      return { mediaType: 'image/png', width: u32be(b, 16), height: u32be(b, 20) };
    }
    if (b.length >= 10 && ascii(b, 0, 4) === 'GIF8') {
      return { mediaType: 'image/gif', width: u16le(b, 6), height: u16le(b, 8) };
    }
    if (b.length >= 30 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
      const kind = ascii(b, 12, 4);
      if (kind === 'VP8X') return { mediaType: 'image/webp', width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
      if (kind === 'VP8L') {
        const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
        return { mediaType: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
      }
      if (kind === 'VP8 ') return { mediaType: 'image/webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
      return null;
    }
    if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
      // Walk the segments to the first start-of-frame (SOF0…SOF15, not DHT/JPG/DAC).
      let o = 2;
      while (o + 9 < b.length) {
        if (b[o] !== 0xff) return null;
        const marker = b[o + 1];
        if (marker === 0xff) { o += 1; continue; } // fill byte
        if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { o += 2; continue; }
        const len = u16be(b, o + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          return { mediaType: 'image/jpeg', width: u16be(b, o + 7), height: u16be(b, o + 5) };
        }
        if (len < 2) return null;
        o += 2 + len;
      }
    }
  } catch { /* fall through: not an image we can read */ }
  return null;
}

/** True when an image of this size must be downscaled before it goes to the model. */
export function needsPreview(info, byteLength) {
  if (!info) return false;
  return Math.max(info.width, info.height) > MAX_SIDE || byteLength > MAX_BYTES;
}

/** The size a preview gets: longest side at most MAX_SIDE, aspect kept, at least 1 px. */
export function previewSize(width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A 2D canvas of this size: OffscreenCanvas where it has a 2D context, else a <canvas>; null in neither. */
function makeCanvas(width, height) {
  if (typeof OffscreenCanvas === 'function') {
    try {
      const c = new OffscreenCanvas(width, height);
      const ctx = c.getContext('2d');
      if (ctx) return { canvas: c, ctx };
    } catch { /* an engine without OffscreenCanvas 2D: try the DOM */ }
  }
  if (globalThis.document?.createElement) {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    const ctx = c.getContext('2d');
    if (ctx) return { canvas: c, ctx };
  }
  return null;
}

async function encode(canvas, type, quality) {
  const blob = typeof canvas.convertToBlob === 'function'
    ? await canvas.convertToBlob({ type, quality })
    : await new Promise((resolve) => canvas.toBlob(resolve, type, quality));
  // An engine that cannot encode `type` gives PNG instead: say what it is.
  return blob ? { bytes: new Uint8Array(await blob.arrayBuffer()), mediaType: blob.type || type } : null;
}

/** Draws `source` at w×h, halving first while it is more than twice as big (one big step aliases). */
function drawScaled(source, sw, sh, w, h) {
  let src = source;
  let cw = sw;
  let ch = sh;
  while (cw > w * 2 && ch > h * 2) {
    const half = makeCanvas(Math.ceil(cw / 2), Math.ceil(ch / 2));
    if (!half) return null;
    half.ctx.imageSmoothingQuality = 'high';
    half.ctx.drawImage(src, 0, 0, half.canvas.width, half.canvas.height);
    src = half.canvas;
    cw = half.canvas.width;
    ch = half.canvas.height;
  }
  const out = makeCanvas(w, h);
  if (!out) return null;
  out.ctx.imageSmoothingQuality = 'high';
  out.ctx.drawImage(src, 0, 0, w, h);
  return out;
}

/** The downscaled copy of an image for the model, or null (see the contract above). Never throws. */
export async function previewFor(bytes, mediaType = '') {
  let bitmap = null;
  try {
    if (typeof createImageBitmap !== 'function' || !bytes) return null;
    const info = imageInfo(bytes);
    if (!info || !needsPreview(info, bytes.byteLength)) return null;
    const type = IMAGE_TYPES.includes(mediaType) ? mediaType : info.mediaType;
    bitmap = await createImageBitmap(new Blob([bytes], { type }));
    const { width, height } = previewSize(bitmap.width, bitmap.height);
    const drawn = drawScaled(bitmap, bitmap.width, bitmap.height, width, height);
    if (!drawn) return null;
    if (type === 'image/jpeg') return await encode(drawn.canvas, 'image/jpeg', JPEG_QUALITY);
    const png = await encode(drawn.canvas, 'image/png');
    if (png && png.bytes.byteLength <= MAX_BYTES) return png;
    // Still too big as PNG (a photo saved as PNG): JPEG, on white where it was transparent.
    const flat = makeCanvas(width, height);
    if (!flat) return png;
    flat.ctx.fillStyle = '#fff';
    flat.ctx.fillRect(0, 0, width, height);
    flat.ctx.drawImage(drawn.canvas, 0, 0);
    return (await encode(flat.canvas, 'image/jpeg', JPEG_QUALITY)) ?? png;
  } catch {
    return null; // undecodable or an engine that cannot: the core sends (or describes) the original
  } finally {
    bitmap?.close?.();
  }
}
