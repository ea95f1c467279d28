// `convnotes inspect --augment RECIPE --out grid.png`: a picture of what a recipe's distortions do:
// each row an original training digit followed by distorted draws of it.

import { PNG } from 'pngjs';
import { Augmenter } from '../data/augment.js';
import { writeFileAtomic } from '../atomic.js';
import { Rng } from '../rng.js';
import { CliError } from './errors.js';
import { loadRecipe } from './load.js';
import { loadTrainingData } from './train.js';

export function runAugmentGrid(o: { augment: string; out?: string; data?: string; rows: number; columns: number; seed: number }): number {
  if (!o.out) throw new CliError('inspect --augment: give --out FILE.png for the grid');
  const recipe = loadRecipe(o.augment);
  if (!recipe.augment) throw new CliError(`--augment ${o.augment}: the recipe has no data.augment distortions to show`);
  const { train } = loadTrainingData(o.data, 10);
  const { rows, cols } = train;
  const augmenter = new Augmenter(rows, cols, recipe.augment);
  const rng = new Rng(o.seed);
  const gap = 2;
  const cellW = cols + gap;
  const cellH = rows + gap;
  const png = new PNG({ width: (o.columns + 1) * cellW + gap, height: o.rows * cellH + gap });
  png.data.fill(255);
  const image = new Float64Array(rows * cols);
  const put = (r: number, c: number, grey: ArrayLike<number>): void => {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const v = 255 - Math.max(0, Math.min(255, Math.round(grey[y * cols + x]))); // dark ink on white
        const p = ((gap + r * cellH + y) * png.width + gap + c * cellW + x) * 4;
        png.data[p] = png.data[p + 1] = png.data[p + 2] = v;
        png.data[p + 3] = 255;
      }
    }
  };
  for (let r = 0; r < o.rows; r++) {
    const n = rng.int(train.count);
    put(r, 0, train.images.subarray(n * rows * cols, (n + 1) * rows * cols));
    for (let c = 1; c <= o.columns; c++) {
      augmenter.distort(train, n, rng, image, 0);
      put(r, c, image);
    }
  }
  writeFileAtomic(o.out, PNG.sync.write(png));
  process.stdout.write(`${o.out}: ${o.rows} training digits (first column) and ${o.columns} distortions of each by ${recipe.name}'s data.augment ${JSON.stringify(recipe.augment)}\n`);
  return 0;
}
