// Beyond the notes: zero padding P and stride s of convolutions (docs/SPEC.md, "Beyond the notes:
// padding and stride"), which generalise §3.1's valid convolution and its §3.1.1/§3.2.1 gradients:
//   u[a][b] = Σ_{p,q} x̃[s·a+p][s·b+q] · k[K−1−p][K−1−q],  x̃ = x padded with P zeros on every side.
// (1) the reference kernels against those formulas written out here over an explicitly padded x̃;
// (2) float64 networks with padded and strided conv and combination layers: gradients against finite
//     differences, and the §4.2 curvature against the exact Gauss-Newton diagonal;
// (3) the float32 wasm engine against the float64 reference, and bit-identical at 1 and 2 threads.
import { afterAll, describe, expect, it } from 'vitest';
import { convFull, convStrided, convStridedTranspose, convValid, kernelGradient, kernelGradientStrided, referenceKernels } from '../../src/kernels/reference.js';
import { resolveDescription, type NetworkDescription } from '../../src/network/description.js';
import { gradientCheck } from '../../src/network/gradcheck.js';
import { Network } from '../../src/network/network.js';
import { createNetwork } from '../../src/network/backend.js';
import { FastNetwork } from '../../src/wasm/engine.js';
import { randomInputs, randomLabels } from '../helpers/random-networks.js';
import { expectFastMatchesReference } from '../helpers/compare.js';

// ─── (1) the kernels against the formulas ───────────────────────────────────────────────────────────

/** x [h×w] padded with P zeros on every side: [(h+2P)×(w+2P)]. */
function padded(x: Float64Array, h: number, w: number, P: number): Float64Array {
  const pw = w + 2 * P;
  const out = new Float64Array((h + 2 * P) * pw);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) out[(r + P) * pw + c + P] = x[r * w + c];
  return out;
}

/** Output side ⌊(n + 2P − K)/s⌋ + 1, counted: the positions a·s with a·s + K ≤ n + 2P. */
function outSide(n: number, K: number, P: number, s: number): number {
  let count = 0;
  while (count * s + K <= n + 2 * P) count++;
  return count;
}

/** u[a][b] = Σ_{p,q} x̃[s·a+p][s·b+q] · k[K−1−p][K−1−q]. */
function naiveForward(x: Float64Array, h: number, w: number, k: Float64Array, K: number, P: number, s: number): Float64Array {
  const xt = padded(x, h, w, P);
  const pw = w + 2 * P;
  const Ho = outSide(h, K, P, s);
  const Wo = outSide(w, K, P, s);
  const u = new Float64Array(Ho * Wo);
  for (let a = 0; a < Ho; a++) for (let b = 0; b < Wo; b++) {
    let sum = 0;
    for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) sum += xt[(s * a + p) * pw + s * b + q] * k[(K - 1 - p) * K + (K - 1 - q)];
    u[a * Wo + b] = sum;
  }
  return u;
}

/** ∂E/∂x: each d[a][b] scattered through k onto the padded x̃ it met, then the padding cut off. */
function naiveInputGradient(d: Float64Array, h: number, w: number, k: Float64Array, K: number, P: number, s: number): Float64Array {
  const pw = w + 2 * P;
  const gt = new Float64Array((h + 2 * P) * pw);
  const Ho = outSide(h, K, P, s);
  const Wo = outSide(w, K, P, s);
  for (let a = 0; a < Ho; a++) for (let b = 0; b < Wo; b++) {
    for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) gt[(s * a + p) * pw + s * b + q] += d[a * Wo + b] * k[(K - 1 - p) * K + (K - 1 - q)];
  }
  const g = new Float64Array(h * w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) g[r * w + c] = gt[(r + P) * pw + c + P];
  return g;
}

/** ∂E/∂k[K−1−p][K−1−q] = Σ_{a,b} d[a][b] · x̃[s·a+p][s·b+q]. */
function naiveKernelGradient(x: Float64Array, h: number, w: number, d: Float64Array, K: number, P: number, s: number): Float64Array {
  const xt = padded(x, h, w, P);
  const pw = w + 2 * P;
  const Ho = outSide(h, K, P, s);
  const Wo = outSide(w, K, P, s);
  const g = new Float64Array(K * K);
  for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) {
    let sum = 0;
    for (let a = 0; a < Ho; a++) for (let b = 0; b < Wo; b++) sum += d[a * Wo + b] * xt[(s * a + p) * pw + s * b + q];
    g[(K - 1 - p) * K + (K - 1 - q)] = sum;
  }
  return g;
}

