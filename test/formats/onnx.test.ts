// ONNX export checked by ONNX Runtime: every built-in recipe, briefly trained on real MNIST digits,
// exports to a graph whose outputs on 1,000 test images match convnotes' own forward pass (float32,
// the wasm engine) within 1e-5 absolute with the same predicted classes; so do networks covering the
// constructs the recipes do not use (decimation, relu, shared combinations, explicit tables).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/network/backend.js';
import { fillBatch, LECUN, UNIT } from '../../src/data/dataset.js';
import { resolveDescription, type NetworkDescription } from '../../src/network/description.js';
import { paramCount, paramViews } from '../../src/model/views.js';
import { checkOnnxModel, exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../../src/onnx/export.js';
import { decodeModel, encodeModel } from '../../src/onnx/onnx-schema.js';
import { builtinRecipe, resolveRecipe, type Recipe } from '../../src/recipes/recipe.js';
import { argmax, range } from '../../src/train/evaluate.js';
import { train } from '../../src/train/trainer.js';
import { head, realDigits } from '../helpers/mnist.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const IMAGES = 1000;

async function trainBriefly(recipe: Recipe, patterns: number, epochs: number) {
  const { train: all } = realDigits();
  recipe.training.epochs = epochs;
  const net = await createNetwork(recipe.network, { batch: 250, threads: 1 });
  await train({ net, recipe, train: head(all, patterns), test: null, seed: 1, evalTrain: 0 });
  return net;
}

async function compare(recipe: Recipe, patterns: number, epochs = 1) {
  const net = await trainBriefly(recipe, patterns, epochs);
  const d = recipe.network;
  const bytes = exportOnnx(d, net.params);
  expect(checkOnnxModel(bytes)).toEqual([]);
  const { test } = realDigits();
  const [, h, w] = d.input;
  const x = new Float32Array(IMAGES * net.inputSize);
  const labels = new Uint8Array(IMAGES);
  fillBatch(test, range(IMAGES), 0, IMAGES, h, w, recipe.normalise === 'lecun' ? LECUN : UNIT, x, labels);
  const classes = net.outputSize;
  const ours = new Float64Array(IMAGES * classes);
  for (let s = 0; s < IMAGES; s += 250) ours.set(net.forward(x.subarray(s * net.inputSize, (s + 250) * net.inputSize), 250), s * classes);
  await net.dispose();
  if (d.loss === 'cross-entropy') {
    for (let n = 0; n < IMAGES; n++) {
      const row = ours.subarray(n * classes, (n + 1) * classes);
      const max = Math.max(...row);
      let sum = 0;
      for (let k = 0; k < classes; k++) sum += (row[k] = Math.exp(row[k] - max));
      for (let k = 0; k < classes; k++) row[k] /= sum;
    }
  }
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x, [IMAGES, ...d.input]) });
  const theirs = result[ONNX_OUTPUT].data as Float32Array;
  expect(result[ONNX_OUTPUT].dims).toEqual([IMAGES, classes]);
  let worst = 0;
  let sameClass = 0;
  for (let n = 0; n < IMAGES; n++) {
    for (let k = 0; k < classes; k++) worst = Math.max(worst, Math.abs(theirs[n * classes + k] - ours[n * classes + k]));
    if (argmax(theirs, n, classes) === argmax(ours, n, classes)) sameClass++;
  }
  // the comparison means something only if the network tells images apart: most classes predicted
  const predicted = new Set(Array.from({ length: IMAGES }, (_, n) => argmax(ours, n, classes)));
  expect(predicted.size).toBeGreaterThanOrEqual(6);
  return { worst, sameClass };
}

