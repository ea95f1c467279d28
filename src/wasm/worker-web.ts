// A worker thread of the fast path in browsers: receives the compiled kernels, the shared memory and
// the plan in its first message, then runs its share of every job. Not loaded as a file: it is the
// entry point scripts/build-wasm.mjs bundles, with what it imports, into one classic script
// (wasm/worker-web.js), which src/wasm/engine.ts starts from a Blob URL.
import type { Plan } from './plan.js';
import { workerLoop } from './threads.js';

const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (e: MessageEvent) => {
  scope.onmessage = null;
  const { module, memory, plan, t } = e.data as { module: WebAssembly.Module; memory: WebAssembly.Memory; plan: Plan; t: number };
  const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Parameters<typeof workerLoop>[0];
  workerLoop(wasm, plan, memory, t, () => scope.postMessage('ready'), (err) => console.error(`convnotes worker ${t}:`, err));
};