function random(seed: number, n: number): Float64Array {
  return randomInputs(seed, n);
}

function expectNear(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
}

// [H, W, K, P, s]: non-square maps, P = K−1, s > K, a kernel larger than the unpadded map, a 1-row map
const GEOMETRIES: [number, number, number, number, number][] = [
  [5, 7, 3, 0, 2], [6, 5, 3, 1, 1], [7, 9, 3, 2, 1], [8, 6, 2, 0, 3], [9, 7, 3, 2, 4],
  [4, 4, 5, 2, 1], [10, 3, 3, 1, 2], [6, 8, 4, 3, 5], [1, 5, 3, 1, 1], [11, 11, 5, 2, 2],
];

describe('(1) the strided reference kernels against the formulas over an explicitly padded x̃', () => {
  it.each(GEOMETRIES)('%i×%i maps, K = %i, P = %i, s = %i: forward, input gradient and kernel gradient', (H, W, K, P, s) => {
    const Ho = outSide(H, K, P, s);
    const Wo = outSide(W, K, P, s);
    expect([Ho, Wo]).toEqual([Math.floor((H + 2 * P - K) / s) + 1, Math.floor((W + 2 * P - K) / s) + 1]);
    // tensors at offsets inside longer arrays, outputs starting from nonzero values (the kernels accumulate)
    const xo = 3, ko = 2, yo = 5, dO = 4, go = 1;
    const x = random(H * 100 + W, xo + H * W + 2);
    const k = random(K * 10 + P, ko + K * K + 1);
    const d = random(s * 7 + 1, dO + Ho * Wo + 3);
    const y0 = random(9, yo + Ho * Wo + 2);
    const dx0 = random(10, yo + H * W + 2);
    const g0 = random(11, go + K * K + 2);
    const xs = x.slice(xo, xo + H * W);
    const ks = k.slice(ko, ko + K * K);
    const ds = d.slice(dO, dO + Ho * Wo);

    const y = y0.slice();
    convStrided(x, xo, H, W, k, ko, K, P, s, y, yo);
    const u = naiveForward(xs, H, W, ks, K, P, s);
    expectNear(y.subarray(yo, yo + Ho * Wo), y0.subarray(yo, yo + Ho * Wo).map((v, i) => v + u[i]), 1e-12, 'forward');
    expect(Array.from(y.subarray(0, yo))).toEqual(Array.from(y0.subarray(0, yo)));
    expect(Array.from(y.subarray(yo + Ho * Wo))).toEqual(Array.from(y0.subarray(yo + Ho * Wo)));

    const dx = dx0.slice();
    convStridedTranspose(d, dO, H, W, k, ko, K, P, s, dx, yo);
    const gx = naiveInputGradient(ds, H, W, ks, K, P, s);
    expectNear(dx.subarray(yo, yo + H * W), dx0.subarray(yo, yo + H * W).map((v, i) => v + gx[i]), 1e-12, 'input gradient');
    expect(Array.from(dx.subarray(yo + H * W))).toEqual(Array.from(dx0.subarray(yo + H * W)));

    const g = g0.slice();
    kernelGradientStrided(x, xo, H, W, d, dO, K, P, s, g, go);
    const gk = naiveKernelGradient(xs, H, W, ds, K, P, s);
    expectNear(g.subarray(go, go + K * K), g0.subarray(go, go + K * K).map((v, i) => v + gk[i]), 1e-12, 'kernel gradient');
    expect(g[0]).toBe(g0[0]);

    // the adjoint identity ⟨d, conv(x)⟩ = ⟨transpose(d), x⟩ = ⟨kernelGradient(x, d), k⟩
    const u0 = new Float64Array(Ho * Wo);
    convStrided(xs, 0, H, W, ks, 0, K, P, s, u0, 0);
    const t = new Float64Array(H * W);
    convStridedTranspose(ds, 0, H, W, ks, 0, K, P, s, t, 0);
    const gg = new Float64Array(K * K);
    kernelGradientStrided(xs, 0, H, W, ds, 0, K, P, s, gg, 0);
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((acc, v, i) => acc + v * b[i], 0);
    const ref = dot(ds, u0);
    expect(Math.abs(dot(t, xs) - ref)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(ref)));
    expect(Math.abs(dot(gg, ks) - ref)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(ref)));
  });

  it('with P = 0 and s = 1 they are the notes\' valid kernels, bit for bit', () => {
    for (const [H, W, K] of [[5, 7, 3], [6, 6, 5], [4, 9, 2]]) {
      const Ho = H - K + 1;
      const Wo = W - K + 1;
      const x = random(1, H * W);
      const k = random(2, K * K);
      const d = random(3, Ho * Wo);
      const [a, b] = [random(4, Ho * Wo), random(4, Ho * Wo)];
      convValid(x, 0, H, W, k, 0, K, a, 0);
      convStrided(x, 0, H, W, k, 0, K, 0, 1, b, 0);
      expect(Array.from(b)).toEqual(Array.from(a));
      const [c, e] = [random(5, H * W), random(5, H * W)];
      convFull(d, 0, Ho, Wo, k, 0, K, c, 0);
      convStridedTranspose(d, 0, H, W, k, 0, K, 0, 1, e, 0);
      expect(Array.from(e)).toEqual(Array.from(c));
      const [f, g] = [random(6, K * K), random(6, K * K)];
      kernelGradient(x, 0, H, W, d, 0, K, f, 0);
      kernelGradientStrided(x, 0, H, W, d, 0, K, 0, 1, g, 0);
      expect(Array.from(g)).toEqual(Array.from(f));
    }
  });

  it('padding sees zeros: a 1×1 map under a 3×3 kernel with P = 1 gives only the kernel\'s centre', () => {
    const y = new Float64Array(1);
    convStrided(Float64Array.of(2), 0, 1, 1, Float64Array.from({ length: 9 }, (_, i) => i + 1), 0, 3, 1, 1, y, 0);
    expect(y[0]).toBe(10); // 2 · k[1][1] = 2 · 5
  });

  it('the reference kernels object carries the strided kernels', () => {
    expect(referenceKernels.convStrided).toBe(convStrided);
    expect(referenceKernels.convStridedTranspose).toBe(convStridedTranspose);
    expect(referenceKernels.kernelGradientStrided).toBe(kernelGradientStrided);
  });
});

