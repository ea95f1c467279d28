// The safetensors format (Hugging Face), read strictly and written as the reference implementation does.
//
// Layout: an unsigned 64-bit little-endian N, then N bytes of UTF-8 JSON
//   {"__metadata__": {string: string}, name: {"dtype": …, "shape": […], "data_offsets": [begin, end]}, …}
// padded with spaces to a multiple of 8, then the data: each tensor's values little-endian, row-major,
// at [begin, end) counted from the start of the data. The tensors must tile the data exactly (no
// overlap, no hole, nothing after the last one): the rule that keeps a file from hiding a second
// payload, and the one that catches a header whose duplicate keys JSON.parse silently merged.
//
// Every number in the header is checked against the file's real length before anything is allocated
// from it, so a corrupt header cannot ask for gigabytes. Browser-safe: no node: imports.

import { ModelFileError } from './errors.js';

export type Dtype = 'F32' | 'F64' | 'U8' | 'I32' | 'U32';
export type TensorData = Float32Array | Float64Array | Uint8Array | Int32Array | Uint32Array;

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** The reference implementation's limit: a larger header is taken for a corrupt one. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

interface DtypeInfo {
  size: number;
  arrayName: string;
  holds: (a: TensorData) => boolean;
  view: (buffer: ArrayBuffer) => TensorData;
}

const DTYPES: Record<Dtype, DtypeInfo> = {
  F32: { size: 4, arrayName: 'Float32Array', holds: (a) => a instanceof Float32Array, view: (b) => new Float32Array(b) },
  F64: { size: 8, arrayName: 'Float64Array', holds: (a) => a instanceof Float64Array, view: (b) => new Float64Array(b) },
  U8: { size: 1, arrayName: 'Uint8Array', holds: (a) => a instanceof Uint8Array, view: (b) => new Uint8Array(b) },
  I32: { size: 4, arrayName: 'Int32Array', holds: (a) => a instanceof Int32Array, view: (b) => new Int32Array(b) },
  U32: { size: 4, arrayName: 'Uint32Array', holds: (a) => a instanceof Uint32Array, view: (b) => new Uint32Array(b) },
};
const DTYPE_NAMES = Object.keys(DTYPES) as Dtype[];

function isDtype(v: unknown): v is Dtype {
  return typeof v === 'string' && Object.hasOwn(DTYPES, v);
}

/** The file stores little-endian values; a big-endian host swaps them on the way in and out. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(bytes: Uint8Array, itemSize: number): void {
  if (HOST_IS_LITTLE_ENDIAN || itemSize === 1) return;
  for (let o = 0; o < bytes.length; o += itemSize) bytes.subarray(o, o + itemSize).reverse();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own property even for keys like "__proto__" that a plain assignment would not create. */
function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/** Product of a shape's dimensions, or null if some dimension is not a non-negative safe integer. */
function elementCount(shape: readonly unknown[]): number | null {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return null;
    n *= d;
  }
  return n;
}

