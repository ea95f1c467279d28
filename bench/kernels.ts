// Kernel GFLOPS: convnotes' float32 WebAssembly kernels (src/kernels/wasm.ts, createWasmKernels())
// called through the Kernels interface at N1's and N2's training shapes, one call per map as the
// layers make them, next to a 512³ gemm (the peak) measured in the same run.
//
// Operation counts: a convolution, its input gradient and its kernel gradient 2·K²·(output pixels)
// (multiply + add); gemm 2·M·N·K; downSum one add per input pixel; upSum one multiply per output pixel;
// activate and activationBackward ONE per element (so their "GFLOPS" are billions of elements per
// second, whatever the function costs).

import { Act, type Kernels, type Vec } from 'convnotes';
import type { AllocKernels } from './project.js';

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

/** Buffers from the kernels' own memory, allocated once and shared by every case. */
function buffers(k: AllocKernels) {
  const cache = new Map<string, Vec>();
  return (name: string, n: number): Vec => {
    let b = cache.get(name);
    if (!b || b.length < n) {
      b = k.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.sin(i * 0.37) * 0.5;
      cache.set(name, b);
    }
    return b;
  };
}

interface ConvShape {
  tag: string;
  batch: number;
  inMaps: number;
  maps: number;
  h: number;
  K: number;
}

function convCases(k: Kernels, buf: (name: string, n: number) => Vec, s: ConvShape): KernelCase[] {
  const { batch: B, inMaps: I, maps: J, h, K } = s;
  const ho = h - K + 1;
  const conns = I * J;
  const x = buf('x', B * I * h * h);
  const y = buf('y', B * J * ho * ho);
  const w = buf('w', conns * K * K);
  const g = buf('g', conns * K * K);
  const dx = buf('dx', B * I * h * h);
  const per = 2 * K * K * ho * ho * B * conns;
  const shape = `${I}×${h}×${h} → ${J}×${ho}×${ho}, ${K}×${K}, batch ${B}`;
  return [
    {
      name: `${s.tag} convValid ${shape}`, flops: per,
      run: () => {
        for (let b = 0; b < B; b++) for (let j = 0; j < J; j++) for (let i = 0; i < I; i++) {
          k.convValid(x, (b * I + i) * h * h, h, h, w, (j * I + i) * K * K, K, y, (b * J + j) * ho * ho);
        }
      },
    },
    ...(I > 1 ? [{
      name: `${s.tag} convFull (input gradient) ${shape}`, flops: per,
      run: () => {
        for (let b = 0; b < B; b++) for (let j = 0; j < J; j++) for (let i = 0; i < I; i++) {
          k.convFull(y, (b * J + j) * ho * ho, ho, ho, w, (j * I + i) * K * K, K, dx, (b * I + i) * h * h);
        }
      },
    }] : []),
    {
      name: `${s.tag} kernelGradient ${shape}`, flops: per,
      run: () => {
        for (let b = 0; b < B; b++) for (let j = 0; j < J; j++) for (let i = 0; i < I; i++) {
          k.kernelGradient(x, (b * I + i) * h * h, h, h, y, (b * J + j) * ho * ho, K, g, (j * I + i) * K * K);
        }
      },
    },
  ];
}

