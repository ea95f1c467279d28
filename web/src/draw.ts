// Small canvas helpers: grey images of kernels and maps, colour images of 3 planes (a colour input, its
// maps, first-layer kernels of it), heat maps. (The drawn digit is made into an MNIST one by the
// library's mnistDigitFromRgba, the same function as `convnotes predict --png`.)

/** A canvas showing values as grey (scaled to their own min–max when `normalise`, else 0–1). */
export function drawGrey(values: ArrayLike<number>, w: number, h: number, zoom: number, normalise: boolean, offset = 0): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.style.width = `${w * zoom}px`;
  c.style.height = `${h * zoom}px`;
  const g = c.getContext('2d')!;
  const img = g.createImageData(w, h);
  let lo = 0;
  let hi = 1;
  if (normalise) {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < w * h; i++) {
      const v = values[offset + i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) hi = lo + 1;
  }
  for (let i = 0; i < w * h; i++) {
    const v = Math.round((255 * (values[offset + i] - lo)) / (hi - lo));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = Math.max(0, Math.min(255, v));
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
  return c;
}

/** The smallest and largest of values[from … to), and 1 apart when they are equal. */
export function rangeOf(values: ArrayLike<number>, from = 0, to = values.length): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = from; i < to; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/**
 * A canvas showing 3 planes of h×w (values[offset …]: R, then G, then B) as one colour image, each value
 * v as 255·(v − lo)/(hi − lo): one scale for the three, so the colours keep their balance.
 */
export function drawRgb(values: ArrayLike<number>, w: number, h: number, zoom: number, lo: number, hi: number, offset = 0): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.style.width = `${w * zoom}px`;
  c.style.height = `${h * zoom}px`;
  c.className = 'rgb';
  const g = c.getContext('2d')!;
  const img = g.createImageData(w, h);
  const plane = w * h;
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = Math.round((255 * (values[offset + ch * plane + i] - lo)) / (hi - lo));
      img.data[4 * i + ch] = Math.max(0, Math.min(255, v));
    }
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
  return c;
}

/** `count` colour images of 3 planes h×w each (kernels: [count][3][h][w]) on the set's one scale. */
export function drawRgbSet(values: Float32Array, count: number, h: number, w: number, zoom: number): HTMLElement {
  const grid = document.createElement('div');
  grid.className = 'grid';
  const [lo, hi] = rangeOf(values, 0, count * 3 * h * w);
  for (let k = 0; k < count; k++) grid.append(drawRgb(values, w, h, zoom, lo, hi, k * 3 * h * w));
  return grid;
}

/** `count` maps of h×w, each as its own small grey image. */
export function drawMaps(values: Float32Array, count: number, h: number, w: number, zoom: number, normalise: boolean): HTMLElement {
  const grid = document.createElement('div');
  grid.className = 'grid';
  // units of a fully connected layer: one strip, on a common scale
  if (h * w === 1) {
    grid.append(drawGrey(values, count, 1, zoom, normalise));
    return grid;
  }
  for (let k = 0; k < count; k++) grid.append(drawGrey(values, w, h, zoom, normalise, k * h * w));
  return grid;
}

/** White → orange → dark red for 0 … 1. */
export function heat(v: number): string {
  const t = Math.max(0, Math.min(1, v));
  const r = Math.round(255 - 90 * t * t);
  const g = Math.round(255 - 215 * t);
  const b = Math.round(255 - 235 * Math.sqrt(t));
  return `rgb(${r},${g},${b})`;
}

/** A rows×cols heat map of values in 0 … 1. */
export function drawHeatmap(values: Float32Array, rows: number, cols: number, cell: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = cols * cell;
  c.height = rows * cell;
  const g = c.getContext('2d')!;
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      g.fillStyle = heat(values[j * cols + i]);
      g.fillRect(i * cell, j * cell, cell - 1, cell - 1);
    }
  }
  return c;
}
