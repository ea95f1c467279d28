// The edges of the public API: each function fails on a bad argument at once, with one line that names
// the argument or field and says what was expected (as a description's errors do), never a raw
// TypeError from deep inside; evaluate fits its batch to the network; a malformed recipe given to
// train() is a RecipeError naming the field; resolveRecipe knows the built-in networks by name; and
// predict/probabilities give what the CLI prints and the ONNX graph outputs.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyUpdate, ArgumentError, Augmenter, builtinNetwork, createNetwork, DescriptionError, evaluate, fillBatch, fillDistortedBatch,
  gradientCheck, initialState, lossAndGradient, Network, paramViews, parseIdx, predict, probabilities, range, recipeToJson,
  RecipeError, resolveRecipe, Rng, scheduledRate, summary, train, UNIT, type Dataset, type TrainableNetwork,
} from '../../src/index.js';
import { exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../../src/onnx/export.js';
import { head, realDigits } from '../helpers/mnist.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

const small = {
  name: 'small', input: [1, 28, 28], seed: 3, loss: 'cross-entropy',
  layers: [
    { type: 'conv', name: 'C1', maps: 4, kernel: 5, activation: 'tanh' },
    { type: 'subsample', name: 'S2', factor: 2, activation: 'identity' },
    { type: 'conv', name: 'C3', maps: 6, kernel: 5, activation: 'tanh' },
    { type: 'subsample', name: 'S4', factor: 4, activation: 'identity' },
    { type: 'full', name: 'F5', units: 10, activation: 'identity' },
  ],
};
const smallMse = { ...small, name: 'small-mse', loss: 'mse', layers: [...small.layers.slice(0, 4), { type: 'full', name: 'F5', units: 10, activation: 'sigmoid' }] };

/** Runs f and returns what it threw (failing when it threw nothing). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

async function rejected(p: () => Promise<unknown>): Promise<Error> {
  try {
    await p();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection, none came');
}

/** One line, beginning with the argument's path, an ArgumentError (a RangeError). */
function expectArgumentError(e: Error, message: RegExp): void {
  expect(e.message).toMatch(message);
  expect(e.message).not.toContain('\n');
  expect(e).toBeInstanceOf(ArgumentError);
  expect(e).toBeInstanceOf(RangeError);
}

describe('API edges', () => {
  const { train: trainSet, test: testSet } = realDigits();
  const data = head(trainSet, 400);
  const test = head(testSet, 300);
  let fast: TrainableNetwork;

  beforeAll(async () => {
    fast = await createNetwork(small, { batch: 50, threads: 1 });
  });
  afterAll(async () => {
    await fast?.dispose();
  });

  it('evaluate fits its batch to the network: a network laid out for 50 runs at 50, whatever batch is asked', () => {
    const ref = new Network(small);
    fast.setParams(ref.params);
    const expected = evaluate(ref, test, range(test.count), UNIT);
    for (const batch of [undefined, 100, 1000, 7]) {
      const e = batch === undefined ? evaluate(fast, test, range(test.count), UNIT) : evaluate(fast, test, range(test.count), UNIT, batch);
      expect(e.count).toBe(test.count);
      // float32 against float64: the same classes but perhaps one near-tie
      expect(Math.abs(e.error - expected.error)).toBeLessThanOrEqual(2 / test.count);
      expect(e.loss).toBeCloseTo(expected.loss, 3);
    }
    expectArgumentError(thrown(() => evaluate(fast, test, range(10), UNIT, 0)), /^batch: expected a positive integer, got 0$/);
  });

  it('train() given a malformed recipe object: a RecipeError naming the field', async () => {
    const net = await createNetwork(small, { backend: 'reference', batch: 10 });
    const run = (recipe: unknown) => rejected(() => train({ net, recipe: recipe as never, train: data, seed: 1, evalTrain: 0 }));
    let e = await run(undefined);
    expect(e).toBeInstanceOf(RecipeError);
    expect(e.message).toMatch(/^recipe: expected a recipe \(resolveRecipe's or builtinRecipe's, or its JSON\), got undefined$/);
    e = await run({ name: 'x', network: small, training: 'fast' });
    expect(e).toBeInstanceOf(RecipeError);
    expect(e.message).toBe('training: expected an object, got "fast"');
    e = await run({ name: 'x', network: small, training: { epochs: 1, rate: -1 } });
    expect(e.message).toMatch(/^training\.rate: expected a positive number/);
    e = await run({ name: 'x', network: { ...small, loss: 'hinge' }, training: {} });
    expect(e.message).toMatch(/^network\.loss: expected one of mse, cross-entropy, got "hinge"$/);
    // a resolved recipe edited by hand is checked field by field
    const good = resolveRecipe({ name: 'x', network: small, training: { epochs: 1, batch: 10, rate: 0.05 } });
    e = await run({ ...good, training: { ...good.training, batch: undefined } });
    expect(e).toBeInstanceOf(RecipeError);
    expect(e.message).toBe('training.batch: expected a positive integer (0: full batch), got undefined');
    e = await run({ ...good, training: { ...good.training, schedule: [{ epochs: Infinity, rate: NaN }] } });
    expect(e.message).toBe('training.schedule[0].rate: expected a positive number, got NaN');
    // a recipe's JSON trains as its resolved form does
    const state = await train({ net, recipe: { name: 'x', network: small, training: { epochs: 1, batch: 10, rate: 0.05 } } as never, train: data, seed: 1, evalTrain: 0 });
    expect(state.epoch).toBe(1);
    // the recipe's batch against the network's planned batch
    e = await rejected(() => train({ net: fast, recipe: { ...good, training: { ...good.training, batch: 64 } }, train: data, seed: 1, evalTrain: 0 }));
    expect(e).toBeInstanceOf(RecipeError);
    expect(e.message).toBe("training.batch: expected at most 50 (the batch the network was laid out for: createNetwork's batch option), got 64");
    await net.dispose();
  });

  it('train() checks its other options before it runs', async () => {
    const net = await createNetwork(small, { backend: 'reference', batch: 10 });
    const recipe = resolveRecipe({ name: 'x', network: small, training: { epochs: 1, batch: 10, rate: 0.05 } });
    const bad: Dataset = { ...data, labels: Uint8Array.from(data.labels) };
    bad.labels[3] = 12;
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['no options', undefined as never, /^options: expected an object \{net, recipe, train, seed, …\}, got undefined$/],
      ['a Network, not createNetwork\'s', { net: new Network(small) }, /^options\.net: expected a network made by createNetwork/],
      ['no data', { train: undefined }, /^options\.train: expected a Dataset/],
      ['a label out of range', { train: bad }, /^options\.train\.labels\[3\]: expected a class index in \[0, 9\] \(the network tells 10 classes apart\), got 12$/],
      ['images larger than the input', { train: { ...data, rows: 32, cols: 32, count: 100 } }, /^options\.train\.rows: expected images that fit the network's 1×28×28 input/],
      ['a bad seed', { seed: -1 }, /^options\.seed: expected an integer in \[0, 4294967295\], got -1$/],
      ['a bad evalBatch', { evalBatch: 0 }, /^options\.evalBatch: expected a positive integer, got 0$/],
      ['a bad state', { state: { seed: 1, epoch: 0, rng: [0, 0], history: [] } }, /^options\.state\.rng: expected four uint32 words, got \[0,0\]$/],
    ];
    for (const [what, change, message] of cases) {
      const o = what === 'no options' ? undefined : { net, recipe, train: data, seed: 1, evalTrain: 0, ...change };
      expectArgumentError(await rejected(() => train(o as never)), message);
    }
    await net.dispose();
  });

  it('resolveRecipe knows the built-in networks by name, and lists them when the name is wrong', () => {
    const r = resolveRecipe({ network: 'dlt' });
    expect(r.network.name).toBe('dlt');
    const e = thrown(() => resolveRecipe({ network: 'alexnet' }));
    expect(e).toBeInstanceOf(RecipeError);
    expect(e.message).toBe('network: unknown network "alexnet"; expected a description or one of bouvrie, dlt, lenet5, learned, lenet5-distort, simard, simard-wide, simard-2003, lenet-bn, speedrun-99, speedrun-995');
    expect(thrown(() => resolveRecipe({ network: 'dlt' }, {})).message).toBe('network: unknown network "dlt"; expected a description (no named networks were given)');
  });

  it('a resolved description is taken wherever a description is (resolveRecipe, resolveDescription)', () => {
    const d = new Network(small).description;
    expect(resolveRecipe({ network: d }).network).toBe(d);
  });

  it('predict and probabilities: what `convnotes predict` prints and the ONNX graph outputs', async () => {
    const net = new Network(small);
    const x = new Float64Array(5 * net.inputSize);
    fillBatch(test, range(5), 0, 5, 28, 28, UNIT, x, new Uint8Array(5));
    const logits = Float64Array.from(net.forward(x, 5));
    const p = predict(net, x, 5);
    expect(p.classCount).toBe(10);
    expect(Array.from(p.scores)).toEqual(Array.from(logits));
    for (let n = 0; n < 5; n++) {
      const row = logits.subarray(n * 10, n * 10 + 10);
      const max = Math.max(...row);
      const s = row.reduce((a, v) => a + Math.exp(v - max), 0);
      for (let k = 0; k < 10; k++) expect(p.probabilities![n * 10 + k]).toBeCloseTo(Math.exp(row[k] - max) / s, 15);
      expect(p.probabilities!.subarray(n * 10, n * 10 + 10).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
      expect(p.classes[n]).toBe(row.indexOf(max));
    }
    expect(Array.from(probabilities(net, x, 5))).toEqual(Array.from(p.probabilities!));
    // the wasm engine: float32 input, the same answers to float32 precision
    fast.setParams(net.params);
    const pf = predict(fast, Float32Array.from(x), 5);
    expect(Array.from(pf.classes)).toEqual(Array.from(p.classes));
    for (let k = 0; k < 50; k++) expect(pf.probabilities![k]).toBeCloseTo(p.probabilities![k], 4);
    // what the ONNX graph outputs (ONNX Runtime, float32), the same probabilities
    const session = await ort.InferenceSession.create(exportOnnx(net.description, net.params));
    const onnx = (await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', Float32Array.from(x), [5, 1, 28, 28]) }))[ONNX_OUTPUT].data as Float32Array;
    for (let k = 0; k < 50; k++) expect(Math.abs(onnx[k] - p.probabilities![k])).toBeLessThan(1e-5);
    // squared error: scores, no probabilities
    const mse = new Network(smallMse);
    expect(predict(mse, x, 5).probabilities).toBeNull();
    expectArgumentError(thrown(() => probabilities(mse, x, 5)), /^net\.description\.loss: expected "cross-entropy" .*, got "mse"$/);
    expectArgumentError(thrown(() => predict(net, Float32Array.from(x), 5)), /^input: expected a Float64Array of batch × 1×28×28 = 3920 values, got a Float32Array of 3920$/);
    expectArgumentError(thrown(() => predict(fast, Float32Array.from(x), 51)), /^batch: expected an integer in \[1, 50\] \(the batch this network was laid out for is 50\), got 51$/);
  });

  it('every public function names the argument it cannot take and what it expected', async () => {
    const net = new Network(small);
    const x = new Float64Array(2 * net.inputSize);
    const labels = new Uint8Array([1, 2]);
    const cases: [string, () => unknown, RegExp][] = [
      ['forward: short input', () => net.forward(new Float64Array(10), 2), /^input: expected a Float64Array of batch × 1×28×28 = 1568 values, got a Float64Array of 10$/],
      ['forward: no input', () => net.forward(undefined as never, 1), /^input: expected a Float64Array of batch × 1×28×28 = 784 values, got undefined$/],
      ['forward: float32 input', () => net.forward(new Float32Array(784) as never, 1), /^input: .*got a Float32Array of 784$/],
      ['forward: batch 0', () => net.forward(x, 0), /^batch: expected a positive integer, got 0$/],
      ['backward: a label out of range', () => (net.forward(x, 2), net.backward([1, 12])), /^labels\[1\]: expected a class index in \[0, 9\], got 12$/],
      ['backward: too few labels', () => (net.forward(x, 2), net.backward(new Uint8Array(1))), /^labels: expected 2 class labels \(one per pattern of the batch\), got a Uint8Array of 1$/],
      ['computeGradients: labels missing', () => net.computeGradients(x, undefined as never, 2), /^labels: expected 2 class labels/],
      ['trainStep: NaN rate', () => net.trainStep(x, labels, 2, NaN), /^rate: expected a finite number, got NaN$/],
      ['Network: bad seed option', () => new Network(small, { seed: -1 }), /^options\.seed: expected an integer in \[0, 4294967295\], got -1$/],
      ['Network: bad description', () => new Network({ ...small, input: [1, 28] }), /^input: expected \[maps, height, width\]/],
      ['Network: a BigInt in the description', () => new Network({ ...small, seed: 3n }), /^seed: expected an integer in \[0, 4294967295\], got 3$/],
      ['Network: a function in the description', () => new Network({ ...small, name: () => 'x' }), /^name: expected a string, got a function$/],
      ['Network: NaN in the description', () => new Network({ ...small, targets: [0, NaN], loss: 'mse' }), /^targets: expected \[off, on\] as two finite numbers, got \[0,NaN\]$/],
      ['activation: no such layer', () => net.activation(9), /^layer: expected an integer in \[0, 4\], got 9$/],
      ['fast forward: batch over the plan', () => fast.forward(new Float32Array(51 * 784), 51), /^batch: expected 1 … 50 \(the capacity this network was laid out for\), got 51$/],
      ['fast forward: no input', () => fast.forward(undefined as never, 1), /^input: expected an array of batch × 1×28×28 = 784 values, or null \(a staged batch\), got undefined$/],
      ['fast trainStep: infinite rate', () => fast.trainStep(new Float32Array(784), [1], 1, Infinity), /^rate: expected a finite number, got Infinity$/],
      ['fast computeGradients: too few labels', () => fast.computeGradients(new Float32Array(2 * 784), [1], 2), /^labels: expected 2 class labels/],
      ['fast update: momentum 1', () => fast.update(0.1, 1), /^momentum: expected a number in \[0, 1\), got 1$/],
      ['fast setParams: wrong length', () => fast.setParams(new Float32Array(3)), /^params: expected \d+ values, got 3$/],
      ['evaluate: an index out of range', () => evaluate(net, test, [0, 99999], UNIT), /^indices\[1\]: expected a pattern index in \[0, 299\], got 99999$/],
      ['evaluate: no normalisation', () => evaluate(net, test, range(10), undefined as never), /^norm: expected a Normalisation \{background, foreground, channels\?\} such as UNIT or LECUN, got undefined$/],
      ['evaluate: images shorter than the count', () => evaluate(net, { ...test, images: new Uint8Array(10) }, range(10), UNIT), /^data\.images: expected a Uint8Array of count × channels × rows × cols = 235200 levels, got a Uint8Array of 10$/],
      ['evaluate: not a network', () => evaluate({} as never, test, range(10), UNIT), /^net: expected a network/],
      ['fillBatch: short output', () => fillBatch(test, range(4), 0, 4, 28, 28, UNIT, new Float64Array(10), new Uint8Array(4)), /^out: expected a Float32Array or Float64Array of batch × channels × height × width = 3136 values, got a Float64Array of 10$/],
      ['fillBatch: past the order', () => fillBatch(test, range(4), 2, 4, 28, 28, UNIT, new Float64Array(4 * 784), new Uint8Array(4)), /^batch: expected at most 2 \(order holds 4 indices, from start 2\), got 4$/],
      ['gradientCheck: short input', () => gradientCheck(net, new Float64Array(10), labels, 2), /^input: expected a Float64Array of batch × 1×28×28 = 1568 values/],
      ['gradientCheck: bad method', () => gradientCheck(net, x, labels, 2, { method: 'forward' as never }), /^options\.method: expected one of extrapolated, central, got "forward"$/],
      ['applyUpdate: NaN rate', () => applyUpdate(new Float64Array(4), new Float64Array(4), new Float64Array(4), new Float64Array(4), NaN, 0, 0), /^rate: expected a finite number, got NaN$/],
      ['applyUpdate: rates of another length', () => applyUpdate(new Float64Array(4), new Float64Array(4), new Float64Array(5), new Float64Array(4), 0.1, 0, 0), /^rates: expected a Float64Array of 4 values \(as many as params\), got a Float64Array of 5$/],
      ['applyUpdate: gradients of another length', () => applyUpdate(new Float64Array(4), new Float64Array(3), new Float64Array(4), new Float64Array(4), 0.1, 0, 0), /^grads: expected a Float64Array of 4 values \(as many as params\), got a Float64Array of 3$/],
      ['lossAndGradient: short outputs', () => lossAndGradient('mse', [0, 1], new Float64Array(5), [1, 2], 2, 10, null), /^y: expected a Float64Array of batch × classes = 20 outputs, got a Float64Array of 5$/],
      ['lossAndGradient: unknown loss', () => lossAndGradient('hinge' as never, [0, 1], new Float64Array(20), [1, 2], 2, 10, null), /^loss: expected one of mse, cross-entropy, got "hinge"$/],
      ['builtinNetwork: unknown name', () => builtinNetwork('alexnet'), /^name: expected a built-in network: one of bouvrie, dlt, lenet5, learned, lenet5-distort, simard, simard-wide, simard-2003, lenet-bn, speedrun-99, speedrun-995, got "alexnet"$/],
      ['scheduledRate: empty schedule', () => scheduledRate([], 0), /^schedule: expected a non-empty list of \{epochs, rate\} stages, got \[\]$/],
      ['initialState: bad seed', () => initialState(1.5), /^seed: expected an integer in \[0, 4294967295\], got 1.5$/],
      ['range: negative', () => range(-1), /^n: expected an integer ≥ 0, got -1$/],
      ['paramViews: not resolved', () => paramViews(small as never), /^description: expected a resolved description \(resolveDescription's\)/],
      ['summary: no network', () => summary(undefined as never), /^net: expected a Network, got undefined$/],
      ['view: no such parameter view', () => net.view('C9.kernel'), /^name: expected the name of a parameter view: one of C1\.kernel, .*, got "C9\.kernel"$/],
      ['Augmenter: a bad field', () => new Augmenter(28, 28, { elastic: { sigma: 0, alpha: 34 }, affine: null }), /^spec\.elastic\.sigma: expected a Gaussian width in pixels, in \(0, 32\], got 0$/],
      ['Augmenter: an unknown field', () => new Augmenter(28, 28, { warp: 1 } as never), /^spec\.warp: unknown field; expected one of elastic, affine, flip, crop$/],
      ['fillDistortedBatch: another size of augmenter', () => fillDistortedBatch(test, range(2), 0, 2, 28, 28, UNIT, new Float64Array(2 * 784), new Uint8Array(2), new Augmenter(20, 20, { elastic: null, affine: { rotate: 5, scale: 0, shear: 0, translate: 0 } }), new Rng(1), new Float64Array(784)), /^augmenter: expected an Augmenter of the data's 28×28 images, got "20×20"$/],
      ['parseIdx: not bytes', () => parseIdx('t10k-images' as never, 'x.idx'), /^bytes: expected a Uint8Array \(the file's contents\), got "t10k-images"$/],
    ];
    for (const [what, f, message] of cases) {
      const e = thrown(f);
      expect(e.message, what).toMatch(message);
      expect(e.message, what).not.toContain('\n');
      // an ArgumentError, or the description's own error for a bad description
      expect(e instanceof ArgumentError || e instanceof DescriptionError, `${what}: ${e.name}`).toBe(true);
    }
    // a recipe given where its JSON is made: the same checks as train()'s
    expect(thrown(() => recipeToJson({ name: 'x', network: small, training: { rate: 0 } } as never)).message).toMatch(/^training\.rate: expected a positive number/);
    const asyncCases: [string, () => Promise<unknown>, RegExp][] = [
      ['createNetwork: no options', () => createNetwork(small, undefined as never), /^options: expected an object \{batch, backend\?, threads\?, seed\?\}, got undefined$/],
      ['createNetwork: batch 0', () => createNetwork(small, { batch: 0 }), /^options\.batch: expected a positive integer, got 0$/],
      ['createNetwork: unknown backend', () => createNetwork(small, { batch: 5, backend: 'gpu' as never }), /^options\.backend: expected one of wasm, reference, got "gpu"$/],
      ['createNetwork: threads 0', () => createNetwork(small, { batch: 5, threads: 0 }), /^options\.threads: expected a positive integer, got 0$/],
    ];
    for (const [what, f, message] of asyncCases) {
      const e = await rejected(f);
      expect(e.message, what).toMatch(message);
      expectArgumentError(e, message);
    }
  });
});
