// The bench's simard-wide epoch: the whole of a training epoch of the `simard-wide` recipe, its
// distortions included, as the CLI runs it (createTrainingNetwork + Trainer, the distortions made on
// the engine's threads), against the same recipe written as a PyTorch user would (bench/torch_epoch.py:
// F.affine_grid + F.grid_sample distortions of every batch, torch.optim.SGD with momentum and weight
// decay), side by side in one run. Each system trains `images` MNIST images after a warm-up; the figure
// is images per second over them all (not the best window), and the epoch the time 60,000 take.

import { builtinRecipe, createTrainingNetwork, Trainer } from 'convnotes';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from './data.js';
import { poolDataset } from './runners/convnotes.js';
import { rawBytes, runPython, type TorchPython } from './runners/torch.js';

export const EPOCH_RECIPE = 'simard-wide';
/** Steps trained before the timing starts (compilation, caches, the thread pool). */
const WARMUP_STEPS = 20;

export interface EpochResult {
  system: 'convnotes' | 'torch';
  threads: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/** convnotes: the recipe's network and trainer, as `convnotes train --recipe simard-wide` makes them. */
async function convnotesEpoch(pool: Pool, threads: number, images: number): Promise<EpochResult> {
  const recipe = builtinRecipe(EPOCH_RECIPE);
  const data = poolDataset(pool);
  const net = await createTrainingNetwork(recipe, data, { backend: 'wasm', threads });
  try {
    const trainer = new Trainer({ net, recipe, train: data, seed: 1, evalTrain: 0 });
    for (let i = 0; i < WARMUP_STEPS; i++) trainer.step();
    const steps = Math.floor(images / recipe.training.batch);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) trainer.step();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const n = steps * recipe.training.batch;
    return { system: 'convnotes', threads: net.threads ?? threads, images: n, seconds, imagesPerSecond: n / seconds };
  } finally {
    await net.dispose?.();
  }
}

async function torchEpochs(py: TorchPython, pool: Pool, threads: number[], images: number): Promise<EpochResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'convnotes-bench-epoch-'));
  try {
    writeFileSync(join(dir, 'images.f32'), rawBytes(pool.images));
    writeFileSync(join(dir, 'labels.u8'), rawBytes(pool.labels));
    const out = (await runPython(py, 'torch_epoch.py', dir, {
      images: join(dir, 'images.f32'), labels: join(dir, 'labels.u8'), count: pool.count, side: pool.side,
      warmup: WARMUP_STEPS, runs: threads.map((t) => ({ threads: t, images })),
    })) as { results: { threads: number; images: number; seconds: number; imagesPerSecond: number }[] };
    return out.results.map((r) => ({ system: 'torch', ...r }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The section: convnotes at each thread count, then PyTorch's (one process); `py` null leaves
 * PyTorch out. Returns the results and the table's lines.
 */
export async function epochSection(pool: Pool, threads: number[], images: number, py: TorchPython | null, log: (s: string) => void): Promise<{ results: EpochResult[]; lines: string[] }> {
  if (pool.channels !== 1 || pool.side !== 28) throw new Error(`the simard-wide epoch needs MNIST's 1×28×28 images, got ${pool.channels}×${pool.side}×${pool.side}`);
  const results: EpochResult[] = [];
  for (const t of threads) {
    log(`epoch: convnotes ${EPOCH_RECIPE}, ${t} thread(s), ${images} images ...`);
    results.push(await convnotesEpoch(pool, t, images));
  }
  if (py) results.push(...(await torchEpochs(py, pool, threads, images)));
  const lines = [
    `${EPOCH_RECIPE} epoch · training with its distortions (elastic σ 4, α 16 and affine, every pattern), SGD momentum 0.9, batch 32 · ${images} MNIST images each after ${WARMUP_STEPS} steps`,
    '  convnotes: createTrainingNetwork + Trainer, as `convnotes train` runs it; torch: bench/torch_epoch.py, F.affine_grid + F.grid_sample, torch.optim.SGD',
    `  ${'system'.padEnd(12)}${'threads'.padStart(8)}${'images/s'.padStart(11)}${'epoch (60k)'.padStart(14)}   convnotes ÷ torch`,
  ];
  for (const r of results) {
    const torch = results.find((x) => x.system === 'torch' && x.threads === r.threads);
    const ratio = r.system === 'convnotes' && torch ? `${(r.imagesPerSecond / torch.imagesPerSecond).toFixed(2)}×` : '';
    lines.push(`  ${r.system.padEnd(12)}${String(r.threads).padStart(8)}${r.imagesPerSecond.toFixed(0).padStart(11)}${`${(60000 / r.imagesPerSecond).toFixed(1)} s`.padStart(14)}   ${ratio}`);
  }
  return { results, lines };
}
