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
import { decodeImage } from './decode.js';
import { cacheDir as userCacheDir } from './files.js';
import { DataError } from './idx.js';
import { imageCacheFile, readImageCache, writeImageCache, type CachedImages, type ListedFile, type SplitName } from './image-cache.js';
import { imagePlanes, imageSetDatasets, imageSetLayout, packImageSet, type FolderEntry, type ImageSetLayout, type SetImage } from './image-set.js';
import * as check from '../util/validate.js';

export { MAX_CLASSES } from './image-set.js';

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
  has: ImageSetLayout['has'];
  files: Listed[];
}

/** A path of the folder from one relative to it ('' is the folder itself, as given). */
const pathIn = (dir: string) => (rel: string): string => (rel === '' ? dir : join(dir, ...rel.split('/')));

/** The folder's layout, classes and image files (stat'ed, not opened): image-set.ts's rule on the folder's entries. */
function listFolder(dir: string): Listing {
  const where = pathIn(dir);
  const list = (rel: string): FolderEntry[] => {
    const d = where(rel);
    try {
      return readdirSync(d, { withFileTypes: true }).map((e) => ({ name: e.name, folder: isFolder(d, e) }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DataError(d, code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'is not a folder' : `cannot read (${code ?? (e as Error).message})`);
    }
  };
  const layout = imageSetLayout(list, where);
  const files = layout.files.map(({ rel, split, label }): Listed => {
    let size = -1;
    let mtimeMs = -1;
    try {
      const s = statSync(where(rel));
      size = s.isDirectory() ? -2 : s.size;
      mtimeMs = s.mtimeMs;
    } catch {
      // reading it will say what is wrong
    }
    return { rel, size, mtimeMs, split, label };
  });
  return { classNames: layout.classNames, has: layout.has, files };
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

  const sets = imageSetDatasets(data, data.classNames, (s) => (listing.has.test || listing.has.val ? join(dir, s) : dir));
  return { train: sets.train!, test: sets.test, val: sets.val, fromCache, files: data.files, skipped: data.skipped.length };
}

/** Decodes every listed file, then applies the channel and size rules (image-set.ts) and packs each split. */
function decodeFolder(
  dir: string, listing: Listing, o: ImageFolderOptions, onBadFile: 'skip' | 'error', resize: boolean, skip: (rel: string, problem: string) => void,
): CachedImages {
  const where = pathIn(dir);
  const skipped: [string, string][] = [];
  const good: SetImage[] = [];
  for (const f of listing.files) {
    const file = where(f.rel);
    try {
      if (f.size === -2) throw new DataError(file, 'is a folder, expected a PNG or JPEG file');
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new DataError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const { rgba, width, height } = decodeImage(bytes, file);
      // planes at once (1 or 3 bytes a pixel), not RGBA kept until the set's channels are known
      good.push({ split: f.split, label: f.label, name: file, image: imagePlanes(rgba, width, height, o.channels) });
    } catch (e) {
      if (!(e instanceof DataError) || onBadFile === 'error') throw e;
      const problem = e.message.slice(e.file.length + 2);
      skipped.push([f.rel, problem]);
      skip(f.rel, problem);
    }
  }
  const packed = packImageSet(good, listing.has, { size: o.size, channels: o.channels, resize }, where, skipped.length);
  return { ...packed, classNames: listing.classNames, skipped, files: listing.files.length };
}
