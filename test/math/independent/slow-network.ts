// An INDEPENDENT, deliberately slow reference implementation of the network described in
// docs/SPEC.md, for tests only. It shares no code with src/ (apart from the
// description types): every sum of the notes is written out as plain nested loops over nested JS
// arrays, element by element, for obviousness rather than speed.
//
// Conventions (see docs/SPEC.md):
// - activations are laid out [batch][map][row][col]; a fully connected layer's output is [batch][units]
//   (held here as [units][1][1] so every layer has the same nested shape);
// - convolution is TRUE valid convolution: (x * k)[u][v] = Σ_{p,q} x[u+p][v+q] · k[K-1-p][K-1-q];
// - the flat parameter array is, layer by layer, the concatenation of each layer's groups
//   (conv: kernel, convBias; combination: kernel, c, convBias; subsample: beta?, subsampleBias?;
//   full: weights, bias);
// - the objective Ẽ is the mean over the batch of the per-pattern error plus the penalties Ω of all
//   combination layers (added once).

import type { ActivationName, ResolvedDescription, ResolvedLayer, Shape } from '../../../src/network/description.js';

export interface SlowResult {
  outputs: Float64Array[];
  loss: number;
  grads: Float64Array;
  inputGrad: Float64Array;
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

type LayerParams = ConvParams | CombinationParams | SubsampleParams | FullParams;

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
    } else {
      for (const row of p.weights) for (const v of row) flat.push(v);
      for (const v of p.bias) flat.push(v);
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

/** True valid convolution (x * k)[u][v] = Σ_{p,q} x[u+p][v+q] · k[K-1-p][K-1-q]. */
function convValid(x: number[][], k: number[][]): number[][] {
  const K = k.length;
  const H = x.length;
  const W = x[0].length;
  const out = zeros2(H - K + 1, W - K + 1);
  for (let u = 0; u < H - K + 1; u++) {
    for (let v = 0; v < W - K + 1; v++) {
      let s = 0;
      for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) s += x[u + p][v + q] * k[K - 1 - p][K - 1 - q];
      out[u][v] = s;
    }
  }
  return out;
}

/**
 * Backward of z = x * k given dz = ∂E/∂z:
 *   ∂E/∂k[K-1-p][K-1-q] += Σ_{u,v} dz[u][v] · x[u+p][v+q]   (§3.1.1: the patch times the sensitivity)
 *   ∂E/∂x[u+p][v+q]     += dz[u][v] · k[K-1-p][K-1-q]      (§3.2.1: each δ scattered through the kernel,
 *                                                           i.e. the 'full' convolution with rot180(k))
 */
