// `convnotes inspect`: what a model (or a recipe's initial network) holds, layer by layer: shapes,
// activations, parameter counts, each convolution layer's connection table, each combination layer's
// learned α (§3.3: α = softmax of c, per output map over the input maps) and each subsampling layer's
// β and b (§3.2).

import { createNetwork } from '../backend.js';
import { compileConnections } from '../connections.js';
import type { ResolvedDescription, Shape } from '../description.js';
import { softmaxRows } from '../layers/combination.js';
import { loadModel } from '../model/model-io.js';
import { paramViews } from '../model/views.js';
import { CliError } from './errors.js';
import { loadRecipe } from './load.js';

export interface InspectOptions {
  model?: string;
  recipe?: string;
  json: boolean;
}

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
}

export interface Inspection {
  name: string;
  source: string;
  layers: LayerFacts[];
  params: number;
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
      name: layer.name, type: layer.type, activation: layer.activation,
      inShape: [...inShape], outShape: [...outShape], params: own.reduce((n, v) => n + v.length, 0),
    };
    const I = inShape[0];
    switch (layer.type) {
      case 'conv': {
        const t = compileConnections(layer.connections, I, layer.maps).table; // t[i][j]
        facts.table = Array.from({ length: layer.maps }, (_, j) => Array.from({ length: I }, (_, i) => (t[i][j] ? 1 : 0)));
        break;
      }
      case 'combination': {
        const J = layer.maps;
        const c = Float64Array.from(values('c') ?? []);
        const alpha = new Float64Array(J * I);
        softmaxRows(c, J, I, alpha); // row j: output map j over the input maps
        facts.alpha = Array.from({ length: J }, (_, j) => Array.from(alpha.subarray(j * I, (j + 1) * I)));
        facts.alphaAbove01 = alpha.reduce((n, a) => n + (a > 0.1 ? 1 : 0), 0);
        break;
      }
      case 'subsample':
        facts.beta = values('beta') ?? new Array<number>(I).fill(layer.betaInit);
        if (layer.bias) facts.bias = values('subsampleBias');
        break;
      case 'full':
        break;
    }
    return facts;
  });
  return { name: d.name, source, layers, params: views.reduce((n, v) => n + v.length, 0) };
}

const fixed = (x: number, digits: number) => (Object.is(Math.round(x * 10 ** digits), -0) ? 0 : x).toFixed(digits);

/** The inspection as text a person reads. */
export function formatInspection(r: Inspection): string {
  const lines: string[] = [`${r.name} (${r.source})`];
  const rows = [['layer', 'type', 'in', 'out', 'activation', 'parameters']];
  for (const l of r.layers) rows.push([l.name, l.type, l.inShape.join('×'), l.outShape.join('×'), l.activation, String(l.params)]);
  rows.push(['total', '', '', '', '', String(r.params)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) lines.push(`  ${row.map((cell, c) => (c === 5 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()}`);
  const header = (n: number, w: number) => `${' '.repeat(6)}${Array.from({ length: n }, (_, i) => String(i).padStart(w)).join('')}`;
  for (const l of r.layers) {
    if (l.table) {
      const count = l.table.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0);
      const I = l.inShape[0];
      const total = l.table.length * I;
      lines.push('', `${l.name}: connection table (rows: output maps, columns: input maps), ${count} of ${total} connections`);
      if (count === total) {
        lines.push(`  every output map reads every input map (a full ${l.table.length}×${I} grid of X; --json lists it)`);
      } else {
        const w = I > 10 ? 3 : 2;
        lines.push(header(I, w));
        l.table.forEach((row, j) => lines.push(`  ${String(j).padStart(3)} ${row.map((v) => (v ? 'X' : '.').padStart(w)).join('')}`));
      }
    }
    if (l.alpha) {
      const I = l.inShape[0];
      const J = l.alpha.length;
      lines.push('', `${l.name}: learned α = softmax(c) (rows: output maps, columns: input maps; each row sums to 1)`);
      lines.push(header(I, 6));
      l.alpha.forEach((row, j) => lines.push(`  ${String(j).padStart(3)} ${row.map((a) => fixed(a, 2).padStart(6)).join('')}`));
      const lenet = I === 6 && J === 16 ? ' (LeNet-5\'s hand-made C3 table has 60 connections)' : '';
      lines.push(`  ${l.alphaAbove01} of ${I * J} α_ij exceed 0.1${lenet}`);
    }
    if (l.beta) {
      lines.push('', `${l.name}: β${l.bias ? ' and b' : ''} per map`);
      l.beta.forEach((b, k) => lines.push(`  ${String(k).padStart(3)}  β ${fixed(b, 4).padStart(9)}${l.bias ? `  b ${fixed(l.bias[k], 4).padStart(9)}` : ''}`));
    }
  }
  return lines.join('\n');
}

export async function runInspect(o: InspectOptions): Promise<number> {
  if ((o.model === undefined) === (o.recipe === undefined)) throw new CliError('inspect: give either --model FILE or --recipe NAME|FILE');
  let result: Inspection;
  if (o.model !== undefined) {
    const m = loadModel(o.model);
    result = inspectNetwork(m.description, m.params, o.model);
  } else {
    const recipe = loadRecipe(o.recipe!);
    // the initial network, as `convnotes train` would start it
    const net = await createNetwork(recipe.network, { backend: 'reference', batch: 1, seed: recipe.network.seed });
    try {
      result = inspectNetwork(recipe.network, net.params, `recipe ${o.recipe}, initial parameters`);
    } finally {
      await net.dispose();
    }
  }
  (o.json ? process.stderr : process.stdout).write(`${formatInspection(result)}\n`);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ name: result.name, layers: result.layers, params: result.params })}\n`);
  }
  return 0;
}
