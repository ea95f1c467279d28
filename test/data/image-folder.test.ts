// Image folders, CIFAR-10 folders and IDX sets of any size through the one entry point: folders the test
// builds from real digits (PNG and JPEG, grey and tinted, other sizes, unreadable files), checked
// pixel for pixel against their source, with the skip lines, the layouts, the refusals and the cache.
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTrainingData } from '../../src/data/bundled.js';
import { loadCifar10 } from '../../src/data/cifar-files.js';
import type { Dataset } from '../../src/data/dataset.js';
import { loadSplit } from '../../src/data/files.js';
import { DataError } from '../../src/data/idx.js';
import { loadImageFolder, type ImageFolderOptions } from '../../src/data/image-folder.js';
import { dataKind, loadDataFolder } from '../../src/data/load.js';
import { resizeBilinear } from '../../src/data/resize.js';
import { realDigits } from '../helpers/mnist.js';
import { bilinearReference, crop, greyRgba, jpegBytes, pad, pngBytes, tint, tintedRgba, dataErrorMessage } from '../helpers/images.js';

const root = mkdtempSync(join(tmpdir(), 'convnotes-image-folders-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Digits of one class from a real split, as copies. */
const digitsOf = (d: Dataset, label: number, n: number, skip = 0): Uint8Array[] => {
  const out: Uint8Array[] = [];
  for (let i = 0; i < d.count && out.length < n + skip; i++) if (d.labels[i] === label) out.push(Uint8Array.from(d.images.subarray(i * 784, (i + 1) * 784)));
  return out.slice(skip);
};
const write = (file: string, bytes: Uint8Array | string): string => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, bytes);
  return file;
};
const greyPng = (levels: Uint8Array, rows = 28, cols = 28): Uint8Array => pngBytes(greyRgba(levels, rows * cols), cols, rows, 0);
const image = (d: Dataset, i: number): Uint8Array => d.images.subarray(i * (d.channels ?? 1) * d.rows * d.cols, (i + 1) * (d.channels ?? 1) * d.rows * d.cols);
/** loadImageFolder with the warn lines collected and a cache folder of the test's own. */
const load = (dir: string, o: ImageFolderOptions = {}, cacheDir = join(root, 'cache')) => {
  const lines: string[] = [];
  const data = loadImageFolder(dir, { cacheDir, warn: (l) => lines.push(l), ...o });
  return { ...data, lines };
};

// ---- a grey PNG folder with train/, test/ and val/, and three unreadable files ------------------

const CLASSES = { zero: 0, one: 1, two: 2 } as const; // sorted by code point: one, two, zero
const SORTED = ['one', 'two', 'zero'] as const;
const greyDir = join(root, 'grey');
const sources: Record<'train' | 'test' | 'val', Uint8Array[]> = { train: [], test: [], val: [] };
const badLines: string[] = [];
{
  const { train, test } = realDigits();
  for (const name of SORTED) {
    const label = CLASSES[name];
    const parts = { train: digitsOf(train, label, 12), val: digitsOf(train, label, 3, 12), test: digitsOf(test, label, 4) };
    for (const split of ['train', 'test', 'val'] as const) {
      parts[split].forEach((d, i) => write(join(greyDir, split, name, `${String(i).padStart(2, '0')}.png`), greyPng(d)));
      sources[split].push(...parts[split]);
    }
  }
  const png = greyPng(sources.train[0]);
  const jpg = jpegBytes(greyRgba(sources.train[0], 784), 28, 28);
  const notes = write(join(greyDir, 'train', 'one', 'notes.txt'), 'notes about the ones\n');
  const cutPng = write(join(greyDir, 'train', 'one', 'x-truncated.png'), png.subarray(0, 60));
  const cutJpg = write(join(greyDir, 'train', 'two', 'y-truncated.jpg'), jpg.subarray(0, jpg.length - 20));
  const idat = new DataView(png.buffer, png.byteOffset).getUint32(33);
  badLines.push(
    `skipped ${notes}: not a PNG or JPEG image (starts with 6e 6f 74 65)`,
    `skipped ${cutPng}: truncated PNG (60 bytes; its "IDAT" chunk at byte 33 needs ${12 + idat}, 27 remain)`,
    `skipped ${cutJpg}: truncated JPEG (${jpg.length - 20} bytes; it ends inside the image data, before the end-of-image marker)`,
    'skipped 3 of 60 files',
  );
  // hidden files and folders are not looked at
  write(join(greyDir, 'train', 'zero', '.DS_Store'), 'x');
  write(join(greyDir, '.thumbnails', 'a', 'b.txt'), 'x');
}

