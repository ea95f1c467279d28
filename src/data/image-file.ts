// One picture (PNG or JPEG) as a one-image dataset for a model's input: what `convnotes predict --image`
// classifies. Decoded and made into the model's channels by the image-folder reader's rules
// (src/data/image-set.ts: alpha dropped, grey as the luma); a picture that fits the input is centred as it is,
// as training placed its images (fillBatch), and a larger one is resized to the input's size by the
// readers' bilinear rule (src/data/resize.ts): image-set.ts's pictureDataset, which the playground's
// picture runs too. Node.

import { readFileSync, statSync } from 'node:fs';
import type { Dataset } from './dataset.js';
import { decodeImage } from './decode.js';
import { DataError } from './idx.js';
import { pictureDataset } from './image-set.js';

/** The picture in `file` as a dataset of one image (label 0) of `channels` (1 or 3) for a height×width input. */
export function imageFileDataset(file: string, channels: number, height: number, width: number): Dataset {
  if (channels !== 1 && channels !== 3) throw new DataError(file, `the model takes ${channels} input maps; a picture gives 1 (grey) or 3 (RGB)`);
  let bytes: Uint8Array;
  try {
    if (statSync(file).isDirectory()) throw new DataError(file, 'is a directory, expected a PNG or JPEG file');
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`);
  }
  const { rgba, width: w, height: h } = decodeImage(bytes, file);
  return pictureDataset(rgba, w, h, channels, height, width, file);
}
