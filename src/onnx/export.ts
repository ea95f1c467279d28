// ONNX export: a trained network as a standard ONNX graph (opset 13, symbolic batch dimension), written
// with a small protobuf encoder of our own (src/onnx/protobuf.ts) and the subset of the official
// onnx.proto the graph uses, its field numbers in one place (src/onnx/onnx-schema.ts).
//
// How each construct of the notes becomes ONNX operators:
//   §3.1 conv         Conv over all input maps, the connection table folded in as zero kernels. The
//                     notes' `*` is a true convolution (kernels stored flipped, src/kernels/kernels.ts);
//                     ONNX's Conv is a cross-correlation, so every kernel is rotated by 180°. Zero
//                     padding P and stride s are Conv's `pads` [P, P, P, P] and `strides` [s, s].
//   §3.3 combination  Conv over the effective kernels α_ij·k_src(i,j), since Σ_i α_ij (x_i * k) = Σ_i x_i * (α_ij k).
//   §3.2 subsample    β·down(x) + b as a grouped Conv (one group per map) with stride n: an n×n kernel
//                     filled with β_j for block sums, a one-hot kernel (β_j at the top-left sample) for
//                     decimation; b as its bias. Max pooling: MaxPool (n×n, stride n), then β·x + b as
//                     a grouped 1×1 Conv (β_j its kernel, b_j its bias).
//   batchnorm         inference: the per-map affine u = γ(x − r_μ)/√(r_σ² + ε) + β. Directly after a
//                     conv, combination or full layer whose activation is the identity it is folded into
//                     that layer's weights and bias (w' = w·γ/√(r_σ² + ε) per output map,
//                     b' = (b − r_μ)·γ/√(r_σ² + ε) + β) and only its activation is left; elsewhere it is
//                     Mul and Add by per-map constants ([C,1,1], or [C] after a full layer), then f.
//   dropout           nothing: inference passes values through.
//   §2   full         Flatten (the [map][row][col] layout is the flattening) then Gemm(x, W, b, transB=1).
//   activations       Sigmoid, Tanh, Relu; LeCun's 1.7159·tanh(2x/3) as Mul, Tanh, Mul.
//   §4.3 output       cross-entropy networks end with Softmax (part of their loss, so of their
//                     probabilities); squared-error networks' outputs are their last layer's, and
//                     with class codes (LeCun's RBF output) a second output "scores" = −½‖y − code_c‖².
//
// The graph declares every initializer and the shape of every intermediate (value_info), so ONNX
// Runtime and checkers can verify it; `checkOnnxModel` checks the same rules from Node.

import { compileConnections } from '../network/connections.js';
import type { ActivationName, ResolvedDescription, Shape } from '../network/description.js';
import { softmaxRows } from '../layers/combination.js';
import { paramViews } from '../model/views.js';
import { VERSION } from '../version.js';
import { channelNormalisation, type Normalisation } from '../data/dataset.js';
import {
  AttributeType, DataType, decodeModel, encodeModel, IR_VERSION,
  type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './onnx-schema.js';

/** LeCun's scaled tanh A·tanh(S·x) (src/kernels/reference.ts). */
const LECUN_A = 1.7159;
const LECUN_S = 2 / 3;

export const ONNX_OPSET = 13;

export interface ExportOptions {
  /** Graph name (default: the description's). */
  name?: string;
  /** Text for the model's doc_string. */
  doc?: string;
  /**
   * The model's input normalisation (its recipe's: `normalisation(recipe)`): given, the graph takes
   * image levels 0–255 (as floats, [batch][channels][H][W], already placed in the input as fillBatch
   * places them: a margin at level 0) and normalises each channel itself; absent, it takes the network's
   * input values.
   */
  normalisation?: Normalisation;
}

/** The exported graph's input and output names. */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'output';
/** With class codes, the graph's second output: −½‖y − code_c‖² per class. */
export const ONNX_SCORES = 'scores';

interface Builder {
  nodes: NodeProto[];
  initializers: TensorProto[];
  valueInfo: ValueInfoProto[];
}

function tensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  return { name, dims, dataType: DataType.FLOAT, floatData: Float32Array.from(values) };
}

