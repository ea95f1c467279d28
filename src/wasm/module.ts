// Loading the float32 WebAssembly kernels (built from assembly/ into wasm/ by `npm run build`).
//
// Two builds of the same code: `convnotes.wasm` imports a shared memory, so several threads can run it
// over one address space; `convnotes-single.wasm` imports an ordinary one, for pages that are not
// cross-origin isolated (no SharedArrayBuffer). Memory is always the host's: the kernels allocate nothing.
//
// The bytes come from JavaScript modules beside them (scripts/build-wasm.mjs): wasm/kernels.js and
// wasm/kernels-relaxed.js, each a shared-memory build in base64 and the one byte (the memory import's
// limits flags) that makes it the single-thread build. Static imports: Node, plain ES modules in a
// browser, Vite's dev server (whose pre-bundling moves the package into .vite/deps/, where a file found
// with `new URL(…, import.meta.url)` and fetched is not) and bundles (where a dynamic import would be a
// chunk, which a worker bundled as one classic script, Vite's default, cannot have) all follow them with
// no configuration. Both, 160 KB, are in every bundle that uses the fast path.

import { nodeBuiltin, PAGE, type WasmExports } from './abi.js';
import * as plainKernels from '../../wasm/kernels.js';
import * as relaxedKernels from '../../wasm/kernels-relaxed.js';

export { HEAP_BASE, type WasmExports } from './abi.js';

export interface WasmKernelsModule {
  module: WebAssembly.Module;
  shared: boolean;
  /** Built with relaxed SIMD (fused multiply-add). */
  relaxed: boolean;
}

export function sharedMemorySupported(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

function fromBase64(s: string): Uint8Array<ArrayBuffer> {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  if (native) return native(s);
  const B = (globalThis as { Buffer?: { from(s: string, e: 'base64'): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(s, 'base64'));
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The bytes of a build: shared memory, or with its one byte set, the single-thread one. */
function kernelBytes(built: typeof plainKernels, shared: boolean): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64(built.base64);
  if (!shared) bytes[built.singleFlags.at] = built.singleFlags.value;
  return bytes;
}

const cache = new Map<string, Promise<WasmKernelsModule>>();

/**
 * Whether to use the relaxed-SIMD build: `CONVNOTES_RELAXED_SIMD=0` turns it off. Node 20's V8 has
 * relaxed SIMD behind a flag, which is switched on here (v8.setFlagsFromString) before validating;
 * the module is used only if this engine then validates it.
 */
async function relaxedAvailable(bytes: Uint8Array<ArrayBuffer>): Promise<boolean> {
  const env = typeof process !== 'undefined' ? process.env?.CONVNOTES_RELAXED_SIMD : undefined;
  if (env === '0') return false;
  if (WebAssembly.validate(bytes)) return true;
  if (typeof process !== 'undefined' && process.versions?.node) {
    const v8 = await nodeBuiltin<typeof import('node:v8')>('v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    return WebAssembly.validate(bytes);
  }
  return false;
}

/** Compiles (once) the shared-memory build when `shared`, else the single-thread build; relaxed SIMD where it validates. */
export function loadKernelsModule(shared = sharedMemorySupported(), allowRelaxed = true): Promise<WasmKernelsModule> {
  const key = `${shared}/${allowRelaxed}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      if (allowRelaxed) {
        const bytes = kernelBytes(relaxedKernels, shared);
        if (await relaxedAvailable(bytes)) return { module: await WebAssembly.compile(bytes), shared, relaxed: true };
      }
      const bytes = kernelBytes(plainKernels, shared);
      if (!WebAssembly.validate(bytes)) throw new Error('this WebAssembly engine cannot run the kernels (128-bit SIMD is required)');
      return { module: await WebAssembly.compile(bytes), shared, relaxed: false };
    })();
    cache.set(key, p);
  }
  return p;
}

/** A memory of at least `bytes` bytes (shared when the module wants one). */
export function createMemory(bytes: number, shared: boolean): WebAssembly.Memory {
  const pages = Math.ceil(bytes / PAGE);
  if (pages > 65536) throw new RangeError(`the network needs ${(bytes / 2 ** 30).toFixed(2)} GiB of WebAssembly memory; the limit is 4 GiB`);
  return new WebAssembly.Memory({ initial: pages, maximum: 65536, shared } as WebAssembly.MemoryDescriptor);
}

/** Instantiates the kernels over `memory`. */
export function instantiate(m: WasmKernelsModule, memory: WebAssembly.Memory): WasmExports {
  const instance = new WebAssembly.Instance(m.module, { env: { memory } });
  return instance.exports as unknown as WasmExports;
}
