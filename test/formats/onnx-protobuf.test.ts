// The protobuf wire format written for ONNX export (src/onnx/protobuf.ts, src/onnx/onnx-schema.ts), checked
// against bytes computed by hand from https://protobuf.dev/programming-guides/encoding/ (a tag is
// field·8 + wire type; varints 7 bits a byte, least significant first; negative int64 as 10 bytes).
import { describe, expect, it } from 'vitest';
import { checkOnnxModel, exportOnnx } from '../../src/onnx/export.js';
import { decodeModel, encodeModel } from '../../src/onnx/onnx-schema.js';
import { ProtoError, ProtoWriter, pushFloats, pushInt64s, readFields, int64 } from '../../src/onnx/protobuf.js';
import { paramCount, paramViews } from '../../src/model/views.js';
import { builtinRecipe } from '../../src/recipes/recipe.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');
const written = (write: (w: ProtoWriter) => void) => {
  const w = new ProtoWriter();
  write(w);
  return hex(w.finish());
};

describe('protobuf writer', () => {
  it('varints at the 7-bit boundaries', () => {
    expect(written((w) => w.varint(1, 0))).toBe('08 00');
    expect(written((w) => w.varint(1, 1))).toBe('08 01');
    expect(written((w) => w.varint(1, 127))).toBe('08 7f');
    expect(written((w) => w.varint(1, 128))).toBe('08 80 01');
    expect(written((w) => w.varint(1, 150))).toBe('08 96 01'); // the encoding guide's example
    expect(written((w) => w.varint(1, 300))).toBe('08 ac 02');
    expect(written((w) => w.varint(1, 16383))).toBe('08 ff 7f');
    expect(written((w) => w.varint(1, 16384))).toBe('08 80 80 01');
    expect(written((w) => w.varint(1, 2 ** 32))).toBe('08 80 80 80 80 10');
    expect(written((w) => w.varint(1, Number.MAX_SAFE_INTEGER))).toBe('08 ff ff ff ff ff ff ff 0f');
    expect(written((w) => w.varint(1, (1n << 63n) - 1n))).toBe('08 ff ff ff ff ff ff ff ff 7f');
  });

  it('negative int64 as its 64-bit two\'s complement: always 10 bytes', () => {
    expect(written((w) => w.varint(1, -1))).toBe('08 ff ff ff ff ff ff ff ff ff 01');
    expect(written((w) => w.varint(1, -2))).toBe('08 fe ff ff ff ff ff ff ff ff 01');
    expect(written((w) => w.varint(1, -300))).toBe('08 d4 fd ff ff ff ff ff ff ff 01');
    expect(written((w) => w.varint(1, -(1n << 63n)))).toBe('08 80 80 80 80 80 80 80 80 80 01');
    expect(() => written((w) => w.varint(1, 0.5))).toThrow(RangeError);
    expect(() => written((w) => w.varint(1, 1n << 64n))).toThrow(RangeError);
  });

  it('tags of field numbers ≥ 16 take two bytes', () => {
    expect(written((w) => w.varint(15, 1))).toBe('78 01');
    expect(written((w) => w.varint(16, 1))).toBe('80 01 01');
    expect(written((w) => w.varint(20, 7))).toBe('a0 01 07'); // AttributeProto.type = INTS
  });

  it('strings as UTF-8, floats as little-endian float32', () => {
    expect(written((w) => w.string(2, 'testing'))).toBe('12 07 74 65 73 74 69 6e 67');
    expect(written((w) => w.string(1, ''))).toBe('0a 00');
    expect(written((w) => w.string(1, 'é€'))).toBe('0a 05 c3 a9 e2 82 ac');
    expect(written((w) => w.float(2, 1.5))).toBe('15 00 00 c0 3f');
    expect(written((w) => w.float(2, -2))).toBe('15 00 00 00 c0');
    expect(written((w) => w.float(2, 0.1))).toBe('15 cd cc cc 3d');
  });

  it('packed repeated floats and int64s: one length-delimited run', () => {
    expect(written((w) => w.packedFloats(4, [1, -2, 0.5]))).toBe('22 0c 00 00 80 3f 00 00 00 c0 00 00 00 3f');
    expect(written((w) => w.packedVarints(4, [3, 270, 86942]))).toBe('22 06 03 8e 02 9e a7 05'); // the guide's example
    expect(written((w) => w.packedVarints(1, [-1, 1]))).toBe('0a 0b ff ff ff ff ff ff ff ff ff 01 01');
  });

  it('nested messages, their length prefix written once the length is known', () => {
    expect(written((w) => w.message(3, (m) => m.varint(1, 150)))).toBe('1a 03 08 96 01'); // the guide's Test3
    expect(written((w) => w.message(1, () => {}))).toBe('0a 00');
    // a 203-byte child needs a 2-byte prefix: the child is shifted right by one byte after it is written
    const inner = new Uint8Array(200).fill(0xab);
    expect(written((w) => w.message(1, (m) => m.bytes(2, inner)))).toBe(`0a cb 01 12 c8 01 ${hex(inner)}`);
    // two levels, past the writer's first buffer, then a sibling after them
    const floats = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
    const w = new ProtoWriter();
    w.message(7, (g) => g.message(5, (t) => t.packedFloats(4, floats)));
    w.varint(8, 13);
    const bytes = w.finish();
    expect(hex(bytes.subarray(0, 9))).toBe('3a a6 1f 2a a3 1f 22 a0 1f'); // lengths 4006, 4003, 4000
    expect(hex(bytes.subarray(bytes.length - 2))).toBe('40 0d');
    const [graph, opset] = [...readFields(bytes)];
    expect(opset).toMatchObject({ field: 8, wire: 0, value: 13n });
    const [tensor] = [...readFields(graph.value as Uint8Array)];
    const [data] = [...readFields(tensor.value as Uint8Array)];
    const back: number[] = [];
    pushFloats(data, back);
    expect(back).toEqual(Array.from(floats));
  });
});

