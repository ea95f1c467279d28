// Beyond the notes: max pooling, the third down() of §3.2 (docs/SPEC.md), x_j = f(β_j down(x_j) + b_j)
// with down(x)[a][b] = max of the n×n block (a·n+r, b·n+c); its sensitivity routed to the block's argmax
// (ties: the first maximum in row-major order). The reference kernels against a naive formula; float64
// gradients against finite differences; the §4.2 curvature against the exact Gauss-Newton diagonal; the
// wasm engine against float64 and itself across threads; the routing seen in an input sensitivity.
import { afterAll, describe, expect, it } from 'vitest';
import { blockArgmax, downMax, referenceKernels, upMax } from '../../src/kernels/reference.js';
import { createNetwork } from '../../src/network/backend.js';
import type { ActivationName, LossName, NetworkDescription } from '../../src/network/description.js';
import { gradientCheck } from '../../src/network/gradcheck.js';
import { Network } from '../../src/network/network.js';
import { FastNetwork } from '../../src/wasm/engine.js';
import { Rng } from '../../src/util/rng.js';
import { randomInputs, randomLabels } from '../helpers/random-networks.js';
import { expectFastMatchesReference, expectNormwiseClose } from '../helpers/compare.js';

const ACTS: ActivationName[] = ['sigmoid', 'tanh', 'lecun', 'identity', 'relu'];

// ─── the kernels against the definition ─────────────────────────────────────────────────────────────

/** Block (a, b)'s values in row-major order, as the definition lists them. */
function block(x: ArrayLike<number>, xo: number, w: number, n: number, a: number, b: number): number[] {
  const v: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) v.push(x[xo + (a * n + r) * w + b * n + c]);
  return v;
}

/** Offset of block (a, b)'s first maximum (indexOf finds the first): the stated tie rule. */
function naiveArgmax(x: ArrayLike<number>, xo: number, w: number, n: number, a: number, b: number): number {
  const v = block(x, xo, w, n, a, b);
  const i = v.indexOf(Math.max(...v));
  return xo + (a * n + Math.floor(i / n)) * w + b * n + (i % n);
}

/** Values from {0, 1, 2}: most blocks hold ties. */
function tiedValues(seed: number, count: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: count }, () => rng.int(3));
}

const SHAPES: [number, number, number][] = [[4, 6, 2], [6, 4, 2], [6, 9, 3], [9, 3, 3], [2, 2, 2], [5, 7, 1]];

describe('max pooling kernels (reference)', () => {
  for (const [h, w, n] of SHAPES) {
    for (const tied of [false, true]) {
      it(`${h}×${w}, n=${n}${tied ? ', values with ties' : ''}: downMax and upMax as defined, ties to the first maximum`, () => {
        const oh = h / n;
        const ow = w / n;
        const xo = 3;
        const x = tied ? tiedValues(h * w + n, xo + h * w + 2) : randomInputs(h * w + n, xo + h * w + 2);
        // downMax: the block maxima, written at yo only
        const yo = 5;
        const y = new Float64Array(yo + oh * ow + 4).fill(-7);
        downMax(x, xo, h, w, n, y, yo);
        for (let a = 0; a < oh; a++) {
          for (let b = 0; b < ow; b++) expect(y[yo + a * ow + b]).toBe(Math.max(...block(x, xo, w, n, a, b)));
        }
        for (const i of [0, 1, 2, 3, 4, yo + oh * ow, y.length - 1]) expect(y[i]).toBe(-7);
        // upMax: s·d at the first maximum of each block, 0 elsewhere, overwriting; nothing outside
        const d = randomInputs(31 + n, oh * ow + 1);
        const s = -0.75;
        const uo = 2;
        const u = new Float64Array(uo + h * w + 3).fill(9);
        upMax(d, 1, oh, ow, n, s, x, xo, u, uo);
        const expected = new Float64Array(h * w);
        for (let a = 0; a < oh; a++) for (let b = 0; b < ow; b++) expected[naiveArgmax(x, xo, w, n, a, b) - xo] = s * d[1 + a * ow + b];
        expect(Array.from(u.subarray(uo, uo + h * w))).toEqual(Array.from(expected));
        for (const i of [0, 1, uo + h * w, u.length - 1]) expect(u[i]).toBe(9);
        // the tie rule holds in the blockArgmax the gradient check shares
        for (let a = 0; a < oh; a++) for (let b = 0; b < ow; b++) expect(blockArgmax(x, xo, w, n, a, b)).toBe(naiveArgmax(x, xo, w, n, a, b));
        // locally linear: ⟨downMax(x), d⟩ = ⟨x, upMax(d; x)⟩ with s = 1
        upMax(d, 1, oh, ow, n, 1, x, xo, u, uo);
        let lhs = 0;
        let rhs = 0;
        for (let i = 0; i < oh * ow; i++) lhs += y[yo + i] * d[1 + i];
        for (let i = 0; i < h * w; i++) rhs += x[xo + i] * u[uo + i];
        expect(rhs).toBeCloseTo(lhs, 12);
      });
    }
  }

  it('ties: a block of equal values routes to its top-left sample; a later equal maximum never wins', () => {
    const x = Float64Array.from([1, 5, 5, 2, /* row 1 */ 5, 5, 2, 2]); // blocks [1 5; 5 5] and [5 2; 2 2]
    const y = new Float64Array(2);
    downMax(x, 0, 2, 4, 2, y, 0);
    expect(Array.from(y)).toEqual([5, 5]);
    const u = new Float64Array(8);
    upMax(Float64Array.from([1, 2]), 0, 1, 2, 2, 1, x, 0, u, 0);
    expect(Array.from(u)).toEqual([0, 1, 2, 0, 0, 0, 0, 0]);
    expect(referenceKernels.downMax).toBe(downMax);
    expect(referenceKernels.upMax).toBe(upMax);
  });
});

