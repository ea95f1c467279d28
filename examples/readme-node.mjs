import { builtinRecipe, createNetwork, fillBatch, normalisation, predict, range, train } from 'convnotes';
import { loadBundledDigits, loadModel, saveModel } from 'convnotes/node';

const recipe = builtinRecipe('simard');          // Simard et al.'s network, elastic distortions
recipe.training.epochs = 1;                      // of its 40: a few seconds
const { train: digits, test } = loadBundledDigits();
const net = await createNetwork(recipe.network, { batch: 50 });
await train({ net, recipe, train: digits, test, seed: 1, evalTrain: 0 });
saveModel('simard.safetensors', { description: net.description, params: net.params, views: net.views });
await net.dispose();

// later, or elsewhere: the model file back, and the classes of the first ten test digits
const model = loadModel('simard.safetensors');
const again = await createNetwork(model.description, { batch: 10 });
again.setParams(model.params);
const [, height, width] = model.description.input;
const x = new Float32Array(10 * height * width);
fillBatch(test, range(10), 0, 10, height, width, normalisation(recipe), x, new Uint8Array(10));
const p = predict(again, x, 10);                 // classes, scores, probabilities
console.log('predicted', Array.from(p.classes).join(' '));
console.log('labels   ', Array.from(test.labels.subarray(0, 10)).join(' '));
await again.dispose();
