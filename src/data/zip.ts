// Reading a zip archive's files (browser-safe: what the playground does with a dropped .zip of class
// folders; Node 20 has the same DecompressionStream). Only what zip tools write by default for such a
// set: the central directory at the end (read from there, not from the local headers, which a
// streamed zip leaves without sizes), each entry stored (method 0) or deflated (method 8, inflated by
// DecompressionStream('deflate-raw')), its length and CRC-32 checked. Names are UTF-8 (the flag
// most tools set; an archive without it and invalid as UTF-8 is read as Latin-1).
//
// Refused with a DataError naming the archive (and the entry): no end-of-central-directory record (not a
// zip, or cut short), zip64 (an archive over 4 GB or 65,535 entries), a split archive, an encrypted
// entry, a method other than stored or deflate (bzip2, LZMA, Zstandard, AES …), an entry whose bytes lie
// outside the file. An entry that does not inflate to its declared length and CRC is refused when it is
// read (entry.read()), so a reader can skip it as any bad file.

import { DataError } from './idx.js';

/** The most an entry may inflate to (2^30 bytes), and the most deflate can expand (1032:1). */
export const MAX_ENTRY_BYTES = 2 ** 30;

export interface ZipEntry {
  /** Its path in the archive, '/'-separated; a folder's ends with '/'. */
  name: string;
  folder: boolean;
  /** 0 stored, 8 deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** Its bytes, inflated and checked (DataError naming the archive and entry when they are not what the directory says). */
  read(): Promise<Uint8Array>;
}

const METHODS: Record<number, string> = {
  1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'LZMA', 19: 'LZ77', 93: 'Zstandard', 95: 'xz', 97: 'WavPack', 98: 'PPMd', 99: 'AES encryption',
};

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, zip's) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The entries of the zip archive `bytes` (named `file` in errors), in the central directory's order. */
export function readZip(bytes: Uint8Array, file: string): ZipEntry[] {
  const n = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, n);
  const fail = (why: string, entry?: string) => new DataError(entry === undefined ? file : `${file}: ${entry}`, why);
  // the end-of-central-directory record: 22 bytes and a comment of up to 65,535, at the very end
  let end = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 0xffff); p--) {
    if (view.getUint32(p, true) === 0x06054b50 && p + 22 + view.getUint16(p + 20, true) <= n) {
      end = p;
      break;
    }
  }
  if (end < 0) {
    const zipLike = n >= 4 && view.getUint32(0, true) === 0x04034b50;
    throw fail(zipLike ? `truncated zip (${n} bytes; no end-of-central-directory record)` : `not a zip archive (no end-of-central-directory record${n >= 4 ? `; starts with ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}` : ''})`);
  }
  const disk = view.getUint16(end + 4, true);
  const cdDisk = view.getUint16(end + 6, true);
  const count = view.getUint16(end + 10, true);
  const cdSize = view.getUint32(end + 12, true);
  const cdOffset = view.getUint32(end + 16, true);
  const zip64 = count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff || (end >= 20 && view.getUint32(end - 20, true) === 0x07064b50);
  if (zip64) throw fail('a zip64 archive (over 4 GB or 65,535 entries), which this reader does not read: zip fewer files, or drop the folder itself');
  if (disk !== 0 || cdDisk !== 0 || view.getUint16(end + 8, true) !== count) throw fail('a split (multi-part) archive, which this reader does not read: join it into one zip');
  if (cdOffset + cdSize > end) throw fail(`corrupt zip (the central directory at byte ${cdOffset}, ${cdSize} bytes, runs past its end record at byte ${end})`);
  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  for (let p = cdOffset, k = 0; k < count; k++) {
    if (p + 46 > cdOffset + cdSize || view.getUint32(p, true) !== 0x02014b50) throw fail(`corrupt zip (central directory entry ${k} at byte ${p} is not one)`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    if (p + 46 + nameLength > cdOffset + cdSize) throw fail(`corrupt zip (central directory entry ${k}'s name runs past the directory)`);
    const raw = bytes.subarray(p + 46, p + 46 + nameLength);
    let name: string;
    try {
      name = utf8.decode(raw);
    } catch {
      name = latin1.decode(raw);
    }
    name = name.replace(/\\/g, '/');
    if (compressedSize === 0xffffffff || size === 0xffffffff || local === 0xffffffff) throw fail('a zip64 entry (over 4 GB, or past 4 GB in the archive), which this reader does not read', name);
    if (flags & 1) throw fail('encrypted; this reader reads unencrypted zips only (zip the folder again without a password)', name);
    const folder = name.endsWith('/');
    if (!folder && method !== 0 && method !== 8) {
      throw fail(`compressed by method ${method}${METHODS[method] ? ` (${METHODS[method]})` : ''}; this reader reads stored (0) and deflate (8) entries only (zip it again with deflate, every zip tool's default)`, name);
    }
    if (local + 30 > n || view.getUint32(local, true) !== 0x04034b50) throw fail(`corrupt zip (no local header at byte ${local})`, name);
    const data = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (data + compressedSize > n) throw fail(`truncated zip (its data, ${compressedSize} bytes at byte ${data}, runs past the archive's ${n})`, name);
    if (size > MAX_ENTRY_BYTES) throw fail(`${size} bytes, more than the ${MAX_ENTRY_BYTES} an entry may have`, name);
    if (method === 0 ? size !== compressedSize : size > 1032 * compressedSize + 1032) {
      throw fail(`corrupt zip (${size} bytes cannot come from ${compressedSize} ${method === 0 ? 'stored' : 'deflated'} bytes)`, name);
    }
    const stored = bytes.subarray(data, data + compressedSize);
    entries.push({
      name, folder, method, compressedSize, size, crc,
      read: async () => {
        const out = method === 0 ? stored : await inflate(stored, size, (why) => fail(why, name));
        if (out.length !== size) throw fail(`corrupt zip entry (${out.length} bytes, the directory says ${size})`, name);
        if (crc32(out) !== crc) throw fail('corrupt zip entry (its CRC-32 does not match)', name);
        return out;
      },
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Raw deflate data inflated, reading no more than `size` + 1 bytes of output. */
async function inflate(data: Uint8Array, size: number, fail: (why: string) => DataError): Promise<Uint8Array> {
  const reader = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const out = new Uint8Array(size);
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (length + value.length > size) {
        void reader.cancel().catch(() => {});
        throw fail(`corrupt zip entry (it inflates to more than the ${size} bytes the directory says)`);
      }
      out.set(value, length);
      length += value.length;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw fail(`corrupt zip entry (its deflate data does not inflate: ${(e as Error).message})`);
  }
  return out.subarray(0, length);
}
