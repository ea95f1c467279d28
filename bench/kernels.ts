// Kernel GFLOPS: the float32 WebAssembly kernels training runs (the module's exports, through
// src/kernels/wasm.ts's createWasmKernels(): the same functions src/wasm/chunk.ts calls), one layer's
// forward or backward pass over a whole training batch per call, at N1's and N2's layers (and N1's
// subsampling layers as max pooling), next to the peak: the one matrix product the convolutions run
// (matmul, assembly/gemm.ts) at 512³, same run.
//
// Calls are made as training makes them: a convolution below a subsampling layer gets δ already
// (DY_SENSITIVITY: the subsampling layer folds its f' in), and a subsampling layer over a convolution
// writes that δ; the first layer computes no input gradient. Outputs that backward passes read hold
// values where |f'| = 1 (σ' = x(1−x) = −1 at x = (1−√5)/2, tanh' = 1−x² = −1 at √2), so repeated calls
// neither blow up nor decay into subnormals.
//
// Operation counts (as FastNetwork.profileLayers): a convolution 2·J·I·K²·(output pixels) per pattern
// for its forward pass and for each of its kernel and input gradients; a fully connected layer 2·N·O
// likewise; a subsampling layer one per input pixel either way; matmul 2·M·N·K. A padded convolution
// counts its products with the padding zeros too (im2col's matrix has them): 2·J·I·K²·Ho·Wo as ever.
//
// The algorithm rows (algorithmCases): every stride-1 convolution of L128, C32 and N2 run by im2col and
// by each Winograd tile the cost model may choose (m ≤ 4), the chosen one marked, at the same
// direct-equivalent operation count, so a row's GFLOPS against the peak says how much faster than the
// direct sums' arithmetic it runs. A Winograd row's forward includes the kernels' transform
// (winograd_kernels, once an update) and its backward the kernel gradient's (winograd_kernel_gradient).
//
// Beside N2's valid C1 (on the 28×28 image padded beforehand to 32×32), PS runs the same convolution
// with pad "same" on the 28×28 image, then a stride-2 convolution and a 3×3 one with pad 1 and stride 2,
// so the table shows what padding and stride cost against the peak (and against PV's valid ones).

import {
  Act, algorithmName, chooseConvAlgorithm, resolveDescription, winogradTiles,
  type ConvAlgorithm, type ConvShape, type LayerDescription, type NetworkDescription, type ResolvedDescription,
} from 'convnotes';
import { C32, L128, N1, N2 } from './nets.js';

/** What the table needs of createWasmKernels(): its memory's allocator and the module's exports. */
export interface BenchKernels {
  readonly name: string;
  alloc(n: number): Float32Array;
  addressOf(v: Float32Array, offset?: number): number;
  readonly exports: Record<string, (...args: number[]) => number>;
  /** The codes, modes and flags the exports take (src/wasm/abi-constants.ts). */
  readonly abi: Record<'DY_GRADIENT' | 'DY_SENSITIVITY' | 'DOWN_SUM' | 'DOWN_DECIMATE' | 'DOWN_MAX' | 'WINO_MATS' | 'WINO_U' | 'WINO_BYTES', number>;
  /** Floats each of a convolution's two scratch areas needs (src/wasm/abi.ts). */
  convScratchFloats(I: number, H: number, W: number, K: number, pad: number, stride: number): number;
  /** A Winograd convolution's descriptor words and scratch (src/wasm/conv-algorithm.ts). */
  winogradLayout(s: ConvShape, m: number, patterns: number): { words: number[]; scratchFloats: number; transformedFloats: number; transforms: number[] };
}

export interface KernelCase {
  name: string;
  /** Floating-point operations (see above) per call of run(). */
  flops: number;
  run(): void;
}

export interface KernelResult {
  name: string;
  gflops: number;
}

const ACT: Record<string, number> = { identity: Act.Identity, sigmoid: Act.Sigmoid, tanh: Act.Tanh, lecun: Act.LeCun, relu: Act.Relu };

/** n floats of the kernels' memory filled with small values (or `value`), as an address. */
function buffer(wasm: BenchKernels, n: number, value?: number): number {
  const b = wasm.alloc(Math.max(4, n));
  for (let i = 0; i < b.length; i++) b[i] = value ?? Math.sin(i * 0.37) * 0.5;
  return wasm.addressOf(b);
}

/** An output value at which f' = ±1 (so backward passes keep their scale), or 0.5. */
function unitSlope(act: number): number {
  return act === Act.Sigmoid ? (1 - Math.sqrt(5)) / 2 : act === Act.Tanh ? Math.SQRT2 : 0.5;
}

