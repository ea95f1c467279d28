// A validation set held out of the training set (`--val FRACTION`): the test set is never used to
// choose anything (an epoch, a rate), so what chooses needs patterns of its own. Browser-safe.

import { channelsOf, checkDataset, type Dataset } from './dataset.js';
import { Rng } from '../util/rng.js';
import * as check from '../util/validate.js';

/**
 * Splits `data` into a training part and a validation part of round(fraction · count) patterns, drawn
 * by a seeded shuffle (the same seed gives the same split, so a resumed run validates on the same
 * patterns). Both parts are copies, in the original order.
 */
export function holdOut(data: Dataset, fraction: number, seed: number): { train: Dataset; val: Dataset } {
  checkDataset(data, 'data');
  check.finite(fraction, 'fraction');
  if (!(fraction > 0 && fraction < 1)) check.fail('fraction', 'a number in (0, 1): the share of the training set held out', fraction);
  check.integer(seed, 'seed', 0, 0xffffffff);
  const n = Math.round(fraction * data.count);
  if (n < 1 || n >= data.count) check.fail('fraction', `a share that leaves both parts at least one of the ${data.count} patterns`, fraction);
  const order = Array.from({ length: data.count }, (_, i) => i);
  new Rng(seed).shuffle(order);
  const held = new Uint8Array(data.count);
  for (let k = 0; k < n; k++) held[order[k]] = 1;
  const size = channelsOf(data) * data.rows * data.cols;
  const part = (keep: number, count: number, what: string): Dataset => {
    const images = new Uint8Array(count * size);
    const labels = new Uint8Array(count);
    let j = 0;
    for (let i = 0; i < data.count; i++) {
      if (held[i] !== keep) continue;
      images.set(data.images.subarray(i * size, (i + 1) * size), j * size);
      labels[j++] = data.labels[i];
    }
    return { ...data, images, labels, count, source: `${data.source} (${what})` };
  };
  return { train: part(0, data.count - n, 'training part'), val: part(1, n, `validation part, ${n} patterns held out`) };
}
