// The Winograd tile transforms as straight-line AssemblyScript: scripts/build-wasm.mjs writes what
// winogradTransformSource() returns to assembly/generated/winograd-transforms.ts before compiling, so the
// matrices of winograd.ts are the one source of the coefficients. A transform read from memory spends
// a load, a test and a multiply on every entry, zeros and ones included; written out, it spends only
// the nonzero entries, and ±1 costs an add or a subtract.
//
// Each 2-D transform is two passes of one 1-D transform y = P·x over four tiles at once (v128 values):
// along the rows of the tile, then along the columns of the result.
//   input        V  = Bᵀ d B     (α×α → α×α)   1-D: y_b = Σ_d Bᵀ[b][d] x_d
//   output       Y  = Aᵀ M A     (α×α → m×m)   1-D: y_i = Σ_d Aᵀ[i][d] x_d
//   sensitivity  dM = A δ Aᵀ     (m×m → α×α)   1-D: y_a = Σ_c Aᵀ[c][a] x_c
//   input grad   ∂d = B ∂V Bᵀ    (α×α → α×α)   1-D: y_a = Σ_c Bᵀ[c][a] x_c
//   kernels      U  = G g Gᵀ     (K×K → α×α)   1-D: y_a = Σ_p G[a][p] x_p
//   kernel grad  ∂g = Gᵀ ∂U G    (α×α → K×K)   1-D: y_p = Σ_a G[a][p] x_a

import { MAX_WINOGRAD_ALPHA, winogradTransforms } from './winograd.js';

/** The smallest α with transforms (F(2, 2)). */
const MIN_ALPHA = 3;

/** One term of a sum: weight times a value's name. */
type Term = { w: number; v: string };

/** Σ w·v as one expression: ±1 costs an add or a subtract, other weights a (fused) multiply-add. */
function sumOf(terms: Term[]): string {
  let e = '';
  for (const { w, v } of terms) {
    if (e === '') e = w === 1 ? v : w === -1 ? `f32x4.neg(${v})` : `f32x4.mul(f32x4.splat(<f32>${w}), ${v})`;
    else e = w === 1 ? `f32x4.add(${e}, ${v})` : w === -1 ? `f32x4.sub(${e}, ${v})` : `madd(f32x4.splat(<f32>${w}), ${v}, ${e})`;
  }
  return e === '' ? 'f32x4.splat(0)' : e;
}

/** Whether a and b have the same magnitudes where either is nonzero (a sign pattern may tell them apart). */
function sameMagnitudes(a: number[], b: number[]): boolean {
  return a.every((w, k) => Math.abs(w) === Math.abs(b[k])) && a.some((w) => w !== 0);
}

/**
 * y = P x as statements: P rows×cols (entries rounded to float32), inputs x0… loaded from src + k·ss,
 * outputs stored at dst + k·ds. The points come in pairs ±p, which gives P pairs of columns (or rows)
 * equal up to sign: for those it adds and subtracts the two inputs once (x_c ± x_c') and splits a pair of
 * rows into their even and odd parts (y_r = E + O, y_r' = E − O), about halving the multiply-adds.
 */
