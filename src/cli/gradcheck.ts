// `convnotes gradcheck`: §4.4 finite-difference check of every parameter group of a network.
import { fillBatch, UNIT } from '../data/dataset.js';
import { loadSplit } from '../data/files.js';
import { gradientCheck, type GradCheckResult } from '../gradcheck.js';
import { Network } from '../network.js';
import { Rng } from '../rng.js';
import { CliError } from './errors.js';
import { loadDescription } from './load.js';

export interface GradcheckOptions {
  recipe: string;
  json: boolean;
  maxPerGroup: number;
  batch: number;
  seed: number;
  method: 'extrapolated' | 'central';
  epsilon?: number;
  tolerance: number;
  data?: string;
}

/** Returns the exit code: 0 when the largest relative error is within the tolerance. */
export function runGradcheck(o: GradcheckOptions): number {
  const d = loadDescription(o.recipe);
  const net = new Network(d);
  const [maps, h, w] = d.input;
  const x = new Float64Array(o.batch * net.inputSize);
  let labels: ArrayLike<number>;
  let source: string;
  if (o.data !== undefined) {
    // Real patterns: the first test images, grey levels scaled to [0, 1].
    const test = loadSplit(o.data, 'test', net.classes);
    if (maps !== 1) throw new CliError(`--data: the network takes ${maps} input maps, the images have 1`);
    const l = new Uint8Array(o.batch);
    fillBatch(test, Array.from({ length: o.batch }, (_, i) => i), 0, o.batch, h, w, UNIT, x, l);
    labels = l;
    source = `the first ${o.batch} test pattern(s) of ${test.source}`;
  } else {
    const rng = new Rng(o.seed);
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
    labels = Array.from({ length: o.batch }, () => rng.int(net.classes));
    source = `${o.batch} random pattern(s) (uniform in [0, 1), seed ${o.seed})`;
  }
  const started = Date.now();
  const r = gradientCheck(net, x, labels, o.batch, { maxPerGroup: o.maxPerGroup, seed: o.seed, method: o.method, epsilon: o.epsilon });
  const seconds = (Date.now() - started) / 1000;
  printReport(d.name, source, r, o.tolerance, seconds, o.json);
  return r.maxRelativeError <= o.tolerance ? 0 : 1;
}

function printReport(name: string, source: string, r: GradCheckResult, tolerance: number, seconds: number, json: boolean): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`gradient check of ${name} on ${source} (float64, central differences extrapolated to h → 0)`);
  out(`${'layer'.padEnd(10)} ${'kind'.padEnd(14)} ${'checked'.padStart(8)}  max relative error`);
  for (const g of r.groups) {
    const kink = g.atKink ? `  (${g.atKink} at a ReLU kink, left out)` : '';
    out(`${g.layer.padEnd(10)} ${g.kind.padEnd(14)} ${String(g.count).padStart(8)}  ${g.maxRelativeError.toExponential(2)}${kink}`);
  }
  const ok = r.maxRelativeError <= tolerance;
  out(`max relative error ${r.maxRelativeError.toExponential(2)}: ${ok ? 'PASS' : 'FAIL'} (tolerance ${tolerance.toExponential(0)}, ${seconds.toFixed(1)} s)`);
  if (json) {
    out(JSON.stringify({
      maxRelativeError: r.maxRelativeError,
      groups: r.groups.map((g) => ({ layer: g.layer, kind: g.kind, count: g.count, maxRelativeError: g.maxRelativeError })),
    }));
  }
}

