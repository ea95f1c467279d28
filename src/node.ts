// convnotes/node: the parts of the library that read and write files (node:fs), kept out of the
// browser-safe entry point `convnotes` (src/index.ts). Use both together:
//
//   import { createNetwork, train, builtinRecipe } from 'convnotes';
//   import { loadBundledDigits, saveModel, loadModel } from 'convnotes/node';

// IDX datasets on disk: a folder holding the four standard file names, gzipped or not, of any size and class count.
export { loadSplit, readIdx, defaultDataDir, holdsIdxSet, cacheDir, IDX_PATHS_HINT } from './data/files.js';
// The 10,000 MNIST digits the package ships (data/digits/); a data folder of any kind (docs/DATA.md).
export {
  loadBundledDigits, loadTrainingData, loadDataFolder, dataKind, BUNDLED_DIR, BUNDLED_SOURCE,
  type LoadedData, type DataKind, type DataFolder, type DataFolderOptions,
} from './data/bundled.js';
// Class folders of PNG and JPEG images (cached once decoded), and the decoding itself.
export { loadImageFolder, MAX_CLASSES, type ImageFolderOptions, type ImageFolderData } from './data/image-folder.js';
export { decodeImage, rgbaIsGrey, rgbaToPlanes, MAX_PIXELS, type DecodedImage } from './data/decode.js';
// CIFAR-10's binary batches from a folder.
export { loadCifar10, holdsCifar10 } from './data/cifar-files.js';
// A PNG file of a digit: its RGBA pixels, or its MNIST digit as a one-image dataset (data/images.ts).
export { readPng, pngDigitDataset } from './data/png.js';
// MNIST and Fashion-MNIST from their public mirrors, MD5-checked.
export { downloadDataset, DATASETS, DownloadError, type DownloadOptions, type DatasetSource, type Fetch } from './data/download.js';
// Model files (docs/MODEL-FORMAT.md), written atomically.
export { saveModel, loadModel } from './model/model-io.js';
// Checkpoints: a model file with its recipe and training state, to resume training exactly.
export { saveCheckpoint, loadCheckpoint, restoreCheckpoint, type Checkpoint } from './train/checkpoint.js';
