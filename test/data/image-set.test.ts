// The image-set rules on their own (src/data/image-set.ts, browser-safe), as the playground runs them on
// a list of paths: the same datasets and the same refusals as the Node reader gives for the folder on
// disk; where a dropped set's class folders start; a picture for a model's input; and the zip reader
// (src/data/zip.ts) on archives written by test/helpers/zip.ts.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/data/decode.js';
import { DataError } from '../../src/data/idx.js';
import { loadImageFolder } from '../../src/data/image-folder.js';
import {
  imageSetFromRgba, imageSetLayout, imageSetRoot, pathLister, pictureDataset, type RgbaSetImage, type SplitName,
} from '../../src/data/image-set.js';
import { resizeBilinear } from '../../src/data/resize.js';
import { readZip } from '../../src/data/zip.js';
import { colourBars, NAMES } from '../helpers/colour.js';
import { greyRgba, pngBytes, dataErrorMessage } from '../helpers/images.js';
import { zipBytes } from '../helpers/zip.js';

const root = mkdtempSync(join(tmpdir(), 'convnotes-image-set-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const write = (file: string, bytes: Uint8Array | string): void => {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, bytes);
};
/** Every file and folder under `dir` as '/'-separated paths relative to it (folders ending in '/'), in no particular order. */
const pathsUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .map((p) => relative(dir, join(dir, p)).split('\\').join('/') + (statSync(join(dir, p)).isDirectory() ? '/' : ''))
  .reverse();
const rgbaOf = (planes: Uint8Array, pixels: number): Uint8Array => {
  const rgba = new Uint8Array(4 * pixels);
  for (let p = 0; p < pixels; p++) rgba.set([planes[p], planes[pixels + p], planes[2 * pixels + p], 255], 4 * p);
  return rgba;
};

describe('image sets from a list of paths', () => {
  // colour bars, a grey image among them, one of another size, a hidden file and a loose README
  const dir = join(root, 'bars');
  const bars = colourBars(40, 3);
  const size = 3 * 16 * 16;
  for (let i = 0; i < bars.count; i++) {
    const split = i < 30 ? 'train' : 'test';
    write(join(dir, split, NAMES[bars.labels[i]], `${String(i).padStart(2, '0')}.png`), pngBytes(rgbaOf(bars.images.subarray(i * size, (i + 1) * size), 256), 16, 16, 2));
  }
  write(join(dir, 'train', NAMES[0], 'grey.png'), pngBytes(greyRgba(bars.images.subarray(0, 256), 256), 16, 16, 0));
  write(join(dir, 'train', NAMES[1], 'big.png'), pngBytes(rgbaOf(resizeBilinear(bars.images.subarray(0, size), 16, 16, 20, 24, 3), 480), 24, 20, 2));
  write(join(dir, 'train', NAMES[1], '.hidden.png'), 'not read');
  write(join(dir, 'README.txt'), 'not looked at');
  mkdirSync(join(dir, 'train', 'zz-empty'), { recursive: true });

  it('makes the datasets the Node reader makes of the folder', () => {
    const node = loadImageFolder(dir, { cache: false, warn: () => {} });
    const where = (rel: string) => (rel === '' ? dir : join(dir, ...rel.split('/')));
    const layout = imageSetLayout(pathLister(pathsUnder(dir)), where);
    expect(layout.classNames).toEqual([...NAMES].sort().concat('zz-empty'));
    const splits: Partial<Record<SplitName, RgbaSetImage[]>> = { train: [], test: [] };
    for (const f of layout.files) {
      const d = decodeImage(readFileSync(where(f.rel)), where(f.rel));
      splits[f.split]!.push({ ...d, label: f.label, name: where(f.rel) });
    }
    const mine = imageSetFromRgba(splits, layout.classNames, { where });
    for (const s of ['train', 'test'] as const) {
      expect(mine[s]).toEqual(node[s]);
    }
    expect([mine.channels, mine.rows, mine.cols]).toEqual([3, 16, 16]);
  });

  it('refuses what the Node reader refuses, in its words', () => {
    const stray = join(root, 'stray');
    write(join(stray, 'train', 'a', '1.png'), 'x');
    write(join(stray, 'train', 'b', '1.png'), 'x');
    write(join(stray, 'test', 'c', '1.png'), 'x');
    const extra = join(root, 'extra');
    write(join(extra, 'train', 'a', '1.png'), 'x');
    write(join(extra, 'test', 'a', '1.png'), 'x');
    write(join(extra, 'validation', 'a', '1.png'), 'x');
    const one = join(root, 'one');
    write(join(one, 'cat', '1.png'), 'x');
    for (const d of [stray, extra, one]) {
      const where = (rel: string) => (rel === '' ? d : join(d, ...rel.split('/')));
      const node = dataErrorMessage(() => loadImageFolder(d, { cache: false }));
      expect(dataErrorMessage(() => imageSetLayout(pathLister(pathsUnder(d)), where))).toBe(node);
    }
  });

  it('finds where a drop\'s or an archive\'s class folders start', () => {
    const at = (paths: string[]) => imageSetRoot(pathLister(paths));
    expect(at(['bars/train/a/1.png', 'bars/test/a/1.png', 'bars/.DS_Store'])).toBe('bars');
    expect(at(['bars.zip/bars/train/a/1.png', 'bars.zip/bars/test/a/1.png'])).toBe('bars.zip/bars');
    expect(at(['train/a/1.png', 'test/a/1.png'])).toBe('');
    expect(at(['x/train/a/1.png'])).toBe('x');
    expect(at(['cats/1.png', 'cats/2.png'])).toBe('');
    expect(at(['a/1.png', 'b/1.png'])).toBe('');
    expect(at(['/set/./a/1.png', 'set/b/'])).toBe('set');
  });
});

describe('a picture for a model\'s input', () => {
  const bars = colourBars(1, 5);
  const rgba = rgbaOf(bars.images, 256);

  it('is taken as it is when it fits (to be centred), resized to the input when larger', () => {
    const fits = pictureDataset(rgba, 16, 16, 3, 28, 28, 'p.png');
    expect([fits.channels, fits.rows, fits.cols]).toEqual([3, 16, 16]);
    expect(fits.images).toEqual(bars.images);
    const large = pictureDataset(rgba, 16, 16, 3, 8, 12, 'p.png');
    expect([large.rows, large.cols]).toEqual([8, 12]);
    expect(large.images).toEqual(resizeBilinear(bars.images, 16, 16, 8, 12, 3));
    const grey = pictureDataset(rgba, 16, 16, 1, 28, 28, 'p.png');
    expect(grey.images[0]).toBe(Math.round(0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]));
    expect(dataErrorMessage(() => pictureDataset(rgba, 16, 16, 2, 28, 28, 'p.png'))).toBe('p.png: the model takes 2 input maps; a picture gives 1 (grey) or 3 (RGB)');
  });
});

