// Issue 16: colour through everything. Datasets of C channels ([count][channels][rows][cols]) become
// batches of C input maps (fillBatch, against an independent construction), distortions move every
// channel alike, a built-in recipe is fitted to the data's channels, size and classes (fitRecipe), and
// a fitted recipe learns a colour task that grey levels cannot solve, on both backends' training paths.
import { describe, expect, it } from 'vitest';
import { Augmenter, fillDistortedBatch } from '../../src/data/augment.js';
import { channelsOf, checkFits, classesOf, fillBatch, headOf, LECUN, limitOf, type Dataset } from '../../src/data/dataset.js';
import { range } from '../../src/train/evaluate.js';
import { DataError } from '../../src/data/idx.js';
import { resolveDescription } from '../../src/network/description.js';
import { summary } from '../../src/network/summary.js';
import { Network } from '../../src/network/network.js';
import { fitRecipe } from '../../src/recipes/fit.js';
import { builtinRecipe, RecipeError } from '../../src/recipes/recipe.js';
import { createTrainingNetwork, train } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { colourBars, NAMES, SIDE } from '../helpers/colour.js';

describe('colour datasets', () => {
  it('fillBatch writes [batch][channels][height][width], each channel centred and normalised alike (against a direct construction)', () => {
    const data = colourBars(5, 1);
    const [H, W] = [20, 22];
    const order = [4, 0, 3];
    const out = new Float64Array(order.length * 3 * H * W);
    const labels = new Uint8Array(order.length);
    fillBatch(data, order, 0, order.length, H, W, LECUN, out, labels);
    const top = (H - SIDE) >> 1;
    const left = (W - SIDE) >> 1;
    for (let b = 0; b < order.length; b++) {
      expect(labels[b]).toBe(data.labels[order[b]]);
      for (let ch = 0; ch < 3; ch++) {
        for (let r = 0; r < H; r++) {
          for (let c = 0; c < W; c++) {
            const inside = r >= top && r < top + SIDE && c >= left && c < left + SIDE;
            const level = inside ? data.images[((order[b] * 3 + ch) * SIDE + r - top) * SIDE + c - left] : 0;
            const want = LECUN.background + ((LECUN.foreground - LECUN.background) * level) / 255;
            expect(out[((b * 3 + ch) * H + r) * W + c]).toBeCloseTo(want, 12);
          }
        }
      }
    }
  });

  it('distortions move every channel alike: a channel equal to another stays equal, one twice another stays twice it', () => {
    const base = colourBars(4, 2);
    const size = SIDE * SIDE;
    const images = new Uint8Array(base.images.length);
    for (let n = 0; n < base.count; n++) {
      for (let i = 0; i < size; i++) {
        const g = base.images[n * 3 * size + i] >> 1;
        images[n * 3 * size + i] = g;
        images[(n * 3 + 1) * size + i] = g;
        images[(n * 3 + 2) * size + i] = 2 * g;
      }
    }
    const data: Dataset = { ...base, images };
    const augmenter = new Augmenter(SIDE, SIDE, { elastic: { sigma: 4, alpha: 8 }, affine: { rotate: 10, scale: 0.1, shear: 5, translate: 2 } });
    const out = new Float64Array(4 * 3 * size);
    fillDistortedBatch(data, [0, 1, 2, 3], 0, 4, SIDE, SIDE, { background: 0, foreground: 255 }, out, new Uint8Array(4), augmenter, new Rng(3), new Float64Array(3 * size));
    let moved = 0;
    for (let b = 0; b < 4; b++) {
      for (let i = 0; i < size; i++) {
        const [c0, c1, c2] = [0, 1, 2].map((ch) => out[(b * 3 + ch) * size + i]);
        expect(c1).toBe(c0);
        expect(c2).toBe(2 * c0);
        if (c0 !== images[b * 3 * size + i]) moved++;
      }
    }
    expect(moved).toBeGreaterThan(100);
  });

  it('checkFits names the data and both channel counts; classesOf, channelsOf and headOf read the channels', () => {
    const data = colourBars(10, 3);
    expect(() => checkFits(data, 1, 28, 28)).toThrow(DataError);
    expect(() => checkFits(data, 1, 28, 28)).toThrow("colourBars(3): holds 3 channels per image; the network's input has 1 map");
    expect(channelsOf(data)).toBe(3);
    expect(channelsOf({ ...data, channels: undefined })).toBe(1);
    expect(classesOf(data)).toBe(6);
    expect(classesOf({ ...data, classNames: undefined })).toBe(Math.max(...data.labels) + 1);
    const h = headOf(data, 4);
    expect(h.count).toBe(4);
    expect(h.images.length).toBe(4 * 3 * SIDE * SIDE);
    expect(Array.from(h.images)).toEqual(Array.from(data.images.subarray(0, 4 * 3 * SIDE * SIDE)));
  });

  it('limitOf: the first n of a shuffled set; of a set ordered by class, every class in turn, in the set\'s order', () => {
    const data = colourBars(60, 4);
    expect(limitOf(data, 10).images).toEqual(headOf(data, 10).images);
    // the same images ordered by class, as an image folder holds them
    const order = Array.from(range(60)).sort((a, b) => data.labels[a] - data.labels[b] || a - b);
    const size = 3 * SIDE * SIDE;
    const images = new Uint8Array(60 * size);
    order.forEach((n, k) => images.set(data.images.subarray(n * size, (n + 1) * size), k * size));
    const folder: Dataset = { ...data, images, labels: Uint8Array.from(order, (n) => data.labels[n]) };
    const l = limitOf(folder, 14);
    expect(l.count).toBe(14);
    // 14 of 6 classes: 3 of the first two classes, 2 of the others, each class's first images
    expect(Array.from(l.labels)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const starts = [0, 1, 2, 3, 4, 5].map((c) => folder.labels.indexOf(c));
    const picked = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5].map((c, k) => starts[c] + (k - [0, 3, 6, 8, 10, 12][c]));
    picked.forEach((i, k) => expect(l.images.subarray(k * size, (k + 1) * size)).toEqual(folder.images.subarray(i * size, (i + 1) * size)));
    expect(limitOf(folder, 100)).toBe(folder);
  });
});