describe('an image folder with train/, test/ and val/ splits', () => {
  const data = load(greyDir, { cache: false });

  it('reads every PNG exactly, labels by class folder in code-point order, splits apart', () => {
    expect(data.train.classNames).toEqual(['one', 'two', 'zero']);
    expect([data.train.count, data.test!.count, data.val!.count]).toEqual([36, 12, 9]);
    for (const [split, d] of [['train', data.train], ['test', data.test!], ['val', data.val!]] as const) {
      expect([d.channels, d.rows, d.cols, d.source]).toEqual([1, 28, 28, join(greyDir, split)]);
      const perClass = d.count / 3;
      for (let i = 0; i < d.count; i++) {
        expect(d.labels[i]).toBe(Math.floor(i / perClass));
        expect(image(d, i)).toEqual(sources[split][i]);
      }
    }
    expect(data.fromCache).toBe(false);
    expect([data.files, data.skipped]).toEqual([60, 3]);
  });

  it('skips the unreadable files with one line each, and a summary', () => {
    expect(data.lines).toEqual(badLines);
  });

  it('with onBadFile "error", refuses the first of them', () => {
    expect(dataErrorMessage(() => load(greyDir, { cache: false, onBadFile: 'error' }))).toBe(badLines[0].slice('skipped '.length));
  });

  it('forced to 3 channels, gives each grey level to R, G and B', () => {
    const c = load(greyDir, { cache: false, channels: 3 });
    expect(c.train.channels).toBe(3);
    for (let p = 0; p < 3; p++) expect(image(c.train, 5).subarray(p * 784, (p + 1) * 784)).toEqual(sources.train[5]);
  });
});

describe('the decoded-image cache', () => {
  const cacheDir = join(root, 'cache-grey');
  const copy = join(root, 'grey-copy');
  const files = (): string[] => readdirSync(cacheDir);
  const same = (a: Dataset, b: Dataset) => {
    expect([b.count, b.rows, b.cols, b.channels, b.classNames, b.source]).toEqual([a.count, a.rows, a.cols, a.channels, a.classNames, a.source]);
    expect(b.images).toEqual(a.images);
    expect(b.labels).toEqual(a.labels);
  };

  it('is used on the second load of an unchanged folder, saying the same skip lines', () => {
    rmSync(copy, { recursive: true, force: true });
    mkdirSync(copy);
    for (const split of ['train', 'test', 'val']) for (const name of SORTED) {
      for (const f of readdirSync(join(greyDir, split, name))) write(join(copy, split, name, f), readFileSync(join(greyDir, split, name, f)));
    }
    const first = load(copy, {}, cacheDir);
    expect(first.fromCache).toBe(false);
    expect(files()).toHaveLength(1);
    const second = load(copy, {}, cacheDir);
    expect(second.fromCache).toBe(true);
    expect(first.lines).toEqual(badLines.map((l) => l.replace(`${greyDir}/`, `${copy}/`)));
    expect(second.lines).toEqual(first.lines);
    for (const s of ['train', 'test', 'val'] as const) same(first[s]!, second[s]!);
    same(load(greyDir, { cache: false }).train, { ...second.train, source: join(greyDir, 'train') });
  });

  it('is rebuilt when a file is touched, rewritten, renamed; and the stale file removed', () => {
    const touched = join(copy, 'train', 'two', '03.png');
    utimesSync(touched, new Date(), new Date(Date.now() + 5_000));
    const a = load(copy, {}, cacheDir);
    expect(a.fromCache).toBe(false);
    expect(files()).toHaveLength(1);
    expect(load(copy, {}, cacheDir).fromCache).toBe(true);
    // rewritten with another digit: the new pixels, not the cached ones
    write(touched, greyPng(sources.train[0]));
    const b = load(copy, {}, cacheDir);
    expect(b.fromCache).toBe(false);
    expect(image(b.train, 12 + 3)).toEqual(sources.train[0]);
    write(join(copy, 'train', 'two', '03b.png'), readFileSync(touched));
    rmSync(touched);
    const c = load(copy, {}, cacheDir);
    expect(c.fromCache).toBe(false);
    expect(image(c.train, 12 + 3)).toEqual(sources.train[0]);
    expect(files()).toHaveLength(1);
  });

  it('keeps one file per set of options, and none with cache: false', () => {
    load(copy, { channels: 3 }, cacheDir);
    expect(files()).toHaveLength(2);
    expect(load(copy, { channels: 3 }, cacheDir).fromCache).toBe(true);
    expect(load(copy, {}, cacheDir).fromCache).toBe(true);
    const none = join(root, 'cache-none');
    load(copy, { cache: false }, none);
    expect(() => readdirSync(none)).toThrow(/ENOENT/);
  });

  it('ignores a short or corrupt cache file and rebuilds it, never failing', () => {
    expect(load(copy, {}, cacheDir).fromCache).toBe(true);
    for (const f of files()) truncateSync(join(cacheDir, f), 100);
    const a = load(copy, {}, cacheDir);
    expect(a.fromCache).toBe(false);
    expect(load(copy, {}, cacheDir).fromCache).toBe(true);
    for (const f of files()) appendFileSync(join(cacheDir, f), 'x');
    expect(load(copy, {}, cacheDir).fromCache).toBe(false);
    for (const f of files()) writeFileSync(join(cacheDir, f), 'CNIMAGE1\x05\x00\x00\x00{"ve');
    const b = load(copy, {}, cacheDir);
    expect(b.fromCache).toBe(false);
    same(a.train, b.train);
  });
});

