// Small canvas helpers: grey images of kernels and maps, heat maps, and the drawn digit made to look
// like an MNIST one.

/**
 * A drawing (white on black) as MNIST prepared its digits: the bounding box of the ink scaled so its
 * longer side is 20 pixels (anti-aliased, aspect kept), placed in a 28×28 field so that its centre of
 * mass is at the centre. Grey levels 0–255, bright digit on dark.
 */
export function centredDigit(img: ImageData): Float32Array {
  const { width: W, height: H, data } = img;
  let x0 = W;
  let y0 = H;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (data[4 * (y * W + x)] > 20) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  const out = new Float32Array(28 * 28);
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * scale));
  const sh = Math.max(1, Math.round(bh * scale));
  // area-averaged down-sampling of the box into sw×sh
  const small = new Float32Array(sw * sh);
  const fx = bw / sw;
  const fy = bh / sh;
  for (let oy = 0; oy < sh; oy++) {
    for (let ox = 0; ox < sw; ox++) {
      const ya = y0 + oy * fy;
      const xa = x0 + ox * fx;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(ya); y < Math.min(y1 + 1, Math.ceil(ya + fy)); y++) {
        const wy = Math.min(y + 1, ya + fy) - Math.max(y, ya);
        for (let x = Math.floor(xa); x < Math.min(x1 + 1, Math.ceil(xa + fx)); x++) {
          const wx = Math.min(x + 1, xa + fx) - Math.max(x, xa);
          sum += wx * wy * data[4 * (y * W + x)];
          area += wx * wy;
        }
      }
      small[oy * sw + ox] = area > 0 ? sum / area : 0;
    }
  }
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = small[y * sw + x];
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  const left = Math.round(14 - cx / mass);
  const top = Math.round(14 - cy / mass);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const ty = top + y;
      const tx = left + x;
      if (ty >= 0 && ty < 28 && tx >= 0 && tx < 28) out[ty * 28 + tx] = Math.min(255, small[y * sw + x]);
    }
  }
  return out;
}

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
