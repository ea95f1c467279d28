// The float64 reference kernels (src/kernels/reference.ts) against direct computations from the
// definitions in src/kernels/kernels.ts and the notes, on non-square maps, asymmetric kernels and
// nonzero offsets into larger arrays; then the adjoint identities that make backpropagation correct.
// Everything runs twice: on Float64Array (tolerance 1e-12) and on Float32Array (1e-5), since the
// interface takes both.
import { describe, expect, it } from 'vitest';
import { Act, type Vec } from '../../src/kernels/kernels.js';
import { referenceKernels as R } from '../../src/kernels/reference.js';
import { Rng } from '../../src/util/rng.js';

// ---------------------------------------------------------------------------------------------
// Helpers

interface Precision {
  readonly name: string;
  readonly make: (n: number) => Vec;
  readonly rtol: number;
}
const PRECISIONS: Precision[] = [
  { name: 'Float64Array', make: (n) => new Float64Array(n), rtol: 1e-12 },
  { name: 'Float32Array', make: (n) => new Float32Array(n), rtol: 1e-5 },
];

/** A region [off, off+n) inside a larger array filled with random values; orig keeps the fill. */
interface Buf {
  readonly a: Vec;
  readonly off: number;
  readonly n: number;
  readonly orig: Float64Array;
}

function randomBuf(P: Precision, rng: Rng, n: number, off: number, tail = 5): Buf {
  const a = P.make(off + n + tail);
  for (let i = 0; i < a.length; i++) a[i] = 2 * rng.uniform() - 1;
  return { a, off, n, orig: Float64Array.from(a) };
}

function bufFrom(P: Precision, values: readonly number[], off: number, tail = 3, fill = 0): Buf {
  const a = P.make(off + values.length + tail);
  a.fill(fill);
  a.set(values, off);
  return { a, off, n: values.length, orig: Float64Array.from(a) };
}

/** The region of b as a matrix (what was stored, so float32 rounding is already applied). */
function mat(b: Buf, h: number, w: number): number[][] {
  expect(h * w).toBe(b.n);
  return Array.from({ length: h }, (_, r) => Array.from({ length: w }, (_, c) => b.a[b.off + r * w + c]));
}
function region(b: Buf): number[] {
  return Array.from(b.a.subarray(b.off, b.off + b.n));
}
function origRegion(b: Buf): number[] {
  return Array.from(b.orig.subarray(b.off, b.off + b.n));
}

function expectClose(actual: readonly number[], expected: readonly number[], rtol: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  expect(expected.length, `${label}: empty comparison`).toBeGreaterThan(0);
  let scale = 1;
  for (const e of expected) scale = Math.max(scale, Math.abs(e));
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= rtol * scale)) bad.push(`[${i}] got ${actual[i]}, expected ${expected[i]}`);
  }
  expect(bad.slice(0, 6), `${label}: ${bad.length} mismatches`).toEqual([]);
}

/** Scalars compared relative to a given magnitude (e.g. Σ|a_i b_i| for an inner product). */
function expectNear(actual: number, expected: number, rtol: number, magnitude: number, label: string): void {
  const ok = Math.abs(actual - expected) <= rtol * Math.max(1, magnitude);
  expect(ok, `${label}: ${actual} vs ${expected} (magnitude ${magnitude})`).toBe(true);
}

/** Everything outside the region is bit-for-bit what it was. */
function expectUntouchedOutside(b: Buf, label: string): void {
  const bad: number[] = [];
  for (let i = 0; i < b.a.length; i++) {
    if ((i < b.off || i >= b.off + b.n) && !Object.is(b.a[i], b.orig[i])) bad.push(i);
  }
  expect(bad, `${label}: written outside [${b.off}, ${b.off + b.n})`).toEqual([]);
}

/** An input: not modified anywhere. */
function expectUnchanged(b: Buf, label: string): void {
  const bad: number[] = [];
  for (let i = 0; i < b.a.length; i++) if (!Object.is(b.a[i], b.orig[i])) bad.push(i);
  expect(bad, `${label}: input modified`).toEqual([]);
}

const flat = (m: number[][]): number[] => m.flat();
const add = (a: readonly number[], b: readonly number[]): number[] => a.map((v, i) => v + b[i]);
const rot180 = (m: number[][]): number[][] => m.map((r) => r.slice().reverse()).reverse();
const transpose = (m: number[][]): number[][] => m[0].map((_, c) => m.map((r) => r[c]));
const same = (a: number[][], b: number[][]): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Kernels used in the tests must not be symmetric under any flip, rotation or transpose. */
function expectAsymmetric(k: number[][]): void {
  if (k.length < 2) return;
  const images = {
    fliplr: k.map((r) => r.slice().reverse()),
    flipud: k.slice().reverse(),
    rot180: rot180(k),
    transpose: transpose(k),
    antitranspose: rot180(transpose(k)),
    rot90: transpose(k).reverse(),
  };
  for (const [name, img] of Object.entries(images)) expect(same(img, k), `kernel symmetric under ${name}`).toBe(false);
}

/** MATLAB's conv2 by its definition: C[i][j] = Σ_{m,n} A[m][n]·B[i-m][j-n]; 'valid' is the central part. */
function conv2(A: number[][], B: number[][], shape: 'full' | 'valid'): number[][] {
  const ha = A.length, wa = A[0].length, hb = B.length, wb = B[0].length;
  const full = Array.from({ length: ha + hb - 1 }, (_, i) =>
    Array.from({ length: wa + wb - 1 }, (_, j) => {
      let s = 0;
      for (let m = 0; m < ha; m++) {
        for (let n = 0; n < wa; n++) {
          const r = i - m, c = j - n;
          if (r >= 0 && r < hb && c >= 0 && c < wb) s += A[m][n] * B[r][c];
        }
      }
      return s;
    }));
  if (shape === 'full') return full;
  return Array.from({ length: ha - hb + 1 }, (_, i) => Array.from({ length: wa - wb + 1 }, (_, j) => full[i + hb - 1][j + wb - 1]));
}