describe('the zip reader', () => {
  const text = new TextEncoder().encode('a line of text, '.repeat(200));
  const png = pngBytes(greyRgba(new Uint8Array(256).map((_, i) => i), 256), 16, 16, 0);

  it('reads stored and deflated entries, folders and UTF-8 names, as written', async () => {
    const zip = zipBytes([
      { name: 'set/' }, { name: 'set/train/héllo/1.png', data: png, method: 0 }, { name: 'set/notes.txt', data: text }, { name: 'set/empty.txt', data: new Uint8Array(0) },
    ]);
    const entries = readZip(zip, 'set.zip');
    expect(entries.map((e) => [e.name, e.folder, e.method])).toEqual([
      ['set/', true, 0], ['set/train/héllo/1.png', false, 0], ['set/notes.txt', false, 8], ['set/empty.txt', false, 8],
    ]);
    expect(await entries[1].read()).toEqual(png);
    expect(await entries[2].read()).toEqual(text);
    expect(entries[2].compressedSize).toBeLessThan(text.length / 10);
    expect(await entries[3].read()).toEqual(new Uint8Array(0));
  });

  it('refuses what it does not read, naming the archive and the entry', async () => {
    const one = (o: Partial<Parameters<typeof zipBytes>[0][number]>) => zipBytes([{ name: 'a.png', data: png, ...o }]);
    expect(dataErrorMessage(() => readZip(new TextEncoder().encode('not a zip at all, just text'), 'x.zip'))).toBe('x.zip: not a zip archive (no end-of-central-directory record; starts with 6e 6f 74 20)');
    const good = one({});
    expect(dataErrorMessage(() => readZip(good.subarray(0, good.length - 30), 'cut.zip'))).toBe(`cut.zip: truncated zip (${good.length - 30} bytes; no end-of-central-directory record)`);
    expect(dataErrorMessage(() => readZip(one({ flags: 1 }), 'locked.zip'))).toBe('locked.zip: a.png: encrypted; this reader reads unencrypted zips only (zip the folder again without a password)');
    expect(dataErrorMessage(() => readZip(one({ method: 12 }), 'b.zip'))).toMatch(/^b\.zip: a\.png: compressed by method 12 \(bzip2\); this reader reads stored \(0\) and deflate \(8\) entries only/);
    const zip64 = Buffer.from(good);
    zip64.writeUInt16LE(0xffff, zip64.length - 12);
    expect(dataErrorMessage(() => readZip(zip64, 'big.zip'))).toMatch(/^big\.zip: a zip64 archive \(over 4 GB or 65,535 entries\)/);
    // a byte of the deflated data changed: the entry lists, and refuses when read
    const bad = Buffer.from(good);
    bad[30 + 'a.png'.length + 20] ^= 0xff;
    const [entry] = readZip(bad, 'bad.zip');
    await expect(entry.read()).rejects.toThrow(/^bad\.zip: a\.png: corrupt zip entry/);
  });
});
