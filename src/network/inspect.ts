// What a network holds, layer by layer, as `convnotes inspect` shows it: shapes, activations, parameter
// counts, each convolution layer's connection table (§3.1), each combination layer's learned α (§3.3:
// α = softmax of c, per output map over the input maps), each subsampling layer's β and b (§3.2), and
// each batch normalisation's γ, β and running averages.

import { createNetwork } from './backend.js';
import { compileConnections } from './connections.js';
import type { ResolvedDescription, Shape } from './description.js';
import { softmaxRows } from '../layers/combination.js';
import { paramViews } from '../model/views.js';
import { algorithmName, chooseConvAlgorithm } from '../wasm/conv-algorithm.js';

export interface LayerFacts {
  name: string;
  type: string;
  activation: string;
  inShape: number[];
  outShape: number[];
  params: number;
  /** conv: rows = output maps, columns = input maps, 1 where the output map reads the input map. */
  table?: number[][];
  /** combination: α[j][i], the weight of input map i in output map j. */
  alpha?: number[][];
  /** combination: how many α_ij exceed 0.1. */
  alphaAbove01?: number;
  /** subsample: β and b per map (b only when the layer has one). */
  beta?: number[];
  bias?: number[];
  /** batchnorm: γ and β per map, and the running averages inference normalises with. */
  scale?: number[];
  shift?: number[];
  runningMean?: number[];
  runningVar?: number[];
  /** conv, combination: zero padding and stride (only when not the notes' valid convolution). */
  pad?: number;
  stride?: number;
  /** conv, combination: the algorithm the fast path runs it with (src/wasm/conv-algorithm.ts). */
  algorithm?: string;
  /** subsample: which down(); dropout: the rate. */
  down?: string;
  rate?: number;
}

export interface Inspection {
  name: string;
  source: string;
  layers: LayerFacts[];
  params: number;
  /** The classes' names, when the model has them. */
  classNames?: string[];
}

/** The fast path's algorithm for a convolution over inShape: "im2col" or "winograd F(m×m, K×K)". */
function convAlgorithmOf(inShape: Shape, layer: { maps: number; kernel: number; pad: number; stride: number }): string {
  return algorithmName(chooseConvAlgorithm({ I: inShape[0], H: inShape[1], W: inShape[2], J: layer.maps, K: layer.kernel, pad: layer.pad, stride: layer.stride }), layer.kernel);
}

/** The facts of a description and a flat parameter array laid out as paramViews(d). */
export function inspectNetwork(d: ResolvedDescription, params: ArrayLike<number>, source: string): Inspection {
  const views = paramViews(d);
  const layers: LayerFacts[] = d.layers.map((layer, li) => {
    const inShape: Shape = li === 0 ? d.input : d.shapes[li - 1];
    const outShape = d.shapes[li];
    const own = views.filter((v) => v.layerIndex === li);
    const view = (kind: string) => own.find((v) => v.kind === kind);
    const values = (kind: string): number[] | undefined => {
      const v = view(kind);
      return v ? Array.from({ length: v.length }, (_, k) => params[v.offset + k]) : undefined;
    };
    const facts: LayerFacts = {
      name: layer.name, type: layer.type, activation: 'activation' in layer ? layer.activation : 'identity',
      inShape: [...inShape], outShape: [...outShape], params: own.reduce((n, v) => n + v.length, 0),
    };
    const I = inShape[0];
    switch (layer.type) {
      case 'conv': {
        if (layer.pad !== 0 || layer.stride !== 1) Object.assign(facts, { pad: layer.pad, stride: layer.stride });
        facts.algorithm = convAlgorithmOf(inShape, layer);
        const t = compileConnections(layer.connections, I, layer.maps).table; // t[i][j]
        facts.table = Array.from({ length: layer.maps }, (_, j) => Array.from({ length: I }, (_, i) => (t[i][j] ? 1 : 0)));
        break;
      }
      case 'combination': {
        const J = layer.maps;
        if (layer.pad !== 0 || layer.stride !== 1) Object.assign(facts, { pad: layer.pad, stride: layer.stride });
        facts.algorithm = convAlgorithmOf(inShape, layer);
        const c = Float64Array.from(values('c') ?? []);
        const alpha = new Float64Array(J * I);
        softmaxRows(c, J, I, alpha); // row j: output map j over the input maps
        facts.alpha = Array.from({ length: J }, (_, j) => Array.from(alpha.subarray(j * I, (j + 1) * I)));
        facts.alphaAbove01 = alpha.reduce((n, a) => n + (a > 0.1 ? 1 : 0), 0);
        break;
      }
      case 'subsample':
        facts.down = layer.down;
        facts.beta = values('beta') ?? new Array<number>(I).fill(layer.betaInit);
        if (layer.bias) facts.bias = values('subsampleBias');
        break;
      case 'full':
        break;
      case 'batchnorm':
        Object.assign(facts, { scale: values('scale'), shift: values('shift'), runningMean: values('runningMean'), runningVar: values('runningVar') });
        break;
      case 'dropout':
        facts.rate = layer.rate;
        break;
    }
    return facts;
  });
  return { name: d.name, source, layers, params: views.reduce((n, v) => n + v.length, 0), ...(d.classNames ? { classNames: d.classNames } : {}) };
}

/** The facts of the network `d` starts as (its initial parameters from `seed`), as training would start it. */
export async function inspectInitialNetwork(d: ResolvedDescription, seed: number | undefined, source: string): Promise<Inspection> {
  const net = await createNetwork(d, { backend: 'reference', batch: 1, seed });
  try {
    return inspectNetwork(d, net.params, source);
  } finally {
    await net.dispose();
  }
}
