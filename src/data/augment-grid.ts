// A picture of what distortions do (`convnotes inspect --augment`): a PNG grid whose rows are each an
// original training digit followed by distorted draws of it (Node: pngjs).

import { PNG } from 'pngjs';
import { Rng } from '../util/rng.js';
import { Augmenter, type AugmentSpec } from './augment.js';
import type { Dataset } from './dataset.js';

export interface AugmentGridOptions {
  /** Digits, one per row, drawn from `data` by the seeded generator. */
  rows: number;
  /** Distorted draws of each digit, after the original in the first column. */
  columns: number;
  seed: number;
}

/** The grid as PNG bytes: dark ink on white, a 2-pixel gap between cells. */
export function augmentGrid(data: Dataset, augment: AugmentSpec, o: AugmentGridOptions): Uint8Array {
  const { rows, cols } = data;
  const augmenter = new Augmenter(rows, cols, augment);
  const rng = new Rng(o.seed);
  const gap = 2;
  const cellW = cols + gap;
  const cellH = rows + gap;
  const png = new PNG({ width: (o.columns + 1) * cellW + gap, height: o.rows * cellH + gap });
  png.data.fill(255);
  const image = new Float64Array(rows * cols);
  const put = (r: number, c: number, grey: ArrayLike<number>): void => {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const v = 255 - Math.max(0, Math.min(255, Math.round(grey[y * cols + x]))); // dark ink on white
        const p = ((gap + r * cellH + y) * png.width + gap + c * cellW + x) * 4;
        png.data[p] = png.data[p + 1] = png.data[p + 2] = v;
        png.data[p + 3] = 255;
      }
    }
  };
  for (let r = 0; r < o.rows; r++) {
    const n = rng.int(data.count);
    put(r, 0, data.images.subarray(n * rows * cols, (n + 1) * rows * cols));
    for (let c = 1; c <= o.columns; c++) {
      augmenter.distort(data, n, rng, image, 0);
      put(r, c, image);
    }
  }
  return PNG.sync.write(png);
}
