// Distortions of the training images, drawn afresh for every pattern (Simard, Steinkraus & Platt 2003;
// LeCun et al. 1998's distorted training set), seeded so a run is reproducible and resumable.
//
//   elastic: a displacement field of uniform(−1, 1) values per pixel and direction, smoothed by a
//            Gaussian of width σ and scaled by α (Simard et al.: σ = 4, α = 34 for MNIST);
//   affine:  rotation by ±rotate degrees, scaling by 1 ± scale, horizontal shear by ±shear degrees and
//            translation by ±translate pixels, uniform in each range, about the image centre.
//
// Every output pixel p reads the source at A(p − c) + c + t + elastic(p) by bilinear interpolation,
// with the background outside the image. Browser-safe; no allocation per pattern.

import type { Rng } from '../rng.js';
import { placePattern, type Dataset, type Normalisation } from './dataset.js';
import { DataError } from './idx.js';

export interface ElasticSpec {
  sigma: number;
  alpha: number;
}

export interface AffineSpec {
  /** Degrees. */
  rotate: number;
  /** Fraction: scale in [1 − scale, 1 + scale]. */
  scale: number;
  /** Degrees of horizontal shear. */
  shear: number;
  /** Pixels, in each direction. */
  translate: number;
}

export interface AugmentSpec {
  elastic: ElasticSpec | null;
  affine: AffineSpec | null;
}

export class Augmenter {
  private readonly dx: Float64Array;
  private readonly dy: Float64Array;
  private readonly tmp: Float64Array;
  private readonly kernel: Float64Array;
  private readonly radius: number;

  constructor(readonly rows: number, readonly cols: number, readonly spec: AugmentSpec) {
    const n = rows * cols;
    this.dx = new Float64Array(n);
    this.dy = new Float64Array(n);
    this.tmp = new Float64Array(n);
    const sigma = spec.elastic?.sigma ?? 1;
    this.radius = Math.max(1, Math.ceil(3 * sigma));
    this.kernel = new Float64Array(2 * this.radius + 1);
    let sum = 0;
    for (let k = -this.radius; k <= this.radius; k++) sum += (this.kernel[k + this.radius] = Math.exp(-(k * k) / (2 * sigma * sigma)));
    for (let k = 0; k < this.kernel.length; k++) this.kernel[k] /= sum;
  }

  /** Smooths `field` [rows][cols] in place with the separable Gaussian (zero outside). */
  private smooth(field: Float64Array): void {
    const { rows, cols, kernel, radius, tmp } = this;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) {
          const cc = c + k;
          if (cc >= 0 && cc < cols) s += kernel[k + radius] * field[r * cols + cc];
        }
        tmp[r * cols + c] = s;
      }
    }
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) {
          const rr = r + k;
          if (rr >= 0 && rr < rows) s += kernel[k + radius] * tmp[rr * cols + c];
        }
        field[r * cols + c] = s;
      }
    }
  }

  /**
   * Writes a distorted copy of image `n` of `data` into `out` at `o`, as grey levels 0–255 (float),
   * [rows][cols]. Draws its random numbers from `rng`.
   */
  distort(data: Dataset, n: number, rng: Rng, out: Float64Array, o: number): void {
    const { rows, cols, dx, dy, spec } = this;
    const size = rows * cols;
    dx.fill(0);
    dy.fill(0);
    if (spec.elastic) {
      for (let i = 0; i < size; i++) {
        dx[i] = rng.range(-1, 1);
        dy[i] = rng.range(-1, 1);
      }
      this.smooth(dx);
      this.smooth(dy);
      const a = spec.elastic.alpha;
      for (let i = 0; i < size; i++) {
        dx[i] *= a;
        dy[i] *= a;
      }
    }
    // A maps an output offset from the centre to a source offset
    let a00 = 1, a01 = 0, a10 = 0, a11 = 1, tx = 0, ty = 0;
    if (spec.affine) {
      const f = spec.affine;
      const theta = (rng.range(-f.rotate, f.rotate) * Math.PI) / 180;
      const s = 1 + rng.range(-f.scale, f.scale);
      const shear = Math.tan((rng.range(-f.shear, f.shear) * Math.PI) / 180);
      tx = rng.range(-f.translate, f.translate);
      ty = rng.range(-f.translate, f.translate);
      const cos = Math.cos(theta) / s;
      const sin = Math.sin(theta) / s;
      // source = R(−θ)/s · (shear⁻¹ · offset): rotate and scale, then shear x by y
      a00 = cos;
      a01 = sin + cos * -shear;
      a10 = -sin;
      a11 = cos + -sin * -shear;
    }
    const cy = (rows - 1) / 2;
    const cx = (cols - 1) / 2;
    const src = n * size;
    const img = data.images;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const ox = c - cx;
        const oy = r - cy;
        const sx = a00 * ox + a01 * oy + cx - tx + dx[i];
        const sy = a10 * ox + a11 * oy + cy - ty + dy[i];
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        // the four neighbours, background (0) outside the image
        const inX0 = x0 >= 0 && x0 < cols;
        const inX1 = x0 + 1 >= 0 && x0 + 1 < cols;
        const row0 = y0 >= 0 && y0 < rows ? src + y0 * cols : -1;
        const row1 = y0 + 1 >= 0 && y0 + 1 < rows ? src + (y0 + 1) * cols : -1;
        const v00 = row0 >= 0 && inX0 ? img[row0 + x0] : 0;
        const v01 = row0 >= 0 && inX1 ? img[row0 + x0 + 1] : 0;
        const v10 = row1 >= 0 && inX0 ? img[row1 + x0] : 0;
        const v11 = row1 >= 0 && inX1 ? img[row1 + x0 + 1] : 0;
        out[o + i] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
      }
    }
  }
}

/**
 * fillBatch with distortions: patterns order[start .. start+batch) of `data`, each distorted afresh,
 * normalised and centred in height×width as fillBatch does.
 */
export function fillDistortedBatch(
  data: Dataset, order: ArrayLike<number>, start: number, batch: number, height: number, width: number,
  norm: Normalisation, out: Float64Array | Float32Array, labels: Uint8Array, augmenter: Augmenter, rng: Rng, scratch: Float64Array,
): void {
  const { rows, cols } = data;
  if (rows > height || cols > width) throw new DataError(data.source, `images are ${rows}×${cols}, larger than the network's ${height}×${width} input`);
  for (let b = 0; b < batch; b++) {
    const n = order[start + b];
    labels[b] = data.labels[n];
    augmenter.distort(data, n, rng, scratch, 0);
    placePattern(scratch, 0, rows, cols, height, width, norm, out, b * height * width);
  }
}
