// The browser-safe and Node decoding pieces of the image readers: decodeImage (PNG exactly, JPEG within a
// measured tolerance, every bad input a one-line DataError), the resize rule, CIFAR-10 batch parsing.
import { describe, expect, it } from 'vitest';
import { parseCifar10 } from '../../src/data/cifar.js';
import { decodeImage, MAX_PIXELS, rgbaIsGrey, rgbaToPlanes } from '../../src/data/decode.js';
import { DataError } from '../../src/data/idx.js';
import { resizeBilinear } from '../../src/data/resize.js';
import { realDigits } from '../helpers/mnist.js';
import { bilinearReference, greyRgba, jpegBytes, pngBytes, tintedRgba, dataErrorMessage } from '../helpers/images.js';

const digit = (i: number): Uint8Array => Uint8Array.from(realDigits().train.images.subarray(i * 784, (i + 1) * 784));

describe('decodeImage', () => {
  it('decodes PNGs of every colour type it writes exactly, grey and tinted', () => {
    for (let i = 0; i < 20; i++) {
      const grey = greyRgba(digit(i), 784);
      for (const type of [0, 2, 6] as const) {
        const d = decodeImage(pngBytes(grey, 28, 28, type), 'd.png');
        expect([d.width, d.height]).toEqual([28, 28]);
        expect(rgbaToPlanes(d.rgba, 784, 1)).toEqual(digit(i));
        expect(rgbaIsGrey(d.rgba, 784)).toBe(true);
      }
      const tinted = tintedRgba(digit(i), 784);
      const d = decodeImage(pngBytes(tinted, 28, 28, 2), 't.png');
      expect(rgbaIsGrey(d.rgba, 784)).toBe(false);
      const planes = rgbaToPlanes(d.rgba, 784, 3);
      expect(planes.subarray(0, 784)).toEqual(digit(i));
      expect(planes.subarray(784, 1568)).toEqual(digit(i).map((v) => v >> 1));
      expect(planes.subarray(1568)).toEqual(digit(i).map((v) => 255 - v));
    }
  });

  it('drops alpha: a transparent pixel keeps its stored colour', () => {
    const rgba = Uint8Array.from([10, 20, 30, 0, 200, 100, 50, 128]);
    const d = decodeImage(pngBytes(rgba, 2, 1, 6), 'a.png');
    expect([...d.rgba.subarray(0, 3), ...d.rgba.subarray(4, 7)]).toEqual([10, 20, 30, 200, 100, 50]);
    expect([...rgbaToPlanes(d.rgba, 2, 3)]).toEqual([10, 200, 20, 100, 30, 50]);
    // forced grey: round(0.299 R + 0.587 G + 0.114 B)
    expect([...rgbaToPlanes(d.rgba, 2, 1)]).toEqual([Math.round(0.299 * 10 + 0.587 * 20 + 0.114 * 30), Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)]);
  });

  it('decodes quality-95 JPEGs of real digits within 9 levels of the source, 0.6 on average, and grey as grey', () => {
    // measured on these 60 digits: max 9, mean 0.58 (and the same on 500)
    let max = 0;
    let sum = 0;
    for (let i = 0; i < 60; i++) {
      const d = decodeImage(jpegBytes(greyRgba(digit(i), 784), 28, 28, 95), 'd.jpg');
      expect([d.width, d.height]).toEqual([28, 28]);
      // jpeg-js keeps a grey picture's chroma flat: it decodes grey
      expect(rgbaIsGrey(d.rgba, 784)).toBe(true);
      for (let p = 0; p < 784; p++) {
        const e = Math.abs(d.rgba[4 * p] - digit(i)[p]);
        max = Math.max(max, e);
        sum += e;
      }
    }
    expect(max).toBeLessThanOrEqual(9);
    expect(sum / (60 * 784)).toBeLessThan(0.7);
  });

  it('chooses the format by the bytes, not the name', () => {
    const png = pngBytes(greyRgba(digit(0), 784), 28, 28, 0);
    const jpg = jpegBytes(greyRgba(digit(0), 784), 28, 28);
    expect(decodeImage(png, 'named.jpg').width).toBe(28);
    expect(decodeImage(jpg, 'named.png').width).toBe(28);
  });

  it('refuses every bad input with one line naming the file and the problem', () => {
    const png = pngBytes(greyRgba(digit(1), 784), 28, 28, 0);
    const jpg = jpegBytes(greyRgba(digit(1), 784), 28, 28);
    const idatLength = new DataView(png.buffer, png.byteOffset).getUint32(33);
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(0), 'e.png: not a PNG or JPEG image (an empty file)'],
      [new TextEncoder().encode('<!DOCTYPE html>'), 'e.png: not a PNG or JPEG image (starts with 3c 21 44 4f)'],
      [png.subarray(0, 5), 'e.png: truncated PNG (5 bytes, shorter than its 8-byte signature)'],
      [png.subarray(0, 8), 'e.png: truncated PNG (8 bytes; no IEND chunk)'],
      [png.subarray(0, 20), 'e.png: truncated PNG (20 bytes; its "IHDR" chunk at byte 8 needs 25, 12 remain)'],
      [png.subarray(0, 100), `e.png: truncated PNG (100 bytes; its "IDAT" chunk at byte 33 needs ${12 + idatLength}, 67 remain)`],
      [png.subarray(0, png.length - 12), `e.png: truncated PNG (${png.length - 12} bytes; no IEND chunk)`],
      [jpg.subarray(0, 2), 'e.png: truncated JPEG (2 bytes; no end-of-image marker)'],
      [jpg.subarray(0, 5), 'e.png: truncated JPEG (5 bytes; it ends inside the length of the marker ff e0 at byte 2)'],
      [jpg.subarray(0, 10), 'e.png: truncated JPEG (10 bytes; its segment ff e0 at byte 2 needs 18, 8 remain)'],
      [jpg.subarray(0, jpg.length - 20), `e.png: truncated JPEG (${jpg.length - 20} bytes; it ends inside the image data, before the end-of-image marker)`],
    ];
    for (const [bytes, expected] of cases) expect(dataErrorMessage(() => decodeImage(bytes, 'e.png'))).toBe(expected);
    // a corrupt chunk (its CRC no longer matches): pngjs's reason, wrapped
    const flipped = png.slice();
    flipped[50] ^= 0x10;
    expect(dataErrorMessage(() => decodeImage(flipped, 'c.png'))).toMatch(/^c\.png: cannot decode PNG \(.+\)$/);
  });

  it('refuses a header that claims more pixels than the file can hold, before allocating them', () => {
    const png = pngBytes(greyRgba(digit(2), 784), 28, 28, 0).slice();
    const v = new DataView(png.buffer, png.byteOffset);
    v.setUint32(16, 100_000);
    v.setUint32(20, 100_000); // CRC now wrong too, but the size is checked first
    expect(dataErrorMessage(() => decodeImage(png, 'big.png'))).toBe(`big.png: 100000×100000 pixels, more than the ${MAX_PIXELS} an image may have`);
    v.setUint32(16, 4000);
    v.setUint32(20, 4000);
    expect(dataErrorMessage(() => decodeImage(png, 'big.png'))).toMatch(/^big\.png: corrupt PNG \(4000×4000 pixels cannot come from \d+ bytes of image data\)$/);
    const jpg = jpegBytes(greyRgba(digit(2), 784), 28, 28).slice();
    const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
    jpg[sof + 5] = 0x0f; // height 28 → 0x0f1c = 3868
    jpg[sof + 7] = 0x0f;
    expect(dataErrorMessage(() => decodeImage(jpg, 'big.jpg'))).toBe(`big.jpg: corrupt JPEG (3868×3868 pixels cannot come from a ${jpg.length}-byte file)`);
  });
});