function oneD(name: string, P: Float64Array, rows: number, cols: number, transpose: boolean): string {
  const at = (r: number, c: number): number => Math.fround(transpose ? P[c * rows + r] : P[r * cols + c]);
  const column = (c: number): number[] => Array.from({ length: rows }, (_, r) => at(r, c));
  const lines = [`// @ts-ignore: decorator`, `@inline function ${name}(src: usize, ss: usize, dst: usize, ds: usize): void {`];
  for (let c = 0; c < cols; c++) lines.push(`  const x${c} = v128.load(src + ${c} * ss);`);
  // the inputs as the rows see them: x_c, or the sum or difference of a pair of columns
  const inputs: { name: string; weights: number[] }[] = [];
  const paired = new Set<number>();
  for (let c = 0; c < cols; c++) {
    if (paired.has(c)) continue;
    const a = column(c);
    let partner = -1;
    for (let d = c + 1; d < cols && partner < 0; d++) if (!paired.has(d) && sameMagnitudes(a, column(d))) partner = d;
    if (partner < 0) {
      inputs.push({ name: `x${c}`, weights: a });
      continue;
    }
    paired.add(partner);
    const b = column(partner);
    // row r takes a_r x_c + b_r x_d = a_r (x_c ± x_d)
    const plus = a.map((w, r) => (w !== 0 && b[r] === w ? w : 0));
    const minus = a.map((w, r) => (w !== 0 && b[r] === -w ? w : 0));
    if (plus.some((w) => w !== 0)) {
      lines.push(`  const s${c}_${partner} = f32x4.add(x${c}, x${partner});`);
      inputs.push({ name: `s${c}_${partner}`, weights: plus });
    }
    if (minus.some((w) => w !== 0)) {
      lines.push(`  const d${c}_${partner} = f32x4.sub(x${c}, x${partner});`);
      inputs.push({ name: `d${c}_${partner}`, weights: minus });
    }
  }
  const rowTerms = (r: number): Term[] => inputs.filter((i) => i.weights[r] !== 0).map((i) => ({ w: i.weights[r], v: i.name }));
  const done = new Set<number>();
  for (let r = 0; r < rows; r++) {
    if (done.has(r)) continue;
    const mine = inputs.map((i) => i.weights[r]);
    let partner = -1;
    for (let q = r + 1; q < rows && partner < 0; q++) {
      if (!done.has(q) && sameMagnitudes(mine, inputs.map((i) => i.weights[q])) && inputs.some((i) => i.weights[q] !== 0 && i.weights[q] === -i.weights[r])) partner = q;
    }
    if (partner < 0) {
      lines.push(`  v128.store(dst + ${r} * ds, ${sumOf(rowTerms(r))});`);
      continue;
    }
    done.add(partner);
    const even = inputs.filter((i) => i.weights[r] !== 0 && i.weights[partner] === i.weights[r]).map((i) => ({ w: i.weights[r], v: i.name }));
    const odd = inputs.filter((i) => i.weights[r] !== 0 && i.weights[partner] === -i.weights[r]).map((i) => ({ w: i.weights[r], v: i.name }));
    lines.push(`  const e${r} = ${sumOf(even)};`, `  const o${r} = ${sumOf(odd)};`);
    lines.push(`  v128.store(dst + ${r} * ds, f32x4.add(e${r}, o${r}));`, `  v128.store(dst + ${partner} * ds, f32x4.sub(e${r}, o${r}));`);
  }
  lines.push('}');
  return lines.join('\n');
}