function convValidBackward(x: number[][], k: number[][], dz: number[][], dk: number[][], dx: number[][]): void {
  const K = k.length;
  for (let u = 0; u < dz.length; u++) {
    for (let v = 0; v < dz[0].length; v++) {
      for (let p = 0; p < K; p++) {
        for (let q = 0; q < K; q++) {
          dk[K - 1 - p][K - 1 - q] += dz[u][v] * x[u + p][v + q];
          dx[u + p][v + q] += dz[u][v] * k[K - 1 - p][K - 1 - q];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The network

interface Saved {
  u: Maps; // pre-activation
  x: Maps; // output f(u)
  z?: number[][][][]; // combination: z[i][j] = x_i * k(i,j)
  d?: Maps; // subsample: down(x)
}

function forwardLayer(layer: ResolvedLayer, p: LayerParams, xin: Maps, alpha: number[][] | null): Saved {
  const I = xin.length;
  const H = xin[0].length;
  const W = xin[0][0].length;
  if (layer.type === 'conv' && p.type === 'conv') {
    // §3.1: u_j = Σ_{i∈M_j} x_i * k_ij + b_j
    const K = layer.kernel;
    const u = zeros3(layer.maps, H - K + 1, W - K + 1);
    for (let j = 0; j < layer.maps; j++) {
      for (let n = 0; n < p.sets[j].length; n++) {
        const z = convValid(xin[p.sets[j][n]], p.kernel[p.conn[j][n]]);
        for (let a = 0; a < z.length; a++) for (let b = 0; b < z[0].length; b++) u[j][a][b] += z[a][b];
      }
      for (let a = 0; a < u[j].length; a++) for (let b = 0; b < u[j][0].length; b++) u[j][a][b] += p.bias[j];
    }
    return { u, x: u.map((m) => m.map((r) => r.map((v) => act(layer.activation, v)))) };
  }
  if (layer.type === 'combination' && p.type === 'combination' && alpha) {
    // §3.3: u_j = Σ_i α_ij (x_i * k(i,j)) + b_j
    const K = layer.kernel;
    const u = zeros3(layer.maps, H - K + 1, W - K + 1);
    const zs: number[][][][] = [];
    for (let i = 0; i < I; i++) {
      const zi: number[][][] = [];
      for (let j = 0; j < layer.maps; j++) zi.push(convValid(xin[i], p.kernel[combinationKernelIndex(layer, I, i, j)]));
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
    return { u, x: u.map((m) => m.map((r) => r.map((v) => act(layer.activation, v)))), z: zs };
  }
  if (layer.type === 'subsample' && p.type === 'subsample') {
    // §3.2: u_j = β_j down(x_j) + b_j
    const n = layer.factor;
    const d = zeros3(I, H / n, W / n);
    const u = zeros3(I, H / n, W / n);
    for (let j = 0; j < I; j++) {
      for (let a = 0; a < H / n; a++) {
        for (let b = 0; b < W / n; b++) {
          let s = 0;
          if (layer.down === 'sum') {
            for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) s += xin[j][n * a + r][n * b + c];
          } else {
            s = xin[j][n * a][n * b];
          }
          d[j][a][b] = s;
          u[j][a][b] = p.beta[j] * s + p.bias[j];
        }
      }
    }
    return { u, x: u.map((m) => m.map((r) => r.map((v) => act(layer.activation, v)))), d };
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
    return { u, x: u.map((m) => m.map((r) => r.map((v) => act(layer.activation, v)))) };
  }
  throw new Error('layer kind mismatch');
}

/**
 * Backward through one layer. dx = ∂E/∂(layer output); accumulates the parameter gradients into g and
 * returns ∂E/∂(layer input).
 */
function backwardLayer(layer: ResolvedLayer, p: LayerParams, g: LayerParams, xin: Maps, s: Saved, dxOut: Maps, alpha: number[][] | null): Maps {
  const I = xin.length;
  const H = xin[0].length;
  const W = xin[0][0].length;
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
        convValidBackward(xin[i], p.kernel[c], delta[j], g.kernel[c], dxIn[i]);
      }
    }
    return dxIn;
  }
  if (layer.type === 'combination' && p.type === 'combination' && g.type === 'combination' && alpha && s.z) {
    const dAlpha = zeros2(I, layer.maps);
    for (let j = 0; j < layer.maps; j++) {
      for (let a = 0; a < delta[j].length; a++) for (let b = 0; b < delta[j][0].length; b++) g.bias[j] += delta[j][a][b];
      for (let i = 0; i < I; i++) {
        // ∂E/∂α_ij = Σ_uv δ_j ∘ (x_i * k)
        let sum = 0;
        for (let a = 0; a < delta[j].length; a++) for (let b = 0; b < delta[j][0].length; b++) sum += delta[j][a][b] * s.z[i][j][a][b];
        dAlpha[i][j] = sum;
        // through z = x_i * k with ∂E/∂z = α_ij δ_j
        const dz = delta[j].map((r) => r.map((v) => alpha[i][j] * v));
        const kidx = combinationKernelIndex(layer, I, i, j);
        convValidBackward(xin[i], p.kernel[kidx], dz, g.kernel[kidx], dxIn[i]);
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
          // §3.1.1: the previous layer receives β_j up(δ_j) (only the kept sample for decimation)
          if (layer.down === 'sum') {
            for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) dxIn[j][n * a + r][n * b + c] += p.beta[j] * delta[j][a][b];
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

export function slowRun(desc: ResolvedDescription, params: Float64Array, input: Float64Array, labels: ArrayLike<number>, batch: number): SlowResult {
  const P = unpackParams(desc, params);
  const G = zeroLike(P);
  const L = desc.layers.length;
  const [M0, H0, W0] = desc.input;
  if (input.length !== batch * M0 * H0 * W0) throw new Error('input has the wrong size');

  const alphaOf: (number[][] | null)[] = desc.layers.map((layer, l) => {
    const p = P[l];
    return layer.type === 'combination' && p.type === 'combination' ? alphas(p.c) : null;
  });

  const outputs: number[][] = desc.layers.map(() => []);
  const inputGrad: number[] = [];
  let loss = 0;

  for (let n = 0; n < batch; n++) {
    // this pattern's input as [map][row][col]
    const x0 = zeros3(M0, H0, W0);
    for (let i = 0; i < M0; i++) for (let a = 0; a < H0; a++) for (let b = 0; b < W0; b++) x0[i][a][b] = input[((n * M0 + i) * H0 + a) * W0 + b];

    const ins: Maps[] = [];
    const saved: Saved[] = [];
    let x = x0;
    for (let l = 0; l < L; l++) {
      ins.push(x);
      const s = forwardLayer(desc.layers[l], P[l], x, alphaOf[l]);
      saved.push(s);
      for (const m of s.x) for (const r of m) for (const v of r) outputs[l].push(v);
      x = s.x;
    }

    const y: number[] = x.map((m) => m[0][0]);
    if (x[0].length !== 1 || x[0][0].length !== 1) {
      // the output layer is not 1×1 maps: flatten it
      y.length = 0;
      for (const m of x) for (const r of m) for (const v of r) y.push(v);
    }
    const { e, dy } = patternLoss(desc, y, labels[n]);
    loss += e / batch;

    // ∂Ẽ/∂(output) for this pattern, with the 1/batch of the mean
    let k = 0;
    let dx: Maps = x.map((m) => m.map((r) => r.map(() => dy[k++] / batch)));
    for (let l = L - 1; l >= 0; l--) {
      dx = backwardLayer(desc.layers[l], P[l], G[l], ins[l], saved[l], dx, alphaOf[l]);
    }
    for (const m of dx) for (const r of m) for (const v of r) inputGrad.push(v);
  }

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
  };
}
