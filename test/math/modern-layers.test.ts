// The layers beyond the notes (issue 15): zero padding and strides on convolutions and combinations, max
// pooling, batch normalisation and dropout, on the seeded family randomModernNetwork (test/helpers/
// random-networks.ts), in float64:
// - backpropagation against finite differences (gradcheck.ts, training passes, dropout's mask held by a
//   fixed update number), every parameter and the input, ≤ 1e-6;
// - the reference Network against the independent slow implementation (test/math/independent/
//   slow-network.ts): every layer's output, Ẽ, every gradient, the input gradient and the running
//   averages a training pass leaves, to 1e-10; then the same in an inference pass (running averages,
//   no dropout);
// - the slow implementation against finite differences of its own objective, so that its padding,
//   strides and max pooling are checked without the reference.
import { describe, expect, it } from 'vitest';
import { resolveDescription, type ResolvedDescription } from '../../src/network/description.js';
import { extrapolatedDifference, gradientCheck, relativeError } from '../../src/network/gradcheck.js';
import { Network } from '../../src/network/network.js';
import { paramCount, paramViews } from '../../src/model/views.js';
import { modernFeatures, modernNeedsGeometry, randomInputs, randomLabels, randomModernNetwork } from '../helpers/random-networks.js';
import { paramGroups, slowRun, type SlowPass } from './independent/slow-network.js';
import { expectRelativeClose } from '../helpers/compare.js';

const COUNT = 16;
const NS = Array.from({ length: COUNT }, (_, n) => n);
/** The update number whose dropout masks every training pass here draws. */
const STEP = 7;
const TOL = 1e-10;
const batchOf = (n: number) => 3 + (n % 2);
const STATISTICS = ['runningMean', 'runningVar'];


/** Network n with every parameter moved off its initial value (γ = 1, β = 0, biases 0, running averages 0 and 1, …). */
function perturbedNetwork(n: number): Network {
  const net = new Network(randomModernNetwork(n));
  const noise = randomInputs(700 + n, net.params.length);
  for (let i = 0; i < net.params.length; i++) net.params[i] += 0.3 * noise[i];
  net.step = STEP;
  return net;
}

/** Parameters for the slow implementation alone (no Network, whose layers may lack a feature): uniform
 *  in ±0.5, γ and the running variances 1 ± 0.3. */
function slowParams(d: ResolvedDescription, seed: number): Float64Array {
  const views = paramViews(d);
  const noise = randomInputs(seed, paramCount(views));
  const params = Float64Array.from(noise, (v) => 0.5 * v);
  for (const v of views) if (v.kind === 'scale' || v.kind === 'runningVar') for (let k = v.offset; k < v.offset + v.length; k++) params[k] = 1 + 0.3 * noise[k];
  return params;
}

const inputSizeOf = (d: ResolvedDescription) => d.input[0] * d.input[1] * d.input[2];
const classesOf = (d: ResolvedDescription) => d.shapes[d.shapes.length - 1][0];

describe('the modern family', () => {
  it('covers every new feature among the notes\' layers', () => {
    const seen = new Set<string>();
    for (const n of NS) for (const t of modernFeatures(n)) seen.add(t);
    const expected = [
      'conv:pad', 'conv:pad-same', 'conv:stride', 'combination:pad', 'combination:pad-same', 'combination:stride',
      'table:all', 'table:pairs', 'table:triplets', 'table:explicit', 'kernels:shared', 'kernels:pair',
      'penalty:none', 'penalty:l1', 'penalty:entropy', 'penalty:power',
      'max', 'max:beta-trainable', 'max:beta-fixed', 'max:bias', 'max:no-bias', 'down:sum', 'down:decimate',
      'batchnorm:after-conv', 'batchnorm:after-combination', 'batchnorm:after-full',
      'batchnorm:act-sigmoid', 'batchnorm:act-tanh', 'batchnorm:act-lecun', 'batchnorm:act-identity', 'batchnorm:act-relu',
      'dropout:after-subsample', 'dropout:after-full', 'loss:mse', 'loss:cross-entropy',
    ];
    for (const e of expected) expect(seen, e).toContain(e);
    // some networks need only batch normalisation and dropout beside the notes' layers
    expect(NS.filter((n) => !modernNeedsGeometry(n)).length).toBeGreaterThanOrEqual(4);
  });

  it('networks are small, with non-square inputs and first maps', () => {
    for (const n of NS) {
      const d = resolveDescription(randomModernNetwork(n));
      expect(paramCount(paramViews(d)), d.name).toBeLessThanOrEqual(500);
      expect(d.input[1], d.name).not.toBe(d.input[2]);
      expect(d.shapes[0][1], `${d.name}: the first convolution's maps`).not.toBe(d.shapes[0][2]);
    }
  });
});