/** The generated module's text. */
export function winogradTransformSource(): string {
  const out: string[] = [
    '// Generated by scripts/build-wasm.mjs from src/kernels/winograd-codegen.ts and winograd.ts: do not edit.',
    '// A tile is v128 values (four tiles, one a lane): element (r, c) of X at X + r·xr + c·xc, of out at out + r·or + c·oc;',
    '// tmp is the work between the passes (16·α² bytes).',
    "import { madd } from '../gemm';",
    '',
  ];
  const kernelCases: string[] = [];
  const gradientCases: string[] = [];
  const inputCases: string[] = [];
  const gradCases: string[] = [];
  const outputCases: string[] = [];
  const deltaCases: string[] = [];
  for (let alpha = MIN_ALPHA; alpha <= MAX_WINOGRAD_ALPHA; alpha++) {
    // Bᵀ depends on α alone: take it from any m
    const { BT } = winogradTransforms(2, alpha - 1);
    out.push(oneD(`bt${alpha}`, BT, alpha, alpha, false), oneD(`b${alpha}`, BT, alpha, alpha, true));
    const A = alpha;
    inputCases.push(
      `    case ${alpha}:`,
      `      for (let r: usize = 0; r < ${A}; r++) bt${alpha}(X + r * xr, xc, tmp + r * ${16 * A}, 16);`,
      `      for (let c: usize = 0; c < ${A}; c++) bt${alpha}(tmp + c * 16, ${16 * A}, out + c * oc, or);`,
      '      break;',
    );
    gradCases.push(
      `    case ${alpha}:`,
      `      for (let r: usize = 0; r < ${A}; r++) b${alpha}(X + r * xr, xc, tmp + r * ${16 * A}, 16);`,
      `      for (let c: usize = 0; c < ${A}; c++) b${alpha}(tmp + c * 16, ${16 * A}, out + c * oc, or);`,
      '      break;',
    );
    for (let m = 2; m <= alpha - 1; m++) {
      const { AT, G } = winogradTransforms(m, alpha - m + 1);
      const K = alpha - m + 1;
      out.push(oneD(`g${K}_${alpha}`, G, alpha, K, false), oneD(`gt${K}_${alpha}`, G, K, alpha, true));
      // kernels: rows K→α into tmp [K][α], then columns K→α into out [α][α]
      kernelCases.push(
        `    case ${alpha * 16 + K}:`,
        `      for (let r: usize = 0; r < ${K}; r++) g${K}_${alpha}(X + r * xr, xc, tmp + r * ${16 * A}, 16);`,
        `      for (let c: usize = 0; c < ${A}; c++) g${K}_${alpha}(tmp + c * 16, ${16 * A}, out + c * oc, or);`,
        '      break;',
      );
      // kernel gradient: rows α→K into tmp [α][K], then columns α→K into out [K][K]
      gradientCases.push(
        `    case ${alpha * 16 + K}:`,
        `      for (let r: usize = 0; r < ${A}; r++) gt${K}_${alpha}(X + r * xr, xc, tmp + r * ${16 * K}, 16);`,
        `      for (let c: usize = 0; c < ${K}; c++) gt${K}_${alpha}(tmp + c * 16, ${16 * K}, out + c * oc, or);`,
        '      break;',
      );
      out.push(oneD(`at${m}_${alpha}`, AT, m, alpha, false), oneD(`a${m}_${alpha}`, AT, alpha, m, true));
      // output: rows α→m into tmp [α][m], then columns of tmp α→m into out [m][m]
      outputCases.push(
        `    case ${alpha * 16 + m}:`,
        `      for (let r: usize = 0; r < ${A}; r++) at${m}_${alpha}(X + r * xr, xc, tmp + r * ${16 * m}, 16);`,
        `      for (let c: usize = 0; c < ${m}; c++) at${m}_${alpha}(tmp + c * 16, ${16 * m}, out + c * oc, or);`,
        '      break;',
      );
      // sensitivity: rows m→α into tmp [m][α], then columns m→α into out [α][α]
      deltaCases.push(
        `    case ${alpha * 16 + m}:`,
        `      for (let r: usize = 0; r < ${m}; r++) a${m}_${alpha}(X + r * xr, xc, tmp + r * ${16 * A}, 16);`,
        `      for (let c: usize = 0; c < ${A}; c++) a${m}_${alpha}(tmp + c * 16, ${16 * A}, out + c * oc, or);`,
        '      break;',
      );
    }
  }
  const dispatch = (name: string, what: string, key: string, cases: string[], args: string): string => [
    `// ${what}`,
    `export function ${name}(${args}, X: usize, xr: usize, xc: usize, tmp: usize, out: usize, or: usize, oc: usize): void {`,
    `  switch (${key}) {`,
    ...cases,
    '  }',
    '}',
  ].join('\n');
  out.push(
    dispatch('inputTile', 'V = Bᵀ X B: X, out α×α.', 'alpha', inputCases, 'alpha: i32'),
    dispatch('inputGradientTile', '∂d = B X Bᵀ: X, out α×α.', 'alpha', gradCases, 'alpha: i32'),
    dispatch('outputTile', 'Y = Aᵀ X A: X α×α, out m×m.', 'alpha * 16 + m', outputCases, 'm: i32, alpha: i32'),
    dispatch('deltaTile', 'dM = A X Aᵀ: X m×m, out α×α.', 'alpha * 16 + m', deltaCases, 'm: i32, alpha: i32'),
    dispatch('kernelTile', 'U = G X Gᵀ: X K×K, out α×α.', 'alpha * 16 + K', kernelCases, 'K: i32, alpha: i32'),
    dispatch('kernelGradientTile', '∂g = Gᵀ X G: X α×α, out K×K.', 'alpha * 16 + K', gradientCases, 'K: i32, alpha: i32'),
  );
  return out.join('\n\n') + '\n';
}
