// Distortions of the training images, drawn afresh for every pattern (Simard, Steinkraus & Platt 2003;
// LeCun et al. 1998's distorted training set), seeded so a run is reproducible and resumable.
//
//   elastic: a displacement field of uniform(−1, 1) values per pixel and direction, smoothed by a
//            Gaussian of width σ that sums to 1 and scaled by α, so σ and α are Simard et al.'s
//            (σ = 4, α = 34 for MNIST: 1.74 pixels on average; docs/SPEC.md);
//   affine:  rotation by ±rotate degrees, scaling by 1 ± scale, horizontal shear by ±shear degrees and
//            translation by ±translate pixels, uniform in each range, about the image centre;
//   flip:    a left–right mirror, each pattern with probability ½;
//   crop:    padding by P background pixels and a crop back to the image's size at a random offset,
//            i.e. a whole-pixel shift in [−P, P] each way.
// Flip and crop are folded into the affine map and translation the draws carry (a mirror negates the
// map's first column; a crop adds an integer to the translation), so both paths (this one and the wasm
// engine's, assembly/augment.ts) distort from the same draws and need nothing else.
//
// Every output pixel p reads the source at A(p − c) + c + t + elastic(p) by bilinear interpolation,
// with the background outside the image. Browser-safe; no allocation per pattern.

import { Rng } from '../util/rng.js';
import { channelNormalisation, channelsOf, checkBatchArguments, placePattern, type Dataset, type Normalisation } from './dataset.js';
import { RecipeError, resolveAugment } from '../recipes/recipe.js';
import * as check from '../util/validate.js';

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
  /** Mirror left–right, each pattern with probability ½. */
  flip?: boolean;
  /** Random crops with padding P: the image padded with P background pixels on every side and cut back to its size at a random offset (a whole-pixel shift in [−P, P] each way). */
  crop?: number;
}

/** Taps each side of the Gaussian that smooths the elastic field: ⌈3σ⌉ (at least 1). */
export function smoothingRadius(spec: AugmentSpec): number {
  return Math.max(1, Math.ceil(3 * (spec.elastic?.sigma ?? 1)));
}

export class Augmenter {
  private readonly dx: Float64Array;
  private readonly dy: Float64Array;
  private readonly tmp: Float64Array;
  readonly radius: number;
  readonly kernel: Float64Array;
  /** Values per pattern of draw(). */
  static readonly DRAW = 10;
  private readonly drawn = new Float64Array(Augmenter.DRAW);
  private readonly noise = new Rng(1);
  private readonly state = [0, 0, 0, 0];

  /** The distortions, checked and completed (absent affine fields are 0). */
  readonly spec: AugmentSpec;

  constructor(readonly rows: number, readonly cols: number, spec: AugmentSpec) {
    check.integer(rows, 'rows', 1);
    check.integer(cols, 'cols', 1);
    try {
      this.spec = resolveAugment(spec, 'spec') ?? { elastic: null, affine: null };
    } catch (e) {
      if (e instanceof RecipeError) throw new check.ArgumentError(e.path, e.message.slice(e.path.length + 2));
      throw e;
    }
    spec = this.spec;
    const n = rows * cols;
    this.dx = new Float64Array(n);
    this.dy = new Float64Array(n);
    this.tmp = new Float64Array(n);
    const sigma = spec.elastic?.sigma ?? 1;
    this.radius = smoothingRadius(spec);
    this.kernel = new Float64Array(2 * this.radius + 1);
    let sum = 0;
    for (let k = -this.radius; k <= this.radius; k++) sum += (this.kernel[k + this.radius] = Math.exp(-(k * k) / (2 * sigma * sigma)));
    for (let k = 0; k < this.kernel.length; k++) this.kernel[k] /= sum;
  }

