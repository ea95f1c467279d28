// The part of ONNX's schema the export writes and `checkOnnxModel` reads, with field numbers taken from
// the official onnx.proto (github.com/onnx/onnx, onnx/onnx.proto; proto2, package onnx):
//
//   ModelProto          ir_version = 1 (int64), producer_name = 2, producer_version = 3, domain = 4,
//                       model_version = 5 (int64), doc_string = 6, graph = 7, opset_import = 8,
//                       metadata_props = 14
//   StringStringEntryProto  key = 1, value = 2
//   OperatorSetIdProto  domain = 1, version = 2 (int64)
//   GraphProto          node = 1, name = 2, initializer = 5, doc_string = 10, input = 11, output = 12,
//                       value_info = 13
//   NodeProto           input = 1, output = 2, name = 3, op_type = 4, attribute = 5, doc_string = 6, domain = 7
//   AttributeProto      name = 1, f = 2 (float), i = 3 (int64), floats = 7, ints = 8, doc_string = 13,
//                       type = 20 (AttributeType)
//   TensorProto         dims = 1 (int64), data_type = 2 (int32), float_data = 4 [packed],
//                       int64_data = 7 [packed], name = 8, doc_string = 12
//   ValueInfoProto      name = 1, type = 2, doc_string = 3
//   TypeProto           tensor_type = 1;  TypeProto.Tensor: elem_type = 1 (int32), shape = 2
//   TensorShapeProto    dim = 1;  TensorShapeProto.Dimension: dim_value = 1 (int64), dim_param = 2
//
// Fields are written in field-number order, each scalar when set (proto2 presence) and each repeated
// field when non-empty; repeated numbers are packed (what proto3 and protobufjs write; parsers accept
// both forms, and `decodeModel` does). Fields outside this subset are skipped when reading.

import { float32, int64, lengthDelimited, ProtoWriter, pushFloats, pushInt64s, readFields, utf8, type ProtoField } from './protobuf.js';