function valueInfo(name: string, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function attrInts(name: string, ints: number[]): AttributeProto {
  return { name, type: AttributeType.INTS, ints };
}

function attrInt(name: string, i: number): AttributeProto {
  return { name, type: AttributeType.INT, i };
}

/** Appends f(x) and returns the output's name (x itself for the identity). */
function activation(b: Builder, act: ActivationName, x: string, prefix: string, dims: (number | string)[]): string {
  const out = `${prefix}.out`;
  switch (act) {
    case 'identity':
      return x;
    case 'sigmoid':
    case 'tanh':
    case 'relu': {
      const op = act === 'sigmoid' ? 'Sigmoid' : act === 'tanh' ? 'Tanh' : 'Relu';
      b.nodes.push({ opType: op, input: [x], output: [out], name: `${prefix}.${op}` });
      break;
    }
    case 'lecun': {
      // 1.7159 · tanh((2/3) · x)
      b.nodes.push({ opType: 'Mul', input: [x, 'lecun.S'], output: [`${prefix}.scaled`], name: `${prefix}.MulS` });
      b.nodes.push({ opType: 'Tanh', input: [`${prefix}.scaled`], output: [`${prefix}.tanh`], name: `${prefix}.Tanh` });
      b.nodes.push({ opType: 'Mul', input: [`${prefix}.tanh`, 'lecun.A'], output: [out], name: `${prefix}.MulA` });
      b.valueInfo.push(valueInfo(`${prefix}.scaled`, dims), valueInfo(`${prefix}.tanh`, dims));
      break;
    }
  }
  b.valueInfo.push(valueInfo(out, dims));
  return out;
}

/** The dense cross-correlation weights [J][I][K][K] of a conv or combination layer, float64. */
export function denseOnnxKernels(
  spec: ResolvedDescription['layers'][number], inMaps: number, params: ArrayLike<number>, kernelOffset: number, cOffset: number,
): Float64Array {
  if (spec.type !== 'conv' && spec.type !== 'combination') throw new Error('denseOnnxKernels: not a convolution');
  const J = spec.maps;
  const I = inMaps;
  const K = spec.kernel;
  const KK = K * K;
  const w = new Float64Array(J * I * KK);
  // rotate 180°: ONNX correlates, the notes convolve
  const put = (j: number, i: number, scale: number, src: number): void => {
    const o = (j * I + i) * KK;
    for (let t = 0; t < KK; t++) w[o + t] = scale * params[src + (KK - 1 - t)];
  };
  if (spec.type === 'conv') {
    const conn = compileConnections(spec.connections, I, J);
    for (let j = 0; j < J; j++) for (let c = conn.start[j]; c < conn.start[j + 1]; c++) put(j, conn.input[c], 1, kernelOffset + c * KK);
  } else {
    const c = new Float64Array(J * I);
    for (let q = 0; q < c.length; q++) c[q] = params[cOffset + q];
    const alpha = new Float64Array(J * I);
    softmaxRows(c, J, I, alpha);
    for (let j = 0; j < J; j++) {
      for (let i = 0; i < I; i++) put(j, i, alpha[j * I + i], kernelOffset + (spec.kernels === 'shared' ? i : j * I + i) * KK);
    }
  }
  return w;
}

/** The network as an ONNX ModelProto's bytes. `params` in the flat layout of `paramViews(description)`. */
export function exportOnnx(description: ResolvedDescription, params: ArrayLike<number>, options: ExportOptions = {}): Uint8Array {
  const views = paramViews(description);
  const count = views.reduce((n, v) => n + v.length, 0);
  if (params.length !== count) throw new RangeError(`params: expected ${count} values for ${description.name}, got ${params.length}`);
  const view = (layer: string, kind: string) => views.find((v) => v.layer === layer && v.kind === kind);
  const b: Builder = { nodes: [], initializers: [], valueInfo: [] };
  const batch = 'batch';
  if (description.layers.some((l) => 'activation' in l && l.activation === 'lecun')) {
    b.initializers.push(tensor('lecun.S', [], [LECUN_S]), tensor('lecun.A', [], [LECUN_A]));
  }

  // inference's affine map of every batchnorm layer, u = scale·x + shift per map (scale = γ/√(r_σ² + ε),
  // shift = β − r_μ·scale), and those folded into the layer below (which then exports scale·w, scale·b + shift)
  const affine = new Map<number, { scale: Float64Array; shift: Float64Array }>();
  const folded = new Set<number>();
  description.layers.forEach((spec, l) => {
    if (spec.type !== 'batchnorm') return;
    const C = description.shapes[l][0];
    const [gamma, beta, mean, variance] = ['scale', 'shift', 'runningMean', 'runningVar'].map((k) => view(spec.name, k)!.offset);
    const scale = new Float64Array(C);
    const shift = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      scale[c] = params[gamma + c] / Math.sqrt(params[variance + c] + spec.epsilon);
      shift[c] = params[beta + c] - params[mean + c] * scale[c];
    }
    affine.set(l, { scale, shift });
    const below = description.layers[l - 1];
    if (below && (below.type === 'conv' || below.type === 'combination' || below.type === 'full') && below.activation === 'identity') folded.add(l);
  });
  /** The weights [J][…] and biases [J] of layer ℓ with a batchnorm above it folded in, if there is one. */
  const foldAbove = (l: number, w: Float64Array, bias: Float64Array): void => {
    if (!folded.has(l + 1)) return;
    const { scale, shift } = affine.get(l + 1)!;
    const per = w.length / bias.length;
    for (let j = 0; j < bias.length; j++) {
      for (let t = 0; t < per; t++) w[j * per + t] *= scale[j];
      bias[j] = bias[j] * scale[j] + shift[j];
    }
  };

  let x = ONNX_INPUT;
  let shape: Shape = description.input;
  if (options.normalisation) {
    // value = background_c + level · (foreground_c − background_c)/255, channel by channel
    const C = description.input[0];
    const scale: number[] = [];
    const offset: number[] = [];
    for (let c = 0; c < C; c++) {
      const n = channelNormalisation(options.normalisation, c);
      scale.push((n.foreground - n.background) / 255);
      offset.push(n.background);
    }
    b.initializers.push(tensor('levels.scale', [1, C, 1, 1], scale), tensor('levels.offset', [1, C, 1, 1], offset));
    b.nodes.push(
      { opType: 'Mul', input: [x, 'levels.scale'], output: ['levels.scaled'], name: 'levels.Mul' },
      { opType: 'Add', input: ['levels.scaled', 'levels.offset'], output: ['levels.normalised'], name: 'levels.Add' },
    );
    b.valueInfo.push(valueInfo('levels.scaled', [batch, ...description.input]), valueInfo('levels.normalised', [batch, ...description.input]));
    x = 'levels.normalised';
  }
  let flat = false;
  description.layers.forEach((spec, l) => {
    const out = description.shapes[l];
    const dims: (number | string)[] = spec.type === 'full' || flat ? [batch, out[0]] : [batch, out[0], out[1], out[2]];
    const p = spec.name;
    switch (spec.type) {
      case 'conv':
      case 'combination': {
        const [I] = shape;
        const kernel = view(p, 'kernel')!;
        const w = denseOnnxKernels(spec, I, params, kernel.offset, spec.type === 'combination' ? view(p, 'c')!.offset : 0);
        const biasView = view(p, 'convBias')!;
        const bias = slice(params, biasView.offset, biasView.length);
        foldAbove(l, w, bias);
        b.initializers.push(tensor(`${p}.W`, [spec.maps, I, spec.kernel, spec.kernel], w), tensor(`${p}.B`, [spec.maps], bias));
        const P = spec.pad;
        b.nodes.push({
          opType: 'Conv', input: [x, `${p}.W`, `${p}.B`], output: [`${p}.u`], name: `${p}.Conv`,
          attribute: [attrInts('kernel_shape', [spec.kernel, spec.kernel]), attrInts('pads', [P, P, P, P]), attrInts('strides', [spec.stride, spec.stride])],
        });
        break;
      }
      case 'subsample': {
        const [J] = shape;
        const n = spec.factor;
        const betaView = view(p, 'beta');
        const biasView = view(p, 'subsampleBias');
        const bias = biasView ? slice(params, biasView.offset, J) : new Float64Array(J);
        const betaOf = (j: number) => (betaView ? params[betaView.offset + j] : spec.betaInit);
        if (spec.down === 'max') {
          // the block's maximum, then β_j·m + b_j as a 1×1 Conv of one group per map
          b.nodes.push({
            opType: 'MaxPool', input: [x], output: [`${p}.pool`], name: `${p}.MaxPool`,
            attribute: [attrInts('kernel_shape', [n, n]), attrInts('strides', [n, n])],
          });
          b.valueInfo.push(valueInfo(`${p}.pool`, dims));
          b.initializers.push(tensor(`${p}.W`, [J, 1, 1, 1], Array.from({ length: J }, (_, j) => betaOf(j))), tensor(`${p}.B`, [J], bias));
          b.nodes.push({
            opType: 'Conv', input: [`${p}.pool`, `${p}.W`, `${p}.B`], output: [`${p}.u`], name: `${p}.Conv`,
            attribute: [attrInts('kernel_shape', [1, 1]), attrInt('group', J)],
          });
          break;
        }
        const w = new Float64Array(J * n * n);
        for (let j = 0; j < J; j++) {
          if (spec.down === 'sum') w.fill(betaOf(j), j * n * n, (j + 1) * n * n);
          else w[j * n * n] = betaOf(j); // decimation keeps the top-left sample of each block
        }
        b.initializers.push(tensor(`${p}.W`, [J, 1, n, n], w), tensor(`${p}.B`, [J], bias));
        b.nodes.push({
          opType: 'Conv', input: [x, `${p}.W`, `${p}.B`], output: [`${p}.u`], name: `${p}.Conv`,
          attribute: [attrInts('kernel_shape', [n, n]), attrInts('strides', [n, n]), attrInt('group', J)],
        });
        break;
      }
      case 'full': {
        if (!flat) {
          b.nodes.push({ opType: 'Flatten', input: [x], output: [`${p}.flat`], name: `${p}.Flatten`, attribute: [attrInt('axis', 1)] });
          b.valueInfo.push(valueInfo(`${p}.flat`, [batch, shape[0] * shape[1] * shape[2]]));
          x = `${p}.flat`;
          flat = true;
        }
        const weightView = view(p, 'weights')!;
        const biasView = view(p, 'bias')!;
        const weights = slice(params, weightView.offset, weightView.length);
        const bias = slice(params, biasView.offset, biasView.length);
        foldAbove(l, weights, bias);
        b.initializers.push(tensor(`${p}.W`, weightView.shape, weights), tensor(`${p}.B`, [spec.units], bias));
        b.nodes.push({ opType: 'Gemm', input: [x, `${p}.W`, `${p}.B`], output: [`${p}.u`], name: `${p}.Gemm`, attribute: [attrInt('transB', 1)] });
        break;
      }
      case 'dropout':
        // inference passes values through
        shape = out;
        return;
      case 'batchnorm': {
        if (folded.has(l)) {
          // the layer below already computes γ x̂ + β: only f is left
          x = activation(b, spec.activation, x, p, dims);
          shape = out;
          return;
        }
        const { scale, shift } = affine.get(l)!;
        const C = out[0];
        const constDims = flat ? [C] : [C, 1, 1];
        b.initializers.push(tensor(`${p}.scale`, constDims, scale), tensor(`${p}.shift`, constDims, shift));
        // (not `.scaled`: LeCun's activation names its own intermediate so)
        b.nodes.push({ opType: 'Mul', input: [x, `${p}.scale`], output: [`${p}.timesScale`], name: `${p}.Mul` });
        b.nodes.push({ opType: 'Add', input: [`${p}.timesScale`, `${p}.shift`], output: [`${p}.u`], name: `${p}.Add` });
        b.valueInfo.push(valueInfo(`${p}.timesScale`, dims));
        break;
      }
    }
    b.valueInfo.push(valueInfo(`${p}.u`, dims));
    x = activation(b, 'activation' in spec ? spec.activation : 'identity', `${p}.u`, p, dims);
    shape = out;
  });

  const outShape = description.shapes[description.shapes.length - 1];
  const outDims: (number | string)[] = flat ? [batch, outShape[0]] : [batch, outShape[0], outShape[1], outShape[2]];
  if (description.loss === 'cross-entropy') {
    b.nodes.push({ opType: 'Softmax', input: [x], output: [ONNX_OUTPUT], name: 'output.Softmax', attribute: [attrInt('axis', 1)] });
  } else {
    b.nodes.push({ opType: 'Identity', input: [x], output: [ONNX_OUTPUT], name: 'output.Identity' });
  }
  // the last layer's output is the graph output, not an intermediate
  b.valueInfo = b.valueInfo.filter((v) => v.name !== x || x === ONNX_INPUT);
  if (x !== ONNX_INPUT) b.valueInfo.push(valueInfo(x, outDims));

  // LeCun's RBF output: a second output "scores", −½‖y − code_c‖² per class (the nearest code wins)
  const outputs: ValueInfoProto[] = [valueInfo(ONNX_OUTPUT, outDims)];
  if (description.codes) {
    const codes = description.codes;
    const n = codes[0].length;
    b.initializers.push(
      tensor('codes.C', [codes.length, n], codes.flat()),
      tensor('codes.minusHalf', [], [-0.5]),
      { name: 'codes.axis1', dims: [1], dataType: DataType.INT64, int64Data: [1] },
      { name: 'codes.axis2', dims: [1], dataType: DataType.INT64, int64Data: [2] },
    );
    b.nodes.push(
      { opType: 'Unsqueeze', input: [ONNX_OUTPUT, 'codes.axis1'], output: ['codes.y'], name: 'codes.Unsqueeze' },
      { opType: 'Sub', input: ['codes.y', 'codes.C'], output: ['codes.diff'], name: 'codes.Sub' },
      { opType: 'Mul', input: ['codes.diff', 'codes.diff'], output: ['codes.square'], name: 'codes.Square' },
      { opType: 'ReduceSum', input: ['codes.square', 'codes.axis2'], output: ['codes.distance'], name: 'codes.ReduceSum', attribute: [attrInt('keepdims', 0)] },
      { opType: 'Mul', input: ['codes.distance', 'codes.minusHalf'], output: [ONNX_SCORES], name: 'codes.Scale' },
    );
    b.valueInfo.push(
      valueInfo('codes.y', [batch, 1, n]), valueInfo('codes.diff', [batch, codes.length, n]),
      valueInfo('codes.square', [batch, codes.length, n]), valueInfo('codes.distance', [batch, codes.length]),
    );
    outputs.push(valueInfo(ONNX_SCORES, [batch, codes.length]));
  }

  const model: ModelProto = {
    irVersion: IR_VERSION,
    producerName: 'convnotes',
    producerVersion: VERSION,
    docString: options.doc ?? `${description.name}: exported by convnotes (Bouvrie's notes on CNNs)`,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    // what an application needs beside the graph: the classes' names, the input's kind
    metadataProps: [
      ...(description.classNames ? [{ key: 'classNames', value: JSON.stringify(description.classNames) }] : []),
      ...(options.normalisation ? [{ key: 'input', value: 'levels 0–255 per channel, normalised in the graph' }] : []),
    ],
    graph: {
      name: options.name ?? description.name,
      node: b.nodes,
      initializer: b.initializers,
      input: [valueInfo(ONNX_INPUT, [batch, ...description.input])],
      output: outputs,
      valueInfo: b.valueInfo,
    },
  };
  return encodeModel(model);
}