/** Forward and backward cases of every layer of `d` over batches of B, as training calls them. */
function layerCases(wasm: BenchKernels, tag: string, d: ResolvedDescription, B: number): KernelCase[] {
  const e = wasm.exports;
  const { DY_GRADIENT, DY_SENSITIVITY, DOWN_SUM, DOWN_DECIMATE, DOWN_MAX } = wasm.abi;
  const cases: KernelCase[] = [];
  let shape = d.input;
  d.layers.forEach((spec, l) => {
    const [I, H, W] = shape;
    const [J, Ho, Wo] = d.shapes[l];
    const inSize = I * H * W;
    const outSize = J * Ho * Wo;
    const x = buffer(wasm, B * inSize);
    const dx = l > 0 ? buffer(wasm, B * inSize) : 0;
    const y = buffer(wasm, B * outSize);
    // dropout has no activation (and no kernel rows: the switch below skips it)
    const act = 'activation' in spec ? ACT[spec.activation] : Act.Identity;
    const yBack = buffer(wasm, B * outSize, unitSlope(act));
    const dy = buffer(wasm, B * outSize);
    const geometry = spec.type === 'conv' || spec.type === 'combination'
      ? `${spec.pad > 0 ? ` pad ${spec.pad}` : ''}${spec.stride > 1 ? ` stride ${spec.stride}` : ''}` : '';
    const name = `${tag} ${spec.name} ${spec.type}${geometry} ${I}×${H}×${W} → ${J}×${Ho}×${Wo}, batch ${B}`;
    switch (spec.type) {
      case 'conv':
      case 'combination': {
        const K = spec.kernel;
        const { pad, stride } = spec;
        const R = I * K * K;
        const kmat = buffer(wasm, J * R);
        const bias = buffer(wasm, J);
        const dK = buffer(wasm, J * R);
        const dBias = buffer(wasm, J);
        const cols = buffer(wasm, wasm.convScratchFloats(I, H, W, K, pad, stride));
        const dcols = buffer(wasm, wasm.convScratchFloats(I, H, W, K, pad, stride));
        const per = 2 * J * R * Ho * Wo * B;
        const above = d.layers[l + 1];
        const dyHolds = above && above.type === 'subsample' ? DY_SENSITIVITY : DY_GRADIENT;
        cases.push({ name: `${name} forward`, flops: per, run: () => e.conv_forward(0, B, x, I, H, W, J, K, pad, stride, kmat, bias, act, y, cols, dcols) });
        cases.push({
          name: `${name} backward`, flops: per * (dx ? 2 : 1),
          run: () => e.conv_backward(0, B, x, I, H, W, J, K, pad, stride, kmat, act, yBack, dy, dK, dBias, dx, cols, dcols, dyHolds),
        });
        break;
      }
      case 'subsample': {
        const n = spec.factor;
        const mode = spec.down === 'sum' ? DOWN_SUM : spec.down === 'max' ? DOWN_MAX : DOWN_DECIMATE;
        const beta = buffer(wasm, J, 0.25);
        const bias = buffer(wasm, J, 0);
        const downed = buffer(wasm, B * outSize);
        const dBeta = spec.beta === 'trainable' ? buffer(wasm, J) : 0;
        const dBias = spec.bias ? buffer(wasm, J) : 0;
        const below = l > 0 ? d.layers[l - 1] : null;
        const prevAct = below && (below.type === 'conv' || below.type === 'combination') ? ACT[below.activation] : 0;
        const prevY = below && (below.type === 'conv' || below.type === 'combination') ? buffer(wasm, B * inSize, unitSlope(prevAct)) : 0;
        cases.push({ name: `${name} forward`, flops: B * inSize, run: () => e.subsample_forward(0, B, x, I, H, W, n, mode, beta, bias, act, downed, y) });
        cases.push({
          name: `${name} backward`, flops: B * inSize,
          run: () => e.subsample_backward(0, B, x, I, H, W, n, mode, beta, act, yBack, dy, downed, dBeta, dBias, dx, prevAct, prevY),
        });
        break;
      }
      case 'full': {
        const N = inSize;
        const O = spec.units;
        const w = buffer(wasm, O * N);
        const bias = buffer(wasm, O);
        const dW = buffer(wasm, O * N);
        const dBias = buffer(wasm, O);
        const per = 2 * N * O * B;
        cases.push({ name: `${name} forward`, flops: per, run: () => e.full_forward(0, B, x, N, O, w, bias, act, y) });
        cases.push({ name: `${name} backward`, flops: per * (dx ? 2 : 1), run: () => e.full_backward(0, B, x, N, O, w, act, yBack, dy, dW, dBias, dx) });
        break;
      }
    }
    shape = d.shapes[l];
  });
  return cases;
}

