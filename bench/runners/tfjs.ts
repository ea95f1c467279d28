// TensorFlow.js 4.22 (@tensorflow/tfjs) on its 'wasm' backend (@tensorflow/tfjs-backend-wasm, XNNPACK;
// .wasm files read from node_modules, no network) and its 'cpu' backend (plain JavaScript).
//
// The networks are written with tf's core ops, as a TF.js user writes a custom model: conv2d (NHWC,
// cross-correlation, 'same' padding where N2 and N3 pad, strides), avgPool or maxPool, matMul, batch
// normalisation as tf.layers' BatchNormalization computes it (the batch's moments, then tf.batchNorm;
// running averages in non-trainable variables), tf.train.sgd's minimize. Weights are convnotes'
// initial ones: kernels flipped by 180° (convnotes stores them for true convolution), fully connected
// weights reordered from convnotes' [map][row][col] inputs to TF.js's NHWC flattening [row][col][map].
// Colour images are fed channels-last too, from a copy of the pool made once (data.ts channelsLast).
//
// Threads: TF.js turns its multithreaded wasm build off under Node (WASM_HAS_MULTITHREAD_SUPPORT is
// false there; forcing it fails to start workers from blob: URLs), and the cpu backend has no threads,
// so both run on one thread whatever --threads says.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as TFNamespace from '@tensorflow/tfjs';
import type { ActivationName } from 'convnotes';
import { channelsLast, oneHot } from '../data.js';
import { batchesIn } from '../measure.js';
import type { PortableNet } from '../nets.js';
import type { CreateArgs, SystemNet } from '../system.js';
import { registerWasmFilterGradient } from './tfjs-filter-grad.js';

type TF = typeof TFNamespace;
type Tensor = TFNamespace.Tensor;
type Tensor2D = TFNamespace.Tensor2D;
type Tensor4D = TFNamespace.Tensor4D;

export interface TfjsEnv {
  tf: TF;
  version: string;
  /** Whether the wasm backend started (else the reason). */
  wasm: true | string;
  /** Whether this harness registered Conv2DBackpropFilter for wasm (false: TF.js has its own). */
  registeredFilterGradient: boolean;
}

let envPromise: Promise<TfjsEnv | string> | null = null;