function innerProduct(a: readonly number[], b: readonly number[]): { value: number; magnitude: number } {
  expect(a.length).toBe(b.length);
  let value = 0, magnitude = 0;
  for (let i = 0; i < a.length; i++) {
    value += a[i] * b[i];
    magnitude += Math.abs(a[i] * b[i]);
  }
  return { value, magnitude };
}

// (h, w, K) for valid convolutions: non-square maps, K = 1, K equal to one side, K equal to the map.
const VALID_SHAPES: [number, number, number][] = [
  [5, 7, 1], [5, 7, 2], [5, 7, 3], [7, 5, 3], [6, 4, 4], [4, 9, 4], [8, 5, 5], [2, 6, 2], [1, 5, 1], [3, 3, 3], [4, 4, 4], [1, 1, 1],
];
// (h, w, K) of the sensitivity map for full convolutions, K may exceed the map.
const FULL_SHAPES: [number, number, number][] = [
  [3, 5, 1], [3, 5, 2], [5, 3, 3], [4, 2, 3], [2, 3, 4], [1, 1, 3], [5, 4, 5], [1, 6, 2],
];
// (h, w, n) for pooling: h and w multiples of n, non-square, n = 1, n equal to a side or to the map.
const POOL_SHAPES: [number, number, number][] = [
  [4, 6, 2], [6, 4, 2], [6, 9, 3], [3, 5, 1], [2, 4, 2], [3, 6, 3], [8, 4, 4], [2, 2, 2], [5, 5, 5],
];
const SCALES = [1, 0.25, -1.5, 0];

const LECUN_A = 1.7159;
const FORMULAS: Record<Act, (u: number) => number> = {
  [Act.Identity]: (u) => u,
  [Act.Sigmoid]: (u) => 1 / (1 + Math.exp(-u)),
  [Act.Tanh]: (u) => Math.tanh(u),
  [Act.LeCun]: (u) => LECUN_A * Math.tanh((2 * u) / 3),
  [Act.Relu]: (u) => Math.max(u, 0),
};
const ACTS = Object.entries(Act) as [string, Act][];

// ---------------------------------------------------------------------------------------------

it('the reference kernels implement every function of the interface', () => {
  const names = ['convValid', 'convFull', 'kernelGradient', 'downSum', 'downDecimate', 'upSum', 'upDecimate',
    'activate', 'activationBackward', 'gemm', 'axpy', 'addScalar', 'sum', 'dot'] as const;
  for (const n of names) expect(typeof R[n], n).toBe('function');
  expect(R.name).toBe('reference');
  expect(ACTS.map(([n]) => n).sort()).toEqual(['Identity', 'LeCun', 'Relu', 'Sigmoid', 'Tanh']);
});