function slice(a: ArrayLike<number>, offset: number, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = a[offset + i];
  return out;
}

/**
 * The structural rules of the ONNX checker that can be verified without it: IR and opset declared,
 * unique node and value names, every node input produced earlier (a graph input, an initializer or a
 * previous node's output: the nodes are topologically sorted), every initializer's data matching its
 * dims, every output produced, shapes declared for every intermediate. Returns the problems found.
 */
export function checkOnnxModel(bytes: Uint8Array): string[] {
  const problems: string[] = [];
  let m: ModelProto;
  try {
    m = decodeModel(bytes);
  } catch (e) {
    return [`not an ONNX ModelProto (${(e as Error).message})`];
  }
  const g = m.graph;
  if (!g) return ['no graph'];
  if (Number(m.irVersion) < 7) problems.push(`ir_version ${m.irVersion} is older than 7 (opset 13 needs 7)`);
  const opset = (m.opsetImport ?? []).find((o) => (o.domain ?? '') === '');
  if (!opset || Number(opset.version) < 13) problems.push(`default-domain opset ${opset?.version ?? 'missing'}, expected ≥ 13`);
  const known = new Set<string>();
  const name = (x: { name?: string }): string => x.name ?? '';
  for (const i of g.input ?? []) {
    if (known.has(name(i))) problems.push(`input ${name(i)} declared twice`);
    known.add(name(i));
  }
  for (const t of g.initializer ?? []) {
    if (known.has(name(t))) problems.push(`initializer ${name(t)} declared twice (or shadows an input)`);
    known.add(name(t));
    const dims = (t.dims ?? []).map(Number);
    const size = dims.reduce((n, d) => n * d, 1);
    const values = t.dataType === DataType.INT64 ? (t.int64Data ?? []).length : (t.floatData ?? []).length;
    if (values !== size) problems.push(`initializer ${name(t)}: ${values} values for dims [${dims.join(', ')}]`);
  }
  const nodeNames = new Set<string>();
  const outputs = new Set((g.output ?? []).map(name));
  const declared = new Set((g.valueInfo ?? []).map(name));
  for (const n of g.node ?? []) {
    const label = `${name(n)} (${n.opType})`;
    if (n.name) {
      if (nodeNames.has(n.name)) problems.push(`node name ${n.name} used twice`);
      nodeNames.add(n.name);
    }
    for (const i of n.input ?? []) if (i !== '' && !known.has(i)) problems.push(`node ${label} reads ${i}, which nothing before it produces`);
    for (const o of n.output ?? []) {
      if (known.has(o)) problems.push(`node ${label} writes ${o}, which already exists`);
      known.add(o);
      if (!declared.has(o) && !outputs.has(o)) problems.push(`intermediate ${o} has no declared shape`);
    }
  }
  for (const o of outputs) if (!known.has(o)) problems.push(`graph output ${o} is never produced`);
  return problems;
}