/** onnx.proto's Version.IR_VERSION as of ONNX 1.10 (IR version 8). */
export const IR_VERSION = 8;
/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
/** AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, FLOATS: 6, INTS: 7 } as const;

export interface OperatorSetIdProto { domain?: string; version?: number }
export interface Dimension { dimValue?: number; dimParam?: string }
export interface TypeProto { tensorType?: { elemType?: number; shape?: { dim?: Dimension[] } } }
export interface ValueInfoProto { name?: string; type?: TypeProto; docString?: string }
export interface AttributeProto { name?: string; f?: number; i?: number; floats?: ArrayLike<number>; ints?: number[]; docString?: string; type?: number }
export interface TensorProto { dims?: number[]; dataType?: number; floatData?: ArrayLike<number>; int64Data?: number[]; name?: string; docString?: string }
export interface NodeProto { input?: string[]; output?: string[]; name?: string; opType?: string; attribute?: AttributeProto[]; docString?: string; domain?: string }
export interface GraphProto {
  node?: NodeProto[]; name?: string; initializer?: TensorProto[]; docString?: string;
  input?: ValueInfoProto[]; output?: ValueInfoProto[]; valueInfo?: ValueInfoProto[];
}
export interface StringStringEntryProto { key?: string; value?: string }
export interface ModelProto {
  irVersion?: number; producerName?: string; producerVersion?: string; domain?: string; modelVersion?: number;
  docString?: string; graph?: GraphProto; opsetImport?: OperatorSetIdProto[]; metadataProps?: StringStringEntryProto[];
}

// ---- writing

function str(w: ProtoWriter, field: number, v: string | undefined): void {
  if (v !== undefined) w.string(field, v);
}
function int(w: ProtoWriter, field: number, v: number | undefined): void {
  if (v !== undefined) w.varint(field, v);
}
function each<T>(w: ProtoWriter, field: number, items: T[] | undefined, write: (w: ProtoWriter, item: T) => void): void {
  for (const item of items ?? []) w.message(field, (m) => write(m, item));
}

function writeDimension(w: ProtoWriter, d: Dimension): void {
  int(w, 1, d.dimValue);
  str(w, 2, d.dimParam);
}

function writeTypeProto(w: ProtoWriter, t: TypeProto): void {
  const tensor = t.tensorType;
  if (tensor) {
    w.message(1, (m) => {
      int(m, 1, tensor.elemType);
      if (tensor.shape) m.message(2, (s) => each(s, 1, tensor.shape!.dim, writeDimension));
    });
  }
}

function writeValueInfo(w: ProtoWriter, v: ValueInfoProto): void {
  str(w, 1, v.name);
  if (v.type) w.message(2, (m) => writeTypeProto(m, v.type!));
  str(w, 3, v.docString);
}

function writeAttribute(w: ProtoWriter, a: AttributeProto): void {
  str(w, 1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  int(w, 3, a.i);
  if (a.floats?.length) w.packedFloats(7, a.floats);
  if (a.ints?.length) w.packedVarints(8, a.ints);
  str(w, 13, a.docString);
  int(w, 20, a.type);
}

function writeTensor(w: ProtoWriter, t: TensorProto): void {
  if (t.dims?.length) w.packedVarints(1, t.dims);
  int(w, 2, t.dataType);
  if (t.floatData?.length) w.packedFloats(4, t.floatData);
  if (t.int64Data?.length) w.packedVarints(7, t.int64Data);
  str(w, 8, t.name);
  str(w, 12, t.docString);
}

function writeNode(w: ProtoWriter, n: NodeProto): void {
  for (const s of n.input ?? []) w.string(1, s);
  for (const s of n.output ?? []) w.string(2, s);
  str(w, 3, n.name);
  str(w, 4, n.opType);
  each(w, 5, n.attribute, writeAttribute);
  str(w, 6, n.docString);
  str(w, 7, n.domain);
}

function writeGraph(w: ProtoWriter, g: GraphProto): void {
  each(w, 1, g.node, writeNode);
  str(w, 2, g.name);
  each(w, 5, g.initializer, writeTensor);
  str(w, 10, g.docString);
  each(w, 11, g.input, writeValueInfo);
  each(w, 12, g.output, writeValueInfo);
  each(w, 13, g.valueInfo, writeValueInfo);
}

/** A ModelProto's bytes. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  int(w, 1, m.irVersion);
  str(w, 2, m.producerName);
  str(w, 3, m.producerVersion);
  str(w, 4, m.domain);
  int(w, 5, m.modelVersion);
  str(w, 6, m.docString);
  if (m.graph) w.message(7, (g) => writeGraph(g, m.graph!));
  each(w, 8, m.opsetImport, (o, op) => {
    str(o, 1, op.domain);
    int(o, 2, op.version);
  });
  each(w, 14, m.metadataProps, (o, e) => {
    str(o, 1, e.key);
    str(o, 2, e.value);
  });
  return w.finish();
}

// ---- reading (throws a ProtoError on malformed bytes or a known field of the wrong wire type)

type Reader<T> = (f: ProtoField, into: T) => void;

function read<T>(bytes: Uint8Array, into: T, fields: Record<number, Reader<T>>): T {
  for (const f of readFields(bytes)) fields[f.field]?.(f, into);
  return into;
}
const sub = (f: ProtoField) => lengthDelimited(f);

function readDimension(b: Uint8Array): Dimension {
  return read<Dimension>(b, {}, { 1: (f, d) => (d.dimValue = int64(f)), 2: (f, d) => (d.dimParam = utf8(f)) });
}

function readTypeProto(b: Uint8Array): TypeProto {
  return read<TypeProto>(b, {}, {
    1: (f, t) => (t.tensorType = read<NonNullable<TypeProto['tensorType']>>(sub(f), {}, {
      1: (g, tt) => (tt.elemType = int64(g)),
      2: (g, tt) => (tt.shape = read<{ dim?: Dimension[] }>(sub(g), {}, { 1: (h, s) => (s.dim ??= []).push(readDimension(sub(h))) })),
    })),
  });
}

function readValueInfo(b: Uint8Array): ValueInfoProto {
  return read<ValueInfoProto>(b, {}, {
    1: (f, v) => (v.name = utf8(f)), 2: (f, v) => (v.type = readTypeProto(sub(f))), 3: (f, v) => (v.docString = utf8(f)),
  });
}

function readAttribute(b: Uint8Array): AttributeProto {
  const floats: number[] = [];
  const ints: number[] = [];
  const a = read<AttributeProto>(b, {}, {
    1: (f, x) => (x.name = utf8(f)), 2: (f, x) => (x.f = float32(f)), 3: (f, x) => (x.i = int64(f)),
    7: (f) => pushFloats(f, floats), 8: (f) => pushInt64s(f, ints), 13: (f, x) => (x.docString = utf8(f)), 20: (f, x) => (x.type = int64(f)),
  });
  if (floats.length) a.floats = floats;
  if (ints.length) a.ints = ints;
  return a;
}

function readTensor(b: Uint8Array): TensorProto {
  const dims: number[] = [];
  const floatData: number[] = [];
  const int64Data: number[] = [];
  const t = read<TensorProto>(b, {}, {
    1: (f) => pushInt64s(f, dims), 2: (f, x) => (x.dataType = int64(f)), 4: (f) => pushFloats(f, floatData),
    7: (f) => pushInt64s(f, int64Data), 8: (f, x) => (x.name = utf8(f)), 12: (f, x) => (x.docString = utf8(f)),
  });
  t.dims = dims;
  if (floatData.length) t.floatData = floatData;
  if (int64Data.length) t.int64Data = int64Data;
  return t;
}

function readNode(b: Uint8Array): NodeProto {
  return read<NodeProto>(b, { input: [], output: [], attribute: [] }, {
    1: (f, n) => n.input!.push(utf8(f)), 2: (f, n) => n.output!.push(utf8(f)), 3: (f, n) => (n.name = utf8(f)),
    4: (f, n) => (n.opType = utf8(f)), 5: (f, n) => n.attribute!.push(readAttribute(sub(f))),
    6: (f, n) => (n.docString = utf8(f)), 7: (f, n) => (n.domain = utf8(f)),
  });
}

function readGraph(b: Uint8Array): GraphProto {
  return read<GraphProto>(b, { node: [], initializer: [], input: [], output: [], valueInfo: [] }, {
    1: (f, g) => g.node!.push(readNode(sub(f))), 2: (f, g) => (g.name = utf8(f)),
    5: (f, g) => g.initializer!.push(readTensor(sub(f))), 10: (f, g) => (g.docString = utf8(f)),
    11: (f, g) => g.input!.push(readValueInfo(sub(f))), 12: (f, g) => g.output!.push(readValueInfo(sub(f))),
    13: (f, g) => g.valueInfo!.push(readValueInfo(sub(f))),
  });
}

/** A ModelProto's fields in the subset above; throws a ProtoError if the bytes are not a well-formed message. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  return read<ModelProto>(bytes, { opsetImport: [], metadataProps: [] }, {
    1: (f, m) => (m.irVersion = int64(f)), 2: (f, m) => (m.producerName = utf8(f)), 3: (f, m) => (m.producerVersion = utf8(f)),
    4: (f, m) => (m.domain = utf8(f)), 5: (f, m) => (m.modelVersion = int64(f)), 6: (f, m) => (m.docString = utf8(f)),
    7: (f, m) => (m.graph = readGraph(sub(f))),
    8: (f, m) => m.opsetImport!.push(read<OperatorSetIdProto>(sub(f), {}, { 1: (g, o) => (o.domain = utf8(g)), 2: (g, o) => (o.version = int64(g)) })),
    14: (f, m) => m.metadataProps!.push(read<StringStringEntryProto>(sub(f), {}, { 1: (g, e) => (e.key = utf8(g)), 2: (g, e) => (e.value = utf8(g)) })),
  });
}
