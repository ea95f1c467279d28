// §4.2 The diagonal Gauss-Newton curvature h_kk (LeCun's stochastic diagonal Levenberg-Marquardt),
// Network.computeCurvature, against an independent computation of the exact Gauss-Newton diagonal
//
//     G_kk = mean over patterns of Σ_o H_oo (∂y_o/∂θ_k)²,   H_oo = ∂²E^n/∂y_o² (mse 1, cross-entropy p(1−p))
//
// from per-output Jacobians: for each pattern and each output o, a one-hot sensitivity on y_o is
// backpropagated through the layers' own `backward` (the gradients gradcheck.test.ts proves), which
// leaves ∂y_o/∂θ in `grads` and ∂y_o/∂x in the input buffer. Nothing of the curvature code is used
// by that helper, so a wrong factor in it (a weight or input not squared, f' not squared, …) makes
// the comparison fail: the last describe block shows it does, for each such sabotage.
//
// The backpropagated diagonal equals G_kk exactly when every parameter (or input) reaches every output
// along at most one path: a single fully connected layer; layers whose maps are 1×1 (no sharing across
// positions) chained one map to one map and ending in fully connected outputs; and a convolution,
// subsampling or combination layer that is itself the last layer, so that every unit it shares a
// weight over is an output of its own.
import { describe, expect, it } from 'vitest';
import type { ActivationName, LossName, NetworkDescription } from '../../src/network/description.js';
import type { Kernels, Vec } from '../../src/kernels/kernels.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { Network } from '../../src/network/network.js';
import { builtinNetwork } from '../../src/recipes/builtin.js';
import { randomInputs, randomLabels } from '../helpers/random-networks.js';

const ACTS: ActivationName[] = ['sigmoid', 'tanh', 'lecun', 'identity', 'relu'];
const LOSSES: LossName[] = ['mse', 'cross-entropy'];

// ─── the independent exact Gauss-Newton diagonal ────────────────────────────────────────────────────