/** The stride-1 convolutions of `d` by every algorithm the plan could run them with (see above). */
function algorithmCases(wasm: BenchKernels, tag: string, d: ResolvedDescription, B: number): KernelCase[] {
  const e = wasm.exports;
  const { DY_GRADIENT, DY_SENSITIVITY } = wasm.abi;
  const cases: KernelCase[] = [];
  let shape = d.input;
  d.layers.forEach((spec, l) => {
    const [I, H, W] = shape;
    const [J, Ho, Wo] = d.shapes[l];
    shape = d.shapes[l];
    if ((spec.type !== 'conv' && spec.type !== 'combination') || spec.stride !== 1) return;
    const K = spec.kernel;
    const s: ConvShape = { I, H, W, J, K, pad: spec.pad, stride: 1 };
    const chosen = algorithmName(chooseConvAlgorithm(s), K);
    const x = buffer(wasm, B * I * H * W);
    const dx = l > 0 ? buffer(wasm, B * I * H * W) : 0;
    const y = buffer(wasm, B * J * Ho * Wo);
    const act = ACT[spec.activation];
    const yBack = buffer(wasm, B * J * Ho * Wo, unitSlope(act));
    const dy = buffer(wasm, B * J * Ho * Wo);
    const kmat = buffer(wasm, J * I * K * K);
    const bias = buffer(wasm, J);
    const dK = buffer(wasm, J * I * K * K);
    const dBias = buffer(wasm, J);
    const above = d.layers[l + 1];
    const dyHolds = above && above.type === 'subsample' ? DY_SENSITIVITY : DY_GRADIENT;
    const per = 2 * J * I * K * K * Ho * Wo * B;
    const name = `${tag} ${spec.name} ${I}×${H}×${W} → ${J}×${Ho}×${Wo} ${K}×${K}${spec.pad ? ` pad ${spec.pad}` : ''}, batch ${B}`;
    const algorithms: ConvAlgorithm[] = [{ kind: 'im2col' }, ...winogradTiles(K).filter((m) => m <= 4 && m <= Ho).map((m) => ({ kind: 'winograd' as const, m }))];
    for (const a of algorithms) {
      const label = `${name} ${algorithmName(a, K)}${algorithmName(a, K) === chosen ? ' (chosen)' : ''}`;
      if (a.kind === 'im2col') {
        const cols = buffer(wasm, wasm.convScratchFloats(I, H, W, K, spec.pad, 1));
        const dcols = buffer(wasm, wasm.convScratchFloats(I, H, W, K, spec.pad, 1));
        cases.push({ name: `${label} forward`, flops: per, run: () => e.conv_forward(0, B, x, I, H, W, J, K, spec.pad, 1, kmat, bias, act, y, cols, dcols) });
        cases.push({
          name: `${label} backward`, flops: per * (dx ? 2 : 1),
          run: () => e.conv_backward(0, B, x, I, H, W, J, K, spec.pad, 1, kmat, act, yBack, dy, dK, dBias, dx, cols, dcols, dyHolds),
        });
        continue;
      }
      // the descriptor as the plan lays it out: its words, then G and U where the words say
      const layout = wasm.winogradLayout(s, a.m, B);
      const descFloats = wasm.alloc(wasm.abi.WINO_BYTES / 4);
      const desc = wasm.addressOf(descFloats);
      const G = wasm.alloc(layout.transforms.length);
      G.set(layout.transforms);
      const U = buffer(wasm, layout.transformedFloats);
      const dU = buffer(wasm, layout.transformedFloats);
      const scratch = buffer(wasm, layout.scratchFloats);
      const words = new Int32Array(descFloats.buffer, descFloats.byteOffset, layout.words.length);
      words.set(layout.words);
      words[wasm.abi.WINO_MATS] = wasm.addressOf(G);
      words[wasm.abi.WINO_U] = U;
      cases.push({
        name: `${label} forward`, flops: per,
        run: () => {
          e.winograd_kernels(kmat, I, J, K, desc);
          e.winograd_forward(0, B, x, I, H, W, J, K, spec.pad, bias, act, y, desc, scratch);
        },
      });
      cases.push({
        name: `${label} backward`, flops: per * (dx ? 2 : 1),
        run: () => {
          e.winograd_backward(0, B, x, I, H, W, J, K, spec.pad, act, yBack, dy, dU, dBias, dx, desc, scratch, dyHolds);
          e.winograd_kernel_gradient(dU, I, J, K, desc, dK);
        },
      });
    }
  });
  return cases;
}

