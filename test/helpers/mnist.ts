// Real MNIST for tests: the 10,000 digits convnotes ships (data/digits), always. Tests never read a
// data folder beside the checkout or a user cache, so what they see cannot depend on the machine.
import { loadBundledDigits } from '../../src/data/bundled.js';
import type { Dataset } from '../../src/data/dataset.js';

let cached: { train: Dataset; test: Dataset; origin: string } | null = null;

export function realDigits(): { train: Dataset; test: Dataset; origin: string } {
  cached ??= { ...loadBundledDigits(), origin: 'data/digits' };
  return cached;
}

/** The first n patterns of a dataset. */
export function head(d: Dataset, n: number): Dataset {
  const size = d.rows * d.cols;
  const count = Math.min(n, d.count);
  return { ...d, images: d.images.subarray(0, count * size), labels: d.labels.subarray(0, count), count };
}
