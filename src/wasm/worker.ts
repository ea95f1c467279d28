// A worker thread of the fast path: instantiates the kernels over the shared memory and, each time the
// control block's generation changes, runs its share of the chunks (see plan.ts), then counts itself done.
import { parentPort, workerData } from 'node:worker_threads';
import { CTRL, JOB, runShare, type Plan } from './plan.js';

const { module, memory, plan, t } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; plan: Plan; t: number };
const x = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Parameters<typeof runShare>[0];
const ctrl = new Int32Array(memory.buffer, plan.control, 16);
let generation = Atomics.load(ctrl, CTRL.generation);
parentPort!.postMessage('ready');

for (;;) {
  Atomics.wait(ctrl, CTRL.generation, generation);
  const g = Atomics.load(ctrl, CTRL.generation);
  if (g === generation) continue;
  generation = g;
  const job = Atomics.load(ctrl, CTRL.job);
  if (job === JOB.exit) break;
  try {
    runShare(x, plan, memory, job, Atomics.load(ctrl, CTRL.batch), t, Atomics.load(ctrl, CTRL.threads));
  } catch (e) {
    process.stderr.write(`convnotes worker ${t}: ${(e as Error).stack ?? e}\n`);
    Atomics.store(ctrl, CTRL.error, 1);
  }
  Atomics.add(ctrl, CTRL.done, 1);
  Atomics.notify(ctrl, CTRL.done);
}
