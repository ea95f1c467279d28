// Issue 16: per-channel normalisation and colour models out to ONNX. The training set's per-channel mean
// and deviation (measureStatistics, against a two-pass computation) standardise each channel
// (normalise "standard"), travel in the recipe (so in model files), and an exported graph with levels as
// its input (exportOnnx's `normalisation`) applies them itself: ONNX Runtime, given raw levels, gives the
// classes convnotes gives. The graph also names the classes (metadata_props).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fillBatch, type Dataset } from '../../src/data/dataset.js';
import { measureStatistics, standardisation } from '../../src/data/statistics.js';
import { predictImages } from '../../src/network/predict.js';
import { checkOnnxModel, exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../../src/onnx/export.js';
import { decodeModel } from '../../src/onnx/onnx-schema.js';
import { fitRecipe, withStatistics } from '../../src/recipes/fit.js';
import { builtinRecipe, recipeToJson, resolveRecipe, RecipeError } from '../../src/recipes/recipe.js';
import { argmax, range } from '../../src/train/evaluate.js';
import { createTrainingNetwork, normalisation, train } from '../../src/train/trainer.js';
import { colourBars, SIDE } from '../helpers/colour.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

/** Two passes per channel: the mean, then the mean squared deviation (population), of level/255. */
function twoPass(d: Dataset): { mean: number[]; std: number[] } {
  const size = d.rows * d.cols;
  const C = d.channels ?? 1;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < C; c++) {
    const values: number[] = [];
    for (let n = 0; n < d.count; n++) for (let i = 0; i < size; i++) values.push(d.images[(n * C + c) * size + i] / 255);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    mean.push(m);
    std.push(Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length));
  }
  return { mean, std };
}

describe('standardisation by the training set', () => {
  it('measureStatistics agrees with a two-pass computation; standardised batches have mean 0 and deviation 1 per channel', () => {
    const data = colourBars(400, 5);
    const stats = measureStatistics(data);
    const slow = twoPass(data);
    for (let c = 0; c < 3; c++) {
      expect(stats.mean[c]).toBeCloseTo(slow.mean[c], 12);
      expect(stats.std[c]).toBeCloseTo(slow.std[c], 12);
    }
    const norm = standardisation(stats);
    expect(norm.channels).toHaveLength(3);
    const x = new Float64Array(400 * 3 * SIDE * SIDE);
    fillBatch(data, range(400), 0, 400, SIDE, SIDE, norm, x, new Uint8Array(400));
    for (let c = 0; c < 3; c++) {
      let s = 0;
      let s2 = 0;
      for (let n = 0; n < 400; n++) {
        for (let i = 0; i < SIDE * SIDE; i++) {
          const v = x[(n * 3 + c) * SIDE * SIDE + i];
          s += v;
          s2 += v * v;
        }
      }
      const count = 400 * SIDE * SIDE;
      expect(Math.abs(s / count)).toBeLessThan(1e-9);
      expect(s2 / count).toBeCloseTo(1, 9);
    }
  });

  it('a "standard" recipe carries its statistics through its JSON; without them it is refused, naming the field', () => {
    const base = builtinRecipe('lenet-bn');
    const { recipe: fitted } = fitRecipe({ ...base, normalise: 'standard' }, { channels: 3, rows: SIDE, cols: SIDE, classes: 6, source: 'bars' });
    expect(() => normalisation(fitted)).toThrow(RecipeError);
    expect(() => normalisation(fitted)).toThrow(/^data\.statistics: expected the training set's mean and deviation of each of the 3 input channel\(s\) with normalise "standard"/);
    const { recipe, notes } = withStatistics(fitted, colourBars(200, 6));
    expect(notes[0]).toMatch(/^inputs standardised per channel by the training set's mean \d\.\d{4}, \d\.\d{4}, \d\.\d{4} and deviation /);
    const again = resolveRecipe(JSON.parse(JSON.stringify(recipeToJson(recipe))));
    expect(again.statistics).toEqual(recipe.statistics);
    expect(normalisation(again)).toEqual(normalisation(recipe));
    const json = recipeToJson(recipe) as { data: Record<string, unknown> };
    expect(() => resolveRecipe({ ...json, data: { normalise: 'standard', statistics: { mean: [0.2, 1.5], std: [1, 1] } } }))
      .toThrow('data.statistics.mean: expected a list of per-channel means of level/255 in [0, 1], got [0.2,1.5]');
    expect(() => resolveRecipe({ ...json, data: { normalise: 'standard', statistics: { mean: [0.2, 0.5], std: [1] } } }))
      .toThrow('data.statistics.std: expected 2 positive deviations (one per channel), got [1]');
    expect(() => resolveRecipe({ ...json, data: { normalise: 'unit', statistics: { mean: [0.2], std: [1] } } }))
      .toThrow('data.statistics: expected normalise "standard" with statistics, got normalise "unit"');
  });
});

describe('a colour model out to ONNX', () => {
  it('trained with standardised channels, exported to take levels 0–255: ONNX Runtime gives convnotes\' classes on 1,000 test images, and the class names', async () => {
    const data = colourBars(1200, 20);
    const test = colourBars(1000, 21);
    const base = builtinRecipe('lenet-bn');
    const fitted = fitRecipe({ ...base, normalise: 'standard', training: { ...base.training, epochs: 2 } }, {
      channels: 3, rows: SIDE, cols: SIDE, classes: 6, classNames: data.classNames, source: data.source,
    });
    const { recipe } = withStatistics(fitted.recipe, data);
    const norm = normalisation(recipe);
    const net = await createTrainingNetwork(recipe, data, { backend: 'wasm', threads: 2 });
    try {
      const state = await train({ net, recipe, train: data, test, seed: 3, evalTrain: 0 });
      expect(state.history[1].testError!).toBeLessThan(0.2);
      const ours = predictImages(net, test, Array.from(range(test.count)), norm).map((p) => p.class);

      const bytes = exportOnnx(recipe.network, net.params, { normalisation: norm });
      expect(checkOnnxModel(bytes)).toEqual([]);
      const model = decodeModel(bytes);
      expect(model.metadataProps).toContainEqual({ key: 'classNames', value: JSON.stringify(data.classNames) });
      // the graph's input: levels placed in the network's 28×28 field as fillBatch places images (margin 0)
      const [C, H, W] = recipe.network.input;
      const levels = new Float32Array(test.count * C * H * W);
      fillBatch(test, range(test.count), 0, test.count, H, W, { background: 0, foreground: 255 }, levels, new Uint8Array(test.count));
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', levels, [test.count, C, H, W]) });
      const y = out[ONNX_OUTPUT].data as Float32Array;
      const theirs = Array.from({ length: test.count }, (_, n) => argmax(y, n, 6));
      expect(theirs).toEqual(ours);
    } finally {
      await net.dispose();
    }
  }, 120_000);
});