// ─── networks with max pooling ──────────────────────────────────────────────────────────────────────

/**
 * Small networks with max pooling after convolutions and after learned combinations (and as the first
 * layer), n = 2 and 3, β trainable and fixed, b on and off, every activation in a max-pooling layer.
 */
const NETWORKS: NetworkDescription[] = [
  {
    name: 'conv → max 2 → combination → max 2 (fixed β, no b) → full', input: [1, 14, 10], seed: 1, loss: 'mse',
    layers: [
      { type: 'conv', maps: 3, kernel: 3, activation: 'sigmoid' },
      { type: 'subsample', factor: 2, down: 'max', beta: 'trainable', bias: true, activation: 'tanh' },
      { type: 'combination', maps: 3, kernel: 3, activation: 'relu', kernels: 'shared' },
      { type: 'subsample', factor: 2, down: 'max', beta: 'fixed', betaInit: 0.8, bias: false, activation: 'identity' },
      { type: 'full', units: 4, activation: 'lecun' },
    ],
  },
  {
    name: 'conv (relu) → max 3 (fixed β, b) → conv → full', input: [2, 11, 8], seed: 2, loss: 'cross-entropy',
    layers: [
      { type: 'conv', maps: 4, kernel: 3, activation: 'relu', connections: 'pairs' },
      { type: 'subsample', factor: 3, down: 'max', beta: 'fixed', bias: true, activation: 'sigmoid' },
      { type: 'conv', maps: 3, kernel: 2, activation: 'tanh' },
      { type: 'full', units: 3, activation: 'identity' },
    ],
  },
  {
    name: 'combination → max 3 (no b) → conv → full', input: [2, 11, 14], seed: 3, loss: 'mse',
    layers: [
      { type: 'combination', maps: 3, kernel: 3, activation: 'lecun', kernels: 'pair' },
      { type: 'subsample', factor: 3, down: 'max', beta: 'trainable', bias: false, activation: 'relu' },
      { type: 'conv', maps: 2, kernel: 2, activation: 'identity' },
      { type: 'full', units: 3, activation: 'sigmoid' },
    ],
  },
  {
    name: 'conv (identity) → max 2 → conv → full', input: [1, 10, 12], seed: 4, loss: 'mse',
    layers: [
      { type: 'conv', maps: 2, kernel: 3, activation: 'identity' },
      { type: 'subsample', factor: 2, down: 'max', beta: 'trainable', bias: true, activation: 'lecun' },
      { type: 'conv', maps: 3, kernel: 2, activation: 'sigmoid' },
      { type: 'full', units: 4, activation: 'tanh' },
    ],
  },
  {
    name: 'combination → max 2 (fixed β) → conv (relu) → max 2 (no b) → full', input: [2, 9, 13], seed: 5, loss: 'cross-entropy',
    layers: [
      { type: 'combination', maps: 4, kernel: 2, activation: 'tanh', kernels: 'shared' },
      { type: 'subsample', factor: 2, down: 'max', beta: 'fixed', betaInit: 1.3, bias: true, activation: 'tanh' },
      { type: 'conv', maps: 3, kernel: 3, activation: 'relu' },
      { type: 'subsample', factor: 2, down: 'max', beta: 'trainable', bias: false, activation: 'sigmoid' },
      { type: 'full', units: 3, activation: 'identity' },
    ],
  },
  {
    name: 'max 3 first → full', input: [2, 6, 9], seed: 6, loss: 'cross-entropy',
    layers: [
      { type: 'subsample', factor: 3, down: 'max', beta: 'trainable', bias: true, activation: 'sigmoid' },
      { type: 'full', units: 3, activation: 'identity' },
    ],
  },
];