// ---- a flat folder of PNG and JPEG, grey and colour, of three sizes ---------------------------

describe('a folder of class folders, mixed formats, colours and sizes', () => {
  const dir = join(root, 'mixed');
  const { train } = realDigits();
  const [a, b] = [digitsOf(train, 3, 6), digitsOf(train, 7, 4)];
  write(join(dir, 'a', '00.png'), greyPng(a[0]));
  write(join(dir, 'a', '01.jpg'), jpegBytes(greyRgba(a[1], 784), 28, 28, 95));
  write(join(dir, 'a', '02.png'), pngBytes(tintedRgba(a[2], 784), 28, 28, 2));
  const padded = pad(a[3], 28, 28, 32, 32);
  write(join(dir, 'a', '03.png'), greyPng(padded, 32, 32));
  const cropped = crop(a[4], 28, 28, 20, 20);
  write(join(dir, 'a', '04.png'), greyPng(cropped, 20, 20));
  write(join(dir, 'a', '05.png'), greyPng(a[5]));
  write(join(dir, 'b', '00.png'), greyPng(b[0]));
  write(join(dir, 'b', '01.png'), pngBytes(tintedRgba(b[1], 784), 28, 28, 6));
  write(join(dir, 'b', '02.jpeg'), jpegBytes(tintedRgba(b[2], 784), 28, 28, 95));
  write(join(dir, 'b', '03.png'), greyPng(b[3]));
  // a README beside the class folders is not a class
  write(join(dir, 'README.txt'), 'my digits');
  const data = load(dir, { cache: false });
  const plane = (i: number, p: number) => image(data.train, i).subarray(p * 784, (p + 1) * 784);

  it('is colour when any image is, all training data, one size', () => {
    expect([data.train.count, data.train.channels, data.train.rows, data.train.cols]).toEqual([10, 3, 28, 28]);
    expect([data.test, data.val, data.train.source, data.train.classNames]).toEqual([null, null, dir, ['a', 'b']]);
    expect([...data.train.labels]).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(data.lines).toEqual([]);
  });

  it('gives a grey image its level in R, G and B, and keeps a colour one\'s planes', () => {
    for (let p = 0; p < 3; p++) expect(plane(0, p)).toEqual(a[0]);
    expect(plane(2, 0)).toEqual(a[2]);
    expect(plane(2, 1)).toEqual(a[2].map((v) => tint(v)[1]));
    expect(plane(2, 2)).toEqual(a[2].map((v) => tint(v)[2]));
    expect(plane(7, 2)).toEqual(b[1].map((v) => 255 - v));
  });

  it('reads the JPEGs within the measured tolerance (grey stays grey)', () => {
    for (let p = 0; p < 3; p++) {
      expect(plane(1, p)).toEqual(plane(1, 0));
      expect(Math.max(...plane(1, p).map((v, k) => Math.abs(v - a[1][k])))).toBeLessThanOrEqual(9);
    }
    const tinted = [0, 1, 2].map((p) => b[2].map((v) => tint(v)[p]));
    // colour JPEG: chroma is coarser (4:2:0 in jpeg-js), so the tolerance is larger (measured on 30 tinted
    // digits at quality 95: mean 1.44 levels, max 25, over the three channels)
    for (let p = 0; p < 3; p++) {
      const errors = plane(8, p).map((v, k) => Math.abs(v - tinted[p][k]));
      expect(errors.reduce((s, e) => s + e, 0) / 784).toBeLessThan(4);
    }
  });

  it('resizes the 32×32 and 20×20 images to 28×28 by the bilinear rule', () => {
    for (const [i, src, side] of [[3, padded, 32], [4, cropped, 20]] as const) {
      const exact = bilinearReference(src, side, side, 28, 28);
      for (let p = 0; p < 3; p++) for (let k = 0; k < 784; k++) expect(Math.abs(plane(i, p)[k] - exact[k])).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(plane(i, 0)).toEqual(resizeBilinear(src, side, side, 28, 28));
    }
  });

  it('with resize: false, refuses the first image of another size, naming it and both sizes', () => {
    expect(dataErrorMessage(() => load(dir, { cache: false, resize: false }))).toBe(`${join(dir, 'a', '03.png')}: 32×32 pixels, expected 28×28 (the size most images have; resizing is off)`);
    expect(dataErrorMessage(() => load(dir, { cache: false, resize: false, size: [32, 32] }))).toBe(`${join(dir, 'a', '00.png')}: 28×28 pixels, expected 32×32 (the size asked for; resizing is off)`);
  });

  it('takes a size and a channel count when asked', () => {
    const small = load(dir, { cache: false, size: [14, 12], channels: 1 });
    expect([small.train.channels, small.train.rows, small.train.cols]).toEqual([1, 14, 12]);
    expect(image(small.train, 0)).toEqual(resizeBilinear(a[0], 28, 28, 14, 12));
    // 1 channel: the tinted image's luma, round(0.299 R + 0.587 G + 0.114 B), then resized
    const luma = a[2].map((v) => Math.round(0.299 * tint(v)[0] + 0.587 * tint(v)[1] + 0.114 * tint(v)[2]));
    expect(image(small.train, 2)).toEqual(resizeBilinear(luma, 28, 28, 14, 12));
  });

  it('orders class folders by code point (an astral character after U+FF5E, unlike UTF-16 order)', () => {
    const names = join(root, 'names');
    for (const name of ['\u{1F600}', '\uFF5E', 'b', 'B']) write(join(names, name, '1.png'), greyPng(a[0]));
    expect(load(names, { cache: false }).train.classNames).toEqual(['B', 'b', '\uFF5E', '\u{1F600}']);
  });

  it('the most common size wins; a tie goes to the larger', () => {
    const tie = join(root, 'tie');
    write(join(tie, 'a', '1.png'), greyPng(cropped, 20, 20));
    write(join(tie, 'b', '1.png'), greyPng(a[0]));
    expect([load(tie, { cache: false }).train.rows]).toEqual([28]);
    write(join(tie, 'b', '2.png'), greyPng(crop(a[1], 28, 28, 20, 20), 20, 20));
    expect([load(tie, { cache: false }).train.rows]).toEqual([20]);
  });
});

