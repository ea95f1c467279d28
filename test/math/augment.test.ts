// Distortions of the training images (issue 8): no distortion is the identity, the same seed gives the
// same images, elastic and affine distortions move ink by about what they say, and the recipe checks
// its fields.
import { describe, expect, it } from 'vitest';
import { Augmenter, fillDistortedBatch, smoothingRadius } from '../../src/data/augment.js';
import { fillBatch, LECUN, UNIT, type Dataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/rng.js';
import { RecipeError, resolveRecipe } from '../../src/recipes/recipe.js';
import { head, realDigits } from '../helpers/mnist.js';

const B = 20;
function batch(data: Dataset, spec: ConstructorParameters<typeof Augmenter>[2] | null, seed: number): Float64Array {
  const out = new Float64Array(B * 32 * 32);
  const labels = new Uint8Array(B);
  const order = Array.from({ length: B }, (_, i) => i);
  if (!spec) fillBatch(data, order, 0, B, 32, 32, UNIT, out, labels);
  else fillDistortedBatch(data, order, 0, B, 32, 32, UNIT, out, labels, new Augmenter(28, 28, spec), new Rng(seed), new Float64Array(28 * 28));
  return out;
}

/** Centre of mass (row, col) of image b of a [B][32][32] batch. */
function centroid(x: Float64Array, b: number): [number, number] {
  let m = 0, r = 0, c = 0;
  for (let i = 0; i < 32 * 32; i++) {
    const v = x[b * 1024 + i];
    m += v;
    r += v * Math.floor(i / 32);
    c += v * (i % 32);
  }
  return [r / m, c / m];
}

describe('distortions of the training images', () => {
  const data = head(realDigits().train, B);

  it('no distortion (α = 0, no affine ranges) gives exactly fillBatch\'s images', () => {
    const none = batch(data, { elastic: { sigma: 4, alpha: 0 }, affine: { rotate: 0, scale: 0, shear: 0, translate: 0 } }, 1);
    expect(Array.from(none)).toEqual(Array.from(batch(data, null, 1)));
  });

  it('the same seed gives the same images, another seed others', () => {
    const spec = { elastic: { sigma: 4, alpha: 34 }, affine: { rotate: 15, scale: 0.15, shear: 10, translate: 2 } };
    expect(Array.from(batch(data, spec, 7))).toEqual(Array.from(batch(data, spec, 7)));
    expect(Array.from(batch(data, spec, 8))).not.toEqual(Array.from(batch(data, spec, 7)));
  });

  it('translation by up to 3 pixels moves each digit\'s centre of mass by at most about 3√2 pixels, and some by more than 1', () => {
    const plain = batch(data, null, 1);
    const moved = batch(data, { elastic: null, affine: { rotate: 0, scale: 0, shear: 0, translate: 3 } }, 3);
    let largest = 0;
    for (let b = 0; b < B; b++) {
      const [r0, c0] = centroid(plain, b);
      const [r1, c1] = centroid(moved, b);
      const d = Math.hypot(r1 - r0, c1 - c0);
      expect(d).toBeLessThan(3 * Math.SQRT2 + 0.5);
      largest = Math.max(largest, d);
    }
    expect(largest).toBeGreaterThan(1);
  });

  it('elastic distortion changes the image but keeps its ink within a factor of 2 (σ = 4, α = 34, as Simard et al.)', () => {
    const plain = batch(data, null, 1);
    const warped = batch(data, { elastic: { sigma: 4, alpha: 34 }, affine: null }, 5);
    for (let b = 0; b < B; b++) {
      let ink0 = 0, ink1 = 0, diff = 0;
      for (let i = 0; i < 1024; i++) {
        ink0 += plain[b * 1024 + i];
        ink1 += warped[b * 1024 + i];
        diff += Math.abs(plain[b * 1024 + i] - warped[b * 1024 + i]);
      }
      expect(diff).toBeGreaterThan(0.05 * ink0);
      // local stretching and squeezing change the ink, within bounds
      expect(ink1).toBeGreaterThan(0.5 * ink0);
      expect(ink1).toBeLessThan(2 * ink0);
    }
  });

  it('flip mirrors exactly half the time or so, and crop shifts by whole pixels in [−P, P] with background where the image left', () => {
    const one = head(data, 1);
    const image = (x: Float64Array, b: number, r: number, c: number) => x[b * 1024 + r * 32 + c];
    const n = 200;
    const out = new Float64Array(n * 32 * 32);
    const order = new Array<number>(n).fill(0);
    const plain = new Float64Array(32 * 32);
    fillBatch(one, [0], 0, 1, 32, 32, UNIT, plain, new Uint8Array(1));
    // flip alone: each pattern is the image or its exact mirror about the image's centre column
    fillDistortedBatch(one, order, 0, n, 32, 32, UNIT, out, new Uint8Array(n), new Augmenter(28, 28, { elastic: null, affine: null, flip: true }), new Rng(9), new Float64Array(28 * 28));
    let mirrored = 0;
    for (let b = 0; b < n; b++) {
      let same = true;
      let mirror = true;
      for (let r = 2; r < 30; r++) {
        for (let c = 2; c < 30; c++) {
          const v = image(out, b, r, c);
          if (v !== plain[r * 32 + c]) same = false;
          if (v !== plain[r * 32 + (31 - c)]) mirror = false;
        }
      }
      expect(same || mirror).toBe(true);
      if (mirror && !same) mirrored++;
    }
    expect(mirrored).toBeGreaterThan(70);
    expect(mirrored).toBeLessThan(130);
    // crop alone: a whole-pixel shift, every one of the 5 × 5 shifts of P = 2 seen
    fillDistortedBatch(one, order, 0, n, 32, 32, UNIT, out, new Uint8Array(n), new Augmenter(28, 28, { elastic: null, affine: null, crop: 2 }), new Rng(10), new Float64Array(28 * 28));
    const shifts = new Set<string>();
    for (let b = 0; b < n; b++) {
      let found = '';
      for (let dy = -2; dy <= 2 && !found; dy++) {
        for (let dx = -2; dx <= 2 && !found; dx++) {
          let match = true;
          for (let r = 2; r < 30 && match; r++) {
            for (let c = 2; c < 30 && match; c++) {
              const sr = r - dy;
              const sc = c - dx;
              const want = sr >= 2 && sr < 30 && sc >= 2 && sc < 30 ? plain[sr * 32 + sc] : 0;
              if (image(out, b, r, c) !== want) match = false;
            }
          }
          if (match) found = `${dy},${dx}`;
        }
      }
      expect(found).not.toBe('');
      shifts.add(found);
    }
    expect(shifts.size).toBe(25);
  });

  it('recipes check the augment fields by path', () => {
    const bad = (augment: unknown) => () => resolveRecipe({ name: 'x', network: 'dlt', data: { augment } }, { dlt: realDigitsNet() });
    expect(bad({ elastic: { sigma: 0, alpha: 34 } })).toThrow(RecipeError);
    expect(bad({ elastic: { sigma: 0, alpha: 34 } })).toThrow(/data\.augment\.elastic\.sigma: expected a Gaussian width/);
    expect(bad({ affine: { rotate: 200 } })).toThrow(/data\.augment\.affine\.rotate: expected degrees in \[0, 180\]/);
    expect(bad({ warp: 1 })).toThrow(/data\.augment\.warp: unknown field/);
    const r = resolveRecipe({ name: 'x', network: 'dlt', data: { augment: { affine: { rotate: 10 } } } }, { dlt: realDigitsNet() });
    expect(r.augment).toEqual({ elastic: null, affine: { rotate: 10, scale: 0, shear: 0, translate: 0 } });
    expect(bad({ flip: 'yes' })).toThrow('data.augment.flip: expected true or false (a left–right mirror of half the patterns), got "yes"');
    expect(bad({ crop: 1.5 })).toThrow(/data\.augment\.crop: expected a padding in whole pixels, in \[0, 64\]/);
    const fc = resolveRecipe({ name: 'x', network: 'dlt', data: { augment: { flip: true, crop: 4 } } }, { dlt: realDigitsNet() });
    expect(fc.augment).toEqual({ elastic: null, affine: null, flip: true, crop: 4 });
  });
});

function realDigitsNet() {
  return {
    input: [1, 28, 28] as [number, number, number], loss: 'mse' as const,
    layers: [{ type: 'conv' as const, maps: 2, kernel: 5, activation: 'sigmoid' as const }, { type: 'full' as const, units: 10, activation: 'sigmoid' as const }],
  };
}

describe('distortions made by the wasm engine\'s threads (assembly/augment.ts)', () => {
  const data = head(realDigits().train, 40);
  const spec = { elastic: { sigma: 4, alpha: 34 }, affine: { rotate: 15, scale: 0.15, shear: 10, translate: 2 } };
  const description = {
    input: [1, 32, 32], loss: 'cross-entropy', layers: [
      { type: 'conv', name: 'C1', maps: 2, kernel: 5, activation: 'tanh' },
      { type: 'full', name: 'F', units: 10, activation: 'identity' },
    ],
  };

  /** The batch the threads write into the input slot, from draws of stream `seed`. */
  async function threadBatch(threads: number, seed: number, s: typeof spec, norm = LECUN): Promise<Float32Array> {
    const { FastNetwork } = await import('../../src/wasm/engine.js');
    const augmenter = new Augmenter(28, 28, s);
    const net = await FastNetwork.create(description, { batch: 40, threads, distort: { rows: 28, cols: 28, radius: smoothingRadius(s) } });
    const rng = new Rng(seed);
    const draws = new Float64Array(40 * Augmenter.DRAW);
    for (let b = 0; b < 40; b++) augmenter.draw(rng, draws, b * Augmenter.DRAW);
    const order = Array.from({ length: 40 }, (_, i) => 39 - i);
    net.stageDistortedBatch(data, order, 0, 40, norm, draws, augmenter);
    net.computeGradients(null, order.map((n) => data.labels[n]), 40);
    const out = Float32Array.from(net.inputView(40));
    await net.dispose();
    return out;
  }

  it('match the float64 distortions of the same draws to float32 rounding, at 1 and 2 threads alike', async () => {
    for (const s of [spec, { elastic: null, affine: spec.affine }, { elastic: spec.elastic, affine: null }, { ...spec, flip: true, crop: 3 }, { elastic: null, affine: null, flip: true, crop: 2 }]) {
      const want = new Float64Array(40 * 32 * 32);
      const order = Array.from({ length: 40 }, (_, i) => 39 - i);
      fillDistortedBatch(data, order, 0, 40, 32, 32, LECUN, want, new Uint8Array(40), new Augmenter(28, 28, s), new Rng(5), new Float64Array(28 * 28));
      const one = await threadBatch(1, 5, s as typeof spec);
      const two = await threadBatch(2, 5, s as typeof spec);
      expect(Buffer.compare(Buffer.from(one.buffer), Buffer.from(two.buffer))).toBe(0);
      let worst = 0;
      let moved = 0;
      const plain = new Float64Array(40 * 32 * 32);
      fillBatch(data, order, 0, 40, 32, 32, LECUN, plain, new Uint8Array(40));
      for (let i = 0; i < want.length; i++) {
        worst = Math.max(worst, Math.abs(one[i] - want[i]));
        moved += Math.abs(want[i] - plain[i]);
      }
      expect(worst).toBeLessThan(1e-3);
      expect(moved / want.length).toBeGreaterThan(0.01); // the distortion is not the identity
    }
  });

  it('are refused with a clear message for images the arena was not laid out for', async () => {
    const { FastNetwork } = await import('../../src/wasm/engine.js');
    const net = await FastNetwork.create(description, { batch: 4, threads: 1, distort: { rows: 20, cols: 20, radius: 12 } });
    const augmenter = new Augmenter(28, 28, spec);
    expect(() => net.stageDistortedBatch(data, [0, 1], 0, 2, LECUN, new Float64Array(20), augmenter)).toThrow(/images are 28×28; the network's distortion arena was laid out for 20×20/);
    await net.dispose();
    const plain = await FastNetwork.create(description, { batch: 4, threads: 1 });
    expect(plain.canDistort).toBe(false);
    expect(() => plain.stageDistortedBatch(data, [0, 1], 0, 2, LECUN, new Float64Array(20), augmenter)).toThrow(/not laid out for distortions/);
    await plain.dispose();
  });
});

describe('training on distorted images', () => {
  it('a small net still learns with distortions made by the engine\'s threads; 1 and 2 threads give the same weights, and so does a second run', async () => {
    const { createNetwork } = await import('../../src/network/backend.js');
    const { train } = await import('../../src/train/trainer.js');
    const { train: all, test } = realDigits();
    const recipe = () => resolveRecipe({
      name: 'small-distort', training: { epochs: 2, batch: 20, rate: 0.02, momentum: 0.9 },
      data: { augment: { elastic: { sigma: 4, alpha: 20 }, affine: { rotate: 10, scale: 0.1, shear: 5, translate: 1.5 } } },
      network: {
        input: [1, 28, 28], loss: 'cross-entropy', layers: [
          { type: 'conv', name: 'C1', maps: 6, kernel: 5, activation: 'tanh' },
          { type: 'subsample', name: 'S2', factor: 2, activation: 'identity' },
          { type: 'conv', name: 'C3', maps: 12, kernel: 5, activation: 'tanh' },
          { type: 'subsample', name: 'S4', factor: 2, activation: 'identity' },
          { type: 'full', name: 'F5', units: 10, activation: 'identity' },
        ],
      },
    });
    const run = async (threads: number) => {
      const net = await createNetwork(recipe().network, { batch: 250, threads, distort: { rows: 28, cols: 28, radius: 12 } });
      const state = await train({ net, recipe: recipe(), train: head(all, 3000), test: head(test, 1000), seed: 4, evalTrain: 0 });
      const params = Float32Array.from(net.params);
      await net.dispose();
      return { params, error: state.history[1].testError! };
    };
    const a = await run(2);
    const b = await run(1);
    const c = await run(2);
    expect(a.error).toBeLessThan(0.2);
    expect(Buffer.compare(Buffer.from(a.params.buffer), Buffer.from(b.params.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.params.buffer), Buffer.from(c.params.buffer))).toBe(0);
  }, 60_000);
});

describe('convnotes inspect --augment', () => {
  it('draws a grid of digits and their distortions; a recipe without distortions is one clear line', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync, writeFileSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { PNG } = await import('pngjs');
    const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
    const dir = mkdtempSync(join(tmpdir(), 'convnotes-augment-'));
    const recipe = join(dir, 'distort.json');
    writeFileSync(recipe, JSON.stringify({ name: 'distort', network: 'dlt', data: { augment: { elastic: { sigma: 4, alpha: 34 }, affine: { rotate: 15 } } } }));
    const out = join(dir, 'grid.png');
    const r = spawnSync(process.execPath, [CLI, 'inspect', '--augment', recipe, '--out', out, '--rows', '3', '--columns', '4'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([5 * 30 + 2, 3 * 30 + 2]);
    const bad = spawnSync(process.execPath, [CLI, 'inspect', '--augment', 'dlt', '--out', join(dir, 'none.png')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/^convnotes: --augment dlt: the recipe has no data\.augment distortions to show/);
    expect(existsSync(join(dir, 'none.png'))).toBe(false);
  }, 60_000);
});
