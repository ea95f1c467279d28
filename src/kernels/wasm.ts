// The wasm kernels in a memory of their own, for the tests and the bench's kernel table: tensors laid
// out with a bump allocator (`alloc`), and the module's exports (the very functions the engine calls,
// src/wasm/abi.ts's WasmExports) to call on their byte addresses (`addressOf`). Not the fast path:
// networks run through src/wasm/engine.ts, which lays its memory out once (src/wasm/plan.ts).

import * as abi from '../wasm/abi-constants.js';
import { convScratchFloats } from '../wasm/abi.js';
import { winogradLayout } from '../wasm/conv-algorithm.js';
import { createMemory, HEAP_BASE, instantiate, loadKernelsModule, type WasmExports } from '../wasm/module.js';

export interface WasmKernels {
  /** Which build: threads (shared memory) or not, fused multiply-add (relaxed SIMD) or not. */
  readonly name: string;
  readonly shared: boolean;
  readonly relaxed: boolean;
  readonly memory: WebAssembly.Memory;
  readonly exports: WasmExports;
  /** The codes, modes and flags the exports take (src/wasm/abi-constants.ts). */
  readonly abi: typeof abi;
  /** Floats each of conv_forward/conv_backward's scratch areas needs per pattern (src/wasm/abi.ts). */
  readonly convScratchFloats: typeof convScratchFloats;
  /** A Winograd convolution's descriptor words and scratch (src/wasm/conv-algorithm.ts). */
  readonly winogradLayout: typeof winogradLayout;
  /** n floats of this memory, 16-byte aligned (a bump allocator; contents are whatever was there: zero until reset()). */
  alloc(n: number): Float32Array;
  /** The byte address of v[offset], v a view of this memory (alloc's). */
  addressOf(v: Float32Array | Uint8Array, offset?: number): number;
  /** Bytes still free for alloc. */
  available(): number;
  /** Frees everything alloc returned (those views must not be used afterwards). */
  reset(): void;
}

export interface WasmKernelsOptions {
  /** The shared-memory (threads) build when true, the single-thread build when false; default: shared where supported. */
  shared?: boolean;
  /** Use the relaxed-SIMD build where the engine has it (default true). */
  relaxedSimd?: boolean;
  /** Size of the memory in bytes (default 64 MiB); alloc fails beyond it (the memory never grows). */
  bytes?: number;
}

const DEFAULT_BYTES = 64 * 1024 * 1024;

export async function createWasmKernels(opts: WasmKernelsOptions = {}): Promise<WasmKernels> {
  const m = await loadKernelsModule(opts.shared, opts.relaxedSimd ?? true);
  const bytes = opts.bytes ?? DEFAULT_BYTES;
  const memory = createMemory(bytes, m.shared);
  const exports = instantiate(m, memory);
  // The memory is never grown, so this buffer (and every view of it) stays valid.
  const buffer = memory.buffer;
  const size = buffer.byteLength;
  let top = HEAP_BASE;

  function alloc(n: number): Float32Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`alloc: expected a count of floats, got ${n}`);
    const at = (top + 15) & ~15;
    if (at + 4 * n > size) throw new RangeError(`alloc(${n}): out of WebAssembly memory (${size - at} bytes free; pass a larger \`bytes\`)`);
    top = at + 4 * n;
    return new Float32Array(buffer, at, n);
  }

  function addressOf(v: Float32Array | Uint8Array, offset = 0): number {
    if (!(v instanceof Float32Array || v instanceof Uint8Array) || v.buffer !== buffer) {
      throw new Error('wasm kernels: expected a view of this kernels\' memory (use alloc())');
    }
    if (!Number.isInteger(offset) || offset < 0 || offset > v.length) throw new RangeError(`wasm kernels: offset ${offset} lies outside its array of ${v.length}`);
    return v.byteOffset + v.BYTES_PER_ELEMENT * offset;
  }

  return {
    name: `wasm-simd${m.relaxed ? ' (relaxed)' : ''}${m.shared ? ' (shared memory)' : ''}`,
    shared: m.shared,
    relaxed: m.relaxed,
    memory,
    exports,
    abi,
    convScratchFloats,
    winogradLayout,
    alloc,
    addressOf,
    available: () => Math.max(0, size - ((top + 15) & ~15)),
    reset: () => {
      top = HEAP_BASE;
    },
  };
}
