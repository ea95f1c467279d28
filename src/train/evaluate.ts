// Error rate and mean loss of a network on a set of patterns.
import { fillBatch, type Dataset, type Normalisation } from '../data/dataset.js';
import type { Network } from '../network.js';

export interface Evaluation {
  /** Fraction misclassified (the largest output is the predicted class). */
  error: number;
  /** Mean per-pattern loss (§4.3), penalties excluded. */
  loss: number;
  count: number;
}

export function evaluate(net: Network, data: Dataset, indices: ArrayLike<number>, norm: Normalisation, batch = 100): Evaluation {
  const [, h, w] = net.inputShape;
  const x = new Float64Array(batch * net.inputSize);
  const labels = new Uint8Array(batch);
  const classes = net.outputSize;
  let wrong = 0;
  let loss = 0;
  for (let start = 0; start < indices.length; start += batch) {
    const b = Math.min(batch, indices.length - start);
    fillBatch(data, indices, start, b, h, w, norm, x, labels);
    const y = net.forward(x, b);
    loss += (net.loss(labels.subarray(0, b)) - net.penalty()) * b;
    for (let n = 0; n < b; n++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (y[n * classes + k] > y[n * classes + best]) best = k;
      if (best !== labels[n]) wrong++;
    }
  }
  return { error: wrong / indices.length, loss: loss / indices.length, count: indices.length };
}
