// An INDEPENDENT, deliberately slow reference implementation of the network described in
// docs/SPEC.md, for tests only. It shares no code with src/ (apart from the
// description types): every sum of the notes is written out as plain nested loops over nested JS
// arrays, element by element, for obviousness rather than speed.
//
// Conventions (see docs/SPEC.md):
// - activations are laid out [batch][map][row][col]; a fully connected layer's output is [batch][units]
//   (held here as [units][1][1] so every layer has the same nested shape);
// - convolution is TRUE convolution of the input zero-padded by P on every side (x̃), taken every s
//   samples: u[a][b] = Σ_{p,q} x̃[s·a+p][s·b+q] · k[K-1-p][K-1-q] (P = 0, s = 1: the notes' valid one);
// - the flat parameter array is, layer by layer, the concatenation of each layer's groups
//   (conv: kernel, convBias; combination: kernel, c, convBias; subsample: beta?, subsampleBias?;
//   full: weights, bias; batchnorm: scale, shift, runningMean, runningVar; dropout: none);
// - the objective Ẽ is the mean over the batch of the per-pattern error plus the penalties Ω of all
//   combination layers (added once);
// - a pass is for training (batch normalisation with the batch's statistics, which it folds into the
//   running averages; dropout's hashed masks) or for inference (running averages, no dropout). Batch
//   normalisation couples a batch's patterns, so every layer runs over the whole batch before the next.

import type { ActivationName, ResolvedDescription, ResolvedLayer, Shape } from '../../../src/network/description.js';

export interface SlowResult {
  outputs: Float64Array[];
  loss: number;
  grads: Float64Array;
  inputGrad: Float64Array;
  /** The flat parameter array after the pass: a training pass moves batch normalisation's running averages. */
  paramsAfter: Float64Array;
}

/** What a pass is for: training (batch statistics, dropout masks of update `step` from `seed`) or inference. */
export interface SlowPass {
  training: boolean;
  step: number;
  seed: number;
}

/** One named parameter group of the flat parameter array: where it starts and how long it is. */
export interface ParamGroup {
  layer: number;
  name: string;
  offset: number;
  size: number;
}

type Maps = number[][][]; // [map][row][col]

// ---------------------------------------------------------------------------------------------
// Small helpers

function zeros1(a: number): number[] {
  const r: number[] = [];
  for (let i = 0; i < a; i++) r.push(0);
  return r;
}

function zeros2(a: number, b: number): number[][] {
  const r: number[][] = [];
  for (let i = 0; i < a; i++) r.push(zeros1(b));
  return r;
}

function zeros3(a: number, b: number, c: number): number[][][] {
  const r: number[][][] = [];
  for (let i = 0; i < a; i++) r.push(zeros2(b, c));
  return r;
}

function act(name: ActivationName, u: number): number {
  switch (name) {
    case 'sigmoid':
      return 1 / (1 + Math.exp(-u));
    case 'tanh':
      return Math.tanh(u);
    case 'lecun':
      return 1.7159 * Math.tanh((2 * u) / 3);
    case 'identity':
      return u;
    case 'relu':
      return u > 0 ? u : 0;
  }
}

/** f'(u), written from the definition of f (not from the stored output). */
function actDerivative(name: ActivationName, u: number): number {
  switch (name) {
    case 'sigmoid': {
      const s = 1 / (1 + Math.exp(-u));
      return s * (1 - s);
    }
    case 'tanh': {
      const t = Math.tanh(u);
      return 1 - t * t;
    }
    case 'lecun': {
      const t = Math.tanh((2 * u) / 3);
      return 1.7159 * (2 / 3) * (1 - t * t);
    }
    case 'identity':
      return 1;
    case 'relu':
      return u > 0 ? 1 : 0;
  }
}

/** All k-subsets of {0..n-1} in lexicographic order. */
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (start: number, chosen: number[]) => {
    if (chosen.length === k) {
      out.push([...chosen]);
      return;
    }
    for (let i = start; i < n; i++) rec(i + 1, [...chosen, i]);
  };
  rec(0, []);
  return out;
}