describe('protobuf reader', () => {
  it('reads what the writer wrote, negative int64s included, packed or not', () => {
    const w = new ProtoWriter();
    w.varint(1, -300);
    w.float(4, 0.5);
    w.float(4, -1); // unpacked repeated floats, which parsers must accept
    w.varint(7, 5);
    w.packedVarints(7, [6, -7]);
    const fields = [...readFields(w.finish())];
    expect(int64(fields[0])).toBe(-300);
    const floats: number[] = [];
    const ints: number[] = [];
    for (const f of fields) {
      if (f.field === 4) pushFloats(f, floats);
      if (f.field === 7) pushInt64s(f, ints);
    }
    expect(floats).toEqual([0.5, -1]);
    expect(ints).toEqual([5, 6, -7]);
  });

  it('malformed bytes are errors, not silently short messages', () => {
    expect(() => [...readFields(Uint8Array.of(0x08))]).toThrow(ProtoError); // a tag without its value
    expect(() => [...readFields(Uint8Array.of(0x0a, 0x05, 0x61))]).toThrow(/runs past the end/);
    expect(() => [...readFields(Uint8Array.of(0x0b))]).toThrow(/wire type 3/); // groups are not ONNX
    expect(() => [...readFields(Uint8Array.of(0x08, ...new Array(10).fill(0xff), 0x01))]).toThrow(/longer than 10 bytes/);
    expect(() => decodeModel(Uint8Array.of(0x0a, 0x01, 0x00))).toThrow(/expected a varint/); // ir_version as a string
  });
});

describe('ONNX messages', () => {
  it('a ModelProto by hand', () => {
    const bytes = encodeModel({
      irVersion: 8,
      producerName: 'c',
      graph: {
        node: [{ input: ['x'], output: ['y'], opType: 'Relu', attribute: [{ name: 'a', type: 7, ints: [1, 2] }] }],
        initializer: [{ dims: [2], dataType: 1, floatData: [1, -2], name: 'w' }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 3 }] } } } }],
      },
      opsetImport: [{ domain: '', version: 13 }],
    });
    const attribute = '0a 01 61 42 02 01 02 a0 01 07'; // name, ints [packed], type
    const node = `0a 01 78 12 01 79 22 04 52 65 6c 75 2a 0a ${attribute}`; // input, output, op_type, attribute
    const tensor = '0a 01 02 10 01 22 08 00 00 80 3f 00 00 00 c0 42 01 77'; // dims, data_type, float_data, name
    const dims = '0a 03 12 01 6e 0a 02 08 03'; // dim { dim_param "n" }, dim { dim_value 3 }
    const value = `0a 01 78 12 0f 0a 0d 08 01 12 09 ${dims}`; // name, type { tensor_type { elem_type, shape } }
    const graph = `0a 18 ${node} 2a 12 ${tensor} 5a 14 ${value}`;
    expect(hex(bytes)).toBe(`08 08 12 01 63 3a 44 ${graph} 42 04 0a 00 10 0d`);
    expect(decodeModel(bytes)).toMatchObject({
      irVersion: 8, producerName: 'c', opsetImport: [{ domain: '', version: 13 }],
      graph: { node: [{ opType: 'Relu', attribute: [{ name: 'a', type: 7, ints: [1, 2] }] }], initializer: [{ dims: [2], floatData: [1, -2] }] },
    });
  });

  it('every built-in recipe\'s export decodes and re-encodes to the same bytes', () => {
    for (const name of ['dlt', 'lenet5', 'simard']) {
      const d = builtinRecipe(name).network;
      const params = Float64Array.from({ length: paramCount(paramViews(d)) }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
      const bytes = exportOnnx(d, params);
      const m = decodeModel(bytes);
      expect(encodeModel(m)).toEqual(bytes);
      expect(m.graph!.initializer!.every((t) => (t.floatData ?? t.int64Data ?? []).length === (t.dims ?? []).reduce((n, k) => n * k, 1))).toBe(true);
    }
  });

  it('the checker fails on what is not a ModelProto, on a lost graph and on data that does not fit its dims', () => {
    const d = builtinRecipe('dlt').network;
    const bytes = exportOnnx(d, new Float64Array(paramCount(paramViews(d))).fill(0.01));
    expect(checkOnnxModel(bytes)).toEqual([]);
    expect(checkOnnxModel(bytes.subarray(0, bytes.length - 3))[0]).toMatch(/^not an ONNX ModelProto \(.*runs past the end\)/);
    expect(checkOnnxModel(new Uint8Array(0))).toEqual(['no graph']);
    const m = decodeModel(bytes);
    m.graph!.initializer![0].floatData = Array.from(m.graph!.initializer![0].floatData!).slice(1);
    m.graph!.valueInfo!.shift();
    const problems = checkOnnxModel(encodeModel(m)).join('\n');
    expect(problems).toMatch(/initializer C1\.W: \d+ values for dims/);
    expect(problems).toMatch(/intermediate .* has no declared shape/);
  });
});