// ─── (2) float64 networks: gradient checks and curvature ────────────────────────────────────────────

const NETWORKS: NetworkDescription[] = [
  {
    name: 'conv same all, subsample, full', input: [2, 8, 8], seed: 1, loss: 'mse',
    layers: [
      { type: 'conv', maps: 3, kernel: 3, pad: 'same', activation: 'tanh', connections: 'all' },
      { type: 'subsample', factor: 2, activation: 'sigmoid' },
      { type: 'full', units: 3, activation: 'sigmoid' },
    ],
  },
  {
    name: 'conv pad 1 stride 2 pairs, conv stride 2 all', input: [3, 11, 9], seed: 2, loss: 'cross-entropy',
    layers: [
      { type: 'conv', maps: 4, kernel: 3, pad: 1, stride: 2, activation: 'lecun', connections: 'pairs' },
      { type: 'conv', maps: 3, kernel: 2, stride: 2, activation: 'sigmoid', connections: 'all' },
      { type: 'full', units: 4, activation: 'identity' },
    ],
  },
  {
    name: 'conv explicit stride 3 > K, P = K−1', input: [2, 10, 7], seed: 3, loss: 'mse',
    layers: [
      { type: 'conv', maps: 3, kernel: 2, pad: 1, stride: 3, activation: 'tanh', connections: [[1, 0, 1], [0, 1, 1]] },
      { type: 'full', units: 3, activation: 'tanh' },
    ],
  },
  {
    name: 'combination shared same stride 2', input: [3, 9, 8], seed: 4, loss: 'cross-entropy',
    layers: [
      { type: 'combination', maps: 3, kernel: 3, pad: 'same', stride: 2, activation: 'tanh', kernels: 'shared', cInit: 1 },
      { type: 'full', units: 3, activation: 'identity' },
    ],
  },
  {
    name: 'conv valid, combination pair pad 2 stride 2', input: [1, 9, 10], seed: 5, loss: 'mse',
    layers: [
      { type: 'conv', maps: 2, kernel: 2, activation: 'sigmoid' },
      { type: 'combination', maps: 3, kernel: 3, pad: 2, stride: 2, activation: 'lecun', kernels: 'pair', cInit: 1, penalty: { type: 'entropy', lambda: 0.05 } },
      { type: 'full', units: 2, activation: 'sigmoid' },
    ],
  },
  {
    name: 'conv same 5×5 stride 1, subsample, conv pad 1 stride 2 explicit, combination pair stride 2', input: [1, 12, 12], seed: 6, loss: 'cross-entropy',
    layers: [
      { type: 'conv', maps: 2, kernel: 5, pad: 'same', activation: 'tanh' },
      { type: 'subsample', factor: 2, down: 'decimate', activation: 'identity' },
      { type: 'conv', maps: 3, kernel: 3, pad: 1, stride: 2, activation: 'sigmoid', connections: [[1, 1, 0], [0, 1, 1]] },
      { type: 'combination', maps: 2, kernel: 2, pad: 1, stride: 2, activation: 'tanh', kernels: 'pair', cInit: 1 },
      { type: 'full', units: 3, activation: 'identity' },
    ],
  },
  {
    name: 'combination shared pad 1 K 2, full', input: [2, 5, 6], seed: 7, loss: 'mse',
    layers: [
      { type: 'combination', maps: 2, kernel: 2, pad: 1, activation: 'sigmoid', kernels: 'shared', cInit: 1 },
      { type: 'full', units: 2, activation: 'tanh' },
    ],
  },
];

