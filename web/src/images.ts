// What the worker makes of the files given to the page (web/src/worker.ts): a .zip among them is
// opened (the library's readZip: stored and deflate entries, zip64 and encryption refused), then
//
// - IDX: files named as MNIST's four (anywhere in a folder or a zip), or loose files only (no folder):
//   the MNIST reader (files.ts), as before;
// - else class folders of pictures: the library's image-set rules (src/data/image-set.ts, the ones
//   `convnotes train --data DIR` runs on a folder): the layout (train/ test/ val/ or class folders
//   alone, class names sorted by code point, hidden names ignored), each file's structure walked
//   (imageHeader: the CLI's words for a truncated or corrupt file), grey or colour, one size, the
//   resize rule. A drop's or an archive's wrapping folder ("bars/" of bars/train/…) is looked through
//   (imageSetRoot).
//
// Pictures are decoded by the browser (createImageBitmap, OffscreenCanvas getImageData) with colour
// management off (colorSpaceConversion "none"): a PNG without a colour profile or gamma comes out as
// stored, level for level (test/surface/playground.test.ts checks it), as pngjs gives it on Node. Where
// they may differ: a JPEG (another decoder: a level or so), a PNG with a gAMA/iCCP chunk or a JPEG with
// EXIF orientation (the browser may apply them, Node does not), and partly transparent pixels (a canvas
// keeps colour premultiplied by alpha: a fully transparent pixel comes out black, where Node keeps its
// stored colour).
import {
  DataError, IDX_FILES, imageHeader, imagePlanes, imageSetDatasets, imageSetLayout, imageSetRoot, packImageSet, pathLister, pictureDataset, readZip,
  type Dataset, type SetImage,
} from 'convnotes';
import type { DataFile, FileBytes } from './protocol.js';

/** A file of the drop, its bytes read when asked (a zip's entries are inflated then). */
interface Given {
  path: string;
  read(): Promise<Uint8Array>;
}

const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');
const base = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const IDX_NAMES = new Set(Object.values(IDX_FILES).flat().flatMap((n) => [n, `${n}.gz`]));

const isZip = async (f: DataFile): Promise<boolean> => {
  if (/\.zip$/i.test(f.path)) return true;
  const head = new Uint8Array(await f.blob.slice(0, 4).arrayBuffer());
  return head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
};

/**
 * The files of a drop with every zip given at its top opened in place: a zip at path P holds its entries
 * at P/<entry> (so "bars.zip/bars/train/red-h/0.png"). macOS's __MACOSX/ folders are left out.
 */
export async function expand(files: readonly DataFile[]): Promise<{ files: Given[]; zips: string[] }> {
  const out: Given[] = [];
  const zips: string[] = [];
  for (const f of files) {
    if (!f.path.includes('/') && (await isZip(f))) {
      const entries = readZip(new Uint8Array(await f.blob.arrayBuffer()), f.path);
      zips.push(`${f.path} (${entries.filter((e) => !e.folder).length} files)`);
      for (const e of entries) {
        if (/(^|\/)__MACOSX\//.test(e.name)) continue;
        out.push({ path: join(f.path, e.name.replace(/^\/+/, '')) + (e.folder ? '/' : ''), read: e.read });
      }
    } else out.push({ path: f.path, read: async () => new Uint8Array(await f.blob.arrayBuffer()) });
  }
  return { files: out, zips };
}

/** Which reader the files are for: IDX (MNIST's names anywhere, or loose files only), else image folders. */
export function kindOf(files: readonly Given[]): 'idx' | 'images' {
  const real = files.filter((f) => !f.path.endsWith('/'));
  if (real.some((f) => IDX_NAMES.has(base(f.path)))) return 'idx';
  return real.every((f) => !f.path.includes('/')) ? 'idx' : 'images';
}

/** The IDX files of a drop, by their own names, as the MNIST reader takes them (loose pictures are refused, saying what to do). */
export async function idxFiles(files: readonly Given[]): Promise<FileBytes[]> {
  const real = files.filter((f) => !f.path.endsWith('/'));
  const named = real.filter((f) => IDX_NAMES.has(base(f.path)));
  return Promise.all((named.length ? named : real).map(async (f) => {
    const bytes = await f.read();
    const picture = (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) || (bytes[0] === 0xff && bytes[1] === 0xd8);
    if (picture && !named.length) {
      throw new DataError(f.path, 'a picture on its own: to train, give a folder (or a zip) of class folders of pictures; to classify it, drop it on "Classify a picture"');
    }
    return { name: base(f.path), bytes: bytes.slice().buffer as ArrayBuffer };
  }));
}

/** RGBA pixels of a PNG or JPEG by the browser's decoder, after the library's structure walk (DataError naming `name`). */
export async function decodePicture(bytes: Uint8Array, name: string): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
  const { format, width, height } = imageHeader(bytes, name);
  const kind = format === 'png' ? 'PNG' : 'JPEG';
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: `image/${format}` }), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new DataError(name, `cannot decode ${kind} (the browser's decoder: ${(e as Error).message || String(e)})`);
  }
  try {
    // the browser may turn a JPEG by its EXIF orientation: the bitmap's size, not the header's
    const w = bitmap.width || width;
    const h = bitmap.height || height;
    const canvas = new OffscreenCanvas(w, h);
    const g = canvas.getContext('2d', { willReadFrequently: true });
    if (!g) throw new DataError(name, 'cannot decode: no 2D canvas in this browser\'s workers');
    g.globalCompositeOperation = 'copy';
    g.drawImage(bitmap, 0, 0);
    return { rgba: g.getImageData(0, 0, w, h).data, width: w, height: h };
  } finally {
    bitmap.close();
  }
}

