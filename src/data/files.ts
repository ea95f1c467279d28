// Reading IDX datasets from disk (Node only): gzipped or not, from a folder holding the four
// standard file names (MNIST, Fashion-MNIST, KMNIST, or any set named the same way), of any image size
// and class count.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { datasetFromIdx, IDX_FILES, type Dataset } from './dataset.js';
import { DataError, parseIdx, type IdxArray } from './idx.js';

/** A data file's bytes; a DataError naming it when it is missing, a folder (`expected`: what it should be) or unreadable. */
export function readDataFile(file: string, expected: string): Uint8Array {
  try {
    if (statSync(file).isDirectory()) throw new DataError(file, `is a directory, expected ${expected}`);
    return readFileSync(file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`);
  }
}

/** Reads an IDX file from disk, un-gzipping it when it starts with gzip's magic bytes. */
export function readIdx(file: string, expectedDims?: number): IdxArray {
  let raw = readDataFile(file, 'an IDX file');
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw);
    } catch (e) {
      throw new DataError(file, `corrupt gzip data (${(e as Error).message})`);
    }
  }
  return parseIdx(raw, file, expectedDims);
}

/** A file of the standard name in `dir`, gzipped or not. */
function findFile(dir: string, name: string): string {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) if (existsSync(candidate)) return candidate;
  throw new DataError(join(dir, `${name}.gz`), `no such file (nor ${name} uncompressed)`);
}

/** What to tell a user who has no data folder. */
export const IDX_PATHS_HINT =
  'put the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, ' +
  't10k-labels-idx1-ubyte.gz) in a folder and give it with --data DIR or CONVNOTES_DATA, or run `npx convnotes download mnist`';

/** Refuses a data folder that is missing or not a folder (the messages every kind of data folder shares). */
export function checkDataFolder(dir: string): void {
  if (!existsSync(dir)) throw new DataError(dir, `no such folder; ${IDX_PATHS_HINT}`);
  if (!statSync(dir).isDirectory()) throw new DataError(dir, 'is not a folder: --data takes the folder holding the IDX files (or class folders of images, or CIFAR-10 batches)');
}

/**
 * Loads the train or test split from a folder holding the four standard IDX file names. Labels must
 * be below `classes`; when it is not given, the classes are the data's (its largest label + 1), so
 * sets of any class count (26 letters, say) load.
 */
export function loadSplit(dir: string, split: 'train' | 'test', classes?: number): Dataset {
  checkDataFolder(dir);
  const [imageName, labelName] = IDX_FILES[split];
  const imageFile = findFile(dir, imageName);
  const labelFile = findFile(dir, labelName);
  const images = readIdx(imageFile, 3);
  const labels = readIdx(labelFile, 1);
  return datasetFromIdx(images, labels, imageFile, labelFile, classes ?? labelCount(labels.data));
}

/** Classes the labels imply: the largest + 1 (at least 1). */
export function labelCount(labels: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  return max + 1;
}

/** Whether `dir` holds all four standard IDX files (gzipped or not): an empty or partial folder does not count. */
export function holdsIdxSet(dir: string): boolean {
  return [...IDX_FILES.train, ...IDX_FILES.test].every((f) => existsSync(join(dir, `${f}.gz`)) || existsSync(join(dir, f)));
}

/** Whether `dir` holds any of the four standard IDX files: an IDX folder, complete or not (loadSplit names what is missing). */
export function holdsIdxFile(dir: string): boolean {
  return [...IDX_FILES.train, ...IDX_FILES.test].some((f) => existsSync(join(dir, `${f}.gz`)) || existsSync(join(dir, f)));
}

/** The per-user cache folder of a dataset: $XDG_CACHE_HOME/convnotes/<name>, else ~/.cache/convnotes/<name>. */
export function cacheDir(name: string): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'convnotes', name);
}

/**
 * The data folder: `CONVNOTES_DATA` when set, else the per-user cache (~/.cache/convnotes/mnist), where
 * `convnotes download mnist` puts the set. Callers check `holdsIdxSet` before taking it for data.
 */
export function defaultDataDir(): string {
  return process.env.CONVNOTES_DATA ? resolve(process.env.CONVNOTES_DATA) : cacheDir('mnist');
}
