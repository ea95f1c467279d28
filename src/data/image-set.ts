// The rules that make class folders of images into datasets (docs/DATA.md, "Image folders"), on what
// any reader hands them: browser-safe, no file system. The Node reader (src/data/image-folder.ts:
// readdir, pngjs and jpeg-js, a cache) and the playground (dropped folders and zips, the browser's
// decoder) both run these, so they make the same datasets of the same files.
//
// 1. Layout (imageSetLayout), on a folder tree that a reader lists:
//      <class>/…                           all of it training data (train only)
//      train/<class>/…, test/<class>/…     splits; val/<class>/… too, or in place of test/
//    Class names are train's class folder names sorted by code point, a label its folder's index; a
//    test or val class folder must be one of them. Entries are taken in code-point order; names starting
//    with "." are ignored; loose files beside the class folders are not looked at. pathLister makes a
//    tree of a list of relative paths; imageSetRoot finds where a dropped set or an archive's starts.
// 2. Pixels to channels (imagePlanes): alpha is dropped (R, G, B as stored); an image is grey when
//    R = G = B at every pixel; 1 channel asked of a colour pixel gives round(0.299 R + 0.587 G + 0.114 B).
// 3. One set (packImageSet): colour (3 channels) if any image is not grey, its grey images then giving
//    their level to R, G and B; one size for all (`size`, else commonSize: the size most images have,
//    ties to the more pixels, then the fewer rows), other sizes given the set's channels and then
//    resized by resizeBilinear (src/data/resize.ts), or with `resize: false` refused; a split left with
//    no image refused.
// 4. One picture for a model's input (pictureDataset): its channels, and centred if it fits, else
//    resized to the input (what `predict --image` and the playground's picture do).

import type { Dataset } from './dataset.js';
import { DataError } from './idx.js';
import { resizeBilinear } from './resize.js';

export type SplitName = 'train' | 'test' | 'val';
export const SPLITS: readonly SplitName[] = ['train', 'test', 'val'];

/** The most classes a set may have (labels are bytes). */
export const MAX_CLASSES = 255;

/**
 * Names in code-point order. String's < compares UTF-16 units, which differs only where one name has a
 * surrogate (half of a code point above U+FFFF, which sorts after every other) and the other not.
 */
