// The float32 WebAssembly kernels of batch normalisation (assembly/batchnorm.ts) and dropout
// (assembly/dropout.ts), through src/kernels/wasm.ts (the module's exports in a memory of their own),
// against the float64 reference layers (src/layers/batchnorm.ts, dropout.ts) on the same float32 data.
// A batch is cut into chunks as src/wasm/chunk.ts cuts it, and each phase runs over every chunk before
// the next, as the engine runs them.
//
// Tolerance: normwise, max_i |wasm_i − reference_i| ≤ 1e-5 · max_i |reference_i| (float32 storage and
// float32 activations are ~1e-7 relative; any wrong or missing term is far above 1e-5). Dropout's mask
// and the batch statistics' reduction are held to exact bits.
import { beforeAll, describe, expect, it } from 'vitest';
import { Act } from '../../src/kernels/kernels.js';
import { referenceKernels as R } from '../../src/kernels/reference.js';
import { createWasmKernels, type WasmKernels } from '../../src/kernels/wasm.js';
import { BatchNormLayer } from '../../src/layers/batchnorm.js';
import { DropoutLayer, dropoutDraw, dropoutKey, dropoutThreshold } from '../../src/layers/dropout.js';
import { INFERENCE, type Pass } from '../../src/layers/layer.js';
import type { ActivationName, Shape } from '../../src/network/description.js';
import { Rng } from '../../src/util/rng.js';
import { chunkCount, chunkRange } from '../../src/wasm/chunk.js';

const TOL = 1e-5;
/** Floats after each output array that no kernel may touch. */
const TAIL = 5;
const SENTINEL = 7.25;

/** Both builds the engine may load: threads with fused multiply-add where validated, and the plain single-thread one. */
const BUILDS = [{ shared: true, relaxedSimd: true }, { shared: false, relaxedSimd: false }];

let W: WasmKernels;

// ---------------------------------------------------------------------------------------------
// Helpers

/** n random float32 values in wasm memory (plus an untouchable tail) and their exact float64 twin. */
function data(rng: Rng, n: number, lo = -1, hi = 1): { f: Float32Array; d: Float64Array } {
  const f = W.alloc(n + TAIL);
  for (let i = 0; i < n; i++) f[i] = rng.range(lo, hi);
  f.fill(SENTINEL, n);
  return { f, d: Float64Array.from(f.subarray(0, n)) };
}

/** An output array of n floats in wasm memory, the tail set to SENTINEL. */
function output(n: number, fill = Number.NaN): Float32Array {
  const f = W.alloc(n + TAIL);
  f.fill(fill, 0, n);
  f.fill(SENTINEL, n);
  return f;
}

/** n float64 in wasm memory (16-byte aligned: alloc's). */
function alloc64(n: number): Float64Array {
  const f = W.alloc(2 * n);
  return new Float64Array(f.buffer, f.byteOffset, n);
}

const addr = (v: Float32Array | Float64Array): number => v.byteOffset;

function expectTail(f: Float32Array, n: number, what: string): void {
  expect(Array.from(f.subarray(n)), `${what}: written past its end`).toEqual(new Array(TAIL).fill(SENTINEL));
}

function expectClose(what: string, a: ArrayLike<number>, r: ArrayLike<number>, n = r.length, tol = TOL): void {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < n; i++) {
    scale = Math.max(scale, Math.abs(r[i]));
    err = Math.max(err, Math.abs(a[i] - r[i]));
  }
  expect(scale, `${what}: the reference is all zeros`).toBeGreaterThan(0);
  expect(err / scale, what).toBeLessThanOrEqual(tol);
}

/** The chunks of a batch of B, as src/wasm/chunk.ts cuts it. */
function chunks(B: number): [number, number][] {
  const n = chunkCount(B);
  return Array.from({ length: n }, (_, c) => chunkRange(c, n, B));
}

// ---------------------------------------------------------------------------------------------
// Batch normalisation helpers

const ACTS: ActivationName[] = ['identity', 'sigmoid', 'tanh', 'lecun', 'relu'];
const ACT_CODE = { identity: Act.Identity, sigmoid: Act.Sigmoid, tanh: Act.Tanh, lecun: Act.LeCun, relu: Act.Relu } as const;
const EPS = 1e-5;

