// The numbers the host and the wasm kernels agree on: ONE file compiled by both sides. The
// AssemblyScript kernels (assembly/) import it, and so does the host (src/wasm/, through abi.ts).
// Plain `export const NAME = <integer>` only, which is valid TypeScript and valid AssemblyScript (an
// i32 there): no types, no imports. test/math/wasm-abi.test.ts holds the rest of the ABI to these.

// Activation codes (`act` of every layer kernel); the same values as Act in src/kernels/kernels.ts.
export const ACT_IDENTITY = 0;
export const ACT_SIGMOID = 1;
export const ACT_TANH = 2;
export const ACT_LECUN = 3;
export const ACT_RELU = 4;

// §3.2 subsample_forward/backward's `mode`: down() sums each n×n block, or keeps its first sample, or
// (beyond the notes: max pooling) takes its maximum.
export const DOWN_SUM = 0;
export const DOWN_DECIMATE = 1;
export const DOWN_MAX = 2;

// §4.3 loss_forward_backward's `kind`.
export const LOSS_MSE = 0;
export const LOSS_CROSS_ENTROPY = 1;

// The most floats an im2col band holds (assembly/conv.ts's convBandRows; convScratchFloats in abi.ts):
// a pattern's output rows go through im2col a band at a time, so its scratch does not grow with the image.
export const CONV_BAND_FLOATS = 65536;

// conv_backward's `dyHolds`: what the layer above left in dy, ∂E/∂y (f' still to apply) or already
// δ = ∂E/∂u (a subsampling layer above folds this layer's f' in: subsample_backward's prevY).
export const DY_GRADIENT = 0;
export const DY_SENSITIVITY = 1;

// The distortion arena (assembly/augment.ts): header words (i32, except the two f32 marked).
export const ARENA_ROWS = 0;
export const ARENA_COLS = 1;
export const ARENA_HEIGHT = 2;
export const ARENA_WIDTH = 3;
export const ARENA_TOP = 4;
export const ARENA_LEFT = 5;
export const ARENA_RADIUS = 6;
/** 1: draw and add the elastic field; 0: affine only. */
export const ARENA_ELASTIC = 7;
/** f32: the grey level outside the image, after normalisation. */
export const ARENA_BACKGROUND = 8;
/** f32: (foreground − background) / 255. */
export const ARENA_SCALE = 9;
/** Byte addresses of the Gaussian taps, the per-pattern draws, the uint8 sources and the chunk scratch. */
export const ARENA_KERNEL = 10;
export const ARENA_PARAMS = 11;
export const ARENA_SOURCES = 12;
export const ARENA_SCRATCH = 13;
/** Bytes between two chunks' scratch. */
export const ARENA_SCRATCH_STRIDE = 14;
/** cols rounded up to a multiple of 4. */
export const ARENA_PADDED_COLS = 15;
export const ARENA_WORDS = 16;

// One pattern's draws in the arena (words): f32 A = [[a00, a01], [a10, a11]], translation (tx, ty),
// elastic α; then the u32 xoshiro128** state s0 … s3 of its noise.
export const PATTERN_A00 = 0;
export const PATTERN_A01 = 1;
export const PATTERN_A10 = 2;
export const PATTERN_A11 = 3;
export const PATTERN_TX = 4;
export const PATTERN_TY = 5;
export const PATTERN_ALPHA = 6;
export const PATTERN_STATE = 8;
export const PATTERN_WORDS = 16;

// A Winograd convolution's descriptor (assembly/winograd.ts; laid out by src/wasm/plan.ts), i32 words:
// the tile's m and α = m + K − 1, the most tiles in a strip (a multiple of 8: the products' row length),
// the patterns zero-bordered at once, the byte addresses of the kernels' transform G [α][K] (f32; Bᵀ and
// Aᵀ are compiled in: assembly/generated/winograd-transforms.ts) and of the transformed kernels U
// [α²][J][I], then byte offsets within the caller's scratch of V [α²][I][tiles], the products M
// [α²][J][tiles], the transforms' work area (3·α² v128, then the strip's tile table: 4·tiles i32), x̃ and
// ∂x̃ [group][I][Hp][Wp]. WINO_BYTES: the words and, after them, the kernels' transforms' work area
// (two tiles of α² v128 at α = 8: 64 + 2·64·16 bytes).
export const WINO_M = 0;
export const WINO_ALPHA = 1;
export const WINO_TILES = 2;
export const WINO_GROUP = 3;
export const WINO_MATS = 4;
export const WINO_U = 5;
export const WINO_V = 6;
export const WINO_PRODUCT = 7;
export const WINO_WORK = 8;
export const WINO_XP = 9;
export const WINO_DXP = 10;
export const WINO_WORDS = 16;
export const WINO_BYTES = 2112;
// Floats after each point ξ's plane of V and M ([I or J][tiles]): planes a multiple of 4 KiB apart would
// all fall in the same sets of the L1 cache, and a tile's transform touches every plane.
export const WINO_PLANE_PAD = 16;