function poolCases(k: Kernels, buf: (name: string, n: number) => Vec, tag: string, B: number, maps: number, h: number, act: Act, actName: string): KernelCase[] {
  const m = B * maps;
  const x = buf('x', m * h * h);
  const d = buf('y', m * (h / 2) * (h / 2));
  const u = buf('dx', m * h * h);
  // activationBackward multiplies g in place by f'(x), written through x: x where |f'| = 1 keeps g from
  // decaying into subnormals over repeated calls (σ' = x(1−x) = −1 at x = (1−√5)/2, tanh' = 1−x² = −1 at √2).
  const xb = buf(`xb-${act}`, m * h * h);
  xb.fill(act === Act.Sigmoid ? (1 - Math.sqrt(5)) / 2 : act === Act.Tanh ? Math.SQRT2 : 1);
  const shape = `${maps}×${h}×${h}, batch ${B}`;
  return [
    {
      name: `${tag} downSum 2×2 ${shape}`, flops: m * h * h,
      run: () => { for (let i = 0; i < m; i++) k.downSum(x, i * h * h, h, h, 2, d, i * (h / 2) * (h / 2)); },
    },
    {
      name: `${tag} upSum 2×2 ${shape}`, flops: m * h * h,
      run: () => { for (let i = 0; i < m; i++) k.upSum(d, i * (h / 2) * (h / 2), h / 2, h / 2, 2, 0.25, u, i * h * h); },
    },
    {
      name: `${tag} activate ${actName} ${shape}`, flops: m * h * h,
      run: () => k.activate(act, x, 0, m * h * h, u, 0),
    },
    {
      name: `${tag} activationBackward ${actName} ${shape}`, flops: m * h * h,
      run: () => k.activationBackward(act, xb, 0, m * h * h, u, 0),
    },
  ];
}

function gemmCase(k: Kernels, buf: (name: string, n: number) => Vec, name: string, tA: boolean, tB: boolean, M: number, N: number, K: number, beta: number): KernelCase {
  const A = buf('x', M * K);
  const Bm = buf('w', K * N);
  const C = buf('y', M * N);
  return {
    name: `${name} gemm${tA ? ' Aᵀ' : ''}${tB ? ' Bᵀ' : ''} ${M}×${N}×${K}`, flops: 2 * M * N * K,
    run: () => k.gemm(tA, tB, M, N, K, 1, A, 0, Bm, 0, beta, C, 0),
  };
}

export function kernelCases(k: AllocKernels): { cases: KernelCase[]; peak: KernelCase } {
  const buf = buffers(k);
  const cases: KernelCase[] = [
    // N1 (dlt), batch 50: C1 1×28×28 → 6×24×24, S2 → 12×12, C3 6 → 12×8×8, S4 → 4×4, F5 192 → 10.
    ...convCases(k, buf, { tag: 'N1 C1', batch: 50, inMaps: 1, maps: 6, h: 28, K: 5 }),
    ...convCases(k, buf, { tag: 'N1 C3', batch: 50, inMaps: 6, maps: 12, h: 12, K: 5 }),
    ...poolCases(k, buf, 'N1 C1/S2', 50, 6, 24, Act.Sigmoid, 'sigmoid'),
    gemmCase(k, buf, 'N1 F5 forward', false, true, 50, 10, 192, 0),
    gemmCase(k, buf, 'N1 F5 ∂W', true, false, 10, 192, 50, 1),
    gemmCase(k, buf, 'N1 F5 ∂x', false, false, 50, 192, 10, 0),
    // N2, batch 64: C1 1×32×32 → 6×28×28, S2 → 14×14, C3 6 → 16×10×10, S4 → 5×5, F5 400 → 120, F6 → 84, OUT → 10.
    ...convCases(k, buf, { tag: 'N2 C1', batch: 64, inMaps: 1, maps: 6, h: 32, K: 5 }),
    ...convCases(k, buf, { tag: 'N2 C3', batch: 64, inMaps: 6, maps: 16, h: 14, K: 5 }),
    ...poolCases(k, buf, 'N2 C1/S2', 64, 6, 28, Act.Tanh, 'tanh'),
    gemmCase(k, buf, 'N2 F5 forward', false, true, 64, 120, 400, 0),
    gemmCase(k, buf, 'N2 F5 ∂W', true, false, 120, 400, 64, 1),
    gemmCase(k, buf, 'N2 F5 ∂x', false, false, 64, 400, 120, 0),
    gemmCase(k, buf, 'N2 F6 forward', false, true, 64, 84, 120, 0),
    gemmCase(k, buf, 'N2 OUT forward', false, true, 64, 10, 84, 0),
  ];
  const peak = gemmCase(k, buf, 'peak', false, false, 512, 512, 512, 0);
  return { cases, peak };
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
