// CIFAR-10's binary batches from a folder (Node): the folder cifar-10-binary.tar.gz unpacks to
// (cifar-10-batches-bin/), holding data_batch_1.bin … data_batch_5.bin, test_batch.bin and
// batches.meta.txt. Parsing one batch is src/data/cifar.ts's job.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from './dataset.js';
import { CIFAR10_CLASSES, CIFAR_RECORD, parseCifar10 } from './cifar.js';
import { readDataFile } from './files.js';
import { DataError } from './idx.js';

export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const CIFAR10_TEST_FILE = 'test_batch.bin';

/** Whether `dir` holds any CIFAR-10 batch file (what makes loadDataFolder read it as CIFAR-10). */
export function holdsCifar10(dir: string): boolean {
  return [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].some((f) => existsSync(join(dir, f)));
}

const readBytes = (file: string): Uint8Array => readDataFile(file, 'a CIFAR-10 batch file');

/**
 * The training batches present (data_batch_1.bin … data_batch_5.bin, at least one), concatenated in
 * that order, and test_batch.bin; class names from batches.meta.txt when present (one per line,
 * blank lines dropped), else CIFAR-10's ten.
 */
export function loadCifar10(dir: string): { train: Dataset; test: Dataset } {
  const present = CIFAR10_TRAIN_FILES.filter((f) => existsSync(join(dir, f)));
  if (present.length === 0) throw new DataError(dir, `no CIFAR-10 training batch (${CIFAR10_TRAIN_FILES[0]} … ${CIFAR10_TRAIN_FILES[4]})`);
  const batches = present.map((f) => parseCifar10(readBytes(join(dir, f)), join(dir, f)));
  const test = parseCifar10(readBytes(join(dir, CIFAR10_TEST_FILE)), join(dir, CIFAR10_TEST_FILE));
  const count = batches.reduce((s, b) => s + b.count, 0);
  const size = CIFAR_RECORD - 1;
  const images = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const b of batches) {
    images.set(b.images, at * size);
    labels.set(b.labels, at);
    at += b.count;
  }
  const classNames = readClassNames(join(dir, 'batches.meta.txt'));
  const source = present.length === 1 ? join(dir, present[0]) : `${join(dir, present[0])} … ${present.at(-1)}`;
  return {
    train: { ...batches[0], images, labels, count, classNames, source },
    test: { ...test, classNames },
  };
}

function readClassNames(file: string): string[] {
  if (!existsSync(file)) return [...CIFAR10_CLASSES];
  const names = new TextDecoder().decode(readBytes(file)).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (names.length !== 10) throw new DataError(file, `${names.length} class names, expected 10 (one per line)`);
  return names;
}
