// Winograd's minimal filtering (assembly/winograd.ts, src/kernels/winograd.ts) held to §3.1's direct
// sums: the float64 transforms against convValid; the float32 kernels, forced at every tile size each
// kernel size takes, against the float64 reference on whole networks (every layer's output, the loss,
// every gradient, the input gradient).
import { afterAll, describe, expect, it } from 'vitest';
import { convValid } from '../../src/kernels/reference.js';
import { winogradConvValid, winogradTransforms } from '../../src/kernels/winograd.js';
import { Network } from '../../src/network/network.js';
import type { NetworkDescription } from '../../src/network/description.js';
import { FastNetwork } from '../../src/wasm/engine.js';
import { winogradTiles, type ConvAlgorithm, type ConvShape } from '../../src/wasm/conv-algorithm.js';
import { builtinNetworks } from '../../src/recipes/builtin.js';
import { resolveDescription } from '../../src/network/description.js';
import { randomInputs, randomLabels } from '../helpers/random-networks.js';
import { expectNormwiseClose } from '../helpers/compare.js';

const open: FastNetwork[] = [];
afterAll(async () => {
  await Promise.all(open.map((n) => n.dispose()));
});

describe('Winograd transforms (float64)', () => {
  for (const K of [2, 3, 5, 7]) {
    for (const m of winogradTiles(K)) {
      it(`F(${m}×${m}, ${K}×${K}) is the valid convolution, to rounding`, () => {
        const t = winogradTransforms(m, K);
        for (const [h, w] of [[K + m - 1, K + m - 1], [K + 2 * m + 1, K + 3 * m - 1], [19, 23]] as const) {
          const x = randomInputs(h * 31 + w, h * w);
          const k = randomInputs(K * 7 + m, K * K);
          const ref = new Float64Array((h - K + 1) * (w - K + 1));
          convValid(x, 0, h, w, k, 0, K, ref, 0);
          const y = new Float64Array(ref.length);
          winogradConvValid(t, x, h, w, k, y);
          expectNormwiseClose(`${h}×${w}`, y, ref, 1e-13);
        }
      });
    }
  }
});

/** Every stride-1 convolution shape of the built-in recipes (their input as resolved) and of the bench's nets. */
function layerShapes(): { name: string; shape: ConvShape }[] {
  const shapes = new Map<string, { name: string; shape: ConvShape }>();
  const add = (name: string, shape: ConvShape): void => {
    const key = JSON.stringify(shape);
    if (shape.stride === 1 && !shapes.has(key)) shapes.set(key, { name, shape });
  };
  for (const [recipe, description] of Object.entries(builtinNetworks)) {
    const d = resolveDescription(description);
    d.layers.forEach((l, i) => {
      if (l.type !== 'conv' && l.type !== 'combination') return;
      const [I, H, W] = i === 0 ? d.input : d.shapes[i - 1];
      add(`${recipe} ${l.name}`, { I, H, W, J: l.maps, K: l.kernel, pad: l.pad, stride: l.stride });
    });
  }
  // bench/nets.ts: L28–L128 (conv 16@5, mean pool, conv 32@5) and C32 (three 3×3 'same' convolutions)
  for (const [I, side] of [[1, 28], [3, 32], [3, 64], [3, 128]]) {
    add(`L${side} C1`, { I, H: side, W: side, J: 16, K: 5, pad: 0, stride: 1 });
    const s2 = (side - 4) / 2;
    add(`L${side} C2`, { I: 16, H: s2, W: s2, J: 32, K: 5, pad: 0, stride: 1 });
  }
  add('C32 C1', { I: 3, H: 32, W: 32, J: 32, K: 3, pad: 1, stride: 1 });
  add('C32 C2', { I: 32, H: 16, W: 16, J: 64, K: 3, pad: 1, stride: 1 });
  add('C32 C3', { I: 64, H: 8, W: 8, J: 64, K: 3, pad: 1, stride: 1 });
  return [...shapes.values()];
}

/**
 * One convolution of that shape under a fully connected output, cross-entropy. tanh, not ReLU: at a
 * ReLU's kink an output within rounding of 0 takes f' = 0 in one path and 1 in the other, and that one
 * δ, not the algorithm, would be the difference measured.
 */
