// jax-js (@jax-js/jax, JAX's API in JavaScript) on its 'wasm' device: the library traces array programs
// and compiles them into WebAssembly kernels of its own.
//
// The networks are written as a jax-js user writes a JAX model: a pure function of a list of parameter
// arrays, lax.convGeneralDilated (NCHW input, OIHW kernels, cross-correlation; explicit padding and
// strides), pooling by reshaping each map into n×n blocks and summing (mean: β·sum) or taking the
// maximum over them, matmul, nn.logSoftmax; one training step — valueAndGrad of the loss and the plain
// SGD update p − rate·∂E/∂p — is one jit-compiled function, and inference a jit-compiled forward pass.
// jax-js is channels-first like convnotes, so the images are fed as the pool holds them and fully
// connected weights keep convnotes' [map][row][col] input order (stored transposed, [inputs][units], for
// x·W); kernels are flipped by 180° (convnotes stores them for true convolution).
//
// Memory: jax-js counts references (every function takes ownership of the arrays passed to it, `.ref`
// keeps one; dataSync() releases its array), so the runner hands the step the parameters it owns and
// keeps the updated ones it returns.
//
// Threads: the wasm device starts workers only where SharedArrayBuffer and a global Worker exist; Node 20
// has no global Worker, so it runs on one thread whatever --threads says.

import type * as JaxNamespace from '@jax-js/jax';
import type { ActivationName } from 'convnotes';
import { oneHot } from '../data.js';
import { batchesIn } from '../measure.js';
import type { BenchNet, NetId, PortableNet } from '../nets.js';
import type { CreateArgs, SystemNet } from '../system.js';

type Jax = typeof JaxNamespace;
type Arr = JaxNamespace.numpy.Array;

export interface JaxEnv {
  jax: Jax;
  version: string;
}

let envPromise: Promise<JaxEnv | string> | null = null;

