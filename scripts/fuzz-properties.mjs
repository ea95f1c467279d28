// The fuzz properties of the binary readers (issue 7: IDX and model files; issue 16: PNG/JPEG images and
// CIFAR-10 batches), shared by test/formats/fuzz.test.ts (a modest count against src/, in CI) and
// scripts/fuzz.mjs (`npm run fuzz`: a large count against the built dist/). The readers are passed in,
// so one file serves both.
//
// For every input, valid or mutated, the only allowed outcomes are a correct result or the reader's
// documented error (DataError for IDX, images and CIFAR-10; ModelFileError for model files, which also
// wraps the description's DescriptionError). Anything else is unexpected: another exception (TypeError,
// RangeError, a leaking SyntaxError, …), a case taking over LIMIT_MS, or an allocation driven by a
// header field of more than LIMIT_BYTES. Allocations are caught two ways: the typed-array, ArrayBuffer
// and Array constructors are wrapped while a reader runs (a request over the limit throws
// HugeAllocation before any memory is taken), and process.memoryUsage() is compared before and after.

import fc from 'fast-check';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';

export const LIMIT_MS = 1000;
export const LIMIT_BYTES = 64 * 2 ** 20;

// ---------------------------------------------------------------------------------------------------
// The allocation guard

export class HugeAllocation extends Error {
  constructor(what, bytes) {
    super(`${what} of ${bytes} bytes requested (limit ${LIMIT_BYTES})`);
    this.name = 'HugeAllocation';
  }
}

const GUARDED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Array',
].filter((n) => typeof globalThis[n] === 'function');
const ORIGINAL = Object.fromEntries(GUARDED.map((n) => [n, globalThis[n]]));

function requestedBytes(name, args) {
  const a = args[0];
  if (name === 'Array') return args.length === 1 && typeof a === 'number' ? a * 8 : 0;
  if (name.endsWith('Buffer')) return typeof a === 'number' ? a : 0;
  const size = ORIGINAL[name].BYTES_PER_ELEMENT;
  if (typeof a === 'number') return a * size;
  if (a !== null && typeof a === 'object' && !(a instanceof ORIGINAL.ArrayBuffer) && typeof a.length === 'number') return a.length * size;
  return 0;
}

const PROXIES = Object.fromEntries(GUARDED.map((name) => {
  const target = ORIGINAL[name];
  const check = (args) => {
    const bytes = requestedBytes(name, args);
    if (bytes > LIMIT_BYTES) throw new HugeAllocation(name, bytes);
  };
  const proxy = new Proxy(target, {
    construct(t, args, newTarget) {
      check(args);
      return Reflect.construct(t, args, newTarget === proxy ? t : newTarget);
    },
    apply(t, self, args) {
      check(args);
      return Reflect.apply(t, self, args);
    },
  });
  return [name, proxy];
}));

function withGuard(fn) {
  for (const n of GUARDED) globalThis[n] = PROXIES[n];
  try {
    return fn();
  } finally {
    for (const n of GUARDED) globalThis[n] = ORIGINAL[n];
  }
}

/**
 * Runs `read()` under the guard and classifies the outcome: 'ok' (and then `check(result)` must hold:
 * it returns null, or what is wrong), 'documented' (isDocumented(error)), or 'unexpected' with a reason.
 */
export function runCase(read, isDocumented, check) {
  const before = process.memoryUsage();
  const start = performance.now();
  let outcome;
  try {
    const result = withGuard(read);
    let wrong;
    try {
      wrong = check(result);
    } catch (e) {
      wrong = `checking it threw ${e?.name}: ${e?.message}`;
    }
    outcome = wrong === null ? { kind: 'ok' } : { kind: 'unexpected', reason: `wrong result: ${wrong}` };
  } catch (e) {
    outcome = isDocumented(e)
      ? { kind: 'documented' }
      : { kind: 'unexpected', reason: `${e?.name ?? typeof e}: ${e?.message ?? String(e)}` };
  }
  const ms = performance.now() - start;
  const after = process.memoryUsage();
  if (ms > LIMIT_MS) outcome = { kind: 'unexpected', reason: `took ${ms.toFixed(0)} ms (limit ${LIMIT_MS})` };
  const grew = Math.max(after.arrayBuffers - before.arrayBuffers, after.heapUsed - before.heapUsed);
  if (grew > LIMIT_BYTES) outcome = { kind: 'unexpected', reason: `memory grew by ${grew} bytes (limit ${LIMIT_BYTES})` };
  return outcome;
}