describe('resizeBilinear: bilinear at pixel centres, clamped to the edge', () => {
  it('on a 2×2 image made 4×4, by hand', () => {
    // sample rows and columns at −0.25 → 0, 0.25, 0.75, 1.25 → 1
    const out = resizeBilinear(Uint8Array.from([0, 100, 200, 255]), 2, 2, 4, 4);
    expect([...out]).toEqual([
      0, 25, 75, 100,
      50, 72, 117, 139, // 0.75·(0, 25, 75, 100) + 0.25·(200, 213.75, 241.25, 255), rounded
      150, 167, 200, 216, // 0.25·… + 0.75·…
      200, 214, 241, 255,
    ]);
  });

  it('is the identity at the same size and matches the formula written out, shrinking and growing', () => {
    for (let i = 0; i < 5; i++) {
      expect(resizeBilinear(digit(i), 28, 28, 28, 28)).toEqual(digit(i));
      for (const [rows, cols] of [[32, 32], [20, 20], [13, 41], [56, 28], [1, 1]]) {
        const mine = resizeBilinear(digit(i), 28, 28, rows, cols);
        const exact = bilinearReference(digit(i), 28, 28, rows, cols);
        for (let p = 0; p < rows * cols; p++) expect(Math.abs(mine[p] - exact[p])).toBeLessThanOrEqual(0.5 + 1e-9);
      }
    }
  });

  it('resizes each plane of a 3-channel image alike', () => {
    const planes = new Uint8Array(3 * 784);
    for (let c = 0; c < 3; c++) planes.set(digit(c), c * 784);
    const out = resizeBilinear(planes, 28, 28, 20, 24, 3);
    for (let c = 0; c < 3; c++) expect(out.subarray(c * 480, (c + 1) * 480)).toEqual(resizeBilinear(digit(c), 28, 28, 20, 24));
  });

  it('names a wrong argument', () => {
    expect(() => resizeBilinear(new Uint8Array(3), 2, 2, 4, 4)).toThrow(/^src: expected a Uint8Array of channels × height × width = 4 levels/);
    expect(() => resizeBilinear(new Uint8Array(4), 2, 2, 0, 4)).toThrow(/^rows: /);
  });
});

