// Draws the app's icons (a ">_" prompt on the accent colour) and writes them
// to public/icons/: PNGs for the web app manifest (192 and 512, "any" with
// rounded corners and "maskable" full-bleed with the glyph inside the safe
// zone), the apple-touch-icon (180, full-bleed: iOS rounds it) and an SVG of
// the same geometry. No image library: shapes are signed distances sampled
// 4×4 per pixel, PNGs are written with node:zlib. The outputs are committed;
// run this again only to change the design:
//   node web/build/make-icons.mjs
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/icons');
const BG = [15, 118, 110]; // --ci-accent (#0f766e)
const FG = [255, 255, 255];
// The glyph in unit coordinates (0..1): a chevron and an underscore, stroked.
const STROKE = 0.085;
const SEGMENTS = [
  [[0.27, 0.33], [0.45, 0.5]],
  [[0.45, 0.5], [0.27, 0.67]],
  [[0.55, 0.67], [0.73, 0.67]],
];

function segmentDistance(px, py, [[ax, ay], [bx, by]]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Inside the rounded square of corner radius r (unit coordinates)? */
function inRoundedSquare(x, y, r) {
  if (x < 0 || y < 0 || x > 1 || y > 1) return false;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  return Math.hypot(x - cx, y - cy) <= r;
}

/** RGBA pixels of one icon. `scale` shrinks the glyph about the centre (maskable safe zone). */
function draw(size, { radius, scale }) {
  const px = Buffer.alloc(size * size * 4);
  const N = 4;
  for (let j = 0; j < size; j += 1) {
    for (let i = 0; i < size; i += 1) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < N; sy += 1) {
        for (let sx = 0; sx < N; sx += 1) {
          const x = (i + (sx + 0.5) / N) / size;
          const y = (j + (sy + 0.5) / N) / size;
          if (!inRoundedSquare(x, y, radius)) continue;
          bg += 1;
          const gx = 0.5 + (x - 0.5) / scale;
          const gy = 0.5 + (y - 0.5) / scale;
          if (SEGMENTS.some((s) => segmentDistance(gx, gy, s) <= STROKE / 2)) fg += 1;
        }
      }
      const o = (j * size + i) * 4;
      const a = bg / (N * N);
      const f = bg ? fg / bg : 0;
      for (let c = 0; c < 3; c += 1) px[o + c] = Math.round(BG[c] * (1 - f) + FG[c] * f);
      px[o + 3] = Math.round(a * 255);
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = [];
  for (let j = 0; j < size; j += 1) rows.push(Buffer.from([0]), rgba.subarray(j * size * 4, (j + 1) * size * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function svg() {
  const u = (v) => +(v * 512).toFixed(1);
  const lines = SEGMENTS.map(([[ax, ay], [bx, by]]) => `<line x1="${u(ax)}" y1="${u(ay)}" x2="${u(bx)}" y2="${u(by)}"/>`).join('');
  const hex = `#${BG.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="${u(0.22)}" fill="${hex}"/>`
    + `<g stroke="#fff" stroke-width="${u(STROKE)}" stroke-linecap="round" stroke-linejoin="round">${lines}</g></svg>\n`;
}

const ICONS = [
  ['icon-192.png', 192, { radius: 0.22, scale: 1 }],
  ['icon-512.png', 512, { radius: 0.22, scale: 1 }],
  ['maskable-192.png', 192, { radius: 0, scale: 0.8 }],
  ['maskable-512.png', 512, { radius: 0, scale: 0.8 }],
  ['apple-touch-icon.png', 180, { radius: 0, scale: 0.9 }],
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  fs.mkdirSync(OUT, { recursive: true });
  for (const [name, size, options] of ICONS) {
    fs.writeFileSync(path.join(OUT, name), encodePng(size, draw(size, options)));
    console.log(`wrote public/icons/${name}`);
  }
  fs.writeFileSync(path.join(OUT, 'icon.svg'), svg());
  console.log('wrote public/icons/icon.svg');
}
