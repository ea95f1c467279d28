// What a PNG or JPEG file is before any decoder runs (browser-safe): the format, chosen by the first
// bytes (PNG's 8-byte signature, JPEG's FF D8), never by the file's name, and the pixel size, read
// while the file's structure is walked (PNG's chunks, JPEG's markers), so that a truncated file is
// called truncated and no header can make a reader allocate more than its bytes could hold: at most
// MAX_PIXELS pixels, a PNG's pixels within what deflate (at most 1032:1) can give from its image data,
// a JPEG's within 512 per byte (it codes each 8×8 block in at least one bit). Anything else, a
// truncated or corrupt file: a DataError naming the file and the problem.
//
// Both decoders run after it: src/data/decode.ts (Node: pngjs, jpeg-js) and the playground's worker
// (the browser's own decoder), so both say the same of a bad file.

import { DataError } from './idx.js';

/** The most pixels an image may have (2^25: 8192×4096, or a 6000×5000 photograph). */
export const MAX_PIXELS = 2 ** 25;

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const hex = (bytes: Uint8Array): string => [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** The format and size of a PNG or JPEG file whose structure holds together; `file` names it in errors (DataError). */
export function imageHeader(bytes: Uint8Array, file: string): ImageHeader {
  const n = bytes.length;
  const startsLike = (sig: number[]): boolean => n > 0 && sig.slice(0, n).every((b, i) => bytes[i] === b);
  if (n >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegHeader(bytes, file);
  if (n >= 8 && startsLike(PNG_SIGNATURE)) return pngHeader(bytes, file);
  // a file cut inside PNG's signature is still recognisably one
  if (n >= 4 && startsLike(PNG_SIGNATURE)) throw new DataError(file, `truncated PNG (${n} bytes, shorter than its 8-byte signature)`);
  throw new DataError(file, n === 0 ? 'not a PNG or JPEG image (an empty file)' : `not a PNG or JPEG image (starts with ${hex(bytes)})`);
}

// ---- PNG ----------------------------------------------------------------------------------------

/** Bytes per pixel (in samples) of each PNG colour type. */
const PNG_SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngHeader(bytes: Uint8Array, file: string): ImageHeader {
  const n = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  const truncated = (why: string) => new DataError(file, `truncated PNG (${n} bytes; ${why})`);
  const corrupt = (why: string) => new DataError(file, `corrupt PNG (${why})`);
  let width = 0;
  let height = 0;
  let samples = 0;
  let depth = 0;
  let imageData = 0;
  let ended = false;
  for (let pos = 8; !ended;) {
    if (pos === n) throw truncated('no IEND chunk');
    if (pos + 8 > n) throw truncated(`it ends inside the chunk header at byte ${pos}`);
    const length = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    if (length > 0x7fffffff) throw corrupt(`the chunk at byte ${pos} declares ${length} bytes`);
    if (pos + 12 + length > n) throw truncated(`its ${JSON.stringify(type)} chunk at byte ${pos} needs ${12 + length}, ${n - pos} remain`);
    if (pos === 8) {
      if (type !== 'IHDR' || length !== 13) throw corrupt(`the first chunk is ${JSON.stringify(type)} of ${length} bytes, expected IHDR of 13`);
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = bytes[pos + 16];
      samples = PNG_SAMPLES[bytes[pos + 17]] ?? 0;
      if (width === 0 || height === 0) throw corrupt(`the header declares ${width}×${height} pixels`);
      if (width * height > MAX_PIXELS) throw new DataError(file, `${width}×${height} pixels, more than the ${MAX_PIXELS} an image may have`);
    } else if (type === 'IDAT') imageData += length;
    else if (type === 'IEND') ended = true;
    pos += 12 + length;
  }
  // deflate expands at most 1032:1, so a header that claims more is lying (a decoder would allocate it)
  const raw = height * (Math.ceil((width * samples * depth) / 8) + 1);
  if (samples > 0 && raw > 1032 * imageData + 1032) {
    throw corrupt(`${width}×${height} pixels cannot come from ${imageData} bytes of image data`);
  }
  return { format: 'png', width, height };
}

// ---- JPEG ---------------------------------------------------------------------------------------

/** Start-of-frame markers (baseline, extended, progressive, lossless; Huffman or arithmetic). */
const isFrame = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(bytes: Uint8Array, file: string): ImageHeader {
  const n = bytes.length;
  const truncated = (why: string) => new DataError(file, `truncated JPEG (${n} bytes; ${why})`);
  const corrupt = (why: string) => new DataError(file, `corrupt JPEG (${why})`);
  let width = 0;
  let height = 0;
  let pos = 2;
  for (;;) {
    // a marker: 0xFF (fill bytes allowed) then its code; stray bytes before it are skipped, as libjpeg does
    while (pos < n && bytes[pos] !== 0xff) pos++;
    while (pos < n && bytes[pos] === 0xff) pos++;
    if (pos >= n) throw truncated('no end-of-image marker');
    const marker = bytes[pos++];
    if (marker === 0xd9) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0xd8) continue;
    if (pos + 2 > n) throw truncated(`it ends inside the length of the marker ff ${marker.toString(16)} at byte ${pos - 2}`);
    const length = (bytes[pos] << 8) | bytes[pos + 1];
    if (length < 2) throw corrupt(`the marker ff ${marker.toString(16)} at byte ${pos - 2} declares ${length} bytes`);
    if (pos + length > n) throw truncated(`its segment ff ${marker.toString(16)} at byte ${pos - 2} needs ${length + 2}, ${n - pos + 2} remain`);
    if (isFrame(marker)) {
      if (length < 8) throw corrupt(`the frame header at byte ${pos - 2} holds ${length} bytes`);
      height = (bytes[pos + 3] << 8) | bytes[pos + 4];
      width = (bytes[pos + 5] << 8) | bytes[pos + 6];
      if (width === 0 || height === 0) throw corrupt(`the frame header declares ${width}×${height} pixels`);
      if (width * height > MAX_PIXELS) throw new DataError(file, `${width}×${height} pixels, more than the ${MAX_PIXELS} an image may have`);
      if (width * height > 512 * n) throw corrupt(`${width}×${height} pixels cannot come from a ${n}-byte file`);
    }
    pos += length;
    if (marker === 0xda) {
      if (width === 0) throw corrupt('image data before the frame header');
      // the coded data runs to the next marker that is not a stuffed 0xFF (FF 00) or a restart (FF D0–D7)
      while (pos + 1 < n && !(bytes[pos] === 0xff && bytes[pos + 1] !== 0 && (bytes[pos + 1] < 0xd0 || bytes[pos + 1] > 0xd7))) pos++;
      if (pos + 1 >= n) throw truncated('it ends inside the image data, before the end-of-image marker');
    }
  }
  if (width === 0) throw corrupt('no frame header before the end-of-image marker');
  return { format: 'jpeg', width, height };
}
