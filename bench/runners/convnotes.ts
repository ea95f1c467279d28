// convnotes: the fast float32 WebAssembly engine (src/wasm/engine.ts, createFastNetwork) when it is
// built, else an adapter with the same shape over the float64 reference Network, whose rows are
// labelled "reference (engine not built)".

import { Network, sgdStep, type NetworkDescription, type ResolvedDescription } from 'convnotes';
import { padded } from '../data.js';
import { batchesIn } from '../measure.js';
import { engineModule, type FastNetwork } from '../project.js';
import type { CreateArgs, SystemNet } from '../system.js';

/** The reference Network behind the engine's interface (float32 in and out, float64 inside). */
export async function createReferenceFastNetwork(
  description: NetworkDescription | ResolvedDescription,
  options: { batch: number; threads?: number },
): Promise<FastNetwork> {
  const net = new Network(description);
  net.reserve(options.batch);
  let input = new Float64Array(0);
  const widen = (x: Float32Array, batch: number): Float64Array => {
    const n = batch * net.inputSize;
    if (input.length < n) input = new Float64Array(n);
    for (let i = 0; i < n; i++) input[i] = x[i];
    return input;
  };
  return {
    get params() {
      return Float32Array.from(net.params);
    },
    setParams(p) {
      if (p.length !== net.params.length) throw new RangeError(`setParams: expected ${net.params.length} values, got ${p.length}`);
      net.params.set(p);
    },
    forward(x, batch) {
      return Float32Array.from(net.forward(widen(x, batch), batch));
    },
    trainStep(x, labels, batch, rate) {
      net.forward(widen(x, batch), batch);
      net.zeroGrads();
      const loss = net.backward(labels.subarray(0, batch));
      sgdStep(net, rate);
      return loss;
    },
    async dispose() {},
  };
}

export interface ConvnotesSystem {
  /** 'engine' or 'reference'. */
  kind: 'engine' | 'reference';
  label: string;
  /** Why the engine is not used (kind 'reference'). */
  reason?: string;
  /** Whether a thread count changes anything (the reference is single-threaded). */
  threaded: boolean;
  create(args: CreateArgs): Promise<SystemNet>;
}

export async function convnotesSystem(force?: 'reference'): Promise<ConvnotesSystem> {
  const m = force === 'reference' ? 'the reference was asked for (--convnotes reference)' : await engineModule();
  const engine = typeof m === 'string' ? null : m;
  const factory = engine ? engine.createFastNetwork : createReferenceFastNetwork;
  return {
    kind: engine ? 'engine' : 'reference',
    label: engine ? 'convnotes (wasm engine)' : force ? 'convnotes reference (float64)' : 'convnotes reference (engine not built)',
    reason: typeof m === 'string' ? m : undefined,
    threaded: engine !== null,
    async create({ net, threads, params, pool, phase }) {
      const side = pool.side + 2 * net.pad;
      const size = side * side;
      const images = padded(pool, net.pad);
      const batch = phase === 'train' ? net.trainBatch : net.inferBatch;
      const fast = await factory(net.description, { batch, threads });
      fast.setParams(params);
      const nTrain = batchesIn(pool.count, net.trainBatch);
      const nInfer = batchesIn(pool.count, net.inferBatch);
      const ran = fast.threads ?? threads;
      const notice = [
        fast.notice ?? '',
        engine && ran !== threads ? `asked for ${threads} thread(s), ran ${ran}` : '',
      ].filter((s) => s).join('; ');
      return {
        notice: notice || undefined,
        train(i) {
          const b = (i % nTrain) * net.trainBatch;
          return fast.trainStep(images.subarray(b * size, (b + net.trainBatch) * size), pool.labels.subarray(b, b + net.trainBatch), net.trainBatch, net.rate);
        },
        infer(i) {
          const b = (i % nInfer) * net.inferBatch;
          fast.forward(images.subarray(b * size, (b + net.inferBatch) * size), net.inferBatch);
        },
        dispose: () => fast.dispose(),
      };
    },
  };
}

/**
 * The float64 reference's losses on training batches 0 and 1 (one SGD step between them): the values
 * every system must reproduce from the same initial weights.
 */
export function referenceLosses(args: Omit<CreateArgs, 'threads' | 'phase'>, steps = 2): number[] {
  const { net, params, pool } = args;
  const n = new Network(net.description);
  n.params.set(params);
  const side = pool.side + 2 * net.pad;
  const images = padded(pool, net.pad);
  const B = net.trainBatch;
  const x = new Float64Array(B * side * side);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const o = s * B * side * side;
    for (let i = 0; i < x.length; i++) x[i] = images[o + i];
    n.forward(x, B);
    n.zeroGrads();
    losses.push(n.backward(pool.labels.subarray(s * B, (s + 1) * B)));
    sgdStep(n, net.rate);
  }
  return losses;
}

/** convnotes' initial parameters for a net (its description's seed). */
export function initialParams(description: NetworkDescription): Float64Array {
  return new Network(description).params.slice();
}
