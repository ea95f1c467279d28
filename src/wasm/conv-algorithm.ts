// Which algorithm the fast path runs each convolution with, and the memory a Winograd convolution's
// kernels need (assembly/winograd.ts): the one place both are decided. plan.ts lays the layers out by it;
// `convnotes inspect` and the bench state it.
//
// The choice is a cost model, not a timing: a timing could choose differently from one run to the next,
// and each algorithm rounds differently, so the same seed would no longer give the same weights.

import { MAX_WINOGRAD_ALPHA, winogradTransforms } from '../kernels/winograd.js';
import {
  WINO_ALPHA, WINO_DXP, WINO_GROUP, WINO_M, WINO_PLANE_PAD, WINO_PRODUCT, WINO_TILES, WINO_V, WINO_WORDS, WINO_WORK, WINO_XP,
} from './abi-constants.js';

/** im2col and one matrix product (assembly/conv.ts), or Winograd F(m×m, K×K) tiles (assembly/winograd.ts). */
export type ConvAlgorithm = { kind: 'im2col' } | { kind: 'winograd'; m: number };

/** A convolution as the fast path sees it: I maps of H×W in, J maps out, K×K kernels, pad P, stride s. */
export interface ConvShape {
  I: number;
  H: number;
  W: number;
  J: number;
  K: number;
  pad: number;
  stride: number;
}

/** "im2col" or "winograd F(4×4, 5×5)". */
export function algorithmName(a: ConvAlgorithm, K: number): string {
  return a.kind === 'im2col' ? 'im2col' : `winograd F(${a.m}×${a.m}, ${K}×${K})`;
}

/** The tile sizes m a K×K kernel can take (α = m + K − 1 ≤ MAX_WINOGRAD_ALPHA; none for a 1×1 kernel). */
export function winogradTiles(K: number): number[] {
  const tiles: number[] = [];
  if (K < 2) return tiles;
  for (let m = 2; m + K - 1 <= MAX_WINOGRAD_ALPHA; m++) tiles.push(m);
  return tiles;
}

/**
 * The largest m the cost model picks: 5×5 and 6×6 outputs a tile (3×3 kernels) measured no faster than
 * 4×4 on any shape here, and round more (α = 7, 8: docs/SPEC.md). A forced choice may take any.
 */
const MAX_CHOSEN_TILE = 4;

/** Tiles a strip holds at most (the α² products' row length), before rounding up to 8. */
const STRIP_TILES = 128;

/** A Winograd convolution's descriptor words (WINO_*; the addresses WINO_MATS and WINO_U left for the plan), the floats of its caller's scratch and of its transformed kernels. */
export interface WinogradLayout {
  m: number;
  alpha: number;
  tiles: number;
  group: number;
  words: number[];
  scratchFloats: number;
  /** U and ∂U [α²][J][I]: the transformed kernels, and (in each chunk's gradients) their gradient. */
  transformedFloats: number;
  /** G [α][K], as the kernels read it (Bᵀ and Aᵀ are compiled into them). */
  transforms: number[];
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** The layout of F(m×m, K×K) over shape `s` for chunks of at most `patterns` patterns. */
export function winogradLayout(s: ConvShape, m: number, patterns: number): WinogradLayout {
  const alpha = m + s.K - 1;
  const AA = alpha * alpha;
  const Ho = s.H + 2 * s.pad - s.K + 1;
  const Wo = s.W + 2 * s.pad - s.K + 1;
  const tilesH = Math.ceil(Ho / m);
  const tilesW = Math.ceil(Wo / m);
  const perPattern = tilesH * tilesW;
  const group = Math.max(1, Math.min(patterns, Math.ceil(STRIP_TILES / perPattern)));
  const tiles = Math.ceil(Math.min(STRIP_TILES, group * perPattern) / 8) * 8;
  const Hp = tilesH * m + s.K - 1;
  const Wp = tilesW * m + s.K - 1;
  // float offsets, each buffer on a 64-byte line
  let top = 0;
  const take = (floats: number): number => {
    const at = top;
    top += align16(floats);
    return at * 4;
  };
  const words = new Array<number>(WINO_WORDS).fill(0);
  words[WINO_M] = m;
  words[WINO_ALPHA] = alpha;
  words[WINO_TILES] = tiles;
  words[WINO_GROUP] = group;
  words[WINO_V] = take(AA * (s.I * tiles + WINO_PLANE_PAD));
  words[WINO_PRODUCT] = take(AA * (s.J * tiles + WINO_PLANE_PAD));
  // three tiles of α² v128, then the strip's tile table (4 i32 a tile)
  words[WINO_WORK] = take(3 * AA * 4 + 4 * tiles);
  words[WINO_XP] = take(group * s.I * Hp * Wp);
  words[WINO_DXP] = take(group * s.I * Hp * Wp);
  return { m, alpha, tiles, group, words, scratchFloats: top, transformedFloats: AA * s.J * s.I, transforms: Array.from(winogradTransforms(m, s.K).G, Math.fround) };
}

/**
 * The algorithm for shape `s`: the cheapest by convCost's model of the kernels' speed, Winograd tiles
 * or im2col; im2col at strides other than 1 and for 1×1 kernels. The shape alone decides, not the batch
 * or the thread count, so a model trains the same way wherever it runs.
 */
export function chooseConvAlgorithm(s: ConvShape): ConvAlgorithm {
  if (s.stride !== 1 || s.K < 2) return { kind: 'im2col' };
  const Ho = s.H + 2 * s.pad - s.K + 1;
  const Wo = s.W + 2 * s.pad - s.K + 1;
  let best: ConvAlgorithm = { kind: 'im2col' };
  let bestCost = convCost(s, Ho, Wo, best);
  for (const m of winogradTiles(s.K)) {
    if (m > Math.min(Ho, Wo) || m > MAX_CHOSEN_TILE) continue;
    const a: ConvAlgorithm = { kind: 'winograd', m };
    const c = convCost(s, Ho, Wo, a);
    if (c < bestCost) {
      best = a;
      bestCost = c;
    }
  }
  return best;
}

// The cost of a training step's three passes (forward, kernel gradient, input gradient), in multiply-adds of
// a matrix product: each product's multiply-adds, plus per element of what the products read, written
// or transformed, what it costs. Fitted by least squares to the kernels' measured times on every layer
// shape of the built-in recipes and the bench, 16 shapes, 4 to 6 algorithms each (docs/BENCHMARKS.md,
// "Winograd"): on each, the choice was within 5 % of the fastest algorithm measured.
/** Per element S·K²·I of im2col's matrix (copied twice, added back once). */
const COST_IM2COL = 34;
/** Per element α²·I of a tile's input transforms (forward, again in backward, and the input gradient's). */
const COST_INPUT_TRANSFORM = 79;
/** Per element α²·J of a tile's output and sensitivity transforms. */
const COST_OUTPUT_TRANSFORM = 48;

/** One training step's cost of shape `s` by algorithm `a`, in product multiply-adds. */
function convCost(s: ConvShape, Ho: number, Wo: number, a: ConvAlgorithm): number {
  const { I, J, K } = s;
  if (a.kind === 'im2col') {
    const elements = Ho * Wo * K * K * I;
    return 3 * elements * J + COST_IM2COL * elements;
  }
  const alpha = a.m + K - 1;
  const points = Math.ceil(Ho / a.m) * Math.ceil(Wo / a.m) * alpha * alpha;
  return 3 * points * I * J + COST_INPUT_TRANSFORM * points * I + COST_OUTPUT_TRANSFORM * points * J;
}
