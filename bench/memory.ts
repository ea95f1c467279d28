// Peak memory while training (--memory): each system trains one net in a fresh process of its own, and
// the figure is that process's resident set at its peak during the training steps, less its resident
// set just before the network was built, after its framework and the net's data were loaded:
//
//   added = VmHWM (after `steps` training steps) − VmRSS (before building the network)
//
// with the peak (VmHWM) reset to the current resident set at the start (writing 5 to
// /proc/self/clear_refs), so that what loading the framework and the data touched and freed again does
// not count. What the figure holds: the network, its parameters, gradients, activations and workspaces,
// every buffer the first steps allocate, threads started for them (convnotes' engine starts its workers
// when the network is made; PyTorch's thread pool starts at the first operation) and the garbage a
// step leaves for a collector. What it leaves out: the framework's code and the data pool (each system
// reads the same images; a copy the system needs in another layout, TF.js's channels-last one, is made
// before the start). A fresh process per figure, because neither V8 nor the C heap gives memory back
// reliably: in one process the second system would start from the first one's high-water mark.
//
// Linux only (/proc/self/status and clear_refs). The Node systems run in bench/memory-child.ts; PyTorch
// in bench/torch_bench.py's memory mode, which measures the same way.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PoolSpec } from './data.js';
import type { NetId } from './nets.js';

/** Training steps each memory measurement runs: enough that every buffer a step needs exists (the first
 *  step allocates the gradients, later ones reuse them) and a few steps' garbage is counted. */
export const MEMORY_STEPS = 5;

/** What the parent asks a Node child to measure. */
export interface MemoryJob {
  system: 'convnotes' | 'tfjs-wasm';
  net: NetId;
  threads: number;
  steps: number;
  pool: PoolSpec;
  /** convnotes' implementation (--convnotes). */
  convnotes: 'engine' | 'reference';
}

/** One process's figures, in KiB (the unit of /proc/self/status). */
export interface MemoryFigure {
  /** Resident set before the network was built (framework and data loaded). */
  startKiB: number;
  /** Peak resident set from then until the last training step ended. */
  peakKiB: number;
  /** Whether the peak could be reset at the start (if not, the peak includes loading's, and is an upper bound). */
  peakReset: boolean;
  /** Bytes of the system's own memory for the network (convnotes' WebAssembly memory), else null. */
  memoryBytes: number | null;
}

/** null when the measurement can run here, else why not. */
export function memorySupport(): string | null {
  return existsSync('/proc/self/status') ? null : "needs Linux's /proc/self/status";
}

/** A field of /proc/self/status in KiB: VmRSS (resident now) or VmHWM (resident at its peak since the last reset). */
export function statusKiB(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`/proc/self/status has no ${field}`);
  return Number(m[1]);
}

/** Resets VmHWM to the current resident set (Linux ≥ 4.0); false when the kernel refuses. */
export function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Runs bench/memory-child.js on `job` in a fresh Node process; its progress goes to stderr. */
export function nodeMemory(job: MemoryJob): Promise<MemoryFigure> {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'memory-child.js');
  return new Promise<MemoryFigure>((resolve, reject) => {
    const p = spawn(process.execPath, [child, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d: string) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench/memory-child.js exited with ${code}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as MemoryFigure);
      } catch {
        reject(new Error(`bench/memory-child.js: expected a JSON line at the end of its output, got ${JSON.stringify(last.slice(0, 200))}`));
      }
    });
  });
}
