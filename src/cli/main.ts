#!/usr/bin/env node
// The `convnotes` command line.
import { VERSION } from '../version.js';
import { Command, Option } from 'commander';
import { builtinNetwork, builtinNetworks } from '../recipes/builtin.js';
import { runDemo } from './demo.js';
import { runDownload } from './download.js';
import { runInspect } from './inspect.js';
import { runPredict } from './predict.js';
import { CliError, report } from './errors.js';
import { runAugmentGrid } from './augment-grid.js';
import { runEval } from './eval.js';
import { runExport } from './export.js';
import { runGradcheck } from './gradcheck.js';
import { runTrain } from './train.js';
import { builtinRecipe, builtinRecipes, recipeToJson } from '../recipes/recipe.js';
import { fraction, nonNegativeInt, positiveInt, positiveNumber } from './options.js';


const program = new Command();
program
  .name('convnotes')
  .version(VERSION, '-V, --version', 'print the version of convnotes')
  .description("Convolutional networks exactly as derived in Bouvrie's Notes on Convolutional Neural Networks")
  .option('--verbose', 'print stack traces with errors')
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(`convnotes: ${s.replace(/^error: /, '')}`) })
  .exitOverride();

let exitCode = 0;

const backendOption = () => new Option('--backend <b>', 'kernels: wasm (float32 SIMD, default) or reference (float64)').choices(['wasm', 'reference']).default('wasm');

program
  .command('train')
  .description('train a recipe (§4) on an IDX dataset; writes a model file, checkpointed at every epoch end')
  .option('--recipe <name|file>', `a built-in recipe (${Object.keys(builtinRecipes).join(', ')}) or a JSON recipe or description`, 'bouvrie')
  .option('--data <dir>', 'folder with the four IDX files, CIFAR-10 batches, or train/ and test/ folders of class folders of PNG/JPEG images (docs/DATA.md) (default: $CONVNOTES_DATA, else ~/.cache/convnotes/mnist when it holds them, else the 10,000 digits shipped with convnotes)')
  .addOption(new Option('--on-bad-file <mode>', 'an image file of --data that cannot be decoded: skip it (with a line on stderr) or stop').choices(['skip', 'error']).default('skip'))
  .option('--no-resize', 'refuse images of --data whose size is not the most common one, instead of resizing them')
  .option('--epochs <n>', 'epochs (default: the recipe\'s)', positiveInt)
  .option('--seed <s>', 'seed of the shuffling and sampling', nonNegativeInt, 1)
  .option('--init-seed <s>', 'seed of the network\'s initial weights (default: the recipe\'s network seed)', nonNegativeInt)
  .option('--threads <n>', 'threads for the wasm backend (default: the available cores)', positiveInt)
  .option('--out <file>', 'model file to write (default: <recipe>.safetensors)')
  .option('--resume', 'continue the model file at --out (or the file given to --recipe) from its last epoch end', false)
  .addOption(backendOption())
  .option('--eval-train <n>', 'training images whose error is measured after each epoch (default: all)', nonNegativeInt)
  .option('--limit <n>', 'train on n training images only: the first n, or of a set ordered by class (an image folder) the first of every class in turn', positiveInt)
  .option('--val <fraction>', 'hold this share of the training images out (seeded by --seed) and report their error each epoch', fraction)
  .option('--keep-best', 'write <model>.best.safetensors whenever the validation error (--val or a val/ folder) improves', false)
  .option('--no-progress', 'no progress bar')
  .option('--download', 'with no --data and no data in the default folder, download MNIST into ~/.cache/convnotes/mnist first (if that fails: the 10,000 shipped digits)', false)
  .option('--json', 'end stdout with one line of JSON: {recipe, epochs, trainError, testError, valError, seconds, imagesPerSecond, model}', false)
  .action(async (o) => {
    exitCode = await runTrain(o);
  });

program
  .command('eval')
  .description('error rate, loss and confusion matrix of a model file on the test set')
  .requiredOption('--model <file>', 'a model file written by convnotes train')
  .option('--data <dir>', 'folder with the IDX files (default as for train)')
  .addOption(backendOption())
  .option('--threads <n>', 'threads for the wasm backend', positiveInt)
  .option('--confusion', 'print the confusion matrix', false)
  .option('--json', 'end stdout with one line of JSON: {testError, loss, count}', false)
  .action(async (o) => {
    exitCode = await runEval(o);
  });

program
  .command('export')
  .description('write a model file as a standard ONNX graph (opset 13, symbolic batch), for ONNX Runtime and friends')
  .requiredOption('--model <file>', 'a model file written by convnotes train')
  .requiredOption('--onnx <file>', 'the .onnx file to write')
  .option('--levels', 'the graph takes image levels 0–255 and applies the model\'s input normalisation itself (default: it takes the network\'s input values)', false)
  .option('--json', 'end stdout with one line of JSON: {onnx, bytes, opset}', false)
  .action((o) => {
    exitCode = runExport(o);
  });

program
  .command('recipe')
  .description('print a built-in training recipe as JSON (a template for your own)')
  .argument('<name>', Object.keys(builtinRecipes).join(' | '))
  .action((name: string) => {
    process.stdout.write(`${JSON.stringify(recipeToJson(builtinRecipe(name)), null, 2)}\n`);
  });

