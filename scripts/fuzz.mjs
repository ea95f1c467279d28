#!/usr/bin/env node
// `npm run fuzz`: the fuzz properties of test/formats/fuzz.test.ts (scripts/fuzz-properties.mjs) at a large
// count, against the built package (npm run build first). Per property: inputs, correct results,
// documented errors, unexpected outcomes (with a shrunk counterexample); then
// `fuzz: N inputs, 0 unexpected`. Exit 1 on any unexpected outcome.
//
//   node scripts/fuzz.mjs [--quick] [--seed S] [--runs N]
//     default: 100,000 inputs in all; --quick: 5,000 (scripts/reliability.mjs); --runs: per property.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fuzzProperties, SMALL_DESCRIPTIONS } from './fuzz-properties.mjs';

const DIST = join(import.meta.dirname, '..', 'dist');
if (!existsSync(join(DIST, 'data', 'idx.js'))) {
  console.error('fuzz: no dist/ (run npm run build first)');
  process.exit(2);
}
const { parseIdx, DataError } = await import(join(DIST, 'data', 'idx.js'));
const { decodeImage } = await import(join(DIST, 'data', 'decode.js'));
const { parseCifar10 } = await import(join(DIST, 'data', 'cifar.js'));
const { ModelFileError } = await import(join(DIST, 'model', 'errors.js'));
const { decodeModel, encodeModel } = await import(join(DIST, 'model', 'model-file.js'));
const { decodeSafetensors } = await import(join(DIST, 'model', 'safetensors.js'));
const { paramCount, paramViews } = await import(join(DIST, 'model', 'views.js'));
const { Network } = await import(join(DIST, 'network', 'network.js'));
const { dlt } = await import(join(DIST, 'recipes', 'builtin.js'));

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const seed = Number(option('--seed') ?? 1);
// the mutated files are where the readers can go wrong: they get most of the inputs
const total = quick ? 5_000 : 100_000;
const share = {
  'idx: valid files': 0.05, 'idx: mutated files': 0.25, 'model: valid files': 0.05, 'model: mutated files': 0.25,
  'png: valid files': 0.05, 'png: mutated files': 0.15, 'jpeg: mutated files': 0.15, 'cifar: valid files': 0.02, 'cifar: mutated files': 0.03,
};
const perProperty = option('--runs');

const lib = { parseIdx, DataError, decodeModel, decodeSafetensors, encodeModel, ModelFileError, paramViews, paramCount, decodeImage, parseCifar10 };
const nets = [...SMALL_DESCRIPTIONS, dlt].map((d) => new Network(d));

const started = performance.now();
let inputs = 0;
let unexpected = 0;
for (const p of fuzzProperties(lib, nets)) {
  const runs = perProperty ? Number(perProperty) : Math.round(total * share[p.name]);
  const t0 = performance.now();
  // counting pass: every input is classified, none stops the run
  fc.check(fc.property(p.arbitrary, (x) => (p.predicate(x), true)), { numRuns: runs, seed });
  const { stats } = p;
  const line = `${p.name.padEnd(24)} ${String(stats.inputs).padStart(7)} inputs  ${String(stats.ok).padStart(7)} correct  ${String(stats.documented).padStart(7)} documented errors  ${stats.unexpected} unexpected  ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  console.log(line);
  inputs += stats.inputs;
  unexpected += stats.unexpected;
  if (stats.unexpected > 0) {
    for (const r of stats.reasons) console.log(`    ${r}`);
    // the same seed again, stopping at the first unexpected outcome, shrunk by fast-check
    const found = stats.inputs;
    const details = fc.check(fc.property(p.arbitrary, p.predicate), { numRuns: runs, seed });
    if (details.failed) {
      console.log(`    shrunk counterexample (seed ${seed}, path ${details.counterexamplePath}):`);
      console.log(`    ${fc.stringify(details.counterexample).slice(0, 2000)}`);
    }
    stats.inputs = found;
  }
}
console.log(`seed ${seed}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`fuzz: ${inputs} inputs, ${unexpected} unexpected`);
process.exit(unexpected > 0 ? 1 : 0);