describe('parseCifar10', () => {
  const record = (label: number, seed: number): Uint8Array => {
    const r = new Uint8Array(3073);
    r[0] = label;
    for (let i = 1; i < 3073; i++) r[i] = (i * 31 + seed * 7) & 0xff;
    return r;
  };

  it('reads records as 3-channel 32×32 images, R then G then B planes', () => {
    const bytes = new Uint8Array(3 * 3073);
    [4, 0, 9].forEach((l, i) => bytes.set(record(l, i), i * 3073));
    const d = parseCifar10(bytes, 'data_batch_1.bin');
    expect([d.count, d.channels, d.rows, d.cols, d.source]).toEqual([3, 3, 32, 32, 'data_batch_1.bin']);
    expect([...d.labels]).toEqual([4, 0, 9]);
    expect(d.images.subarray(3072, 6144)).toEqual(record(0, 1).subarray(1));
  });

  it('refuses a length that is not whole records, and a label above 9', () => {
    expect(dataErrorMessage(() => parseCifar10(new Uint8Array(3073 * 2 + 1), 'b.bin'))).toBe('b.bin: 6147 bytes is not a whole number of 3073-byte CIFAR-10 records');
    expect(dataErrorMessage(() => parseCifar10(new Uint8Array(0), 'b.bin'))).toBe('b.bin: 0 bytes, expected at least one 3073-byte CIFAR-10 record');
    const bytes = new Uint8Array(2 * 3073);
    bytes[3073] = 10;
    expect(dataErrorMessage(() => parseCifar10(bytes, 'b.bin'))).toBe('b.bin: record 1 (byte 3073) has label 10, expected a class in 0–9');
  });
});
