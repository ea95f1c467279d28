// What the host and the kernels agree on, apart from loading them (module.ts): the exports' shape and
// where the host's data starts. Kept apart so that the browser worker (worker-web.ts, bundled on its
// own by scripts/build-wasm.mjs) needs nothing of the loader.

/** The kernels' exports (see assembly/index.ts); every address is a byte offset into the memory. */
export type WasmExports = Record<string, (...args: number[]) => number>;

/** A WebAssembly page, in bytes. */
export const PAGE = 65536;

/** First byte the host may lay tensors out from (below it: whatever static data the module has). */
export const HEAP_BASE = PAGE;

/**
 * Node's built-in module `node:NAME`, imported where bundlers do not look: a browser bundle must
 * neither include it nor split it off into a chunk (Vite builds a worker as one classic script by
 * default, which cannot have chunks). Only ever called in Node.
 */
export function nodeBuiltin<T>(name: string): Promise<T> {
  const specifier = `node:${name}`;
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}
