// The model file (src/model/): safetensors read and written exactly as the format's specification says
// (checked against bytes written by hand, not only against our own writer), convnotes' model files
// round-tripped bit for bit for every built-in and random test network, every kind of corruption
// refused with a ModelFileError that names the file and the problem, and saveModel's atomicity.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDescription, type NetworkDescription } from '../../src/network/description.js';
import { ModelFileError } from '../../src/model/errors.js';
import { decodeModel, encodeModel, MODEL_FORMAT, MODEL_VERSION, type ModelFile, type ParamArray } from '../../src/model/model-file.js';
import { loadModel, saveModel } from '../../src/model/model-io.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '../../src/model/safetensors.js';
import { paramViews } from '../../src/model/views.js';
import { Network } from '../../src/network/network.js';
import { builtinNetwork, builtinNetworks } from '../../src/recipes/builtin.js';
import { Rng } from '../../src/util/rng.js';
import { lenetTableNetwork, randomInputs, randomNetwork } from '../helpers/random-networks.js';

const FILE = 'models/net.safetensors';

// ---------------------------------------------------------------------------------------------------
// helpers

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function expectSameBytes(a: ArrayBufferView, b: ArrayBufferView): void {
  expect(a.constructor).toBe(b.constructor);
  expect(Buffer.compare(bytesOf(a), bytesOf(b))).toBe(0);
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** f throws a ModelFileError for FILE whose message matches every pattern. */
function expectModelError(f: () => unknown, ...patterns: RegExp[]): void {
  const e = thrown(f);
  expect(e, 'expected a ModelFileError').toBeInstanceOf(ModelFileError);
  const err = e as ModelFileError;
  expect(err.file).toBe(FILE);
  expect(err.message.startsWith(`${FILE}: `)).toBe(true);
  for (const p of patterns) expect(err.message).toMatch(p);
}

/** Little-endian bytes, written out by hand: [8-byte header length][header padded with spaces][data]. */
function safetensorsBytes(header: string, data: number[], pad = true): Uint8Array {
  const json = new TextEncoder().encode(header);
  const n = pad ? Math.ceil(json.length / 8) * 8 : json.length;
  const out = new Uint8Array(8 + n + data.length);
  out[0] = n & 0xff;
  out[1] = (n >> 8) & 0xff;
  out[2] = (n >> 16) & 0xff;
  out[3] = (n >>> 24) & 0xff;
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  out.set(data, 8 + n);
  return out;
}

type Header = Record<string, Record<string, unknown>>;

function splitFile(bytes: Uint8Array): { header: Header; data: Uint8Array } {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Header;
  return { header, data: bytes.subarray(8 + n) };
}

/** The same file with its header JSON edited by hand (the data untouched unless `data` is given). */
function editHeader(bytes: Uint8Array, edit: (h: Header) => void, data?: Uint8Array): Uint8Array {
  const parts = splitFile(bytes);
  edit(parts.header);
  return safetensorsBytes(JSON.stringify(parts.header), [...(data ?? parts.data)]);
}

/** A model file re-encoded after editing its tensors and metadata (a consistent safetensors file). */
function editModel(bytes: Uint8Array, edit: (tensors: Record<string, Tensor>, metadata: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes, FILE);
  edit(tensors, metadata);
  return encodeSafetensors(tensors, metadata);
}

function editDescription(bytes: Uint8Array, edit: (d: Record<string, unknown>) => void): Uint8Array {
  return editModel(bytes, (_, metadata) => {
    const d = JSON.parse(metadata.description) as Record<string, unknown>;
    edit(d);
    metadata.description = JSON.stringify(d);
  });
}

function randomArray<T extends ParamArray>(make: (n: number) => T, n: number, seed: number): T {
  const rng = new Rng(seed);
  const a = make(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function modelOf(net: Network, params: ParamArray = net.params): ModelFile {
  const make = (n: number): ParamArray => (params instanceof Float32Array ? new Float32Array(n) : new Float64Array(n));
  return {
    description: net.description,
    params,
    views: net.views,
    recipe: { optimiser: 'sgd', rate: 0.5, batch: 50, schedule: [1, 0.5, 0.25] },
    training: { epoch: 3, step: 1234, rng: [1, 2, 3, 4294967295], lastLoss: 0.125 },
    state: { velocity: randomArray(make, params.length, 1), curvature: randomArray(make, params.length, 2) },
  };
}

const bouvrieNet = new Network(builtinNetwork('bouvrie'));
const GOOD = encodeModel(modelOf(bouvrieNet));

// ---------------------------------------------------------------------------------------------------

describe('paramViews: the layout a description implies, without building a network', () => {
  const descriptions: [string, NetworkDescription][] = [
    ...Object.entries(builtinNetworks),
    ...Array.from({ length: 25 }, (_, n): [string, NetworkDescription] => [`random${n}`, randomNetwork(n)]),
    ['lenet5-c3 table', lenetTableNetwork()],
  ];
  it.each(descriptions)('%s: equal to Network.views', (_, d) => {
    expect(paramViews(resolveDescription(d))).toEqual(new Network(d).views);
  });
});

describe('safetensors against the specification', () => {
  // Hand-made: offsets chosen by hand, values written as their IEEE/two's-complement bytes. The F64 and
  // U32 tensors sit at odd offsets (legal: the format only forbids holes), so the reader must copy.
  const header =
    '{"__metadata__":{"who":"hand","empty":""},' +
    '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
    '"n":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},' +
    '"b":{"dtype":"U8","shape":[3],"data_offsets":[28,31]},' +
    '"d":{"dtype":"F64","shape":[1],"data_offsets":[31,39]},' +
    '"u":{"dtype":"U32","shape":[1],"data_offsets":[39,43]},' +
    '"z":{"dtype":"F32","shape":[0,3],"data_offsets":[43,43]},' +
    '"s":{"dtype":"F32","shape":[],"data_offsets":[43,47]}}';
  const data = [
    0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x50, 0x40, // 1, -2, 0.5, 3.25 (f32)
    0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00, 0x00, // 1, -1, 258 (i32)
    0x07, 0x08, 0xff, // 7, 8, 255 (u8)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, // 1.0 (f64)
    0xef, 0xbe, 0xad, 0xde, // 0xdeadbeef (u32)
    0x00, 0x00, 0xc0, 0x3f, // 1.5 (f32 scalar)
  ];

  it('decodes a file written by hand', () => {
    const { tensors, metadata } = decodeSafetensors(safetensorsBytes(header, data), FILE);
    expect(metadata).toEqual({ who: 'hand', empty: '' });
    expect(Object.keys(tensors)).toEqual(['w', 'n', 'b', 'd', 'u', 'z', 's']);
    expect(tensors.w).toEqual({ dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 0.5, 3.25]) });
    expect(tensors.n).toEqual({ dtype: 'I32', shape: [3], data: new Int32Array([1, -1, 258]) });
    expect(tensors.b).toEqual({ dtype: 'U8', shape: [3], data: new Uint8Array([7, 8, 255]) });
    expect(tensors.d).toEqual({ dtype: 'F64', shape: [1], data: new Float64Array([1]) });
    expect(tensors.u).toEqual({ dtype: 'U32', shape: [1], data: new Uint32Array([0xdeadbeef]) });
    expect(tensors.z).toEqual({ dtype: 'F32', shape: [0, 3], data: new Float32Array(0) });
    expect(tensors.s).toEqual({ dtype: 'F32', shape: [], data: new Float32Array([1.5]) });
    for (const t of Object.values(tensors)) expect(t.data.byteOffset).toBe(0); // fresh, aligned arrays
  });

  it('reads bytes that are a view at an odd offset of a larger buffer (a Node Buffer, say)', () => {
    const file = safetensorsBytes(header, data);
    const outer = new Uint8Array(file.length + 5);
    outer.set(file, 3);
    const { tensors } = decodeSafetensors(outer.subarray(3, 3 + file.length), FILE);
    expect(tensors.d.data).toEqual(new Float64Array([1]));
    expect(tensors.w.data).toEqual(new Float32Array([1, -2, 0.5, 3.25]));
  });

  it("decodes the reference implementation's own example (header of 60 bytes, not padded)", () => {
    const example = safetensorsBytes('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', new Array<number>(16).fill(0), false);
    expect(example[0]).toBe(60);
    expect(decodeSafetensors(example, FILE).tensors.test).toEqual({ dtype: 'I32', shape: [2, 2], data: new Int32Array(4) });
  });

  it('encodes byte for byte what is written by hand (compact JSON, metadata first, padded to 8)', () => {
    const hand =
      '{"__metadata__":{"who":"hand"},' +
      '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"n":{"dtype":"I32","shape":[3],"data_offsets":[16,28]}}';
    const encoded = encodeSafetensors(
      { w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 0.5, 3.25]) }, n: { dtype: 'I32', shape: [3], data: new Int32Array([1, -1, 258]) } },
      { who: 'hand' },
    );
    expectSameBytes(encoded, safetensorsBytes(hand, data.slice(0, 28)));
    expect((encoded.length - 28 - 8) % 8).toBe(0);
  });

  it('lays mixed dtypes out by decreasing item size (every tensor aligned, no holes), header in the given order', () => {
    const encoded = encodeSafetensors(
      {
        b: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        f: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        d: { dtype: 'F64', shape: [1], data: new Float64Array([2]) },
      },
      {},
    );
    const { header } = splitFile(encoded);
    expect(Object.keys(header)).toEqual(['b', 'f', 'd']);
    expect(header.d.data_offsets).toEqual([0, 8]);
    expect(header.f.data_offsets).toEqual([8, 12]);
    expect(header.b.data_offsets).toEqual([12, 15]);
    const back = decodeSafetensors(encoded, FILE).tensors;
    expect(back.b.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(back.d.data).toEqual(new Float64Array([2]));
  });

  it('round-trips every dtype, a tensor named "__proto__", and subarrays of larger buffers', () => {
    const big = new Float64Array([9, 8, 7, 6, 5]);
    const tensors: Record<string, Tensor> = {
      f64: { dtype: 'F64', shape: [3], data: big.subarray(1, 4) },
      f32: { dtype: 'F32', shape: [1, 2], data: new Float32Array([-0, NaN]) },
      u8: { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) },
      i32: { dtype: 'I32', shape: [1], data: new Int32Array([-2147483648]) },
      u32: { dtype: 'U32', shape: [1], data: new Uint32Array([4294967295]) },
    };
    Object.defineProperty(tensors, '__proto__', { value: { dtype: 'U8', shape: [1], data: new Uint8Array([42]) }, enumerable: true });
    const back = decodeSafetensors(encodeSafetensors(tensors, { k: 'v' }), FILE);
    expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      expect(back.tensors[name].shape).toEqual(t.shape);
      expectSameBytes(back.tensors[name].data, t.data);
    }
    expect(Object.getPrototypeOf(back.tensors)).toBe(Object.prototype);
  });

  it('refuses to encode inconsistent tensors', () => {
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }, {})).toThrow(/holds 3 values, the data has 2/);
    expect(() => encodeSafetensors({ a: { dtype: 'F64', shape: [2], data: new Float32Array(2) } }, {})).toThrow(/needs a Float64Array, got Float32Array/);
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }, {})).toThrow(/non-negative integers/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [0], data: new Uint8Array(0) } }, {})).toThrow(/reserved/);
  });
});