/** A network of the list, parameters moved off their initial values (biases 0, β = 1, …). */
function reference(d: NetworkDescription, seed: number, scale: number): Network {
  const net = new Network(d);
  const noise = randomInputs(seed, net.params.length);
  for (let i = 0; i < net.params.length; i++) net.params[i] += scale * noise[i];
  return net;
}

describe('max pooling: float64 gradients against finite differences', () => {
  it('the networks cover n = 2 and 3, β trainable and fixed, b on and off, every activation, after conv and combination', () => {
    const seen = new Set<string>();
    for (const d of NETWORKS) {
      d.layers.forEach((l, i) => {
        if (l.type !== 'subsample') return;
        seen.add(`n:${l.factor}`).add(`beta:${l.beta}`).add(`bias:${l.bias}`).add(`act:${l.activation}`);
        seen.add(`after:${i === 0 ? 'input' : d.layers[i - 1].type}`);
      });
    }
    for (const e of ['n:2', 'n:3', 'beta:trainable', 'beta:fixed', 'bias:true', 'bias:false', ...ACTS.map((a) => `act:${a}`), 'after:conv', 'after:combination', 'after:input']) {
      expect(seen, e).toContain(e);
    }
  });

  for (const d of NETWORKS) {
    it(`${d.name}: every parameter and input sensitivity within 1e-6`, () => {
      const net = reference(d, 99, 0.3);
      const batch = 2;
      const x = randomInputs(5, batch * net.inputSize);
      const labels = randomLabels(6, batch, net.classes);
      const r = gradientCheck(net, x, labels, batch);
      const report = r.groups.map((g) => `${g.layer}.${g.kind} ${g.maxRelativeError.toExponential(2)} (${g.worst.analytic.toExponential(3)} vs ${g.worst.numeric.toExponential(3)}), ${g.atKink} at kinks`).join('\n');
      expect(r.maxRelativeError, report).toBeLessThanOrEqual(1e-6);
      const checked = r.groups.reduce((n, g) => n + g.count, 0);
      const atKink = r.groups.reduce((n, g) => n + g.atKink, 0);
      expect(checked + atKink).toBe(net.params.length + batch * net.inputSize);
      expect(atKink, report).toBe(0);
    });
  }

  it('the gradient check voids evaluations that move an argmax: two block values 1e-3 apart still check within 1e-6', () => {
    // Two values 1e-3 apart in one block: the first step (1e-2) of an extrapolated difference on the
    // smaller one crosses the kink. Only a void-and-shrink gets the one-sided slope the backward gives.
    const d: NetworkDescription = {
      name: 'max 2 first', input: [1, 2, 2], seed: 1, loss: 'mse',
      layers: [{ type: 'subsample', factor: 2, down: 'max', beta: 'trainable', bias: true, activation: 'identity' }, { type: 'full', units: 2, activation: 'identity' }],
    };
    const net = reference(d, 3, 0.3);
    const x = Float64Array.from([0.5, 0.501, 0.1, 0.2]);
    const r = gradientCheck(net, x, [1], 1);
    const input = r.groups.find((g) => g.kind === 'input');
    expect(r.maxRelativeError).toBeLessThanOrEqual(1e-6);
    expect(input?.count).toBe(4);
    // the backward's routing: x[0], the smaller of the pair, gets nothing; the finite difference agrees
    net.forward(x, 1);
    net.zeroGrads();
    net.backward([1], { inputGradient: true });
    const g = net.inputGradient();
    expect(g[0]).toBe(0);
    expect(g[1]).not.toBe(0);
  });
});

// ─── §4.2 curvature ─────────────────────────────────────────────────────────────────────────────────