function layerNet(name: string, s: ConvShape): NetworkDescription {
  return {
    name, input: [s.I, s.H, s.W], seed: 7, loss: 'cross-entropy',
    layers: [
      { type: 'conv', name: 'C', maps: s.J, kernel: s.K, pad: s.pad, activation: 'tanh', connections: 'all' },
      { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
    ],
  };
}

/**
 * The normwise error allowed of a Winograd convolution: float32's rounding grows with the tile (the
 * transforms' entries reach 5.25 at α = 8); measured at 1.6e-5 at worst on these shapes (the table
 * afterAll prints; docs/SPEC.md), against im2col's 1.4e-6. The issue asked for 1e-4.
 */
const WINOGRAD_TOLERANCE = 3e-5;

const forced = (m: number) => (s: ConvShape): ConvAlgorithm => (s.stride === 1 ? { kind: 'winograd', m } : { kind: 'im2col' });

/** max_i |a_i − r_i| / max_i |r_i|: the measure expectNormwiseClose holds to a tolerance. */
function normwise(a: ArrayLike<number>, r: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < r.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - r[i]));
    scale = Math.max(scale, Math.abs(r[i]));
  }
  return worst / scale;
}

/** The largest error seen per algorithm ("im2col", "F(4×4, 5×5)") and quantity: the table afterAll prints (docs/SPEC.md quotes it). */
const worstSeen = new Map<string, { output: number; kernel: number; input: number }>();

/** A training pass of `net` and `ref` on the same weights and batch: the layer output, ∂E/∂k, ∂E/∂b, ∂E/∂x within tol. */
function compareConvolution(algorithm: string, ref: Network, net: FastNetwork, batch: number, tol: number): void {
  net.setParams(ref.params);
  const x = Float64Array.from(randomInputs(5, batch * ref.inputSize), Math.fround);
  const labels = randomLabels(6, batch, ref.classes);
  ref.computeGradients(x, labels, batch, { inputGradient: true });
  net.computeGradients(Float32Array.from(x), labels, batch, { inputGradient: true });
  expectNormwiseClose('the convolution\'s output', net.activation(0), ref.activation(0), tol);
  for (const v of ref.views) expectNormwiseClose(`∂E/∂${v.name}`, net.grads.subarray(v.offset, v.offset + v.length), ref.grads.subarray(v.offset, v.offset + v.length), tol);
  expectNormwiseClose('∂E/∂input', net.inputGradient(), ref.inputGradient(), tol);
  const k = ref.views[0];
  const seen = worstSeen.get(algorithm) ?? { output: 0, kernel: 0, input: 0 };
  seen.output = Math.max(seen.output, normwise(net.activation(0), ref.activation(0)));
  seen.kernel = Math.max(seen.kernel, normwise(net.grads.subarray(k.offset, k.offset + k.length), ref.grads.subarray(k.offset, k.offset + k.length)));
  seen.input = Math.max(seen.input, normwise(net.inputGradient(), ref.inputGradient()));
  worstSeen.set(algorithm, seen);
}

afterAll(() => {
  if (worstSeen.size === 0) return;
  const lines = ['largest normwise error against float64 over the recipes\' and the bench\'s layer shapes (forward, ∂E/∂k, ∂E/∂x):'];
  for (const [algorithm, e] of [...worstSeen].sort()) lines.push(`  ${algorithm.padEnd(16)} ${e.output.toExponential(1)}  ${e.kernel.toExponential(1)}  ${e.input.toExponential(1)}`);
  console.log(lines.join('\n'));
});

describe('Winograd kernels (float32) against the float64 reference: every recipe\'s and bench net\'s layer shape, every tile size', () => {
  for (const { name, shape } of layerShapes()) {
    for (const m of winogradTiles(shape.K)) {
      const Ho = shape.H + 2 * shape.pad - shape.K + 1;
      if (m > Ho) continue;
      it(`${name}: ${shape.I}×${shape.H}×${shape.W} → ${shape.J}, ${shape.K}×${shape.K}, pad ${shape.pad}; F(${m}×${m}, ${shape.K}×${shape.K})`, async () => {
        const d = layerNet(name, shape);
        const batch = shape.H > 40 ? 2 : 5;
        const net = await FastNetwork.create(d, { batch, threads: 1, convAlgorithm: forced(m) });
        open.push(net);
        expect(net.plan.layers[0].winograd?.m).toBe(m);
        compareConvolution(`F(${m}×${m}, ${shape.K}×${shape.K})`, new Network(d), net, batch, WINOGRAD_TOLERANCE);
      });
    }
    it(`${name}: ${shape.I}×${shape.H}×${shape.W} → ${shape.J}, ${shape.K}×${shape.K}, pad ${shape.pad}; im2col (for comparison)`, async () => {
      const d = layerNet(name, shape);
      const batch = shape.H > 40 ? 2 : 5;
      const net = await FastNetwork.create(d, { batch, threads: 1, convAlgorithm: () => ({ kind: 'im2col' }) });
      open.push(net);
      compareConvolution(`im2col, ${shape.K}×${shape.K}`, new Network(d), net, batch, 1e-5);
    });
  }
});

