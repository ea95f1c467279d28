// The float32 WebAssembly SIMD kernels (assembly/primitives.ts, through src/kernels/wasm.ts) against
// the float64 reference kernels, kernel by kernel, on the same random data: every input is drawn as a
// float32 inside wasm memory and promoted exactly to float64 for the reference.
//
// Shapes are chosen to reach every code path: output widths 1 … 9, 12, 16, 17, 24, 28, 33 (scalar
// paths, the 16/8/4-column register blocks, and the overlapping last vector of a row), non-square
// maps, kernel sizes 1, 2, 3, 5, 7 and equal to the map, nonzero (misaligned) offsets inside larger
// arrays, accumulate vs overwrite semantics, every activation both ways, and gemm in all four
// transpose combinations over the unpacked small-M paths and the packed, blocked one (including
// several KC slices, MC blocks and NC panels), with alpha and beta varied.
//
// Tolerance rule. Each output array is compared element by element:
//     |wasm − reference| ≤ 1e-5 · max(1, max_j |reference_j|)
// i.e. 1e-5 relative to the array's largest magnitude, never tighter than 1e-5 absolute: float32
// accumulation of a sum of n terms of size ≤ 1 errs by about √n·6e-8 (~1e-6 here), so this is loose
// enough for any summation order yet catches any wrong or missing term. Elements outside the output
// region must be bit-for-bit untouched. Scalars (sum, dot) are compared relative to max(1, Σ|terms|).
// The activations are also checked element by element to 1e-6 relative over the whole float32 range.
import { beforeAll, describe, expect, it } from 'vitest';
import { Act } from '../src/kernels/kernels.js';
import { referenceKernels as R } from '../src/kernels/reference.js';
import { createWasmKernels, type WasmKernels } from '../src/kernels/wasm.js';
import { Rng } from '../src/rng.js';

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

// ---------------------------------------------------------------------------------------------
// The adapter

