// convnotes: the fast float32 WebAssembly engine (src/wasm/engine.ts) when it is built, else the
// float64 reference backend, whose rows are labelled "reference (engine not built)"; both made by
// createNetwork and trained by the library's Trainer, as the CLI trains them.

import { createNetwork, Network, ReferenceNetwork, resolveRecipe, Trainer, type Dataset, type NetworkDescription, type TrainableNetwork } from 'convnotes';
import { padded, type Pool } from '../data.js';
import { batchesIn } from '../measure.js';
import type { BenchNet } from '../nets.js';
import { engineModule } from '../project.js';
import type { CreateArgs, SystemNet } from '../system.js';

const datasets = new WeakMap<Pool, Dataset>();

/** The pool as a Dataset: its levels back as bytes (the pool holds byte/255 in float32, which rounds back
 *  exactly), made once per pool, before any timing, as a convnotes user holds the data set already. */
export function poolDataset(pool: Pool): Dataset {
  let d = datasets.get(pool);
  if (d) return d;
  const images = new Uint8Array(pool.images.length);
  for (let i = 0; i < images.length; i++) images[i] = Math.round(pool.images[i] * 255);
  d = { images, labels: pool.labels, count: pool.count, channels: pool.channels, rows: pool.side, cols: pool.side, source: pool.source };
  datasets.set(pool, d);
  return d;
}

/**
 * The library's trainer (the one training loop) over the pool's batches in order: step i trains on
 * batch i mod the pool's batches, plain SGD at the net's rate, no evaluation. Its input is made from
 * the pool's bytes (centred in the net's padded input) as the CLI makes it.
 */
function poolTrainer(fast: TrainableNetwork, net: BenchNet, pool: Pool): Trainer {
  const recipe = resolveRecipe({ name: net.id, network: fast.description, training: { epochs: 1_000_000, batch: net.trainBatch, rate: net.rate, shuffle: false } });
  return new Trainer({ net: fast, recipe, train: poolDataset(pool), seed: 1, evalTrain: 0 });
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
  return {
    kind: engine ? 'engine' : 'reference',
    label: engine ? 'convnotes (wasm engine)' : force ? 'convnotes reference (float64)' : 'convnotes reference (engine not built)',
    reason: typeof m === 'string' ? m : undefined,
    threaded: engine !== null,
    async create({ net, threads, params, pool, phase }) {
      const side = pool.side + 2 * net.pad;
      const size = pool.channels * side * side;
      // inference reads the (padded) float32 images; training reads the pool's bytes through the trainer
      const images = phase === 'infer' ? padded(pool, net.pad) : null;
      const batch = phase === 'train' ? net.trainBatch : net.inferBatch;
      // training as the CLI's trainer runs it: the engine's threads make each chunk's input from its bytes,
      // every channel (createTrainingNetwork's rule)
      const stage = phase === 'train' ? { rows: pool.side, cols: pool.side, channels: pool.channels } : undefined;
      const fast = await createNetwork(net.description, { backend: engine ? 'wasm' : 'reference', batch, threads, stage });
      fast.setParams(params);
      const trainer = phase === 'train' ? poolTrainer(fast, net, pool) : null;
      const nInfer = batchesIn(pool.count, net.inferBatch);
      const ran = fast.threads ?? threads;
      const notice = [
        fast.notice ?? '',
        engine && ran !== threads ? `asked for ${threads} thread(s), ran ${ran}` : '',
      ].filter((s) => s).join('; ');
      return {
        notice: notice || undefined,
        // the harness calls train(0), train(1), … in turn: the trainer's steps are those batches
        train() {
          if (!trainer) throw new Error('this instance was made for inference');
          trainer.step();
          return trainer.lastLoss;
        },
        infer(i) {
          if (!images) throw new Error('this instance was made for training');
          const b = (i % nInfer) * net.inferBatch;
          fast.forward(images.subarray(b * size, (b + net.inferBatch) * size), net.inferBatch);
        },
        // the engine's one WebAssembly memory (FastNetwork.memory); the reference has none
        memoryBytes: () => (fast as { memory?: WebAssembly.Memory }).memory?.buffer.byteLength ?? null,
        dispose: () => fast.dispose(),
      };
    },
  };
}

/**
 * The float64 reference's losses on training batches 0 and 1 (one SGD step between them, by the same
 * trainer as the timed runs): the values every system must reproduce from the same initial weights.
 */
export function referenceLosses(args: Omit<CreateArgs, 'threads' | 'phase'>, steps = 2): number[] {
  const { net, params, pool } = args;
  const reference = new ReferenceNetwork(net.description);
  reference.setParams(params);
  const trainer = poolTrainer(reference, net, pool);
  return Array.from({ length: steps }, () => {
    trainer.step();
    return trainer.lastLoss;
  });
}

/** convnotes' initial parameters for a net (its description's seed). */
export function initialParams(description: NetworkDescription): Float64Array {
  return new Network(description).params.slice();
}
