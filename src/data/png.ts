// A PNG file from disk as an MNIST digit (data/images.ts does the work; this only reads and decodes). Node.
import { readFileSync, statSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { Dataset } from './dataset.js';
import { DataError } from './idx.js';
import { DIGIT_SIZE, mnistDigitFromRgba } from './images.js';
import * as check from '../util/validate.js';

/** A PNG file's pixels, RGBA (pngjs decodes every colour type and bit depth to 8-bit RGBA). */
export function readPng(file: string): { rgba: Uint8Array; width: number; height: number } {
  if (typeof file !== 'string') check.fail('file', 'the path of a PNG file', file);
  try {
    if (statSync(file).isDirectory()) throw new DataError(file, 'is a directory, expected a PNG file');
    const png = PNG.sync.read(readFileSync(file));
    return { rgba: png.data, width: png.width, height: png.height };
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'no such file' : `not a readable PNG (${code ?? (e as Error).message})`);
  }
}

/** A PNG of a digit as a one-image dataset of its MNIST digit (28×28, label 0), for fillBatch. */
export function pngDigitDataset(file: string): Dataset {
  const { rgba, width, height } = readPng(file);
  const images = mnistDigitFromRgba(rgba, width, height);
  return { images, labels: new Uint8Array(1), count: 1, rows: DIGIT_SIZE, cols: DIGIT_SIZE, source: file };
}