/** Pictures decoded at once. */
const IN_FLIGHT = 8;

export interface ImageSetRead {
  train: Dataset;
  test: Dataset | null;
  val: Dataset | null;
  /** Where the set's class folders start, as the log names it. */
  source: string;
  files: number;
  skipped: number;
}

/**
 * Class folders of pictures among `files` as datasets, by the library's image-set rules; each skipped
 * file is a line to `log` ("skipped PATH: problem"), then a count, as the CLI says them.
 */
export async function readImageSet(files: readonly Given[], log: (line: string) => void): Promise<ImageSetRead> {
  const byPath = new Map(files.filter((f) => !f.path.endsWith('/')).map((f) => [f.path, f]));
  const all = pathLister(files.map((f) => f.path));
  const root = imageSetRoot(all);
  const where = (rel: string): string => join(root, rel) || 'the dropped files';
  const layout = imageSetLayout((rel) => all(join(root, rel)), where);
  const good: (SetImage | null)[] = new Array(layout.files.length).fill(null);
  const problems: (string | null)[] = new Array(layout.files.length).fill(null);
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < layout.files.length) {
      const k = next++;
      const f = layout.files[k];
      const name = where(f.rel);
      try {
        const given = byPath.get(join(root, f.rel));
        if (f.folder || !given) throw new DataError(name, 'is a folder, expected a PNG or JPEG file');
        let bytes: Uint8Array;
        try {
          bytes = await given.read();
        } catch (e) {
          throw e instanceof DataError ? e : new DataError(name, `cannot read (${(e as Error).message})`);
        }
        const { rgba, width, height } = await decodePicture(bytes, name);
        good[k] = { split: f.split, label: f.label, name, image: imagePlanes(rgba, width, height) };
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
        problems[k] = e.message;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, work));
  // the lines in the layout's order, whatever order the decoding finished in
  const skipped = problems.filter((p): p is string => p !== null);
  for (const p of skipped) log(`skipped ${p}`);
  if (skipped.length) log(`skipped ${skipped.length} of ${layout.files.length} files`);
  const images = good.filter((g): g is SetImage => g !== null);
  const packed = packImageSet(images, layout.has, {}, where, skipped.length);
  const split = layout.has.test || layout.has.val;
  const sets = imageSetDatasets(packed, layout.classNames, (s) => where(split ? s : ''));
  return { train: sets.train!, test: sets.test, val: sets.val, source: where(''), files: layout.files.length, skipped: skipped.length };
}

/** A picture as a one-image dataset for an input of maps × height × width (`convnotes predict --image`'s rule). */
export async function pictureInput(blob: Blob, name: string, maps: number, height: number, width: number): Promise<Dataset> {
  const { rgba, width: w, height: h } = await decodePicture(new Uint8Array(await blob.arrayBuffer()), name);
  return pictureDataset(rgba, w, h, maps, height, width, name);
}