/**
 * Serialises `tensors` (in their key order in the header) and `metadata`. In the data, tensors are
 * stably ordered by decreasing item size, as the reference implementation does: every tensor then
 * starts at a multiple of its own item size, and the header's padding makes the data start at a
 * multiple of 8 in the file, so each tensor can be viewed in place without holes between them
 * (which the format forbids). Tensors sharing one dtype keep exactly the given order.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string>): Uint8Array {
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) throw new RangeError(`tensor name "${METADATA_KEY}" is reserved for the metadata`);
    if (!isDtype(t.dtype)) throw new RangeError(`tensor "${name}": dtype ${show(t.dtype)} is not one of ${DTYPE_NAMES.join(', ')}`);
    if (!DTYPES[t.dtype].holds(t.data)) {
      throw new TypeError(`tensor "${name}": dtype ${t.dtype} needs a ${DTYPES[t.dtype].arrayName}, got ${t.data?.constructor?.name ?? typeof t.data}`);
    }
    const count = Array.isArray(t.shape) ? elementCount(t.shape) : null;
    if (count === null) throw new RangeError(`tensor "${name}": shape ${show(t.shape)} is not a list of non-negative integers`);
    if (count !== t.data.length) throw new RangeError(`tensor "${name}": shape [${t.shape.join(', ')}] holds ${count} values, the data has ${t.data.length}`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new TypeError(`metadata "${key}": expected a string, got ${typeof value}`);
  }

  const layout = entries
    .map(([name, t], order) => ({ name, t, order, size: DTYPES[t.dtype].size }))
    .sort((a, b) => b.size - a.size || a.order - b.order);
  const offsets = new Map<string, [number, number]>();
  let dataLength = 0;
  for (const { name, t } of layout) {
    offsets.set(name, [dataLength, dataLength + t.data.byteLength]);
    dataLength += t.data.byteLength;
  }

  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  for (const [name, t] of entries) setOwn(header, name, { dtype: t.dtype, shape: t.shape, data_offsets: offsets.get(name) });
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) throw new RangeError(`the header would be ${headerLength} bytes, more than the format's ${MAX_HEADER_BYTES}`);

  const out = new Uint8Array(8 + headerLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  const dataStart = 8 + headerLength;
  for (const { name, t, size } of layout) {
    const [begin, end] = offsets.get(name)!;
    const target = out.subarray(dataStart + begin, dataStart + end);
    target.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    swapBytes(target, size);
  }
  return out;
}

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses safetensors bytes; `file` only names the source in errors (every one a ModelFileError). */
export function decodeSafetensors(bytes: Uint8Array, file: string): Safetensors {
  const bad = (message: string) => new ModelFileError(file, message);
  if (bytes.length < 8) throw bad(`truncated: ${bytes.length} bytes, expected at least the 8-byte header length of a safetensors file`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n === 0n) throw bad('the header length is 0: expected a JSON header of at least "{}"');
  if (n > BigInt(MAX_HEADER_BYTES)) throw bad(`the header length ${n} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) {
    throw bad(`truncated: the header length says ${headerLength} bytes, but only ${bytes.length - 8} follow it`);
  }
  const headerBytes = bytes.subarray(8, 8 + headerLength);
  const header = parseHeader(headerBytes, bad);

  const data = bytes.subarray(8 + headerLength);
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isObject(info)) throw bad(`"${METADATA_KEY}" is not an object of strings, got ${show(info)}`);
      for (const [key, value] of Object.entries(info)) {
        if (typeof value !== 'string') throw bad(`"${METADATA_KEY}" field "${key}" is not a string, got ${show(value)}`);
        setOwn(metadata, key, value);
      }
      continue;
    }
    entries.push(parseEntry(name, info, data.length, bad));
  }

  // Sorted by position (an empty tensor before a non-empty one at the same offset), the tensors must
  // follow one another from 0 to the end of the data.
  const byPosition = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | null = null;
  for (const e of byPosition) {
    if (e.begin < covered) {
      throw bad(`tensor "${e.name}" (data bytes ${e.begin}–${e.end}) overlaps tensor "${previous!.name}" (bytes ${previous!.begin}–${previous!.end})`);
    }
    if (e.begin > covered) throw bad(`data bytes ${covered}–${e.begin} belong to no tensor: the format requires the tensors to cover the data exactly`);
    covered = e.end;
    previous = e;
  }
  if (covered < data.length) throw bad(`${data.length - covered} trailing bytes after the last tensor's data`);

  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const info = DTYPES[e.dtype];
    // A fresh buffer: aligned for the typed array, and independent of the caller's bytes.
    const buffer = new ArrayBuffer(e.end - e.begin);
    const copy = new Uint8Array(buffer);
    copy.set(data.subarray(e.begin, e.end));
    swapBytes(copy, info.size);
    setOwn(tensors, e.name, { dtype: e.dtype, shape: e.shape, data: info.view(buffer) });
  }
  return { tensors, metadata };
}

function parseHeader(headerBytes: Uint8Array, bad: (message: string) => ModelFileError): Record<string, unknown> {
  if (headerBytes[0] !== 0x7b) throw bad(`the header does not start with "{" (byte 0x${headerBytes[0].toString(16).padStart(2, '0')}): not a safetensors file?`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw bad(`the header is not a JSON object, got ${Array.isArray(header) ? 'an array' : show(header)}`);
  return header;
}

function parseEntry(name: string, info: unknown, dataLength: number, bad: (message: string) => ModelFileError): Entry {
  const where = `tensor "${name}"`;
  if (!isObject(info)) throw bad(`${where}: expected {"dtype", "shape", "data_offsets"}, got ${show(info)}`);
  for (const key of Object.keys(info)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') throw bad(`${where}: unknown field "${key}" (expected dtype, shape, data_offsets)`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  if (!isDtype(dtype)) {
    throw bad(`${where}: ${dtype === undefined ? 'no dtype' : `dtype ${show(dtype)} is not supported`} (expected one of ${DTYPE_NAMES.join(', ')})`);
  }
  const itemSize = DTYPES[dtype].size;
  if (!Array.isArray(shape)) throw bad(`${where}: shape ${show(shape)} is not a list of dimensions`);
  const count = elementCount(shape);
  if (count === null) throw bad(`${where}: shape ${show(shape)} has a dimension that is not a non-negative integer`);
  const byteLength = count * itemSize;
  if (!Number.isSafeInteger(byteLength)) throw bad(`${where}: shape ${show(shape)} has too many elements (overflow)`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw bad(`${where}: data_offsets ${show(offsets)} is not [begin, end] as two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw bad(`${where}: data_offsets [${begin}, ${end}] ends before it begins`);
  if (end > dataLength) throw bad(`${where}: data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data (truncated file?)`);
  if (end - begin !== byteLength) {
    throw bad(`${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} ${show(shape)} needs ${count}·${itemSize} = ${byteLength}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}
