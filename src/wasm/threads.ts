// A worker thread's loop over the control block (plan.control: 16 int32 words), shared by the Node
// (worker.ts, worker_threads) and browser (worker-web.ts, Web Worker) entry points; engine.ts posts
// the jobs (FastNetwork.run).

import type { WasmExports } from './abi.js';
import { chunkViews, JOB, runShare } from './chunk.js';
import type { Plan } from './plan.js';

/** Control block words. */
export const CTRL = { generation: 0, job: 1, batch: 2, threads: 3, done: 4, error: 5, phase: 6, next: 7 } as const;

/**
 * A worker thread's life: wait for the control block's generation to change, run this thread's share
 * of the chunks (claimed one at a time: chunk.ts's runShare), count itself done; until the exit job.
 * Shared by the Node (worker_threads) and browser (Web Worker) entry points. `ready` is called once the
 * generation it waits on is read, so the first job cannot slip in between (the caller starts jobs only
 * after every worker is ready).
 */
export function workerLoop(wasm: WasmExports, plan: Plan, memory: WebAssembly.Memory, t: number, ready: () => void, report: (e: unknown) => void): void {
  const ctrl = new Int32Array(memory.buffer, plan.control, 16);
  const views = chunkViews(plan, memory);
  const next = ctrl.subarray(CTRL.next, CTRL.next + 1);
  let generation = Atomics.load(ctrl, CTRL.generation);
  ready();
  for (;;) {
    Atomics.wait(ctrl, CTRL.generation, generation);
    const g = Atomics.load(ctrl, CTRL.generation);
    if (g === generation) continue;
    generation = g;
    const job = Atomics.load(ctrl, CTRL.job);
    if (job === JOB.exit) break;
    // a job may use fewer threads than exist (a batch with fewer chunks): the others sit it out,
    // and do not count themselves done, which would release the caller early
    const T = Atomics.load(ctrl, CTRL.threads);
    if (t >= T) continue;
    try {
      runShare(wasm, plan, views, job, Atomics.load(ctrl, CTRL.batch), t, T, next, Atomics.load(ctrl, CTRL.phase));
    } catch (e) {
      report(e);
      Atomics.store(ctrl, CTRL.error, 1);
    }
    Atomics.add(ctrl, CTRL.done, 1);
    Atomics.notify(ctrl, CTRL.done);
  }
}