/** Loads jax-js and starts its wasm device once; a string says why jax-js is unavailable. */
export function jaxEnv(): Promise<JaxEnv | string> {
  envPromise ??= (async () => {
    let jax: Jax;
    try {
      jax = await import('@jax-js/jax');
    } catch (e) {
      return `@jax-js/jax cannot be loaded (${(e as Error).message}); run npm install`;
    }
    try {
      // init() with no argument also looks for WebGPU (navigator.gpu), which Node 20 does not have
      const started = await jax.init('wasm');
      if (!started.includes('wasm')) return `jax-js: init('wasm') did not start the wasm device (started: ${started.join(', ') || 'none'})`;
      jax.defaultDevice('wasm');
    } catch (e) {
      return `jax-js: the wasm device failed to start: ${(e as Error).message}`;
    }
    let version = 'unknown';
    try {
      const { createRequire } = await import('node:module');
      const { readFileSync } = await import('node:fs');
      const { dirname, join } = await import('node:path');
      const require = createRequire(import.meta.url);
      // the package's exports do not list package.json: find it beside the entry point (dist/)
      const main = require.resolve('@jax-js/jax');
      version = (JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // keep 'unknown'
    }
    return { jax, version };
  })();
  return envPromise;
}

/** Why jax-js does not build this portable net, or null when it does. */
export function jaxUnsupported(p: PortableNet): string | null {
  for (const l of p.layers) {
    if (l.type === 'batchnorm') return 'batch normalisation is not built for jax-js';
  }
  return null;
}

/** The nets the harness runs jax-js on (each checked against the reference): N1, N2 and the colour nets
 *  up to 3×32×32. At 3×64×64 and 3×128×128 one of its training steps takes seconds to minutes (about
 *  85× convnotes' time on N1), more than a measurement's window; bouvrie (trainable β) would build too. */
export const JAX_NETS: readonly NetId[] = ['N1', 'N2', 'L28', 'L32', 'C32'];

/** Why the harness does not run jax-js on this net, or null when it does. */
export function jaxNetReason(net: BenchNet, p: PortableNet): string | null {
  return jaxUnsupported(p) ?? (JAX_NETS.includes(net.id) ? null : `not built for this net (jax-js runs ${JAX_NETS.join(', ')})`);
}

export const JAX_NOTE = 'jax-js runs on one thread in Node (its wasm device starts workers only where a global Worker exists, which Node 20 lacks): its one figure is compared with convnotes at every thread count. Its training step (valueAndGrad + SGD) and its forward pass are jit-compiled; the compilation happens in the warm-up.';

type Params = Arr[];

/** A JaxNet on jax-js's wasm device with convnotes' initial weights. */
export function createJax(env: JaxEnv, p: PortableNet, { net, params, pool }: CreateArgs): SystemNet {
  const { jax } = env;
  const np = jax.numpy;
  const unsupported = jaxUnsupported(p);
  if (unsupported) throw new Error(`${p.id}: ${unsupported}`);
  if (params.length !== p.paramCount) throw new Error(`${p.id}: expected ${p.paramCount} parameters, got ${params.length}`);
  const [C, H, W] = p.input;
  if (C !== pool.channels || H !== pool.side || W !== pool.side) throw new Error(`${p.id}: the net takes ${p.input.join('×')} input, the pool holds ${pool.channels}×${pool.side}×${pool.side} images`);

  // ---- Parameters: convnotes' initial ones, as float32 arrays in jax-js's layouts.
  const initial: Params = [];
  let o = 0;
  const take = (n: number) => {
    const s = params.subarray(o, o + n);
    o += n;
    return s;
  };
  const param = (values: Float32Array, shape: number[]) => {
    initial.push(np.array(values, { shape, dtype: np.float32 }));
    return initial.length - 1;
  };
  const activate = (a: ActivationName, x: Arr): Arr => {
    switch (a) {
      case 'identity': return x;
      case 'sigmoid': return jax.nn.sigmoid(x);
      case 'tanh': return np.tanh(x);
      case 'lecun': return np.tanh(x.mul(2 / 3)).mul(1.7159);
      case 'relu': return jax.nn.relu(x);
    }
  };
  /** Each layer: a function of the parameter list (which it reads with .ref) and its input (consumed). */
  const layers = p.layers.map((l): ((ps: Params, x: Arr) => Arr) => {
    switch (l.type) {
      case 'conv': {
        const { inMaps: I, maps: O, kernel: K, pad: P, stride: S } = l;
        const k = take(O * I * K * K);
        const f = new Float32Array(O * I * K * K);
        // OIHW for cross-correlation: the true-convolution kernel turned by 180°
        for (let m = 0; m < O * I; m++) for (let r = 0; r < K; r++) for (let s = 0; s < K; s++) {
          f[(m * K + r) * K + s] = k[(m * K + (K - 1 - r)) * K + (K - 1 - s)];
        }
        const w = param(f, [O, I, K, K]);
        const b = param(Float32Array.from(take(O)), [O, 1, 1]);
        const padding: [number, number][] = [[P, P], [P, P]];
        return (ps, x) => activate(l.activation, jax.lax.convGeneralDilated(x, ps[w].ref, [S, S], padding).add(ps[b].ref));
      }
      case 'pool': {
        const n = l.factor;
        const beta = l.trainableBeta ? param(Float32Array.from(take(l.maps)), [l.maps, 1, 1]) : null;
        const bias = l.bias ? param(Float32Array.from(take(l.maps)), [l.maps, 1, 1]) : null;
        return (ps, x) => {
          const [B, M, h, wd] = x.shape;
          // each map as (h/n)×n rows by (w/n)×n columns: the n×n blocks' sum or maximum over axes 3 and 5
          const blocks = x.reshape([B, M, h / n, n, wd / n, n]);
          let y = l.down === 'max' ? np.max(blocks, [3, 5]) : np.sum(blocks, [3, 5]);
          if (beta !== null) y = y.mul(ps[beta].ref);
          else if (l.betaInit !== 1) y = y.mul(l.betaInit);
          if (bias !== null) y = y.add(ps[bias].ref);
          return activate(l.activation, y);
        };
      }
      case 'full': {
        const [M, h, wd] = l.inShape;
        const I = M * h * wd;
        const U = l.units;
        const w = take(U * I);
        const wt = new Float32Array(I * U);
        for (let u = 0; u < U; u++) for (let i = 0; i < I; i++) wt[i * U + u] = w[u * I + i];
        const weights = param(wt, [I, U]);
        const bias = param(Float32Array.from(take(U)), [U]);
        return (ps, x) => activate(l.activation, np.matmul(x.reshape([x.shape[0], I]), ps[weights].ref).add(ps[bias].ref));
      }
      case 'batchnorm':
        throw new Error('unreachable: batch normalisation');
    }
  });

  /** The network's output [B][classes]; consumes `ps` and `x`. */
  const forward = (ps: Params, x: Arr): Arr => {
    const y = layers.reduce((a, layer) => layer(ps, a), x);
    jax.tree.dispose(ps);
    return y;
  };
  /** The batch's loss as convnotes computes it: ½·Σ(y − t)²/B, or −Σ t·log softmax(y)/B. */
  const loss = (ps: Params, x: Arr, t: Arr): Arr => {
    const B = x.shape[0];
    const y = forward(ps, x);
    if (p.loss === 'mse') return np.sum(np.square(y.sub(t))).mul(0.5 / B);
    return np.sum(t.mul(jax.nn.logSoftmax(y, -1))).mul(-1 / B);
  };
  const rate = net.rate;
  const trainStep = jax.jit((ps: Params, x: Arr, t: Arr): [Arr, Params] => {
    const [value, grads] = jax.valueAndGrad(loss)(jax.tree.ref(ps), x, t);
    const updated = ps.map((q, i) => q.sub(grads[i].mul(rate)));
    return [value, updated];
  });
  const inferStep = jax.jit((ps: Params, x: Arr): Arr => forward(ps, x));

  const size = C * H * W;
  const targets = oneHot(pool.labels, p.classes, p.targets[0], p.targets[1]);
  const nTrain = batchesIn(pool.count, net.trainBatch);
  const nInfer = batchesIn(pool.count, net.inferBatch);
  let ps: Params = initial;
  const images = (b: number, B: number) => np.array(pool.images.subarray(b * size, (b + B) * size), { shape: [B, C, H, W], dtype: np.float32 });
  return {
    train(i) {
      const B = net.trainBatch;
      const b = (i % nTrain) * B;
      const t = np.array(targets.subarray(b * p.classes, (b + B) * p.classes), { shape: [B, p.classes], dtype: np.float32 });
      const [value, updated] = trainStep(ps, images(b, B), t);
      ps = updated;
      return value.dataSync()[0];
    },
    infer(i) {
      const B = net.inferBatch;
      const b = (i % nInfer) * B;
      inferStep(jax.tree.ref(ps), images(b, B)).dataSync();
    },
    dispose() {
      jax.tree.dispose(ps);
      ps = [];
      trainStep.dispose();
      inferStep.dispose();
    },
  };
}
