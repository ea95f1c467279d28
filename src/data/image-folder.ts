// Folders of PNG and JPEG images as datasets, one folder per class (Node), the layout most image
// sets ship in (docs/DATA.md):
//
//   DIR/<class>/*.png|jpg|jpeg                 all of it training data (train only)
//   DIR/train/<class>/…, DIR/test/<class>/…    splits; DIR/val/<class>/… too, or in place of test/
//
// Class names are train's class folder names sorted by code point, a label its folder's index; a
// test or val class folder must be one of them. Files are taken in name order (code points), names
// starting with "." are ignored, and the format is found from each file's bytes, not its name
// (src/data/decode.ts, which also says how pixels become 1 or 3 channels). Every image is brought to one
// size: `size`, else the size most images have (ties: the more pixels, then the fewer rows); an
// image of another size is resized (src/data/resize.ts: bilinear at pixel centres), converted to the
// dataset's channels first, or with `resize: false` refused. A file that cannot be decoded is skipped
// with a line to `warn` (or, with onBadFile 'error', refused). What was decoded is cached
// (src/data/image-cache.ts), so a second load of an unchanged folder reads one file.

import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Dataset } from './dataset.js';
import { decodeImage, rgbaIsGrey, rgbaToPlanes } from './decode.js';
import { cacheDir as userCacheDir } from './files.js';
import { DataError } from './idx.js';
import { imageCacheFile, readImageCache, SPLITS, writeImageCache, type CachedImages, type ListedFile, type SplitName } from './image-cache.js';
import { resizeBilinear } from './resize.js';
import * as check from '../util/validate.js';

/** The most classes a folder may have (labels are bytes). */
export const MAX_CLASSES = 255;

export interface ImageFolderOptions {
  /** [rows, cols] every image is brought to; default the size most images have. */
  size?: [number, number];
  /** 1 or 3 channels; default 3 if any image is not grey, else 1. */
  channels?: 1 | 3;
  /** Resize images of another size (default); false: refuse them (DataError naming the file). */
  resize?: boolean;
  /** A file that cannot be decoded: skipped with a line to `warn` (default), or refused. */
  onBadFile?: 'skip' | 'error';
  /** Where skip lines go (default: stderr). */
  warn?: (line: string) => void;
  /** Use and write the decoded-image cache (default true). */
  cache?: boolean;
  /** The cache's folder (default: cacheDir('images'), i.e. ~/.cache/convnotes/images). */
  cacheDir?: string;
  /** Refuse a folder without a test/ split, before decoding anything (what a command that tests needs). */
  requireTest?: boolean;
  /** Refuse a folder of more class folders than this (a network's outputs), before decoding anything. */
  classes?: number;
}

export interface ImageFolderData {
  train: Dataset;
  test: Dataset | null;
  val: Dataset | null;
  /** Read from the decoded-image cache rather than decoded. */
  fromCache: boolean;
  /** Image files looked at, and how many of them were skipped. */
  files: number;
  skipped: number;
}

/**
 * File names in code-point order. String's < compares UTF-16 units, which differs only where one name
 * has a surrogate (half of a code point above U+FFFF, which sorts after every other) and the other not.
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    return xs === ys ? x - y : xs ? 1 : -1;
  }
  return a.length - b.length;
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.')).sort((a, b) => byCodePoint(a.name, b.name));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(dir, code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'is not a folder' : `cannot read (${code ?? (e as Error).message})`);
  }
}

/** Whether an entry is a folder, following a symbolic link. */
function isFolder(dir: string, e: Dirent): boolean {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, e.name)).isDirectory();
  } catch {
    return false;
  }
}

interface Listed extends ListedFile {
  split: SplitName;
  label: number;
}

interface Listing {
  classNames: string[];
  /** Which splits the folder has: train always. */
  has: Record<SplitName, boolean>;
  files: Listed[];
}

/** Which splits an image folder has (train always): test/ and val/ beside train/. */
function splitsOf(dir: string, top: Dirent[]): Record<SplitName, boolean> {
  const folders = top.filter((e) => isFolder(dir, e)).map((e) => e.name);
  const splitLayout = folders.includes('train') && (folders.includes('test') || folders.includes('val'));
  return { train: true, test: splitLayout && folders.includes('test'), val: splitLayout && folders.includes('val') };
}

