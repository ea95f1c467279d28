// Any picture of a digit (a PNG, the playground's canvas) made into an MNIST digit, the one way both
// the CLI (`convnotes predict --png`) and the page do it. The result is a 28×28 uint8 image like the
// data's, so it enters the network as every data image does: fillBatch/placePattern (dataset.ts)
// centre it in the input and apply the recipe's normalisation (UNIT or LECUN).
//
// MNIST's procedure (LeCun et al.): the digit's bounding box size-normalised to fit a 20×20 box keeping
// its aspect ratio, anti-aliased (here: area averaging), then placed in a 28×28 field by its centre of
// mass. Which point MNIST puts where was measured on the shipped digits: with pixels at their indices
// 0…27, every digit's centre of mass is within half a pixel of (14, 14), and every digit's ink box is
// 20 on its longer side; so the procedure maps an MNIST digit to itself, bit for bit.

// Browser-safe; reading a PNG file is src/data/png.ts.
import * as check from '../util/validate.js';

/** The side of an MNIST image. */
export const DIGIT_SIZE = 28;
/** The side of the box an MNIST digit's ink is scaled to fit. */
export const DIGIT_BOX = 20;

/**
 * Grey levels 0–255 of an RGBA image (width × height × 4 bytes, not premultiplied, as PNG decoders and
 * canvas getImageData give them): luminance (ITU-R 601), transparent pixels composited over white.
 */
export function greyFromRgba(rgba: ArrayLike<number>, width: number, height: number, out?: Float64Array): Float64Array {
  check.integer(width, 'width', 1);
  check.integer(height, 'height', 1);
  check.numbers(rgba, 'rgba', 4 * width * height, `width × height × 4 = ${4 * width * height} bytes (RGBA)`);
  out ??= new Float64Array(width * height);
  check.floats(out, 'out', width * height, `a Float64Array of width × height = ${width * height} grey levels`);
  for (let p = 0; p < width * height; p++) {
    const r = rgba[4 * p];
    const g = rgba[4 * p + 1];
    const b = rgba[4 * p + 2];
    const a = rgba[4 * p + 3] / 255;
    // grey pixels stay exact (0.299 + 0.587 + 0.114 is not exactly 1 in floating point)
    const y = r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    out[p] = a === 1 ? y : a * y + (1 - a) * 255;
  }
  return out;
}

/**
 * The background's grey level: the median of the image's outermost pixels (its frame), which strokes
 * touching the edge do not move as they would a mean.
 */
export function backgroundLevel(grey: ArrayLike<number>, width: number, height: number): number {
  const frame: number[] = [];
  for (let y = 0; y < height; y++) {
    if (y === 0 || y === height - 1) for (let x = 0; x < width; x++) frame.push(grey[y * width + x]);
    else {
      frame.push(grey[y * width]);
      if (width > 1) frame.push(grey[y * width + width - 1]);
    }
  }
  frame.sort((a, b) => a - b);
  const m = frame.length >> 1;
  return frame.length % 2 ? frame[m] : (frame[m - 1] + frame[m]) / 2;
}

/**
 * A picture of one digit (grey levels 0–255, width × height, any size, either polarity) as an MNIST
 * digit: 28×28 grey levels, bright digit on a 0 background.
 *
 * The background is the frame's level (backgroundLevel); a light one (> 127.5) means dark ink, and the
 * image is inverted. The ink is what is brighter than the background, less the background (so an
 * off-white page is 0). Its bounding box is scaled by 20 / its longer side (up or down), each output
 * pixel the area-weighted mean of the input it covers, and translated by whole pixels so that its centre
 * of mass, in pixel indices, rounds to (14, 14); what falls outside 28×28 is cut. Levels are rounded.
 * An image with no ink gives all zeros.
 */
export function mnistDigit(grey: ArrayLike<number>, width: number, height: number, out: Uint8Array = new Uint8Array(DIGIT_SIZE * DIGIT_SIZE)): Uint8Array {
  check.integer(width, 'width', 1);
  check.integer(height, 'height', 1);
  check.numbers(grey, 'grey', width * height, `width × height = ${width * height} grey levels`);
  if (!(out instanceof Uint8Array) || out.length < DIGIT_SIZE * DIGIT_SIZE) check.fail('out', `a Uint8Array of ${DIGIT_SIZE * DIGIT_SIZE} levels`, out);
  const n = width * height;
  const background = backgroundLevel(grey, width, height);
  const light = background > 127.5;
  const level = light ? 255 - background : background;
  const ink = new Float64Array(n);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const g = grey[y * width + x];
      const v = (light ? 255 - g : g) - level;
      if (v > 0) {
        ink[y * width + x] = v;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  out.fill(0, 0, DIGIT_SIZE * DIGIT_SIZE);
  if (x1 < 0) return out;

  // the box bw×bh to sw×sh, longer side DIGIT_BOX
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = DIGIT_BOX / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * scale));
  const sh = Math.max(1, Math.round(bh * scale));
  const small = new Float64Array(sw * sh);
  areaResample(ink, width, x0, y0, bw, bh, small, sw, sh);

  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = small[y * sw + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const centre = DIGIT_SIZE / 2;
  const left = Math.round(centre - mx / mass);
  const top = Math.round(centre - my / mass);
  for (let y = 0; y < sh; y++) {
    const ty = top + y;
    if (ty < 0 || ty >= DIGIT_SIZE) continue;
    for (let x = 0; x < sw; x++) {
      const tx = left + x;
      if (tx >= 0 && tx < DIGIT_SIZE) out[ty * DIGIT_SIZE + tx] = Math.min(255, Math.round(small[y * sw + x]));
    }
  }
  return out;
}

/** An RGBA picture of a digit (a decoded PNG, a canvas's ImageData) as an MNIST digit: mnistDigit(greyFromRgba(…)). */
export function mnistDigitFromRgba(rgba: ArrayLike<number>, width: number, height: number, out?: Uint8Array): Uint8Array {
  return mnistDigit(greyFromRgba(rgba, width, height), width, height, out);
}

/**
 * The bw×bh box at (x0, y0) of a `width`-wide image, resampled to sw×sh: each output pixel is the mean
 * of the input area it covers, weighted by overlap (anti-aliased down, blocky up). At a scale of 1 or
 * 1/k it is exact: a copy, or means of k×k blocks.
 */
export function areaResample(
  src: ArrayLike<number>, width: number, x0: number, y0: number, bw: number, bh: number,
  dst: Float64Array, sw: number, sh: number,
): void {
  const fx = bw / sw;
  const fy = bh / sh;
  for (let oy = 0; oy < sh; oy++) {
    const ya = oy * fy;
    const yb = Math.min(bh, ya + fy);
    for (let ox = 0; ox < sw; ox++) {
      const xa = ox * fx;
      const xb = Math.min(bw, xa + fx);
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(y + 1, yb) - Math.max(y, ya);
        const row = (y0 + y) * width + x0;
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const w = wy * (Math.min(x + 1, xb) - Math.max(x, xa));
          sum += w * src[row + x];
          area += w;
        }
      }
      dst[oy * sw + ox] = area > 0 ? sum / area : 0;
    }
  }
}
