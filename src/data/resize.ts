// Resizing images of levels 0–255: the one rule the image-folder reader (src/data/image-folder.ts)
// applies to an image whose size is not the dataset's, and that the playground can apply to a picture.
//
// Bilinear interpolation at pixel centres: output pixel (r, c) of a rows×cols image samples the
// height×width source at
//
//   y = (r + 0.5)·height/rows − 0.5,   x = (c + 0.5)·width/cols − 0.5,
//
// each clamped to [0, height − 1] and [0, width − 1] (the edge pixels extend outwards), and takes
// the weighted mean of the four pixels around (y, x), rounded to the nearest level. Pixel centres map to
// pixel centres, so an image keeps its place whether it grows or shrinks, and a same-size resize is the
// identity. Shrinking by more than 2 samples only the pixels nearest each sample point (no averaging).
// Browser-safe: plain loops over typed arrays with explicit sizes.

import * as check from '../util/validate.js';

/**
 * `channels` planes of height×width levels (src[p·height·width + y·width + x]) resized to rows×cols
 * by the rule above, into `out` ([channels][rows][cols], allocated when not given), which is returned.
 */
export function resizeBilinear(
  src: Uint8Array, height: number, width: number, rows: number, cols: number,
  channels = 1, out: Uint8Array = new Uint8Array(channels * rows * cols),
): Uint8Array {
  check.integer(height, 'height', 1);
  check.integer(width, 'width', 1);
  check.integer(rows, 'rows', 1);
  check.integer(cols, 'cols', 1);
  check.integer(channels, 'channels', 1);
  if (!(src instanceof Uint8Array) || src.length < channels * height * width) {
    check.fail('src', `a Uint8Array of channels × height × width = ${channels * height * width} levels`, src);
  }
  if (!(out instanceof Uint8Array) || out.length < channels * rows * cols) {
    check.fail('out', `a Uint8Array of channels × rows × cols = ${channels * rows * cols} levels`, out);
  }
  // each output column's two source columns and weight, worked out once for all rows and planes
  const x0 = new Int32Array(cols);
  const x1 = new Int32Array(cols);
  const fx = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    const x = Math.min(Math.max(((c + 0.5) * width) / cols - 0.5, 0), width - 1);
    x0[c] = Math.floor(x);
    x1[c] = Math.min(x0[c] + 1, width - 1);
    fx[c] = x - x0[c];
  }
  for (let p = 0; p < channels; p++) {
    const plane = p * height * width;
    const o = p * rows * cols;
    for (let r = 0; r < rows; r++) {
      const y = Math.min(Math.max(((r + 0.5) * height) / rows - 0.5, 0), height - 1);
      const y0 = Math.floor(y);
      const fy = y - y0;
      const top = plane + y0 * width;
      const bottom = plane + Math.min(y0 + 1, height - 1) * width;
      for (let c = 0; c < cols; c++) {
        const a = src[top + x0[c]] + fx[c] * (src[top + x1[c]] - src[top + x0[c]]);
        const b = src[bottom + x0[c]] + fx[c] * (src[bottom + x1[c]] - src[bottom + x0[c]]);
        // a and b lie in [0, 255], so the rounded mean does too
        out[o + r * cols + c] = Math.round(a + fy * (b - a));
      }
    }
  }
  return out;
}