const LENET5_C3: number[][] = [
  [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5],
  [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5],
  [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

/** M_j for every output map j, each sorted by increasing input map. */
function connectionSets(spec: unknown, inMaps: number, outMaps: number): number[][] {
  const sets: number[][] = [];
  if (spec === 'all') {
    for (let j = 0; j < outMaps; j++) {
      const s: number[] = [];
      for (let i = 0; i < inMaps; i++) s.push(i);
      sets.push(s);
    }
  } else if (spec === 'pairs' || spec === 'triplets') {
    const subs = subsets(inMaps, spec === 'pairs' ? 2 : 3);
    for (let j = 0; j < outMaps; j++) sets.push(subs[j % subs.length]);
  } else if (spec === 'lenet5-c3') {
    if (inMaps !== 6 || outMaps !== 16) throw new Error('lenet5-c3 needs 6 → 16 maps');
    for (let j = 0; j < outMaps; j++) sets.push([...LENET5_C3[j]]);
  } else if (Array.isArray(spec)) {
    const table = spec as unknown[][];
    for (let j = 0; j < outMaps; j++) {
      const s: number[] = [];
      for (let i = 0; i < inMaps; i++) if (table[i][j]) s.push(i);
      sets.push(s);
    }
  } else {
    throw new Error(`unknown connection spec ${JSON.stringify(spec)}`);
  }
  return sets;
}

// ---------------------------------------------------------------------------------------------
// Parameters, unpacked into nested arrays

interface ConvParams {
  type: 'conv';
  sets: number[][]; // M_j
  conn: number[][]; // conn[j][n] = index of the kernel of the n-th input map of M_j
  kernel: number[][][]; // [connection][K][K]
  bias: number[]; // [J]
}

interface CombinationParams {
  type: 'combination';
  kernel: number[][][]; // [P][K][K]
  c: number[][]; // [J][I]
  bias: number[]; // [J]
}

interface SubsampleParams {
  type: 'subsample';
  beta: number[]; // [J] (constant betaInit when fixed)
  bias: number[]; // [J] (zero when switched off)
}

interface FullParams {
  type: 'full';
  weights: number[][]; // [O][N]
  bias: number[]; // [O]
}

interface BatchNormParams {
  type: 'batchnorm';
  scale: number[]; // γ [maps]
  shift: number[]; // β [maps]
  runningMean: number[]; // [maps]
  runningVar: number[]; // [maps]
}

interface DropoutParams {
  type: 'dropout';
}

type LayerParams = ConvParams | CombinationParams | SubsampleParams | FullParams | BatchNormParams | DropoutParams;

/** Reads numbers from the flat array in order. */
class Reader {
  pos = 0;
  constructor(private readonly flat: ArrayLike<number>) {}
  next(): number {
    if (this.pos >= this.flat.length) throw new Error('parameter array too short');
    return this.flat[this.pos++];
  }
  vec(n: number): number[] {
    const r: number[] = [];
    for (let i = 0; i < n; i++) r.push(this.next());
    return r;
  }
  mat(a: number, b: number): number[][] {
    const r: number[][] = [];
    for (let i = 0; i < a; i++) r.push(this.vec(b));
    return r;
  }
  cube(a: number, b: number, c: number): number[][][] {
    const r: number[][][] = [];
    for (let i = 0; i < a; i++) r.push(this.mat(b, c));
    return r;
  }
}

function inputShapeOf(desc: ResolvedDescription, l: number): Shape {
  return l === 0 ? desc.input : desc.shapes[l - 1];
}

function combinationKernelCount(layer: ResolvedLayer & { type: 'combination' }, inMaps: number): number {
  return layer.kernels === 'shared' ? inMaps : inMaps * layer.maps;
}

function combinationKernelIndex(layer: ResolvedLayer & { type: 'combination' }, inMaps: number, i: number, j: number): number {
  return layer.kernels === 'shared' ? i : j * inMaps + i;
}

/** Unpacks the flat parameter array into nested arrays, layer by layer. */
export function unpackParams(desc: ResolvedDescription, params: ArrayLike<number>): LayerParams[] {
  const rd = new Reader(params);
  const out: LayerParams[] = [];
  desc.layers.forEach((layer, l) => {
    const [I, H, W] = inputShapeOf(desc, l);
    switch (layer.type) {
      case 'conv': {
        const sets = connectionSets(layer.connections, I, layer.maps);
        const conn: number[][] = [];
        let c = 0;
        for (let j = 0; j < layer.maps; j++) {
          const row: number[] = [];
          for (let n = 0; n < sets[j].length; n++) row.push(c++);
          conn.push(row);
        }
        const kernel = rd.cube(c, layer.kernel, layer.kernel);
        const bias = rd.vec(layer.maps);
        out.push({ type: 'conv', sets, conn, kernel, bias });
        break;
      }
      case 'combination': {
        const kernel = rd.cube(combinationKernelCount(layer, I), layer.kernel, layer.kernel);
        const c = rd.mat(layer.maps, I);
        const bias = rd.vec(layer.maps);
        out.push({ type: 'combination', kernel, c, bias });
        break;
      }
      case 'subsample': {
        const beta = layer.beta === 'trainable' ? rd.vec(I) : zeros1(I).map(() => layer.betaInit);
        const bias = layer.bias ? rd.vec(I) : zeros1(I);
        out.push({ type: 'subsample', beta, bias });
        break;
      }
      case 'full': {
        const N = I * H * W;
        const weights = rd.mat(layer.units, N);
        const bias = rd.vec(layer.units);
        out.push({ type: 'full', weights, bias });
        break;
      }
      case 'batchnorm': {
        const scale = rd.vec(I);
        const shift = rd.vec(I);
        const runningMean = rd.vec(I);
        const runningVar = rd.vec(I);
        out.push({ type: 'batchnorm', scale, shift, runningMean, runningVar });
        break;
      }
      case 'dropout':
        out.push({ type: 'dropout' });
        break;
    }
  });
  if (rd.pos !== params.length) throw new Error(`parameter array has ${params.length} numbers, the description needs ${rd.pos}`);
  return out;
}

/** The parameter groups of the flat array, in order (for per-group comparisons in tests). */
export function paramGroups(desc: ResolvedDescription): ParamGroup[] {
  const groups: ParamGroup[] = [];
  let offset = 0;
  const add = (layer: number, name: string, size: number) => {
    groups.push({ layer, name, offset, size });
    offset += size;
  };
  desc.layers.forEach((layer, l) => {
    const [I, H, W] = inputShapeOf(desc, l);
    switch (layer.type) {
      case 'conv': {
        const sets = connectionSets(layer.connections, I, layer.maps);
        let nc = 0;
        for (const s of sets) nc += s.length;
        add(l, 'kernel', nc * layer.kernel * layer.kernel);
        add(l, 'convBias', layer.maps);
        break;
      }
      case 'combination':
        add(l, 'kernel', combinationKernelCount(layer, I) * layer.kernel * layer.kernel);
        add(l, 'c', layer.maps * I);
        add(l, 'convBias', layer.maps);
        break;
      case 'subsample':
        if (layer.beta === 'trainable') add(l, 'beta', I);
        if (layer.bias) add(l, 'subsampleBias', I);
        break;
      case 'full':
        add(l, 'weights', layer.units * I * H * W);
        add(l, 'bias', layer.units);
        break;
      case 'batchnorm':
        add(l, 'scale', I);
        add(l, 'shift', I);
        add(l, 'runningMean', I);
        add(l, 'runningVar', I);
        break;
      case 'dropout':
        break;
    }
  });
  return groups;
}

/** Flattens gradients held in the unpacked structure, in exactly the flat parameter order. */
function packGrads(desc: ResolvedDescription, g: LayerParams[]): Float64Array {
  const flat: number[] = [];
  desc.layers.forEach((layer, l) => {
    const p = g[l];
    if (p.type === 'conv' || p.type === 'combination') {
      for (const k of p.kernel) for (const row of k) for (const v of row) flat.push(v);
      if (p.type === 'combination') for (const row of p.c) for (const v of row) flat.push(v);
      for (const v of p.bias) flat.push(v);
    } else if (p.type === 'subsample') {
      if (layer.type !== 'subsample') throw new Error('layer kind mismatch');
      if (layer.beta === 'trainable') for (const v of p.beta) flat.push(v);
      if (layer.bias) for (const v of p.bias) flat.push(v);
    } else if (p.type === 'full') {
      for (const row of p.weights) for (const v of row) flat.push(v);
      for (const v of p.bias) flat.push(v);
    } else if (p.type === 'batchnorm') {
      // the running averages' places hold whatever g holds there: zero gradients, or the new averages (packParams)
      for (const v of p.scale) flat.push(v);
      for (const v of p.shift) flat.push(v);
      for (const v of p.runningMean) flat.push(v);
      for (const v of p.runningVar) flat.push(v);
    }
  });
  return Float64Array.from(flat);
}

/** A zero structure with the same shape as the parameters (for accumulating gradients). */
function zeroLike(p: LayerParams[]): LayerParams[] {
  return p.map((q): LayerParams => {
    switch (q.type) {
      case 'conv':
        return { type: 'conv', sets: q.sets, conn: q.conn, kernel: q.kernel.map((k) => k.map((r) => r.map(() => 0))), bias: q.bias.map(() => 0) };
      case 'combination':
        return { type: 'combination', kernel: q.kernel.map((k) => k.map((r) => r.map(() => 0))), c: q.c.map((r) => r.map(() => 0)), bias: q.bias.map(() => 0) };
      case 'subsample':
        return { type: 'subsample', beta: q.beta.map(() => 0), bias: q.bias.map(() => 0) };
      case 'full':
        return { type: 'full', weights: q.weights.map((r) => r.map(() => 0)), bias: q.bias.map(() => 0) };
      case 'batchnorm':
        return { type: 'batchnorm', scale: q.scale.map(() => 0), shift: q.shift.map(() => 0), runningMean: q.runningMean.map(() => 0), runningVar: q.runningVar.map(() => 0) };
      case 'dropout':
        return { type: 'dropout' };
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Learned combinations (§3.3): α = softmax over input maps, per output map

function alphas(c: number[][]): number[][] {
  // alpha[i][j] = exp(c[j][i]) / Σ_k exp(c[j][k])
  const J = c.length;
  const I = c[0].length;
  const alpha = zeros2(I, J);
  for (let j = 0; j < J; j++) {
    let m = -Infinity;
    for (let k = 0; k < I; k++) m = Math.max(m, c[j][k]);
    let s = 0;
    for (let k = 0; k < I; k++) s += Math.exp(c[j][k] - m);
    for (let i = 0; i < I; i++) alpha[i][j] = Math.exp(c[j][i] - m) / s;
  }
  return alpha;
}

/** Ω(α) and ∂Ω/∂α_ij (§3.3.1). */
function penalty(layer: ResolvedLayer & { type: 'combination' }, alpha: number[][]): { value: number; dAlpha: number[][] } {
  const I = alpha.length;
  const J = alpha[0].length;
  const { type, lambda, p } = layer.penalty;
  let value = 0;
  const dAlpha = zeros2(I, J);
  for (let i = 0; i < I; i++) {
    for (let j = 0; j < J; j++) {
      const a = alpha[i][j];
      if (type === 'l1') {
        value += lambda * Math.abs(a);
        dAlpha[i][j] = lambda * Math.sign(a);
      } else if (type === 'entropy') {
        value += -lambda * a * Math.log(a);
        dAlpha[i][j] = -lambda * (Math.log(a) + 1);
      } else if (type === 'power') {
        value += lambda * Math.pow(a, p);
        dAlpha[i][j] = lambda * p * Math.pow(a, p - 1);
      }
    }
  }
  return { value, dAlpha };
}

/** ∂/∂c[j][i] from ∂/∂α_ij through the softmax: α_i (g_i − Σ_k α_k g_k), per output map j. */
function softmaxBackward(alpha: number[][], dAlpha: number[][]): number[][] {
  const I = alpha.length;
  const J = alpha[0].length;
  const dc = zeros2(J, I);
  for (let j = 0; j < J; j++) {
    let s = 0;
    for (let k = 0; k < I; k++) s += alpha[k][j] * dAlpha[k][j];
    for (let i = 0; i < I; i++) dc[j][i] = alpha[i][j] * (dAlpha[i][j] - s);
  }
  return dc;
}

// ---------------------------------------------------------------------------------------------
// Convolution, written out

/** x̃: x with P rows and P columns of zeros on every side. */
function zeroPadded(x: number[][], P: number): number[][] {
  const H = x.length;
  const W = x[0].length;
  const out = zeros2(H + 2 * P, W + 2 * P);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) out[P + r][P + c] = x[r][c];
  return out;
}

/** Output size along one axis: the number of positions s·a with s·a + K ≤ n + 2P. */
function outSize(n: number, K: number, P: number, s: number): number {
  let count = 0;
  while (s * count + K <= n + 2 * P) count++;
  return count;
}

/** u[a][b] = Σ_{p,q} x̃[s·a+p][s·b+q] · k[K-1-p][K-1-q]: true convolution of x zero-padded by P, stride s. */
function convolve(x: number[][], k: number[][], P: number, s: number): number[][] {
  const K = k.length;
  const xp = zeroPadded(x, P);
  const A = outSize(x.length, K, P, s);
  const B = outSize(x[0].length, K, P, s);
  const out = zeros2(A, B);
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      let sum = 0;
      for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) sum += xp[s * a + p][s * b + q] * k[K - 1 - p][K - 1 - q];
      out[a][b] = sum;
    }
  }
  return out;
}

/**
 * Backward of z = convolve(x, k, P, s) given dz = ∂E/∂z, from the sum above term by term:
 *   ∂E/∂k[K-1-p][K-1-q] += Σ_{a,b} dz[a][b] · x̃[s·a+p][s·b+q]   (§3.1.1: the patch times the sensitivity)
 *   ∂E/∂x̃[s·a+p][s·b+q] += dz[a][b] · k[K-1-p][K-1-q]           (§3.2.1: each δ scattered through the kernel)
 * and ∂E/∂x is ∂E/∂x̃ without its padding (the zeros are constants).
 */
function convolveBackward(x: number[][], k: number[][], P: number, s: number, dz: number[][], dk: number[][], dx: number[][]): void {
  const K = k.length;
  const xp = zeroPadded(x, P);
  const dxp = zeros2(xp.length, xp[0].length);
  for (let a = 0; a < dz.length; a++) {
    for (let b = 0; b < dz[0].length; b++) {
      for (let p = 0; p < K; p++) {
        for (let q = 0; q < K; q++) {
          dk[K - 1 - p][K - 1 - q] += dz[a][b] * xp[s * a + p][s * b + q];
          dxp[s * a + p][s * b + q] += dz[a][b] * k[K - 1 - p][K - 1 - q];
        }
      }
    }
  }
  for (let r = 0; r < x.length; r++) for (let c = 0; c < x[0].length; c++) dx[r][c] += dxp[P + r][P + c];
}

// ---------------------------------------------------------------------------------------------
// Dropout's mask, from its definition

/** a·b mod 2^32 for unsigned 32-bit a and b, from 16-bit halves (every partial product is exact in a double). */
function mulMod32(a: number, b: number): number {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  const bHi = b >>> 16;
  const bLo = b & 0xffff;
  // (aHi·2^16 + aLo)(bHi·2^16 + bLo) mod 2^32: the aHi·bHi term is a multiple of 2^32
  const cross = (aHi * bLo + aLo * bHi) % 65536;
  return (cross * 65536 + aLo * bLo) % 4294967296;
}

/** murmur3's fmix32: xor-shift 16, × 0x85ebca6b, xor-shift 13, × 0xc2b2ae35, xor-shift 16 (unsigned). */
function fmix32(v: number): number {
  let h = v >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = mulMod32(h, 0x85ebca6b);
  h = (h ^ (h >>> 13)) >>> 0;
  h = mulMod32(h, 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  return h;
}

/** Whether unit `unit` of pattern `pattern` survives dropout layer `layer` at update `step`. */
function dropoutKeeps(rate: number, seed: number, layer: number, step: number, pattern: number, unit: number): boolean {
  const GOLDEN = 0x9e3779b9;
  let key = fmix32((seed >>> 0) ^ GOLDEN);
  key = fmix32(key ^ layer);
  key = fmix32(key ^ step);
  key = fmix32(key ^ pattern);
  const draw = fmix32(key ^ mulMod32(unit + 1, GOLDEN)) >>> 8; // 24 bits
  return !(draw < Math.round(rate * 2 ** 24));
}

// ---------------------------------------------------------------------------------------------
// The network

interface Saved {
  u: Maps; // pre-activation
  x: Maps; // output f(u)
  z?: number[][][][]; // combination: z[i][j] = x_i * k(i,j)
  d?: Maps; // subsample: down(x)
  argmax?: [number, number][][][]; // max pooling: [map][a][b] the (row, col) of the block's first maximum
  xhat?: Maps; // batchnorm: x̂
  factor?: Maps; // dropout: m/(1 − rate) (1 in inference)
}

/** The statistics a batchnorm pass normalised with, per map. */
interface BatchNormStats {
  mean: number[];
  variance: number[];
  training: boolean;
  count: number; // N: values per map over the batch
}

function applyActivation(name: ActivationName, u: Maps): Maps {
  return u.map((m) => m.map((r) => r.map((v) => act(name, v))));
}

function forwardLayer(layer: ResolvedLayer, p: LayerParams, xin: Maps, alpha: number[][] | null): Saved {
  const I = xin.length;
  const H = xin[0].length;
  const W = xin[0][0].length;
  if (layer.type === 'conv' && p.type === 'conv') {
    // §3.1: u_j = Σ_{i∈M_j} x̃_i * k_ij + b_j (padded by P, every s-th position)
    const K = layer.kernel;
    const u = zeros3(layer.maps, outSize(H, K, layer.pad, layer.stride), outSize(W, K, layer.pad, layer.stride));
    for (let j = 0; j < layer.maps; j++) {
      for (let n = 0; n < p.sets[j].length; n++) {
        const z = convolve(xin[p.sets[j][n]], p.kernel[p.conn[j][n]], layer.pad, layer.stride);
        for (let a = 0; a < z.length; a++) for (let b = 0; b < z[0].length; b++) u[j][a][b] += z[a][b];
      }
      for (let a = 0; a < u[j].length; a++) for (let b = 0; b < u[j][0].length; b++) u[j][a][b] += p.bias[j];
    }
    return { u, x: applyActivation(layer.activation, u) };
  }
  if (layer.type === 'combination' && p.type === 'combination' && alpha) {
    // §3.3: u_j = Σ_i α_ij (x̃_i * k(i,j)) + b_j
    const K = layer.kernel;
    const u = zeros3(layer.maps, outSize(H, K, layer.pad, layer.stride), outSize(W, K, layer.pad, layer.stride));
    const zs: number[][][][] = [];
    for (let i = 0; i < I; i++) {
      const zi: number[][][] = [];
      for (let j = 0; j < layer.maps; j++) zi.push(convolve(xin[i], p.kernel[combinationKernelIndex(layer, I, i, j)], layer.pad, layer.stride));
      zs.push(zi);
    }
    for (let j = 0; j < layer.maps; j++) {
      for (let a = 0; a < u[j].length; a++) {
        for (let b = 0; b < u[j][0].length; b++) {
          let s = p.bias[j];
          for (let i = 0; i < I; i++) s += alpha[i][j] * zs[i][j][a][b];
          u[j][a][b] = s;
        }
      }
    }
    return { u, x: applyActivation(layer.activation, u), z: zs };
  }
  if (layer.type === 'subsample' && p.type === 'subsample') {
    // §3.2: u_j = β_j down(x_j) + b_j
    const n = layer.factor;
    const d = zeros3(I, H / n, W / n);
    const u = zeros3(I, H / n, W / n);
    const argmax: [number, number][][][] = [];
    for (let j = 0; j < I; j++) {
      const am: [number, number][][] = [];
      for (let a = 0; a < H / n; a++) {
        const row: [number, number][] = [];
        for (let b = 0; b < W / n; b++) {
          let s = 0;
          if (layer.down === 'sum') {
            for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) s += xin[j][n * a + r][n * b + c];
          } else if (layer.down === 'max') {
            // the block's largest value; scanning in row-major order, a later equal value does not replace it
            let at: [number, number] = [n * a, n * b];
            s = xin[j][n * a][n * b];
            for (let r = 0; r < n; r++) {
              for (let c = 0; c < n; c++) {
                if (xin[j][n * a + r][n * b + c] > s) {
                  s = xin[j][n * a + r][n * b + c];
                  at = [n * a + r, n * b + c];
                }
              }
            }
            row.push(at);
          } else {
            s = xin[j][n * a][n * b];
          }
          d[j][a][b] = s;
          u[j][a][b] = p.beta[j] * s + p.bias[j];
        }
        am.push(row);
      }
      argmax.push(am);
    }
    return { u, x: applyActivation(layer.activation, u), d, argmax };
  }
  if (layer.type === 'full' && p.type === 'full') {
    // §2: u = W x + b, with x flattened in [map][row][col] order
    const flat: number[] = [];
    for (let i = 0; i < I; i++) for (let a = 0; a < H; a++) for (let b = 0; b < W; b++) flat.push(xin[i][a][b]);
    const u = zeros3(layer.units, 1, 1);
    for (let o = 0; o < layer.units; o++) {
      let s = p.bias[o];
      for (let k = 0; k < flat.length; k++) s += p.weights[o][k] * flat[k];
      u[o][0][0] = s;
    }
    return { u, x: applyActivation(layer.activation, u) };
  }
  throw new Error('layer kind mismatch');
}

/**
 * Batch normalisation over the whole batch `xs` ([pattern][map][row][col]), map by map:
 *   training:  μ = (1/N) Σ x,  σ² = (1/N) Σ (x − μ)²  over the N = batch·h·w values of the map;
 *              the running averages become (1 − m) r_μ + m μ and (1 − m) r_σ² + m σ² N/(N − 1)
 *   inference: μ = r_μ, σ² = r_σ²
 *   x̂ = (x − μ)/√(σ² + ε),  u = γ x̂ + β,  y = f(u)
 * Writes the new running averages into `after`.
 */
function forwardBatchNorm(layer: ResolvedLayer & { type: 'batchnorm' }, p: BatchNormParams, xs: Maps[], training: boolean, after: BatchNormParams): { saved: Saved[]; stats: BatchNormStats } {
  const C = xs[0].length;
  const H = xs[0][0].length;
  const W = xs[0][0][0].length;
  const N = xs.length * H * W;
  const saved: Saved[] = xs.map(() => ({ u: zeros3(C, H, W), x: zeros3(C, H, W), xhat: zeros3(C, H, W) }));
  const stats: BatchNormStats = { mean: zeros1(C), variance: zeros1(C), training, count: N };
  for (let c = 0; c < C; c++) {
    let mean: number;
    let variance: number;
    if (training) {
      let sum = 0;
      for (const x of xs) for (let r = 0; r < H; r++) for (let q = 0; q < W; q++) sum += x[c][r][q];
      mean = sum / N;
      let squares = 0;
      for (const x of xs) for (let r = 0; r < H; r++) for (let q = 0; q < W; q++) squares += (x[c][r][q] - mean) ** 2;
      variance = squares / N;
      after.runningMean[c] = (1 - layer.momentum) * p.runningMean[c] + layer.momentum * mean;
      after.runningVar[c] = (1 - layer.momentum) * p.runningVar[c] + layer.momentum * variance * (N / (N - 1));
    } else {
      mean = p.runningMean[c];
      variance = p.runningVar[c];
    }
    stats.mean[c] = mean;
    stats.variance[c] = variance;
    xs.forEach((x, n) => {
      const s = saved[n];
      for (let r = 0; r < H; r++) {
        for (let q = 0; q < W; q++) {
          const xhat = (x[c][r][q] - mean) / Math.sqrt(variance + layer.epsilon);
          s.xhat![c][r][q] = xhat;
          s.u[c][r][q] = p.scale[c] * xhat + p.shift[c];
          s.x[c][r][q] = act(layer.activation, s.u[c][r][q]);
        }
      }
    });
  }
  return { saved, stats };
}

/**
 * Backward through batch normalisation over the whole batch. With g = ∂E/∂u = f'(u) ∂E/∂y:
 *   ∂E/∂γ = Σ g x̂,   ∂E/∂β = Σ g.
 * Inference (μ, σ² constants): ∂E/∂x = γ g/√(σ² + ε).
 * Training, by the chain rule through x̂_n = (x_n − μ)/√(σ² + ε), μ(x) and σ²(x), where
 *   ∂μ/∂x_n = 1/N,  ∂σ²/∂x_n = (2/N)(x_n − μ) (the term through μ, −(2/N) Σ (x − μ), is zero):
 *   ∂E/∂x̂_n = γ g_n
 *   ∂E/∂σ²  = Σ_n ∂E/∂x̂_n · (x_n − μ) · (−½)(σ² + ε)^(−3/2)
 *   ∂E/∂μ   = Σ_n ∂E/∂x̂_n · (−1/√(σ² + ε))
 *   ∂E/∂x_n = ∂E/∂x̂_n/√(σ² + ε) + ∂E/∂σ² · (2/N)(x_n − μ) + ∂E/∂μ · (1/N)
 */
function backwardBatchNorm(layer: ResolvedLayer & { type: 'batchnorm' }, p: BatchNormParams, g: BatchNormParams, xs: Maps[], saved: Saved[], stats: BatchNormStats, dys: Maps[]): Maps[] {
  const C = xs[0].length;
  const H = xs[0][0].length;
  const W = xs[0][0][0].length;
  const N = stats.count;
  const dxs = xs.map(() => zeros3(C, H, W));
  for (let c = 0; c < C; c++) {
    const mean = stats.mean[c];
    const sd = Math.sqrt(stats.variance[c] + layer.epsilon);
    const gu = dys.map((dy, n) => dy[c].map((row, r) => row.map((v, q) => actDerivative(layer.activation, saved[n].u[c][r][q]) * v)));
    let dVariance = 0;
    let dMean = 0;
    for (let n = 0; n < xs.length; n++) {
      for (let r = 0; r < H; r++) {
        for (let q = 0; q < W; q++) {
          g.scale[c] += gu[n][r][q] * saved[n].xhat![c][r][q];
          g.shift[c] += gu[n][r][q];
          const dXhat = p.scale[c] * gu[n][r][q];
          dVariance += dXhat * (xs[n][c][r][q] - mean) * -0.5 * Math.pow(stats.variance[c] + layer.epsilon, -1.5);
          dMean += dXhat * (-1 / sd);
        }
      }
    }
    for (let n = 0; n < xs.length; n++) {
      for (let r = 0; r < H; r++) {
        for (let q = 0; q < W; q++) {
          const dXhat = p.scale[c] * gu[n][r][q];
          dxs[n][c][r][q] = stats.training
            ? dXhat / sd + dVariance * (2 / N) * (xs[n][c][r][q] - mean) + dMean / N
            : dXhat / sd;
        }
      }
    }
  }
  return dxs;
}

/** Dropout of pattern `pattern`: y = m x/(1 − rate) with m from the hash (training), y = x (inference). */
function forwardDropout(layer: ResolvedLayer & { type: 'dropout' }, l: number, xin: Maps, pass: SlowPass, pattern: number): Saved {
  const C = xin.length;
  const H = xin[0].length;
  const W = xin[0][0].length;
  const factor = zeros3(C, H, W);
  let unit = 0;
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < H; r++) {
      for (let q = 0; q < W; q++) {
        if (!pass.training) factor[c][r][q] = 1;
        else factor[c][r][q] = dropoutKeeps(layer.rate, pass.seed, l, pass.step, pattern, unit) ? 1 / (1 - layer.rate) : 0;
        unit++;
      }
    }
  }
  const y = xin.map((m, c) => m.map((row, r) => row.map((v, q) => factor[c][r][q] * v)));
  return { u: y, x: y, factor };
}

