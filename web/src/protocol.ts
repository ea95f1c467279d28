// Messages between the page (main.ts) and its training worker (worker.ts).

/** A file as read by the page: its name (for messages and to tell the four MNIST files apart) and bytes, gzipped or not. */
export interface FileBytes {
  name: string;
  bytes: ArrayBuffer;
}

/**
 * A file given to the page (dropped, picked, or fetched from the served folder): its path relative to
 * what was given, '/'-separated (a dropped folder's own name first: "bars/train/red-h/0.png"; a loose
 * file's name alone), and its contents, read in the worker.
 */
export interface DataFile {
  path: string;
  blob: Blob;
}

/** What the page learns of loaded data. */
export interface DataInfo {
  train: number;
  test: number;
  source: string;
  /** 'idx': MNIST-style IDX files; 'images': class folders of pictures (a folder or a zip). */
  kind: 'idx' | 'images';
  channels: number;
  rows: number;
  cols: number;
  /** The data's class names (image folders: the class folders'), null when it has none. */
  classNames: string[] | null;
  classes: number;
  /** Image files looked at and skipped (image folders). */
  files: number;
  skipped: number;
}

export type ToWorker =
  | { type: 'configure'; recipe: string; threads: number }
  | { type: 'data'; files: DataFile[]; limit: number; testLimit: number }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'reset' }
  | { type: 'select'; index: number }
  | { type: 'predict'; id: number; grey: Float32Array }
  | { type: 'predictTest'; id: number; count: number }
  /** A picture to classify (PNG or JPEG): decoded, given the input's channels, centred or resized to it (`predict --image`'s rule). */
  | { type: 'picture'; id: number; name: string; blob: Blob }
  /** Levels of `count` images of a loaded split from `start` (what the page decoded; for tests and scripts). */
  | { type: 'images'; id: number; split: 'train' | 'test'; start: number; count: number }
  | { type: 'save'; id: number }
  | { type: 'load'; name: string; bytes: ArrayBuffer; threads: number };

export interface Point {
  step: number;
  images: number;
  epoch: number;
  loss: number;
  trainError: number | null;
  testError: number | null;
}

/** What the page draws of the network: kernels, the chosen image's maps, α, β, the confusion matrix. */
export interface Inspection {
  /** Per convolution/combination layer: its name and kernels [count][K][K]. */
  kernels: { layer: string; count: number; size: number; values: Float32Array }[];
  /**
   * First-layer kernels of a 3-map input as RGB: per output map (one in all for shared combination
   * kernels), its 3 input-map slices as R, G, B ([count][3][K][K]; 0 where a map is not connected).
   */
  rgbKernels: { layer: string; count: number; size: number; values: Float32Array } | null;
  /** The chosen test image (levels [channels][rows][cols]) and its label, and every layer's output maps for it. */
  image: { index: number; label: number; channels: number; rows: number; cols: number; pixels: Uint8Array } | null;
  /** `rgb`: 3 maps over the input (the network's input, max pooling's routing in it): drawn as one colour image. */
  maps: { layer: string; maps: number; rows: number; cols: number; values: Float32Array; rgb?: boolean }[];
  scores: number[] | null;
  /** α = softmax(c) of each combination layer, [J][I]. */
  alpha: { layer: string; rows: number; cols: number; values: Float32Array }[];
  /** β per map of each subsampling layer that has them. */
  /** Per-map factors: the subsampling β (`what` absent), batch normalisation's γ and β. */
  beta: { layer: string; values: Float32Array; trainable: boolean; what?: string }[];
  confusion: { classes: number; counts: Uint32Array; count: number } | null;
}

export type FromWorker =
  /** `seed`: the trainer's, as `convnotes train --seed`; `distortions`: the recipe's distortions are drawn for every training pattern, as the CLI does. */
  | { type: 'ready'; backend: string; threads: number; notice: string | null; relaxedSimd: boolean; recipe: string; name: string; params: number; batch: number; epochs: number; seed: number; distortions: boolean; input: [number, number, number]; classNames: string[] | null }
  | ({ type: 'data' } & DataInfo)
  /** Lines for the page's log: what reading the data said (skipped files), how the recipe was fitted to it. */
  | { type: 'log'; lines: string[] }
  | { type: 'state'; running: boolean; done: boolean }
  | { type: 'progress'; step: number; epoch: number; epochs: number; images: number; loss: number; imagesPerSecond: number; point: Point | null }
  | { type: 'inspect'; inspection: Inspection }
  | { type: 'prediction'; id: number; scores: number[]; classIndex: number; grey?: Float32Array; picture?: { name: string; channels: number; rows: number; cols: number; levels: Uint8Array } }
  | { type: 'images'; id: number; channels: number; rows: number; cols: number; levels: Uint8Array; labels: number[] }
  | { type: 'testPredictions'; id: number; classes: number[]; scores: number[][] }
  | { type: 'saved'; id: number; bytes: ArrayBuffer; name: string }
  | { type: 'loaded'; recipe: string; name: string }
  | { type: 'error'; where: 'recipe' | 'data' | 'model' | 'training' | 'worker'; message: string; path?: string; id?: number };
