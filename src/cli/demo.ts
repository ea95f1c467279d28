// `npm start` (`convnotes demo`): the notes' network, built, gradient-checked and trained for a few
// hundred steps on real MNIST digits, saying what it does at each stage.
import { UNIT } from '../data/dataset.js';
import { gradientCheck } from '../network/gradcheck.js';
import { Network } from '../network/network.js';
import { builtinNetwork } from '../recipes/builtin.js';
import { Rng } from '../util/rng.js';
import { summary } from '../network/summary.js';
import { evaluate } from '../train/evaluate.js';
import { loadTrainingData } from '../data/bundled.js';
import type { BackendName } from '../network/backend.js';
import { resolveRecipe } from '../recipes/recipe.js';
import { createTrainingNetwork, Trainer } from '../train/trainer.js';

export interface DemoOptions {
  data?: string;
  backend: BackendName;
  threads?: number;
  steps: number;
  batch: number;
  rate: number;
  seed: number;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const net = new Network({ ...builtinNetwork('bouvrie'), seed: o.seed });
  out('1. The network of the notes (`bouvrie`), built from its JSON description:');
  out();
  out(summary(net));
  out();

  out('2. Gradient check (§4.4): backpropagation against finite differences, float64, one random pattern,');
  out('   up to 10 parameters per group:');
  const rng = new Rng(o.seed);
  const probe = Float64Array.from({ length: net.inputSize }, () => rng.uniform());
  const check = gradientCheck(net, probe, [rng.int(10)], 1, { maxPerGroup: 10, seed: o.seed });
  for (const g of check.groups) out(`   ${g.layer.padEnd(6)} ${g.kind.padEnd(14)} ${String(g.count).padStart(3)} checked, max relative error ${g.maxRelativeError.toExponential(1)}`);
  out(`   largest: ${check.maxRelativeError.toExponential(2)} ${check.maxRelativeError <= 1e-6 ? '(≤ 1e-6: the gradients are right)' : '(ABOVE 1e-6: something is wrong)'}`);
  out();

  const data = loadTrainingData(o.data, 10);
  const { train, test } = data;
  const images = o.steps * o.batch;
  out(`3. Training on real MNIST (${data.origin}): ${o.steps} steps of mini-batch gradient descent (§4.1),`);
  out(`   batch ${o.batch}, rate ${o.rate}, squared error averaged over the batch, ${images} training images`);
  out(`   in the trainer's shuffled order of ${train.count}; test error measured on the first 1,000 of ${test.count} test images.`);
  const testIdx = Array.from({ length: Math.min(1000, test.count) }, (_, i) => i);
  const before = evaluate(net, test, testIdx, UNIT);
  out(`   before training: test error ${(100 * before.error).toFixed(1)} %, loss ${before.loss.toFixed(4)}`);

  // the library's trainer, as `convnotes train` runs it: a recipe of this batch and rate, epochs enough for the steps
  const stepsPerEpoch = Math.max(1, Math.floor(train.count / o.batch));
  const recipe = resolveRecipe({
    name: 'demo', network: net.description, training: { epochs: Math.ceil(o.steps / stepsPerEpoch), batch: o.batch, rate: o.rate },
  });
  const runner = await createTrainingNetwork(recipe, train, { backend: o.backend, threads: o.threads });
  out(`   running on the ${runner.backend} backend, ${runner.threads} thread(s)${runner.notice ? ` (${runner.notice})` : ''}`);
  const trainer = new Trainer({ net: runner, recipe, train, seed: o.seed, evalTrain: 0 });
  const started = Date.now();
  for (let step = 0; step < o.steps; step++) {
    trainer.step();
    if ((step + 1) % Math.max(1, Math.floor(o.steps / 8)) === 0 || step + 1 === o.steps) {
      const s = Math.max(1e-3, (Date.now() - started) / 1000);
      out(`   step ${String(step + 1).padStart(5)}  loss ${trainer.loss.toFixed(4)} (epoch ${trainer.epoch + 1}'s mean so far)  ${Math.round(((step + 1) * o.batch) / s)} images/s`);
    }
  }
  net.params.set(runner.params);
  await runner.dispose();
  const after = evaluate(net, test, testIdx, UNIT);
  out(`   after training:  test error ${(100 * after.error).toFixed(1)} %, loss ${after.loss.toFixed(4)}`);
  out();
  out('A few hundred steps barely lift this all-sigmoid network off its starting plateau (every output');
  out('near 0.1, loss ≈ 0.45): its subsampling layers squash their inputs through a sigmoid, so the');
  out('lower layers learn slowly at one rate for all. Next: `npx convnotes gradcheck --recipe lenet5`, or');
  out('`npx convnotes describe learned` for a description to start your own network from.');
  return 0;
}