/** Float64 two-pass mean and biased variance of map c over the whole batch. */
function twoPass(x: Float64Array, B: number, C: number, S: number, c: number): [number, number] {
  let s = 0;
  for (let b = 0; b < B; b++) for (let t = 0; t < S; t++) s += x[(b * C + c) * S + t];
  const mean = s / (B * S);
  let q = 0;
  for (let b = 0; b < B; b++) for (let t = 0; t < S; t++) q += (x[(b * C + c) * S + t] - mean) ** 2;
  return [mean, q / (B * S)];
}

/** partials over every chunk (in the order given), then combine: the batch's stats [C][3]. */
function batchStats(x: Float32Array, B: number, C: number, S: number, partials: Float64Array, stats: Float64Array, order = chunks(B)): void {
  const all = chunks(B);
  for (const [b0, b1] of order) {
    const q = all.findIndex(([a]) => a === b0);
    W.exports.batchnorm_partials(b0, b1, addr(x), C, S, addr(partials) + q * C * 16);
  }
  W.exports.batchnorm_combine(addr(partials), all.length, B, S, C, EPS, addr(stats));
}


interface BnCase {
  C: number;
  S: number;
  B: number;
  act: ActivationName;
}

function bnCases(): BnCase[] {
  const out: BnCase[] = [];
  for (const [C, S] of [[3, 35], [6, 1]]) {
    for (const B of [1, 3, 9, 20]) {
      if (B * S < 2) continue; // a batch of 1 after a fully connected layer is refused
      for (const act of ACTS) out.push({ C, S, B, act });
    }
  }
  return out;
}

/** A reference BatchNormLayer over shape [C, S, 1] (the layout is the same as [C, h, w] with h·w = S), γ and β drawn as float32. */
function referenceLayer(rng: Rng, { C, S, act }: BnCase) {
  const layer = new BatchNormLayer(0, [C, S, 1], { type: 'batchnorm', name: 'BN', epsilon: EPS, momentum: 0.1, activation: act });
  const params = [0, 1, 2, 3].map(() => new Float64Array(C));
  const grads = [0, 1, 2, 3].map(() => new Float64Array(C));
  layer.bind(params, grads);
  layer.initialise();
  for (let c = 0; c < C; c++) {
    params[0][c] = Math.fround(rng.range(0.5, 1.5));
    params[1][c] = Math.fround(rng.range(-0.5, 0.5));
  }
  return { layer, scale: params[0], shift: params[1], runningMean: params[2], runningVar: params[3], dScale: grads[0], dShift: grads[1] };
}

/**
 * The wasm backward over the batch's chunks: backward_partials into each chunk's own gradient buffer
 * (prefilled with 0.5 to show it adds), those summed in chunk order; sum_partials; backward_input.
 * Returns dγ and dβ.
 */
function wasmBackward(
  B: number, C: number, S: number, act: Act, x: Float32Array, y: Float32Array, dy: Float32Array, stats: Float64Array,
  scale: Float32Array, training: boolean, dx: Float32Array,
): { dScale: Float64Array; dShift: Float64Array } {
  const all = chunks(B);
  const partials = alloc64(all.length * C * 2);
  const totals = alloc64(C * 2);
  partials.fill(Number.NaN);
  totals.fill(Number.NaN); // inference must not read it
  const grads = all.map(() => {
    const g = W.alloc(2 * C);
    g.fill(0.5);
    return g;
  });
  all.forEach(([b0, b1], q) => {
    W.exports.batchnorm_backward_partials(
      b0, b1, addr(x), C, S, addr(stats), act, addr(y), addr(dy), addr(partials) + q * C * 16, addr(grads[q]), addr(grads[q]) + 4 * C,
    );
  });
  if (training) W.exports.batchnorm_sum_partials(addr(partials), all.length, C, addr(totals));
  for (const [b0, b1] of all) {
    W.exports.batchnorm_backward_input(b0, b1, addr(x), C, S, addr(stats), addr(scale), addr(dy), addr(totals), B * S, training ? 1 : 0, addr(dx));
  }
  const dScale = new Float64Array(C);
  const dShift = new Float64Array(C);
  for (const g of grads) {
    for (let c = 0; c < C; c++) {
      dScale[c] += g[c] - 0.5;
      dShift[c] += g[C + c] - 0.5;
    }
  }
  return { dScale, dShift };
}

// ---------------------------------------------------------------------------------------------
// The suites, run on both builds

