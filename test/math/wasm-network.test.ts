// The fast path (float32 WebAssembly SIMD, src/wasm/) against the float64 reference, whole networks:
// outputs, loss, every parameter gradient and the input gradient agree within float32's reach; and
// results are bit-identical whatever the number of threads.
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../../src/network/network.js';
import { builtinNetwork } from '../../src/recipes/builtin.js';
import { FastNetwork } from '../../src/wasm/engine.js';
import { createNetwork, ReferenceNetwork, type TrainableNetwork } from '../../src/network/backend.js';
import type { NetworkDescription } from '../../src/network/description.js';
import { lenetTableNetwork, randomInputs, randomLabels, randomNetwork } from '../helpers/random-networks.js';
import { expectFastMatchesReference, expectNormwiseClose } from '../helpers/compare.js';

const open: FastNetwork[] = [];
afterAll(async () => {
  await Promise.all(open.map((n) => n.dispose()));
});

async function fast(d: NetworkDescription, batch: number, threads = 1, relaxedSimd = true): Promise<FastNetwork> {
  const n = await FastNetwork.create(d, { batch, threads, relaxedSimd });
  open.push(n);
  return n;
}


const NETWORKS: NetworkDescription[] = [
  ...['bouvrie', 'dlt', 'lenet5', 'learned', 'lenet5-distort', 'simard', 'simard-wide', 'simard-2003', 'speedrun-99', 'speedrun-995'].map(builtinNetwork),
  ...Array.from({ length: 24 }, (_, n) => randomNetwork(n)),
  lenetTableNetwork(),
];

// Both builds: relaxed SIMD (fused multiply-add, what Node 20 runs once the flag is set) and standard.
describe.each([true, false])('fast path against the float64 reference (relaxed SIMD: %s)', (relaxedSimd) => {
  it('runs the build it was asked for', async () => {
    const net = await fast(builtinNetwork('dlt'), 1, 1, relaxedSimd);
    expect(net.relaxedSimd).toBe(relaxedSimd);
  });
  for (const d of NETWORKS) {
    it(`${d.name}: outputs, loss, gradients and input gradient`, async () => {
      const batch = 3;
      const ref = new Network(d);
      // the reference in float64, starting from the float32-rounded parameters
      const noise = randomInputs(17, ref.params.length);
      for (let i = 0; i < ref.params.length; i++) ref.params[i] = Math.fround(ref.params[i] + 0.1 * noise[i]);
      const net = await fast(d, batch, 1, relaxedSimd);
      net.setParams(ref.params);
      const x = Float64Array.from(randomInputs(5, batch * ref.inputSize), Math.fround);
      const labels = randomLabels(6, batch, ref.classes);

      expectFastMatchesReference(net, ref, x, labels, batch);
    });
  }
});

describe('threads', () => {
  for (const name of ['dlt', 'learned']) {
    it(`${name}: 100 training steps give bit-identical weights at 1 and 2 threads`, async () => {
      const d = builtinNetwork(name);
      const batch = 13;
      const one = await fast(d, batch, 1);
      const two = await fast(d, batch, 2);
      expect(two.threads).toBe(2);
      const size = one.plan.inputSize;
      for (let step = 0; step < 100; step++) {
        const x = Float32Array.from(randomInputs(1000 + step, batch * size));
        const labels = randomLabels(2000 + step, batch, 10);
        const a = one.trainStep(x, labels, batch, 0.05);
        const b = two.trainStep(x, labels, batch, 0.05);
        expect(b).toBe(a);
      }
      expect(Buffer.from(two.params.buffer, two.params.byteOffset, two.params.byteLength).equals(
        Buffer.from(one.params.buffer, one.params.byteOffset, one.params.byteLength))).toBe(true);
      // and training did move them
      const start = new Network(d).params;
      let moved = 0;
      for (let i = 0; i < start.length; i++) if (Math.fround(start[i]) !== one.params[i]) moved++;
      expect(moved).toBeGreaterThan(start.length / 2);
    });
  }

  it('inference at 2 threads equals 1 thread on a batch of 1000', async () => {
    const d = builtinNetwork('dlt');
    const one = await fast(d, 1000, 1);
    const two = await fast(d, 1000, 2);
    const x = Float32Array.from(randomInputs(9, 1000 * 784));
    const a = Float32Array.from(one.forward(x, 1000));
    const b = two.forward(x, 1000);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('both backends behind TrainableNetwork', () => {
  it('the reference is a ReferenceNetwork; both offer inputView, activation, relaxedSimd and canDistort and agree through them', async () => {
    const d = builtinNetwork('learned');
    const batch = 5;
    const ref = await createNetwork(d, { backend: 'reference', batch });
    const wasm = await createNetwork(d, { backend: 'wasm', batch, threads: 1 });
    open.push(wasm as FastNetwork);
    expect(ref).toBeInstanceOf(ReferenceNetwork);
    expect(wasm).toBeInstanceOf(FastNetwork);
    expect([ref.backend, wasm.backend]).toEqual(['reference', 'wasm']);
    expect([ref.relaxedSimd, ref.canDistort, wasm.canDistort]).toEqual([false, false, false]);
    wasm.setParams(ref.params);
    ref.setParams(wasm.params); // both at the float32-rounded values
    const x = randomInputs(3, batch * ref.inputSize);
    const labels = randomLabels(4, batch, ref.classes);
    const losses: number[] = [];
    for (const net of [ref, wasm] as TrainableNetwork[]) {
      const input = net.inputView(batch);
      expect(input.length).toBe(batch * net.inputSize);
      input.set(x);
      losses.push(net.computeGradients(input, labels, batch));
    }
    expect(Math.abs(losses[1] - losses[0]) / Math.abs(losses[0])).toBeLessThanOrEqual(1e-5);
    for (let l = 0; l < d.layers.length; l++) expectNormwiseClose(`layer ${l} output`, wasm.activation(l), ref.activation(l), 1e-5);
    expectNormwiseClose('gradients', wasm.grads, ref.grads, 1e-5);
    // float32 input to the reference is widened, not refused
    expect(ref.forward(Float32Array.from(x), batch)).toBeInstanceOf(Float64Array);
    await ref.dispose();
  });

  it('trainStep is the one update with unit rates: bit for bit computeGradients then update(rate)', async () => {
    const d = builtinNetwork('lenet5');
    const batch = 7;
    const a = await fast(d, batch);
    const b = await fast(d, batch);
    for (let step = 0; step < 5; step++) {
      const x = Float32Array.from(randomInputs(50 + step, batch * a.inputSize));
      const labels = randomLabels(60 + step, batch, a.classes);
      a.trainStep(x, labels, batch, 0.02);
      b.computeGradients(x, labels, batch);
      b.update(0.02);
    }
    expect(Buffer.from(a.params.buffer, a.params.byteOffset, a.params.byteLength).equals(
      Buffer.from(b.params.buffer, b.params.byteOffset, b.params.byteLength))).toBe(true);
    expect(Array.from(a.velocity).every((v) => v === 0)).toBe(true);
  });
});

describe('bad input', () => {
  it('a batch above the capacity, a short input or a bad label is refused', async () => {
    const net = await fast(builtinNetwork('dlt'), 4);
    expect(() => net.forward(new Float32Array(5 * 784), 5)).toThrow(/batch: expected 1 … 4/);
    expect(() => net.forward(new Float32Array(10), 2)).toThrow(/input: expected 1568 values, got 10/);
    expect(() => net.computeGradients(new Float32Array(784), [10], 1)).toThrow(/labels\[0\]: expected a class index in \[0, 9\], got 10/);
  });
});