for (const P of PRECISIONS) {
  const tol = P.rtol;

  describe(`${P.name}: convolution orientation, worked by hand`, () => {
    const X = [1, 2, 3, 4, 5, 6, 7, 8, 9]; // [[1,2,3],[4,5,6],[7,8,9]]
    const K2 = [1, 2, 3, 4]; // [[1,2],[3,4]]

    it("convValid of a 3×3 map with [[1,2],[3,4]] is MATLAB's conv2(x,k,'valid') = [[23,33],[53,63]], not the correlation", () => {
      const x = bufFrom(P, X, 2);
      const k = bufFrom(P, K2, 1);
      const y = bufFrom(P, [0, 0, 0, 0], 3);
      R.convValid(x.a, x.off, 3, 3, k.a, k.off, 2, y.a, y.off);
      expect(region(y)).toEqual([23, 33, 53, 63]);
      // 23 = 1·4 + 2·3 + 4·2 + 5·1: the kernel is flipped (true convolution)
      expect(region(y)).toEqual(flat(conv2(mat(x, 3, 3), mat(k, 2, 2), 'valid')));
      // cross-correlation Σ x[u+p][v+q]·k[p][q] gives [[37,47],[67,77]]: a different answer
      const corr = [0, 1].flatMap((u) => [0, 1].map((v) => {
        let s = 0;
        for (let p = 0; p < 2; p++) for (let q = 0; q < 2; q++) s += X[(u + p) * 3 + v + q] * K2[p * 2 + q];
        return s;
      }));
      expect(corr).toEqual([37, 47, 67, 77]);
      expect(region(y)).not.toEqual(corr);
      // and correlating with k is convolving with rot180(k)
      const kr = bufFrom(P, [4, 3, 2, 1], 0);
      const y2 = bufFrom(P, [0, 0, 0, 0], 0);
      R.convValid(x.a, x.off, 3, 3, kr.a, kr.off, 2, y2.a, y2.off);
      expect(region(y2)).toEqual(corr);
    });

    it("convFull of d = [[1,2]] with [[1,2],[3,4]] is conv2(d, rot180(k), 'full') = [[4,11,6],[2,5,2]]", () => {
      const d = bufFrom(P, [1, 2], 1);
      const k = bufFrom(P, K2, 2);
      const y = bufFrom(P, [0, 0, 0, 0, 0, 0], 1);
      R.convFull(d.a, d.off, 1, 2, k.a, k.off, 2, y.a, y.off);
      expect(region(y)).toEqual([4, 11, 6, 2, 5, 2]);
      expect(region(y)).toEqual(flat(conv2(mat(d, 1, 2), rot180(mat(k, 2, 2)), 'full')));
    });

    it('kernelGradient with a single unit sensitivity at (0,0) returns the rotated patch [[5,4],[2,1]]', () => {
      // ∂y[0][0]/∂k[a][b] = x[1-a][1-b]: k[0][0] met x[1][1] = 5, k[1][1] met x[0][0] = 1
      const x = bufFrom(P, X, 0);
      const d = bufFrom(P, [1, 0, 0, 0], 2);
      const g = bufFrom(P, [0, 0, 0, 0], 1);
      R.kernelGradient(x.a, x.off, 3, 3, d.a, d.off, 2, g.a, g.off);
      expect(region(g)).toEqual([5, 4, 2, 1]);
      // and with d = [[0,0],[0,1]] (output pixel (1,1)) the patch x[1..2][1..2] rotated
      const d2 = bufFrom(P, [0, 0, 0, 1], 0);
      const g2 = bufFrom(P, [0, 0, 0, 0], 0);
      R.kernelGradient(x.a, x.off, 3, 3, d2.a, d2.off, 2, g2.a, g2.off);
      expect(region(g2)).toEqual([9, 8, 6, 5]);
    });

    it('non-square by hand: a 2×3 map with [[1,2],[3,4]] gives conv2 valid [[1·4+2·3+4·2+5·1, 2·4+3·3+5·2+6·1]]', () => {
      const x = bufFrom(P, [1, 2, 3, 4, 5, 6], 0);
      const k = bufFrom(P, K2, 0);
      const y = bufFrom(P, [100, 200], 0);
      R.convValid(x.a, x.off, 2, 3, k.a, k.off, 2, y.a, y.off);
      expect(region(y)).toEqual([100 + 23, 200 + 33]); // accumulates
    });
  });

  describe(`${P.name}: convolutions against the definitions`, () => {
    it.each(VALID_SHAPES)('convValid %i×%i map, %i×%i kernel: y += Σ x[u+p][v+q]·k[K-1-p][K-1-q]', (h, w, K) => {
      const rng = new Rng(h * 100 + w * 10 + K);
      const oh = h - K + 1, ow = w - K + 1;
      const x = randomBuf(P, rng, h * w, 3);
      const k = randomBuf(P, rng, K * K, 2);
      const y = randomBuf(P, rng, oh * ow, 5);
      const X = mat(x, h, w), Km = mat(k, K, K);
      expectAsymmetric(Km);
      R.convValid(x.a, x.off, h, w, k.a, k.off, K, y.a, y.off);
      const direct: number[] = [];
      for (let u = 0; u < oh; u++) {
        for (let v = 0; v < ow; v++) {
          let s = 0;
          for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) s += X[u + p][v + q] * Km[K - 1 - p][K - 1 - q];
          direct.push(s);
        }
      }
      expectClose(region(y), add(origRegion(y), direct), tol, 'convValid vs definition');
      expectClose(region(y), add(origRegion(y), flat(conv2(X, Km, 'valid'))), tol, "convValid vs conv2 'valid'");
      expectUntouchedOutside(y, 'y');
      expectUnchanged(x, 'x');
      expectUnchanged(k, 'k');
    });

    it.each(FULL_SHAPES)("convFull %i×%i sensitivities, %i×%i kernel: y += conv2(d, rot180(k), 'full')", (h, w, K) => {
      const rng = new Rng(7000 + h * 100 + w * 10 + K);
      const yh = h + K - 1, yw = w + K - 1;
      const d = randomBuf(P, rng, h * w, 4);
      const k = randomBuf(P, rng, K * K, 1);
      const y = randomBuf(P, rng, yh * yw, 6);
      const D = mat(d, h, w), Km = mat(k, K, K);
      expectAsymmetric(Km);
      R.convFull(d.a, d.off, h, w, k.a, k.off, K, y.a, y.off);
      // scatter form: d[u][v] reaches y[u+p][v+q] through k[K-1-p][K-1-q] (∂ of the convValid definition)
      const scatter = Array.from({ length: yh }, () => new Array<number>(yw).fill(0));
      for (let u = 0; u < h; u++) {
        for (let v = 0; v < w; v++) {
          for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) scatter[u + p][v + q] += D[u][v] * Km[K - 1 - p][K - 1 - q];
        }
      }
      expectClose(region(y), add(origRegion(y), flat(scatter)), tol, 'convFull vs scatter');
      expectClose(region(y), add(origRegion(y), flat(conv2(D, rot180(Km), 'full'))), tol, "convFull vs conv2 'full'");
      expectUntouchedOutside(y, 'y');
      expectUnchanged(d, 'd');
      expectUnchanged(k, 'k');
    });

    it.each(VALID_SHAPES)('kernelGradient %i×%i map, %i×%i kernel: g[a][b] += Σ d[u][v]·x[u+K-1-a][v+K-1-b]', (h, w, K) => {
      const rng = new Rng(9000 + h * 100 + w * 10 + K);
      const oh = h - K + 1, ow = w - K + 1;
      const x = randomBuf(P, rng, h * w, 2);
      const d = randomBuf(P, rng, oh * ow, 3);
      const g = randomBuf(P, rng, K * K, 4);
      const X = mat(x, h, w), D = mat(d, oh, ow);
      R.kernelGradient(x.a, x.off, h, w, d.a, d.off, K, g.a, g.off);
      const direct: number[] = [];
      for (let a = 0; a < K; a++) {
        for (let b = 0; b < K; b++) {
          let s = 0;
          for (let u = 0; u < oh; u++) for (let v = 0; v < ow; v++) s += D[u][v] * X[u + K - 1 - a][v + K - 1 - b];
          direct.push(s);
        }
      }
      expectClose(region(g), add(origRegion(g), direct), tol, 'kernelGradient vs definition');
      const notes = rot180(conv2(X, rot180(D), 'valid')); // §3.1.1 in MATLAB terms
      expectClose(region(g), add(origRegion(g), flat(notes)), tol, "kernelGradient vs rot180(conv2(x, rot180(d), 'valid'))");
      expectUntouchedOutside(g, 'g');
      expectUnchanged(x, 'x');
      expectUnchanged(d, 'd');
    });

    it('convolution kernels accumulate: calling twice adds twice', () => {
      const rng = new Rng(31);
      const [h, w, K] = [6, 4, 3];
      const x = randomBuf(P, rng, h * w, 1);
      const k = randomBuf(P, rng, K * K, 1);
      const y1 = bufFrom(P, new Array<number>((h - K + 1) * (w - K + 1)).fill(0), 2);
      const y2 = bufFrom(P, new Array<number>((h - K + 1) * (w - K + 1)).fill(0), 2);
      R.convValid(x.a, x.off, h, w, k.a, k.off, K, y1.a, y1.off);
      R.convValid(x.a, x.off, h, w, k.a, k.off, K, y2.a, y2.off);
      R.convValid(x.a, x.off, h, w, k.a, k.off, K, y2.a, y2.off);
      expectClose(region(y2), region(y1).map((v) => 2 * v), tol, 'convValid twice');
      const g1 = bufFrom(P, new Array<number>(K * K).fill(0), 0);
      const g2 = bufFrom(P, new Array<number>(K * K).fill(0), 0);
      R.kernelGradient(x.a, x.off, h, w, y1.a, y1.off, K, g1.a, g1.off);
      R.kernelGradient(x.a, x.off, h, w, y1.a, y1.off, K, g2.a, g2.off);
      R.kernelGradient(x.a, x.off, h, w, y1.a, y1.off, K, g2.a, g2.off);
      expectClose(region(g2), region(g1).map((v) => 2 * v), tol, 'kernelGradient twice');
      const f1 = bufFrom(P, new Array<number>(h * w).fill(0), 0);
      const f2 = bufFrom(P, new Array<number>(h * w).fill(0), 0);
      R.convFull(y1.a, y1.off, h - K + 1, w - K + 1, k.a, k.off, K, f1.a, f1.off);
      R.convFull(y1.a, y1.off, h - K + 1, w - K + 1, k.a, k.off, K, f2.a, f2.off);
      R.convFull(y1.a, y1.off, h - K + 1, w - K + 1, k.a, k.off, K, f2.a, f2.off);
      expectClose(region(f2), region(f1).map((v) => 2 * v), tol, 'convFull twice');
    });
  });

  describe(`${P.name}: adjoint identities (what makes the backward pass correct)`, () => {
    it.each(VALID_SHAPES)('⟨convValid(x,k), d⟩ = ⟨x, convFull(d,k)⟩ = ⟨k, kernelGradient(x,d)⟩ for %i×%i, K=%i', (h, w, K) => {
      const rng = new Rng(500 + h * 100 + w * 10 + K);
      const oh = h - K + 1, ow = w - K + 1;
      const x = randomBuf(P, rng, h * w, 1);
      const k = randomBuf(P, rng, K * K, 2);
      const d = randomBuf(P, rng, oh * ow, 3);
      const y = bufFrom(P, new Array<number>(oh * ow).fill(0), 4);
      const dx = bufFrom(P, new Array<number>(h * w).fill(0), 2);
      const dk = bufFrom(P, new Array<number>(K * K).fill(0), 1);
      R.convValid(x.a, x.off, h, w, k.a, k.off, K, y.a, y.off);
      R.convFull(d.a, d.off, oh, ow, k.a, k.off, K, dx.a, dx.off);
      R.kernelGradient(x.a, x.off, h, w, d.a, d.off, K, dk.a, dk.off);
      const lhs = innerProduct(region(y), region(d));
      const viaX = innerProduct(region(x), region(dx));
      const viaK = innerProduct(region(k), region(dk));
      const magnitude = Math.max(lhs.magnitude, viaX.magnitude, viaK.magnitude) * K * K;
      expectNear(viaX.value, lhs.value, tol, magnitude, '⟨x, convFull(d,k)⟩');
      expectNear(viaK.value, lhs.value, tol, magnitude, '⟨k, kernelGradient(x,d)⟩');
      expect(Math.abs(lhs.value)).toBeGreaterThan(0); // not a vacuous 0 = 0
    });

    it.each(POOL_SHAPES)('⟨downSum(x), d⟩ = ⟨x, upSum(d, s=1)⟩ and likewise for decimation, %i×%i, n=%i', (h, w, n) => {
      const rng = new Rng(600 + h * 100 + w * 10 + n);
      const oh = h / n, ow = w / n;
      const x = randomBuf(P, rng, h * w, 2);
      const d = randomBuf(P, rng, oh * ow, 1);
      const ys = randomBuf(P, rng, oh * ow, 3);
      const yd = randomBuf(P, rng, oh * ow, 3);
      const us = randomBuf(P, rng, h * w, 1);
      const ud = randomBuf(P, rng, h * w, 1);
      R.downSum(x.a, x.off, h, w, n, ys.a, ys.off);
      R.upSum(d.a, d.off, oh, ow, n, 1, us.a, us.off);
      R.downDecimate(x.a, x.off, h, w, n, yd.a, yd.off);
      R.upDecimate(d.a, d.off, oh, ow, n, 1, ud.a, ud.off);
      const sumL = innerProduct(region(ys), region(d));
      const sumR = innerProduct(region(x), region(us));
      expectNear(sumR.value, sumL.value, tol, Math.max(sumL.magnitude, sumR.magnitude), 'sum pooling');
      const decL = innerProduct(region(yd), region(d));
      const decR = innerProduct(region(x), region(ud));
      expectNear(decR.value, decL.value, tol, Math.max(decL.magnitude, decR.magnitude), 'decimation');
    });

    it.each(POOL_SHAPES)('upSum and upDecimate scale linearly in s, %i×%i, n=%i', (h, w, n) => {
      const rng = new Rng(700 + h * 100 + w * 10 + n);
      const d = randomBuf(P, rng, h * w, 2);
      const one = randomBuf(P, rng, h * w * n * n, 1);
      const oneDec = randomBuf(P, rng, h * w * n * n, 1);
      R.upSum(d.a, d.off, h, w, n, 1, one.a, one.off);
      R.upDecimate(d.a, d.off, h, w, n, 1, oneDec.a, oneDec.off);
      for (const s of SCALES) {
        const ys = randomBuf(P, rng, h * w * n * n, 3);
        const yd = randomBuf(P, rng, h * w * n * n, 3);
        R.upSum(d.a, d.off, h, w, n, s, ys.a, ys.off);
        R.upDecimate(d.a, d.off, h, w, n, s, yd.a, yd.off);
        expectClose(region(ys), region(one).map((v) => s * v), tol, `upSum s=${s}`);
        expectClose(region(yd), region(oneDec).map((v) => s * v), tol, `upDecimate s=${s}`);
      }
    });
  });

  describe(`${P.name}: subsampling against the definitions`, () => {
    it.each(POOL_SHAPES)('downSum %i×%i, n=%i: y[a][b] = Σ of the n×n block (overwrite)', (h, w, n) => {
      const rng = new Rng(800 + h * 100 + w * 10 + n);
      const oh = h / n, ow = w / n;
      const x = randomBuf(P, rng, h * w, 3);
      const y = randomBuf(P, rng, oh * ow, 2);
      const X = mat(x, h, w);
      R.downSum(x.a, x.off, h, w, n, y.a, y.off);
      const direct: number[] = [];
      for (let a = 0; a < oh; a++) {
        for (let b = 0; b < ow; b++) {
          let s = 0;
          for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) s += X[a * n + r][b * n + c];
          direct.push(s);
        }
      }
      expectClose(region(y), direct, tol, 'downSum');
      // MATLAB trick of §3.4: conv2 with ones(n), then every n-th sample starting at n
      const ones = Array.from({ length: n }, () => new Array<number>(n).fill(1));
      const c = conv2(X, ones, 'valid');
      expectClose(region(y), direct.map((_, i) => c[Math.floor(i / ow) * n][(i % ow) * n]), tol, 'downSum vs conv2(x, ones)');
      expectUntouchedOutside(y, 'y');
      expectUnchanged(x, 'x');
    });

    it.each(POOL_SHAPES)('downDecimate %i×%i, n=%i: y[a][b] = x[n·a][n·b] (overwrite)', (h, w, n) => {
      const rng = new Rng(900 + h * 100 + w * 10 + n);
      const oh = h / n, ow = w / n;
      const x = randomBuf(P, rng, h * w, 1);
      const y = randomBuf(P, rng, oh * ow, 4);
      const X = mat(x, h, w);
      R.downDecimate(x.a, x.off, h, w, n, y.a, y.off);
      const direct: number[] = [];
      for (let a = 0; a < oh; a++) for (let b = 0; b < ow; b++) direct.push(X[n * a][n * b]);
      expect(region(y)).toEqual(direct); // a copy: exact
      expectUntouchedOutside(y, 'y');
      expectUnchanged(x, 'x');
    });

    it.each(POOL_SHAPES)('upSum %i×%i, n=%i: y = s·(d ⊗ 1_{n×n}) (overwrite)', (h, w, n) => {
      const rng = new Rng(1100 + h * 100 + w * 10 + n);
      const d = randomBuf(P, rng, h * w, 2);
      const D = mat(d, h, w);
      for (const s of SCALES) {
        const y = randomBuf(P, rng, h * n * w * n, 3);
        R.upSum(d.a, d.off, h, w, n, s, y.a, y.off);
        // Kronecker product by its definition: (D ⊗ J)[i][j] = D[i div n][j div n]·J[i mod n][j mod n]
        const direct: number[] = [];
        for (let i = 0; i < h * n; i++) for (let j = 0; j < w * n; j++) direct.push(s * D[Math.floor(i / n)][Math.floor(j / n)] * 1);
        expectClose(region(y), direct, tol, `upSum s=${s}`);
        expectUntouchedOutside(y, `upSum s=${s}`);
      }
      expectUnchanged(d, 'd');
    });

    it.each(POOL_SHAPES)('upDecimate %i×%i, n=%i: y = s·d at every n-th sample, 0 elsewhere (overwrite)', (h, w, n) => {
      const rng = new Rng(1200 + h * 100 + w * 10 + n);
      const d = randomBuf(P, rng, h * w, 1);
      const D = mat(d, h, w);
      for (const s of SCALES) {
        const y = randomBuf(P, rng, h * n * w * n, 2);
        R.upDecimate(d.a, d.off, h, w, n, s, y.a, y.off);
        const direct: number[] = [];
        for (let i = 0; i < h * n; i++) {
          for (let j = 0; j < w * n; j++) direct.push(i % n === 0 && j % n === 0 ? s * D[i / n][j / n] : 0);
        }
        expectClose(region(y), direct, tol, `upDecimate s=${s}`);
        expectUntouchedOutside(y, `upDecimate s=${s}`);
      }
      expectUnchanged(d, 'd');
    });

    it('overwrite kernels give the same result when called twice', () => {
      const rng = new Rng(41);
      const x = randomBuf(P, rng, 24, 1);
      const y = randomBuf(P, rng, 6, 1);
      R.downSum(x.a, x.off, 4, 6, 2, y.a, y.off);
      const once = region(y);
      R.downSum(x.a, x.off, 4, 6, 2, y.a, y.off);
      expect(region(y)).toEqual(once);
      const u = randomBuf(P, rng, 24, 0);
      R.upSum(y.a, y.off, 2, 3, 2, 0.5, u.a, u.off);
      const up1 = region(u);
      R.upSum(y.a, y.off, 2, 3, 2, 0.5, u.a, u.off);
      expect(region(u)).toEqual(up1);
      R.upDecimate(y.a, y.off, 2, 3, 2, 0.5, u.a, u.off);
      const dec1 = region(u);
      R.upDecimate(y.a, y.off, 2, 3, 2, 0.5, u.a, u.off);
      expect(region(u)).toEqual(dec1);
    });
  });

  describe(`${P.name}: activations`, () => {
    // u values: a grid, exact zero, and large magnitudes where exp/tanh saturate
    const grid = [...Array.from({ length: 81 }, (_, i) => -8 + i * 0.2), 0, 1, -1, 30, -30, 700, -700, 1e-9, -1e-9];

    it.each(ACTS)('activate %s matches its formula, with offsets, leaving the rest untouched', (name, act) => {
      const rng = new Rng(50 + act);
      const u = bufFrom(P, grid, 4, 3, 0.123);
      const x = randomBuf(P, rng, grid.length, 7);
      R.activate(act, u.a, u.off, grid.length, x.a, x.off);
      const want = region(u).map(FORMULAS[act]);
      expectClose(region(x), want, tol, name);
      expect(region(x).every(Number.isFinite), `${name} finite`).toBe(true);
      expectUntouchedOutside(x, name);
      expectUnchanged(u, 'u');
    });

    it.each(ACTS)('activate %s in place (u and x the same array, same offset)', (name, act) => {
      const u = bufFrom(P, grid, 3, 4, -0.5);
      const want = region(u).map(FORMULAS[act]);
      R.activate(act, u.a, u.off, grid.length, u.a, u.off);
      expectClose(region(u), want, tol, `${name} in place`);
      expectUntouchedOutside(u, `${name} in place`);
    });

    it.each(ACTS)('activate %s within one array from one region into another', (name, act) => {
      const n = 10;
      const a = P.make(3 * n);
      for (let i = 0; i < a.length; i++) a[i] = -2 + 0.15 * i;
      const orig = Array.from(a);
      R.activate(act, a, 0, n, a, 2 * n);
      expectClose(Array.from(a.subarray(2 * n)), orig.slice(0, n).map(FORMULAS[act]), tol, name);
      expect(Array.from(a.subarray(0, 2 * n))).toEqual(orig.slice(0, 2 * n));
    });

    it('known values: σ(0) = ½, σ(±700) = 1/0, tanh(0) = 0, LeCun f(±1) ≈ ±1, relu(-3) = 0', () => {
      const u = bufFrom(P, [0, 700, -700, 1, -1, -3, 2.5], 0);
      const x = P.make(7);
      R.activate(Act.Sigmoid, u.a, 0, 3, x, 0);
      expect([x[0], x[1]]).toEqual([0.5, 1]);
      expect(x[2]).toBeGreaterThanOrEqual(0); // 1/(1+e^700) ≈ 1e-304 in float64, 0 in float32
      expect(x[2]).toBeLessThan(1e-300);
      R.activate(Act.Tanh, u.a, 0, 1, x, 0);
      expect(x[0]).toBe(0);
      R.activate(Act.LeCun, u.a, 3, 2, x, 3);
      expect(Math.abs(x[3] - 1)).toBeLessThan(1e-4);
      expect(Math.abs(x[4] + 1)).toBeLessThan(1e-4);
      R.activate(Act.Relu, u.a, 5, 2, x, 5);
      expect([x[5], x[6]]).toEqual([0, 2.5]);
    });

    it('count 0 writes nothing', () => {
      for (const [, act] of ACTS) {
        const x = randomBuf(P, new Rng(3), 0, 4);
        R.activate(act, x.a, 0, 0, x.a, x.off);
        expectUnchanged(x, 'activate count 0');
        R.activationBackward(act, x.a, 0, 0, x.a, x.off);
        expectUnchanged(x, 'activationBackward count 0');
      }
    });

    // The backward pass sees only x = f(u); f'(u) from a central difference of the formula.
    const smooth = Array.from({ length: 121 }, (_, i) => -6 + i * 0.1);
    it.each(ACTS)("activationBackward %s: g ← g·f'(u), f' from x = f(u), against a central difference", (name, act) => {
      const rng = new Rng(60 + act);
      // relu away from its kink at 0
      const us = act === Act.Relu ? smooth.filter((u) => Math.abs(u) > 0.05) : smooth;
      const u = bufFrom(P, us, 2, 2, 0);
      const x = randomBuf(P, rng, us.length, 5);
      R.activate(act, u.a, u.off, us.length, x.a, x.off);
      const xSnapshot: Buf = { ...x, orig: Float64Array.from(x.a) };
      const g = randomBuf(P, rng, us.length, 3);
      const g0 = origRegion(g);
      R.activationBackward(act, x.a, x.off, us.length, g.a, g.off);
      const f = FORMULAS[act];
      const h = 1e-5;
      const want = region(u).map((v, i) => g0[i] * ((f(v + h) - f(v - h)) / (2 * h)));
      expectClose(region(g), want, Math.max(tol, 1e-8), name);
      expectUntouchedOutside(g, name);
      expectUnchanged(xSnapshot, 'x');
    });

    it('activationBackward at the saturated ends and the relu kink', () => {
      const u = bufFrom(P, [0, -2, 3, 0.5], 0);
      const x = P.make(4);
      R.activate(Act.Relu, u.a, 0, 4, x, 0);
      const g = bufFrom(P, [1.5, 2, -3, 4], 0);
      R.activationBackward(Act.Relu, x, 0, 4, g.a, 0);
      expect(region(g)).toEqual([0, 0, -3, 4]); // f'(0) taken as 0
      // identity: g unchanged, bit for bit
      const gi = bufFrom(P, [1.25, -7, 3], 1);
      R.activationBackward(Act.Identity, gi.a, gi.off, 3, gi.a, gi.off);
      expect(region(gi)).toEqual([1.25, -7, 3]);
      // σ'(0) = ¼, tanh'(0) = 1, LeCun'(0) = 1.7159·⅔
      const half = bufFrom(P, [0.5], 0);
      const gs = bufFrom(P, [2], 0);
      R.activationBackward(Act.Sigmoid, half.a, 0, 1, gs.a, 0);
      expect(gs.a[0]).toBe(0.5);
      const zero = bufFrom(P, [0], 0);
      const gt = bufFrom(P, [3], 0);
      R.activationBackward(Act.Tanh, zero.a, 0, 1, gt.a, 0);
      expect(gt.a[0]).toBe(3);
      const gl = bufFrom(P, [1], 0);
      R.activationBackward(Act.LeCun, zero.a, 0, 1, gl.a, 0);
      expect(Math.abs(gl.a[0] - (LECUN_A * 2) / 3)).toBeLessThan(tol * 2);
    });

    it('activationBackward in place on x itself (g and x the same region) gives x·f\'(u)', () => {
      const us = [-1.5, -0.3, 0.2, 0.9, 2];
      for (const [name, act] of ACTS) {
        const a = P.make(us.length);
        a.set(us);
        R.activate(act, a, 0, us.length, a, 0);
        const x = Array.from(a);
        const deriv = us.map((v) => (FORMULAS[act](v + 1e-5) - FORMULAS[act](v - 1e-5)) / 2e-5);
        R.activationBackward(act, a, 0, us.length, a, 0);
        expectClose(Array.from(a), x.map((v, i) => v * deriv[i]), Math.max(tol, 1e-8), name);
      }
    });
  });

  describe(`${P.name}: gemm against a naive triple loop`, () => {
    const shapes: [number, number, number][] = [[3, 5, 4], [5, 3, 2], [1, 6, 3], [6, 1, 3], [4, 2, 1], [1, 1, 1], [2, 7, 9]];
    const coeffs = [0, 1, -0.7];
    const cases = shapes.flatMap(([M, N, K]) =>
      [false, true].flatMap((tA) => [false, true].map((tB) => [M, N, K, tA, tB] as [number, number, number, boolean, boolean])));

    it.each(cases)('M=%i N=%i K=%i transA=%s transB=%s, alpha and beta in {0, 1, -0.7}', (M, N, K, transA, transB) => {
      const rng = new Rng(M * 1000 + N * 100 + K * 10 + (transA ? 2 : 0) + (transB ? 1 : 0));
      const A = randomBuf(P, rng, M * K, 3);
      const B = randomBuf(P, rng, K * N, 2);
      const opA = (m: number, k: number) => (transA ? A.a[A.off + k * M + m] : A.a[A.off + m * K + k]);
      const opB = (k: number, n: number) => (transB ? B.a[B.off + n * K + k] : B.a[B.off + k * N + n]);
      for (const alpha of coeffs) {
        for (const beta of coeffs) {
          const C = randomBuf(P, rng, M * N, 4);
          const C0 = origRegion(C);
          R.gemm(transA, transB, M, N, K, alpha, A.a, A.off, B.a, B.off, beta, C.a, C.off);
          const want: number[] = [];
          for (let m = 0; m < M; m++) {
            for (let n = 0; n < N; n++) {
              let s = 0;
              for (let k = 0; k < K; k++) s += opA(m, k) * opB(k, n);
              want.push(alpha * s + beta * C0[m * N + n]);
            }
          }
          const label = `alpha=${alpha} beta=${beta}`;
          expectClose(region(C), want, tol, label);
          expectUntouchedOutside(C, label);
        }
      }
      expectUnchanged(A, 'A');
      expectUnchanged(B, 'B');
    });

    it('transA and transB really read the transposed layouts (non-square, distinct results)', () => {
      // A stored 2×3 = [[1,2,3],[4,5,6]]; as op(A) with transA it is the 3×2 matrix [[1,4],[2,5],[3,6]]
      const A = bufFrom(P, [1, 2, 3, 4, 5, 6], 1);
      const B = bufFrom(P, [1, 0, -1, 2], 2); // [[1,0],[-1,2]]
      const C = bufFrom(P, new Array<number>(6).fill(9), 0);
      R.gemm(true, false, 3, 2, 2, 1, A.a, A.off, B.a, B.off, 0, C.a, C.off);
      // [[1,4],[2,5],[3,6]]·[[1,0],[-1,2]] = [[-3,8],[-3,10],[-3,12]]
      expect(region(C)).toEqual([-3, 8, -3, 10, -3, 12]);
      R.gemm(true, true, 3, 2, 2, 1, A.a, A.off, B.a, B.off, 0, C.a, C.off);
      // ·[[1,-1],[0,2]] = [[1,7],[2,8],[3,9]]
      expect(region(C)).toEqual([1, 7, 2, 8, 3, 9]);
      // no transposes: [[1,2,3],[4,5,6]]ᵀ-free product with a 3×1 B
      const b3 = bufFrom(P, [1, -1, 2], 0);
      const c2 = bufFrom(P, [5, 5], 1);
      R.gemm(false, false, 2, 1, 3, 2, A.a, A.off, b3.a, b3.off, 1, c2.a, c2.off);
      expect(region(c2)).toEqual([5 + 2 * 5, 5 + 2 * 11]);
    });

    it('beta = 0 overwrites C even when it holds NaN or Infinity (BLAS convention; C may be uninitialised)', () => {
      const rng = new Rng(77);
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const [M, N, K] = [3, 4, 2];
        const A = randomBuf(P, rng, M * K, 0);
        const B = randomBuf(P, rng, K * N, 0);
        const C = bufFrom(P, [NaN, Infinity, -Infinity, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN], 2, 2, NaN);
        R.gemm(transA, transB, M, N, K, 1, A.a, 0, B.a, 0, 0, C.a, C.off);
        expect(region(C).every(Number.isFinite), `transA=${transA} transB=${transB}`).toBe(true);
        expectUntouchedOutside(C, 'C');
      }
    });
  });

  describe(`${P.name}: vector kernels`, () => {
    it('axpy: y[i] += a·x[i] over exactly n elements, for a in {0, 1, -2.5}', () => {
      const rng = new Rng(81);
      for (const n of [0, 1, 7, 20]) {
        for (const alpha of [0, 1, -2.5]) {
          const x = randomBuf(P, rng, n, 3);
          const y = randomBuf(P, rng, n, 5);
          R.axpy(n, alpha, x.a, x.off, y.a, y.off);
          if (n > 0) expectClose(region(y), origRegion(y).map((v, i) => v + alpha * x.a[x.off + i]), tol, `axpy n=${n} a=${alpha}`);
          expectUntouchedOutside(y, 'y');
          expectUnchanged(x, 'x');
        }
      }
    });

    it('axpy within one array (x and y disjoint regions of the same buffer)', () => {
      const a = P.make(10);
      for (let i = 0; i < 10; i++) a[i] = i;
      R.axpy(4, 2, a, 0, a, 5);
      expect(Array.from(a)).toEqual([0, 1, 2, 3, 4, 5, 8, 11, 14, 9]);
    });

    it('addScalar: y[i] += a over exactly n elements', () => {
      const rng = new Rng(83);
      for (const n of [0, 1, 9]) {
        for (const alpha of [0, 1, -0.375]) {
          const y = randomBuf(P, rng, n, 2);
          R.addScalar(n, alpha, y.a, y.off);
          if (n > 0) expectClose(region(y), origRegion(y).map((v) => v + alpha), tol, `addScalar n=${n} a=${alpha}`);
          expectUntouchedOutside(y, 'y');
        }
      }
      const z = bufFrom(P, [1, 2, 3], 1, 1, 100);
      R.addScalar(3, 0.5, z.a, z.off);
      expect(Array.from(z.a)).toEqual([100, 1.5, 2.5, 3.5, 100]);
    });

    it('sum: Σ x over exactly [xo, xo+n)', () => {
      const rng = new Rng(85);
      for (const n of [1, 2, 13, 100]) {
        const x = randomBuf(P, rng, n, 4);
        const want = region(x).reduce((s, v) => s + v, 0);
        const mag = region(x).reduce((s, v) => s + Math.abs(v), 0);
        expectNear(R.sum(x.a, x.off, n), want, tol, mag, `sum n=${n}`);
        expectUnchanged(x, 'x');
      }
      expect(R.sum(P.make(5).fill(1), 2, 0)).toBe(0);
      const x = bufFrom(P, [1, 2, 3, 4], 2, 2, 1000);
      expect(R.sum(x.a, 2, 4)).toBe(10);
      expect(R.sum(x.a, 3, 2)).toBe(5);
    });

    it('dot: Σ a[i]·b[i] with independent offsets', () => {
      const rng = new Rng(87);
      for (const n of [1, 3, 16, 100]) {
        const a = randomBuf(P, rng, n, 2);
        const b = randomBuf(P, rng, n, 7);
        const { value, magnitude } = innerProduct(region(a), region(b));
        expectNear(R.dot(n, a.a, a.off, b.a, b.off), value, tol, magnitude, `dot n=${n}`);
        expectUnchanged(a, 'a');
        expectUnchanged(b, 'b');
      }
      expect(R.dot(0, P.make(3).fill(1), 0, P.make(3).fill(1), 0)).toBe(0);
      const v = bufFrom(P, [1, 2, 3, 4, 5, 6], 1, 1, 1000);
      expect(R.dot(3, v.a, 1, v.a, 4)).toBe(1 * 4 + 2 * 5 + 3 * 6); // one array, two regions
      expect(R.dot(2, v.a, 2, v.a, 2)).toBe(4 + 9);
    });
  });
}

