// The float32 WebAssembly kernels one by one, through src/kernels/wasm.ts (the module's own exports in a
// memory of their own), against the float64 reference on the same random data: every input is drawn
// as a float32 inside wasm memory and promoted exactly to float64 for the reference. The layer kernels
// are held to the reference whole network by network in wasm-network.test.ts; here are what those
// tests reach only through a layer: the activations (every code, every length, the whole float32
// range) and the one matrix product (assembly/gemm.ts's mm_nn, exported as matmul) over every block
// and tail of its register tiling, and the single-thread build against the shared one.
//
// Tolerance rule. Each output array is compared element by element:
//     |wasm − reference| ≤ 1e-5 · max(1, max_j |reference_j|)
// i.e. 1e-5 relative to the array's largest magnitude, never tighter than 1e-5 absolute: float32
// accumulation of a sum of n terms of size ≤ 1 errs by about √n·6e-8 (~1e-6 here), so this is loose
// enough for any summation order yet catches any wrong or missing term. Elements outside the output
// region must be bit-for-bit untouched. The activations are also checked element by element to 1e-6
// relative over the whole float32 range.
import { beforeAll, describe, expect, it } from 'vitest';
import { Act } from '../../src/kernels/kernels.js';
import { referenceKernels as R } from '../../src/kernels/reference.js';
import { createWasmKernels, type WasmKernels } from '../../src/kernels/wasm.js';
import { Rng } from '../../src/util/rng.js';

const RTOL = 1e-5;

let W: WasmKernels;
beforeAll(async () => {
  W = await createWasmKernels({ shared: true, bytes: 32 * 1024 * 1024 });
});

// ---------------------------------------------------------------------------------------------
// Helpers

/** A region [off, off+n) of a float32 array in wasm memory and its float64 twin (same values). */
interface Pair {
  readonly f: Float32Array;
  readonly d: Float64Array;
  readonly off: number;
  readonly n: number;
}

function pair(rng: Rng, n: number, off: number, scale = 1, tail = 5): Pair {
  const f = W.alloc(off + n + tail);
  for (let i = 0; i < f.length; i++) f[i] = scale * rng.range(-1, 1);
  return { f, d: Float64Array.from(f), off, n };
}

function fillPair(p: Pair, value: number): void {
  p.f.fill(value);
  p.d.fill(value);
}

/** The rule above, on the region; bit-for-bit equality outside it. */
function expectClose(p: Pair, label: string, rtol = RTOL): void {
  let scale = 1;
  for (let i = p.off; i < p.off + p.n; i++) scale = Math.max(scale, Math.abs(p.d[i]));
  const bad: string[] = [];
  for (let i = 0; i < p.f.length; i++) {
    const inside = i >= p.off && i < p.off + p.n;
    const ok = inside ? Math.abs(p.f[i] - p.d[i]) <= rtol * scale : Object.is(p.f[i], p.d[i]);
    if (!ok) bad.push(`[${i}]${inside ? '' : ' (outside)'} wasm ${p.f[i]}, reference ${p.d[i]}`);
  }
  expect(bad.slice(0, 5), `${label}: ${bad.length} of ${p.f.length} differ`).toEqual([]);
}

function offsets(rng: Rng): number {
  return rng.int(6);
}

/** x[xo …] = f(u[uo …]) through the export. */
function activate(act: Act, u: Float32Array, uo: number, count: number, x: Float32Array, xo: number): void {
  W.exports.activate(act, W.addressOf(u, uo), count, W.addressOf(x, xo));
}

// ---------------------------------------------------------------------------------------------
// The adapter

