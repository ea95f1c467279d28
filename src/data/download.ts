// The four IDX files of MNIST or Fashion-MNIST from public mirrors, each checked
// against a known MD5 before it is put in place (written under a temporary name, then renamed), and
// skipped when a valid copy is already there.
//
// MNIST: the MD5s are those of the UNCOMPRESSED files (the .gz bytes differ between mirrors that
// recompressed them). Fashion-MNIST: the MD5s of the .gz files as zalandoresearch/fashion-mnist
// publishes them (the same values torchvision and others check).
//
// Mirrors can be replaced (tests, offline copies): the `mirrors` option, or CONVNOTES_MIRROR, a
// comma-separated list of base URLs (http:, https: or file:).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.js';
import { cacheDir } from './files.js';

/** A download that failed: the dataset, folder or file, and every URL tried with its error. */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DatasetSource {
  mirrors: string[];
  /** File name → expected MD5 (hex), of the uncompressed bytes or of the .gz, as `hashOf` says. */
  md5: Record<string, string>;
  hashOf: 'uncompressed' | 'gz';
}

export const DATASETS: Record<string, DatasetSource> = {
  mnist: {
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
    md5: {
      'train-images-idx3-ubyte.gz': '6bbc9ace898e44ae57da46a324031adb',
      'train-labels-idx1-ubyte.gz': 'a25bea736e30d166cdddb491f175f624',
      't10k-images-idx3-ubyte.gz': '2646ac647ad5339dbf082846283269ea',
      't10k-labels-idx1-ubyte.gz': '27ae3e4e09519cfbb04c329615203637',
    },
    hashOf: 'uncompressed',
  },
  'fashion-mnist': {
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
    md5: {
      'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
      't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
      't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
    },
    hashOf: 'gz',
  },
};

export type Fetch = (url: string) => Promise<{ ok: boolean; status: number; statusText?: string; arrayBuffer(): Promise<ArrayBuffer> }>;

export interface DownloadOptions {
  name: string;
  dir?: string;
  /** Base URLs tried in order (default: CONVNOTES_MIRROR, else the dataset's public mirrors). */
  mirrors?: string[];
  fetch?: Fetch;
  /** The mirrors and checksums to use instead of the built-in table's (tests, private copies). */
  source?: DatasetSource;
  /** Progress lines. */
  log?: (line: string) => void;
}

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** Why `bytes` are not the expected file, or null when they are. */
function invalid(bytes: Uint8Array, expected: string, source: DatasetSource): string | null {
  let hashed = bytes;
  if (source.hashOf === 'uncompressed') {
    try {
      hashed = gunzipSync(bytes);
    } catch (e) {
      return `not valid gzip data (${(e as Error).message})`;
    }
  }
  const got = md5(hashed);
  return got === expected ? null : `MD5${source.hashOf === 'uncompressed' ? ' of the uncompressed data' : ''} is ${got}, expected ${expected}`;
}

/** fetch, plus file: URLs (which Node's fetch does not read). */
async function fetchBytes(url: string, fetcher: Fetch): Promise<Uint8Array> {
  if (url.startsWith('file:')) return readFileSync(fileURLToPath(url));
  const r = await fetcher(url);
  if (!r.ok) throw new Error(`HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}`);
  return new Uint8Array(await r.arrayBuffer());
}

function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string }; code?: string };
  return err.cause?.code ?? err.cause?.message ?? err.code ?? err.message;
}

/** Creates `dir` and its missing parents; returns the folders it created, deepest last. */
function makeFolders(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  mkdirSync(dir, { recursive: true });
  return missing;
}

/**
 * Downloads what is missing; returns the folder. Throws DownloadError naming the file and every URL tried
 * with its error. A download that fails leaves nothing behind: the files it fetched and the folders it
 * created are removed again, so a failed attempt never looks like a dataset.
 */
export async function downloadDataset(o: DownloadOptions): Promise<{ dir: string; fetched: string[]; kept: string[] }> {
  if (!o.source && !Object.hasOwn(DATASETS, o.name)) throw new DownloadError(`download ${o.name}: unknown dataset, expected one of ${Object.keys(DATASETS).join(', ')}`);
  const source = o.source ?? DATASETS[o.name];
  const envMirrors = process.env.CONVNOTES_MIRROR?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const mirrors = (o.mirrors ?? (envMirrors?.length ? envMirrors : source.mirrors)).map((m) => (m.endsWith('/') ? m : `${m}/`));
  const fetcher: Fetch = o.fetch ?? ((url) => fetch(url));
  const log = o.log ?? (() => {});
  const dir = o.dir ?? cacheDir(o.name);
  let created: string[];
  try {
    created = makeFolders(dir);
  } catch (e) {
    throw new DownloadError(`${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!statSync(dir).isDirectory()) throw new DownloadError(`${dir}: is not a folder`);
  const fetched: string[] = [];
  const kept: string[] = [];
  const undo = (): void => {
    for (const f of fetched) unlinkSync(join(dir, f));
    for (const d of created.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // not empty: something else was put there meanwhile; leave it
      }
    }
  };
  try {
    for (const [file, expected] of Object.entries(source.md5)) {
      const target = join(dir, file);
      if (existsSync(target)) {
        const why = invalid(readFileSync(target), expected, source);
        if (why === null) {
          log(`${file}: present and valid, kept`);
          kept.push(file);
          continue;
        }
        log(`${file}: present but ${why}; fetching it again`);
      }
      const tried: string[] = [];
      let bytes: Uint8Array | null = null;
      for (const base of mirrors) {
        const url = base + file;
        let got: Uint8Array;
        try {
          got = await fetchBytes(url, fetcher);
        } catch (e) {
          tried.push(`${url} (${reason(e)})`);
          continue;
        }
        const why = invalid(got, expected, source);
        if (why !== null) {
          tried.push(`${url} (${why})`);
          continue;
        }
        bytes = got;
        log(`${file}: ${got.length} bytes from ${url}, MD5 verified`);
        break;
      }
      if (bytes === null) throw new DownloadError(`${target}: could not download a valid ${file}; tried ${tried.join(', ')}`);
      try {
        writeFileAtomic(target, bytes);
      } catch (e) {
        throw new DownloadError(`${target}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      fetched.push(file);
    }
  } catch (e) {
    undo();
    throw e;
  }
  return { dir, fetched, kept };
}
