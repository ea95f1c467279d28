#!/usr/bin/env node
// What distorting the training patterns costs (issue 8): training throughput of a recipe with its
// data.augment, against the same recipe without distortions, with the distortions made
//   - by the engine's threads (assembly/augment.ts, what `convnotes train` does), and
//   - on the training thread in float64 (src/data/augment.ts, the path of a network made without room for it),
// at 1 and at 2 threads, alternating the variants `--runs` times (default 3) on `--limit` images (default 10,000).
//   node scripts/measure-augment.mjs [--recipe simard-wide] [--data DIR] [--runs N] [--limit N]   (after `npm run build`)
// Run it on an otherwise idle machine: it prints images per second and ratios, medians over the runs.
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const lib = await import(join(ROOT, 'dist', 'index.js'));
const { loadSplit } = await import(join(ROOT, 'dist', 'data', 'files.js'));
const { devDataDir } = await import('./dev-data.mjs');
const { smoothingRadius } = await import(join(ROOT, 'dist', 'data', 'augment.js'));
const { train } = await import(join(ROOT, 'dist', 'train', 'trainer.js'));
const { createNetwork } = await import(join(ROOT, 'dist', 'network', 'backend.js'));

const name = opt('--recipe', 'simard-wide');
const runs = Number(opt('--runs', '3'));
const limit = Number(opt('--limit', '10000'));
const all = loadSplit(opt('--data', devDataDir()), 'train');
const size = all.rows * all.cols;
const data = { ...all, images: all.images.subarray(0, limit * size), labels: all.labels.subarray(0, limit), count: limit };
const base = lib.builtinRecipe(name);
if (!base.augment) throw new Error(`recipe ${name} has no data.augment`);

async function rate(variant, threads) {
  const recipe = lib.builtinRecipe(name);
  recipe.training.epochs = 1;
  if (variant === 'none') recipe.augment = null;
  const distort = variant === 'threads' ? { rows: data.rows, cols: data.cols, radius: smoothingRadius(recipe.augment) } : undefined;
  const net = await createNetwork(recipe.network, { batch: Math.max(250, recipe.training.batch), threads, distort });
  try {
    const state = await train({ net, recipe, train: data, seed: 1, evalTrain: 0 });
    return state.history[0].imagesPerSecond;
  } finally {
    await net.dispose();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`distortion cost: ${name}, ${limit} images, ${runs} runs per variant, medians (images/s)`);
for (const threads of [1, 2]) {
  const got = { none: [], threads: [], main: [] };
  for (let r = 0; r < runs; r++) for (const v of Object.keys(got)) got[v].push(await rate(v, threads));
  const [n, t, m] = [median(got.none), median(got.threads), median(got.main)];
  console.log(`${threads} thread(s): no distortion ${n.toFixed(0)}; distorted by the engine's threads ${t.toFixed(0)} (${(t / n).toFixed(3)}×); ` +
    `on the training thread in float64 ${m.toFixed(0)} (${(m / n).toFixed(3)}×); threads vs training thread ${(t / m).toFixed(2)}×`);
}
