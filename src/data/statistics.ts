// Per-channel standardisation (recipes' `normalise: "standard"`): each channel's levels become
// (level/255 − mean_c)/deviation_c, with mean and deviation measured on the training set once, when a
// run starts, and stored in the recipe (so in every checkpoint and model file; eval, predict, the
// page and an ONNX graph with levels as input apply the same values). Browser-safe.

import { channelsOf, checkDataset, type Dataset, type Normalisation } from './dataset.js';

/** Per channel: the mean and the (population) standard deviation of level/255 over a training set. */
export interface ChannelStatistics {
  mean: number[];
  std: number[];
}

/** The per-channel statistics of `data`'s images (a deviation of 0, a constant channel, is taken as 1). */
export function measureStatistics(data: Dataset): ChannelStatistics {
  checkDataset(data, 'data');
  const channels = channelsOf(data);
  const size = data.rows * data.cols;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    // sums of integer levels are exact in float64 up to 2⁵³ / 255² ≈ 1.4·10¹¹ values
    let s = 0;
    let s2 = 0;
    for (let n = 0; n < data.count; n++) {
      const o = (n * channels + c) * size;
      for (let i = 0; i < size; i++) {
        const v = data.images[o + i];
        s += v;
        s2 += v * v;
      }
    }
    const count = data.count * size;
    const m = s / count;
    const variance = Math.max(0, s2 / count - m * m);
    mean.push(m / 255);
    std.push(variance > 0 ? Math.sqrt(variance) / 255 : 1);
  }
  return { mean, std };
}

/** The Normalisation of standardised channels: level 0 → −mean/std, level 255 → (1 − mean)/std. */
export function standardisation(stats: ChannelStatistics): Normalisation {
  const channels = stats.mean.map((m, c) => ({ background: -m / stats.std[c], foreground: (1 - m) / stats.std[c] }));
  return { ...channels[0], channels };
}
