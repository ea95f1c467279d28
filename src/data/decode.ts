// Decoding a PNG or JPEG file's bytes into pixels (Node: pngjs and jpeg-js; what the image-folder
// reader, src/data/image-folder.ts, and `predict --image` use).
//
// Before a decoder runs, the file's structure is walked by src/data/image-header.ts (browser-safe: the
// playground walks it too): the format is chosen by the first bytes, never by the file's name; a
// truncated file is called truncated, and no header can make the reader allocate more than its bytes
// could hold. Anything else, a truncated or corrupt file: a DataError naming the file and the problem.
//
// How pixels become a dataset's 1 or 3 channels (alpha dropped, grey when R = G = B, ITU-R 601 luma
// when 1 channel is asked of colour) is src/data/image-set.ts's rgbaIsGrey and rgbaToPlanes,
// re-exported here where they were first written.

import { decode as decodeJpegData } from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from './idx.js';
import { imageHeader, MAX_PIXELS } from './image-header.js';

export { MAX_PIXELS } from './image-header.js';
export { rgbaIsGrey, rgbaToPlanes } from './image-set.js';

export interface DecodedImage {
  /** width × height × 4 bytes, R G B A, row-major. */
  rgba: Uint8Array;
  width: number;
  height: number;
}

/** A PNG or JPEG file's pixels as 8-bit RGBA; `file` names it in errors (DataError). */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const { format } = imageHeader(bytes, file);
  if (format === 'png') {
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      return { rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length), width: png.width, height: png.height };
    } catch (e) {
      throw new DataError(file, `cannot decode PNG (${(e as Error).message})`);
    }
  }
  try {
    const image = decodeJpegData(bytes, {
      useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024,
    });
    return { rgba: image.data, width: image.width, height: image.height };
  } catch (e) {
    throw new DataError(file, `cannot decode JPEG (${(e as Error).message})`);
  }
}