  /**
   * Smooths `field` [rows][cols] in place with the separable Gaussian (zero outside). Each output
   * sums only the taps inside the image, so the loops carry no bounds tests; the vertical pass runs
   * row-wise (out row r += k·row r') for contiguous access.
   */
  private smooth(field: Float64Array): void {
    const { rows, cols, kernel, radius, tmp } = this;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const lo = c - radius < 0 ? 0 : c - radius;
        const hi = c + radius >= cols ? cols - 1 : c + radius;
        let s = 0;
        for (let cc = lo, k = lo - c + radius; cc <= hi; cc++, k++) s += kernel[k] * field[base + cc];
        tmp[base + c] = s;
      }
    }
    field.fill(0);
    for (let r = 0; r < rows; r++) {
      const lo = r - radius < 0 ? 0 : r - radius;
      const hi = r + radius >= rows ? rows - 1 : r + radius;
      const out = r * cols;
      for (let rr = lo; rr <= hi; rr++) {
        const w = kernel[rr - r + radius];
        const src = rr * cols;
        for (let c = 0; c < cols; c++) field[out + c] += w * tmp[src + c];
      }
    }
  }

  /**
   * Draws pattern's distortion from `rng` into draw[o … o+10): the affine map a00 a01 a10 a11, the
   * translation tx ty (identity and 0 without affine ranges), and the 128-bit xoshiro128** state its
   * elastic noise comes from (four uint32; zeros without elastic). The wasm path (assembly/augment.ts)
   * distorts from the same draws, so the two paths give the same images up to float32 rounding.
   */
  draw(rng: Rng, draw: Float64Array, o: number): void {
    const { spec } = this;
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
    draw[o] = a00; draw[o + 1] = a01; draw[o + 2] = a10; draw[o + 3] = a11; draw[o + 4] = tx; draw[o + 5] = ty;
    for (let k = 0; k < 4; k++) draw[o + 6 + k] = 0;
    if (spec.elastic) {
      // a nonzero state: xoshiro128** cannot start from all zeros
      do {
        for (let k = 0; k < 4; k++) draw[o + 6 + k] = rng.nextUint32();
      } while (draw[o + 6] === 0 && draw[o + 7] === 0 && draw[o + 8] === 0 && draw[o + 9] === 0);
    }
    // drawn after the rest, so recipes without them draw what they always drew
    if (spec.flip && rng.uniform() < 0.5) {
      // source = A·(−ox, oy): the output column offset mirrored before the affine map
      draw[o] = -draw[o];
      draw[o + 2] = -draw[o + 2];
    }
    if (spec.crop) {
      // the crop's offset: the image moves by a whole number of pixels, sampled without interpolation
      draw[o + 4] += rng.int(2 * spec.crop + 1) - spec.crop;
      draw[o + 5] += rng.int(2 * spec.crop + 1) - spec.crop;
    }
  }

  /**
   * Writes a distorted copy of image `n` of `data` into `out` at `o`, as levels 0–255 (float),
   * [channels][rows][cols], every channel moved alike. Draws its random numbers from `rng`.
   */
  distort(data: Dataset, n: number, rng: Rng, out: Float64Array, o: number): void {
    this.draw(rng, this.drawn, 0);
    this.distortDrawn(data, n, this.drawn, 0, out, o);
  }

  /** distort() from the draws at draw[d … d+10) (see draw()). */
  distortDrawn(data: Dataset, n: number, draw: Float64Array, d: number, out: Float64Array, o: number): void {
    const { rows, cols, dx, dy, spec, noise, state } = this;
    const size = rows * cols;
    if (spec.elastic) {
      for (let k = 0; k < 4; k++) state[k] = draw[d + 6 + k];
      noise.setState(state);
      for (let i = 0; i < size; i++) {
        // one 32-bit draw per value: uniform on a grid of 2⁻³¹ in [−1, 1), ample for a field
        // that is smoothed and scaled next
        dx[i] = noise.nextUint32() * 4.656612873077393e-10 - 1;
        dy[i] = noise.nextUint32() * 4.656612873077393e-10 - 1;
      }
      this.smooth(dx);
      this.smooth(dy);
      const a = spec.elastic.alpha;
      for (let i = 0; i < size; i++) {
        dx[i] *= a;
        dy[i] *= a;
      }
    } else {
      dx.fill(0);
      dy.fill(0);
    }
    const a00 = draw[d], a01 = draw[d + 1], a10 = draw[d + 2], a11 = draw[d + 3], tx = draw[d + 4], ty = draw[d + 5];
    const cy = (rows - 1) / 2;
    const cx = (cols - 1) / 2;
    // every channel moves by the same field: the weights of a pixel's four neighbours are found once
    const channels = channelsOf(data);
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
        const row0 = y0 >= 0 && y0 < rows ? y0 * cols : -1;
        const row1 = y0 + 1 >= 0 && y0 + 1 < rows ? (y0 + 1) * cols : -1;
        for (let ch = 0; ch < channels; ch++) {
          const src = (n * channels + ch) * size;
          const v00 = row0 >= 0 && inX0 ? img[src + row0 + x0] : 0;
          const v01 = row0 >= 0 && inX1 ? img[src + row0 + x0 + 1] : 0;
          const v10 = row1 >= 0 && inX0 ? img[src + row1 + x0] : 0;
          const v11 = row1 >= 0 && inX1 ? img[src + row1 + x0 + 1] : 0;
          out[o + ch * size + i] = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
        }
      }
    }
  }
}

/**
 * fillBatch with distortions: patterns order[start .. start+batch) of `data`, each distorted afresh
 * (every channel alike), normalised and centred in height×width as fillBatch does.
 */
export function fillDistortedBatch(
  data: Dataset, order: ArrayLike<number>, start: number, batch: number, height: number, width: number,
  norm: Normalisation, out: Float64Array | Float32Array, labels: Uint8Array, augmenter: Augmenter, rng: Rng, scratch: Float64Array,
): void {
  checkBatchArguments(data, order, start, batch, height, width, norm, out, labels);
  if (!check.isObject(augmenter) || typeof augmenter.distort !== 'function') check.fail('augmenter', 'an Augmenter', augmenter);
  if (augmenter.rows !== data.rows || augmenter.cols !== data.cols) check.fail('augmenter', `an Augmenter of the data's ${data.rows}×${data.cols} images`, `${augmenter.rows}×${augmenter.cols}`);
  if (!check.isObject(rng) || typeof rng.uniform !== 'function') check.fail('rng', 'an Rng', rng);
  const { rows, cols } = data;
  const channels = channelsOf(data);
  const size = rows * cols;
  if (!(scratch instanceof Float64Array) || scratch.length < channels * size) check.fail('scratch', `a Float64Array of channels × rows × cols = ${channels * size} values`, scratch);
  for (let b = 0; b < batch; b++) {
    const n = order[start + b];
    if (!(n >= 0 && n < data.count && Number.isInteger(n))) check.fail(`order[${start + b}]`, `a pattern index in [0, ${data.count - 1}]`, n);
    labels[b] = data.labels[n];
    augmenter.distort(data, n, rng, scratch, 0);
    for (let c = 0; c < channels; c++) placePattern(scratch, c * size, rows, cols, height, width, channelNormalisation(norm, c), out, (b * channels + c) * height * width);
  }
}