// ---------------------------------------------------------------------------------------------------
// Byte mutations

const EXTREME_U32 = [0, 1, 2, 0x7f, 0xff, 0x100, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const EXTREME_U64 = [
  0n, 1n, 2n, 7n, 8n, 0xffffffffn, 0x100000000n, 100_000_000n, 100_000_001n, 2n ** 53n + 1n,
  0x7fffffffffffffffn, 0xffffffffffffffffn,
];

const u32 = fc.oneof(fc.constantFrom(...EXTREME_U32), fc.integer({ min: 0, max: 0xffffffff }));
const u64 = fc.oneof(fc.constantFrom(...EXTREME_U64), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const someBytes = fc.uint8Array({ minLength: 1, maxLength: 16 });

/** Mutations every byte format gets: positions are taken modulo the current length. */
const byteMutation = fc.oneof(
  fc.record({ op: fc.constant('flip'), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate'), keep: fc.nat() }),
  fc.record({ op: fc.constant('insert'), at: fc.nat(), bytes: someBytes }),
  fc.record({ op: fc.constant('delete'), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('append'), bytes: someBytes }),
);

function applyByteMutation(b, m) {
  const n = b.length;
  switch (m.op) {
    case 'flip': case 'set': {
      if (n === 0) return b;
      const c = b.slice();
      const i = m.at % n;
      c[i] = m.op === 'flip' ? c[i] ^ (1 << m.bit) : m.value;
      return c;
    }
    case 'truncate': return b.slice(0, m.keep % (n + 1));
    case 'insert': {
      const i = m.at % (n + 1);
      return concat(b.subarray(0, i), m.bytes, b.subarray(i));
    }
    case 'delete': {
      const i = m.at % (n + 1);
      return concat(b.subarray(0, i), b.subarray(i + m.count));
    }
    case 'append': return concat(b, m.bytes);
    default: return b;
  }
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---------------------------------------------------------------------------------------------------
// IDX

/** An IDX file of unsigned bytes with these dimensions and values. */
export function encodeIdx(dims, data) {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x0800 + dims.length, false);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const idxFile = fc
  .array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 })
  .chain((dims) => fc.record({
    dims: fc.constant(dims),
    data: fc.uint8Array({ minLength: dims.reduce((a, b) => a * b, 1), maxLength: dims.reduce((a, b) => a * b, 1) }),
    declareDims: fc.boolean(),
  }));

const idxMutation = fc.oneof(
  { weight: 4, arbitrary: byteMutation },
  // a header field (magic or a dimension) replaced by an extreme value
  { weight: 2, arbitrary: fc.record({ op: fc.constant('field'), index: fc.integer({ min: 0, max: 5 }), value: u32 }) },
  // the magic's type byte or dimension count replaced
  { weight: 1, arbitrary: fc.record({ op: fc.constant('magic'), type: fc.constantFrom(0x08, 0x09, 0x0b, 0x0d, 0x00, 0xff), ndims: fc.integer({ min: 0, max: 255 }) }) },
);

function applyIdxMutation(b, m) {
  if (m.op === 'field' || m.op === 'magic') {
    const at = m.op === 'field' ? 4 * m.index : 0;
    if (at + 4 > b.length) return b;
    const c = b.slice();
    new DataView(c.buffer).setUint32(at, m.op === 'field' ? m.value : (m.type << 8) | m.ndims, false);
    return c;
  }
  return applyByteMutation(b, m);
}

function checkIdx(bytes, r, expected) {
  if (!Array.isArray(r.dims) || !(r.data instanceof Uint8Array)) return 'not {dims: number[], data: Uint8Array}';
  if (expected) {
    if (r.dims.length !== expected.dims.length || r.dims.some((d, i) => d !== expected.dims[i])) return `dims ${r.dims}, expected ${expected.dims}`;
    if (!equalBytes(r.data, expected.data)) return 'data differs from what was written';
    return null;
  }
  // a mutated file read without error must be a valid file: re-encoding gives its bytes back
  if (r.dims.reduce((a, b) => a * b, 1) !== r.data.length) return `dims ${r.dims} but ${r.data.length} values`;
  if (!equalBytes(encodeIdx(r.dims, r.data), bytes)) return 're-encoding the result does not give the input back';
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Model files

/** Small descriptions for the built package's fuzzing (the test uses test/helpers/random-networks.ts). */
export const SMALL_DESCRIPTIONS = [
  {
    name: 'tiny-all', input: [1, 10, 12], seed: 1,
    layers: [
      { type: 'conv', maps: 3, kernel: 3, activation: 'tanh' },
      { type: 'subsample', factor: 2, activation: 'sigmoid' },
      { type: 'full', units: 4, activation: 'sigmoid' },
    ],
    loss: 'mse',
  },
  {
    name: 'tiny-pairs', input: [3, 12, 10], seed: 2,
    layers: [
      { type: 'conv', maps: 4, kernel: 3, activation: 'relu', connections: 'pairs' },
      { type: 'subsample', factor: 2, down: 'decimate', beta: 'fixed', bias: false, activation: 'identity' },
      { type: 'full', units: 3, activation: 'identity' },
    ],
    loss: 'cross-entropy',
  },
  {
    name: 'tiny-explicit', input: [2, 12, 10], seed: 3,
    layers: [
      { type: 'conv', maps: 3, kernel: 3, activation: 'lecun', connections: [[1, 0, 1], [0, 1, 1]] },
      { type: 'subsample', factor: 2, activation: 'tanh' },
      { type: 'combination', maps: 3, kernel: 2, activation: 'sigmoid', kernels: 'pair', penalty: { type: 'l1', lambda: 0.05 } },
      { type: 'full', units: 4, activation: 'sigmoid' },
    ],
    loss: 'mse',
  },
  {
    name: 'tiny-shared', input: [1, 12, 12], seed: 4,
    layers: [
      { type: 'conv', maps: 4, kernel: 3, activation: 'sigmoid' },
      { type: 'subsample', factor: 2, activation: 'identity' },
      { type: 'combination', maps: 3, kernel: 2, activation: 'tanh', kernels: 'shared', penalty: { type: 'entropy', lambda: 0.05 } },
      { type: 'full', units: 3, activation: 'identity' },
    ],
    loss: 'cross-entropy',
  },
];

/** Deterministic pseudo-random fill (xorshift32), so a case is reproducible from its seed. */
function fill(a, seed) {
  let s = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < a.length; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    a[i] = ((s >>> 0) / 2 ** 32 - 0.5) * 4;
  }
  return a;
}

/** A random model file of network `k`: its params (and maybe a velocity) filled from `seed`. */
function makeModel(nets, k, seed, f32, withState, withTraining) {
  const net = nets[k % nets.length];
  const Type = f32 ? Float32Array : Float64Array;
  const params = fill(new Type(net.params.length), seed);
  const m = { description: net.description, params, views: net.views };
  if (withState) m.state = { velocity: fill(new Type(params.length), seed + 1) };
  if (withTraining) {
    m.recipe = { name: 'fuzz', training: { epochs: 2, batch: 5, rate: 0.5 } };
    m.training = { epoch: 1, seed, rng: [seed, 7, 9, 11] };
  }
  return m;
}

const modelSpec = fc.record({
  k: fc.nat(), seed: fc.integer(), f32: fc.boolean(), withState: fc.boolean(), withTraining: fc.boolean(),
});

const HEADER_NUMBERS = ['0', '1', '2', '-1', '4294967295', '4294967296', '2147483648', '100000000', '9007199254740993',
  '18446744073709551615', '1e308', '1.5', '99999999999999999999999'];
const TOKEN_SWAPS = [
  ['"F32"', '"F64"'], ['"F64"', '"F32"'], ['"F32"', '"U8"'], ['"F64"', '"I32"'], ['"shape"', '"dtype"'],
  ['"data_offsets"', '"shape"'], ['\\"conv\\"', '\\"full\\"'], ['\\"maps\\"', '\\"units\\"'], ['"format"', '"formats"'],
  ['"__metadata__"', '"__meta__"'], ['state.velocity', 'state.'], ['\\"all\\"', '\\"triplets\\"'], ['{', '['], ['}', ']'],
  [',', ',,'], ['\\"', '"'], [':', ':-'],
];

const modelMutation = fc.oneof(
  { weight: 4, arbitrary: byteMutation },
  // the header length field
  { weight: 2, arbitrary: fc.record({ op: fc.constant('length'), value: u64 }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('length-delta'), delta: fc.integer({ min: -16, max: 16 }) }) },
  // a byte of the JSON header
  { weight: 3, arbitrary: fc.record({ op: fc.constant('header-byte'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  // a number of the JSON header (shapes, offsets, and, inside the description, maps, kernels, …) made extreme
  { weight: 3, arbitrary: fc.record({ op: fc.constant('header-number'), which: fc.nat(), value: fc.constantFrom(...HEADER_NUMBERS) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('header-token'), which: fc.nat(), swap: fc.constantFrom(...TOKEN_SWAPS) }) },
);

function splitModel(b) {
  if (b.length < 8) return null;
  const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(b.length - 8)) return null;
  return { header: new TextDecoder().decode(b.subarray(8, 8 + Number(n))), data: b.subarray(8 + Number(n)) };
}

function joinModel(header, data) {
  const json = new TextEncoder().encode(header.trimEnd());
  const length = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + length);
  out.set(data, 8 + length);
  return out;
}

function applyModelMutation(b, m) {
  switch (m.op) {
    case 'length': case 'length-delta': {
      if (b.length < 8) return b;
      const c = b.slice();
      const v = new DataView(c.buffer);
      const value = m.op === 'length' ? m.value : BigInt.asUintN(64, v.getBigUint64(0, true) + BigInt(m.delta));
      v.setBigUint64(0, value, true);
      return c;
    }
    case 'header-byte': {
      const parts = splitModel(b);
      if (!parts) return b;
      const headerLength = b.length - 8 - parts.data.length;
      if (headerLength === 0) return b;
      const c = b.slice();
      c[8 + (m.at % headerLength)] = m.value;
      return c;
    }
    case 'header-number': case 'header-token': {
      const parts = splitModel(b);
      if (!parts) return b;
      const { header, data } = parts;
      if (m.op === 'header-number') {
        const runs = [...header.matchAll(/\d+/g)];
        if (runs.length === 0) return b;
        const r = runs[m.which % runs.length];
        return joinModel(header.slice(0, r.index) + m.value + header.slice(r.index + r[0].length), data);
      }
      const [from, to] = m.swap;
      const at = [];
      for (let i = header.indexOf(from); i >= 0 && at.length < 1000; i = header.indexOf(from, i + 1)) at.push(i);
      if (at.length === 0) return b;
      const i = at[m.which % at.length];
      return joinModel(header.slice(0, i) + to + header.slice(i + from.length), data);
    }
    default: return applyByteMutation(b, m);
  }
}

const bitsEqual = (a, b) =>
  a.constructor === b.constructor && equalBytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

function checkModel(r, lib, expected) {
  const views = lib.paramViews(r.description);
  const total = lib.paramCount(views);
  if (r.params.length !== total) return `${r.params.length} params, the description has ${total}`;
  for (const [key, s] of Object.entries(r.state)) if (s.length !== total) return `state "${key}" has ${s.length} values, expected ${total}`;
  if (expected) {
    if (!bitsEqual(r.params, expected.params)) return 'params differ from what was written';
    if (Object.keys(r.state).length !== Object.keys(expected.state ?? {}).length) return 'state keys differ';
    if (expected.state && !bitsEqual(r.state.velocity, expected.state.velocity)) return 'velocity differs';
    if (JSON.stringify(r.training) !== JSON.stringify(expected.training)) return 'training state differs';
    if (JSON.stringify(r.recipe) !== JSON.stringify(expected.recipe)) return 'recipe differs';
    if (r.description.name !== expected.description.name) return 'description differs';
  }
  // a result must encode again (it holds together), and read back the same
  const again = lib.decodeModel(lib.encodeModel({ ...r, views }), 'again');
  if (!bitsEqual(again.params, r.params)) return 're-encoding changes the params';
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Images (PNG, JPEG) and CIFAR-10 batches

/** An RGBA image of w×h pixels from `bytes` (cycled): colour type 0 gets grey pixels, 2 opaque ones. */
function rgbaOf(bytes, width, height, colorType) {
  const rgba = new Uint8Array(4 * width * height);
  for (let p = 0; p < width * height; p++) {
    const v = (k) => (bytes.length ? bytes[(4 * p + k) % bytes.length] : 0);
    rgba[4 * p] = v(0);
    rgba[4 * p + 1] = colorType === 0 ? v(0) : v(1);
    rgba[4 * p + 2] = colorType === 0 ? v(0) : v(2);
    rgba[4 * p + 3] = colorType === 6 ? v(3) : 255;
  }
  return rgba;
}

function encodePng(rgba, width, height, colorType) {
  const png = new PNG({ width, height });
  png.data.set(rgba);
  return new Uint8Array(PNG.sync.write(png, { colorType }));
}

const pngImage = fc.record({
  width: fc.integer({ min: 1, max: 12 }),
  height: fc.integer({ min: 1, max: 12 }),
  colorType: fc.constantFrom(0, 2, 6),
  pixels: fc.uint8Array({ minLength: 0, maxLength: 64 }),
});

let seedImages = null;
/** A few small PNGs and JPEGs (jpeg-js encodes slowly: made once, then mutated). */
function seeds() {
  if (seedImages) return seedImages;
  const ramp = Uint8Array.from({ length: 4 * 28 * 28 }, (_, i) => (i * 37) & 0xff);
  const shapes = [[8, 8, 0], [12, 7, 2], [5, 9, 6], [28, 28, 0]];
  const jpegs = [[8, 8, 50], [16, 12, 95], [28, 28, 90], [21, 5, 75]].map(([w, h, q]) => new Uint8Array(encodeJpeg({ data: rgbaOf(ramp, w, h, 2), width: w, height: h }, q).data));
  seedImages = { png: shapes.map(([w, h, t]) => encodePng(rgbaOf(ramp, w, h, t), w, h, t)), jpeg: jpegs };
  return seedImages;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const pngMutation = fc.oneof(
  { weight: 4, arbitrary: byteMutation },
  // IHDR's width or height made extreme, its CRC made right again (or not), so the decoder sees the lie
  { weight: 2, arbitrary: fc.record({ op: fc.constant('ihdr'), field: fc.integer({ min: 0, max: 1 }), value: u32, fixCrc: fc.boolean() }) },
  // a byte of a chunk's data changed and its CRC made right: the inflate and filter paths
  { weight: 2, arbitrary: fc.record({ op: fc.constant('chunk-byte'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
);

function applyPngMutation(b, m) {
  if (m.op === 'ihdr') {
    if (b.length < 33) return b;
    const c = b.slice();
    new DataView(c.buffer).setUint32(16 + 4 * m.field, m.value, false);
    if (m.fixCrc) new DataView(c.buffer).setUint32(29, crc32(c.subarray(12, 29)), false);
    return c;
  }
  if (m.op === 'chunk-byte') {
    // the chunks, walked as far as they hold together
    const chunks = [];
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    for (let pos = 8; pos + 12 <= b.length;) {
      const length = v.getUint32(pos, false);
      if (pos + 12 + length > b.length) break;
      if (length > 0) chunks.push([pos, length]);
      pos += 12 + length;
    }
    if (chunks.length === 0) return b;
    const [pos, length] = chunks[m.at % chunks.length];
    const c = b.slice();
    c[pos + 8 + (Math.floor(m.at / chunks.length) % length)] = m.value;
    new DataView(c.buffer).setUint32(pos + 8 + length, crc32(c.subarray(pos + 4, pos + 8 + length)), false);
    return c;
  }
  return applyByteMutation(b, m);
}

const jpegMutation = fc.oneof(
  { weight: 4, arbitrary: byteMutation },
  // the frame header's height or width
  { weight: 2, arbitrary: fc.record({ op: fc.constant('sof'), field: fc.integer({ min: 0, max: 1 }), value: fc.oneof(fc.constantFrom(0, 1, 0xff, 0x100, 0xffff), fc.integer({ min: 0, max: 0xffff })) }) },
  // a byte before the image data (tables, the frame and scan headers)
  { weight: 2, arbitrary: fc.record({ op: fc.constant('header-byte'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
);

function applyJpegMutation(b, m) {
  if (m.op === 'sof' || m.op === 'header-byte') {
    const sof = b.findIndex((x, i) => x === 0xff && b[i + 1] === 0xc0);
    const sos = b.findIndex((x, i) => x === 0xff && b[i + 1] === 0xda);
    if (sof < 0 || sos < 0 || sof + 9 > b.length) return b;
    const c = b.slice();
    if (m.op === 'sof') new DataView(c.buffer).setUint16(sof + 5 + 2 * m.field, m.value, false);
    else c[2 + (m.at % (sos - 2))] = m.value;
    return c;
  }
  return applyByteMutation(b, m);
}

/** A decoded image must be whole: width × height × 4 bytes. */
function checkImage(r, expected) {
  if (!(r.rgba instanceof Uint8Array) || !Number.isInteger(r.width) || !Number.isInteger(r.height) || r.width < 1 || r.height < 1) return 'not {rgba, width, height}';
  if (r.rgba.length !== 4 * r.width * r.height) return `${r.rgba.length} bytes for ${r.width}×${r.height} pixels`;
  if (expected) {
    if (r.width !== expected.width || r.height !== expected.height) return `${r.width}×${r.height}, expected ${expected.width}×${expected.height}`;
    if (!equalBytes(r.rgba, expected.rgba)) return 'pixels differ from what was written';
  }
  return null;
}

const cifarFile = fc.array(fc.record({ label: fc.integer({ min: 0, max: 9 }), seed: fc.integer() }), { minLength: 1, maxLength: 4 })
  .map((records) => {
    const b = new Uint8Array(records.length * 3073);
    records.forEach(({ label, seed }, i) => {
      b[i * 3073] = label;
      let s = seed | 1;
      for (let k = 1; k < 3073; k++) {
        s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
        b[i * 3073 + k] = s & 0xff;
      }
    });
    return b;
  });

function checkCifar(bytes, r) {
  if (r.channels !== 3 || r.rows !== 32 || r.cols !== 32) return `${r.channels} channels of ${r.rows}×${r.cols}`;
  if (r.count * 3073 !== bytes.length) return `${r.count} records from ${bytes.length} bytes`;
  for (let i = 0; i < r.count; i++) {
    if (r.labels[i] !== bytes[i * 3073] || r.labels[i] > 9) return `label ${i} is ${r.labels[i]}`;
    if (!equalBytes(r.images.subarray(i * 3072, (i + 1) * 3072), bytes.subarray(i * 3073 + 1, (i + 1) * 3073))) return `image ${i} differs`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// The properties

/**
 * lib: { parseIdx, DataError, decodeModel, decodeSafetensors, encodeModel, ModelFileError, paramViews,
 * paramCount, decodeImage, parseCifar10 }; nets: networks ({ description, params, views }) to make model files of.
 * Each property's predicate records its outcome in `stats` and returns false on an unexpected one.
 */
export function fuzzProperties(lib, nets) {
  const isData = (e) => e instanceof lib.DataError && e.name === 'DataError';
  const isModel = (e) => e instanceof lib.ModelFileError && e.name === 'ModelFileError';
  const make = (name, arbitrary, body) => {
    const stats = { name, inputs: 0, ok: 0, documented: 0, unexpected: 0, reasons: [] };
    const predicate = (input) => {
      const o = body(input);
      stats.inputs++;
      stats[o.kind]++;
      if (o.kind === 'unexpected' && stats.reasons.length < 5) stats.reasons.push(o.reason);
      return o.kind !== 'unexpected';
    };
    return { name, stats, arbitrary, predicate, body };
  };

  return [
    make('idx: valid files', idxFile, ({ dims, data, declareDims }) => {
      const bytes = encodeIdx(dims, data);
      const o = runCase(() => lib.parseIdx(bytes, 'fuzz.idx', declareDims ? dims.length : undefined), isData, (r) => checkIdx(bytes, r, { dims, data }));
      // a valid file must be read: a documented error is wrong too
      return o.kind === 'documented' ? { kind: 'unexpected', reason: 'DataError on a valid file' } : o;
    }),
    make('idx: mutated files', fc.tuple(idxFile, fc.array(idxMutation, { minLength: 1, maxLength: 4 })), ([{ dims, data, declareDims }, mutations]) => {
      const bytes = mutations.reduce(applyIdxMutation, encodeIdx(dims, data));
      return runCase(() => lib.parseIdx(bytes, 'fuzz.idx', declareDims ? dims.length : undefined), isData, (r) => checkIdx(bytes, r, null));
    }),
    make('model: valid files', modelSpec, ({ k, seed, f32, withState, withTraining }) => {
      const m = makeModel(nets, k, seed, f32, withState, withTraining);
      const bytes = lib.encodeModel(m);
      const o = runCase(() => lib.decodeModel(bytes, 'fuzz.safetensors'), isModel, (r) => checkModel(r, lib, m));
      return o.kind === 'documented' ? { kind: 'unexpected', reason: 'ModelFileError on a valid file' } : o;
    }),
    make('model: mutated files', fc.tuple(modelSpec, fc.array(modelMutation, { minLength: 1, maxLength: 3 })), ([{ k, seed, f32, withState, withTraining }, mutations]) => {
      const bytes = mutations.reduce(applyModelMutation, lib.encodeModel(makeModel(nets, k, seed, f32, withState, withTraining)));
      const raw = runCase(() => lib.decodeSafetensors(bytes, 'fuzz.safetensors'), isModel, () => null);
      if (raw.kind === 'unexpected') return { kind: 'unexpected', reason: `decodeSafetensors: ${raw.reason}` };
      return runCase(() => lib.decodeModel(bytes, 'fuzz.safetensors'), isModel, (r) => checkModel(r, lib, null));
    }),
    make('png: valid files', pngImage, ({ width, height, colorType, pixels }) => {
      const rgba = rgbaOf(pixels, width, height, colorType);
      const bytes = encodePng(rgba, width, height, colorType);
      const o = runCase(() => lib.decodeImage(bytes, 'fuzz.png'), isData, (r) => checkImage(r, { width, height, rgba }));
      return o.kind === 'documented' ? { kind: 'unexpected', reason: 'DataError on a valid file' } : o;
    }),
    make('png: mutated files', fc.tuple(fc.nat(), fc.array(pngMutation, { minLength: 1, maxLength: 4 })), ([k, mutations]) => {
      const png = seeds().png;
      const bytes = mutations.reduce(applyPngMutation, png[k % png.length]);
      return runCase(() => lib.decodeImage(bytes, 'fuzz.png'), isData, (r) => checkImage(r, null));
    }),
    make('jpeg: mutated files', fc.tuple(fc.nat(), fc.array(jpegMutation, { minLength: 1, maxLength: 4 })), ([k, mutations]) => {
      const jpeg = seeds().jpeg;
      const bytes = mutations.reduce(applyJpegMutation, jpeg[k % jpeg.length]);
      return runCase(() => lib.decodeImage(bytes, 'fuzz.jpg'), isData, (r) => checkImage(r, null));
    }),
    make('cifar: valid files', cifarFile, (bytes) => {
      const o = runCase(() => lib.parseCifar10(bytes, 'fuzz.bin'), isData, (r) => checkCifar(bytes, r));
      return o.kind === 'documented' ? { kind: 'unexpected', reason: 'DataError on a valid file' } : o;
    }),
    make('cifar: mutated files', fc.tuple(cifarFile, fc.array(byteMutation, { minLength: 1, maxLength: 3 })), ([file, mutations]) => {
      const bytes = mutations.reduce(applyByteMutation, file);
      return runCase(() => lib.parseCifar10(bytes, 'fuzz.bin'), isData, (r) => checkCifar(bytes, r));
    }),
  ];
}