describe('fitRecipe: a built-in recipe on other data', () => {
  it('takes the data\'s channels, a larger size and its class count and names, saying each change; MNIST leaves it as it is', () => {
    const mnist = fitRecipe(builtinRecipe('simard-wide'), { channels: 1, rows: 28, cols: 28, classes: 10, source: 'mnist' });
    expect(mnist.notes).toEqual([]);
    expect(mnist.recipe).toEqual(builtinRecipe('simard-wide'));
    const cifar = fitRecipe(builtinRecipe('simard-wide'), { channels: 3, rows: 32, cols: 32, classes: 6, classNames: NAMES, source: 'cifar' });
    expect(cifar.recipe.network.input).toEqual([3, 32, 32]);
    expect(cifar.recipe.network.shapes.at(-1)).toEqual([6, 1, 1]);
    expect(cifar.recipe.network.classNames).toEqual(NAMES);
    expect(cifar.notes).toEqual([
      'input 1×28×28 → 3×32×32 (the data\'s 3×32×32 images)',
      'outputs 10 → 6 (the data\'s classes)',
      'class names red-h, red-v, green-h, green-v, blue-h, …',
    ]);
    // smaller images are centred in the recipe's input, as MNIST's digits in LeNet-5's 32×32
    const small = fitRecipe(builtinRecipe('lenet5-distort'), { channels: 1, rows: 20, cols: 20, classes: 10, source: 's' });
    expect(small.recipe.network.input).toEqual([1, 32, 32]);
    expect(small.notes).toEqual([]);
  });

  it('refuses what cannot fit: class codes for other classes, a size a subsampling factor does not divide', () => {
    const codes = () => fitRecipe(builtinRecipe('lenet5'), { channels: 1, rows: 28, cols: 28, classes: 26, source: 'letters' });
    expect(codes).toThrow(RecipeError);
    expect(codes).toThrow(/^lenet5: network\.codes: expected 26 class codes for letters's 26 classes: lenet5 trains its output towards 10 fixed codes/);
    expect(() => fitRecipe(builtinRecipe('dlt'), { channels: 3, rows: 30, cols: 30, classes: 4, source: 'odd' }))
      .toThrow('dlt: network.layers[3].factor: expected a factor that divides the 9×9 input maps, got 2 (the network fitted to odd\'s 3×30×30 images)');
  });

  it('class names in a description: one distinct non-empty name per class, shown by summary', () => {
    const d = { ...builtinRecipe('dlt').network, classNames: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'] };
    const { shapes: _, ...raw } = d;
    const resolved = resolveDescription({ ...raw, codes: undefined });
    expect(resolved.classNames).toEqual(d.classNames);
    expect(summary(new Network(resolved))).toMatch(/\nclasses: 0 zero, 1 one, 2 two, .*, 9 nine$/);
    expect(() => resolveDescription({ ...raw, codes: undefined, classNames: ['a', 'b'] })).toThrow('classNames: expected 10 class names (one per class), got ["a","b"]');
    expect(() => resolveDescription({ ...raw, codes: undefined, classNames: [...d.classNames.slice(0, 9), 'zero'] })).toThrow('classNames[9]: expected distinct names, got "zero" twice');
    expect(() => resolveDescription({ ...raw, codes: undefined, classNames: [...d.classNames.slice(0, 9), ''] })).toThrow('classNames[9]: expected a non-empty string, got ""');
    // without names the resolved description has no classNames key (model files stay as they were)
    expect('classNames' in resolveDescription({ ...raw, codes: undefined, classNames: undefined })).toBe(false);
  });
});

describe('a fitted recipe learns colour', () => {
  // chance is 5/6 error; grey levels alone would leave the three colours nearly alike. The wasm engine
  // makes colour batches on the host (fillBatch), the path the reference backend also takes.
  it('lenet-bn fitted to 3×16×16 colour bars of 6 classes: test error below 3 % after 4 epochs of 2,400 images', async () => {
    const data = colourBars(2400, 10);
    const test = colourBars(300, 11);
    const base = builtinRecipe('lenet-bn');
    const { recipe } = fitRecipe({ ...base, training: { ...base.training, epochs: 4 } }, {
      channels: 3, rows: SIDE, cols: SIDE, classes: classesOf(data), classNames: data.classNames, source: data.source,
    });
    expect(recipe.network.input).toEqual([3, 28, 28]);
    const net = await createTrainingNetwork(recipe, data, { backend: 'wasm', threads: 2 });
    try {
      const state = await train({ net, recipe, train: data, test, seed: 1, evalTrain: 0 });
      expect(state.history[3].testError!).toBeLessThan(0.03);
    } finally {
      await net.dispose();
    }
  }, 120_000);

  it('the control: the same bars in grey (their luma) leave the colour to chance, above 40 % test error', async () => {
    const grey = (d: Dataset): Dataset => {
      const size = SIDE * SIDE;
      const images = new Uint8Array(d.count * size);
      for (let n = 0; n < d.count; n++) {
        for (let i = 0; i < size; i++) {
          const [r, g, b] = [0, 1, 2].map((ch) => d.images[(n * 3 + ch) * size + i]);
          images[n * size + i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
        }
      }
      return { ...d, images, channels: 1 };
    };
    const data = grey(colourBars(2400, 10));
    const test = grey(colourBars(300, 11));
    const base = builtinRecipe('lenet-bn');
    const { recipe } = fitRecipe({ ...base, training: { ...base.training, epochs: 4 } }, {
      channels: 1, rows: SIDE, cols: SIDE, classes: classesOf(data), classNames: data.classNames, source: data.source,
    });
    const net = await createTrainingNetwork(recipe, data, { backend: 'wasm', threads: 2 });
    try {
      const state = await train({ net, recipe, train: data, test, seed: 1, evalTrain: 0 });
      expect(state.history[3].testError!).toBeGreaterThan(0.4);
    } finally {
      await net.dispose();
    }
  }, 120_000);
});
