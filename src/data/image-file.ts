// One picture (PNG or JPEG) as a one-image dataset for a model's input: what `convnotes predict --image`
// classifies. Decoded and made into the model's channels by the image-folder reader's rules
// (src/data/image-set.ts: alpha dropped, grey as the luma); a picture that fits the input is centred as it is,
// as training placed its images (fillBatch), and a larger one is resized to the input's size by the
// readers' bilinear rule (src/data/resize.ts): image-set.ts's pictureDataset, which the playground's
// picture runs too. Node.

import type { Dataset } from './dataset.js';
import { decodeImage } from './decode.js';
import { readDataFile } from './files.js';
import { DataError } from './idx.js';
import { pictureDataset } from './image-set.js';

/** The picture in `file` as a dataset of one image (label 0) of `channels` (1 or 3) for a height×width input. */
export function imageFileDataset(file: string, channels: number, height: number, width: number): Dataset {
  if (channels !== 1 && channels !== 3) throw new DataError(file, `the model takes ${channels} input maps; a picture gives 1 (grey) or 3 (RGB)`);
  const { rgba, width: w, height: h } = decodeImage(readDataFile(file, 'a PNG or JPEG file'), file);
  return pictureDataset(rgba, w, h, channels, height, width, file);
}
