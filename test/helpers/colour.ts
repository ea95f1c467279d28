// A small colour dataset for tests (issue 16): bars whose class is their colour and orientation, in
// three colours of one grey level, so that only the channels tell the colours apart.
import type { Dataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/rng.js';

export const SIDE = 16;
// red, green, blue of one grey level: 0.299R + 0.587G + 0.114B = 104.3, 104.6, 104.5
export const COLOURS = [[255, 40, 40], [40, 150, 40], [60, 98, 255]] as const;
export const NAMES = ['red-h', 'red-v', 'green-h', 'green-v', 'blue-h', 'blue-v'];

/**
 * count 3×16×16 images of a bar, class = colour × 2 + (vertical ? 1 : 0), on a noisy grey background.
 * The three colours have the same grey level to within 0.3, so telling them apart needs the channels.
 */
export function colourBars(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const size = SIDE * SIDE;
  const images = new Uint8Array(count * 3 * size);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const colour = rng.int(3);
    const vertical = rng.int(2);
    labels[n] = colour * 2 + vertical;
    const at = 3 + rng.int(SIDE - 6);
    const from = rng.int(4);
    const to = SIDE - rng.int(4);
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const [along, across] = vertical ? [r, c] : [c, r];
        const ink = along >= from && along < to && Math.abs(across - at) <= 1;
        const noise = rng.int(30);
        for (let ch = 0; ch < 3; ch++) images[(n * 3 + ch) * size + r * SIDE + c] = ink ? COLOURS[colour][ch] : 20 + noise;
      }
    }
  }
  return { images, labels, count, channels: 3, rows: SIDE, cols: SIDE, classNames: NAMES, source: `colourBars(${seed})` };
}