describe('(2) float64 networks with padded and strided convolutions', () => {
  it('the networks pad (a number and same) and stride ≥ 2 conv layers of every table kind and combinations of both kernel forms', () => {
    const seen = new Set<string>();
    for (const d of NETWORKS) {
      for (const l of resolveDescription(d).layers) {
        if (l.type !== 'conv' && l.type !== 'combination') continue;
        const form = l.type === 'conv' ? `table:${Array.isArray(l.connections) ? 'explicit' : l.connections}` : `kernels:${l.kernels}`;
        if (l.pad > 0) seen.add(`${l.type}:pad`);
        if (l.stride > 1) seen.add(`${l.type}:stride`);
        if (l.pad > 0 || l.stride > 1) seen.add(form);
      }
      for (const l of d.layers) if ((l.type === 'conv' || l.type === 'combination') && l.pad === 'same') seen.add('same');
    }
    for (const e of ['conv:pad', 'conv:stride', 'combination:pad', 'combination:stride', 'table:all', 'table:pairs', 'table:explicit', 'kernels:shared', 'kernels:pair', 'same']) {
      expect(seen, e).toContain(e);
    }
  });

  it('the output shapes are ⌊(n + 2P − K)/s⌋ + 1', () => {
    const net = new Network(NETWORKS[1]);
    expect(net.layers[0].outShape).toEqual([4, 6, 5]); // (11+2−3)/2+1, (9+2−3)/2+1
    expect(net.layers[1].outShape).toEqual([3, 3, 2]);
    expect(new Network(NETWORKS[0]).layers[0].outShape).toEqual([3, 8, 8]);
  });

  for (const d of NETWORKS) {
    it(`${d.name}: every parameter and input sensitivity within 1e-6`, () => {
      const net = new Network(d);
      const noise = randomInputs(99, net.params.length);
      for (let i = 0; i < net.params.length; i++) net.params[i] += 0.3 * noise[i];
      const batch = 2;
      const x = randomInputs(5, batch * net.inputSize);
      const labels = randomLabels(6, batch, net.classes);
      const r = gradientCheck(net, x, labels, batch);
      const report = r.groups.map((g) => `${g.layer}.${g.kind} ${g.maxRelativeError.toExponential(2)} (${g.worst.analytic.toExponential(3)} vs ${g.worst.numeric.toExponential(3)})`).join('\n');
      expect(r.maxRelativeError, report).toBeLessThanOrEqual(1e-6);
      const checked = r.groups.reduce((n, g) => n + g.count, 0);
      expect(checked, report).toBe(net.params.length + batch * net.inputSize);
    });
  }

  it('a gradient check catches a padded convolution run as a valid one (the check can fail)', () => {
    const d = NETWORKS[0];
    const net = new Network(d);
    const x = randomInputs(5, 2 * net.inputSize);
    const labels = randomLabels(6, 2, net.classes);
    // sabotage: the transpose drops its padding offset (reads the kernel as if P were 0)
    const ops = {
      ...referenceKernels,
      convStridedTranspose: (...a: Parameters<typeof convStridedTranspose>) => convStridedTranspose(a[0], a[1], a[2], a[3], a[4], a[5], a[6], 0, a[8], a[9], a[10]),
    };
    const bad = new Network(d, { kernels: ops });
    bad.params.set(net.params);
    const r = gradientCheck(bad, x, labels, 2);
    expect(r.maxRelativeError).toBeGreaterThan(1e-3);
  });

  // §4.2: a padded or strided layer that is the network's last layer reaches every output along one
  // path, so its backpropagated diagonal is the exact Gauss-Newton diagonal (mse: H_oo = 1),
  //   G_kk = mean over patterns of Σ_o (∂y_o/∂θ_k)²,
  // with ∂y_o/∂θ from the layer's own backward (gradient-checked above) of a one-hot sensitivity.
  const LAST: NetworkDescription[] = [
    { name: 'conv pairs pad 1 stride 2 last', input: [3, 7, 6], seed: 8, loss: 'mse', layers: [{ type: 'conv', maps: 3, kernel: 3, pad: 1, stride: 2, activation: 'tanh', connections: 'pairs' }] },
    { name: 'conv same stride 3 last', input: [2, 6, 7], seed: 9, loss: 'mse', layers: [{ type: 'conv', maps: 2, kernel: 3, pad: 'same', stride: 3, activation: 'sigmoid' }] },
    { name: 'combination pair pad 2 stride 2 last', input: [2, 6, 5], seed: 10, loss: 'mse', layers: [{ type: 'combination', maps: 2, kernel: 3, pad: 2, stride: 2, activation: 'lecun', kernels: 'pair', cInit: 1 }] },
    { name: 'combination shared same last', input: [3, 4, 5], seed: 11, loss: 'mse', layers: [{ type: 'combination', maps: 2, kernel: 3, pad: 'same', activation: 'tanh', kernels: 'shared', cInit: 1 }] },
  ];
  for (const d of LAST) {
    it(`${d.name}: curvature of every parameter and input is the exact Gauss-Newton diagonal within 1e-9`, () => {
      const net = new Network(d);
      const noise = randomInputs(99, net.params.length);
      for (let i = 0; i < net.params.length; i++) net.params[i] += 0.3 * noise[i];
      const B = 2;
      const n = net.inputSize;
      const x = randomInputs(5, B * n);
      const labels = randomLabels(6, B, net.classes);
      const h = net.computeCurvature(x, labels, B, { inputCurvature: true }).slice();
      const hx = net.inputCurvature().slice();
      const layer = net.layers[0];
      const G = new Float64Array(net.params.length);
      const Gx = new Float64Array(B * n);
      for (let b = 0; b < B; b++) {
        const xb = x.slice(b * n, (b + 1) * n);
        const y = net.forward(xb, 1).slice();
        for (let o = 0; o < y.length; o++) {
          net.grads.fill(0);
          const dy = new Float64Array(y.length);
          dy[o] = 1;
          const dx = new Float64Array(n);
          layer.backward(referenceKernels, 1, xb, y, dy, dx);
          for (let i = 0; i < G.length; i++) G[i] += (net.grads[i] * net.grads[i]) / B;
          for (let i = 0; i < n; i++) Gx[b * n + i] += (dx[i] * dx[i]) / B;
        }
      }
      expect(G.filter((v) => v > 0).length).toBeGreaterThan(G.length / 2);
      expectNear(h, G, 1e-9, 'parameter curvature');
      expectNear(hx, Gx, 1e-9, 'input curvature');
    });
  }
});