// ---- refusals ---------------------------------------------------------------------------------

describe('folders an image reader refuses', () => {
  const png = greyPng(realDigits().train.images.subarray(0, 784));

  it('one line naming the folder and the problem', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(dataErrorMessage(() => load(empty))).toBe(`${empty}: no class folders with PNG or JPEG images`);
    const hollow = join(root, 'hollow');
    mkdirSync(join(hollow, 'a'), { recursive: true });
    mkdirSync(join(hollow, 'b'));
    expect(dataErrorMessage(() => load(hollow))).toBe(`${hollow}: no class folders with PNG or JPEG images`);
    const unreadable = join(root, 'unreadable');
    write(join(unreadable, 'a', 'x.txt'), 'a');
    write(join(unreadable, 'b', 'y.txt'), 'b');
    const lines: string[] = [];
    expect(dataErrorMessage(() => loadImageFolder(unreadable, { cache: false, warn: (l) => lines.push(l) }))).toBe(`${unreadable}: no class folders with PNG or JPEG images (2 files skipped)`);
    expect(lines).toHaveLength(2);
    const one = join(root, 'one-class');
    write(join(one, 'train', 'cat', '1.png'), png);
    write(join(one, 'test', 'cat', '1.png'), png);
    expect(dataErrorMessage(() => load(one))).toBe(`${one}: one class only ("cat"); a classifier needs at least 2`);
    const many = join(root, 'many');
    for (let c = 0; c < 256; c++) mkdirSync(join(many, `c${c}`), { recursive: true });
    expect(dataErrorMessage(() => load(many))).toBe(`${many}: 256 class folders; at most 255 classes`);
    const stray = join(root, 'stray-class');
    write(join(stray, 'train', 'a', '1.png'), png);
    write(join(stray, 'train', 'b', '1.png'), png);
    write(join(stray, 'test', 'c', '1.png'), png);
    expect(dataErrorMessage(() => load(stray))).toBe(`${join(stray, 'test', 'c')}: no class "c" in ${join(stray, 'train')} (its class folders: a, b)`);
    const extra = join(root, 'extra-split');
    write(join(extra, 'train', 'a', '1.png'), png);
    write(join(extra, 'test', 'a', '1.png'), png);
    write(join(extra, 'validation', 'a', '1.png'), png);
    expect(dataErrorMessage(() => load(extra))).toMatch(/extra-split\/validation: a folder beside train\/ and test\/: expected only train\/, test\/ and val\/ here/);
    expect(dataErrorMessage(() => load(join(root, 'nowhere')))).toBe(`${join(root, 'nowhere')}: no such folder`);
  });

  it('names a wrong option', () => {
    expect(() => loadImageFolder(greyDir, { channels: 2 as 1 })).toThrow(/^options\.channels: expected 1 or 3, got 2/);
    expect(() => loadImageFolder(greyDir, { onBadFile: 'ignore' as 'skip' })).toThrow(/^options\.onBadFile: /);
  });
});