/**
 * Backward through one layer. dx = ∂E/∂(layer output); accumulates the parameter gradients into g and
 * returns ∂E/∂(layer input).
 */
function backwardLayer(layer: ResolvedLayer, p: LayerParams, g: LayerParams, xin: Maps, s: Saved, dxOut: Maps, alpha: number[][] | null): Maps {
  const I = xin.length;
  const H = xin[0].length;
  const W = xin[0][0].length;
  if (layer.type === 'dropout' && s.factor) {
    // ∂E/∂x = m/(1 − rate) · ∂E/∂y
    return dxOut.map((m, c) => m.map((row, r) => row.map((v, q) => s.factor![c][r][q] * v)));
  }
  // δ = ∂E/∂u = f'(u) ∘ ∂E/∂x
  const delta = s.u.map((m, j) => m.map((r, a) => r.map((v, b) => actDerivative('activation' in layer ? layer.activation : 'identity', v) * dxOut[j][a][b])));
  const dxIn = zeros3(I, H, W);
  if (layer.type === 'conv' && p.type === 'conv' && g.type === 'conv') {
    for (let j = 0; j < layer.maps; j++) {
      // ∂E/∂b_j = Σ_uv δ_j
      for (let a = 0; a < delta[j].length; a++) for (let b = 0; b < delta[j][0].length; b++) g.bias[j] += delta[j][a][b];
      for (let n = 0; n < p.sets[j].length; n++) {
        const i = p.sets[j][n];
        const c = p.conn[j][n];
        convolveBackward(xin[i], p.kernel[c], layer.pad, layer.stride, delta[j], g.kernel[c], dxIn[i]);
      }
    }
    return dxIn;
  }
  if (layer.type === 'combination' && p.type === 'combination' && g.type === 'combination' && alpha && s.z) {
    const dAlpha = zeros2(I, layer.maps);
    for (let j = 0; j < layer.maps; j++) {
      for (let a = 0; a < delta[j].length; a++) for (let b = 0; b < delta[j][0].length; b++) g.bias[j] += delta[j][a][b];
      for (let i = 0; i < I; i++) {
        // ∂E/∂α_ij = Σ_uv δ_j ∘ (x̃_i * k)
        let sum = 0;
        for (let a = 0; a < delta[j].length; a++) for (let b = 0; b < delta[j][0].length; b++) sum += delta[j][a][b] * s.z[i][j][a][b];
        dAlpha[i][j] = sum;
        // through z = x̃_i * k with ∂E/∂z = α_ij δ_j
        const dz = delta[j].map((r) => r.map((v) => alpha[i][j] * v));
        const kidx = combinationKernelIndex(layer, I, i, j);
        convolveBackward(xin[i], p.kernel[kidx], layer.pad, layer.stride, dz, g.kernel[kidx], dxIn[i]);
      }
    }
    const dc = softmaxBackward(alpha, dAlpha);
    for (let j = 0; j < layer.maps; j++) for (let i = 0; i < I; i++) g.c[j][i] += dc[j][i];
    return dxIn;
  }
  if (layer.type === 'subsample' && p.type === 'subsample' && g.type === 'subsample' && s.d) {
    const n = layer.factor;
    for (let j = 0; j < I; j++) {
      for (let a = 0; a < H / n; a++) {
        for (let b = 0; b < W / n; b++) {
          // §3.2.1: ∂E/∂b_j = Σ δ_j, ∂E/∂β_j = Σ δ_j ∘ d_j
          g.bias[j] += delta[j][a][b];
          g.beta[j] += delta[j][a][b] * s.d[j][a][b];
          // §3.1.1: the previous layer receives β_j up(δ_j) (only the kept sample for decimation, only the
          // block's first maximum for max pooling: the other samples do not move down())
          if (layer.down === 'sum') {
            for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) dxIn[j][n * a + r][n * b + c] += p.beta[j] * delta[j][a][b];
          } else if (layer.down === 'max') {
            const [r, c] = s.argmax![j][a][b];
            dxIn[j][r][c] += p.beta[j] * delta[j][a][b];
          } else {
            dxIn[j][n * a][n * b] += p.beta[j] * delta[j][a][b];
          }
        }
      }
    }
    return dxIn;
  }
  if (layer.type === 'full' && p.type === 'full' && g.type === 'full') {
    // §2: ∂E/∂W = δ xᵀ, ∂E/∂b = δ, ∂E/∂x = Wᵀ δ
    for (let o = 0; o < layer.units; o++) {
      const d = delta[o][0][0];
      g.bias[o] += d;
      let k = 0;
      for (let i = 0; i < I; i++) {
        for (let a = 0; a < H; a++) {
          for (let b = 0; b < W; b++) {
            g.weights[o][k] += d * xin[i][a][b];
            dxIn[i][a][b] += p.weights[o][k] * d;
            k++;
          }
        }
      }
    }
    return dxIn;
  }
  throw new Error('layer kind mismatch');
}