describe('gradient check on the modern family (training passes)', () => {
  for (const n of NS) {
    const d = randomModernNetwork(n);
    it(`${d.name}${modernNeedsGeometry(n) ? ' (padding, stride or max pooling)' : ''}: every parameter and input sensitivity within 1e-6`, () => {
      const net = perturbedNetwork(n);
      const batch = batchOf(n);
      const x = randomInputs(800 + n, batch * net.inputSize);
      const labels = randomLabels(900 + n, batch, net.classes);
      const r = gradientCheck(net, x, labels, batch);
      const report = r.groups.map((g) => `${g.layer}.${g.kind} ${g.maxRelativeError.toExponential(2)} (${g.worst.analytic.toExponential(3)} vs ${g.worst.numeric.toExponential(3)})`).join('\n');
      expect(r.maxRelativeError, report).toBeLessThanOrEqual(1e-6);
      const checked = r.groups.reduce((k, g) => k + g.count, 0);
      const atKink = r.groups.reduce((k, g) => k + g.atKink, 0);
      const statistics = net.views.filter((v) => STATISTICS.includes(v.kind)).reduce((k, v) => k + v.length, 0);
      expect(checked + atKink).toBe(net.params.length - statistics + batch * net.inputSize);
      expect(atKink).toBe(0);
    });
  }
});

describe('the reference Network against the independent slow implementation', () => {
  for (const n of NS) {
    const d = randomModernNetwork(n);
    it(`${d.name}${modernNeedsGeometry(n) ? ' (padding, stride or max pooling)' : ''}: a training pass, then an inference pass, to 1e-10`, () => {
      const desc = resolveDescription(d);
      const net = perturbedNetwork(n);
      const batch = batchOf(n);
      const before = Float64Array.from(net.params);
      const input = randomInputs(300 + n, batch * net.inputSize);
      const labels = randomLabels(400 + n, batch, net.classes);

      for (const training of [true, false]) {
        const pass: SlowPass = { training, step: STEP, seed: net.seed };
        const what = training ? 'training' : 'inference';
        // inference reads the running averages the training pass left
        const ref = slowRun(desc, Float64Array.from(net.params), input, labels, batch, pass);
        const out = net.forward(input, batch, { training });
        desc.layers.forEach((layer, l) => expectRelativeClose(`${what}: layer ${l} (${layer.name}) output`, net.activation(l), ref.outputs[l], TOL));
        expectRelativeClose(`${what}: network output`, out, ref.outputs[desc.layers.length - 1], TOL);
        net.zeroGrads();
        const loss = net.backward(labels, { inputGradient: true });
        expectRelativeClose(`${what}: loss`, [loss], [ref.loss], TOL);
        for (const g of paramGroups(desc)) {
          expectRelativeClose(`${what}: layer ${g.layer} (${desc.layers[g.layer].name}) ∂Ẽ/∂${g.name}`, net.grads.subarray(g.offset, g.offset + g.size), ref.grads.subarray(g.offset, g.offset + g.size), TOL);
        }
        expectRelativeClose(`${what}: all gradients`, net.grads, ref.grads, TOL);
        expectRelativeClose(`${what}: input gradient`, net.inputGradient(), ref.inputGrad, TOL);
        expectRelativeClose(`${what}: parameters and running averages after the pass`, net.params, ref.paramsAfter, TOL);
      }
      // the training pass moved every running average, and nothing else
      for (const g of paramGroups(desc)) {
        const moved = Array.from(net.params.subarray(g.offset, g.offset + g.size)).map((v, k) => v !== before[g.offset + k]);
        expect(moved.every((m) => m === STATISTICS.includes(g.name)), `${d.name}: ${desc.layers[g.layer].name}.${g.name}`).toBe(true);
      }
    });
  }

  it('dropout\'s masks: a training pass drops about the rate, another update draws other masks, inference none', () => {
    const n = NS.find((k) => randomModernNetwork(k).layers.some((l) => l.type === 'dropout' && l.rate >= 0.4))!;
    const desc = resolveDescription(randomModernNetwork(n));
    const l = desc.layers.findIndex((x) => x.type === 'dropout' && x.rate >= 0.4);
    const rate = (desc.layers[l] as { rate: number }).rate;
    const batch = 40;
    const input = randomInputs(1, batch * inputSizeOf(desc));
    const labels = randomLabels(2, batch, classesOf(desc));
    const params = slowParams(desc, 3);
    const run = (training: boolean, step: number) => slowRun(desc, params, input, labels, batch, { training, step, seed: desc.seed }).outputs;
    const a = run(true, STEP);
    const b = run(true, STEP + 1);
    const inference = run(false, STEP);
    const below = run(false, STEP)[l - 1]; // the dropout's input (the layer below is not dropout)
    let dropped = 0;
    let differ = 0;
    for (let k = 0; k < a[l].length; k++) {
      if (a[l][k] === 0 && below[k] !== 0) dropped++;
      if (a[l][k] !== b[l][k]) differ++;
      expect(inference[l][k]).toBe(inference[l - 1][k]);
    }
    const total = a[l].length;
    expect(Math.abs(dropped / total - rate), `${dropped} of ${total} dropped at rate ${rate}`).toBeLessThan(0.1);
    expect(differ / total).toBeGreaterThan(0.2);
  });
});