/** Loads TF.js and both backends once; a string says why TF.js is unavailable. */
export function tfjsEnv(): Promise<TfjsEnv | string> {
  envPromise ??= (async () => {
    let tf: TF;
    let wasmModule: typeof import('@tensorflow/tfjs-backend-wasm');
    try {
      tf = ((await import('@tensorflow/tfjs')) as unknown as { default: TF }).default;
      wasmModule = await import('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      return `@tensorflow/tfjs or @tensorflow/tfjs-backend-wasm cannot be loaded (${(e as Error).message}); run npm install`;
    }
    // The .wasm binaries sit beside the package's Node entry point (dist/).
    const require = createRequire(import.meta.url);
    const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    wasmModule.setWasmPaths(join(wasmDir, '/'));
    let wasm: true | string = true;
    try {
      if (!(await tf.setBackend('wasm'))) wasm = 'tf.setBackend("wasm") returned false';
    } catch (e) {
      wasm = `the wasm backend failed to start: ${(e as Error).message}`;
    }
    await tf.setBackend('cpu');
    const registeredFilterGradient = registerWasmFilterGradient(tf);
    return { tf, version: tf.version.tfjs, wasm, registeredFilterGradient };
  })();
  return envPromise;
}

function activate(tf: TF, a: ActivationName, x: Tensor): Tensor {
  switch (a) {
    case 'identity': return x;
    case 'sigmoid': return tf.sigmoid(x);
    case 'tanh': return tf.tanh(x);
    case 'lecun': return tf.mul(tf.tanh(tf.mul(x, 2 / 3)), 1.7159);
    case 'relu': return tf.relu(x);
  }
}

interface Layer {
  /** `training`: a training pass (batch normalisation on the batch's statistics, updating its running
   *  averages), else inference. */
  forward(x: Tensor, training: boolean): Tensor;
}

/** The portable net as TF.js ops over variables initialised from convnotes' parameters: `variables`
 *  are trained, `statistics` (batch normalisation's running averages) only updated by training passes. */
export function buildModel(tf: TF, p: PortableNet, params: Float64Array): { layers: Layer[]; variables: TFNamespace.Variable[]; statistics: TFNamespace.Variable[] } {
  if (params.length !== p.paramCount) throw new Error(`${p.id}: expected ${p.paramCount} parameters, got ${params.length}`);
  const variables: TFNamespace.Variable[] = [];
  const statistics: TFNamespace.Variable[] = [];
  const make = (values: Float32Array, shape: number[], trainable: boolean) => {
    const t = tf.tensor(values, shape);
    const v = tf.variable(t, trainable);
    t.dispose();
    (trainable ? variables : statistics).push(v);
    return v;
  };
  const variable = (values: Float32Array, shape: number[]) => make(values, shape, true);
  const statistic = (values: Float32Array) => make(values, [values.length], false);
  let o = 0;
  const take = (n: number) => {
    const s = params.subarray(o, o + n);
    o += n;
    return s;
  };
  const layers: Layer[] = p.layers.map((l): Layer => {
    switch (l.type) {
      case 'conv': {
        const { inMaps: C, maps: O, kernel: K } = l;
        const k = take(O * C * K * K);
        const f = new Float32Array(K * K * C * O);
        for (let oo = 0; oo < O; oo++) for (let c = 0; c < C; c++) for (let r = 0; r < K; r++) for (let s = 0; s < K; s++) {
          f[((r * K + s) * C + c) * O + oo] = k[((oo * C + c) * K + (K - 1 - r)) * K + (K - 1 - s)];
        }
        const filter = variable(f, [K, K, C, O]);
        const bias = variable(Float32Array.from(take(O)), [O]);
        // 'same' pads (K − 1)/2 on every side only at stride 1 (else TF pads for ⌈n/s⌉ outputs, unevenly); a
        // number pads that much on every side, with ⌊(n + 2P − K)/s⌋ + 1 outputs, as convnotes
        const pad = l.pad === 0 ? 'valid' : 2 * l.pad === K - 1 && l.stride === 1 ? 'same' : l.pad;
        return { forward: (x) => activate(tf, l.activation, tf.add(tf.conv2d(x as Tensor4D, filter as Tensor4D, l.stride, pad), bias)) };
      }
      case 'pool': {
        const n = l.factor;
        const max = l.down === 'max';
        const area = max ? 1 : n * n;
        const beta = l.trainableBeta ? variable(Float32Array.from(take(l.maps)), [l.maps]) : null;
        const scale = l.betaInit * area;
        const bias = l.bias ? variable(Float32Array.from(take(l.maps)), [l.maps]) : null;
        return {
          forward: (x) => {
            // β·(block sum) = (β·n²)·(block mean), β·(block max) as it is; a trainable β stays β (so its
            // gradient, and the SGD step, are convnotes' ∂E/∂β).
            let y: Tensor = max ? tf.maxPool(x as Tensor4D, n, n, 'valid') : tf.avgPool(x as Tensor4D, n, n, 'valid');
            if (beta) y = tf.mul(y, tf.mul(beta, area));
            else if (scale !== 1) y = tf.mul(y, scale);
            if (bias) y = tf.add(y, bias);
            return activate(tf, l.activation, y);
          },
        };
      }
      case 'full': {
        const [M, H, W] = l.inShape;
        const I = M * H * W;
        const U = l.units;
        const w = take(U * I);
        const wt = new Float32Array(I * U);
        for (let u = 0; u < U; u++) for (let m = 0; m < M; m++) for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
          wt[((r * W + c) * M + m) * U + u] = w[u * I + (m * H + r) * W + c];
        }
        const weights = variable(wt, [I, U]);
        const bias = variable(Float32Array.from(take(U)), [U]);
        return {
          forward: (x) => activate(tf, l.activation, tf.add(tf.matMul(tf.reshape(x, [x.shape[0], I]) as Tensor2D, weights as Tensor2D), bias)),
        };
      }
      case 'batchnorm': {
        const C = l.maps;
        const scale = variable(Float32Array.from(take(C)), [C]);
        const shift = variable(Float32Array.from(take(C)), [C]);
        // statistics, not parameters: outside `variables`, so minimize() leaves them alone
        const runningMean = statistic(Float32Array.from(take(C)));
        const runningVar = statistic(Float32Array.from(take(C)));
        const m = l.momentum;
        return {
          forward: (x, training) => {
            if (!training) return activate(tf, l.activation, tf.batchNorm(x, runningMean, runningVar, shift, scale, l.epsilon));
            // μ and the biased σ² of the batch (the gradient flows through both); the channel is the last
            // axis in NHWC and in a flat [batch][units]. Over maps, each image's mean over its pixels, then
            // the batch's mean of those: the same statistics as tf.moments(x, [0, 1, 2]), but the wasm
            // backend's Mean adds a channel's B·h·w values one by one in float32, which puts N3's C1 σ²
            // off by 4·10⁻⁴ relative and the check's second loss by 3·10⁻⁴ (in two stages: 5·10⁻⁶).
            const meanOf = (t: Tensor) => (l.spatial ? tf.mean(tf.mean(t, [1, 2]), 0) : tf.mean(t, 0));
            const mean = meanOf(x);
            // (x − μ)² by sub and square: squaredDifference's gradient does not sum over broadcast axes
            const variance = meanOf(tf.square(tf.sub(x, mean)));
            // the running averages take σ²·N/(N − 1), N = the values a channel has in the batch
            const N = x.size / C;
            tf.tidy(() => {
              runningMean.assign(tf.add(tf.mul(runningMean, 1 - m), tf.mul(mean, m)));
              runningVar.assign(tf.add(tf.mul(runningVar, 1 - m), tf.mul(variance, (m * N) / (N - 1))));
            });
            return activate(tf, l.activation, tf.batchNorm(x, mean, variance, shift, scale, l.epsilon));
          },
        };
      }
    }
  });
  return { layers, variables, statistics };
}