// ─── (3) the wasm engine ────────────────────────────────────────────────────────────────────────────

const open: FastNetwork[] = [];
afterAll(async () => {
  await Promise.all(open.map((n) => n.dispose()));
});


describe.each([true, false])('(3) the wasm engine against the float64 reference (relaxed SIMD: %s)', (relaxedSimd) => {
  for (const d of [...NETWORKS, ...LAST_FOR_WASM()]) {
    it(`${d.name}: outputs of every layer, loss, gradients and input gradient within 1e-5`, async () => {
      const batch = 3;
      const ref = new Network(d);
      const noise = randomInputs(17, ref.params.length);
      for (let i = 0; i < ref.params.length; i++) ref.params[i] = Math.fround(ref.params[i] + 0.1 * noise[i]);
      // im2col everywhere (padding and stride are its to handle; test/math/winograd.test.ts holds the tiles)
      const convAlgorithm = () => ({ kind: 'im2col' as const });
      const net = relaxedSimd
        ? (await createNetwork(d, { backend: 'wasm', batch, threads: 1, convAlgorithm })) as FastNetwork
        : await FastNetwork.create(d, { batch, threads: 1, relaxedSimd: false, convAlgorithm });
      open.push(net);
      expect(net).toBeInstanceOf(FastNetwork);
      net.setParams(ref.params);
      const x = Float64Array.from(randomInputs(5, batch * ref.inputSize), Math.fround);
      const labels = randomLabels(6, batch, ref.classes);
      expectFastMatchesReference(net, ref, x, labels, batch);
    });
  }
});