// (the networks with padding, strides or max pooling: the others' slow gradients are held equal to the
// reference's, which the gradient check above checks)
describe('the slow implementation against finite differences of its own objective', () => {
  for (const n of NS.filter(modernNeedsGeometry)) {
    const d = randomModernNetwork(n);
    it(`${d.name}: a parameter of every group and input values within 1e-6`, () => {
      const desc = resolveDescription(d);
      const batch = batchOf(n);
      const params = slowParams(desc, 550 + n);
      const input = randomInputs(600 + n, batch * inputSizeOf(desc));
      const labels = randomLabels(650 + n, batch, classesOf(desc));
      const pass: SlowPass = { training: true, step: STEP, seed: desc.seed };
      const ref = slowRun(desc, params, input, labels, batch, pass);
      // steps from 1e-4 (small, so that no ReLU unit or block maximum changes sides; this check does not
      // look for kinks as gradcheck.ts does) round to ~1e-12: gradients below 1e-5 are judged absolutely
      // (a bias just below batch normalisation has a gradient of exactly 0)
      const floor = 1e-5 * Math.max(1, Math.abs(ref.loss));
      const worst: string[] = [];
      let max = 0;
      const checkAt = (w: Float64Array, i: number, analytic: number, what: string) => {
        const numeric = extrapolatedDifference(w, i, 1e-4, () => slowRun(desc, params, input, labels, batch, pass).loss);
        const e = relativeError(analytic, numeric, floor);
        if (e > 1e-6) worst.push(`${what}[${i}]: ${analytic} vs ${numeric}`);
        max = Math.max(max, e);
      };
      for (const g of paramGroups(desc)) {
        if (STATISTICS.includes(g.name)) continue;
        const k = Math.floor(g.size / 2);
        checkAt(params, g.offset + k, ref.grads[g.offset + k], `${desc.layers[g.layer].name}.${g.name}`);
      }
      for (let k = 0; k < input.length; k += Math.max(1, Math.floor(input.length / 4))) checkAt(input, k, ref.inputGrad[k], 'input');
      expect(max, worst.join('\n')).toBeLessThanOrEqual(1e-6);
    }, 30_000);
  }
});