// ---- the one entry point: IDX of any size, CIFAR-10, image folders ------------------------------

const idx = (dims: number[], data: ArrayLike<number>): Buffer => {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Uint8Array.from(data))]);
};

describe('loadDataFolder', () => {
  it('reads an IDX set of 20×24 images and 26 classes, its class count from the data', () => {
    const dir = join(root, 'letters');
    const pixels = (n: number) => Array.from({ length: n * 480 }, (_, i) => (i * 7) & 0xff);
    write(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([52, 20, 24], pixels(52))));
    write(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([52], Array.from({ length: 52 }, (_, i) => i % 26))));
    write(join(dir, 't10k-images-idx3-ubyte'), idx([26, 20, 24], pixels(26)));
    write(join(dir, 't10k-labels-idx1-ubyte'), idx([26], Array.from({ length: 26 }, (_, i) => 25 - i)));
    expect(dataKind(dir)).toBe('idx');
    const d = loadDataFolder(dir);
    expect([d.kind, d.train.count, d.train.rows, d.train.cols, d.test!.count, d.val, d.origin]).toEqual(['idx', 52, 20, 24, 26, null, dir]);
    expect(Math.max(...d.train.labels)).toBe(25);
    expect(Uint8Array.from(d.train.images)).toEqual(Uint8Array.from(pixels(52)));
    expect(loadSplit(dir, 'test').count).toBe(26);
    // a network of 10 outputs: the labels must be below 10
    expect(dataErrorMessage(() => loadDataFolder(dir, { classes: 10 }))).toBe(`${join(dir, 'train-labels-idx1-ubyte.gz')}: label 10 is 10, expected a class in 0–9`);
    expect(dataErrorMessage(() => loadTrainingData(dir, 10))).toMatch(/label 10 is 10, expected a class in 0–9/);
    expect(loadTrainingData(dir, 26).kind).toBe('idx');
  });

  it('reads CIFAR-10 batches: the training batches present, the test batch, the class names', () => {
    const dir = join(root, 'cifar');
    const batch = (labels: number[], seed: number) => {
      const b = new Uint8Array(labels.length * 3073);
      labels.forEach((l, i) => {
        b[i * 3073] = l;
        for (let k = 1; k < 3073; k++) b[i * 3073 + k] = (k + seed * 13 + i) & 0xff;
      });
      return b;
    };
    write(join(dir, 'data_batch_1.bin'), batch([0, 1, 2], 1));
    write(join(dir, 'data_batch_3.bin'), batch([9, 8], 3));
    write(join(dir, 'test_batch.bin'), batch([5, 6], 7));
    expect(dataKind(dir)).toBe('cifar10');
    const d = loadDataFolder(dir);
    expect([d.kind, d.train.count, d.test!.count, d.train.channels, d.train.rows, d.train.labels]).toEqual(['cifar10', 5, 2, 3, 32, Uint8Array.from([0, 1, 2, 9, 8])]);
    expect(d.train.images.subarray(3 * 3072, 4 * 3072)).toEqual(batch([9], 3).subarray(1));
    expect(d.train.classNames).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    write(join(dir, 'batches.meta.txt'), 'a\nb\n\nc\nd\ne\nf\ng\nh\ni\nj\n\n');
    expect(loadCifar10(dir).test.classNames).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    write(join(dir, 'data_batch_3.bin'), batch([9, 8], 3).subarray(1));
    expect(dataErrorMessage(() => loadDataFolder(dir))).toBe(`${join(dir, 'data_batch_3.bin')}: 6145 bytes is not a whole number of 3073-byte CIFAR-10 records`);
    rmSync(join(dir, 'test_batch.bin'));
    write(join(dir, 'data_batch_3.bin'), batch([9, 8], 3));
    expect(dataErrorMessage(() => loadDataFolder(dir))).toBe(`${join(dir, 'test_batch.bin')}: no such file`);
    write(join(dir, 'test_batch.bin'), batch([5, 6], 7));
    expect(dataErrorMessage(() => loadDataFolder(dir, { classes: 2 }))).toBe(`${dir}: 10 CIFAR-10 classes, more than the 2 classes the network tells apart`);
  });

  it('reads an image folder, and loadTrainingData takes one with a test split', () => {
    const cacheDir = join(root, 'cache-entry');
    expect(dataKind(greyDir)).toBe('images');
    const d = loadDataFolder(greyDir, { cacheDir, warn: () => {} });
    expect([d.kind, d.train.count, d.test!.count, d.val!.count]).toEqual(['images', 36, 12, 9]);
    expect(d.origin).toBe(`${greyDir} (3 classes, 36 training, 12 test, 9 validation images, 28×28 grey)`);
    const t = loadTrainingData(greyDir, 3, '', { cacheDir, warn: () => {} });
    expect([t.kind, t.train.count, t.test.count, t.val!.count]).toEqual(['images', 36, 12, 9]);
    expect(t.origin).toMatch(/decoded earlier \(cache\)\)$/);
    expect(dataErrorMessage(() => loadTrainingData(greyDir, 2, '', { cacheDir, warn: () => {} }))).toBe(`${greyDir}: 3 class folders, more than the 2 classes the network tells apart`);
    const flat = join(root, 'mixed');
    expect(dataErrorMessage(() => loadTrainingData(flat, 10, '', { cache: false }))).toMatch(/mixed: holds class folders but no test\/ split: give a folder with train\/<class>\/… and test\/<class>\/…/);
  });
});