/** Per-pattern error E and ∂E/∂y for the output vector y. */
function patternLoss(desc: ResolvedDescription, y: number[], label: number): { e: number; dy: number[] } {
  if (desc.loss === 'mse') {
    let e = 0;
    const dy: number[] = [];
    for (let k = 0; k < y.length; k++) {
      const t = desc.codes ? desc.codes[label][k] : k === label ? desc.targets[1] : desc.targets[0];
      e += 0.5 * (y[k] - t) * (y[k] - t);
      dy.push(y[k] - t);
    }
    return { e, dy };
  }
  // cross-entropy: −ln softmax(y)_label; ∂/∂y_k = softmax(y)_k − [k = label]
  let m = -Infinity;
  for (const v of y) m = Math.max(m, v);
  let s = 0;
  for (const v of y) s += Math.exp(v - m);
  const e = -(y[label] - m - Math.log(s));
  const dy = y.map((v, k) => Math.exp(v - m) / s - (k === label ? 1 : 0));
  return { e, dy };
}

const INFERENCE_PASS: SlowPass = { training: false, step: 0, seed: 0 };

/**
 * One forward and backward pass over the batch: every layer's outputs, Ẽ, ∂Ẽ/∂θ, ∂Ẽ/∂input and the
 * parameters after the pass. `pass` defaults to inference (as Network.forward does).
 */
