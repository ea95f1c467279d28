// `convnotes gradcheck`: §4.4 finite-difference check of every parameter group of a network.
import { loadSplit } from '../data/files.js';
import { checkPatterns, gradientCheck, type GradCheckResult } from '../network/gradcheck.js';
import { Network } from '../network/network.js';
import { firstUnitNorm } from '../layers/batchnorm.js';
import { loadDescription } from '../recipes/load.js';

export interface GradcheckOptions {
  recipe: string;
  json: boolean;
  maxPerGroup: number;
  batch?: number;
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
  // batch statistics of a unit (batchnorm after a fully connected layer) need two patterns
  const batch = o.batch ?? (firstUnitNorm(d) >= 0 ? 2 : 1);
  // real patterns (the first test images) with --data, else seeded random ones
  const { x, labels, source } = checkPatterns(net, batch, o.seed, o.data !== undefined ? loadSplit(o.data, 'test', net.classes) : undefined);
  const started = Date.now();
  const r = gradientCheck(net, x, labels, batch, { maxPerGroup: o.maxPerGroup, seed: o.seed, method: o.method, epsilon: o.epsilon });
  const seconds = (Date.now() - started) / 1000;
  printReport(d.name, source, r, o.tolerance, seconds, o.json);
  return r.maxRelativeError <= o.tolerance ? 0 : 1;
}

function printReport(name: string, source: string, r: GradCheckResult, tolerance: number, seconds: number, json: boolean): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`gradient check of ${name} on ${source} (float64, central differences extrapolated to h → 0)`);
  out(`${'layer'.padEnd(10)} ${'kind'.padEnd(14)} ${'checked'.padStart(8)}  max relative error`);
  for (const g of r.groups) {
    const kink = g.atKink ? `  (${g.atKink} at a kink, a ReLU's or a max-pooling tie's, left out)` : '';
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

