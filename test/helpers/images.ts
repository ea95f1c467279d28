// Image files for the image-reader tests, made from real digits: PNG (pngjs) and JPEG (jpeg-js) bytes
// of grey or tinted pictures, padded or cropped to other sizes.
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { expect } from 'vitest';
import { DataError } from '../../src/data/idx.js';

/** A grey image (levels, rows × cols) as RGBA, each pixel's level in R, G and B, alpha 255. */
export function greyRgba(levels: ArrayLike<number>, pixels: number): Uint8Array {
  const rgba = new Uint8Array(4 * pixels);
  for (let p = 0; p < pixels; p++) {
    rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = levels[p];
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

/** The tint of a grey level the tests use for colour images: R = level, G = ⌊level/2⌋, B = 255 − level. */
export const tint = (level: number): [number, number, number] => [level, level >> 1, 255 - level];

/** A grey image tinted (tint above) as RGBA. */
export function tintedRgba(levels: ArrayLike<number>, pixels: number): Uint8Array {
  const rgba = new Uint8Array(4 * pixels);
  for (let p = 0; p < pixels; p++) {
    rgba.set(tint(levels[p]), 4 * p);
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

/** PNG bytes of an RGBA image: colour type 0 (grey) or 2 (RGB) or 6 (RGBA). */
export function pngBytes(rgba: Uint8Array, width: number, height: number, colorType: 0 | 2 | 6 = 6): Uint8Array {
  const png = new PNG({ width, height });
  png.data.set(rgba);
  return PNG.sync.write(png, { colorType });
}

/** JPEG bytes of an RGBA image (jpeg-js, 3 components, quality q). */
export function jpegBytes(rgba: Uint8Array, width: number, height: number, quality = 95): Uint8Array {
  return encodeJpeg({ data: rgba, width, height }, quality).data;
}

/** A rows×cols image centred in a larger one (zero border). */
export function pad(levels: ArrayLike<number>, rows: number, cols: number, toRows: number, toCols: number): Uint8Array {
  const out = new Uint8Array(toRows * toCols);
  const top = (toRows - rows) >> 1;
  const left = (toCols - cols) >> 1;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[(top + r) * toCols + left + c] = levels[r * cols + c];
  return out;
}

/** The centre toRows×toCols of a rows×cols image. */
export function crop(levels: ArrayLike<number>, rows: number, cols: number, toRows: number, toCols: number): Uint8Array {
  const out = new Uint8Array(toRows * toCols);
  const top = (rows - toRows) >> 1;
  const left = (cols - toCols) >> 1;
  for (let r = 0; r < toRows; r++) for (let c = 0; c < toCols; c++) out[r * toCols + c] = levels[(top + r) * cols + left + c];
  return out;
}

/**
 * The bilinear rule of docs/DATA.md written out plainly, unrounded (an independent check of
 * src/data/resize.ts): output (r, c) samples (y, x) = ((r + 0.5)·H/rows − 0.5, (c + 0.5)·W/cols − 0.5),
 * clamped to the image, as the weighted sum of its four neighbours.
 */
export function bilinearReference(src: ArrayLike<number>, H: number, W: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  const at = (y: number, x: number) => src[y * W + x];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const y = Math.min(H - 1, Math.max(0, ((r + 0.5) * H) / rows - 0.5));
      const x = Math.min(W - 1, Math.max(0, ((c + 0.5) * W) / cols - 0.5));
      const ya = Math.floor(y);
      const xa = Math.floor(x);
      const yb = Math.min(ya + 1, H - 1);
      const xb = Math.min(xa + 1, W - 1);
      const wy = y - ya;
      const wx = x - xa;
      out[r * cols + c] = (1 - wy) * (1 - wx) * at(ya, xa) + (1 - wy) * wx * at(ya, xb) + wy * (1 - wx) * at(yb, xa) + wy * wx * at(yb, xb);
    }
  }
  return out;
}

/** The message of the DataError `f` throws (the test fails if it throws nothing or something else). */
export function dataErrorMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  throw new Error('expected a DataError');
}