export interface TfjsSystemNet extends SystemNet {
  backend: 'wasm' | 'cpu';
}

/** A TF.js network on `backend` with convnotes' initial weights. */
export async function createTfjs(env: TfjsEnv, backend: 'wasm' | 'cpu', p: PortableNet, { net, params, pool }: CreateArgs): Promise<TfjsSystemNet> {
  const { tf } = env;
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} is not available`);
  const { layers, variables, statistics } = buildModel(tf, p, params);
  const [C, H, W] = p.input;
  if (C !== pool.channels || H !== pool.side || W !== pool.side) throw new Error(`${p.id}: the net takes ${p.input.join('×')} input, the pool holds ${pool.channels}×${pool.side}×${pool.side} images`);
  // NHWC, as TF.js's conv2d wants it (for one channel, the pool itself)
  const images = channelsLast(pool);
  const size = C * H * W;
  const targets = oneHot(pool.labels, p.classes, p.targets[0], p.targets[1]);
  const opt = tf.train.sgd(net.rate);
  const forward = (x: Tensor, training: boolean): Tensor2D => layers.reduce((a, l) => l.forward(a, training), x) as Tensor2D;
  const lossOf = (y: Tensor2D, t: Tensor2D, B: number): TFNamespace.Scalar =>
    p.loss === 'mse' ? tf.mul(tf.sum(tf.squaredDifference(y, t)), 0.5 / B) : tf.losses.softmaxCrossEntropy(t, y) as TFNamespace.Scalar;
  const nTrain = batchesIn(pool.count, net.trainBatch);
  const nInfer = batchesIn(pool.count, net.inferBatch);
  const check = () => {
    if (tf.getBackend() !== backend) throw new Error(`TF.js: the current backend is ${tf.getBackend()}, this network's is ${backend}`);
  };
  return {
    backend,
    train(i) {
      check();
      const B = net.trainBatch;
      const b = (i % nTrain) * B;
      const cost = tf.tidy(() => opt.minimize(() => {
        const x = tf.tensor4d(images.subarray(b * size, (b + B) * size), [B, H, W, C]);
        const t = tf.tensor2d(targets.subarray(b * p.classes, (b + B) * p.classes), [B, p.classes]);
        return lossOf(forward(x, true), t, B);
      }, true, variables)!);
      const v = cost.dataSync()[0];
      cost.dispose();
      return v;
    },
    infer(i) {
      check();
      const B = net.inferBatch;
      const b = (i % nInfer) * B;
      const y = tf.tidy(() => forward(tf.tensor4d(images.subarray(b * size, (b + B) * size), [B, H, W, C]), false));
      y.dataSync();
      y.dispose();
    },
    dispose() {
      opt.dispose();
      for (const v of [...variables, ...statistics]) v.dispose();
    },
  };
}