describe('model files round-trip bit for bit', () => {
  const networks: [string, NetworkDescription][] = [
    ...Object.entries(builtinNetworks),
    ...Array.from({ length: 25 }, (_, n): [string, NetworkDescription] => [`random${n}`, randomNetwork(n)]),
    ['lenet5-c3 table', lenetTableNetwork()],
  ];
  for (const [name, d] of networks) {
    for (const dtype of ['F64', 'F32'] as const) {
      it(`${name}, ${dtype}: params, state, description, recipe, training; a network from the file computes the same outputs`, () => {
        const net = new Network(d);
        // Perturbed away from the initialisation, so that the check is not passed by re-initialising.
        net.params.set(randomArray((n) => new Float64Array(n), net.params.length, 3));
        const params = dtype === 'F32' ? Float32Array.from(net.params) : net.params;
        const m = modelOf(net, params);
        const bytes = encodeModel(m);
        const loaded = decodeModel(bytes, FILE);

        expect(loaded.dtype).toBe(dtype);
        expectSameBytes(loaded.params, params);
        expect(Object.keys(loaded.state)).toEqual(['velocity', 'curvature']);
        for (const key of Object.keys(m.state!)) expectSameBytes(loaded.state[key], m.state![key]);
        expect(loaded.description).toEqual(net.description);
        expect(loaded.recipe).toEqual(m.recipe);
        expect(loaded.training).toEqual(m.training);
        expectSameBytes(encodeModel({ ...loaded, views: paramViews(loaded.description) }), bytes); // re-encoding changes nothing

        const tensors = decodeSafetensors(bytes, FILE).tensors;
        for (const v of net.views) {
          expect(tensors[v.name].shape).toEqual(v.shape);
          expectSameBytes(tensors[v.name].data, params.subarray(v.offset, v.offset + v.length));
        }

        const reference = new Network(d);
        reference.params.set(params);
        const fromFile = new Network(loaded.description, { seed: 99 });
        fromFile.params.set(loaded.params);
        const batch = 3;
        const x = randomInputs(5, batch * reference.inputSize);
        const expected = Float64Array.from(reference.forward(x, batch));
        expectSameBytes(fromFile.forward(x, batch), expected);
      });
    }
  }

  it('keeps non-finite values, -0 and subnormals exactly (values are not judged)', () => {
    const params = Float64Array.from(bouvrieNet.params);
    params.set([NaN, -0, Infinity, -Infinity, 5e-324, -Number.MAX_VALUE]);
    const loaded = decodeModel(encodeModel({ description: bouvrieNet.description, params, views: bouvrieNet.views }), FILE);
    expectSameBytes(loaded.params, params);
    expect(loaded.state).toEqual({});
    expect('recipe' in loaded).toBe(false);
    expect('training' in loaded).toBe(false);
  });

  it('stores one tensor per view, named as the view, and the metadata keys of docs/MODEL-FORMAT.md', () => {
    const { tensors, metadata } = decodeSafetensors(GOOD, FILE);
    expect(Object.keys(tensors)).toEqual([
      'C1.kernel', 'C1.convBias', 'S2.beta', 'S2.subsampleBias', 'C3.kernel', 'C3.convBias', 'S4.beta', 'S4.subsampleBias',
      'F5.weights', 'F5.bias', 'state.velocity', 'state.curvature',
    ]);
    expect(tensors['C1.kernel'].shape).toEqual([6, 5, 5]);
    expect(tensors['C3.kernel'].shape).toEqual([72, 5, 5]);
    expect(tensors['F5.weights'].shape).toEqual([10, 192]);
    expect(tensors['state.velocity'].shape).toEqual([bouvrieNet.params.length]);
    expect(Object.keys(metadata)).toEqual(['format', 'version', 'description', 'recipe', 'training']);
    expect(metadata.format).toBe(MODEL_FORMAT);
    expect(metadata.version).toBe(String(MODEL_VERSION));
    expect(JSON.parse(metadata.description)).not.toHaveProperty('shapes');
  });

  it('accepts a description as written (unresolved) and resolves it', () => {
    const d = builtinNetwork('dlt');
    const net = new Network(d);
    const loaded = decodeModel(encodeModel({ description: d, params: net.params, views: net.views }), FILE);
    expect(loaded.description).toEqual(resolveDescription(d));
  });
});

