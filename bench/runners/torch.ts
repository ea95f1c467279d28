// PyTorch, through bench/torch_bench.py in a child Python process: the harness writes the data pools,
// each net's portable form and convnotes' initial parameters to a temporary folder, the script runs
// every requested {net, phase, threads} (or, for --memory, trains one net in a process of its own)
// and answers with one JSON line.
//
// Python: $CONVNOTES_PYTHON if set, else the first of `python3`, `/usr/bin/python3` that imports torch
// and numpy (Debian's python3-torch installs into the system Python, which a pyenv or venv `python3`
// on PATH hides).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from '../data.js';
import type { BenchNet, PortableNet } from '../nets.js';
import { ROOT } from '../project.js';
import type { Phase } from '../system.js';

export interface TorchPython {
  python: string;
  version: string;
}

/** A Python that imports torch, or why there is none. */
export function findTorch(): TorchPython | string {
  const candidates = process.env.CONVNOTES_PYTHON ? [process.env.CONVNOTES_PYTHON] : ['python3', '/usr/bin/python3'];
  const why: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import numpy, torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
    const err = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    why.push(`${python}: ${err}`);
  }
  return `no Python with torch (${why.join('; ')}); on Debian: apt-get install -y python3-torch`;
}

export interface TorchRun {
  net: string;
  phase: Phase;
  threads: number;
}

export interface TorchResult extends TorchRun {
  imagesPerSecond: number;
  iterations: number;
  seconds: number;
}

export interface TorchOutput {
  torch: string;
  python: string;
  results: TorchResult[];
  checks: { net: string; losses: number[] }[];
}

/** A net for the script: its portable form, convnotes' initial parameters and the pool it is fed. */
export interface TorchNet {
  net: BenchNet;
  portable: PortableNet;
  params: Float64Array;
  pool: Pool;
}

/** Runs the script over every run (and the first-steps check when `check`); progress goes to stderr. */
export async function runTorch(
  py: TorchPython, nets: TorchNet[], runs: TorchRun[], o: { seconds: number; warmup: number; check: boolean },
): Promise<TorchOutput> {
  return (await runScript(py, nets, { runs, seconds: o.seconds, warmup: o.warmup, check: o.check })) as TorchOutput;
}

/** What the script's memory mode answers (see bench/memory.ts for the measurement). */
export interface TorchMemory {
  torch: string;
  python: string;
  memory: { startKiB: number; peakKiB: number; peakReset: boolean };
}

/** Trains one net for `steps` steps in a fresh Python process and reports its resident memory. */
export async function torchMemory(py: TorchPython, net: TorchNet, threads: number, steps: number): Promise<TorchMemory> {
  return (await runScript(py, [net], { runs: [], memory: { net: net.net.id, threads, steps } })) as TorchMemory;
}

/** Writes the nets' pools (each once) and parameters and the config to a temporary folder, runs the
 *  script on it and returns the JSON object of its last line of stdout. */
/** A typed array's bytes, as the Python side reads them with numpy.fromfile. */
export function rawBytes(a: Float32Array | Float64Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function runScript(py: TorchPython, nets: TorchNet[], settings: object): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'convnotes-bench-'));
  try {
    const pools: Pool[] = [...new Set(nets.map((n) => n.pool))];
    const config = {
      pools: pools.map((pool, i) => {
        const images = join(dir, `images-${i}.f32`);
        const labels = join(dir, `labels-${i}.u8`);
        writeFileSync(images, rawBytes(pool.images));
        writeFileSync(labels, rawBytes(pool.labels));
        return { images, labels, count: pool.count, channels: pool.channels, side: pool.side };
      }),
      nets: nets.map(({ net, portable, params, pool }) => {
        const file = join(dir, `params-${net.id}.f64`);
        writeFileSync(file, rawBytes(params));
        return { id: net.id, portable, params: file, pool: pools.indexOf(pool), trainBatch: net.trainBatch, inferBatch: net.inferBatch, rate: net.rate };
      }),
      ...settings,
    };
    return await runPython(py, 'torch_bench.py', dir, config);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs bench/SCRIPT with `config` written to DIR/config.json (progress to this process's stderr) and
 * returns the JSON object its stdout ends with.
 */
export async function runPython(py: TorchPython, script: string, dir: string, config: object): Promise<unknown> {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(py.python, [join(ROOT, 'bench', script), join(dir, 'config.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bench/${script} exited with ${code}`))));
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as unknown;
  } catch {
    throw new Error(`bench/${script}: expected a JSON line at the end of its output, got ${JSON.stringify(last.slice(0, 200))}`);
  }
}