export function byCodePoint(a: string, b: string): number {
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

// ---- 1. layout ------------------------------------------------------------------------------------

/** One entry of a folder: its name, and whether it is a folder (a link to one counts as one). */
export interface FolderEntry {
  name: string;
  folder: boolean;
}

/**
 * The entries of the folder at `rel` ('/'-separated, relative to the set's folder; '' is the set's
 * folder itself), in any order, hidden ones included; a folder that cannot be read throws (DataError).
 */
export type FolderLister = (rel: string) => readonly FolderEntry[];

/** An entry of a class folder: an image file to decode (or something else, a bad file). */
export interface LayoutFile {
  /** Path relative to the set's folder, '/'-separated: [split/]class/name. */
  rel: string;
  split: SplitName;
  label: number;
  /** A folder inside a class folder: a bad file, not looked into. */
  folder: boolean;
}

export interface ImageSetLayout {
  classNames: string[];
  /** Which splits the set has: train always. */
  has: Record<SplitName, boolean>;
  files: LayoutFile[];
}

const joinRel = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');

/**
 * The layout, classes and files of a set of class folders (the rules above), listed by `list`;
 * `where(rel)` names a path in errors (DataError).
 */
export function imageSetLayout(list: FolderLister, where: (rel: string) => string): ImageSetLayout {
  const entries = (rel: string): FolderEntry[] => list(rel).filter((e) => !e.name.startsWith('.')).sort((a, b) => byCodePoint(a.name, b.name));
  const top = entries('');
  const folders = top.filter((e) => e.folder).map((e) => e.name);
  const splitLayout = folders.includes('train') && (folders.includes('test') || folders.includes('val'));
  const has = { train: true, test: splitLayout && folders.includes('test'), val: splitLayout && folders.includes('val') };
  if (splitLayout) {
    const other = folders.find((f) => !(SPLITS as readonly string[]).includes(f));
    if (other !== undefined) throw new DataError(where(other), 'a folder beside train/ and test/: expected only train/, test/ and val/ here, each holding class folders');
  }
  const splitRel = (s: SplitName): string => (splitLayout ? s : '');
  const classFolders = (s: SplitName): string[] => (splitLayout ? entries(s) : top).filter((e) => e.folder).map((e) => e.name);
  const classNames = classFolders('train');
  if (classNames.length > MAX_CLASSES) throw new DataError(where(splitRel('train')), `${classNames.length} class folders; at most ${MAX_CLASSES} classes`);
  const files: LayoutFile[] = [];
  for (const split of SPLITS) {
    if (!has[split]) continue;
    for (const name of classFolders(split)) {
      const label = classNames.indexOf(name);
      const folder = joinRel(splitRel(split), name);
      if (label < 0) throw new DataError(where(folder), `no class "${name}" in ${where(splitRel('train'))} (its class folders: ${classNames.join(', ')})`);
      for (const e of entries(folder)) files.push({ rel: joinRel(folder, e.name), split, label, folder: e.folder });
    }
  }
  if (files.length === 0) throw new DataError(where(''), 'no class folders with PNG or JPEG images');
  if (classNames.length === 1) throw new DataError(where(''), `one class only (${JSON.stringify(classNames[0])}); a classifier needs at least 2`);
  return { classNames, has, files };
}

/**
 * A folder tree of relative paths ('/'-separated; one ending in '/' is a folder, which may be empty;
 * a leading '/' or './' is dropped): what a dropped folder's files or an archive's entries give.
 */
export function pathLister(paths: readonly string[]): FolderLister {
  const tree = new Map<string, Map<string, boolean>>([['', new Map()]]);
  for (const path of paths) {
    const parts = path.replace(/^(\.?\/)+/, '').split('/');
    const isFolder = parts[parts.length - 1] === '';
    if (isFolder) parts.pop();
    if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..')) continue;
    let rel = '';
    parts.forEach((name, i) => {
      const folder = i < parts.length - 1 || isFolder;
      const here = tree.get(rel)!;
      here.set(name, here.get(name) === true || folder);
      rel = joinRel(rel, name);
      if (folder && !tree.has(rel)) tree.set(rel, new Map());
    });
  }
  return (rel) => [...(tree.get(rel) ?? new Map<string, boolean>())].map(([name, folder]) => ({ name, folder }));
}

/**
 * Where the class folders of a dropped set or an archive start: down from `rel` through any folder that
 * holds exactly one folder (hidden names aside) which is not train/, test/ or val/ and itself holds a
 * folder (a zip's or a drop's wrapping folder, "cifar/" of cifar/train/cat/…). A lone class folder is
 * not descended into: it stays one class, which the layout refuses.
 */
export function imageSetRoot(list: FolderLister, rel = ''): string {
  for (;;) {
    const shown = list(rel).filter((e) => !e.name.startsWith('.'));
    const folders = shown.filter((e) => e.folder);
    if (folders.length !== 1 || (SPLITS as readonly string[]).includes(folders[0].name)) return rel;
    const inner = joinRel(rel, folders[0].name);
    if (!list(inner).some((e) => e.folder && !e.name.startsWith('.'))) return rel;
    rel = inner;
  }
}

// ---- 2. pixels to channels ------------------------------------------------------------------------

/** Whether R = G = B at every pixel of an RGBA image (alpha is not looked at). */
export function rgbaIsGrey(rgba: Uint8Array | Uint8ClampedArray, pixels: number): boolean {
  for (let p = 0; p < 4 * pixels; p += 4) if (rgba[p] !== rgba[p + 1] || rgba[p] !== rgba[p + 2]) return false;
  return true;
}

/**
 * An RGBA image as `channels` planes: 1, grey levels (R of a grey pixel; else round(0.299 R + 0.587 G
 * + 0.114 B)); 3, the R, G and B planes. Alpha is dropped. Into out[o …] when given.
 */
export function rgbaToPlanes(rgba: Uint8Array | Uint8ClampedArray, pixels: number, channels: 1 | 3, out = new Uint8Array(channels * pixels), o = 0): Uint8Array {
  if (channels === 3) {
    for (let p = 0; p < pixels; p++) {
      out[o + p] = rgba[4 * p];
      out[o + pixels + p] = rgba[4 * p + 1];
      out[o + 2 * pixels + p] = rgba[4 * p + 2];
    }
  } else {
    for (let p = 0; p < pixels; p++) {
      const r = rgba[4 * p];
      const g = rgba[4 * p + 1];
      const b = rgba[4 * p + 2];
      // a grey pixel stays exact (the weights' sum is not exactly 1 in floating point)
      out[o + p] = r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
  }
  return out;
}

/** One decoded image as a set keeps it until the set's channels and size are known. */
export interface ImagePlanes {
  /** 1 plane (grey, or 1 channel asked) or 3 (R, G, B), rows × cols each. */
  planes: Uint8Array;
  rows: number;
  cols: number;
  /** R = G = B at every pixel. */
  grey: boolean;
}

/** A decoded image's planes: 1 when it is grey or `channels` is 1, else 3 (R, G, B). */
export function imagePlanes(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, channels?: 1 | 3): ImagePlanes {
  const grey = rgbaIsGrey(rgba, width * height);
  return { planes: rgbaToPlanes(rgba, width * height, grey || channels === 1 ? 1 : 3), rows: height, cols: width, grey };
}

// ---- 3. one set -----------------------------------------------------------------------------------

export interface ImageSetOptions {
  /** [rows, cols] every image is brought to; default the size most images have. */
  size?: [number, number];
  /** 1 or 3 channels; default 3 if any image is not grey, else 1. */
  channels?: 1 | 3;
  /** Resize images of another size (default); false: refuse them (DataError naming the file). */
  resize?: boolean;
}

/** An image of a set: its split, label, name (in messages) and planes. */
export interface SetImage {
  split: SplitName;
  label: number;
  name: string;
  image: ImagePlanes;
}

/** A set's splits packed as datasets pack images: [count][channels][rows][cols] levels, and labels. */
export interface PackedImageSet {
  rows: number;
  cols: number;
  channels: number;
  splits: Record<SplitName, { images: Uint8Array; labels: Uint8Array; count: number } | null>;
}

/** The size most images have; ties: the more pixels, then the fewer rows. */
export function commonSize(images: readonly { rows: number; cols: number }[]): [number, number] {
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
 * The images of a set (in the order they are to keep, split by split) brought to one channel count and
 * one size, and packed per split of `has`. `where(rel)` names the set's folder ('') and a split's
 * ('test', 'val') in errors; `skipped` (files left out) is said when a split is left empty.
 */
export function packImageSet(
  images: readonly SetImage[], has: Record<SplitName, boolean>, options: ImageSetOptions,
  where: (rel: string) => string, skipped = 0,
): PackedImageSet {
  for (const s of SPLITS) {
    if (has[s] && !images.some((g) => g.split === s)) {
      throw new DataError(where(s === 'train' ? '' : s), `no class folders with PNG or JPEG images${skipped ? ` (${skipped} files skipped)` : ''}`);
    }
  }
  const channels = options.channels ?? (images.some((g) => !g.image.grey) ? 3 : 1);
  const [rows, cols] = options.size ?? commonSize(images.map((g) => g.image));
  const why = options.size ? 'the size asked for' : 'the size most images have';
  const size = channels * rows * cols;
  const splits: PackedImageSet['splits'] = { train: null, test: null, val: null };
  for (const s of SPLITS) {
    if (!has[s]) continue;
    const mine = images.filter((g) => g.split === s);
    const packed = new Uint8Array(mine.length * size);
    const labels = new Uint8Array(mine.length);
    mine.forEach(({ label, name, image }, i) => {
      labels[i] = label;
      let { planes } = image;
      const have = planes.length / (image.rows * image.cols);
      // channels first, at the image's own size; then its size
      if (have !== channels) {
        const grey = planes;
        planes = new Uint8Array(channels * image.rows * image.cols);
        for (let c = 0; c < channels; c++) planes.set(grey, c * grey.length);
      }
      if (image.rows === rows && image.cols === cols) packed.set(planes, i * size);
      else if (options.resize === false) {
        throw new DataError(name, `${image.rows}×${image.cols} pixels, expected ${rows}×${cols} (${why}; resizing is off)`);
      } else resizeBilinear(planes, image.rows, image.cols, rows, cols, channels, packed.subarray(i * size, (i + 1) * size));
    });
    splits[s] = { images: packed, labels, count: mine.length };
  }
  return { rows, cols, channels, splits };
}

/** The datasets of a packed set; `source(split)` names each (a flat set's folder, or its split's). */
export function imageSetDatasets(
  set: PackedImageSet, classNames: readonly string[], source: (split: SplitName) => string,
): Record<SplitName, Dataset | null> {
  const dataset = (s: SplitName): Dataset | null => {
    const split = set.splits[s];
    if (!split) return null;
    return {
      images: split.images, labels: split.labels, count: split.count, channels: set.channels, rows: set.rows, cols: set.cols,
      classNames: [...classNames], source: source(s),
    };
  };
  return { train: dataset('train'), test: dataset('test'), val: dataset('val') };
}

/** A decoded image of a set: RGBA pixels, its label, and its name (in messages). */
export interface RgbaSetImage {
  rgba: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  label: number;
  name: string;
}

/**
 * Datasets from decoded images per split (train required; test and val when given) and the class
 * names, by the rules above: the channel decision, one size, the resize rule. `where` names the set
 * ('') and its splits in errors and sources (default: "images", "images/test", …).
 */
export function imageSetFromRgba(
  splits: Partial<Record<SplitName, readonly RgbaSetImage[]>>, classNames: readonly string[],
  options: ImageSetOptions & { where?: (rel: string) => string } = {},
): { train: Dataset; test: Dataset | null; val: Dataset | null; rows: number; cols: number; channels: number } {
  const where = options.where ?? ((rel: string) => joinRel('images', rel));
  const has = { train: true, test: splits.test !== undefined, val: splits.val !== undefined };
  const images: SetImage[] = [];
  for (const s of SPLITS) {
    for (const d of splits[s] ?? []) images.push({ split: s, label: d.label, name: d.name, image: imagePlanes(d.rgba, d.width, d.height, options.channels) });
  }
  const packed = packImageSet(images, has, options, where);
  const sets = imageSetDatasets(packed, classNames, (s) => where(has.test || has.val ? s : ''));
  return { train: sets.train!, test: sets.test, val: sets.val, rows: packed.rows, cols: packed.cols, channels: packed.channels };
}

// ---- 4. one picture -------------------------------------------------------------------------------

/**
 * A decoded picture as a dataset of one image (label 0) for an input of `channels` (1 or 3) maps of
 * height × width: its channels by rgbaToPlanes; as it is if it fits the input (fillBatch centres it, as
 * training placed its images), else resized to height × width by the bilinear rule. `source` names it.
 */
export function pictureDataset(
  rgba: Uint8Array | Uint8ClampedArray, w: number, h: number, channels: number, height: number, width: number, source: string,
): Dataset {
  if (channels !== 1 && channels !== 3) throw new DataError(source, `the model takes ${channels} input maps; a picture gives 1 (grey) or 3 (RGB)`);
  let planes = rgbaToPlanes(rgba, w * h, channels);
  let [rows, cols] = [h, w];
  if (h > height || w > width) {
    planes = resizeBilinear(planes, h, w, height, width, channels);
    [rows, cols] = [height, width];
  }
  return { images: planes, labels: new Uint8Array(1), count: 1, channels, rows, cols, source };
}
