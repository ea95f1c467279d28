// Messages between the page (main.ts) and its training worker (worker.ts).

/** A file as read by the page: its name (for messages and to tell the four MNIST files apart) and bytes, gzipped or not. */
export interface FileBytes {
  name: string;
  bytes: ArrayBuffer;
}

export type ToWorker =
  | { type: 'configure'; recipe: string; threads: number }
  | { type: 'data'; files: FileBytes[]; limit: number; testLimit: number }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'reset' }
  | { type: 'select'; index: number }
  | { type: 'predict'; id: number; grey: Float32Array }
  | { type: 'predictTest'; id: number; count: number }
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
  /** The chosen test image and its label, and every layer's output maps for it. */
  image: { index: number; label: number; rows: number; cols: number; pixels: Uint8Array } | null;
  maps: { layer: string; maps: number; rows: number; cols: number; values: Float32Array }[];
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
  | { type: 'ready'; backend: string; threads: number; notice: string | null; relaxedSimd: boolean; recipe: string; name: string; params: number; batch: number; epochs: number; seed: number; distortions: boolean }
  | { type: 'data'; train: number; test: number; source: string }
  | { type: 'state'; running: boolean; done: boolean }
  | { type: 'progress'; step: number; epoch: number; epochs: number; images: number; loss: number; imagesPerSecond: number; point: Point | null }
  | { type: 'inspect'; inspection: Inspection }
  | { type: 'prediction'; id: number; scores: number[]; classIndex: number; grey: Float32Array }
  | { type: 'testPredictions'; id: number; classes: number[]; scores: number[][] }
  | { type: 'saved'; id: number; bytes: ArrayBuffer; name: string }
  | { type: 'loaded'; recipe: string; name: string }
  | { type: 'error'; where: 'recipe' | 'data' | 'model' | 'training' | 'worker'; message: string; path?: string; id?: number };