describe('encodeModel refuses a model that does not hold together', () => {
  const net = bouvrieNet;
  const base: ModelFile = { description: net.description, params: net.params, views: net.views };
  it.each<[string, Partial<ModelFile>, RegExp]>([
    ['params of the wrong length', { params: new Float64Array(10) }, /has \d+ parameters, got an array of 10/],
    ['params of the wrong type', { params: new Int32Array(net.params.length) as unknown as Float64Array }, /Float32Array or Float64Array, got Int32Array/],
    ['views of another network', { views: new Network(builtinNetwork('dlt')).views }, /parameter views, got/],
    ['views shifted', { views: net.views.map((v) => ({ ...v, offset: v.offset + 1 })) }, /views\[0\]: "C1.kernel" \[6, 5, 5\] at offset 1/],
    ['state of the wrong length', { state: { velocity: new Float64Array(3) } }, /state "velocity": expected \d+ values/],
    ['state of another dtype', { state: { velocity: new Float32Array(net.params.length) } }, /one dtype for all/],
    ['a recipe with NaN', { recipe: { rate: NaN } }, /recipe field "rate": NaN has no JSON form/],
    ['training state with a typed array', { training: { rng: new Uint32Array(4) } }, /training field "rng": a Uint32Array .* Array.from/],
  ])('%s', (_, change, pattern) => {
    expect(() => encodeModel({ ...base, ...change })).toThrow(pattern);
  });
});