export function slowRun(desc: ResolvedDescription, params: Float64Array, input: Float64Array, labels: ArrayLike<number>, batch: number, pass: SlowPass = INFERENCE_PASS): SlowResult {
  const P = unpackParams(desc, params);
  const G = zeroLike(P);
  // the parameters after the pass: the same, apart from the running averages a training pass moves
  const after = unpackParams(desc, params);
  const L = desc.layers.length;
  const [M0, H0, W0] = desc.input;
  if (input.length !== batch * M0 * H0 * W0) throw new Error('input has the wrong size');

  const alphaOf: (number[][] | null)[] = desc.layers.map((layer, l) => {
    const p = P[l];
    return layer.type === 'combination' && p.type === 'combination' ? alphas(p.c) : null;
  });

  // the input as [pattern][map][row][col]
  const x0: Maps[] = [];
  for (let n = 0; n < batch; n++) {
    const x = zeros3(M0, H0, W0);
    for (let i = 0; i < M0; i++) for (let a = 0; a < H0; a++) for (let b = 0; b < W0; b++) x[i][a][b] = input[((n * M0 + i) * H0 + a) * W0 + b];
    x0.push(x);
  }

  // forward, layer by layer over the whole batch
  const outputs: number[][] = desc.layers.map(() => []);
  const ins: Maps[][] = [];
  const saved: Saved[][] = [];
  const bnStats: (BatchNormStats | null)[] = [];
  let xs = x0;
  for (let l = 0; l < L; l++) {
    const layer = desc.layers[l];
    const p = P[l];
    const q = after[l];
    ins.push(xs);
    let s: Saved[];
    if (layer.type === 'batchnorm' && p.type === 'batchnorm' && q.type === 'batchnorm') {
      const r = forwardBatchNorm(layer, p, xs, pass.training, q);
      s = r.saved;
      bnStats.push(r.stats);
    } else if (layer.type === 'dropout') {
      s = xs.map((x, n) => forwardDropout(layer, l, x, pass, n));
      bnStats.push(null);
    } else {
      s = xs.map((x) => forwardLayer(layer, p, x, alphaOf[l]));
      bnStats.push(null);
    }
    saved.push(s);
    for (const sn of s) for (const m of sn.x) for (const r of m) for (const v of r) outputs[l].push(v);
    xs = s.map((sn) => sn.x);
  }

  // the loss of every pattern, and ∂Ẽ/∂(output) with the 1/batch of the mean
  let loss = 0;
  let dxs: Maps[] = xs.map((x, n) => {
    const y: number[] = [];
    for (const m of x) for (const r of m) for (const v of r) y.push(v);
    const { e, dy } = patternLoss(desc, y, labels[n]);
    loss += e / batch;
    let k = 0;
    return x.map((m) => m.map((r) => r.map(() => dy[k++] / batch)));
  });

  // backward, layer by layer over the whole batch
  for (let l = L - 1; l >= 0; l--) {
    const layer = desc.layers[l];
    const p = P[l];
    const g = G[l];
    const stats = bnStats[l];
    if (layer.type === 'batchnorm' && p.type === 'batchnorm' && g.type === 'batchnorm' && stats) {
      dxs = backwardBatchNorm(layer, p, g, ins[l], saved[l], stats, dxs);
    } else {
      dxs = dxs.map((dx, n) => backwardLayer(layer, p, g, ins[l][n], saved[l][n], dx, alphaOf[l]));
    }
  }
  const inputGrad: number[] = [];
  for (const dx of dxs) for (const m of dx) for (const r of m) for (const v of r) inputGrad.push(v);

  // the penalties of the combination layers, added once
  desc.layers.forEach((layer, l) => {
    const alpha = alphaOf[l];
    const g = G[l];
    if (layer.type !== 'combination' || !alpha || g.type !== 'combination') return;
    const { value, dAlpha } = penalty(layer, alpha);
    loss += value;
    const dc = softmaxBackward(alpha, dAlpha);
    for (let j = 0; j < layer.maps; j++) for (let i = 0; i < alpha.length; i++) g.c[j][i] += dc[j][i];
  });

  return {
    outputs: outputs.map((o) => Float64Array.from(o)),
    loss,
    grads: packGrads(desc, G),
    inputGrad: Float64Array.from(inputGrad),
    paramsAfter: packGrads(desc, after),
  };
}
