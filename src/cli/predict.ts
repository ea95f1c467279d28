// `convnotes predict`: classifies images with a model file, from an IDX image file or a PNG.
//
// A PNG is made into an MNIST digit by the library (data/images.ts: the same function as the
// playground's drawing), then placed and normalised by fillBatch exactly as IDX images are.

import { createNetwork, type BackendName } from '../network/backend.js';
import { LECUN, UNIT, type Dataset } from '../data/dataset.js';
import { readIdx } from '../data/files.js';
import { pngDigitDataset } from '../data/png.js';
import { assertFiniteParams } from '../model/finite.js';
import { loadModel } from '../model/model-io.js';
import { predictImages, type ImagePrediction } from '../network/predict.js';
import { resolveRecipe } from '../recipes/recipe.js';
import { CliError } from './errors.js';

export interface PredictOptions {
  model: string;
  input?: string;
  index?: number;
  count?: number;
  png?: string;
  backend: BackendName;
  threads?: number;
  json: boolean;
}

export async function runPredict(o: PredictOptions): Promise<number> {
  if ((o.input === undefined) === (o.png === undefined)) throw new CliError('predict: give either --input FILE.idx[.gz] or --png FILE.png');
  if (o.png !== undefined && (o.index !== undefined || o.count !== undefined)) throw new CliError('predict: --index and --count go with --input, not --png');
  const m = loadModel(o.model);
  assertFiniteParams(o.model, m.description, m.params);
  const normalise = m.recipe ? resolveRecipe(m.recipe).normalise : 'unit';
  const d = m.description;

  let data: Dataset;
  let indices: number[];
  if (o.input !== undefined) {
    const idx = readIdx(o.input, 3);
    const [n, rows, cols] = idx.dims;
    const first = o.index ?? 0;
    const count = o.count ?? 1;
    if (first + count > n) {
      throw new CliError(`${o.input}: holds ${n} images; --index ${first} --count ${count} asks for images ${first}–${first + count - 1}`);
    }
    data = { images: idx.data, labels: new Uint8Array(n), count: n, rows, cols, source: o.input };
    indices = Array.from({ length: count }, (_, k) => first + k);
  } else {
    data = pngDigitDataset(o.png!);
    indices = [0];
  }

  const net = await createNetwork(d, { backend: o.backend, batch: Math.min(indices.length, 500), threads: o.threads });
  let predictions: ImagePrediction[];
  try {
    net.setParams(m.params);
    // the library's predict over the images: class scores (the outputs, or −½‖y − code‖² for a network
    // with class codes) and, for cross-entropy, their softmax
    predictions = predictImages(net, data, indices, normalise === 'lecun' ? LECUN : UNIT);
  } finally {
    await net.dispose();
  }

  const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
  say(`${o.model} on ${o.input ?? o.png}:`);
  for (const p of predictions) {
    const shown = (p.probabilities ?? p.scores).map((v) => v.toFixed(3)).join(' ');
    say(`  ${o.input !== undefined ? `image ${String(p.index).padStart(5)}` : 'image'}  class ${p.class}  ${p.probabilities ? 'probabilities' : 'scores'} ${shown}`);
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ predictions })}\n`);
  return 0;
}
