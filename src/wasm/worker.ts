// A worker thread of the fast path in Node (worker_threads): instantiates the kernels over the shared
// memory, says it is ready, then runs its share of every job (threads.ts: workerLoop).
import { parentPort, workerData } from 'node:worker_threads';
import type { Plan } from './plan.js';
import { workerLoop } from './threads.js';

const { module, memory, plan, t } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; plan: Plan; t: number };
const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Parameters<typeof workerLoop>[0];
workerLoop(wasm, plan, memory, t, () => parentPort!.postMessage('ready'), (e) => process.stderr.write(`convnotes worker ${t}: ${(e as Error).stack ?? e}\n`));