function netWith(input: [number, number, number], K: number, pad: number): NetworkDescription {
  return {
    name: `wino-${input.join('x')}-k${K}-p${pad}`, input, seed: 5, loss: 'cross-entropy',
    layers: [
      { type: 'conv', name: 'C1', maps: 5, kernel: K, pad, activation: 'relu', connections: 'all' },
      { type: 'conv', name: 'C2', maps: 6, kernel: K, pad, activation: 'tanh', connections: 'all' },
      { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
    ],
  };
}

describe('Winograd kernels in whole networks: two convolutions, padding, every tile size; threads', () => {
  const cases: [NetworkDescription, number][] = [];
  for (const K of [3, 5]) for (const m of winogradTiles(K)) cases.push([netWith([3, 13, 11], K, K === 3 ? 1 : 0), m]);
  for (const [d, m] of cases) {
    it(`${d.name}, m = ${m}`, async () => {
      const batch = 5;
      const ref = new Network(d);
      const net = await FastNetwork.create(d, { batch, threads: 1, convAlgorithm: forced(m) });
      open.push(net);
      expect(net.plan.layers[0].winograd).not.toBeNull();
      net.setParams(ref.params);
      const x = Float64Array.from(randomInputs(5, batch * ref.inputSize), Math.fround);
      const labels = randomLabels(6, batch, ref.classes);
      const e = ref.computeGradients(x, labels, batch, { inputGradient: true });
      const ef = net.computeGradients(Float32Array.from(x), labels, batch, { inputGradient: true });
      expect(Math.abs(ef - e) / Math.max(1, Math.abs(e))).toBeLessThanOrEqual(1e-5);
      for (let l = 0; l < ref.layers.length; l++) expectNormwiseClose(`layer ${l} output`, net.activation(l), ref.activation(l), 1e-5);
      for (const v of ref.views) expectNormwiseClose(`∂E/∂${v.name}`, net.grads.subarray(v.offset, v.offset + v.length), ref.grads.subarray(v.offset, v.offset + v.length), 1e-5);
      expectNormwiseClose('∂E/∂input', net.inputGradient(), ref.inputGradient(), 1e-5);
    });
  }

  it('a forced Winograd choice the kernels cannot run (a stride of 2, a tile too large) is refused, naming the layer', async () => {
    const d: NetworkDescription = {
      name: 'strided', input: [2, 12, 12], seed: 1, loss: 'cross-entropy',
      layers: [{ type: 'conv', name: 'C1', maps: 3, kernel: 3, stride: 2, activation: 'tanh', connections: 'all' }, { type: 'full', name: 'OUT', units: 10, activation: 'identity' }],
    };
    await expect(FastNetwork.create(d, { batch: 2, threads: 1, convAlgorithm: () => ({ kind: 'winograd', m: 2 }) })).rejects.toThrow(/layers\[0\] \(conv "C1"\): convAlgorithm gave winograd F\(2×2, 3×3\); expected im2col, or winograd at stride 1/);
    const plain = { ...d, layers: [{ ...d.layers[0], stride: 1 }, d.layers[1]] } as NetworkDescription;
    await expect(FastNetwork.create(plain, { batch: 2, threads: 1, convAlgorithm: () => ({ kind: 'winograd', m: 7 }) })).rejects.toThrow(/F\(7×7, 3×3\).*m in \[2,3,4,5,6\]/);
  });

  it('trains bit-identically at 1 and 2 threads (30 steps, momentum; the chunks\' ∂U summed in chunk order)', async () => {
    const d = netWith([3, 17, 15], 3, 1);
    const batch = 12;
    const runs: Float32Array[] = [];
    for (const threads of [1, 2]) {
      const net = await FastNetwork.create(d, { batch, threads, convAlgorithm: forced(4) });
      open.push(net);
      expect(net.threads).toBe(threads);
      for (let step = 0; step < 30; step++) {
        const x = Float32Array.from(randomInputs(100 + step, batch * net.inputSize));
        net.computeGradients(x, randomLabels(200 + step, batch, 10), batch);
        net.update(0.05, 0.9);
      }
      runs.push(Float32Array.from(net.params));
    }
    const moved = runs[0].filter((p, i) => p !== new Network(d).params[i]).length;
    expect(moved).toBeGreaterThan(runs[0].length / 2);
    expect(Buffer.from(runs[1].buffer).equals(Buffer.from(runs[0].buffer))).toBe(true);
  });
});