describe('the wasm Kernels adapter', () => {
  it('rejects arrays that are not views of its memory', () => {
    const y = W.alloc(16);
    expect(() => W.axpy(4, 1, new Float32Array(16), 0, y, 0)).toThrow(/view of this kernels' memory/);
    expect(() => W.axpy(4, 1, new Float64Array(16), 0, y, 0)).toThrow(/view of this kernels' memory/);
    expect(() => W.axpy(4, 1, y, 14, y, 0)).toThrow(/outside/);
  });

  it('uses a shared memory for the threads build; alloc is 16-byte aligned', () => {
    expect(W.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    for (const n of [1, 3, 5]) expect(W.alloc(n).byteOffset % 16).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Convolutions

const OUT_WIDTHS = [1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 24, 28, 33];
const KERNELS = [1, 2, 3, 5];
const OUT_HEIGHTS = [1, 3, 6];

/** (h, w, K) of the input of a valid convolution: every output width × height × kernel, plus K = map. */
function validShapes(): [number, number, number][] {
  const shapes: [number, number, number][] = [];
  for (const K of KERNELS) for (const ow of OUT_WIDTHS) for (const oh of OUT_HEIGHTS) shapes.push([oh + K - 1, ow + K - 1, K]);
  for (const K of [1, 2, 3, 4, 5, 7, 12]) shapes.push([K, K, K]); // kernel = map: one output
  for (const K of [3, 5]) shapes.push([K, 9, K], [K, 30, K], [11, K, K]); // kernel as tall or as wide as the map
  shapes.push([28, 28, 5], [32, 32, 5], [14, 10, 5], [10, 14, 3], [9, 24, 7]);
  return shapes;
}

describe('convValid (accumulate)', () => {
  it('matches the reference on every shape', () => {
    const rng = new Rng(11);
    for (const [h, w, K] of validShapes()) {
      W.reset();
      const oh = h - K + 1;
      const ow = w - K + 1;
      const x = pair(rng, h * w, offsets(rng));
      const k = pair(rng, K * K, offsets(rng));
      const y = pair(rng, oh * ow, offsets(rng));
      W.convValid(x.f, x.off, h, w, k.f, k.off, K, y.f, y.off);
      R.convValid(x.d, x.off, h, w, k.d, k.off, K, y.d, y.off);
      expectClose(y, `convValid ${h}×${w} K=${K}`);
      expectClose(x, 'x unchanged', 0);
    }
  });
});

describe('convFull (accumulate)', () => {
  it('matches the reference on every shape', () => {
    const rng = new Rng(12);
    const shapes: [number, number, number][] = [];
    for (const K of [...KERNELS, 7]) for (const w of OUT_WIDTHS) for (const h of [1, 2, 5]) shapes.push([h, w, K]);
    shapes.push([24, 24, 5], [10, 10, 5], [1, 1, 5], [8, 8, 3], [3, 30, 9], [30, 3, 9]);
    for (const [h, w, K] of shapes) {
      W.reset();
      const d = pair(rng, h * w, offsets(rng));
      const k = pair(rng, K * K, offsets(rng));
      const y = pair(rng, (h + K - 1) * (w + K - 1), offsets(rng));
      W.convFull(d.f, d.off, h, w, k.f, k.off, K, y.f, y.off);
      R.convFull(d.d, d.off, h, w, k.d, k.off, K, y.d, y.off);
      expectClose(y, `convFull ${h}×${w} K=${K}`);
    }
  });

  it('is exact at the very end of the memory (where reading past the map would trap)', () => {
    const rng = new Rng(13);
    for (const [h, w, K] of [[6, 9, 3], [5, 24, 5], [4, 4, 5], [7, 10, 7], [3, 5, 2]] as const) {
      W.reset();
      const k = pair(rng, K * K, 1);
      const y = pair(rng, (h + K - 1) * (w + K - 1), 2);
      const total = 4 * Math.ceil((h * w) / 4);
      W.alloc(W.available() / 4 - total); // a filler, so that d ends at the last byte of memory
      const d = pair(rng, h * w, total - h * w, 1, 0);
      expect(d.f.byteOffset + d.f.byteLength).toBe(W.memory.buffer.byteLength);
      W.convFull(d.f, d.off, h, w, k.f, k.off, K, y.f, y.off);
      R.convFull(d.d, d.off, h, w, k.d, k.off, K, y.d, y.off);
      expectClose(y, `convFull at the end of memory ${h}×${w} K=${K}`);
    }
  });
});

describe('kernelGradient (accumulate)', () => {
  it('matches the reference on every shape', () => {
    const rng = new Rng(14);
    for (const [h, w, K] of validShapes()) {
      W.reset();
      const oh = h - K + 1;
      const ow = w - K + 1;
      const x = pair(rng, h * w, offsets(rng));
      const d = pair(rng, oh * ow, offsets(rng));
      const g = pair(rng, K * K, offsets(rng));
      W.kernelGradient(x.f, x.off, h, w, d.f, d.off, K, g.f, g.off);
      R.kernelGradient(x.d, x.off, h, w, d.d, d.off, K, g.d, g.off);
      expectClose(g, `kernelGradient ${h}×${w} K=${K}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Subsampling

describe('down() and up() (overwrite)', () => {
  const rng = new Rng(15);
  const cases: [number, number, number][] = []; // (output h, output w, n) of down = (input h, input w, n) of up
  for (const n of [1, 2, 3, 4]) for (const ow of [1, 2, 3, 4, 5, 7, 8, 9, 12, 14]) cases.push([1 + ((ow + n) % 4), ow, n]);

  it('downSum and downDecimate match the reference', () => {
    for (const [oh, ow, n] of cases) {
      W.reset();
      const h = oh * n;
      const w = ow * n;
      const x = pair(rng, h * w, offsets(rng));
      const y1 = pair(rng, oh * ow, offsets(rng));
      fillPair(y1, Number.NaN); // overwritten whatever it held
      W.downSum(x.f, x.off, h, w, n, y1.f, y1.off);
      R.downSum(x.d, x.off, h, w, n, y1.d, y1.off);
      expectClose(y1, `downSum ${h}×${w} n=${n}`);
      const y2 = pair(rng, oh * ow, offsets(rng));
      W.downDecimate(x.f, x.off, h, w, n, y2.f, y2.off);
      R.downDecimate(x.d, x.off, h, w, n, y2.d, y2.off);
      expectClose(y2, `downDecimate ${h}×${w} n=${n}`, 0);
    }
  });

  it('upSum and upDecimate match the reference', () => {
    for (const [h, w, n] of cases) {
      for (const s of [1, -0.375]) {
        W.reset();
        const d = pair(rng, h * w, offsets(rng));
        const y1 = pair(rng, h * n * w * n, offsets(rng));
        fillPair(y1, Number.NaN);
        W.upSum(d.f, d.off, h, w, n, s, y1.f, y1.off);
        R.upSum(d.d, d.off, h, w, n, s, y1.d, y1.off);
        expectClose(y1, `upSum ${h}×${w} n=${n} s=${s}`);
        const y2 = pair(rng, h * n * w * n, offsets(rng));
        fillPair(y2, Number.NaN);
        W.upDecimate(d.f, d.off, h, w, n, s, y2.f, y2.off);
        R.upDecimate(d.d, d.off, h, w, n, s, y2.d, y2.off);
        expectClose(y2, `upDecimate ${h}×${w} n=${n} s=${s}`);
      }
    }
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
          W.activate(act, u.f, u.off, count, x.f, x.off);
          R.activate(act, u.d, u.off, count, x.d, x.off);
          expectClose(x, `activate ${act} count=${count}`);
          expectClose(u, 'u unchanged', 0);
          W.activate(act, u.f, u.off, count, u.f, u.off);
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
      W.activate(act, u, 0, n, x, 0);
      R.activate(act, u64, 0, n, x64, 0);
      const bad: string[] = [];
      for (let i = 0; i < n; i++) {
        // 1e-6 relative; results below the normal range (sigmoid of ≤ −87) can only be right to ~1e-45
        if (!(x[i] === x64[i] || Math.abs(x[i] - x64[i]) <= 1e-6 * Math.abs(x64[i]) + 2e-45)) bad.push(`f(${u64[i]}) = ${x[i]}, true ${x64[i]}`);
      }
      expect(bad.slice(0, 5), `act ${act}: ${bad.length} of ${n} beyond 1e-6`).toEqual([]);
      u[0] = Number.NaN;
      W.activate(act, u, 0, 5, x, 0);
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
        W.activationBackward(act, x.f, x.off, count, g.f, g.off);
        R.activationBackward(act, x.d, x.off, count, g.d, g.off);
        expectClose(g, `activationBackward ${act} count=${count}`);
        expectClose(x, 'x unchanged', 0);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// BLAS-1

describe('axpy, addScalar, sum, dot', () => {
  const rng = new Rng(19);
  const NS = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 100, 1000];

  it('axpy and addScalar accumulate', () => {
    for (const n of NS) {
      W.reset();
      const x = pair(rng, n, offsets(rng));
      const y = pair(rng, n, offsets(rng));
      W.axpy(n, -1.25, x.f, x.off, y.f, y.off);
      R.axpy(n, -1.25, x.d, x.off, y.d, y.off);
      expectClose(y, `axpy n=${n}`);
      W.addScalar(n, 0.625, y.f, y.off);
      R.addScalar(n, 0.625, y.d, y.off);
      expectClose(y, `addScalar n=${n}`);
    }
  });

  it('sum and dot', () => {
    for (const n of NS) {
      W.reset();
      const a = pair(rng, n, offsets(rng));
      const b = pair(rng, n, offsets(rng));
      let mag = 0;
      let magDot = 0;
      for (let i = 0; i < n; i++) {
        mag += Math.abs(a.d[a.off + i]);
        magDot += Math.abs(a.d[a.off + i] * b.d[b.off + i]);
      }
      const s = W.sum(a.f, a.off, n);
      expect(Math.abs(s - R.sum(a.d, a.off, n)), `sum n=${n}`).toBeLessThanOrEqual(RTOL * Math.max(1, mag));
      const dt = W.dot(n, a.f, a.off, b.f, b.off);
      expect(Math.abs(dt - R.dot(n, a.d, a.off, b.d, b.off)), `dot n=${n}`).toBeLessThanOrEqual(RTOL * Math.max(1, magDot));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// gemm

function gemmCase(rng: Rng, tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, beta: number, cFill?: number): void {
  W.reset();
  const A = pair(rng, M * K, offsets(rng));
  const B = pair(rng, K * N, offsets(rng));
  const C = pair(rng, M * N, offsets(rng));
  if (cFill !== undefined) for (let i = C.off; i < C.off + C.n; i++) C.f[i] = C.d[i] = cFill;
  W.gemm(tA, tB, M, N, K, alpha, A.f, A.off, B.f, B.off, beta, C.f, C.off);
  R.gemm(tA, tB, M, N, K, alpha, A.d, A.off, B.d, B.off, beta, C.d, C.off);
  expectClose(C, `gemm tA=${tA} tB=${tB} M=${M} N=${N} K=${K} alpha=${alpha} beta=${beta}${cFill === undefined ? '' : ` C=${cFill}`}`);
  expectClose(A, 'A unchanged', 0);
  expectClose(B, 'B unchanged', 0);
}

const TRANS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

describe('gemm', () => {
  const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 12, 17, 31, 33, 70];

  for (const [tA, tB] of TRANS) {
    it(`transA=${tA} transB=${tB}: M, N, K from 1 to 70`, () => {
      const rng = new Rng(20 + (tA ? 1 : 0) + (tB ? 2 : 0));
      const ALPHA = [1, -0.5, 2.25];
      const BETA = [0, 1, 0.75, -1.5];
      let i = 0;
      for (const M of SIZES) {
        for (const N of SIZES) {
          const K = SIZES[(i * 7 + 3) % SIZES.length];
          gemmCase(rng, tA, tB, M, N, K, ALPHA[i % 3], BETA[i % 4]);
          i++;
        }
      }
    });
  }

  it('beta = 0 overwrites C even where it holds NaN; K = 0 leaves beta·C', () => {
    const rng = new Rng(30);
    for (const [tA, tB] of TRANS) {
      for (const [M, N, K] of [[1, 5, 7], [3, 4, 9], [8, 17, 5], [9, 13, 6], [33, 40, 300]]) {
        gemmCase(rng, tA, tB, M, N, K, 1.5, 0, Number.NaN);
      }
      gemmCase(rng, tA, tB, 5, 6, 0, 1, 0, Number.NaN);
      gemmCase(rng, tA, tB, 5, 6, 0, 1, 0.5);
      gemmCase(rng, tA, tB, 12, 6, 0, 1, 1);
    }
  });

  it('larger products: 128×96×200, several KC slices, MC blocks and NC panels', () => {
    const rng = new Rng(31);
    for (const [tA, tB] of TRANS) {
      gemmCase(rng, tA, tB, 128, 96, 200, 1, 0);
      gemmCase(rng, tA, tB, 131, 21, 530, -0.75, 0.5); // 3 KC slices, 2 MC blocks, β on the first slice only
      gemmCase(rng, tA, tB, 10, 1037, 3, 1, 1); // 2 NC panels
      gemmCase(rng, tA, tB, 6, 100, 600, 1, 0.25); // small M, long K
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The single-thread build

describe('the single-thread module', () => {
  it('loads over an ordinary memory and agrees bit for bit with the shared one', async () => {
    const S = await createWasmKernels({ shared: false, bytes: 4 * 1024 * 1024 });
    expect(S.memory.buffer).toBeInstanceOf(ArrayBuffer);
    expect(S.memory.buffer).not.toBeInstanceOf(SharedArrayBuffer);
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
    const [x1, x2] = both(20 * 23);
    const [k1, k2] = both(25);
    const [y1, y2] = both(16 * 19);
    W.convValid(x1, 0, 20, 23, k1, 0, 5, y1, 0);
    S.convValid(x2, 0, 20, 23, k2, 0, 5, y2, 0);
    expect(Array.from(y2)).toEqual(Array.from(y1));
    const [a1, a2] = both(37 * 45);
    const [b1, b2] = both(45 * 29);
    const [c1, c2] = both(37 * 29);
    W.gemm(false, true, 37, 29, 45, 1, a1, 0, b1, 0, 0.5, c1, 0);
    S.gemm(false, true, 37, 29, 45, 1, a2, 0, b2, 0, 0.5, c2, 0);
    expect(Array.from(c2)).toEqual(Array.from(c1));
    W.activate(Act.Tanh, x1, 0, x1.length, x1, 0);
    S.activate(Act.Tanh, x2, 0, x2.length, x2, 0);
    expect(Array.from(x2)).toEqual(Array.from(x1));
    // and against the reference
    const c64 = new Float64Array(37 * 29);
    const a64 = Float64Array.from(a1);
    const b64 = Float64Array.from(b1);
    R.gemm(false, true, 37, 29, 45, 1, a64, 0, b64, 0, 0, c64, 0);
    const c3 = S.alloc(37 * 29);
    S.gemm(false, true, 37, 29, 45, 1, a2, 0, b2, 0, 0, c3, 0);
    const scale = Math.max(1, ...Array.from(c64, Math.abs));
    for (let i = 0; i < c64.length; i++) expect(Math.abs(c3[i] - c64[i])).toBeLessThanOrEqual(RTOL * scale);
  });
});

