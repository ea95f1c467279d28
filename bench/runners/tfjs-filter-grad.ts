// TF.js's wasm backend (4.22) has no Conv2DBackpropFilter kernel, so as shipped it cannot train a
// convolution ("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"). This registers one
// for it, built from the backend's own ops. The filter gradient is itself a convolution, with the batch
// playing the part of the channels:
//
//   dW[p,q,c,o] = Σ_{n,u,v} xpad[n, p+u·sh, q+v·sw, c] · dy[n,u,v,o]
//               = conv2d(xpadᵀ [C,H,W,N], filter dyᵀ [Ho,Wo,N,O], dilation = stride)[c,p,q,o]
//
// so it is two transposes, one conv2d (the backend's XNNPACK convolution) and a transpose back to
// TF.js's filter layout [KH, KW, C, O]. Padding comes from backend_util.computeConv2DInfo, exactly as
// the cpu backend's kernel computes it. NHWC only (TF.js's conv2d gradient is NHWC only).
// (A first version gathered im2col patches with slice + concat and did one matMul: correct, but
// wasm's Slice and Concat made it ~90% of a training step.) checkFilterGradient() compares the kernel
// with the cpu backend's on random data.

import type * as TFNamespace from '@tensorflow/tfjs';

type TF = typeof TFNamespace;
type Tensor4D = TFNamespace.Tensor4D;

export const FILTER_GRAD_NOTE =
  "tfjs-wasm trains with a Conv2DBackpropFilter kernel registered by this harness (wasm has none), made of the backend's own ops: transpose, conv2d (batch as channels, output gradient as filter), transpose";

/** Registers the kernel for 'wasm' unless one is already there; returns whether it registered it. */
export function registerWasmFilterGradient(tf: TF): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return false;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as unknown as { x: Tensor4D; dy: Tensor4D };
      if (!(x instanceof tf.Tensor) || !(dy instanceof tf.Tensor)) {
        throw new Error('Conv2DBackpropFilter (registered by the benchmark): expected Tensor inputs');
      }
      const a = attrs as unknown as {
        strides: [number, number] | number; pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
        dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number];
      };
      return filterGradient(tf, x, dy, a.filterShape, a.strides, a.pad, a.dataFormat, a.dimRoundingMode);
    },
  });
  return true;
}

function filterGradient(
  tf: TF, x: Tensor4D, dy: Tensor4D, filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]],
  dataFormat: 'NHWC' | 'NCHW', dimRoundingMode?: 'floor' | 'round' | 'ceil',
): Tensor4D {
  if (dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (registered by the benchmark): only NHWC, got ${dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape, filterShape, strides, 1, pad as 'valid', dimRoundingMode, false, 'channelsLast',
  );
  const { batchSize: N, inChannels: C, outChannels: O, filterHeight: KH, filterWidth: KW } = info;
  const { outHeight: Ho, outWidth: Wo, strideHeight: sh, strideWidth: sw, padInfo } = info;
  if (Ho < 1 || Wo < 1 || N < 1) throw new Error(`Conv2DBackpropFilter (registered by the benchmark): empty output gradient ${N}×${Ho}×${Wo}`);
  return tf.tidy(() => {
    const { top, bottom, left, right } = padInfo;
    const xp = top || bottom || left || right ? tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]) : x;
    const xt = tf.transpose(xp, [3, 1, 2, 0]);            // [C, Hp, Wp, N]
    const f = tf.transpose(dy, [1, 2, 0, 3]);             // [Ho, Wo, N, O]
    let g = tf.conv2d(xt, f, 1, 'valid', 'NHWC', [sh, sw]); // [C, ≥KH, ≥KW, O]
    if (g.shape[1] !== KH || g.shape[2] !== KW) g = tf.slice(g, [0, 0, 0, 0], [C, KH, KW, O]);
    return tf.transpose(g, [1, 2, 0, 3]);                 // [KH, KW, C, O]
  });
}

export interface FilterGradCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: 'valid' | 'same';
}

export const FILTER_GRAD_CASES: FilterGradCase[] = [
  { name: 'N1 C1: 28×28×1 → 6 maps, 5×5 valid', x: [5, 28, 28, 1], filter: [5, 5, 1, 6], strides: [1, 1], pad: 'valid' },
  { name: 'N1 C3: 12×12×6 → 12 maps, 5×5 valid', x: [5, 12, 12, 6], filter: [5, 5, 6, 12], strides: [1, 1], pad: 'valid' },
  { name: 'N2 C1: 28×28×1 → 6 maps, 5×5 same', x: [3, 28, 28, 1], filter: [5, 5, 1, 6], strides: [1, 1], pad: 'same' },
  { name: 'odd: 9×11×3 → 4 maps, 3×2, stride 2×1, same', x: [2, 9, 11, 3], filter: [3, 2, 3, 4], strides: [2, 1], pad: 'same' },
];

export interface FilterGradCheck {
  name: string;
  /** max |wasm − cpu| / max |cpu| over the filter gradient. */
  kernelError: number;
  /** The same for ∂(Σ conv2d(x, f) ∘ r)/∂f through tf.grad (the path training takes). */
  gradError: number;
}

function relMax(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / Math.max(m, 1e-30);
}

/** Runs each case on 'wasm' (registered kernel) and 'cpu' (TF.js's own) from the same random data. */
export async function checkFilterGradient(tf: TF, cases = FILTER_GRAD_CASES): Promise<FilterGradCheck[]> {
  const previous = tf.getBackend();
  const out: FilterGradCheck[] = [];
  let seed = 12345;
  const rand = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      a[i] = seed / 2 ** 32 - 0.5;
    }
    return a;
  };
  for (const c of cases) {
    const xv = rand(c.x.reduce((a, b) => a * b, 1));
    const fv = rand(c.filter.reduce((a, b) => a * b, 1));
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor4d(xv, c.x);
        const f = tf.tensor4d(fv, c.filter);
        const y = tf.conv2d(x, f, c.strides, c.pad);
        const r = tf.tensor(rand(y.size), y.shape);
        const kernel = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: r }, {
          strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter,
        }) as Tensor4D;
        const grad = tf.grad((ff) => tf.sum(tf.mul(tf.conv2d(x, ff as Tensor4D, c.strides, c.pad), r)))(f);
        return { kernel: kernel.dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
      });
    };
    const s0 = seed;
    const w = await run('wasm');
    seed = s0;
    const cpu = await run('cpu');
    out.push({ name: c.name, kernelError: relMax(w.kernel, cpu.kernel), gradError: relMax(w.grad, cpu.grad) });
  }
  await tf.setBackend(previous);
  return out;
}