/** The single-layer networks of the curvature checks, with a full layer on top (their outputs are maps). */
function LAST_FOR_WASM(): NetworkDescription[] {
  return [
    { name: 'wasm: conv same stride 3, full', input: [2, 6, 7], seed: 9, loss: 'mse', layers: [{ type: 'conv', maps: 2, kernel: 3, pad: 'same', stride: 3, activation: 'sigmoid' }, { type: 'full', units: 2, activation: 'tanh' }] },
    { name: 'wasm: wide conv same 5×5 (a 4-lane tail), stride 2 all', input: [2, 13, 13], seed: 12, loss: 'cross-entropy', layers: [
      { type: 'conv', maps: 4, kernel: 5, pad: 'same', activation: 'tanh' },
      { type: 'conv', maps: 3, kernel: 3, pad: 1, stride: 2, activation: 'tanh' },
      { type: 'full', units: 3, activation: 'identity' },
    ] },
    // col2im at stride 2 adds taps q' and q'+1 together (an even K: pairs only, eight floats at a time
    // and a tail); a 2×2 kernel at stride 3 with padding has a padded input (3×12×11) larger than its
    // im2col matrix (3·2²×4×4), which the scratch must hold (convScratchFloats)
    { name: 'wasm: conv 4×4 pad 1 stride 2 (paired taps), 2×2 pad 1 stride 3', input: [2, 20, 18], seed: 13, loss: 'cross-entropy', layers: [
      { type: 'conv', maps: 3, kernel: 4, pad: 1, stride: 2, activation: 'tanh' },
      { type: 'conv', maps: 2, kernel: 2, pad: 1, stride: 3, activation: 'lecun' },
      { type: 'full', units: 3, activation: 'identity' },
    ] },
    // images large enough that im2col goes a band of output rows at a time (CONV_BAND_FLOATS): 3 bands
    // of 18, 18 and 12 rows at stride 2 with padding, 6 bands at stride 1 with padding (an input gradient
    // through both), and 2 bands (40 and 10 rows) at stride 3
    { name: 'wasm: im2col in bands, stride 2 and 1 with padding', input: [3, 96, 96], seed: 14, loss: 'cross-entropy', layers: [
      { type: 'conv', maps: 6, kernel: 5, pad: 2, stride: 2, activation: 'tanh' },
      { type: 'conv', maps: 4, kernel: 5, pad: 2, activation: 'tanh' },
      { type: 'full', units: 3, activation: 'identity' },
    ] },
    { name: 'wasm: im2col in bands, stride 3', input: [2, 150, 150], seed: 15, loss: 'cross-entropy', layers: [
      { type: 'conv', maps: 3, kernel: 4, pad: 1, stride: 3, activation: 'tanh' },
      { type: 'full', units: 3, activation: 'identity' },
    ] },
  ];
}

describe('(3) threads', () => {
  for (const d of [NETWORKS[1], NETWORKS[5]]) {
    it(`${d.name}: 5 training steps give bit-identical weights at 1 and 2 threads`, async () => {
      const batch = 11;
      const one = (await createNetwork(d, { backend: 'wasm', batch, threads: 1 })) as FastNetwork;
      const two = (await createNetwork(d, { backend: 'wasm', batch, threads: 2 })) as FastNetwork;
      open.push(one, two);
      expect(two.threads).toBe(2);
      const start = Float32Array.from(one.params);
      for (let step = 0; step < 5; step++) {
        const x = Float32Array.from(randomInputs(1000 + step, batch * one.inputSize));
        const labels = randomLabels(2000 + step, batch, one.classes);
        const a = one.trainStep(x, labels, batch, 0.1);
        const b = two.trainStep(x, labels, batch, 0.1);
        expect(b).toBe(a);
      }
      expect(Buffer.from(two.params.buffer, two.params.byteOffset, two.params.byteLength).equals(
        Buffer.from(one.params.buffer, one.params.byteOffset, one.params.byteLength))).toBe(true);
      let moved = 0;
      for (let i = 0; i < start.length; i++) if (start[i] !== one.params[i]) moved++;
      expect(moved).toBeGreaterThan(start.length / 2);
    });
  }
});
