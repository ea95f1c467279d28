// The one image preprocessing (src/data/images.ts) of `convnotes predict --png` and the playground's
// drawing: hand-computed cases, and MNIST's own digits as its fixed points.
import { describe, expect, it } from 'vitest';
import { loadBundledDigits } from '../../src/data/bundled.js';
import { areaResample, backgroundLevel, DIGIT_SIZE, greyFromRgba, mnistDigit, mnistDigitFromRgba } from '../../src/data/images.js';

const S = DIGIT_SIZE;

/** A w×h image of 0 with `v` in rows/cols given. */
function image(w: number, h: number, pixels: [number, number, number][], background = 0): Float64Array {
  const g = new Float64Array(w * h).fill(background);
  for (const [x, y, v] of pixels) g[y * w + x] = v;
  return g;
}

/** The (x, y) centre of mass of a 28×28 digit, pixels at their indices. */
function centreOfMass(d: Uint8Array): [number, number] {
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) { m += d[y * S + x]; mx += d[y * S + x] * x; my += d[y * S + x] * y; }
  return [mx / m, my / m];
}

/** The ink's bounding box [x0, y0, x1, y1] of a 28×28 digit. */
function box(d: Uint8Array): [number, number, number, number] {
  let x0 = S, y0 = S, x1 = -1, y1 = -1;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) if (d[y * S + x] > 0) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
  return [x0, y0, x1, y1];
}