program
  .command('gradcheck')
  .description('§4.4: check every gradient of a network against finite differences (float64)')
  .option('--recipe <name|file>', `a built-in network (${Object.keys(builtinNetworks).join(', ')}) or a JSON description`, 'bouvrie')
  .option('--json', 'end with one line of JSON: {"maxRelativeError", "groups": [...]}', false)
  .option('--max-per-group <n>', 'check at most n parameters per group (a seeded sample)', positiveInt, 50)
  .option('--batch <n>', 'patterns in the checked batch (default: 1, or 2 when batch normalisation follows a fully connected layer)', positiveInt)
  .option('--seed <s>', 'seed of the patterns and of the sample', nonNegativeInt, 1)
  .addOption(new Option('--method <m>', 'finite differences').choices(['extrapolated', 'central']).default('extrapolated'))
  .option('--epsilon <h>', 'difference step (first step when extrapolating)', positiveNumber)
  .option('--tolerance <t>', 'exit 1 when the largest relative error is above this', positiveNumber, 1e-6)
  .option('--data <dir>', 'check on real test images from this IDX folder instead of random patterns')
  .action((o) => {
    exitCode = runGradcheck(o);
  });

program
  .command('describe')
  .description('print a built-in network description as JSON (a template for your own)')
  .argument('<name>', Object.keys(builtinNetworks).join(' | '))
  .action((name: string) => {
    if (!Object.hasOwn(builtinNetworks, name)) throw new CliError(`describe ${name}: unknown network, expected one of ${Object.keys(builtinNetworks).join(', ')}`);
    process.stdout.write(`${JSON.stringify(builtinNetwork(name), null, 2)}\n`);
  });

program
  .command('demo')
  .description('build the notes\' network, gradient-check it and train it briefly on real MNIST (npm start)')
  .option('--data <dir>', 'folder with the MNIST IDX files (default: $CONVNOTES_DATA, else ~/.cache/convnotes/mnist when it holds them, else the 10,000 digits shipped with convnotes)')
  .option('--steps <n>', 'training steps', positiveInt, 200)
  .option('--batch <n>', 'patterns per step', positiveInt, 50)
  .option('--rate <r>', 'learning rate', positiveNumber, 1)
  .option('--seed <s>', 'seed', nonNegativeInt, 1)
  .addOption(new Option('--backend <b>', 'kernels that train').choices(['wasm', 'reference']).default('wasm'))
  .option('--threads <n>', 'threads for the wasm backend (default: the available cores)', positiveInt)
  .action(async (o) => {
    exitCode = await runDemo(o);
  });

program
  .command('inspect')
  .description('a model (or a recipe\'s initial network) layer by layer: shapes, parameters, connection tables, learned α, β and b')
  .option('--model <file>', 'a model file written by convnotes train')
  .option('--recipe <name|file>', `a built-in recipe (${Object.keys(builtinRecipes).join(', ')}) or a JSON recipe: its initial network`)
  .option('--json', 'end stdout with one line of JSON: {name, layers: [...], params}', false)
  .option('--augment <name|file>', 'instead: draw a recipe\'s training distortions (data.augment) as a PNG grid into --out')
  .option('--out <file>', 'the PNG for --augment')
  .option('--data <dir>', 'for --augment: the IDX folder (default as for train)')
  .option('--rows <n>', 'for --augment: digits shown', positiveInt, 6)
  .option('--columns <n>', 'for --augment: distortions of each', positiveInt, 8)
  .option('--seed <s>', 'for --augment: seed of the digits and distortions', nonNegativeInt, 1)
  .action(async (o) => {
    exitCode = o.augment !== undefined ? runAugmentGrid(o) : await runInspect(o);
  });

program
  .command('predict')
  .description('classify images with a model file: from an IDX image file, a PNG of a digit, or a picture')
  .requiredOption('--model <file>', 'a model file written by convnotes train')
  .option('--input <file>', 'an IDX image file (.gz or not)')
  .option('--index <n>', 'first image of --input', nonNegativeInt)
  .option('--count <k>', 'images of --input to classify (default 1)', positiveInt)
  .option('--png <file>', 'a PNG image: grey, scaled to 28×28 if larger than the input, inverted if its background is light')
  .option('--image <file>', 'a PNG or JPEG picture in the model\'s channels: centred in the input if it fits, else resized to it')
  .option('--top <k>', 'print the k likeliest classes of each image, with their names and probabilities (scores)', positiveInt)
  .addOption(backendOption())
  .option('--threads <n>', 'threads for the wasm backend', positiveInt)
  .option('--json', 'end stdout with one line of JSON: {predictions: [{index, class, name?, scores, probabilities?, top?}]}', false)
  .action(async (o) => {
    exitCode = await runPredict(o);
  });

program
  .command('download')
  .description('fetch the four IDX files of MNIST or Fashion-MNIST, MD5-checked (mirrors: $CONVNOTES_MIRROR, comma-separated base URLs)')
  .argument('[name]', 'mnist | fashion-mnist', 'mnist')
  .option('--dir <dir>', 'folder to put them in (default: $XDG_CACHE_HOME/convnotes/<name> or ~/.cache/convnotes/<name>)')
  .option('--json', 'end stdout with one line of JSON: {dir, fetched, kept}', false)
  .action(async (name: string, o) => {
    exitCode = await runDownload(name, o);
  });

try {
  await program.parseAsync();
  process.exitCode = exitCode;
} catch (e) {
  const ce = e as { code?: string; exitCode?: number };
  if (typeof ce.code === 'string' && ce.code.startsWith('commander.')) {
    // commander has already printed its message (or help/version, which exit 0).
    process.exitCode = ce.exitCode ?? 1;
  } else {
    process.exitCode = report(e, program.opts().verbose === true);
  }
}
