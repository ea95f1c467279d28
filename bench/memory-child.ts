// One memory measurement of a Node system (convnotes or TF.js wasm), in a process of its own: started
// by bench/memory.ts (nodeMemory) with a MemoryJob as its one argument; answers with one JSON line (a
// MemoryFigure) on stdout. See bench/memory.ts for what is measured and why.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { channelsLast, loadPool } from './data.js';
import { resetPeak, statusKiB, type MemoryFigure, type MemoryJob } from './memory.js';
import { NETS, portable } from './nets.js';
import { convnotesSystem, initialParams, poolDataset } from './runners/convnotes.js';
import { createTfjs, tfjsEnv } from './runners/tfjs.js';
import type { CreateArgs, SystemNet } from './system.js';

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as MemoryJob;
  const net = NETS[job.net];
  if (!net) throw new Error(`unknown net ${JSON.stringify(job.net)}`);

  // The framework, then the data in the form the system reads it: all before the start.
  let make: (args: CreateArgs) => Promise<SystemNet>;
  const pool = await loadPool(job.pool);
  if (job.system === 'convnotes') {
    const system = await convnotesSystem(job.convnotes === 'reference' ? 'reference' : undefined);
    poolDataset(pool);
    make = (args) => system.create(args);
  } else {
    const env = await tfjsEnv();
    if (typeof env === 'string') throw new Error(env);
    if (env.wasm !== true) throw new Error(env.wasm);
    const p = portable(net);
    if (typeof p === 'string') throw new Error(`${net.id}: ${p}`);
    channelsLast(pool);
    make = (args) => createTfjs(env, 'wasm', p, args);
  }
  const params = initialParams(net.description);

  // The garbage of loading collected before the start. Not `node --expose-gc`: the engine starts its
  // workers with this process's execArgv, and a Worker refuses that flag.
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const peakReset = resetPeak();
  const startKiB = statusKiB('VmRSS');
  const sys = await make({ net, params, pool, threads: job.threads, phase: 'train' });
  for (let i = 0; i < job.steps; i++) sys.train(i);
  const peakKiB = statusKiB('VmHWM');
  const figure: MemoryFigure = { startKiB, peakKiB, peakReset, memoryBytes: sys.memoryBytes?.() ?? null };
  await sys.dispose();
  console.error(`[memory] ${job.system} ${net.id} ${job.threads} thread(s): ${startKiB} KiB at start, peak ${peakKiB} KiB`);
  console.log(JSON.stringify(figure));
}

main().catch((e: unknown) => {
  console.error(`bench/memory-child: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
