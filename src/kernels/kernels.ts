// The kernel interface: every number convnotes computes goes through these functions.
//
// They are plain functions over typed arrays with explicit sizes and offsets (C pointers, in effect),
// so a second implementation (float32 WebAssembly, where the arrays are views of one wasm memory) can
// take the place of the float64 reference and be tested against it kernel by kernel.
//
// Conventions, fixed for every implementation (docs/SPEC.md, Notation):
// - Maps are row-major h×w blocks; a batch of maps is laid out [batch][map][row][col] (NCHW).
// - Kernels are stored for TRUE convolution, as the notes and MATLAB's conv2 write them:
//     (x * k)[u][v] = Σ_{p,q} x[u+p][v+q] · k[K-1-p][K-1-q]
//   ONNX and TF.js store kernels for cross-correlation; exporting flips each kernel by 180°.
// - "accumulate" kernels add into their output (gradients are zeroed once per step and summed);
//   the others overwrite it.

export type Vec = Float64Array | Float32Array;

/** Activation functions, §2. Numbered so a switch sits outside the per-element loops. */
export const Act = {
  Identity: 0,
  Sigmoid: 1,
  Tanh: 2,
  /** LeCun's scaled tanh, 1.7159·tanh(2x/3) (Efficient BackProp, 1998). */
  LeCun: 3,
  Relu: 4,
} as const;
export type Act = (typeof Act)[keyof typeof Act];

export interface Kernels {
  readonly name: string;

  /** §3.1 valid convolution, accumulate: y[(h-K+1)×(w-K+1)] += x[h×w] * k[K×K]. */
  convValid(x: Vec, xo: number, h: number, w: number, k: Vec, ko: number, K: number, y: Vec, yo: number): void;

  /**
   * §3.2.1 full convolution with the rotated kernel, accumulate:
   * y[(h+K-1)×(w+K-1)] += conv2(d[h×w], rot180(k), 'full'): the input gradient of convValid.
   */
  convFull(d: Vec, dO: number, h: number, w: number, k: Vec, ko: number, K: number, y: Vec, yo: number): void;

  /**
   * §3.1.1 kernel gradient, accumulate: g[K×K] += rot180(conv2(x, rot180(d), 'valid')),
   * i.e. ∂E/∂k[p][q] = Σ_{u,v} d[u][v] · (patch of x that met k[p][q]). x is h×w, d is (h-K+1)×(w-K+1).
   */
  kernelGradient(x: Vec, xo: number, h: number, w: number, d: Vec, dO: number, K: number, g: Vec, go: number): void;

  /**
   * Beyond the notes (docs/SPEC.md, padding and stride): §3.1 over x padded with P zeros on every side,
   * at every s-th position, accumulate: y[Ho×Wo] += u, Ho = ⌊(h + 2P − K)/s⌋ + 1 (Wo likewise),
   * u[a][b] = Σ_{p,q} x̃[s·a+p][s·b+q] · k[K-1-p][K-1-q]. P = 0, s = 1 is convValid.
   */
  convStrided(x: Vec, xo: number, h: number, w: number, k: Vec, ko: number, K: number, pad: number, stride: number, y: Vec, yo: number): void;

  /**
   * The input gradient of convStrided, accumulate: y[h×w] += ∂/∂x of Σ d·u for d[Ho×Wo] (h, w: the
   * INPUT's size), y[r][c] += Σ_{s·a+p = r+P, s·b+q = c+P} d[a][b] · k[K-1-p][K-1-q]. P = 0, s = 1 is convFull.
   */
  convStridedTranspose(d: Vec, dO: number, h: number, w: number, k: Vec, ko: number, K: number, pad: number, stride: number, y: Vec, yo: number): void;

  /**
   * The kernel gradient of convStrided, accumulate: g[K-1-p][K-1-q] += Σ_{a,b} d[a][b] · x̃[s·a+p][s·b+q],
   * x h×w, d Ho×Wo. P = 0, s = 1 is kernelGradient.
   */
  kernelGradientStrided(x: Vec, xo: number, h: number, w: number, d: Vec, dO: number, K: number, pad: number, stride: number, g: Vec, go: number): void;

  /** §3.2 down(): sum of each distinct n×n block, y[(h/n)×(w/n)] (overwrite). */
  downSum(x: Vec, xo: number, h: number, w: number, n: number, y: Vec, yo: number): void;

  /** §3.2 the alternative down(): keep every n-th sample, y[(h/n)×(w/n)] = x[n·a][n·b] (overwrite). */
  downDecimate(x: Vec, xo: number, h: number, w: number, n: number, y: Vec, yo: number): void;

  /** §3.1.1 y[(h·n)×(w·n)] = s · up(d[h×w]) = s · (d ⊗ 1_{n×n}) (overwrite). */
  upSum(d: Vec, dO: number, h: number, w: number, n: number, s: number, y: Vec, yo: number): void;

  /** Transpose of downDecimate: y = s · d at every n-th sample, 0 elsewhere (overwrite). */
  upDecimate(d: Vec, dO: number, h: number, w: number, n: number, s: number, y: Vec, yo: number): void;

  // Beyond the notes: max pooling, the third down() of §3.2 (docs/SPEC.md). Ties go to the first
  // maximum of a block in row-major order.

  /** down() as max pooling: y[(h/n)×(w/n)], y[a][b] = max of the block x[n·a+r][n·b+c], r, c < n (overwrite). */
  downMax(x: Vec, xo: number, h: number, w: number, n: number, y: Vec, yo: number): void;

  /**
   * The routing of downMax's sensitivities: y[(h·n)×(w·n)] = s · d[a][b] at the argmax of block (a, b)
   * of x[(h·n)×(w·n)] (the pooled input), 0 elsewhere (overwrite).
   */
  upMax(d: Vec, dO: number, h: number, w: number, n: number, s: number, x: Vec, xo: number, y: Vec, yo: number): void;

  /** §2 x = f(u) over count elements (u and x may be the same array). */
  activate(act: Act, u: Vec, uo: number, count: number, x: Vec, xo: number): void;

  /**
   * §2 δ = ∂E/∂x ∘ f'(u), in place on g, with f' written through the output x = f(u)
   * (σ' = x(1−x), tanh' = 1−x², ...), so u need not be kept.
   */
  activationBackward(act: Act, x: Vec, xo: number, count: number, g: Vec, go: number): void;

  /**
   * §2 matrix product C[M×N] = alpha · op(A) · op(B) + beta · C, row-major,
   * op(A) M×K (A stored K×M when transA), op(B) K×N (B stored N×K when transB).
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: Vec, ao: number, B: Vec, bo: number, beta: number, C: Vec, co: number,
  ): void;

  /** y[n] += a · x[n]. */
  axpy(n: number, a: number, x: Vec, xo: number, y: Vec, yo: number): void;

  /** y[n] += a (adds a bias to a map). */
  addScalar(n: number, a: number, y: Vec, yo: number): void;

  /** Σ x[n]. */
  sum(x: Vec, xo: number, n: number): number;

  /** Σ a[n] b[n]. */
  dot(n: number, a: Vec, ao: number, b: Vec, bo: number): number;
}
