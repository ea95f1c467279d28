// The decoded-image cache of image folders (Node): decoding 70,000 PNGs takes tens of seconds, reading
// them back as one file a fraction of one. src/data/image-folder.ts lists the folder (names, sizes,
// modification times: no file is opened), derives the key, and reads the cache when it matches.
//
// Where: cacheDir('images') (~/.cache/convnotes/images, or $XDG_CACHE_HOME/convnotes/images), or the
// `cacheDir` option. Name: <folder>-<key>.bin, where <folder> is 16 hex digits of the SHA-256 of
// (format version, absolute folder path, options) and <key> the SHA-256 of those and every image
// file's relative path, size and modification time: a file added, removed, renamed, rewritten or
// touched makes a new key, so the folder is decoded again; the file of the old key is then removed
// (same <folder> prefix), so a folder never leaves more than one cache file per set of options.
//
// Format (little-endian): the 8 bytes "CNIMAGE1", a uint32 header length, a JSON header (key, sizes,
// counts, class names, the skipped files and why), then per split present (train, test, val) its
// images (count × channels × rows × cols levels) and its labels (count bytes). Written to a temporary
// name and renamed (util/atomic.ts). A cache file that is short, corrupt, of another version or of
// another key is ignored (and rebuilt): the cache can only save time, never fail a load.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { SPLITS, type SplitName } from './image-set.js';

export { SPLITS, type SplitName } from './image-set.js';

export const IMAGE_CACHE_VERSION = 1;
const MAGIC = 'CNIMAGE1';

/** What a cache file holds: the decoded splits and what the decoding said. */
export interface CachedImages {
  rows: number;
  cols: number;
  channels: number;
  classNames: string[];
  /** Per split: images [count][channels][rows][cols] and labels [count]; null when the folder has no such split. */
  splits: Record<SplitName, { images: Uint8Array; labels: Uint8Array; count: number } | null>;
  /** Files skipped, as [path relative to the folder, the problem]. */
  skipped: [string, string][];
  /** Files looked at. */
  files: number;
}

/** One image file of the folder as the key sees it. */
export interface ListedFile {
  /** Path relative to the folder, '/'-separated. */
  rel: string;
  size: number;
  mtimeMs: number;
}

/** The cache file of a folder (absolute path) with these files and options (its result-changing ones). */
export function imageCacheFile(cacheFolder: string, folder: string, files: readonly ListedFile[], options: unknown): { file: string; key: string; prefix: string } {
  const head = JSON.stringify([IMAGE_CACHE_VERSION, folder, options]);
  const prefix = createHash('sha256').update(head).digest('hex').slice(0, 16);
  const hash = createHash('sha256').update(head);
  for (const f of files) hash.update(`\n${f.rel}\0${f.size}\0${f.mtimeMs}`);
  const key = hash.digest('hex');
  return { file: join(cacheFolder, `${prefix}-${key}.bin`), key, prefix };
}

interface Header {
  version: number;
  key: string;
  rows: number;
  cols: number;
  channels: number;
  classNames: string[];
  counts: Record<SplitName, number | null>;
  skipped: [string, string][];
  files: number;
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The cache file's contents if it is complete and of this key; null otherwise (missing, short, corrupt, stale). */
export function readImageCache(file: string, key: string): CachedImages | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) return null;
  const length = bytes.readUInt32LE(8);
  if (12 + length > bytes.length) return null;
  let h: Header;
  try {
    h = JSON.parse(bytes.toString('utf8', 12, 12 + length)) as Header;
  } catch {
    return null;
  }
  if (h === null || typeof h !== 'object' || h.version !== IMAGE_CACHE_VERSION || h.key !== key) return null;
  if (![h.rows, h.cols, h.channels, h.files].every(isCount) || !Array.isArray(h.classNames) || !Array.isArray(h.skipped)) return null;
  if (h.counts === null || typeof h.counts !== 'object') return null;
  const size = h.channels * h.rows * h.cols;
  let at = 12 + length;
  const splits = {} as CachedImages['splits'];
  for (const s of SPLITS) {
    const count = h.counts[s];
    if (count === null) {
      splits[s] = null;
      continue;
    }
    if (!isCount(count) || at + count * (size + 1) > bytes.length) return null;
    // views of the one buffer read: no copy
    const images = new Uint8Array(bytes.buffer, bytes.byteOffset + at, count * size);
    const labels = new Uint8Array(bytes.buffer, bytes.byteOffset + at + count * size, count);
    at += count * (size + 1);
    splits[s] = { images, labels, count };
  }
  if (at !== bytes.length) return null;
  return { rows: h.rows, cols: h.cols, channels: h.channels, classNames: h.classNames, splits, skipped: h.skipped, files: h.files };
}

/**
 * Writes the cache file (atomically) and removes older ones of the same folder and options. Returns
 * why it could not, or null: a cache that cannot be written only costs the next load its time.
 */
export function writeImageCache(file: string, key: string, prefix: string, data: CachedImages): string | null {
  const header: Header = {
    version: IMAGE_CACHE_VERSION, key, rows: data.rows, cols: data.cols, channels: data.channels,
    classNames: data.classNames, skipped: data.skipped, files: data.files,
    counts: { train: data.splits.train?.count ?? null, test: data.splits.test?.count ?? null, val: data.splits.val?.count ?? null },
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const size = data.channels * data.rows * data.cols;
  let total = 12 + json.length;
  for (const s of SPLITS) total += (data.splits[s]?.count ?? 0) * (size + 1);
  const bytes = Buffer.alloc(total);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(json.length, 8);
  json.copy(bytes, 12);
  let at = 12 + json.length;
  for (const s of SPLITS) {
    const split = data.splits[s];
    if (!split) continue;
    bytes.set(split.images.subarray(0, split.count * size), at);
    bytes.set(split.labels.subarray(0, split.count), at + split.count * size);
    at += split.count * (size + 1);
  }
  const folder = dirname(file);
  try {
    mkdirSync(folder, { recursive: true });
    writeFileAtomic(file, bytes);
  } catch (e) {
    return `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  const name = basename(file);
  try {
    for (const f of readdirSync(folder)) if (f.startsWith(`${prefix}-`) && f.endsWith('.bin') && f !== name) unlinkSync(join(folder, f));
  } catch {
    // an old cache file left behind costs disk space only
  }
  return null;
}
