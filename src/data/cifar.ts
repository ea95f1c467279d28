// CIFAR-10's binary version (Krizhevsky 2009, cifar-10-binary.tar.gz): each batch file is a run of
// 3073-byte records, one label byte (0–9) and 3072 pixel bytes, the 1024 red then the 1024 green then
// the 1024 blue levels of a 32×32 image, row-major: exactly a Dataset's [channels][rows][cols] layout.
// Browser-safe; reading the batch files from a folder is src/data/cifar-files.ts.

import type { Dataset } from './dataset.js';
import { DataError } from './idx.js';
import * as check from '../util/validate.js';

export const CIFAR_SIDE = 32;
export const CIFAR_RECORD = 1 + 3 * CIFAR_SIDE * CIFAR_SIDE;
/** CIFAR-10's class names, in label order (what batches.meta.txt says). */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** One CIFAR-10 batch file's bytes as a dataset (3 channels, 32×32); `file` names it in errors and is its source. */
export function parseCifar10(bytes: Uint8Array, file: string): Dataset {
  if (!(bytes instanceof Uint8Array)) check.fail('bytes', 'a Uint8Array (the file\'s contents)', bytes);
  if (typeof file !== 'string') check.fail('file', 'a string (the file\'s name, for messages)', file);
  if (bytes.length === 0) throw new DataError(file, `0 bytes, expected at least one ${CIFAR_RECORD}-byte CIFAR-10 record`);
  if (bytes.length % CIFAR_RECORD !== 0) {
    throw new DataError(file, `${bytes.length} bytes is not a whole number of ${CIFAR_RECORD}-byte CIFAR-10 records`);
  }
  const count = bytes.length / CIFAR_RECORD;
  const size = CIFAR_RECORD - 1;
  const images = new Uint8Array(count * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * CIFAR_RECORD;
    if (bytes[at] > 9) throw new DataError(file, `record ${i} (byte ${at}) has label ${bytes[at]}, expected a class in 0–9`);
    labels[i] = bytes[at];
    images.set(bytes.subarray(at + 1, at + CIFAR_RECORD), i * size);
  }
  return { images, labels, count, channels: 3, rows: CIFAR_SIDE, cols: CIFAR_SIDE, source: file };
}