describe('mnistDigit', () => {
  it('a 3×1 ink box of levels 90, 30, 60 (by hand): scaled ×20/3 to 20×7 with area weights, placed by its centre of mass', () => {
    // 5×3, ink in the middle row; scale 20/3: 20 columns of 0.15 input pixels, round(20/3) = 7 rows
    const d = mnistDigit(image(5, 3, [[1, 1, 90], [2, 1, 30], [3, 1, 60]]), 5, 3);
    // columns 0–5 cover [0, 0.9): 90; column 6 covers [0.9, 1.05): (0.1·90 + 0.05·30) / 0.15 = 70;
    // 7–12 cover [1.05, 1.95): 30; 13 covers [1.95, 2.1): (0.05·30 + 0.1·60) / 0.15 = 50; 14–19: 60
    const row = [90, 90, 90, 90, 90, 90, 70, 30, 30, 30, 30, 30, 30, 50, 60, 60, 60, 60, 60, 60];
    // centre of mass: x = Σ v·x / Σ v = 10070 / 1200 = 8.39…, left = round(14 − 8.39) = 6; y = 3, top = 11
    const expected = new Uint8Array(S * S);
    for (let y = 11; y < 18; y++) expected.set(row, y * S + 6);
    expect(Array.from(d)).toEqual(Array.from(expected));
  });

  it('a 4×2 box (its bottom-right pixel empty): scaled ×5 to 20×10, placed by its centre of mass', () => {
    const blob: [number, number, number][] = [[0, 0], [1, 0], [2, 0], [3, 0], [0, 1], [1, 1], [2, 1]].map(([x, y]) => [x + 5, y + 7, 255]);
    const d = mnistDigit(image(10, 10, blob), 10, 10);
    // 175 pixels of 255: the top 20×5 (centre (9.5, 2)) and 15×5 below (centre (7, 7)):
    // x = (100·9.5 + 75·7) / 175 = 8.43, left = round(5.57) = 6; y = (100·2 + 75·7) / 175 = 4.14, top = round(9.86) = 10
    const expected = new Uint8Array(S * S);
    for (let y = 0; y < 10; y++) for (let x = 0; x < (y < 5 ? 20 : 15); x++) expected[(10 + y) * S + 6 + x] = 255;
    expect(Array.from(d)).toEqual(Array.from(expected));
  });

  it('scales a large drawing down with anti-aliasing: 1-pixel stripes average to grey', () => {
    // a 40×40 box (columns 1–40, rows 1–40 of 42×42): odd columns 255, even ones 0, and (40, 1) inked
    // so the box reaches column 40. Scale 1/2: each 2×2 block holds one 255 column and one 0 column
    const w = 42;
    const g = new Float64Array(w * w);
    for (let y = 1; y < 41; y++) for (let x = 1; x < 41; x++) g[y * w + x] = x % 2 ? 255 : 0;
    g[1 * w + 40] = 255;
    const d = mnistDigit(g, w, w);
    const [x0, y0, x1, y1] = box(d);
    expect([x1 - x0 + 1, y1 - y0 + 1]).toEqual([20, 20]);
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
      // 127.5 rounds to 128; the top-right block holds three 255s: 191.25 → 191
      expect(d[y * S + x]).toBe(x === x1 && y === y0 ? 191 : 128);
    }
  });

  it('puts the centre of mass, not the box centre, at (14, 14): a Γ whose mass is in its bar', () => {
    // a 20×14 box: a 20×2 bar along the top, a 1-pixel stem down the left (12 pixels)
    const pixels: [number, number, number][] = [];
    for (let x = 0; x < 20; x++) for (let y = 0; y < 2; y++) pixels.push([x + 3, y + 30, 255]);
    for (let y = 2; y < 14; y++) pixels.push([3, y + 30, 255]);
    const d = mnistDigit(image(40, 60, pixels), 40, 60);
    // x = (40·9.5 + 12·0) / 52 = 7.31, left = round(6.69) = 7; y = (40·0.5 + 12·7.5) / 52 = 2.12, top = round(11.88) = 12
    expect(box(d)).toEqual([7, 12, 26, 25]);
    const [cx, cy] = centreOfMass(d);
    expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
    // centring the box instead would have put its top at (28 − 14) / 2 = 7
  });

  it('is the same for dark-on-light and light-on-dark, and on an off-white page', () => {
    const pixels: [number, number, number][] = [[2, 2, 200], [3, 2, 240], [3, 3, 120], [3, 4, 240], [4, 5, 80]];
    const bright = mnistDigit(image(8, 8, pixels), 8, 8);
    const dark = image(8, 8, pixels.map(([x, y, v]) => [x, y, 255 - v]), 255);
    expect(Array.from(mnistDigit(dark, 8, 8))).toEqual(Array.from(bright));
    // ink darkening a page of 245 by the same amounts: the page's level is taken off
    const offWhite = image(8, 8, pixels.map(([x, y, v]) => [x, y, 245 - v]), 245);
    expect(Array.from(mnistDigit(offWhite, 8, 8))).toEqual(Array.from(bright));
    expect(bright.filter((v) => v > 0).length).toBeGreaterThan(100);
  });

  it('gives all zeros for an empty picture, and is translation-invariant', () => {
    expect(mnistDigit(new Float64Array(100).fill(255), 10, 10).every((v) => v === 0)).toBe(true);
    const blob: [number, number, number][] = [[0, 0, 255], [1, 0, 100], [1, 1, 255], [2, 2, 40]];
    const at = (dx: number, dy: number) => Array.from(mnistDigit(image(30, 30, blob.map(([x, y, v]) => [x + dx, y + dy, v])), 30, 30));
    expect(at(26, 1)).toEqual(at(5, 17));
  });

  it('maps every shipped MNIST test digit to itself, and a 2× enlargement of it back to it', () => {
    const test = loadBundledDigits().test;
    let checked = 0;
    for (let n = 0; n < test.count; n++) {
      const digit = Uint8Array.from(test.images.subarray(n * S * S, (n + 1) * S * S));
      expect(mnistDigit(digit, S, S)).toEqual(digit);
      if (n % 50 === 0) {
        const big = new Float64Array(4 * S * S);
        for (let y = 0; y < 2 * S; y++) for (let x = 0; x < 2 * S; x++) big[y * 2 * S + x] = 255 - digit[(y >> 1) * S + (x >> 1)];
        expect(mnistDigit(big, 2 * S, 2 * S)).toEqual(digit);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

describe('greyFromRgba and the frame', () => {
  it('luminance, grey kept exact, transparency composited over white', () => {
    const rgba = new Uint8Array([
      200, 200, 200, 255, // grey: exactly 200
      255, 0, 0, 255, // red: 0.299·255
      0, 0, 0, 0, // transparent: white
      0, 0, 0, 51, // 20 % black over white: 0.8·255
    ]);
    const g = greyFromRgba(rgba, 2, 2);
    expect(g[0]).toBe(200);
    expect(g[1]).toBeCloseTo(0.299 * 255, 12);
    expect(g[2]).toBe(255);
    expect(g[3]).toBeCloseTo(0.8 * 255, 12);
    // black ink on a transparent background is the same digit as black on white
    const ink = (alphaBackground: boolean) => {
      const a = new Uint8Array(16 * 16 * 4);
      for (let p = 0; p < 256; p++) {
        const on = p % 16 > 4 && p % 16 < 9 && p >> 4 > 3 && p >> 4 < 12;
        a.set(on ? [0, 0, 0, 255] : alphaBackground ? [0, 0, 0, 0] : [255, 255, 255, 255], 4 * p);
      }
      return Array.from(mnistDigitFromRgba(a, 16, 16));
    };
    expect(ink(true)).toEqual(ink(false));
  });

  it('backgroundLevel is the median of the outermost pixels', () => {
    // 3×3: the frame's 8 pixels sorted 0,0,0,9,9,9,9,9 (the centre's 100 not among them): (9 + 9) / 2
    const g = new Float64Array([0, 0, 9, 0, 100, 9, 9, 9, 9]);
    expect(backgroundLevel(g, 3, 3)).toBe(9);
    expect(backgroundLevel(new Float64Array([1, 2, 3, 4]), 2, 2)).toBe(2.5);
  });

  it('areaResample at scale 1 copies and at 1/2 averages 2×2 blocks', () => {
    const src = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const copy = new Float64Array(4);
    areaResample(src, 4, 1, 1, 2, 2, copy, 2, 2);
    expect(Array.from(copy)).toEqual([6, 7, 10, 11]);
    const half = new Float64Array(4);
    areaResample(src, 4, 0, 0, 4, 4, half, 2, 2);
    expect(Array.from(half)).toEqual([3.5, 5.5, 11.5, 13.5]);
  });

  it('refuses arguments that are not what it takes, naming them', () => {
    expect(() => mnistDigit(new Float64Array(3), 2, 2)).toThrow(/grey/);
    expect(() => mnistDigit(new Float64Array(4), 0, 4)).toThrow(/width/);
    expect(() => greyFromRgba(new Uint8Array(15), 2, 2)).toThrow(/rgba/);
    expect(() => greyFromRgba(new Uint8Array(16), -2, 2)).toThrow(/width/);
    expect(() => greyFromRgba(new Uint8Array(16), 2, 2, new Float64Array(3))).toThrow(/out/);
    expect(() => mnistDigit(new Float64Array(4), 2, 2, new Uint8Array(10))).toThrow(/out/);
  });
});