describe('the wasm kernels adapter', () => {
  it('gives addresses only of views of its own memory', () => {
    const y = W.alloc(16);
    expect(W.addressOf(y, 3)).toBe(y.byteOffset + 12);
    expect(() => W.addressOf(new Float32Array(16))).toThrow(/view of this kernels' memory/);
    expect(() => W.addressOf(y, 17)).toThrow(/outside/);
  });

  it('uses a shared memory for the threads build; alloc is 16-byte aligned', () => {
    expect(W.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    for (const n of [1, 3, 5]) expect(W.alloc(n).byteOffset % 16).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Activations

const ACTS = [Act.Identity, Act.Sigmoid, Act.Tanh, Act.LeCun, Act.Relu] as const;
const COUNTS = [0, 1, 3, 4, 5, 7, 8, 9, 33, 100];

describe('activations', () => {
  it('activate matches the reference, out of place and in place', () => {
    const rng = new Rng(16);
    for (const act of ACTS) {
      for (const count of COUNTS) {
        for (const scale of [1, 12]) {
          W.reset();
          const u = pair(rng, count, offsets(rng), scale);
          const x = pair(rng, count, offsets(rng));
          activate(act, u.f, u.off, count, x.f, x.off);
          R.activate(act, u.d, u.off, count, x.d, x.off);
          expectClose(x, `activate ${act} count=${count}`);
          expectClose(u, 'u unchanged', 0);
          activate(act, u.f, u.off, count, u.f, u.off);
          R.activate(act, u.d, u.off, count, u.d, u.off);
          expectClose(u, `activate ${act} count=${count} in place`);
        }
      }
    }
  });

  it('is within 1e-6 relative of the true function over the whole float32 range', () => {
    const rng = new Rng(17);
    const values: number[] = [0, -0, 1e-45, -1e-45, 1e-38, 0.625, -0.625, 0.6249999, 9, -9, 44, -44, 87, -87, 88.7, -88.7, 89, -89, 104, -104, 150, -150, 3.4e38, -3.4e38, Infinity, -Infinity];
    for (let e = -40; e <= 38; e += 0.25) values.push(10 ** e, -(10 ** e));
    for (let i = 0; i < 4000; i++) values.push(rng.range(-20, 20));
    for (let i = 0; i < 1000; i++) values.push(rng.range(-0.7, 0.7));
    const n = values.length;
    const u = W.alloc(n + 1).subarray(1); // misaligned on purpose
    u.set(values);
    const u64 = Float64Array.from(u);
    const x = W.alloc(n);
    const x64 = new Float64Array(n);
    for (const act of ACTS) {
      activate(act, u, 0, n, x, 0);
      R.activate(act, u64, 0, n, x64, 0);
      const bad: string[] = [];
      for (let i = 0; i < n; i++) {
        // 1e-6 relative; results below the normal range (sigmoid of ≤ −87) can only be right to ~1e-45
        if (!(x[i] === x64[i] || Math.abs(x[i] - x64[i]) <= 1e-6 * Math.abs(x64[i]) + 2e-45)) bad.push(`f(${u64[i]}) = ${x[i]}, true ${x64[i]}`);
      }
      expect(bad.slice(0, 5), `act ${act}: ${bad.length} of ${n} beyond 1e-6`).toEqual([]);
      u[0] = Number.NaN;
      activate(act, u, 0, 5, x, 0);
      expect(x[0], `act ${act}: NaN`).toBe(act === Act.Relu ? 0 : Number.NaN);
      u[0] = values[0];
    }
  });

  it('activationBackward matches the reference', () => {
    const rng = new Rng(18);
    for (const act of ACTS) {
      for (const count of COUNTS) {
        W.reset();
        const x = pair(rng, count, offsets(rng), 1.8);
        if (count > 2) {
          x.f[x.off] = 0;
          x.d[x.off] = 0;
          x.f[x.off + 1] = -0;
          x.d[x.off + 1] = -0;
        }
        const g = pair(rng, count, offsets(rng), 3);
        W.exports.activation_backward(act, W.addressOf(x.f, x.off), count, W.addressOf(g.f, g.off));
        R.activationBackward(act, x.d, x.off, count, g.d, g.off);
        expectClose(g, `activationBackward ${act} count=${count}`);
        expectClose(x, 'x unchanged', 0);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The one matrix product: C = A·B, row-major, overwriting C

function matmulCase(rng: Rng, M: number, N: number, K: number, cFill?: number): void {
  W.reset();
  const A = pair(rng, M * K, offsets(rng));
  const B = pair(rng, K * N, offsets(rng));
  const C = pair(rng, M * N, offsets(rng));
  if (cFill !== undefined) for (let i = C.off; i < C.off + C.n; i++) C.f[i] = C.d[i] = cFill;
  W.exports.matmul(M, N, K, W.addressOf(A.f, A.off), W.addressOf(B.f, B.off), W.addressOf(C.f, C.off));
  R.gemm(false, false, M, N, K, 1, A.d, A.off, B.d, B.off, 0, C.d, C.off);
  expectClose(C, `matmul ${M}×${N}×${K}`);
}

describe('matmul (assembly/gemm.ts: mm_nn, the product the convolutions run)', () => {
  // rows: blocks of 4, then 2, then 1; columns: blocks of 8, then 4, then one at a time
  const SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 17, 31, 33, 70];

  it('M, N, K from 1 to 70', () => {
    const rng = new Rng(20);
    let i = 0;
    for (const M of SIZES) {
      for (const N of SIZES) {
        matmulCase(rng, M, N, SIZES[(i * 7 + 3) % SIZES.length]);
        i++;
      }
    }
  });

  it('overwrites C even where it holds NaN; K = 0 gives zeros; a large product', () => {
    const rng = new Rng(30);
    for (const [M, N, K] of [[1, 5, 7], [3, 4, 9], [8, 17, 5], [9, 13, 6], [33, 40, 300]]) matmulCase(rng, M, N, K, Number.NaN);
    matmulCase(rng, 5, 6, 0, Number.NaN);
    matmulCase(rng, 131, 97, 150);
  });
});

// ---------------------------------------------------------------------------------------------
// The single-thread build

describe('the single-thread module', () => {
  it('loads over an ordinary memory and agrees bit for bit with the shared one', async () => {
    const S = await createWasmKernels({ shared: false, bytes: 4 * 1024 * 1024 });
    expect(S.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(S.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(S.relaxed).toBe(W.relaxed);
    const rng = new Rng(40);
    W.reset();
    const fill = (a: Float32Array, b: Float32Array) => {
      for (let i = 0; i < a.length; i++) a[i] = b[i] = rng.range(-1, 1);
    };
    const both = (n: number): [Float32Array, Float32Array] => {
      const a = W.alloc(n);
      const b = S.alloc(n);
      fill(a, b);
      return [a, b];
    };
    // a convolution layer's forward pass (3 patterns, 2 → 4 maps of 20×23, 5×5 kernels, tanh)
    const [B, I, H, Wd, J, K] = [3, 2, 20, 23, 4, 5];
    const S2 = (H - K + 1) * (Wd - K + 1);
    const [x1, x2] = both(B * I * H * Wd);
    const [k1, k2] = both(J * I * K * K);
    const [b1, b2] = both(J);
    const [y1, y2] = both(B * J * S2);
    const [s1, s2] = both(I * K * K * S2);
    for (const [k, x, kk, bb, y, cols] of [[W, x1, k1, b1, y1, s1], [S, x2, k2, b2, y2, s2]] as const) {
      k.exports.conv_forward(0, B, k.addressOf(x), I, H, Wd, J, K, 0, 1, k.addressOf(kk), k.addressOf(bb), Act.Tanh, k.addressOf(y), k.addressOf(cols), 0); // dcols: unused without padding
    }
    expect(Array.from(y2)).toEqual(Array.from(y1));
    const [a1, a2] = both(37 * 45);
    const [c1, c2] = both(45 * 29);
    const [p1, p2] = both(37 * 29);
    W.exports.matmul(37, 29, 45, W.addressOf(a1), W.addressOf(c1), W.addressOf(p1));
    S.exports.matmul(37, 29, 45, S.addressOf(a2), S.addressOf(c2), S.addressOf(p2));
    expect(Array.from(p2)).toEqual(Array.from(p1));
    W.exports.activate(Act.Tanh, W.addressOf(x1), x1.length, W.addressOf(x1));
    S.exports.activate(Act.Tanh, S.addressOf(x2), x2.length, S.addressOf(x2));
    expect(Array.from(x2)).toEqual(Array.from(x1));
  });
});
