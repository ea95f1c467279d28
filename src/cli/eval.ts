// `convnotes eval`: a model file on a test set: error rate, loss, confusion matrix.

import { createNetwork, type BackendName } from '../network/backend.js';
import { classCount } from '../network/loss.js';
import { assertFiniteParams } from '../model/finite.js';
import { loadModel } from '../model/model-io.js';
import { resolveRecipe } from '../recipes/recipe.js';
import { evaluate, range } from '../train/evaluate.js';
import { checkFits, UNIT } from '../data/dataset.js';
import { DataError } from '../data/idx.js';
import { normalisation } from '../train/trainer.js';
import { loadTrainingData } from '../data/bundled.js';

export interface EvalOptions {
  model: string;
  data?: string;
  backend: BackendName;
  threads?: number;
  json: boolean;
  confusion: boolean;
}

export async function runEval(o: EvalOptions): Promise<number> {
  const m = loadModel(o.model);
  assertFiniteParams(o.model, m.description, m.params);
  // the model's own input normalisation (its recipe's: unit, lecun or standard with its statistics)
  const norm = m.recipe ? normalisation(resolveRecipe(m.recipe)) : UNIT;
  const classes = classCount(m.description, m.description.shapes[m.description.shapes.length - 1].reduce((a, b) => a * b, 1));
  const data = loadTrainingData(o.data, classes);
  // images that do not fit the model, named by their file
  checkFits(data.test, ...m.description.input);
  // labels are indices into the data's classes: they must be the model's, in the model's order
  const theirs = data.test.classNames;
  const ours = m.description.classNames;
  if (theirs && ours && theirs.join('\n') !== ours.join('\n')) {
    throw new DataError(o.data ?? data.origin, `its classes (${theirs.join(', ')}) are not the model's (${ours.join(', ')})`);
  }
  const net = await createNetwork(m.description, { backend: o.backend, batch: 500, threads: o.threads });
  try {
    net.setParams(m.params);
    const e = evaluate(net, data.test, range(data.test.count), norm, 500);
    const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
    say(`${o.model} on ${data.test.count} test images from ${data.origin}:`);
    say(`  test error ${(100 * e.error).toFixed(2)} % (${Math.round(e.error * e.count)} wrong), loss ${e.loss.toFixed(5)}`);
    if (o.confusion) {
      // rows carry the class names (when the model has them); columns their numbers
      const names = m.description.classNames;
      const label = (r: number): string => (names ? `${String(r).padStart(3)} ${names[r].slice(0, 12).padEnd(12)}` : String(r).padStart(3));
      const indent = names ? 17 : 5;
      say('  confusion matrix (rows: true class, columns: predicted):');
      say(`${' '.repeat(indent + 2)}${Array.from({ length: classes }, (_, k) => String(k).padStart(5)).join('')}`);
      for (let r = 0; r < classes; r++) {
        say(`  ${label(r)}  ${Array.from(e.confusion.subarray(r * classes, (r + 1) * classes), (v) => String(v).padStart(5)).join('')}`);
      }
    }
    if (o.json) process.stdout.write(`${JSON.stringify({ testError: e.error, loss: e.loss, count: e.count })}\n`);
    return 0;
  } finally {
    await net.dispose();
  }
}
