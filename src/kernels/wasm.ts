// The float32 WebAssembly kernels (assembly/primitives.ts) behind the `Kernels` interface.
//
// This adapter exists to test the wasm kernels one by one against the float64 reference: it owns a
// memory, lays tensors out in it with a bump allocator (`alloc`), and turns each interface call into
// one export call with byte addresses `array.byteOffset + 4 * offset`. Every array passed to it must be
// a Float32Array view of its own memory (as `alloc` returns); anything else is an Error. It is not the
// fast path: networks run whole layers inside wasm (assembly/layers.ts, src/wasm/engine.ts).

import type { Act, Kernels, Vec } from './kernels.js';
import { createMemory, HEAP_BASE, instantiate, loadKernelsModule, type WasmExports } from '../wasm/module.js';

export interface WasmKernels extends Kernels {
  readonly memory: WebAssembly.Memory;
  readonly exports: WasmExports;
  /** n floats of this memory, 16-byte aligned (a bump allocator; contents are whatever was there: zero until reset()). */
  alloc(n: number): Float32Array;
  /** Bytes still free for alloc. */
  available(): number;
  /** Frees everything alloc returned (those views must not be used afterwards). */
  reset(): void;
}

export interface WasmKernelsOptions {
  /** The shared-memory (threads) build when true, the single-thread build when false; default: shared where supported. */
  shared?: boolean;
  /** Size of the memory in bytes (default 64 MiB); alloc fails beyond it (the memory never grows). */
  bytes?: number;
}

const DEFAULT_BYTES = 64 * 1024 * 1024;

export async function createWasmKernels(opts: WasmKernelsOptions = {}): Promise<WasmKernels> {
  const m = await loadKernelsModule(opts.shared);
  const bytes = opts.bytes ?? DEFAULT_BYTES;
  const memory = createMemory(bytes, m.shared);
  const exports = instantiate(m, memory);
  // The memory is never grown, so this buffer (and every view of it) stays valid.
  const buffer = memory.buffer;
  const size = buffer.byteLength;

  // gemm's scratch: the largest it can ever ask for, right at HEAP_BASE.
  const scratch = HEAP_BASE;
  const scratchBytes = exports.gemm_scratch_bytes(1 << 30, 1 << 30, 1 << 30);
  const heap = scratch + scratchBytes;
  let top = heap;
  if (top > size) throw new RangeError(`createWasmKernels: ${size} bytes is too small (gemm's scratch alone needs ${top})`);

  function alloc(n: number): Float32Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`alloc: expected a count of floats, got ${n}`);
    const at = (top + 15) & ~15;
    if (at + 4 * n > size) throw new RangeError(`alloc(${n}): out of WebAssembly memory (${size - at} bytes free; pass a larger \`bytes\`)`);
    top = at + 4 * n;
    return new Float32Array(buffer, at, n);
  }

  /** The byte address of v[off], after checking that v[off … off+n) is a region of this memory. */
  function addr(v: Vec, off: number, n: number, what: string): number {
    if (!(v instanceof Float32Array) || v.buffer !== buffer) {
      throw new Error(`wasm kernels: ${what} must be a Float32Array view of this kernels' memory (use alloc())`);
    }
    if (!Number.isInteger(off) || off < 0 || !(n >= 0) || off + n > v.length) {
      throw new RangeError(`wasm kernels: ${what}[${off} … ${off + n}) lies outside its array of ${v.length}`);
    }
    return v.byteOffset + 4 * off;
  }

  const e = exports;
  return {
    name: m.shared ? 'wasm-simd (shared memory)' : 'wasm-simd',
    memory,
    exports,
    alloc,
    available: () => Math.max(0, size - ((top + 15) & ~15)),
    reset: () => {
      top = heap;
    },

    convValid(x, xo, h, w, k, ko, K, y, yo) {
      const oh = Math.max(0, h - K + 1);
      const ow = Math.max(0, w - K + 1);
      e.conv_valid(addr(x, xo, h * w, 'x'), h, w, addr(k, ko, K * K, 'k'), K, addr(y, yo, oh * ow, 'y'));
    },
    convFull(d, dO, h, w, k, ko, K, y, yo) {
      e.conv_full(addr(d, dO, h * w, 'd'), h, w, addr(k, ko, K * K, 'k'), K, addr(y, yo, (h + K - 1) * (w + K - 1), 'y'));
    },
    kernelGradient(x, xo, h, w, d, dO, K, g, go) {
      const oh = Math.max(0, h - K + 1);
      const ow = Math.max(0, w - K + 1);
      e.kernel_gradient(addr(x, xo, h * w, 'x'), h, w, addr(d, dO, oh * ow, 'd'), K, addr(g, go, K * K, 'g'));
    },
    downSum(x, xo, h, w, n, y, yo) {
      e.down_sum(addr(x, xo, h * w, 'x'), h, w, n, addr(y, yo, Math.floor(h / n) * Math.floor(w / n), 'y'));
    },
    downDecimate(x, xo, h, w, n, y, yo) {
      e.down_decimate(addr(x, xo, h * w, 'x'), h, w, n, addr(y, yo, Math.floor(h / n) * Math.floor(w / n), 'y'));
    },
    upSum(d, dO, h, w, n, s, y, yo) {
      e.up_sum(addr(d, dO, h * w, 'd'), h, w, n, s, addr(y, yo, h * n * w * n, 'y'));
    },
    upDecimate(d, dO, h, w, n, s, y, yo) {
      e.up_decimate(addr(d, dO, h * w, 'd'), h, w, n, s, addr(y, yo, h * n * w * n, 'y'));
    },
    activate(act: Act, u, uo, count, x, xo) {
      e.activate(act, addr(u, uo, count, 'u'), count, addr(x, xo, count, 'x'));
    },
    activationBackward(act: Act, x, xo, count, g, go) {
      e.activation_backward(act, addr(x, xo, count, 'x'), count, addr(g, go, count, 'g'));
    },
    gemm(transA, transB, M, N, K, alpha, A, ao, B, bo, beta, C, co) {
      e.gemm(
        transA ? 1 : 0, transB ? 1 : 0, M, N, K,
        alpha, addr(A, ao, M * K, 'A'), addr(B, bo, K * N, 'B'), beta, addr(C, co, M * N, 'C'), scratch,
      );
    },
    axpy(n, a, x, xo, y, yo) {
      e.axpy(n, a, addr(x, xo, n, 'x'), addr(y, yo, n, 'y'));
    },
    addScalar(n, a, y, yo) {
      e.add_scalar(n, a, addr(y, yo, n, 'y'));
    },
    sum(x, xo, n) {
      return e.sum(addr(x, xo, n, 'x'), n);
    },
    dot(n, a, ao, b, bo) {
      return e.dot(n, addr(a, ao, n, 'a'), addr(b, bo, n, 'b'));
    },
  };
}
