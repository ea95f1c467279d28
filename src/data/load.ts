// One entry point for a data folder of any kind (Node): what `--data DIR` reads. The kind is told from
// what the folder holds: any of the four standard IDX file names → IDX (src/data/files.ts); else
// any CIFAR-10 batch (data_batch_N.bin, test_batch.bin) → CIFAR-10 (src/data/cifar-files.ts); else
// class folders of PNG and JPEG images (src/data/image-folder.ts). docs/DATA.md describes each.

import type { Dataset } from './dataset.js';
import { holdsCifar10, loadCifar10 } from './cifar-files.js';
import { checkDataFolder, holdsIdxFile, loadSplit } from './files.js';
import { DataError } from './idx.js';
import { loadImageFolder, type ImageFolderOptions } from './image-folder.js';

export type DataKind = 'idx' | 'images' | 'cifar10';

/** An image folder's options, and `classes`: what the labels must be below (a network's outputs; default: the data's own). */
export type DataFolderOptions = ImageFolderOptions;

export interface DataFolder {
  train: Dataset;
  /** null: an image folder without test/ (DIR/<class>/… is all training data). */
  test: Dataset | null;
  /** An image folder's val/ split, else null. */
  val: Dataset | null;
  kind: DataKind;
  /** The folder and what it held, said to the user. */
  origin: string;
  /** An image folder read from the decoded-image cache. */
  fromCache?: boolean;
}

/** The kind of data a folder holds (it must exist): see the header. */
export function dataKind(dir: string): DataKind {
  checkDataFolder(dir);
  return holdsIdxFile(dir) ? 'idx' : holdsCifar10(dir) ? 'cifar10' : 'images';
}

/**
 * Loads a data folder of any kind. `classes`: labels must be below it (refused naming an IDX label file
 * and the label, or an image or CIFAR-10 folder and its class count, before any image is decoded). The
 * other options apply to image folders.
 */
export function loadDataFolder(dir: string, options: DataFolderOptions = {}): DataFolder {
  const { classes } = options;
  const kind = dataKind(dir);
  if (kind === 'idx') {
    return { train: loadSplit(dir, 'train', classes), test: loadSplit(dir, 'test', classes), val: null, kind, origin: dir };
  }
  if (kind === 'cifar10') {
    if (classes !== undefined && classes < 10) throw new DataError(dir, `10 CIFAR-10 classes, more than the ${classes} classes the network tells apart`);
    const { train, test } = loadCifar10(dir);
    return { train, test, val: null, kind, origin: `${dir} (CIFAR-10: ${train.count} training and ${test.count} test images, 32×32 colour)` };
  }
  const data = loadImageFolder(dir, options);
  const { train } = data;
  const names = train.classNames!;
  const splits = [['training', train], ['test', data.test], ['validation', data.val]] as const;
  const counts = splits.filter(([, d]) => d).map(([what, d]) => `${d!.count} ${what}`).join(', ');
  return {
    train, test: data.test, val: data.val, kind, fromCache: data.fromCache,
    origin: `${dir} (${names.length} classes, ${counts} images, ${train.rows}×${train.cols} ${train.channels === 3 ? 'colour' : 'grey'}${data.fromCache ? ', decoded earlier (cache)' : ''})`,
  };
}