/** ∂²E^n/∂y_o²: squared error 1; cross-entropy p_o(1 − p_o). */
function outputHessianDiagonal(loss: LossName, y: Float64Array): Float64Array {
  if (loss === 'mse') return new Float64Array(y.length).fill(1);
  const m = Math.max(...y);
  const e = Array.from(y, (v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return Float64Array.from(e, (v) => (v / z) * (1 - v / z));
}

/**
 * The exact Gauss-Newton diagonal (mean over the batch) of a one-layer network, for parameters and
 * inputs, from per-output Jacobians that the layer's own backward (gradient-checked above) computes.
 */
function exactGaussNewton(net: Network, x: Float64Array, batch: number): { params: Float64Array; input: Float64Array } {
  const params = new Float64Array(net.params.length);
  const input = new Float64Array(batch * net.inputSize);
  for (let b = 0; b < batch; b++) {
    const xb = x.slice(b * net.inputSize, (b + 1) * net.inputSize);
    const y = net.forward(xb, 1).slice();
    const H = outputHessianDiagonal(net.description.loss, y);
    for (let o = 0; o < y.length; o++) {
      net.grads.fill(0);
      const d = new Float64Array(y.length);
      d[o] = 1;
      const dx = new Float64Array(net.inputSize);
      net.layers[0].backward(referenceKernels, 1, xb, net.activation(0), d, dx);
      for (let k = 0; k < params.length; k++) params[k] += (H[o] * net.grads[k] ** 2) / batch;
      for (let a = 0; a < net.inputSize; a++) input[b * net.inputSize + a] += (H[o] * dx[a] ** 2) / batch;
    }
  }
  return { params, input };
}

describe('max pooling: §4.2 curvature routes β²·h_u to the argmax', () => {
  // a max-pooling layer as the only layer: each of β_j, b_j, x reaches each output along one path
  for (const loss of ['mse', 'cross-entropy'] as const) {
    ACTS.forEach((act, k) => {
      it(`max ${2 + (k % 2)} last (${act}, ${loss}): h of β, b and the inputs equals the exact diagonal`, () => {
        const n = 2 + (k % 2);
        const d: NetworkDescription = {
          name: `max last ${act} ${loss}`, input: [2, 2 * n, 3 * n], seed: 1, loss,
          layers: [{ type: 'subsample', factor: n, down: 'max', beta: 'trainable', bias: true, activation: act }],
        };
        const net = reference(d, 7 + k, 0.5);
        const batch = 3;
        const x = randomInputs(11 + k, batch * net.inputSize);
        const h = net.computeCurvature(x, randomLabels(6, batch, net.classes), batch, { inputCurvature: true });
        const hx = net.inputCurvature().slice();
        const g = exactGaussNewton(net, x, batch);
        for (let i = 0; i < h.length; i++) expect(h[i]).toBeCloseTo(g.params[i], 12);
        let nonzero = 0;
        for (let i = 0; i < hx.length; i++) {
          expect(hx[i]).toBeCloseTo(g.input[i], 12);
          if (hx[i] !== 0) nonzero++;
        }
        // one sample per block (ReLU's off units excepted) carries curvature
        expect(nonzero).toBeLessThanOrEqual(hx.length / (n * n));
        expect(nonzero).toBeGreaterThan(0);
      });
    });
  }
});

// ─── the wasm engine ────────────────────────────────────────────────────────────────────────────────

const open: FastNetwork[] = [];
afterAll(async () => {
  await Promise.all(open.map((n) => n.dispose()));
});

async function wasm(d: NetworkDescription, batch: number, threads = 1): Promise<FastNetwork> {
  const n = (await createNetwork(d, { backend: 'wasm', batch, threads })) as FastNetwork;
  open.push(n);
  return n;
}


// max pooling with wider maps, so that the n = 2 forward's four-block SIMD loop runs as well as its tail
const WIDE: NetworkDescription = {
  name: 'conv → max 2 (wide: SIMD and tail) → conv → max 3 → full', input: [1, 12, 24], seed: 9, loss: 'cross-entropy',
  layers: [
    { type: 'conv', maps: 3, kernel: 3, activation: 'tanh' },
    { type: 'subsample', factor: 2, down: 'max', beta: 'trainable', bias: true, activation: 'relu' },
    { type: 'conv', maps: 2, kernel: 3, activation: 'sigmoid' },
    { type: 'subsample', factor: 3, down: 'max', beta: 'trainable', bias: true, activation: 'identity' },
    { type: 'full', units: 3, activation: 'identity' },
  ],
};

describe('max pooling: the wasm engine against the float64 reference', () => {
  for (const d of [...NETWORKS, WIDE]) {
    it(`${d.name}: outputs, loss, every gradient and the input gradient within 1e-5`, async () => {
      const batch = 3;
      const ref = reference(d, 17, 0.1);
      for (let i = 0; i < ref.params.length; i++) ref.params[i] = Math.fround(ref.params[i]);
      const net = await wasm(d, batch);
      net.setParams(ref.params);
      const x = Float64Array.from(randomInputs(5, batch * ref.inputSize), Math.fround);
      const labels = randomLabels(6, batch, ref.classes);
      expectFastMatchesReference(net, ref, x, labels, batch);
    });
  }

  // max pooling on the input itself: n = 3 (scalar), and n = 2 on maps wide enough for the four-block SIMD loop and its tail
  const TIED: NetworkDescription[] = [NETWORKS[NETWORKS.length - 1], {
    name: 'max 2 first (wide) → full', input: [2, 6, 20], seed: 7, loss: 'cross-entropy',
    layers: [
      { type: 'subsample', factor: 2, down: 'max', beta: 'trainable', bias: true, activation: 'tanh' },
      { type: 'full', units: 3, activation: 'identity' },
    ],
  }];
  it.each(TIED.map((d) => [d.name, d] as const))('ties route as the reference routes them, to the first maximum of each block: %s', async (_name, d) => {
    const batch = 4;
    const ref = reference(d, 21, 0.3);
    for (let i = 0; i < ref.params.length; i++) ref.params[i] = Math.fround(ref.params[i]);
    const net = await wasm(d, batch);
    net.setParams(ref.params);
    const x = tiedValues(8, batch * ref.inputSize);
    const labels = randomLabels(9, batch, ref.classes);
    ref.forward(x, batch);
    ref.zeroGrads();
    ref.backward(labels, { inputGradient: true });
    net.computeGradients(Float32Array.from(x), labels, batch, { inputGradient: true });
    const r = ref.inputGradient();
    const f = net.inputGradient();
    for (let i = 0; i < r.length; i++) expect(f[i] !== 0, `input ${i}`).toBe(r[i] !== 0);
    expectNormwiseClose('∂E/∂input', f, r, 1e-5);
  });

  it('training steps are bit-identical at 1 and 2 threads', async () => {
    const d = WIDE;
    const batch = 11;
    const one = await wasm(d, batch, 1);
    const two = await wasm(d, batch, 2);
    expect(two.threads).toBe(2);
    const size = one.inputSize;
    for (let step = 0; step < 5; step++) {
      const x = Float32Array.from(randomInputs(1000 + step, batch * size));
      const labels = randomLabels(2000 + step, batch, one.classes);
      expect(two.trainStep(x, labels, batch, 0.05)).toBe(one.trainStep(x, labels, batch, 0.05));
    }
    expect(Buffer.from(two.params.buffer, two.params.byteOffset, two.params.byteLength).equals(
      Buffer.from(one.params.buffer, one.params.byteOffset, one.params.byteLength))).toBe(true);
    const start = new Network(d).params;
    let moved = 0;
    for (let i = 0; i < start.length; i++) if (Math.fround(start[i]) !== one.params[i]) moved++;
    expect(moved).toBeGreaterThan(start.length / 2);
  });
});

// ─── the routing, seen ──────────────────────────────────────────────────────────────────────────────

describe('max pooling: the input sensitivity is nonzero exactly at the argmax positions', () => {
  const d = NETWORKS[NETWORKS.length - 1]; // max 3 on the input, then full
  const n = 3;
  const [J, H, W] = d.input;
  const batch = 3;
  const x = randomInputs(40, batch * J * H * W);
  const labels = randomLabels(41, batch, 3);

  /** 1 at each block's argmax, found by the test's own naive formula; 0 elsewhere. */
  function argmaxMask(): number[] {
    const mask = new Array<number>(x.length).fill(0);
    for (let m = 0; m < batch * J; m++) {
      for (let a = 0; a < H / n; a++) for (let b = 0; b < W / n; b++) mask[naiveArgmax(x, m * H * W, W, n, a, b)] = 1;
    }
    return mask;
  }

  for (const backend of ['reference', 'wasm'] as const) {
    it(`${backend}: after a training pass`, async () => {
      const ref = reference(d, 42, 0.3);
      let g: ArrayLike<number>;
      if (backend === 'reference') {
        ref.forward(x, batch, { training: true });
        ref.zeroGrads();
        ref.backward(labels, { inputGradient: true });
        g = ref.inputGradient();
      } else {
        const net = await wasm(d, batch);
        net.setParams(ref.params);
        net.computeGradients(Float32Array.from(x), labels, batch, { inputGradient: true });
        g = net.inputGradient();
      }
      expect(Array.from(g, (v) => (v !== 0 ? 1 : 0))).toEqual(argmaxMask());
    });
  }
});
