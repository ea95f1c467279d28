// `convnotes inspect --augment RECIPE --out grid.png`: a picture of what a recipe's distortions do
// (src/data/augment-grid.ts draws it): each row an original training digit followed by distorted draws of it.

import { augmentGrid } from '../data/augment-grid.js';
import { loadRecipe } from '../recipes/load.js';
import { writeFileAtomic } from '../util/atomic.js';
import { CliError } from './errors.js';
import { loadTrainingData } from '../data/bundled.js';

export function runAugmentGrid(o: { augment: string; out?: string; data?: string; rows: number; columns: number; seed: number }): number {
  if (!o.out) throw new CliError('inspect --augment: give --out FILE.png for the grid');
  const recipe = loadRecipe(o.augment);
  if (!recipe.augment) throw new CliError(`--augment ${o.augment}: the recipe has no data.augment distortions to show`);
  const { train } = loadTrainingData(o.data, 10);
  writeFileAtomic(o.out, augmentGrid(train, recipe.augment, { rows: o.rows, columns: o.columns, seed: o.seed }));
  process.stdout.write(`${o.out}: ${o.rows} training digits (first column) and ${o.columns} distortions of each by ${recipe.name}'s data.augment ${JSON.stringify(recipe.augment)}\n`);
  return 0;
}
