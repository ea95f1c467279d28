// IDX files (LeCun's MNIST format, also Fashion-MNIST, KMNIST, …), gzipped or not.
//
// Layout: a big-endian int32 magic 0x000008TD (T = 08: unsigned bytes; D = number of dimensions), then
// one big-endian int32 per dimension, then the data, row-major. Only unsigned-byte files are read
// (every image and label set of this family is). Everything a header claims is checked against the
// file's real length before anything is allocated, so a corrupt header cannot ask for gigabytes.
// Browser-safe: reading files (and un-gzipping them) is src/data/files.ts's job.

import * as check from '../util/validate.js';

/** A file that is not what it should be; the message names the file and the problem. */
export class DataError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'DataError';
  }
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses IDX bytes (already un-gzipped); `file` only names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string, expectedDims?: number): IdxArray {
  if (!(bytes instanceof Uint8Array)) check.fail('bytes', 'a Uint8Array (the file\'s contents)', bytes);
  if (typeof file !== 'string') check.fail('file', 'a string (the file\'s name, for messages)', file);
  if (bytes.length < 4) throw new DataError(file, `truncated: ${bytes.length} bytes, expected at least a 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = (magic >>> 8) & 0xff;
  const ndims = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== 0x08) {
    throw new DataError(file, `bad magic number 0x${magic.toString(16).padStart(8, '0')}: expected 0x000008XX (an IDX file of unsigned bytes)`);
  }
  if (ndims === 0) throw new DataError(file, 'bad magic number: the file declares 0 dimensions');
  if (expectedDims !== undefined && ndims !== expectedDims) {
    throw new DataError(file, `expected ${expectedDims} dimensions (magic 0x0000080${expectedDims}), the header declares ${ndims}`);
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) throw new DataError(file, `truncated header: ${bytes.length} bytes, expected ${header} for ${ndims} dimensions`);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    if (n === 0) throw new DataError(file, `dimension ${d} is 0`);
    dims.push(n);
    count *= n;
  }
  const expected = header + count;
  if (bytes.length !== expected) {
    throw new DataError(
      file,
      bytes.length < expected
        ? `truncated: ${bytes.length} bytes, the header (${dims.join('×')}) needs ${expected}`
        : `${bytes.length - expected} bytes of trailing data after the ${dims.join('×')} values the header declares`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}
