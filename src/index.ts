// convnotes: convolutional networks exactly as derived in Bouvrie's "Notes on Convolutional Neural
// Networks". The library's public entry point (Node and browsers); what reads and writes files is in
// `convnotes/node` (src/node.ts).

export { Network, type NetworkOptions } from './network/network.js';
export {
  resolveDescription, DescriptionError, shapeSize,
  type NetworkDescription, type ResolvedDescription, type LayerDescription, type Shape,
  type ConvDescription, type CombinationDescription, type SubsampleDescription, type FullDescription,
  type ActivationName, type LossName, type PenaltySpec, type InitSpec,
} from './network/description.js';
export { compileConnections, inputSets, LENET5_C3, type Connections, type ConnectionSpec } from './network/connections.js';
export { gradientCheck, relativeError, centralDifference, extrapolatedDifference, type GradCheckOptions, type GradCheckResult, type GradCheckGroup } from './network/gradcheck.js';
export { lossAndGradient, classScores, predictClass, classCount, type Labels } from './network/loss.js';
export { Rng } from './util/rng.js';
export { Act, type Kernels, type Vec } from './kernels/kernels.js';
export { referenceKernels } from './kernels/reference.js';
export type { Layer, ParamView, ParamKind, ParamSpec } from './layers/layer.js';
export { ConvLayer } from './layers/conv.js';
export { CombinationLayer, softmaxRows } from './layers/combination.js';
export { SubsampleLayer } from './layers/subsample.js';
export { FullLayer } from './layers/full.js';
export { builtinNetwork, builtinNetworks, bouvrie, dlt, lenet5, learned } from './recipes/builtin.js';
export { summary } from './network/summary.js';
export { VERSION } from './version.js';
export { exportOnnx, checkOnnxModel, ONNX_OPSET, ONNX_INPUT, ONNX_OUTPUT, type ExportOptions } from './onnx/export.js';
export { createNetwork, ReferenceNetwork, wasmSimdSupported, type BackendName, type BackendOptions, type TrainableNetwork } from './network/backend.js';
export { FastNetwork, createFastNetwork, type FastNetworkOptions } from './wasm/engine.js';
export { algorithmName, chooseConvAlgorithm, winogradTiles, type ConvAlgorithm, type ConvShape } from './wasm/conv-algorithm.js';
export type { AlgorithmChoice } from './wasm/plan.js';
// Model files (docs/MODEL-FORMAT.md). saveModel/loadModel use node:fs: they are in `convnotes/node`
// (src/node.ts), outside this browser-safe entry point, like the data/ loaders and checkpoints.
export { ModelFileError } from './model/errors.js';
export {
  encodeSafetensors, decodeSafetensors, MAX_HEADER_BYTES, type Dtype, type Tensor, type TensorData, type Safetensors,
} from './model/safetensors.js';
export {
  encodeModel, decodeModel, MODEL_FORMAT, MODEL_VERSION, STATE_PREFIX,
  type ModelFile, type LoadedModel, type ParamArray, type FloatDtype,
} from './model/model-file.js';
export { paramViews, paramCount } from './model/views.js';
// Recipes, training, evaluation and data (all browser-safe: the node:fs loaders, data/files.ts and
// data/bundled.ts, model/model-io.ts and train/checkpoint.ts are in `convnotes/node`).
export {
  builtinRecipes, builtinRecipe, resolveRecipe, recipeToJson, scheduledRate, rateFactor, RecipeError,
  type Recipe, type TrainingSpec, type RateStage, type SdlmSpec, type OptimizerSpec, type WarmupSpec, type AnnealSpec, type NormalisationName,
} from './recipes/recipe.js';
export {
  train, Trainer, trainingCapacity, createTrainingNetwork, normalisation, initialState, estimateCurvature, DivergenceError,
  type EpochLog, type TrainingState, type Progress, type TrainerOptions,
} from './train/trainer.js';
export { evaluate, argmax, range, type Evaluable, type Evaluation } from './train/evaluate.js';
// A recipe fitted to the data it trains on (its channels, size, classes and names; each change noted), and
// per-channel standardisation measured on the training set: what `convnotes train` and the playground do.
export { fitRecipe, withStatistics, type DataShape } from './recipes/fit.js';
// What a network says about patterns, as `convnotes predict` prints it and the ONNX graph outputs it:
// classes, scores, and a cross-entropy network's probabilities (forward gives its logits).
export { predict, probabilities, type Predictions } from './network/predict.js';
// The error every public function throws for an argument that is not what it takes (`path: expected …, got …`).
export { ArgumentError } from './util/validate.js';
// §4.1–4.2 the one float64 update (per-weight rates, momentum, decay; SDLM's rates are rates): what the
// reference's update() and trainStep run. (sgdStep and sgdStepPerLayer, two more copies of it, are
// removed: a backend's trainStep, or update() with its `rates` set per layer, does what they did.)
export { applyUpdate, type AdamSettings } from './train/update.js';
export { parseIdx, DataError, type IdxArray } from './data/idx.js';
export { datasetFromIdx, fillBatch, UNIT, LECUN, IDX_FILES, channelsOf, classesOf, headOf, limitOf, type Dataset, type Normalisation } from './data/dataset.js';
// CIFAR-10 batch bytes as a dataset; the one resize rule of image folders (bilinear at pixel centres).
export { parseCifar10, CIFAR10_CLASSES } from './data/cifar.js';
export { resizeBilinear } from './data/resize.js';
// Class folders of images as datasets, the rules on decoded pixels (docs/DATA.md, "Image folders"): the layout of a
// folder tree or a list of paths, grey or colour, one size, a picture for a model's input; and a PNG's or JPEG's
// structure walked before any decoder runs. What `convnotes/node`'s image-folder reader and the playground share.
export {
  imageSetLayout, pathLister, imageSetRoot, rgbaIsGrey, rgbaToPlanes, imagePlanes, commonSize, packImageSet, imageSetDatasets,
  imageSetFromRgba, pictureDataset, byCodePoint, SPLITS, MAX_CLASSES,
  type SplitName, type FolderEntry, type FolderLister, type LayoutFile, type ImageSetLayout, type ImagePlanes, type ImageSetOptions,
  type SetImage, type PackedImageSet, type RgbaSetImage,
} from './data/image-set.js';
export { imageHeader, MAX_PIXELS, type ImageHeader } from './data/image-header.js';
// A zip archive's entries (stored and deflate; the playground reads a dropped .zip of class folders with it).
export { readZip, crc32, MAX_ENTRY_BYTES, type ZipEntry } from './data/zip.js';
// A picture of a digit (a decoded PNG, a canvas) as an MNIST digit: the one preprocessing of `predict --png` and the playground.
export { mnistDigit, mnistDigitFromRgba, greyFromRgba, DIGIT_SIZE, DIGIT_BOX } from './data/images.js';
export {
  Augmenter, fillDistortedBatch, smoothingRadius, type AugmentSpec, type ElasticSpec, type AffineSpec,
} from './data/augment.js';