function suites(): void {
  describe('dropout kernels', () => {
    const SEEDS = [0, 1, 42, 2 ** 31 - 1, 2 ** 31, 0x9e3779b9, 2 ** 32 - 1];
    const STEPS = [0, 1, 7, 2 ** 31, 2 ** 31 + 5, 2 ** 32 - 1];

    it('draws exactly the reference\'s mask (dropoutKey, dropoutDraw) for every seed, layer, step, pattern and unit', () => {
      W.reset();
      const B = 6;
      const n = 37; // nine SIMD blocks and a tail of one
      const x = output(B * n, 1);
      const y = output(B * n);
      let mismatches = 0;
      let checked = 0;
      for (const seed of SEEDS) {
        for (const step of STEPS) {
          for (const layer of [0, 3, 11]) {
            for (const rate of [0, 0.5, 0.9, 0.3]) {
              const threshold = dropoutThreshold(rate);
              y.fill(Number.NaN, 0, B * n);
              // two ranges, so a pattern's key is its index in the batch, not in the range
              W.exports.dropout_forward(0, 2, addr(x), n, seed, layer, step, threshold, 1, addr(y));
              W.exports.dropout_forward(2, B, addr(x), n, seed, layer, step, threshold, 1, addr(y));
              for (let b = 0; b < B; b++) {
                const key = dropoutKey(seed, layer, step, b);
                for (let i = 0; i < n; i++) {
                  const kept = dropoutDraw(key, i) >= threshold ? 1 : 0;
                  if (y[b * n + i] !== kept) mismatches++;
                  checked++;
                }
              }
            }
          }
        }
      }
      expectTail(y, B * n, 'y');
      expect(mismatches, `of ${checked}`).toBe(0);
    });

    it('drops the fraction p of units, and a different mask for another step, pattern or layer', () => {
      W.reset();
      const n = 4000;
      const x = output(2 * n, 1);
      const y = output(2 * n);
      for (const rate of [0, 0.5, 0.9]) {
        W.exports.dropout_forward(0, 2, addr(x), n, 5, 1, 3, dropoutThreshold(rate), 1, addr(y));
        const dropped = y.subarray(0, 2 * n).filter((v) => v === 0).length / (2 * n);
        expect(Math.abs(dropped - rate)).toBeLessThan(0.02);
      }
      // rate 0.5: pattern 1's mask is not pattern 0's; step 4's not step 3's; layer 2's not layer 1's
      const differ = (a: Float32Array, b: Float32Array): number => a.filter((v, i) => v !== b[i]).length / a.length;
      W.exports.dropout_forward(0, 2, addr(x), n, 5, 1, 3, dropoutThreshold(0.5), 1, addr(y));
      const first = y.slice(0, n);
      expect(differ(first, y.subarray(n, 2 * n))).toBeGreaterThan(0.4);
      W.exports.dropout_forward(0, 1, addr(x), n, 5, 1, 4, dropoutThreshold(0.5), 1, addr(y));
      expect(differ(first, y.subarray(0, n))).toBeGreaterThan(0.4);
      W.exports.dropout_forward(0, 1, addr(x), n, 5, 2, 3, dropoutThreshold(0.5), 1, addr(y));
      expect(differ(first, y.subarray(0, n))).toBeGreaterThan(0.4);
    });

    it('forward and backward agree with DropoutLayer\'s training and the mask is recomputed in backward', () => {
      const rng = new Rng(31);
      const shape: Shape = [3, 5, 7];
      const n = 3 * 5 * 7;
      for (const rate of [0, 0.5, 0.9]) {
        for (const B of [1, 3, 9, 20]) {
          for (const pass of [{ training: true, step: 0, seed: 1 }, { training: true, step: 2 ** 31 + 3, seed: 2 ** 32 - 7 }] as Pass[]) {
            W.reset();
            const layer = new DropoutLayer(4, shape, { type: 'dropout', name: 'D', rate });
            const x = data(rng, B * n);
            const dy = data(rng, B * n);
            const y64 = new Float64Array(B * n);
            const dx64 = new Float64Array(B * n);
            layer.forward(R, B, x.d, y64, pass);
            layer.backward(R, B, x.d, y64, dy.d.slice(), dx64);
            const y = output(B * n);
            const dx = output(B * n);
            const threshold = dropoutThreshold(rate);
            const keep = Math.fround(1 / (1 - rate));
            for (const [b0, b1] of chunks(B)) W.exports.dropout_forward(b0, b1, addr(x.f), n, pass.seed, 4, pass.step, threshold, keep, addr(y));
            for (const [b0, b1] of chunks(B)) W.exports.dropout_backward(b0, b1, n, pass.seed, 4, pass.step, threshold, keep, addr(dy.f), addr(dx));
            const label = `rate ${rate}, batch ${B}, step ${pass.step}`;
            expectClose(`${label}: y`, y, y64, B * n);
            expectClose(`${label}: dx`, dx, dx64, B * n);
            // the same units dropped in both passes as in the reference (x, dy are never 0)
            for (let i = 0; i < B * n; i++) {
              if ((y[i] === 0) !== (y64[i] === 0) || (dx[i] === 0) !== (y64[i] === 0)) throw new Error(`${label}: mask differs at ${i}`);
            }
            expectTail(y, B * n, 'y');
            expectTail(dx, B * n, 'dx');
          }
        }
      }
    });
  });
  describe('batch normalisation: the batch statistics', () => {
    it('partials and combine over the chunks give the float64 two-pass mean and variance, bit-identical run to run and in any chunk order', () => {
      const rng = new Rng(41);
      for (const [C, S] of [[3, 35], [6, 1], [2, 144]]) {
        for (const B of [1, 2, 3, 9, 20]) {
          if (B * S < 2) continue;
          for (const offset of [0, 3, 1000]) {
            W.reset();
            const x = data(rng, B * C * S, offset - 0.7, offset + 0.7);
            const partials = alloc64(8 * C * 2);
            const stats = alloc64(C * 3);
            partials.fill(Number.NaN);
            batchStats(x.f, B, C, S, partials, stats);
            const label = `C ${C}, S ${S}, batch ${B}, offset ${offset}`;
            for (let c = 0; c < C; c++) {
              const [mean, variance] = twoPass(x.d, B, C, S, c);
              const std = Math.sqrt(variance);
              expect(Math.abs(stats[c * 3] - mean), `${label}: mean ${c}`).toBeLessThanOrEqual(1e-6 * (Math.abs(mean) + std));
              expect(Math.abs(stats[c * 3 + 1] - variance), `${label}: variance ${c}`).toBeLessThanOrEqual(1e-6 * variance);
              expect(Math.abs(stats[c * 3 + 2] - 1 / Math.sqrt(variance + EPS)), `${label}: invStd ${c}`).toBeLessThanOrEqual(1e-6 / Math.sqrt(variance + EPS));
            }
            const first = stats.slice();
            // again, and with the chunks computed last to first (as threads may finish them): the same bits
            partials.fill(Number.NaN);
            stats.fill(Number.NaN);
            batchStats(x.f, B, C, S, partials, stats, chunks(B).reverse());
            expect(Array.from(stats), `${label}: run to run`).toEqual(Array.from(first));
          }
        }
      }
    });
  });
  describe('batch normalisation kernels against BatchNormLayer', () => {
    it('a training pass: y, dx, dγ, dβ for every shape, batch and activation', () => {
      const rng = new Rng(43);
      for (const k of bnCases()) {
        W.reset();
        const { C, S, B } = k;
        const n = B * C * S;
        const label = `C ${C}, S ${S}, batch ${B}, ${k.act}`;
        const ref = referenceLayer(rng, k);
        const x = data(rng, n, -1.2, 2);
        const dy = data(rng, n);
        const y64 = new Float64Array(n);
        const dx64 = new Float64Array(n);
        ref.layer.forward(R, B, x.d, y64, { training: true, step: 0, seed: 1 });
        ref.layer.backward(R, B, x.d, y64, dy.d.slice(), dx64);

        const scale = W.alloc(C);
        const shift = W.alloc(C);
        scale.set(ref.scale);
        shift.set(ref.shift);
        const partials = alloc64(8 * C * 2);
        const stats = alloc64(C * 3);
        batchStats(x.f, B, C, S, partials, stats);
        // the reference's running averages started at (0, 1) with momentum 0.1: they hold the batch's μ, σ²
        for (let c = 0; c < C; c++) {
          expect(Math.abs(0.1 * stats[c * 3] - ref.runningMean[c]), `${label}: μ`).toBeLessThan(1e-9);
          expect(Math.abs(0.9 + 0.1 * stats[c * 3 + 1] * (B * S) / (B * S - 1) - ref.runningVar[c]), `${label}: σ²`).toBeLessThan(1e-9);
        }
        const y = output(n);
        for (const [b0, b1] of chunks(B)) {
          W.exports.batchnorm_forward(b0, b1, addr(x.f), C, S, addr(stats), addr(scale), addr(shift), ACT_CODE[k.act], addr(y));
        }
        expectClose(`${label}: y`, y, y64, n);
        expectTail(y, n, 'y');

        const dx = output(n);
        const g = wasmBackward(B, C, S, ACT_CODE[k.act], x.f, y, dy.f, stats, scale, true, dx);
        expectClose(`${label}: dx`, dx, dx64, n);
        expectClose(`${label}: dγ`, g.dScale, ref.dScale);
        expectClose(`${label}: dβ`, g.dShift, ref.dShift);
        expectTail(dx, n, 'dx');
        expectTail(dy.f, n, 'dy');
      }
    });

    it('an inference pass: stats from the running averages, dx = γ·invStd·δ', () => {
      const rng = new Rng(47);
      for (const k of bnCases()) {
        W.reset();
        const { C, S, B } = k;
        const n = B * C * S;
        const label = `C ${C}, S ${S}, batch ${B}, ${k.act}`;
        const ref = referenceLayer(rng, k);
        for (let c = 0; c < C; c++) {
          ref.runningMean[c] = Math.fround(rng.range(-0.5, 1));
          ref.runningVar[c] = Math.fround(rng.range(0.2, 2));
        }
        const x = data(rng, n, -1.2, 2);
        const dy = data(rng, n);
        const y64 = new Float64Array(n);
        const dx64 = new Float64Array(n);
        ref.layer.forward(R, B, x.d, y64, INFERENCE);
        ref.layer.backward(R, B, x.d, y64, dy.d.slice(), dx64);

        const scale = W.alloc(C);
        const shift = W.alloc(C);
        scale.set(ref.scale);
        shift.set(ref.shift);
        // what the host writes for an inference pass
        const stats = alloc64(C * 3);
        for (let c = 0; c < C; c++) stats.set([ref.runningMean[c], ref.runningVar[c], 1 / Math.sqrt(ref.runningVar[c] + EPS)], c * 3);
        const y = output(n);
        for (const [b0, b1] of chunks(B)) {
          W.exports.batchnorm_forward(b0, b1, addr(x.f), C, S, addr(stats), addr(scale), addr(shift), ACT_CODE[k.act], addr(y));
        }
        expectClose(`${label}: y`, y, y64, n);
        const dx = output(n);
        const g = wasmBackward(B, C, S, ACT_CODE[k.act], x.f, y, dy.f, stats, scale, false, dx);
        expectClose(`${label}: dx`, dx, dx64, n);
        expectClose(`${label}: dγ`, g.dScale, ref.dScale);
        expectClose(`${label}: dβ`, g.dShift, ref.dShift);
        expectTail(y, n, 'y');
        expectTail(dx, n, 'dx');
      }
    });

    it('keeps x − μ exact when the mean is large against the spread', () => {
      const rng = new Rng(53);
      const k: BnCase = { C: 2, S: 35, B: 9, act: 'identity' };
      const n = k.B * k.C * k.S;
      W.reset();
      const ref = referenceLayer(rng, k);
      const x = data(rng, n, 4096 - 0.01, 4096 + 0.01);
      const y64 = new Float64Array(n);
      ref.layer.forward(R, k.B, x.d, y64, { training: true, step: 0, seed: 1 });
      const scale = W.alloc(k.C);
      const shift = W.alloc(k.C);
      scale.set(ref.scale);
      shift.set(ref.shift);
      const stats = alloc64(k.C * 3);
      batchStats(x.f, k.B, k.C, k.S, alloc64(8 * k.C * 2), stats);
      const y = output(n);
      for (const [b0, b1] of chunks(k.B)) W.exports.batchnorm_forward(b0, b1, addr(x.f), k.C, k.S, addr(stats), addr(scale), addr(shift), Act.Identity, addr(y));
      expectClose('y', y, y64, n);
    });
  });
}

for (const opts of BUILDS) {
  describe(`the ${opts.shared ? 'shared-memory' : 'single-thread'} build${opts.relaxedSimd ? ' (relaxed SIMD where validated)' : ''}`, () => {
    beforeAll(async () => {
      W = await createWasmKernels({ ...opts, bytes: 16 * 1024 * 1024 });
    });
    suites();
  });
}