/** The folder's layout, classes and image files (stat'ed, not opened). */
function listFolder(dir: string): Listing {
  const top = entries(dir);
  const folders = top.filter((e) => isFolder(dir, e)).map((e) => e.name);
  const has = splitsOf(dir, top);
  const splitLayout = has.test || has.val;
  if (splitLayout) {
    const other = folders.find((f) => !(SPLITS as readonly string[]).includes(f));
    if (other !== undefined) throw new DataError(join(dir, other), 'a folder beside train/ and test/: expected only train/, test/ and val/ here, each holding class folders');
  }
  const splitDir = (s: SplitName): string => (splitLayout ? join(dir, s) : dir);
  const classFolders = (s: SplitName): string[] => {
    const d = splitDir(s);
    return (splitLayout ? entries(d) : top).filter((e) => isFolder(d, e)).map((e) => e.name);
  };
  const classNames = classFolders('train');
  if (classNames.length > MAX_CLASSES) throw new DataError(splitDir('train'), `${classNames.length} class folders; at most ${MAX_CLASSES} classes`);
  const files: Listed[] = [];
  for (const split of SPLITS) {
    if (!has[split]) continue;
    for (const name of classFolders(split)) {
      const label = classNames.indexOf(name);
      if (label < 0) throw new DataError(join(splitDir(split), name), `no class "${name}" in ${splitDir('train')} (its class folders: ${classNames.join(', ')})`);
      const folder = join(splitDir(split), name);
      for (const e of entries(folder)) {
        const rel = [splitLayout ? split : '', name, e.name].filter((p) => p !== '').join('/');
        let size = -1;
        let mtimeMs = -1;
        try {
          const s = statSync(join(folder, e.name));
          size = s.isDirectory() ? -2 : s.size;
          mtimeMs = s.mtimeMs;
        } catch {
          // reading it will say what is wrong
        }
        files.push({ rel, size, mtimeMs, split, label });
      }
    }
  }
  if (files.length === 0) throw new DataError(dir, 'no class folders with PNG or JPEG images');
  if (classNames.length === 1) throw new DataError(dir, `one class only (${JSON.stringify(classNames[0])}); a classifier needs at least 2`);
  return { classNames, has, files };
}

interface Decoded {
  /** 1 plane (grey, or forced to 1 channel) or 3 (R, G, B). */
  planes: Uint8Array;
  rows: number;
  cols: number;
}

function checkOptions(o: ImageFolderOptions): void {
  check.object(o, 'options', 'image folder options {size, channels, resize, onBadFile, warn, cache, cacheDir, requireTest, classes}');
  if (o.size !== undefined) {
    if (!Array.isArray(o.size) || o.size.length !== 2) check.fail('options.size', 'a [rows, cols] pair', o.size);
    check.integer(o.size[0], 'options.size[0]', 1);
    check.integer(o.size[1], 'options.size[1]', 1);
  }
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) check.fail('options.channels', '1 or 3', o.channels);
  if (o.resize !== undefined && typeof o.resize !== 'boolean') check.fail('options.resize', 'a boolean', o.resize);
  if (o.onBadFile !== undefined) check.oneOf(o.onBadFile, 'options.onBadFile', ['skip', 'error']);
  if (o.warn !== undefined && typeof o.warn !== 'function') check.fail('options.warn', 'a function taking a line', o.warn);
  if (o.cache !== undefined && typeof o.cache !== 'boolean') check.fail('options.cache', 'a boolean', o.cache);
  if (o.cacheDir !== undefined && typeof o.cacheDir !== 'string') check.fail('options.cacheDir', 'a folder path', o.cacheDir);
  if (o.requireTest !== undefined && typeof o.requireTest !== 'boolean') check.fail('options.requireTest', 'a boolean', o.requireTest);
  if (o.classes !== undefined) check.integer(o.classes, 'options.classes', 1);
}

/** The size most images have; ties: the more pixels, then the fewer rows. */
function commonSize(images: readonly Decoded[]): [number, number] {
  const counts = new Map<string, { rows: number; cols: number; n: number }>();
  for (const d of images) {
    const k = `${d.rows}×${d.cols}`;
    const c = counts.get(k);
    if (c) c.n++;
    else counts.set(k, { rows: d.rows, cols: d.cols, n: 1 });
  }
  const best = [...counts.values()].sort((a, b) => b.n - a.n || b.rows * b.cols - a.rows * a.cols || a.rows - b.rows)[0];
  return [best.rows, best.cols];
}

