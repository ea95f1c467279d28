// `convnotes export --model FILE --onnx OUT.onnx`: a model file as a standard ONNX graph (src/onnx/export.ts),
// written to a temporary name and renamed.

import { resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { assertFiniteParams } from '../model/finite.js';
import { loadModel } from '../model/model-io.js';
import { checkOnnxModel, exportOnnx, ONNX_OPSET } from '../onnx/export.js';
import { CliError } from './errors.js';
import { UNIT } from '../data/dataset.js';
import { resolveRecipe } from '../recipes/recipe.js';
import { normalisation } from '../train/trainer.js';

export function runExport(o: { model: string; onnx: string; levels?: boolean; json: boolean }): number {
  const m = loadModel(o.model);
  assertFiniteParams(o.model, m.description, m.params);
  // --levels: the model's own normalisation (its recipe's; a bare model file's inputs are in [0, 1])
  const norm = o.levels ? (m.recipe ? normalisation(resolveRecipe(m.recipe)) : UNIT) : undefined;
  const bytes = exportOnnx(m.description, m.params, { doc: `${m.description.name}, exported by convnotes from ${o.model}`, normalisation: norm });
  const problems = checkOnnxModel(bytes);
  if (problems.length) throw new Error(`the exported graph breaks ONNX's rules (a convnotes bug): ${problems.join('; ')}`);
  const out = resolve(o.onnx);
  try {
    writeFileAtomic(out, bytes);
  } catch (e) {
    throw new CliError(`${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
  say(`${o.model} → ${out}: ONNX opset ${ONNX_OPSET}, ${bytes.length} bytes, input "input" [batch, ${m.description.input.join(', ')}]${norm ? ' (levels 0–255)' : ''}, output "output"`);
  if (o.json) process.stdout.write(`${JSON.stringify({ onnx: out, bytes: bytes.length, opset: ONNX_OPSET })}\n`);
  return 0;
}