describe('Float32Array and Float64Array agree', () => {
  it('every kernel gives the float64 answer within 1e-5 on float32 copies of the same data', () => {
    const rng = new Rng(123);
    const [h, w, K, n] = [8, 6, 3, 2];
    const src = Array.from({ length: 200 }, () => 2 * rng.uniform() - 1);
    const f32 = Float32Array.from(src);
    const data = Array.from(f32); // the float32 values, so both runs see identical inputs
    const run = (make: (n: number) => Vec) => {
      const a = make(200);
      a.set(data);
      const out: number[] = [];
      const y = make((h - K + 1) * (w - K + 1));
      R.convValid(a, 0, h, w, a, 60, K, y, 0);
      out.push(...y);
      const f = make(h * w);
      R.convFull(a, 80, h - K + 1, w - K + 1, a, 60, K, f, 0);
      out.push(...f);
      const g = make(K * K);
      R.kernelGradient(a, 0, h, w, a, 80, K, g, 0);
      out.push(...g);
      const ds = make((h / n) * (w / n));
      R.downSum(a, 0, h, w, n, ds, 0);
      out.push(...ds);
      const us = make(h * w);
      R.upSum(a, 100, h / n, w / n, n, 0.3, us, 0);
      out.push(...us);
      const act = make(40);
      R.activate(Act.LeCun, a, 120, 40, act, 0);
      R.activationBackward(Act.LeCun, act, 0, 40, act, 0);
      out.push(...act);
      const c = make(12);
      R.gemm(true, true, 3, 4, 5, 0.9, a, 0, a, 30, 0, c, 0);
      out.push(...c);
      out.push(R.dot(50, a, 0, a, 50), R.sum(a, 10, 90));
      return out;
    };
    const r64 = run((k) => new Float64Array(k));
    const r32 = run((k) => new Float32Array(k));
    expectClose(r32, r64, 1e-5, 'float32 vs float64');
  });
});