/** ∂²E^n/∂y_o² for one pattern's outputs, written out from the losses' definitions. */
function outputHessianDiagonal(loss: LossName, y: Float64Array): Float64Array {
  const h = new Float64Array(y.length);
  if (loss === 'mse') return h.fill(1); // E = ½ Σ (y − t)²
  // E = log Σ exp(y) − y_label; ∂²E/∂y_o² = p_o − p_o² with p = softmax(y)
  let m = -Infinity;
  for (const v of y) m = Math.max(m, v);
  const e = Array.from(y, (v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  for (let o = 0; o < y.length; o++) {
    const others = e.reduce((a, b, l) => (l === o ? a : a + b), 0);
    h[o] = (e[o] / z) * (others / z);
  }
  return h;
}

/**
 * Exact Gauss-Newton diagonal, mean over the batch, for the parameters and (per pattern, divided by
 * the batch size like the network's inputCurvature) the inputs. Clobbers net.grads.
 */
function exactGaussNewton(net: Network, x: Float64Array, batch: number): { params: Float64Array; input: Float64Array } {
  const L = net.layers.length;
  const params = new Float64Array(net.params.length);
  const input = new Float64Array(batch * net.inputSize);
  const inSizes = net.layers.map((l) => l.inShape[0] * l.inShape[1] * l.inShape[2]);
  for (let b = 0; b < batch; b++) {
    const xb = x.slice(b * net.inputSize, (b + 1) * net.inputSize);
    const y = net.forward(xb, 1).slice();
    const H = outputHessianDiagonal(net.description.loss, y);
    for (let o = 0; o < y.length; o++) {
      net.grads.fill(0);
      let d = new Float64Array(y.length);
      d[o] = 1;
      for (let l = L - 1; l >= 0; l--) {
        const dx = new Float64Array(inSizes[l]);
        const xl = l === 0 ? xb : net.activation(l - 1);
        net.layers[l].backward(referenceKernels, 1, xl, net.activation(l), d, dx);
        d = dx;
      }
      for (let k = 0; k < params.length; k++) params[k] += (H[o] * net.grads[k] * net.grads[k]) / batch;
      for (let a = 0; a < net.inputSize; a++) input[b * net.inputSize + a] += (H[o] * d[a] * d[a]) / batch;
    }
  }
  return { params, input };
}

/** max over k of |a_k − b_k| / max(|a_k|, |b_k|) (0 where both are 0), and where. */
function maxRelative(a: Float64Array, b: Float64Array): { error: number; index: number } {
  let error = 0;
  let index = -1;
  for (let k = 0; k < a.length; k++) {
    const s = Math.max(Math.abs(a[k]), Math.abs(b[k]));
    const e = s === 0 ? 0 : Math.abs(a[k] - b[k]) / s;
    if (!(e <= error)) {
      error = e;
      index = k;
    }
  }
  return { error, index };
}

// ─── the networks where the diagonal is exact ───────────────────────────────────────────────────────

interface Case {
  d: NetworkDescription;
  /** Every input also reaches every output along one path, so h_x is exact too. */
  inputExact: boolean;
}

function net(name: string, input: [number, number, number], layers: NetworkDescription['layers'], loss: LossName, seed: number): NetworkDescription {
  return { name, input, seed, layers, loss };
}

const identity2: (0 | 1)[][] = [[1, 0], [0, 1]];

function exactCases(): Case[] {
  const cases: Case[] = [];
  let s = 1;
  // (a) one fully connected layer with several outputs
  for (const loss of LOSSES) {
    for (const act of ACTS) {
      cases.push({ d: net(`full ${act} ${loss}`, [3, 2, 2], [{ type: 'full', units: 5, activation: act }], loss, s++), inputExact: true });
    }
  }
  // (b) 1×1 maps, one map to one map, then fully connected outputs
  ACTS.forEach((act, n) => {
    const act2 = ACTS[(n + 2) % ACTS.length];
    const loss = LOSSES[n % 2];
    const down = n % 2 === 0 ? 'sum' : 'decimate';
    cases.push({
      d: net(`conv 1×1 (${act}) → full ${loss}`, [2, 5, 5], [
        { type: 'conv', maps: 4, kernel: 5, activation: act, connections: n % 2 === 0 ? 'all' : [[1, 0, 1, 1], [0, 1, 1, 0]] },
        { type: 'full', units: 3, activation: act2 },
      ], loss, s++),
      inputExact: false,
    });
    cases.push({
      d: net(`subsample 4 ${down} (${act}) → conv 1×1 one-to-one → full ${loss}`, [2, 4, 4], [
        { type: 'subsample', factor: 4, down, beta: 'trainable', bias: true, activation: act },
        { type: 'conv', maps: 2, kernel: 1, activation: act2, connections: identity2 },
        { type: 'full', units: 3, activation: ACTS[(n + 1) % ACTS.length] },
      ], loss, s++),
      inputExact: true,
    });
    cases.push({
      d: net(`combination pair 1×1 (${act}) → subsample 1 ${down} → full 1 → full ${loss}`, [3, 4, 4], [
        { type: 'combination', maps: 2, kernel: 4, activation: act, kernels: 'pair', cInit: 1.5 },
        { type: 'subsample', factor: 1, down, beta: 'trainable', bias: true, activation: act2 },
        { type: 'full', units: 1, activation: ACTS[(n + 3) % ACTS.length] },
        { type: 'full', units: 4, activation: ACTS[(n + 4) % ACTS.length] },
      ], loss, s++),
      inputExact: false,
    });
    cases.push({
      d: net(`combination shared, one map 1×1 (${act}) → full ${loss}`, [3, 3, 3], [
        { type: 'combination', maps: 1, kernel: 3, activation: act, kernels: 'shared', cInit: 1.5 },
        { type: 'full', units: 3, activation: act2 },
      ], loss, s++),
      inputExact: true,
    });
    cases.push({
      d: net(`conv 1×1 (${act}) → full 1 → full ${loss}`, [2, 3, 3], [
        { type: 'conv', maps: 3, kernel: 3, activation: act },
        { type: 'full', units: 1, activation: act2 },
        { type: 'full', units: 4, activation: ACTS[(n + 1) % ACTS.length] },
      ], loss, s++),
      inputExact: false,
    });
  });
  // (c) a conv, subsampling or combination layer as the last layer, with larger maps: weight sharing
  // sums over output units, each of which is an output itself
  for (const loss of LOSSES) {
    ACTS.forEach((act, n) => {
      cases.push({
        d: net(`conv last (${act}) ${loss}`, [2, 6, 5], [
          { type: 'conv', maps: 3, kernel: 3, activation: act, connections: n % 2 === 0 ? 'all' : [[1, 0, 1], [0, 1, 1]] },
        ], loss, s++),
        inputExact: true,
      });
      for (const down of ['sum', 'decimate'] as const) {
        cases.push({
          d: net(`subsample last ${down} (${act}) ${loss}`, [2, 6, 4], [
            { type: 'subsample', factor: 2, down, beta: 'trainable', bias: true, activation: act },
          ], loss, s++),
          inputExact: true,
        });
      }
      for (const kernels of ['shared', 'pair'] as const) {
        cases.push({
          d: net(`combination ${kernels} last (${act}) ${loss}`, [3, 5, 6], [
            { type: 'combination', maps: 2, kernel: 2, activation: act, kernels, cInit: 1.5 },
          ], loss, s++),
          inputExact: true,
        });
      }
    });
  }
  return cases;
}

const CASES = exactCases();
const BATCH = 3;

/** The case's network with parameters moved off their initial values (biases 0, β = 1/n², …). */
function build(c: Case, kernels: Kernels = referenceKernels): { net: Network; x: Float64Array; labels: number[] } {
  const net = new Network(c.d, { kernels });
  const noise = randomInputs(99 + (c.d.seed ?? 0), net.params.length);
  for (let i = 0; i < net.params.length; i++) net.params[i] += 0.3 * noise[i];
  const x = randomInputs(5 + (c.d.seed ?? 0), BATCH * net.inputSize);
  const labels = randomLabels(6, BATCH, net.classes);
  return { net, x, labels };
}

/** Worst relative disagreement of computeCurvature with the exact diagonal (params, and inputs where exact). */
function disagreement(c: Case, kernels: Kernels = referenceKernels): { params: number; input: number; report: string } {
  const { net, x, labels } = build(c, kernels);
  const h = net.computeCurvature(x, labels, BATCH, { inputCurvature: true });
  const hx = net.inputCurvature().slice();
  const g = exactGaussNewton(net, x, BATCH);
  const p = maxRelative(h, g.params);
  const i = c.inputExact ? maxRelative(hx, g.input) : { error: 0, index: -1 };
  const where = p.index >= 0 ? net.views.find((v) => p.index >= v.offset && p.index < v.offset + v.length)?.name : '-';
  return {
    params: p.error,
    input: i.error,
    report: `${c.d.name}: params ${p.error.toExponential(2)} at ${where}[${p.index}] (${h[p.index]} vs ${g.params[p.index]}), input ${i.error.toExponential(2)}`,
  };
}

describe('§4.2 curvature: exact where each parameter reaches each output along one path', () => {
  it('the cases cover every activation, both losses, every layer kind, both down() kinds and both kernel forms', () => {
    const seen = new Set<string>();
    for (const c of CASES) {
      seen.add(`loss:${c.d.loss}`);
      for (const l of c.d.layers) {
        seen.add(`layer:${l.type}`);
        if ('activation' in l && l.activation) seen.add(`act:${l.activation}`);
        if (l.type === 'subsample') seen.add(`down:${l.down}`);
        if (l.type === 'combination') seen.add(`kernels:${l.kernels}`);
      }
    }
    for (const e of [
      'loss:mse', 'loss:cross-entropy', 'layer:conv', 'layer:combination', 'layer:subsample', 'layer:full',
      ...ACTS.map((a) => `act:${a}`), 'down:sum', 'down:decimate', 'kernels:shared', 'kernels:pair',
    ]) expect(seen, e).toContain(e);
  });

  for (const c of CASES) {
    it(`${c.d.name}: h = Σ_o H_oo (∂y_o/∂θ)² within 1e-9${c.inputExact ? ', inputs too' : ''}`, () => {
      const r = disagreement(c);
      expect(r.params, r.report).toBeLessThanOrEqual(1e-9);
      expect(r.input, r.report).toBeLessThanOrEqual(1e-9);
    });
  }

  it('the exact diagonal is not trivially zero (most parameters have positive curvature)', () => {
    for (const c of CASES.filter((c) => !c.d.layers.some((l) => 'activation' in l && l.activation === 'relu'))) {
      const { net, x } = build(c);
      const g = exactGaussNewton(net, x, BATCH).params;
      const positive = g.filter((v) => v > 0).length;
      expect(positive, c.d.name).toBe(g.length);
    }
  });

  it('a batch of one gives that pattern\'s h; a batch gives the mean of its patterns\' h', () => {
    const c = CASES.find((c) => c.d.name!.startsWith('combination pair 1×1'))!;
    const { net, x, labels } = build(c);
    const mean = net.computeCurvature(x, labels, BATCH);
    const sum = new Float64Array(mean.length);
    for (let b = 0; b < BATCH; b++) {
      const one = net.computeCurvature(x.slice(b * net.inputSize, (b + 1) * net.inputSize), [labels[b]], 1);
      for (let k = 0; k < sum.length; k++) sum[k] += one[k] / BATCH;
    }
    expect(maxRelative(mean, sum).error).toBeLessThanOrEqual(1e-12);
  });
});

// ─── the built-in networks ──────────────────────────────────────────────────────────────────────────

/** f'(u) written through y = f(u), for the activations of the built-in networks. */
function derivative(act: ActivationName, y: number): number {
  switch (act) {
    case 'sigmoid': return y * (1 - y);
    case 'lecun': return (2 / 3) * (1.7159 - (y * y) / 1.7159);
    case 'tanh': return 1 - y * y;
    case 'identity': return 1;
    case 'relu': return y > 0 ? 1 : 0;
  }
}

describe('§4.2 curvature on the built-in networks', () => {
  for (const name of ['bouvrie', 'dlt', 'lenet5', 'learned']) {
    it(`${name}: h finite, ≥ 0, > 0 wherever a pattern's gradient is non-zero; full layers' h = Σ x² h_u`, () => {
      const n = new Network(builtinNetwork(name));
      const batch = 3;
      const x = randomInputs(21, batch * n.inputSize);
      const labels = [3, 7, 1];
      const h = n.computeCurvature(x, labels, batch);
      expect(h.length).toBe(n.params.length);
      for (let k = 0; k < h.length; k++) {
        if (!(Number.isFinite(h[k]) && h[k] >= 0)) expect.fail(`h[${k}] = ${h[k]}`);
      }

      // Brute force for the fully connected layers at the top, from the exported activations.
      n.forward(x, batch);
      const L = n.layers.length;
      const d = n.description;
      expect(d.loss).toBe('mse');
      let above: { hu: Float64Array; weights: Float64Array; units: number } | null = null;
      for (let l = L - 1; l >= 0 && n.layers[l].type === 'full'; l--) {
        const spec = d.layers[l];
        if (spec.type !== 'full') throw new Error('unreachable');
        const y = n.activation(l);
        const xin = n.activation(l - 1);
        const O = spec.units;
        const I = xin.length / batch;
        // h_y: 1/B at the outputs (mse, mean over the batch); Σ_o W_o·² h_u(o) below
        const hu = new Float64Array(batch * O);
        for (let b = 0; b < batch; b++) {
          for (let o = 0; o < O; o++) {
            let hy = 0;
            if (!above) hy = 1 / batch;
            else for (let q = 0; q < above.units; q++) hy += above.weights[q * O + o] ** 2 * above.hu[b * above.units + q];
            hu[b * O + o] = derivative(spec.activation, y[b * O + o]) ** 2 * hy;
          }
        }
        const want = new Float64Array(O * I);
        const wantBias = new Float64Array(O);
        for (let b = 0; b < batch; b++) {
          for (let o = 0; o < O; o++) {
            wantBias[o] += hu[b * O + o];
            for (let i = 0; i < I; i++) want[o * I + i] += xin[b * I + i] ** 2 * hu[b * O + o];
          }
        }
        const vw = n.views.find((v) => v.name === `${spec.name}.weights`)!;
        const vb = n.views.find((v) => v.name === `${spec.name}.bias`)!;
        expect(maxRelative(h.subarray(vw.offset, vw.offset + vw.length), want).error, `${spec.name}.weights`).toBeLessThanOrEqual(1e-12);
        expect(maxRelative(h.subarray(vb.offset, vb.offset + vb.length), wantBias).error, `${spec.name}.bias`).toBeLessThanOrEqual(1e-12);
        above = { hu, weights: n.view(`${spec.name}.weights`).slice(), units: O };
      }
      expect(above, 'at least one full layer checked').not.toBeNull();

      // Positive wherever some pattern of the batch has a non-zero gradient.
      const touched = new Uint8Array(h.length);
      for (let b = 0; b < batch; b++) {
        n.computeGradients(x.slice(b * n.inputSize, (b + 1) * n.inputSize), [labels[b]], 1);
        for (let k = 0; k < h.length; k++) if (n.grads[k] !== 0) touched[k] = 1;
      }
      const bad: string[] = [];
      let count = 0;
      for (let k = 0; k < h.length; k++) {
        if (!touched[k]) continue;
        count++;
        if (!(h[k] > 0)) bad.push(`${n.views.find((v) => k >= v.offset && k < v.offset + v.length)?.name}[${k}] = ${h[k]}`);
      }
      expect(bad.slice(0, 10), `${bad.length} parameters`).toEqual([]);
      expect(count).toBeGreaterThan(0.9 * h.length);
    });
  }
});

// ─── the comparison catches wrong formulas ──────────────────────────────────────────────────────────

/** Element-wise √ of a region (the curvature pass hands these primitives squares, so √ un-squares). */
function sqrtOf(v: Vec, o: number, n: number): Float64Array {
  const out = new Float64Array(o + n);
  for (let i = 0; i < n; i++) out[o + i] = Math.sqrt(v[o + i]);
  return out;
}

/**
 * Kernels that emulate a wrong curvature formula. They change only primitives that the forward pass
 * does not use in the way shown (the exact helper backpropagates with referenceKernels itself), so the
 * forward pass, and G_kk, are unchanged while h is computed wrongly.
 */
function sabotaged(name: string): Kernels {
  const r = referenceKernels;
  switch (name) {
    case "f' not squared": {
      let calls = 0;
      return { ...r, activationBackward: (act, x, xo, count, g, go) => { if (calls++ % 2 === 0) r.activationBackward(act, x, xo, count, g, go); } };
    }
    case 'conv kernels not squared in h_x':
      return { ...r, convFull: (d, dO, h, w, k, ko, K, y, yo) => r.convFull(d, dO, h, w, sqrtOf(k, ko, K * K), ko, K, y, yo) };
    case 'conv inputs not squared in h_k':
      return { ...r, kernelGradient: (x, xo, h, w, d, dO, K, g, go) => r.kernelGradient(sqrtOf(x, xo, h * w), xo, h, w, d, dO, K, g, go) };
    case 'full weights not squared in h_x':
      return { ...r, gemm: (tA, tB, M, N, K, al, A, ao, B, bo, be, C, co) => r.gemm(tA, tB, M, N, K, al, A, ao, !tA && !tB ? sqrtOf(B, bo, N * K) : B, bo, be, C, co) };
    case 'full inputs not squared in h_W':
      return { ...r, gemm: (tA, tB, M, N, K, al, A, ao, B, bo, be, C, co) => r.gemm(tA, tB, M, N, K, al, A, ao, tA && !tB ? sqrtOf(B, bo, K * N) : B, bo, be, C, co) };
    case 'β not squared in h_x':
      return {
        ...r,
        upSum: (d, dO, h, w, n, s, y, yo) => r.upSum(d, dO, h, w, n, Math.sqrt(s), y, yo),
        upDecimate: (d, dO, h, w, n, s, y, yo) => r.upDecimate(d, dO, h, w, n, Math.sqrt(s), y, yo),
      };
    case 'biases count the units\' h twice':
      return { ...r, sum: (x, xo, n) => 2 * r.sum(x, xo, n) };
    default:
      throw new Error(name);
  }
}

describe('§4.2 the exact comparison detects a wrong curvature formula', () => {
  const SABOTAGES = [
    "f' not squared", 'conv kernels not squared in h_x', 'conv inputs not squared in h_k',
    'full weights not squared in h_x', 'full inputs not squared in h_W', 'β not squared in h_x',
    'biases count the units\' h twice',
  ];
  for (const s of SABOTAGES) {
    it(`${s}: some exact case fails by far more than 1e-9`, () => {
      let worst = 0;
      for (const c of CASES) {
        const r = disagreement(c, sabotaged(s));
        worst = Math.max(worst, r.params, r.input);
      }
      expect(worst).toBeGreaterThan(1e-3);
    });
  }
});