describe('ONNX export, run by ONNX Runtime', () => {
  // enough patterns (and, for dlt, small enough batches) to take each recipe off its starting plateau
  for (const [name, patterns, batch, epochs] of [['dlt', 6000, 10, 1], ['bouvrie', 8000, 10, 3], ['lenet5', 6000, 1, 1], ['learned', 6000, 1, 1], ['lenet5-distort', 6000, 16, 1], ['simard', 6000, 16, 1], ['simard-wide', 6000, 32, 1], ['simard-2003', 6000, 16, 1], ['speedrun-99', 6000, 32, 1], ['speedrun-995', 6000, 32, 1]] as const) {
    it(`${name}: outputs on ${IMAGES} test images within 1e-5, the same classes`, async () => {
      const recipe = builtinRecipe(name);
      recipe.training.batch = batch;
      const { worst, sameClass } = await compare(recipe, patterns, epochs);
      expect(worst).toBeLessThanOrEqual(1e-5);
      expect(sameClass).toBe(IMAGES);
    }, 60_000);
  }

  const extra: [string, NetworkDescription][] = [
    ['decimation, relu, cross-entropy', {
      name: 'decimate', input: [1, 28, 28], loss: 'cross-entropy', layers: [
        { type: 'conv', name: 'C1', maps: 4, kernel: 5, activation: 'relu' },
        { type: 'subsample', name: 'S2', factor: 2, down: 'decimate', activation: 'tanh' },
        { type: 'conv', name: 'C3', maps: 6, kernel: 3, activation: 'sigmoid', connections: 'pairs' },
        { type: 'subsample', name: 'S4', factor: 5, down: 'sum', beta: 'fixed', bias: false, activation: 'identity' },
        { type: 'full', name: 'F5', units: 10, activation: 'identity' },
      ],
    }],
    ['shared combinations, an explicit table, LeCun tanh', {
      name: 'shared', input: [1, 28, 28], loss: 'mse', targets: [-1, 1], layers: [
        { type: 'conv', name: 'C1', maps: 3, kernel: 5, activation: 'lecun' },
        { type: 'subsample', name: 'S2', factor: 2, activation: 'lecun' },
        { type: 'combination', name: 'C3', maps: 5, kernel: 5, activation: 'tanh', kernels: 'shared' },
        { type: 'conv', name: 'C4', maps: 2, kernel: 3, activation: 'sigmoid', connections: [[true, false], [true, true], [false, true], [true, false], [false, true]] },
        { type: 'full', name: 'F5', units: 10, activation: 'lecun' },
      ],
    }],
  ];
  for (const [what, network] of extra) {
    it(`${what}: the same function`, async () => {
      resolveDescription(network);
      const { worst, sameClass } = await compare(resolveRecipe({ name: network.name, network, training: { batch: 10, rate: 0.1 } }), 8000);
      expect(worst).toBeLessThanOrEqual(1e-5);
      expect(sameClass).toBe(IMAGES);
    }, 60_000);
  }

  it('the checker finds what a broken graph lacks', () => {
    const d = builtinRecipe('dlt').network;
    const bytes = exportOnnx(d, new Float64Array(paramCount(paramViews(d))).fill(0.01));
    expect(checkOnnxModel(bytes)).toEqual([]);
    const m = decodeModel(bytes);
    expect(encodeModel(m)).toEqual(bytes);
    m.graph!.initializer!.splice(0, 1);
    m.graph!.node!.reverse();
    m.opsetImport![0].version = 9;
    const problems = checkOnnxModel(encodeModel(m));
    expect(problems.join('\n')).toMatch(/opset 9, expected ≥ 13/);
    expect(problems.join('\n')).toMatch(/reads C1\.W, which nothing before it produces/);
    expect(problems.join('\n')).toMatch(/reads .*, which nothing before it produces/);
  });
});

describe('convnotes export', () => {
  const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  const dir = mkdtempSync(join(tmpdir(), 'convnotes-onnx-'));

  it('exports a trained model file; ONNX Runtime loads it and predicts what convnotes predicts', async () => {
    const model = join(dir, 'dlt.safetensors');
    expect(run('train', '--recipe', 'dlt', '--limit', '3000', '--eval-train', '0', '--out', model).status).toBe(0);
    const out = join(dir, 'dlt.onnx');
    const r = run('export', '--model', model, '--onnx', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ onnx: out, opset: 13 });
    const bytes = readFileSync(out);
    expect(checkOnnxModel(bytes)).toEqual([]);
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual([ONNX_INPUT]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 60_000);

  for (const [what, make, message] of [
    ['a corrupt model file', (f: string) => writeFileSync(f, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123])), /corrupt\.safetensors: /],
    ['a model file of an unknown version', (f: string) => {
      const good = readFileSync(join(dir, 'dlt.safetensors'));
      const n = Number(good.readBigUInt64LE(0));
      const header = good.subarray(8, 8 + n).toString('utf8').replace('"version":"1"', '"version":"7"');
      writeFileSync(f, Buffer.concat([good.subarray(0, 8), Buffer.from(header), good.subarray(8 + n)]));
    }, /version\.safetensors: format version 7 is not supported \(this convnotes reads version 1\)/],
  ] as const) {
    it(`${what}: one line naming the file, exit 1, no .onnx written`, () => {
      const f = join(dir, what.includes('corrupt') ? 'corrupt.safetensors' : 'version.safetensors');
      make(f);
      const out = join(dir, 'never.onnx');
      const r = run('export', '--model', f, '--onnx', out);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(out)).toBe(false);
    });
  }
});