function matmulCase(wasm: BenchKernels, name: string, M: number, N: number, K: number): KernelCase {
  const A = buffer(wasm, M * K);
  const B = buffer(wasm, K * N);
  const C = buffer(wasm, M * N);
  return { name: `${name} matmul ${M}×${N}×${K}`, flops: 2 * M * N * K, run: () => wasm.exports.matmul(M, N, K, A, B, C) };
}

/** N2's first convolution padded 'same' on the unpadded image, then a stride-2 convolution (only their rows are run). */
const PS: NetworkDescription = {
  name: 'PS',
  input: [1, 28, 28],
  seed: 1,
  layers: [
    { type: 'conv', name: 'C1', maps: 6, kernel: 5, pad: 'same', activation: 'tanh', connections: 'all' },
    { type: 'conv', name: 'C2', maps: 16, kernel: 5, stride: 2, activation: 'tanh', connections: 'all' },
    { type: 'conv', name: 'C3', maps: 16, kernel: 3, pad: 1, stride: 2, activation: 'tanh', connections: 'all' },
    { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
  ],
  loss: 'cross-entropy',
};

/**
 * The valid convolutions PS's rows are held to: the same maps, kernels and output size, without padding
 * or stride (so the same matrix products; only the im2col differs): C1 1×32×32 → 6×28×28 (PS's C1 on
 * the image already padded), C2 6×16×16 → 16×12×12, C3 16×8×8 → 16×6×6.
 */
const PV: NetworkDescription[] = [
  { ...PS, name: 'PV', input: [1, 32, 32], layers: [{ ...PS.layers[0], pad: 0 } as LayerDescription, PS.layers[3]] },
  { ...PS, name: 'PV', input: [6, 16, 16], layers: [{ ...PS.layers[1], stride: 1 } as LayerDescription, PS.layers[3]] },
  { ...PS, name: 'PV', input: [16, 8, 8], layers: [{ ...PS.layers[2], pad: 0, stride: 1 } as LayerDescription, PS.layers[3]] },
];

/** d with every subsampling layer made max pooling (beyond the notes): the max-pooling rows. */
function withMaxPooling(d: ResolvedDescription): ResolvedDescription {
  return { ...d, layers: d.layers.map((l) => (l.type === 'subsample' ? { ...l, down: 'max' as const } : l)) };
}

export function kernelCases(wasm: BenchKernels): { cases: KernelCase[]; peak: KernelCase } {
  const cases = [
    ...layerCases(wasm, 'N1', resolveDescription(N1.description), N1.trainBatch),
    ...layerCases(wasm, 'N2', resolveDescription(N2.description), N2.trainBatch),
    ...layerCases(wasm, 'PS', resolveDescription(PS), N2.trainBatch).filter((c) => c.name.includes(' conv ')),
    ...PV.flatMap((d) => layerCases(wasm, 'PV', resolveDescription(d), N2.trainBatch).filter((c) => c.name.includes(' conv '))),
    // N1's subsampling layers as max pooling (its other layers' rows would repeat N1's)
    ...layerCases(wasm, 'N1 max', withMaxPooling(resolveDescription(N1.description)), N1.trainBatch).filter((c) => c.name.includes(' subsample ')),
    // every algorithm on N2's second convolution, L128's two (at batch 8: the memory's room) and C32's three
    ...algorithmCases(wasm, 'N2', resolveDescription(N2.description), N2.trainBatch).filter((c) => c.name.includes(' C3 ')),
    ...algorithmCases(wasm, 'L128', resolveDescription(L128.description), 8),
    ...algorithmCases(wasm, 'C32', resolveDescription(C32.description), C32.trainBatch),
  ];
  return { cases, peak: matmulCase(wasm, 'peak', 512, 512, 512) };
}

/** Repeats c.run() for at least `seconds` (after a short warm-up); GFLOPS. */
export function timeKernel(c: KernelCase, seconds: number): number {
  const w0 = performance.now();
  let i = 0;
  while (i < 2 || performance.now() - w0 < Math.min(0.1, seconds / 4) * 1000) {
    c.run();
    i++;
  }
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (n < 2 || t - t0 < seconds * 1000) {
    c.run();
    n++;
    t = performance.now();
  }
  return (c.flops * n) / ((t - t0) / 1000) / 1e9;
}
