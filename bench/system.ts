// What every system's runner hands the harness: one network, built with convnotes' initial weights,
// that trains on or infers a batch of the shared data pool.

import type { BenchNet } from './nets.js';
import type { Pool } from './data.js';

export interface SystemNet {
  /** Forward + backward + SGD update on training batch i (mod the number in the pool); returns the loss
   *  before the update. */
  train(i: number): number;
  /** Forward pass on inference batch i (mod the number in the pool). */
  infer(i: number): void;
  dispose(): void | Promise<void>;
  /** Something the harness should print about this instance (e.g. fewer threads than asked for). */
  notice?: string;
  /** Bytes of the system's own memory for the network, where it has one to read (convnotes' WebAssembly
   *  memory), else null: a figure beside the process's resident memory (bench/memory.ts). */
  memoryBytes?(): number | null;
}

export interface CreateArgs {
  net: BenchNet;
  threads: number;
  /** convnotes' initial parameters (Network.params layout), copied into every system. */
  params: Float64Array;
  pool: Pool;
  /** What the network will be used for (a system may size its buffers for that phase's batch). */
  phase: Phase;
}

export type Phase = 'train' | 'infer';
