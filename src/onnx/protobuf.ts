// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), as much of it as the ONNX
// export needs: a writer and a reader for varints (wire type 0), 32-bit fixed values (5: float),
// 64-bit fixed values (1: read and skipped only) and length-delimited fields (2: strings, bytes, nested
// messages, packed repeated scalars). Messages are written in one growing buffer: a nested message is
// written in place, then shifted right by its length prefix's size once that length is known.

export const Wire = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;
export type Wire = (typeof Wire)[keyof typeof Wire];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a varint: 7 bits a byte, least significant first, the top bit set on all but the last. */
function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export class ProtoWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /**
   * A varint with protobuf's int64/int32/enum semantics: a non-negative integer in its shortest form,
   * a negative one as its 64-bit two's complement (always 10 bytes).
   */
  rawVarint(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf varint: ${value} is not a safe integer`);
      if (value >= 0) {
        this.reserve(10);
        while (value >= 0x80) {
          this.buf[this.pos++] = (value % 128) | 0x80;
          value = Math.floor(value / 128);
        }
        this.buf[this.pos++] = value;
        return;
      }
      value = BigInt(value);
    }
    if (value < -(1n << 63n) || value >= 1n << 64n) throw new RangeError(`protobuf varint: ${value} does not fit 64 bits`);
    let u = BigInt.asUintN(64, value);
    this.reserve(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  tag(field: number, wire: Wire): void {
    this.rawVarint(field * 8 + wire);
  }

  /** int32, int64, enum (wire type 0). */
  varint(field: number, value: number | bigint): void {
    this.tag(field, Wire.Varint);
    this.rawVarint(value);
  }

  /** float (wire type 5): IEEE 754 single precision, little-endian. */
  float(field: number, value: number): void {
    this.tag(field, Wire.Fixed32);
    this.reserve(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, Wire.LengthDelimited);
    this.rawVarint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  string(field: number, value: string): void {
    this.bytes(field, utf8Encoder.encode(value));
  }

  /** A nested message (wire type 2): `write` writes its fields. */
  message(field: number, write: (w: ProtoWriter) => void): void {
    this.tag(field, Wire.LengthDelimited);
    const start = this.pos;
    write(this);
    const length = this.pos - start;
    const prefix = varintSize(length);
    this.reserve(prefix);
    this.buf.copyWithin(start + prefix, start, this.pos);
    this.pos = start;
    this.rawVarint(length);
    this.pos = start + prefix + length;
  }

  /** A packed repeated float field: one length-delimited run of little-endian float32s. */
  packedFloats(field: number, values: ArrayLike<number>): void {
    this.tag(field, Wire.LengthDelimited);
    this.rawVarint(values.length * 4);
    this.reserve(values.length * 4);
    for (let i = 0; i < values.length; i++, this.pos += 4) this.view.setFloat32(this.pos, values[i], true);
  }

  /** A packed repeated int32/int64 field: one length-delimited run of varints. */
  packedVarints(field: number, values: ArrayLike<number | bigint>): void {
    this.message(field, (w) => {
      for (let i = 0; i < values.length; i++) w.rawVarint(values[i]);
    });
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** One field of a message as read: its number, wire type and value. */
export type ProtoField =
  | { field: number; wire: typeof Wire.Varint; value: bigint }
  | { field: number; wire: typeof Wire.Fixed64 | typeof Wire.LengthDelimited | typeof Wire.Fixed32; value: Uint8Array };

export class ProtoError extends Error {}

/** Reads a varint at `pos` as an unsigned 64-bit integer; returns it and the position after it. */
function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let value = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= bytes.length) throw new ProtoError('truncated varint');
    const b = bytes[pos++];
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [BigInt.asUintN(64, value), pos];
  }
  throw new ProtoError('varint longer than 10 bytes');
}

/** The fields of one message, in the order written; throws a ProtoError on malformed bytes. */
export function* readFields(bytes: Uint8Array): Generator<ProtoField> {
  let pos = 0;
  while (pos < bytes.length) {
    const [key, afterKey] = readVarint(bytes, pos);
    pos = afterKey;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtoError('field number 0');
    switch (wire) {
      case Wire.Varint: {
        const [value, next] = readVarint(bytes, pos);
        pos = next;
        yield { field, wire, value };
        break;
      }
      case Wire.Fixed64:
      case Wire.Fixed32: {
        const n = wire === Wire.Fixed64 ? 8 : 4;
        if (pos + n > bytes.length) throw new ProtoError(`field ${field}: truncated fixed${n * 8} value`);
        yield { field, wire, value: bytes.subarray(pos, pos + n) };
        pos += n;
        break;
      }
      case Wire.LengthDelimited: {
        const [length, next] = readVarint(bytes, pos);
        if (BigInt(next) + length > BigInt(bytes.length)) throw new ProtoError(`field ${field}: length ${length} runs past the end`);
        pos = next + Number(length);
        yield { field, wire, value: bytes.subarray(next, pos) };
        break;
      }
      default:
        throw new ProtoError(`field ${field}: unsupported wire type ${wire}`);
    }
  }
}

/** A varint field's value as a signed 64-bit integer, as a JS number (throws beyond ±2^53). */
export function int64(f: ProtoField): number {
  if (f.wire !== Wire.Varint) throw new ProtoError(`field ${f.field}: wire type ${f.wire}, expected a varint`);
  const v = BigInt.asIntN(64, f.value);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new ProtoError(`field ${f.field}: ${v} is beyond a double's integers`);
  return Number(v);
}

/** A length-delimited field's bytes. */
export function lengthDelimited(f: ProtoField): Uint8Array {
  if (f.wire !== Wire.LengthDelimited) throw new ProtoError(`field ${f.field}: wire type ${f.wire}, expected length-delimited`);
  return f.value;
}

export function utf8(f: ProtoField): string {
  try {
    return utf8Decoder.decode(lengthDelimited(f));
  } catch (e) {
    if (e instanceof ProtoError) throw e;
    throw new ProtoError(`field ${f.field}: not UTF-8`);
  }
}

/** A float field (wire type 5). */
export function float32(f: ProtoField): number {
  if (f.wire !== Wire.Fixed32) throw new ProtoError(`field ${f.field}: wire type ${f.wire}, expected fixed32`);
  return new DataView(f.value.buffer, f.value.byteOffset, 4).getFloat32(0, true);
}

/** Appends a repeated float field's values: packed (one run) or not (one fixed32 per value), as parsers must accept both. */
export function pushFloats(f: ProtoField, out: number[]): void {
  if (f.wire === Wire.Fixed32) {
    out.push(float32(f));
    return;
  }
  const b = lengthDelimited(f);
  if (b.length % 4) throw new ProtoError(`field ${f.field}: packed floats of ${b.length} bytes`);
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  for (let p = 0; p < b.length; p += 4) out.push(view.getFloat32(p, true));
}

/** Appends a repeated int64/int32 field's values: packed or not. */
export function pushInt64s(f: ProtoField, out: number[]): void {
  if (f.wire === Wire.Varint) {
    out.push(int64(f));
    return;
  }
  for (const v of readPackedVarints(lengthDelimited(f), f.field)) out.push(v);
}

function* readPackedVarints(b: Uint8Array, field: number): Generator<number> {
  let pos = 0;
  while (pos < b.length) {
    const [value, next] = readVarint(b, pos);
    pos = next;
    yield int64({ field, wire: Wire.Varint, value });
  }
}
