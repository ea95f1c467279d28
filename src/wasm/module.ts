// Loading the float32 WebAssembly kernels (built from assembly/ into wasm/ by `npm run build`).
//
// Two builds of the same code: `convnotes.wasm` imports a shared memory, so several threads can run it
// over one address space; `convnotes-single.wasm` imports an ordinary one, for pages that are not
// cross-origin isolated (no SharedArrayBuffer). Memory is always the host's: the kernels allocate nothing.

/** The kernels' exports (see assembly/index.ts); every address is a byte offset into the memory. */
export type WasmExports = Record<string, (...args: number[]) => number>;

export interface WasmKernelsModule {
  module: WebAssembly.Module;
  shared: boolean;
  /** Built with relaxed SIMD (fused multiply-add). */
  relaxed: boolean;
}

const PAGE = 65536;

/** First byte the host may lay tensors out from (below it: whatever static data the module has). */
export const HEAP_BASE = PAGE;

export function sharedMemorySupported(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

async function readWasm(name: string): Promise<Uint8Array<ArrayBuffer>> {
  // Both src/wasm/module.ts (tests) and dist/wasm/module.js sit two folders below the package root.
  const url = new URL(`../../wasm/${name}`, import.meta.url);
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    try {
      return new Uint8Array(await readFile(url));
    } catch (e) {
      throw new Error(`${url.pathname}: cannot read the WebAssembly kernels (${(e as NodeJS.ErrnoException).code ?? e}); run \`npm run build\``);
    }
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: cannot fetch the WebAssembly kernels (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
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
    const v8 = await import('node:v8');
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
      const base = shared ? 'convnotes' : 'convnotes-single';
      if (allowRelaxed) {
        const bytes = await readWasm(`${base}-relaxed.wasm`).catch(() => null);
        if (bytes && (await relaxedAvailable(bytes))) return { module: await WebAssembly.compile(bytes), shared, relaxed: true };
      }
      const bytes = await readWasm(`${base}.wasm`);
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