describe('corrupt files: a ModelFileError naming the file and the problem', () => {
  const { header: goodHeader, data: goodData } = splitFile(GOOD);
  const first = 'C1.kernel';
  const [firstBegin, firstEnd] = goodHeader[first].data_offsets as [number, number];

  it.each<[string, () => Uint8Array, RegExp[]]>([
    ['an empty file', () => new Uint8Array(0), [/truncated: 0 bytes/]],
    ['a file of 5 bytes', () => GOOD.slice(0, 5), [/truncated: 5 bytes/]],
    ['a file cut inside the header', () => GOOD.slice(0, 100), [/truncated: the header length says \d+ bytes, but only 92 follow/]],
    ['a file cut inside the data', () => GOOD.slice(0, GOOD.length - 100), [/tensor "state\.curvature": data_offsets .* run past the end/, /truncated/]],
    ['a file cut one byte short', () => GOOD.slice(0, GOOD.length - 1), [/run past the end/]],
    ['header length 0', () => { const b = GOOD.slice(); b.fill(0, 0, 8); return b; }, [/header length is 0/]],
    ['header length beyond 100 MB', () => { const b = GOOD.slice(); new DataView(b.buffer).setUint32(0, 100_000_001, true); return b; }, [/100000001 exceeds the format's limit of 100000000/]],
    ['header length with the top bit set', () => { const b = GOOD.slice(); b[7] = 0x80; return b; }, [/header length 92233720368547\d+ exceeds/]],
    ['header length beyond the file', () => { const b = GOOD.slice(); new DataView(b.buffer).setUint32(0, GOOD.length, true); return b; }, [/truncated: the header length says/]],
    ['a header that is not JSON', () => safetensorsBytes('{"C1.kernel": {"dtype": "F64",', [...goodData]), [/header is not valid JSON/]],
    ['a header that is a JSON array', () => safetensorsBytes('[1, 2]', []), [/does not start with "\{"/]],
    ['a header that is not UTF-8', () => { const b = GOOD.slice(); b[8 + 2] = 0xff; return b; }, [/not valid UTF-8/]],
    ['a dtype this reader does not know', () => editHeader(GOOD, (h) => { h[first].dtype = 'F16'; }), [/tensor "C1\.kernel": dtype "F16" is not supported/]],
    ['a lower-case dtype', () => editHeader(GOOD, (h) => { h[first].dtype = 'f64'; }), [/dtype "f64" is not supported/]],
    ['a tensor without dtype', () => editHeader(GOOD, (h) => { delete h[first].dtype; }), [/tensor "C1\.kernel": no dtype/]],
    ['a negative dimension', () => editHeader(GOOD, (h) => { h[first].shape = [-6, 5, 5]; }), [/shape \[-6,5,5\] has a dimension that is not a non-negative integer/]],
    ['a fractional dimension', () => editHeader(GOOD, (h) => { h[first].shape = [6, 2.5, 10]; }), [/not a non-negative integer/]],
    ['a shape that is not a list', () => editHeader(GOOD, (h) => { h[first].shape = '6x5x5'; }), [/shape "6x5x5" is not a list/]],
    ['a shape whose product overflows', () => editHeader(GOOD, (h) => { h[first].shape = [2 ** 40, 2 ** 40]; }), [/too many elements \(overflow\)/]],
    ['a shape that disagrees with the offsets', () => editHeader(GOOD, (h) => { h[first].shape = [6, 5, 4]; }), [/tensor "C1\.kernel": data_offsets \[0, 1200\] hold 1200 bytes, but F64 \[6,5,4\] needs 120·8 = 960/]],
    ['offsets that are not a pair', () => editHeader(GOOD, (h) => { h[first].data_offsets = [0]; }), [/data_offsets \[0\] is not \[begin, end\]/]],
    ['offsets that are strings', () => editHeader(GOOD, (h) => { h[first].data_offsets = ['0', '1200']; }), [/is not \[begin, end\] as two non-negative integers/]],
    ['offsets backwards', () => editHeader(GOOD, (h) => { h[first].data_offsets = [firstEnd, firstBegin]; }), [/ends before it begins/]],
    ['an unknown field in a tensor', () => editHeader(GOOD, (h) => { h[first].offsets = [0, 1]; }), [/unknown field "offsets"/]],
    ['overlapping tensors', () => editHeader(GOOD, (h) => { h['C1.convBias'].data_offsets = [firstEnd - 8, firstEnd + 40]; }), [/tensor "C1\.convBias" \(data bytes 1192–1240\) overlaps tensor "C1\.kernel"/]],
    ['a hole in the data', () => editHeader(GOOD, (h) => { delete h['S2.beta']; }), [/data bytes \d+–\d+ belong to no tensor/]],
    ['the same tensor name twice (JSON keeps the last)', () => {
      const { data } = splitFile(GOOD);
      return safetensorsBytes('{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', [...data.subarray(0, 4)]);
    }, [/data bytes 0–2 belong to no tensor/]],
    ['trailing bytes', () => { const b = new Uint8Array(GOOD.length + 4); b.set(GOOD); return b; }, [/4 trailing bytes after the last tensor's data/]],
    ['__metadata__ with a number', () => editHeader(GOOD, (h) => { h.__metadata__.version = 1; }), [/"__metadata__" field "version" is not a string, got 1/]],
    ['__metadata__ that is a list', () => editHeader(GOOD, (h) => { (h as Record<string, unknown>).__metadata__ = ['a']; }), [/"__metadata__" is not an object of strings/]],
    ['a tensor entry that is not an object', () => editHeader(GOOD, (h) => { (h as Record<string, unknown>)[first] = 3; }), [/tensor "C1\.kernel": expected \{"dtype", "shape", "data_offsets"\}, got 3/]],
  ])('safetensors: %s', (_, make, patterns) => {
    const bytes = make();
    expectModelError(() => decodeModel(bytes, FILE), ...patterns);
  });

  it.each<[string, () => Uint8Array, RegExp[]]>([
    ['a safetensors file without convnotes metadata', () => editModel(GOOD, (_, m) => { for (const k of Object.keys(m)) delete m[k]; }), [/not a convnotes model: the safetensors metadata has no "format" field/]],
    ['another format', () => editModel(GOOD, (_, m) => { m.format = 'pt'; }), [/metadata "format" is "pt", expected "convnotes-model"/]],
    ['an unknown version', () => editModel(GOOD, (_, m) => { m.version = '7'; }), [/: format version 7 is not supported \(this convnotes reads version 1\)$/]],
    ['a version that is not an integer', () => editModel(GOOD, (_, m) => { m.version = '1.0'; }), [/metadata "version" is "1\.0", expected an integer/]],
    ['no version', () => editModel(GOOD, (_, m) => { delete m.version; }), [/no "version" field/]],
    ['no description', () => editModel(GOOD, (_, m) => { delete m.description; }), [/no "description" field/]],
    ['a description that is not JSON', () => editModel(GOOD, (_, m) => { m.description = '{"input": [1, 28'; }), [/metadata "description" is not valid JSON/]],
    ['an invalid description field', () => editDescription(GOOD, (d) => { (d.layers as Record<string, unknown>[])[1].factor = 5; }),
      [/metadata "description", field layers\[1\]\.factor: expected a factor that divides the 24×24 input maps, got 5/]],
    ['an unknown description field', () => editDescription(GOOD, (d) => { d.optimiser = 'adam'; }), [/metadata "description", field optimiser: unknown field/]],
    ['a description far larger than the file', () => editDescription(GOOD, (d) => { (d.layers as Record<string, unknown>[])[2].maps = 1e9; }),
      [/field layers\[2\]\.maps: 1000000000 output maps needs at least 1000000000 parameters, but the file stores \d+ values/]],
    ['a description with an input too wide for its "all" table', () => editDescription(GOOD, (d) => { d.input = [100000, 28, 28]; }),
      [/field layers\[0\]: 100000 × 6 input-output pairs needs at least 600000 parameters/]],
    ['a recipe that is not JSON', () => editModel(GOOD, (_, m) => { m.recipe = 'rate=0.5'; }), [/metadata "recipe" is not valid JSON/]],
    ['a missing tensor', () => editModel(GOOD, (t) => { delete t['C3.kernel']; }), [/no tensor "C3\.kernel": layer C3 of the description needs its kernel \[72, 5, 5\]/]],
    ['an extra tensor', () => editModel(GOOD, (t) => { t.extra = { dtype: 'F64', shape: [1], data: new Float64Array(1) }; }), [/unknown tensor "extra"/]],
    ['a state tensor without a key', () => editModel(GOOD, (t) => { t['state.'] = { dtype: 'F64', shape: [1], data: new Float64Array(1) }; }), [/unknown tensor "state\."/]],
    ['a view with the wrong shape', () => editModel(GOOD, (t) => { t['C1.kernel'].shape = [6, 25]; }), [/tensor "C1\.kernel" has shape \[6, 25\], the description needs \[6, 5, 5\]/]],
    ['a view of the wrong size', () => editModel(GOOD, (t) => { t['F5.bias'] = { dtype: 'F64', shape: [11], data: new Float64Array(11) }; }), [/tensor "F5\.bias" has shape \[11\], the description needs \[10\]/]],
    ['an integer parameter tensor', () => editModel(GOOD, (t) => { t['S2.beta'] = { dtype: 'I32', shape: [6], data: new Int32Array(6) }; }), [/tensor "S2\.beta" is I32, expected F32 or F64/]],
    ['parameters of mixed dtypes', () => editModel(GOOD, (t) => { t['S2.beta'] = { dtype: 'F32', shape: [6], data: new Float32Array(6) }; }),
      [/tensor "S2\.beta" is F32 but "C1\.kernel" is F64: every parameter and state tensor must share one dtype/]],
    ['state of the wrong length', () => editModel(GOOD, (t) => { t['state.velocity'] = { dtype: 'F64', shape: [5], data: new Float64Array(5) }; }),
      [/tensor "state\.velocity" has shape \[5\], expected \[\d+\] \(one value per parameter\)/]],
  ])('model: %s', (_, make, patterns) => {
    const bytes = make();
    expectModelError(() => decodeModel(bytes, FILE), ...patterns);
  });
});

describe('saveModel and loadModel', () => {
  const model = modelOf(bouvrieNet);
  const made: string[] = [];
  const fresh = () => {
    const dir = mkdtempSync(join(tmpdir(), 'convnotes-model-'));
    made.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the file and nothing else; loadModel reads it back', () => {
    const dir = fresh();
    const file = join(dir, 'net.safetensors');
    saveModel(file, model);
    expect(readdirSync(dir)).toEqual(['net.safetensors']);
    expectSameBytes(new Uint8Array(readFileSync(file)), GOOD);
    const loaded = loadModel(file);
    expectSameBytes(loaded.params, bouvrieNet.params);
    expect(loaded.training).toEqual(model.training);
  });

  it('replaces an existing file', () => {
    const dir = fresh();
    const file = join(dir, 'net.safetensors');
    writeFileSync(file, 'an older model');
    saveModel(file, model);
    expect(readdirSync(dir)).toEqual(['net.safetensors']);
    expectSameBytes(new Uint8Array(readFileSync(file)), GOOD);
  });

  it('a temporary file left by a crashed run of the same pid is replaced, not kept', () => {
    const dir = fresh();
    const file = join(dir, 'net.safetensors');
    writeFileSync(`${file}.tmp-${process.pid}`, 'half a model');
    saveModel(file, model);
    expect(readdirSync(dir)).toEqual(['net.safetensors']);
    expectSameBytes(new Uint8Array(readFileSync(file)), GOOD);
  });

  it('a write that fails throws a ModelFileError and leaves nothing (a directory that does not exist)', () => {
    const dir = fresh();
    const file = join(dir, 'missing', 'net.safetensors');
    const e = thrown(() => saveModel(file, model));
    expect(e).toBeInstanceOf(ModelFileError);
    expect((e as ModelFileError).file).toBe(file);
    expect((e as ModelFileError).message).toMatch(/cannot write the model \(no such file or directory\)/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a write over a directory fails, removes its temporary file, and leaves the directory alone', () => {
    const dir = fresh();
    const target = join(dir, 'net.safetensors');
    mkdirSync(target);
    expect(() => saveModel(target, model)).toThrow(ModelFileError);
    expect(readdirSync(dir)).toEqual(['net.safetensors']);
    expect(readdirSync(target)).toEqual([]);
  });

  it('an invalid model is refused before anything is written; an existing file stays as it was', () => {
    const dir = fresh();
    const file = join(dir, 'net.safetensors');
    writeFileSync(file, 'keep me');
    expect(() => saveModel(file, { ...model, params: new Float64Array(3) })).toThrow(RangeError);
    expect(readdirSync(dir)).toEqual(['net.safetensors']);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('loadModel: a missing file, a directory, a corrupt file', () => {
    const dir = fresh();
    const missing = join(dir, 'nope.safetensors');
    expect(() => loadModel(missing)).toThrow(new ModelFileError(missing, 'no such file'));
    expect(() => loadModel(dir)).toThrow(new ModelFileError(dir, 'is a directory, expected a model file'));
    const corrupt = join(dir, 'corrupt.safetensors');
    writeFileSync(corrupt, GOOD.subarray(0, 1000));
    expect(() => loadModel(corrupt)).toThrow(/corrupt\.safetensors: truncated/);
    expect(existsSync(corrupt)).toBe(true);
  });
});
