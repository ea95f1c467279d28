// Issue 18: what the elastic distortion's α means. Simard, Steinkraus & Platt 2003 draw each
// displacement uniformly in [−1, 1], smooth the field with a Gaussian of σ pixels and multiply it by α.
// With the Gaussian normalised to sum 1 the smoothed field is a weighted mean of uniform values, so
// each component has standard deviation
//   s = α · √(1/3) · √(Σ_ij g_i² g_j²) = α · Σ_i g_i² / √3      (2-D separable, g the 1-D taps)
// wherever all the taps fall inside the image; the components are close to normal (a sum of hundreds
// of uniform terms), so the displacement's length has the Rayleigh mean s·√(π/2). Simard's σ = 4,
// α = 34: s = 1.389 pixels, mean length 1.741 pixels.
//
// Measured through the image, as the network sees it, on both paths: a ramp whose grey level is 4× its
// column (another 4× its row) is linear, so bilinear sampling returns 4× the sampled coordinate exactly,
// and each output pixel gives its own displacement. Only pixels at least the Gaussian's radius from
// every edge count (there the field is zero-padded, and smaller).
import { describe, expect, it } from 'vitest';
import { Augmenter, smoothingRadius, type AugmentSpec } from '../../src/data/augment.js';
import { UNIT, type Dataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/rng.js';

const SIDE = 64;
const SLOPE = 4; // grey levels per pixel: 63 · 4 = 252
const DRAWS = 400;

/** Two SIDE×SIDE images: grey = SLOPE·column, then SLOPE·row. */
function ramps(): Dataset {
  const images = new Uint8Array(2 * SIDE * SIDE);
  for (let r = 0; r < SIDE; r++) {
    for (let c = 0; c < SIDE; c++) {
      images[r * SIDE + c] = SLOPE * c;
      images[SIDE * SIDE + r * SIDE + c] = SLOPE * r;
    }
  }
  return { images, labels: new Uint8Array(2), count: 2, rows: SIDE, cols: SIDE, source: 'ramps' };
}

/** Simard's prediction from the definition, the taps made here (not the Augmenter's): per-component deviation and mean length. */
function predicted(sigma: number, alpha: number): { deviation: number; meanLength: number } {
  const R = Math.max(1, Math.ceil(3 * sigma));
  const g = Array.from({ length: 2 * R + 1 }, (_, i) => Math.exp(-((i - R) ** 2) / (2 * sigma * sigma)));
  const sum = g.reduce((a, v) => a + v, 0);
  const squares = g.reduce((a, v) => a + (v / sum) ** 2, 0);
  const deviation = (alpha * squares) / Math.sqrt(3);
  return { deviation, meanLength: deviation * Math.sqrt(Math.PI / 2) };
}

/** Per-component mean square and mean length of the displacements in distorted ramps (pairs: the column ramp, then the row ramp, distorted alike). */
class FieldStatistics {
  private squares = 0;
  private lengths = 0;
  private count = 0;

  constructor(private readonly radius: number) {}

  /** Adds one pair's interior pixels; x and y hold the two ramps' distorted levels scaled to [0, 1]. */
  add(x: ArrayLike<number>, y: ArrayLike<number>, o: number): void {
    const R = this.radius;
    for (let r = R; r < SIDE - R; r++) {
      for (let c = R; c < SIDE - R; c++) {
        const i = o + r * SIDE + c;
        const dx = (x[i] * 255) / SLOPE - c;
        const dy = (y[i] * 255) / SLOPE - r;
        this.squares += dx * dx + dy * dy;
        this.lengths += Math.hypot(dx, dy);
        this.count++;
      }
    }
  }

  get deviation(): number {
    return Math.sqrt(this.squares / (2 * this.count));
  }

  get meanLength(): number {
    return this.lengths / this.count;
  }
}

/** Within 3 %: 400 fields' figures scatter by 0.5 % (20 seeds); a Gaussian of peak 1 instead of sum 1 is off 100-fold (σ = 4), torchvision's α read as Simard's 2-fold. */
function expectPredicted(field: FieldStatistics, sigma: number, alpha: number): void {
  const want = predicted(sigma, alpha);
  const report = `measured: deviation ${field.deviation.toFixed(4)}, mean length ${field.meanLength.toFixed(4)} pixels; predicted ${want.deviation.toFixed(4)}, ${want.meanLength.toFixed(4)}`;
  expect(Math.abs(field.deviation / want.deviation - 1), report).toBeLessThan(0.03);
  expect(Math.abs(field.meanLength / want.meanLength - 1), report).toBeLessThan(0.03);
}

const SETTINGS: [number, number][] = [[4, 34], [2, 8]];

describe('the elastic field is Simard et al.\'s: α times a field smoothed by a Gaussian of sum 1', () => {
  it.each(SETTINGS)('float64 path, σ = %d, α = %d: the displacements\' deviation and mean length are what the definition predicts', (sigma, alpha) => {
    const spec: AugmentSpec = { elastic: { sigma, alpha }, affine: null };
    const augmenter = new Augmenter(SIDE, SIDE, spec);
    const data = ramps();
    const rng = new Rng(18);
    const draw = new Float64Array(Augmenter.DRAW);
    const x = new Float64Array(SIDE * SIDE);
    const y = new Float64Array(SIDE * SIDE);
    const field = new FieldStatistics(smoothingRadius(spec));
    for (let d = 0; d < DRAWS; d++) {
      augmenter.draw(rng, draw, 0);
      augmenter.distortDrawn(data, 0, draw, 0, x, 0);
      augmenter.distortDrawn(data, 1, draw, 0, y, 0);
      // levels 0–255 here; the statistics take [0, 1]
      for (let i = 0; i < x.length; i++) {
        x[i] /= 255;
        y[i] /= 255;
      }
      field.add(x, y, 0);
    }
    expectPredicted(field, sigma, alpha);
  });

  it.each(SETTINGS)('wasm path (the engine\'s threads), σ = %d, α = %d: the same', async (sigma, alpha) => {
    const { FastNetwork } = await import('../../src/wasm/engine.js');
    const spec: AugmentSpec = { elastic: { sigma, alpha }, affine: null };
    const augmenter = new Augmenter(SIDE, SIDE, spec);
    const radius = smoothingRadius(spec);
    const data = ramps();
    const pairs = 100;
    const description = {
      input: [1, SIDE, SIDE], loss: 'cross-entropy', layers: [
        { type: 'conv', name: 'C1', maps: 1, kernel: 5, activation: 'tanh' },
        { type: 'full', name: 'F', units: 2, activation: 'identity' },
      ],
    };
    const net = await FastNetwork.create(description, { batch: 2 * pairs, threads: 2, distort: { rows: SIDE, cols: SIDE, radius } });
    try {
      const rng = new Rng(18);
      const field = new FieldStatistics(radius);
      const order = Array.from({ length: 2 * pairs }, (_, b) => b % 2);
      const draws = new Float64Array(2 * pairs * Augmenter.DRAW);
      for (let round = 0; round < DRAWS / pairs; round++) {
        // each pair's two ramps share one draw: the same field
        for (let p = 0; p < pairs; p++) {
          augmenter.draw(rng, draws, 2 * p * Augmenter.DRAW);
          draws.copyWithin((2 * p + 1) * Augmenter.DRAW, 2 * p * Augmenter.DRAW, (2 * p + 1) * Augmenter.DRAW);
        }
        net.stageDistortedBatch(data, order, 0, 2 * pairs, UNIT, draws, augmenter);
        net.computeGradients(null, order, 2 * pairs);
        const input = net.inputView(2 * pairs);
        for (let p = 0; p < pairs; p++) field.add(input, input.subarray(SIDE * SIDE), 2 * p * SIDE * SIDE);
      }
      expectPredicted(field, sigma, alpha);
    } finally {
      await net.dispose();
    }
  });
});
