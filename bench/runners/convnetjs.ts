// ConvNetJS 0.3 (npm `convnetjs`, Karpathy's pure-JavaScript library, float64, one image at a time):
// an extra, approximate row. It has no mean pooling, so its N1 and N2 use 2×2 MAX pooling, and its
// weights are its own random ones; otherwise the layers match (N1: sigmoid convolutions, sigmoid
// outputs, squared error through its regression layer; N2: padded first convolution, tanh, softmax).
// Training is its Trainer (plain SGD, batch_size = the net's batch, no momentum or decay): one step is
// `batch` calls of trainer.train(image, target). Inference is net.forward per image. Input volumes
// are built once, before timing.

import { createRequire } from 'node:module';
import { batchesIn } from '../measure.js';
import type { BenchNet } from '../nets.js';
import type { Pool } from '../data.js';
import type { SystemNet } from '../system.js';

interface Vol { w: Float64Array }
interface Layer { }
interface Net {
  layers: Layer[];
  makeLayers(defs: object[]): void;
  forward(v: Vol, training?: boolean): Vol;
}
interface ConvNetJS {
  Net: new () => Net;
  Vol: new (sx: number, sy: number, depth: number, fill: number) => Vol;
  Trainer: new (net: Net, options: object) => { train(x: Vol, y: number | Float64Array): { loss: number; cost_loss: number } };
  RegressionLayer: new (opt: object) => Layer;
}

export const CONVNETJS_NOTE = 'ConvNetJS 0.3: 2×2 max pooling (it has no mean pooling), its own random weights, float64, one image at a time';

export function loadConvnetjs(): { lib: ConvNetJS; version: string } | string {
  try {
    const require = createRequire(import.meta.url);
    const lib = require('convnetjs') as ConvNetJS;
    const version = (require('convnetjs/package.json') as { version: string }).version;
    return { lib, version };
  } catch (e) {
    return `convnetjs cannot be loaded (${(e as Error).message}); run npm install`;
  }
}

/** At most this many images become ConvNetJS volumes (steps cycle through them). */
const MAX_VOLUMES = 4000;

export function createConvnetjs(lib: ConvNetJS, net: BenchNet, pool: Pool, phase: 'train' | 'infer'): SystemNet {
  const s = pool.side;
  const n = Math.min(pool.count, MAX_VOLUMES);
  const vols: Vol[] = [];
  for (let i = 0; i < n; i++) {
    const v = new lib.Vol(s, s, 1, 0);
    for (let j = 0; j < s * s; j++) v.w[j] = pool.images[i * s * s + j];
    vols.push(v);
  }
  const cnn = new lib.Net();
  let targets: (number | Float64Array)[];
  if (net.id === 'N1') {
    cnn.makeLayers([
      { type: 'input', out_sx: s, out_sy: s, out_depth: 1 },
      { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 0, activation: 'sigmoid' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'conv', sx: 5, filters: 12, stride: 1, pad: 0, activation: 'sigmoid' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'fc', num_neurons: 10, activation: 'sigmoid' },
    ]);
    // Its 'regression' shorthand would add another fc layer; the loss layer alone is ½Σ(y−t)²'s gradient.
    cnn.layers.push(new lib.RegressionLayer({ in_sx: 1, in_sy: 1, in_depth: 10 }));
    targets = Array.from(pool.labels.subarray(0, n), (l) => {
      const t = new Float64Array(10);
      t[l] = 1;
      return t;
    });
  } else if (net.id === 'N2') {
    cnn.makeLayers([
      { type: 'input', out_sx: s, out_sy: s, out_depth: 1 },
      { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'tanh' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'tanh' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'fc', num_neurons: 120, activation: 'tanh' },
      { type: 'fc', num_neurons: 84, activation: 'tanh' },
      { type: 'softmax', num_classes: 10 },
    ]);
    targets = Array.from(pool.labels.subarray(0, n));
  } else {
    throw new Error(`ConvNetJS: no version of ${net.id}`);
  }
  const B = phase === 'train' ? net.trainBatch : net.inferBatch;
  const batches = batchesIn(n, B);
  const trainer = new lib.Trainer(cnn, { method: 'sgd', learning_rate: net.rate, batch_size: net.trainBatch, momentum: 0, l1_decay: 0, l2_decay: 0 });
  return {
    train(i) {
      const b = (i % batches) * B;
      let loss = 0;
      for (let k = b; k < b + B; k++) loss += trainer.train(vols[k], targets[k]).cost_loss;
      return loss / B;
    },
    infer(i) {
      const b = (i % batches) * B;
      for (let k = b; k < b + B; k++) cnn.forward(vols[k], false);
    },
    dispose() {},
  };
}
