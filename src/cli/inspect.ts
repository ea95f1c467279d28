// `convnotes inspect`: what a model (or a recipe's initial network) holds, layer by layer, printed; the
// facts come from src/network/inspect.ts.

import { inspectInitialNetwork, inspectNetwork, type Inspection } from '../network/inspect.js';
import { loadModel } from '../model/model-io.js';
import { loadRecipe } from '../recipes/load.js';
import { CliError } from './errors.js';

export interface InspectOptions {
  model?: string;
  recipe?: string;
  json: boolean;
}

const fixed = (x: number, digits: number) => (Object.is(Math.round(x * 10 ** digits), -0) ? 0 : x).toFixed(digits);

/** The inspection as text a person reads. */
export function formatInspection(r: Inspection): string {
  const lines: string[] = [`${r.name} (${r.source})`];
  const rows = [['layer', 'type', 'in', 'out', 'activation', 'parameters', 'wasm algorithm']];
  for (const l of r.layers) rows.push([l.name, typeText(l), l.inShape.join('×'), l.outShape.join('×'), l.activation, String(l.params), l.algorithm ?? '']);
  rows.push(['total', '', '', '', '', String(r.params), '']);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) lines.push(`  ${row.map((cell, c) => (c === 5 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd()}`);
  if (r.classNames) lines.push(`  classes: ${r.classNames.map((n, c) => `${c} ${n}`).join(', ')}`);
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
      lines.push('', `${l.name}: β${l.bias ? ' and b' : ''} per map${l.down === 'max' ? ' (max pooling)' : ''}`);
      l.beta.forEach((b, k) => lines.push(`  ${String(k).padStart(3)}  β ${fixed(b, 4).padStart(9)}${l.bias ? `  b ${fixed(l.bias[k], 4).padStart(9)}` : ''}`));
    }
    if (l.scale && l.shift && l.runningMean && l.runningVar) {
      lines.push('', `${l.name}: batch normalisation per map: γ, β, and the running averages inference normalises with`);
      l.scale.forEach((g, k) => lines.push(`  ${String(k).padStart(3)}  γ ${fixed(g, 4).padStart(9)}  β ${fixed(l.shift![k], 4).padStart(9)}  μ ${fixed(l.runningMean![k], 4).padStart(9)}  σ² ${fixed(l.runningVar![k], 4).padStart(9)}`));
    }
  }
  return lines.join('\n');
}

/** A layer's type with what sets it apart: padding and stride, max pooling, dropout's rate. */
function typeText(l: Inspection['layers'][number]): string {
  const extra: string[] = [];
  if (l.pad !== undefined) extra.push(`pad ${l.pad}`);
  if (l.stride !== undefined && l.stride !== 1) extra.push(`stride ${l.stride}`);
  if (l.down !== undefined && l.down !== 'sum') extra.push(l.down);
  if (l.rate !== undefined) extra.push(`rate ${l.rate}`);
  return extra.length ? `${l.type} (${extra.join(', ')})` : l.type;
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
    result = await inspectInitialNetwork(recipe.network, recipe.network.seed, `recipe ${o.recipe}, initial parameters`);
  }
  (o.json ? process.stderr : process.stdout).write(`${formatInspection(result)}\n`);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ name: result.name, layers: result.layers, params: result.params })}\n`);
  }
  return 0;
}