/**
 * Loads an image folder (layouts above) as datasets of levels 0–255 with `channels` and
 * `classNames` set; `source` names the folder (DIR, or DIR/train, DIR/test, DIR/val).
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): ImageFolderData {
  if (typeof dir !== 'string') check.fail('dir', 'the path of a folder of class folders', dir);
  checkOptions(options);
  const onBadFile = options.onBadFile ?? 'skip';
  const resize = options.resize ?? true;
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const listing = listFolder(dir);
  if (options.classes !== undefined && listing.classNames.length > options.classes) {
    throw new DataError(dir, `${listing.classNames.length} class folders, more than the ${options.classes} classes the network tells apart`);
  }
  if (options.requireTest && !listing.has.test) {
    throw new DataError(dir, 'holds class folders but no test/ split: give a folder with train/<class>/… and test/<class>/… (val/<class>/… too if you like)');
  }
  const path = (rel: string): string => join(dir, ...rel.split('/'));

  const useCache = options.cache ?? true;
  const cache = useCache
    ? imageCacheFile(options.cacheDir ?? userCacheDir('images'), resolve(dir), listing.files, { size: options.size ?? null, channels: options.channels ?? null, resize, onBadFile })
    : null;
  const skip = (rel: string, problem: string): void => warn(`skipped ${path(rel)}: ${problem}`);
  let data = cache ? readImageCache(cache.file, cache.key) : null;
  const fromCache = data !== null;
  // a cached load says what the decoding said
  if (data) for (const [rel, problem] of data.skipped) skip(rel, problem);
  data ??= decodeFolder(dir, listing, options, onBadFile, resize, skip);
  if (data.skipped.length > 0) warn(`skipped ${data.skipped.length} of ${data.files} files`);
  if (cache && !fromCache) {
    const failed = writeImageCache(cache.file, cache.key, cache.prefix, data);
    if (failed) warn(`could not write the decoded-image cache ${cache.file} (${failed}); the next load decodes the images again`);
  }

  const dataset = (s: SplitName): Dataset | null => {
    const split = data.splits[s];
    if (!split) return null;
    return {
      images: split.images, labels: split.labels, count: split.count, channels: data.channels, rows: data.rows, cols: data.cols,
      classNames: [...data.classNames], source: listing.has.test || listing.has.val ? join(dir, s) : dir,
    };
  };
  return { train: dataset('train')!, test: dataset('test'), val: dataset('val'), fromCache, files: data.files, skipped: data.skipped.length };
}

/** Decodes every listed file, applies the size and channel rules, and packs each split. */
function decodeFolder(
  dir: string, listing: Listing, o: ImageFolderOptions, onBadFile: 'skip' | 'error', resize: boolean, skip: (rel: string, problem: string) => void,
): CachedImages {
  const skipped: [string, string][] = [];
  const good: { file: Listed; image: Decoded }[] = [];
  let colour = false;
  for (const f of listing.files) {
    const file = join(dir, ...f.rel.split('/'));
    try {
      if (f.size === -2) throw new DataError(file, 'is a folder, expected a PNG or JPEG file');
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new DataError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const { rgba, width, height } = decodeImage(bytes, file);
      const grey = rgbaIsGrey(rgba, width * height);
      colour ||= !grey;
      const planes = rgbaToPlanes(rgba, width * height, grey || o.channels === 1 ? 1 : 3);
      good.push({ file: f, image: { planes, rows: height, cols: width } });
    } catch (e) {
      if (!(e instanceof DataError) || onBadFile === 'error') throw e;
      const problem = e.message.slice(e.file.length + 2);
      skipped.push([f.rel, problem]);
      skip(f.rel, problem);
    }
  }
  for (const s of SPLITS) {
    if (listing.has[s] && !good.some((g) => g.file.split === s)) {
      throw new DataError(s === 'train' ? dir : join(dir, s), `no class folders with PNG or JPEG images${skipped.length ? ` (${skipped.length} files skipped)` : ''}`);
    }
  }
  const channels = o.channels ?? (colour ? 3 : 1);
  const [rows, cols] = o.size ?? commonSize(good.map((g) => g.image));
  const why = o.size ? 'the size asked for' : 'the size most images have';
  const size = channels * rows * cols;
  const splits = { train: null, test: null, val: null } as CachedImages['splits'];
  for (const s of SPLITS) {
    if (!listing.has[s]) continue;
    const mine = good.filter((g) => g.file.split === s);
    const images = new Uint8Array(mine.length * size);
    const labels = new Uint8Array(mine.length);
    mine.forEach(({ file, image }, i) => {
      labels[i] = file.label;
      let { planes } = image;
      const have = planes.length / (image.rows * image.cols);
      // channels first, at the image's own size; then its size
      if (have !== channels) {
        const grey = planes;
        planes = new Uint8Array(channels * image.rows * image.cols);
        for (let c = 0; c < channels; c++) planes.set(grey, c * grey.length);
      }
      if (image.rows === rows && image.cols === cols) images.set(planes, i * size);
      else if (!resize) {
        throw new DataError(join(dir, ...file.rel.split('/')), `${image.rows}×${image.cols} pixels, expected ${rows}×${cols} (${why}; resizing is off)`);
      } else resizeBilinear(planes, image.rows, image.cols, rows, cols, channels, images.subarray(i * size, (i + 1) * size));
    });
    splits[s] = { images, labels, count: mine.length };
  }
  return { rows, cols, channels, classNames: listing.classNames, splits, skipped, files: listing.files.length };
}
