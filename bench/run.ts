// `npm run bench`: training (forward + backward + SGD) and inference images/s of convnotes next to
// TensorFlow.js (wasm and cpu backends), jax-js (wasm), PyTorch and ConvNetJS on the same nets, the same batches (MNIST
// digits, or seeded random pixels for the colour nets) and the same initial weights, plus the GFLOPS of
// convnotes' WebAssembly kernels; with --memory, each system's peak memory while training instead. See
// docs/BENCHMARKS.md.
//
// Progress goes to stderr; the tables to stdout; with --json the last line of stdout is one JSON
// object (see Report below).

import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { builtinRecipe } from 'convnotes';
import { describePool, loadPool, padded, poolKey, poolSpecs, type Pool } from './data.js';
import { kernelCases, timeKernel, type KernelResult } from './kernels.js';
import { epochSection, type EpochResult } from './epoch.js';
import { measure, WINDOW, type Timing, type TimingOptions } from './measure.js';
import { MEMORY_STEPS, memorySupport, nodeMemory, type MemoryFigure } from './memory.js';
import { convAlgorithms, NET_GROUPS, NET_IDS, NETS, portable, type BenchNet, type NetId, type PortableNet } from './nets.js';
import { engineModule, wasmKernels, type AllocKernels } from './project.js';
import { convnotesSystem, initialParams, referenceLosses, type ConvnotesSystem } from './runners/convnotes.js';
import { CONVNETJS_NOTE, createConvnetjs, loadConvnetjs } from './runners/convnetjs.js';
import { createJax, jaxEnv, jaxNetReason, JAX_NOTE, type JaxEnv } from './runners/jax.js';
import { createTfjs, tfjsEnv, type TfjsEnv } from './runners/tfjs.js';
import { checkFilterGradient, FILTER_GRAD_NOTE } from './runners/tfjs-filter-grad.js';
import { findTorch, runTorch, torchMemory, type TorchNet, type TorchOutput, type TorchPython, type TorchRun } from './runners/torch.js';
import type { CreateArgs, Phase, SystemNet } from './system.js';

const SYSTEMS = ['convnotes', 'tfjs-wasm', 'tfjs-cpu', 'jax-wasm', 'torch', 'convnetjs'] as const;
type SystemId = (typeof SYSTEMS)[number];
const PHASES: Phase[] = ['train', 'infer'];
/** Largest |loss − reference loss| accepted as "the same function". */
const LOSS_TOLERANCE = 1e-4;
/** Largest relative error of the registered filter gradient against the cpu backend's. */
const FILTER_GRAD_TOLERANCE = 1e-5;

const USAGE = `usage: npm run bench -- [options]

  --nets LIST        networks, from ${NET_IDS.join(',')},
                     or the groups ${Object.entries(NET_GROUPS).map(([g, ids]) => `${g} (${g === 'all' ? 'every net' : ids.join(',')})`).join(', ')}
                     (default: default)
  --phases LIST      train,infer (default: both)
  --threads LIST     thread counts for systems that have a thread setting (default: 1,2)
  --seconds S        minimum timed duration of each measurement (default: 2)
  --warmup S         minimum warm-up before each measurement (default: min(1, seconds/2))
  --systems LIST     from ${SYSTEMS.join(',')} (default: all; convnotes always runs)
  --images N         size of the MNIST training-image pool the batches cycle through (default: 10000;
                     the colour nets' random pools hold max(256, two inference batches) images)
  --data DIR         MNIST folder (default: $CONVNOTES_DATA, else ../shared/datasets/mnist beside the checkout, else the user cache)
  --json             end stdout with one JSON line of the results
  --check            only check that every system computes the same function (and the registered
                     TF.js filter gradient); exit 1 on a mismatch
  --memory           after the checks, instead of the timing: each system's peak memory while it
                     trains each net (${MEMORY_STEPS} steps in a fresh process; convnotes, tfjs-wasm, torch)
  --no-kernels       skip the kernel GFLOPS section
  --epoch N          images of the simard-wide epoch section (its distortions included, against PyTorch's
                     affine_grid + grid_sample version; default: 6000; 0 skips it)
  --kernel-impl I    wasm (default) or reference: time the float64 reference kernels instead
                     (a self-test of the kernel section, not a result)
  --convnotes I      engine (default: the wasm engine when built, else the reference) or reference
  -h, --help`;

interface Options {
  nets: BenchNet[];
  phases: Phase[];
  threads: number[];
  timing: TimingOptions;
  systems: Set<SystemId>;
  images: number;
  data?: string;
  json: boolean;
  check: boolean;
  memory: boolean;
  kernels: boolean;
  /** Images of the simard-wide epoch section (0: none). */
  epochImages: number;
  kernelImpl: 'wasm' | 'reference';
  convnotes: 'engine' | 'reference';
}

class UsageError extends Error {}

function list(value: string | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new UsageError(`${flag}: expected a comma-separated list, got ${JSON.stringify(value)}`);
  return items;
}

function positive(value: string | undefined, flag: string, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new UsageError(`${flag}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
  }
  return v;
}

function oneOfList<T extends string>(items: string[] | undefined, allowed: readonly T[], flag: string): T[] | undefined {
  if (!items) return undefined;
  for (const i of items) if (!(allowed as readonly string[]).includes(i)) throw new UsageError(`${flag}: expected items from ${allowed.join(', ')}, got ${JSON.stringify(i)}`);
  return [...new Set(items)] as T[];
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      nets: { type: 'string' }, phases: { type: 'string' }, threads: { type: 'string' }, seconds: { type: 'string' },
      warmup: { type: 'string' }, systems: { type: 'string' }, images: { type: 'string' }, data: { type: 'string' },
      json: { type: 'boolean' }, check: { type: 'boolean' }, memory: { type: 'boolean' }, 'no-kernels': { type: 'boolean' },
      epoch: { type: 'string' }, 'kernel-impl': { type: 'string' }, convnotes: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return null;
  const seconds = positive(values.seconds, '--seconds', 2);
  const threads = (list(values.threads, '--threads') ?? ['1', '2']).map((t) => positive(t, '--threads', 1, true));
  const kernelImpl = oneOfList(values['kernel-impl'] === undefined ? undefined : [values['kernel-impl']], ['wasm', 'reference'] as const, '--kernel-impl')?.[0] ?? 'wasm';
  const convnotes = oneOfList(values.convnotes === undefined ? undefined : [values.convnotes], ['engine', 'reference'] as const, '--convnotes')?.[0] ?? 'engine';
  // a group's name stands for its nets, in the group's order
  const netNames = list(values.nets, '--nets')?.flatMap((n) => (n in NET_GROUPS ? NET_GROUPS[n as keyof typeof NET_GROUPS] : [n]));
  return {
    nets: (oneOfList(netNames, NET_IDS, '--nets') ?? NET_GROUPS.default).map((id) => NETS[id]),
    phases: oneOfList(list(values.phases, '--phases'), PHASES, '--phases') ?? PHASES,
    threads: [...new Set(threads)],
    timing: { seconds, warmup: values.warmup === undefined ? Math.min(1, seconds / 2) : positive(values.warmup, '--warmup', 0) },
    systems: new Set(['convnotes', ...(oneOfList(list(values.systems, '--systems'), SYSTEMS, '--systems') ?? SYSTEMS)] as SystemId[]),
    images: positive(values.images, '--images', 10000, true),
    data: values.data,
    json: values.json ?? false,
    check: values.check ?? false,
    memory: values.memory ?? false,
    kernels: !values['no-kernels'],
    epochImages: values.epoch === '0' ? 0 : positive(values.epoch, '--epoch', 6000, true),
    kernelImpl,
    convnotes,
  };
}

const log = (...a: unknown[]) => console.error('[bench]', ...a);

/** Built-in recipes whose layers the kernel section profiles beside the bench's nets (issue 18's speed points). */
const PROFILED_RECIPES = ['speedrun-99', 'speedrun-995', 'simard-wide', 'lenet5'];

// ---------------------------------------------------------------------------------------------------

/** Why a system is not measured (for the whole run), or null when it is. */
interface Availability {
  convnotes: ConvnotesSystem;
  tfjs: TfjsEnv | null;
  jax: JaxEnv | null;
  skip: Partial<Record<SystemId, string>>;
  torch: TorchPython | null;
  convnetjs: ReturnType<typeof loadConvnetjs>;
}

async function availability(o: Options): Promise<Availability> {
  const skip: Availability['skip'] = {};
  const convnotes = await convnotesSystem(o.convnotes === 'reference' ? 'reference' : undefined);
  if (convnotes.kind === 'reference') log(`convnotes: using the float64 reference: ${convnotes.reason}`);
  let tfjs: TfjsEnv | null = null;
  if (o.systems.has('tfjs-wasm') || o.systems.has('tfjs-cpu')) {
    const env = await tfjsEnv();
    if (typeof env === 'string') {
      skip['tfjs-wasm'] = skip['tfjs-cpu'] = env;
    } else {
      tfjs = env;
      if (env.wasm !== true) skip['tfjs-wasm'] = env.wasm;
    }
  }
  let jax: JaxEnv | null = null;
  if (o.systems.has('jax-wasm')) {
    const env = await jaxEnv();
    if (typeof env === 'string') skip['jax-wasm'] = env;
    else jax = env;
  }
  let torch: TorchPython | null = null;
  if (o.systems.has('torch')) {
    const t = findTorch();
    if (typeof t === 'string') skip.torch = t;
    else torch = t;
  }
  const convnetjs = loadConvnetjs();
  if (o.systems.has('convnetjs') && typeof convnetjs === 'string') skip.convnetjs = convnetjs;
  for (const s of SYSTEMS) {
    if (!o.systems.has(s)) skip[s] = 'not selected (--systems)';
    else if (skip[s]) log(`${s}: skipped: ${skip[s]}`);
  }
  return { convnotes, tfjs, jax, skip, torch, convnetjs };
}

interface NetSetup {
  net: BenchNet;
  /** The images it is fed (poolKey). */
  pool: Pool;
  params: Float64Array;
  portable: PortableNet | string;
  reference: number[];
}

interface CheckRow {
  net: NetId;
  system: string;
  losses: number[];
  error: number;
  ok: boolean;
}

function compare(net: NetId, system: string, losses: number[], reference: number[]): CheckRow {
  const error = Math.max(...reference.map((r, i) => Math.abs((losses[i] ?? NaN) - r)));
  return { net, system, losses, error, ok: error <= LOSS_TOLERANCE };
}

async function firstSteps(make: () => Promise<SystemNet>): Promise<number[]> {
  const s = await make();
  try {
    return [s.train(0), s.train(1)];
  } finally {
    await s.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------
// Results and their presentation.

/** images/s of one system for one net and phase: by thread count, or one figure for every thread count. */
type Figure = { byThreads: Map<number, number> } | { single: number } | { skipped: string };

interface Block {
  net: BenchNet;
  phase: Phase;
  figures: Map<SystemId, Figure>;
}

export interface Report {
  rows: { net: string; phase: Phase; threads: number; convnotes: number; tfjsWasm: number | null; tfjsCpu: number | null; jaxWasm: number | null; torch: number | null }[];
  kernels: KernelResult[];
  peakGflops: number | null;
  /** --memory's figures (empty without it). */
  memory: MemoryRow[];
  /** The simard-wide epoch section's figures (empty without it). */
  epoch: EpochResult[];
}

function at(f: Figure | undefined, threads: number): number | null {
  if (!f) return null;
  if ('single' in f) return f.single;
  if ('byThreads' in f) return f.byThreads.get(threads) ?? null;
  return null;
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function renderBlock(b: Block, o: Options, labels: Record<SystemId, string>): string {
  const lines: string[] = [];
  const batch = b.phase === 'train' ? b.net.trainBatch : b.net.inferBatch;
  lines.push(`${b.net.id} · ${b.phase === 'train' ? 'training (forward + backward + SGD)' : 'inference (forward)'} · batch ${batch} · images/s`);
  lines.push(`  ${b.net.title}`);
  const algorithms = convAlgorithms(b.net);
  if (algorithms) lines.push(`  convnotes' convolutions: ${algorithms}`);
  const W = 52;
  lines.push(`  ${pad('system', W)}${pad('threads', 8, true)}${pad('images/s', 12, true)}   convnotes ÷ system`);
  const cn = b.figures.get('convnotes');
  const ratioTo = (v: number, threads: number | null): string => {
    if (threads !== null) {
      const c = at(cn, threads);
      return c === null ? '' : `${fmt(c / v)}×`;
    }
    return o.threads.map((t) => {
      const c = at(cn, t);
      return c === null ? '' : `${fmt(c / v)}× (convnotes ${t} thr)`;
    }).filter((s) => s).join(' · ');
  };
  for (const s of SYSTEMS) {
    const f = b.figures.get(s);
    if (!f) continue;
    // The registered filter gradient only takes part in training.
    const label = s === 'tfjs-wasm' && b.phase === 'infer' ? labels[s].replace(/ \(\+ registered filter grad †\)$/, '') : labels[s];
    if ('skipped' in f) {
      lines.push(`  ${pad(label, W)}${pad('', 8)}${pad('—', 12, true)}   ${f.skipped}`);
    } else if ('single' in f) {
      lines.push(`  ${pad(label, W)}${pad('1', 8, true)}${pad(fmt(f.single), 12, true)}   ${s === 'convnotes' ? '' : ratioTo(f.single, null)}`);
    } else {
      let best: [number, number] | null = null;
      for (const t of o.threads) {
        const v = f.byThreads.get(t);
        if (v === undefined) continue;
        if (!best || v > best[1]) best = [t, v];
        lines.push(`  ${pad(label, W)}${pad(String(t), 8, true)}${pad(fmt(v), 12, true)}   ${s === 'convnotes' ? '' : ratioTo(v, t)}`);
      }
      if (s === 'torch' && best && o.threads.length > 1) {
        lines.push(`  ${pad(`${label}, best (${best[0]} threads)`, W)}${pad('', 8)}${pad(fmt(best[1]), 12, true)}   ${ratioTo(best[1], null)}`);
      }
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Peak memory while training (--memory; bench/memory.ts says how it is measured).

/** The systems --memory measures: tfjs-cpu needs minutes per step at 128×128, ConvNetJS is not the same
 *  function. */
const MEMORY_SYSTEMS = ['convnotes', 'tfjs-wasm', 'torch'] as const;
type MemorySystemId = (typeof MEMORY_SYSTEMS)[number];

export interface MemoryRow {
  net: string;
  system: MemorySystemId;
  threads: number;
  batch: number;
  steps: number;
  /** Resident set before the network was built, at its peak during the steps, and the difference. */
  startKiB: number;
  peakKiB: number;
  addedKiB: number;
  /** convnotes' WebAssembly memory in bytes (null for the other systems and the reference). */
  memoryBytes: number | null;
  /** false: the peak could not be reset at the start, so it may be loading's (an upper bound). */
  peakReset: boolean;
}

async function measureMemory(o: Options, av: Availability, setups: NetSetup[], specs: ReturnType<typeof poolSpecs>): Promise<{ rows: MemoryRow[]; failures: string[] }> {
  const rows: MemoryRow[] = [];
  const failures: string[] = [];
  const unsupported = memorySupport();
  if (unsupported) return { rows, failures: [`peak memory not measured: ${unsupported}`] };
  for (const s of setups) {
    const row = (system: MemorySystemId, threads: number, f: MemoryFigure) => {
      rows.push({ net: s.net.id, system, threads, batch: s.net.trainBatch, steps: MEMORY_STEPS, ...f, addedKiB: f.peakKiB - f.startKiB });
      log(`  ${fmt((f.peakKiB - f.startKiB) / 1024)} MiB added (${fmt(f.startKiB / 1024)} MiB at start)`);
    };
    const attempt = async (system: MemorySystemId, threads: number, run: () => Promise<MemoryFigure>) => {
      log(`${s.net.id} memory ${system}, ${threads} thread(s) ...`);
      try {
        row(system, threads, await run());
      } catch (e) {
        failures.push(`${s.net.id} ${system} ${threads} thread(s): ${(e as Error).message}`);
        log(`  failed: ${(e as Error).message}`);
      }
    };
    const pool = specs.get(poolKey(s.net))!;
    for (const t of av.convnotes.threaded ? o.threads : [1]) {
      await attempt('convnotes', t, () => nodeMemory({ system: 'convnotes', net: s.net.id, threads: t, steps: MEMORY_STEPS, pool, convnotes: o.convnotes }));
    }
    if (typeof s.portable === 'string') continue;
    if (!av.skip['tfjs-wasm']) {
      await attempt('tfjs-wasm', 1, () => nodeMemory({ system: 'tfjs-wasm', net: s.net.id, threads: 1, steps: MEMORY_STEPS, pool, convnotes: o.convnotes }));
    }
    const py = av.torch;
    if (py && !av.skip.torch) {
      const net: TorchNet = { net: s.net, portable: s.portable, params: s.params, pool: s.pool };
      for (const t of o.threads) {
        await attempt('torch', t, async () => ({ ...(await torchMemory(py, net, t, MEMORY_STEPS)).memory, memoryBytes: null }));
      }
    }
  }
  return { rows, failures };
}

function renderMemory(net: BenchNet, rows: MemoryRow[], labels: Record<SystemId, string>): string {
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  const lines = [`${net.id} · training · batch ${net.trainBatch} · peak resident memory, MiB (${MEMORY_STEPS} steps, a fresh process each)`];
  const W = 52;
  lines.push(`  ${pad('system', W)}${pad('threads', 8, true)}${pad('at start', 10, true)}${pad('peak', 10, true)}${pad('added', 10, true)}${pad('wasm memory', 13, true)}   system ÷ convnotes (added)`);
  const convnotes = rows.filter((r) => r.system === 'convnotes');
  for (const r of rows) {
    // at the same thread count; TF.js (one thread) against convnotes on one thread, or its first count
    const c = convnotes.find((c) => c.threads === r.threads) ?? convnotes[0];
    const ratio = r.system === 'convnotes' || !c ? '' : `${fmt(r.addedKiB / c.addedKiB)}×${c.threads === r.threads ? '' : ` (convnotes ${c.threads} thr)`}`;
    const wasm = r.memoryBytes === null ? '' : mib(r.memoryBytes / 1024);
    lines.push(`  ${pad(labels[r.system], W)}${pad(String(r.threads), 8, true)}${pad(mib(r.startKiB), 10, true)}${pad(mib(r.peakKiB), 10, true)}${pad(`${mib(r.addedKiB)}${r.peakReset ? '' : '*'}`, 10, true)}${pad(wasm, 13, true)}   ${ratio}`);
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let o: Options | null;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!o) {
    console.log(USAGE);
    return 0;
  }

  // One pool per poolKey; the kernel section's engine profile reads MNIST digits, so a timing run with
  // kernels loads MNIST even for the colour nets alone.
  const kernels = o.kernels && !o.check && !o.memory;
  const epochRun = o.epochImages > 0 && !o.check && !o.memory;
  const specs = poolSpecs(kernels || epochRun ? [NETS.N1, ...o.nets] : o.nets, { dir: o.data, count: o.images });
  const pools = new Map<string, Pool>();
  for (const [key, spec] of specs) {
    const pool = await loadPool(spec);
    log(`data: ${describePool(pool)}`);
    pools.set(key, pool);
  }
  const av = await availability(o);
  const cnLabel = av.convnotes.label;
  const labels: Record<SystemId, string> = {
    convnotes: cnLabel,
    'tfjs-wasm': `tfjs-wasm ${av.tfjs?.version ?? ''}${av.tfjs?.registeredFilterGradient ? ' (+ registered filter grad †)' : ''}`,
    'tfjs-cpu': `tfjs-cpu ${av.tfjs?.version ?? ''}`,
    'jax-wasm': `jax-wasm ${av.jax?.version ?? ''} (jit)`,
    torch: `torch ${av.torch?.version ?? ''}`,
    convnetjs: `convnetjs ${typeof av.convnetjs === 'string' ? '' : av.convnetjs.version} (max pooling ‡)`,
  };

  // Every net: convnotes' initial weights, the portable form, the reference's first two losses.
  const setups: NetSetup[] = o.nets.map((net) => {
    const params = initialParams(net.description);
    const pool = pools.get(poolKey(net))!;
    return { net, pool, params, portable: portable(net), reference: referenceLosses({ net, params, pool }) };
  });

  // ---- Same function: two training steps from the same weights, against the float64 reference.
  log('checking that every system computes the same function ...');
  const checks: CheckRow[] = [];
  const args = (s: NetSetup, threads: number, phase: Phase): CreateArgs => ({ net: s.net, params: s.params, pool: s.pool, threads, phase });
  for (const s of setups) {
    checks.push(compare(s.net.id, cnLabel, await firstSteps(() => av.convnotes.create(args(s, o.threads[0], 'train'))), s.reference));
    if (typeof s.portable === 'string') continue;
    const p = s.portable;
    for (const backend of ['wasm', 'cpu'] as const) {
      const id: SystemId = `tfjs-${backend}`;
      if (av.skip[id] || !av.tfjs) continue;
      const env = av.tfjs;
      checks.push(compare(s.net.id, id, await firstSteps(() => createTfjs(env, backend, p, args(s, 1, 'train'))), s.reference));
    }
    if (av.jax && !av.skip['jax-wasm'] && jaxNetReason(s.net, p) === null) {
      const env = av.jax;
      checks.push(compare(s.net.id, 'jax-wasm', await firstSteps(async () => createJax(env, p, args(s, 1, 'train'))), s.reference));
    }
  }
  const torchNets: TorchNet[] = setups.flatMap((s) => (typeof s.portable === 'string' ? [] : [{ net: s.net, portable: s.portable, params: s.params, pool: s.pool }]));
  const torchRuns: TorchRun[] = [];
  if (!o.check && !o.memory) for (const s of torchNets) for (const phase of o.phases) for (const threads of o.threads) torchRuns.push({ net: s.net.id, phase, threads });
  let torchOut: TorchOutput | null = null;
  if (av.torch && torchNets.length > 0) {
    try {
      log(`torch: running bench/torch_bench.py with ${av.torch.python}${torchRuns.length ? ` (${torchRuns.length} measurements)` : ''} ...`);
      torchOut = await runTorch(av.torch, torchNets, torchRuns, { ...o.timing, check: true });
      for (const c of torchOut.checks) checks.push(compare(c.net as NetId, 'torch', c.losses, setups.find((s) => s.net.id === c.net)!.reference));
    } catch (e) {
      av.skip.torch = `failed: ${(e as Error).message}`;
      log(`torch: ${av.skip.torch}`);
    }
  }
  let filterChecks: Awaited<ReturnType<typeof checkFilterGradient>> = [];
  if (av.tfjs && !av.skip['tfjs-wasm'] && av.tfjs.registeredFilterGradient) filterChecks = await checkFilterGradient(av.tfjs.tf);

  const out: string[] = [];
  const cpu = cpus();
  out.push(`convnotes benchmark · Node ${process.version} · ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`);
  for (const pool of pools.values()) out.push(`data: ${describePool(pool)}`);
  if ([...pools.values()].some((p) => p.kind === 'random')) out.push(`(the colour nets are timed on seeded random pixels: speed does not depend on pixel values, and the check below compares losses on them all the same)`);
  if (o.memory) out.push(`peak memory while training: ${MEMORY_STEPS} steps per system and net, each in a fresh process · threads ${o.threads.join(',')}`);
  else if (!o.check) out.push(`each measurement ≥ ${o.timing.seconds} s after ≥ ${o.timing.warmup} s of warm-up, reported as its fastest window of ≥ ${WINDOW} s (every system alike) · threads ${o.threads.join(',')}`);
  out.push('');
  out.push(`Same function: loss on training batch 0, and on batch 1 after one SGD step, from convnotes' initial weights`);
  out.push(`(every system against convnotes' float64 reference; accepted: |Δ| ≤ ${LOSS_TOLERANCE})`);
  out.push(`  ${pad('net', 9)}${pad('system', 44)}${pad('loss 0', 14, true)}${pad('loss 1', 14, true)}${pad('max |Δ|', 11, true)}`);
  for (const s of setups) {
    out.push(`  ${pad(s.net.id, 9)}${pad('reference (float64)', 44)}${pad(s.reference[0].toFixed(8), 14, true)}${pad(s.reference[1].toFixed(8), 14, true)}`);
    for (const c of checks.filter((c) => c.net === s.net.id)) {
      out.push(`  ${pad('', 9)}${pad(c.system, 44)}${pad(c.losses[0].toFixed(8), 14, true)}${pad(c.losses[1].toFixed(8), 14, true)}${pad(c.error.toExponential(1), 11, true)}  ${c.ok ? 'ok' : 'MISMATCH'}`);
    }
    if (typeof s.portable === 'string') out.push(`  ${pad('', 9)}other systems: not run (${s.portable})`);
  }
  if (filterChecks.length) {
    out.push('');
    out.push(`TF.js wasm Conv2DBackpropFilter registered by this harness, against the cpu backend's (relative max error, accepted ≤ ${FILTER_GRAD_TOLERANCE}):`);
    for (const c of filterChecks) {
      const ok = c.kernelError <= FILTER_GRAD_TOLERANCE && c.gradError <= FILTER_GRAD_TOLERANCE;
      out.push(`  ${pad(c.name, 48)} kernel ${c.kernelError.toExponential(1)}  tf.grad ${c.gradError.toExponential(1)}  ${ok ? 'ok' : 'MISMATCH'}`);
    }
  }
  const mismatches = checks.filter((c) => !c.ok).length
    + filterChecks.filter((c) => !(c.kernelError <= FILTER_GRAD_TOLERANCE && c.gradError <= FILTER_GRAD_TOLERANCE)).length;
  if (o.check) {
    console.log(out.join('\n'));
    if (mismatches) console.log(`\n${mismatches} mismatch(es)`);
    return mismatches ? 1 : 0;
  }
  if (mismatches) log(`WARNING: ${mismatches} check(s) failed: those systems do not compute the same function; see the first table`);

  // ---- Peak memory, instead of the timing.
  if (o.memory) {
    const { rows, failures } = await measureMemory(o, av, setups, specs);
    out.push('');
    for (const s of setups) {
      out.push(renderMemory(s.net, rows.filter((r) => r.net === s.net.id), labels));
      out.push('');
    }
    out.push(`at start: the process's resident set after loading its framework and the net's data, before building the network; peak: its highest`);
    out.push(`resident set from then to the end of the last step (the peak reset at the start); added = peak − at start: the network, its`);
    out.push(`buffers, threads and garbage. wasm memory: convnotes' WebAssembly memory (its whole network). See docs/BENCHMARKS.md.`);
    if (rows.some((r) => !r.peakReset)) out.push(`* the peak could not be reset (/proc/self/clear_refs): it may be loading's, so "added" is an upper bound.`);
    if (torchOut) out.push(`torch ${torchOut.torch} (Python ${torchOut.python}, ${av.torch?.python}), torch.set_num_threads(T) per row.`);
    for (const s of MEMORY_SYSTEMS) {
      const why = av.skip[s];
      if (why && why !== 'not selected (--systems)') out.push(`${s} skipped: ${why}`);
    }
    for (const f of failures) out.push(`not measured: ${f}`);
    if (mismatches) out.push(`WARNING: ${mismatches} same-function check(s) failed (see the first table).`);
    console.log(out.join('\n'));
    if (o.json) console.log(JSON.stringify({ rows: [], kernels: [], peakGflops: null, memory: rows, epoch: [] } satisfies Report));
    return 0;
  }

  // ---- Timing.
  const blocks: Block[] = [];
  const runNotices = new Set<string>();
  for (const s of setups) {
    for (const phase of o.phases) {
      const figures = new Map<SystemId, Figure>();
      const batch = phase === 'train' ? s.net.trainBatch : s.net.inferBatch;
      const time = async (what: string, make: () => Promise<SystemNet> | SystemNet): Promise<Timing> => {
        log(`${s.net.id} ${phase} ${what} ...`);
        const sys = await make();
        if (sys.notice) {
          log(`  notice: ${sys.notice}`);
          runNotices.add(`${s.net.id} ${phase} ${what}: ${sys.notice}`);
        }
        try {
          const t = measure(phase === 'train' ? (i) => sys.train(i) : (i) => sys.infer(i), batch, o.timing);
          log(`  ${fmt(t.imagesPerSecond)} images/s (${t.iterations} steps in ${t.seconds.toFixed(2)} s)`);
          return t;
        } finally {
          await sys.dispose();
        }
      };
      // convnotes
      if (av.convnotes.threaded) {
        const byThreads = new Map<number, number>();
        for (const t of o.threads) byThreads.set(t, (await time(`${cnLabel}, ${t} thread(s)`, () => av.convnotes.create(args(s, t, phase)))).imagesPerSecond);
        figures.set('convnotes', { byThreads });
      } else {
        figures.set('convnotes', { single: (await time(cnLabel, () => av.convnotes.create(args(s, 1, phase)))).imagesPerSecond });
      }
      // TF.js
      for (const backend of ['wasm', 'cpu'] as const) {
        const id: SystemId = `tfjs-${backend}`;
        if (av.skip[id] === 'not selected (--systems)') continue;
        if (av.skip[id] || !av.tfjs) figures.set(id, { skipped: av.skip[id] ?? 'unavailable' });
        else if (typeof s.portable === 'string') figures.set(id, { skipped: 'no equivalent net' });
        else {
          const env = av.tfjs;
          const p = s.portable;
          figures.set(id, { single: (await time(id, () => createTfjs(env, backend, p, args(s, 1, phase)))).imagesPerSecond });
        }
      }
      // jax-js
      if (av.skip['jax-wasm'] !== 'not selected (--systems)') {
        const why = av.skip['jax-wasm'] ?? (typeof s.portable === 'string' ? 'no equivalent net' : jaxNetReason(s.net, s.portable));
        if (why || !av.jax || typeof s.portable === 'string') figures.set('jax-wasm', { skipped: why ?? 'unavailable' });
        else {
          const env = av.jax;
          const p = s.portable;
          figures.set('jax-wasm', { single: (await time('jax-wasm', () => createJax(env, p, args(s, 1, phase)))).imagesPerSecond });
        }
      }
      // PyTorch (measured above, in its own process)
      if (av.skip.torch !== 'not selected (--systems)') {
        if (av.skip.torch || !torchOut) figures.set('torch', { skipped: av.skip.torch ?? 'unavailable' });
        else if (typeof s.portable === 'string') figures.set('torch', { skipped: 'no equivalent net' });
        else {
          const byThreads = new Map<number, number>();
          for (const r of torchOut.results) if (r.net === s.net.id && r.phase === phase) byThreads.set(r.threads, r.imagesPerSecond);
          figures.set('torch', { byThreads });
        }
      }
      // ConvNetJS
      if (av.skip.convnetjs !== 'not selected (--systems)') {
        if (av.skip.convnetjs || typeof av.convnetjs === 'string') figures.set('convnetjs', { skipped: av.skip.convnetjs ?? 'unavailable' });
        else if (!s.net.convnetjs) figures.set('convnetjs', { skipped: 'not built for this net' });
        else {
          const lib = av.convnetjs.lib;
          figures.set('convnetjs', { single: (await time('convnetjs', () => createConvnetjs(lib, s.net, s.pool, phase))).imagesPerSecond });
        }
      }
      blocks.push({ net: s.net, phase, figures });
    }
  }

  // ---- Kernels.
  let kernelResults: KernelResult[] = [];
  let peakGflops: number | null = null;
  const kernelLines: string[] = [];
  if (kernels) {
    // the table times the wasm kernels training runs: the reference has no such kernels to time
    const k: AllocKernels | string = o.kernelImpl === 'reference' ? 'the reference was asked for (--kernel-impl reference): the table times the wasm kernels training runs' : await wasmKernels();
    if (typeof k === 'string') {
      kernelLines.push(`Kernel GFLOPS: skipped: ${k}`);
      log(`kernels: skipped: ${k}`);
    } else {
      const seconds = Math.max(0.05, o.timing.seconds / 10);
      const { cases, peak } = kernelCases(k);
      log(`kernels: ${k.name}, ${cases.length + 1} measurements of ≥ ${seconds} s ...`);
      peakGflops = timeKernel(peak, seconds);
      kernelResults = cases.map((c) => ({ name: c.name, gflops: timeKernel(c, seconds) }));
      kernelLines.push(`Kernel GFLOPS (${k.name}: the layer kernels training runs, synthetic data; one thread; subsampling counts one operation per input pixel)`);
      kernelLines.push(`  ${pad('peak: matmul 512×512×512 (the convolutions\' product)', 64)}${pad(peakGflops.toFixed(2), 9, true)}`);
      for (const r of kernelResults) kernelLines.push(`  ${pad(r.name, 64)}${pad(r.gflops.toFixed(2), 9, true)}   ${((100 * r.gflops) / peakGflops).toFixed(0)}% of peak`);
      // The engine's own whole-layer kernels (what training runs), one thread, a training batch of real
      // images; N3's rows are the padded convolutions, batch normalisation and max pooling.
      const engine = o.kernelImpl === 'reference' ? 'the reference was asked for' : await engineModule();
      const pool = pools.get(poolKey(NETS.N1));
      if (typeof engine !== 'string' && pool) {
        kernelLines.push('Engine layers (src/wasm/engine.ts profileLayers: whole-batch layer kernels, one thread, training batch of real images)');
        // the bench's nets, then the built-in recipes whose layers issue 18 holds to 60 % of the peak,
        // each at its own training batch, its input the digits centred as the trainer centres them
        const profiled = [
          ...(['N1', 'N2', 'N3'] as const).map((id) => ({ id: id as string, description: NETS[id].description, batch: NETS[id].trainBatch, pad: NETS[id].pad })),
          ...PROFILED_RECIPES.map((name) => {
            const r = builtinRecipe(name);
            return { id: name, description: r.network, batch: r.training.batch, pad: (r.network.input[1] - pool.side) / 2 };
          }),
        ];
        for (const { id, description, batch, pad: inputPad } of profiled) {
          const fast = await engine.createFastNetwork(description, { batch, threads: 1 });
          if (!fast.computeGradients || !fast.profileLayers) {
            await fast.dispose();
            break;
          }
          const side = pool.side + 2 * inputPad;
          const images = padded(pool, inputPad).subarray(0, batch * side * side);
          fast.computeGradients(images, pool.labels.subarray(0, batch), batch);
          for (const r of fast.profileLayers(seconds)) {
            const name = `engine ${id} ${r.layer} ${r.phase}`;
            kernelResults.push({ name, gflops: r.gflops });
            kernelLines.push(`  ${pad(name, 64)}${pad(r.gflops.toFixed(2), 9, true)}   ${((100 * r.gflops) / peakGflops).toFixed(0)}% of peak · ${r.microsecondsPerImage.toFixed(1)} µs/image`);
          }
          await fast.dispose();
        }
      }
    }
  }

  // ---- The simard-wide epoch, distortions included, against PyTorch's version of the recipe.
  const epoch = epochRun ? await epochSection(pools.get(poolKey(NETS.N1))!, o.threads, o.epochImages, o.systems.has('torch') ? av.torch : null, log) : null;

  // ---- Output.
  out.push('');
  for (const b of blocks) {
    out.push(renderBlock(b, o, labels));
    out.push('');
  }
  const notes: string[] = [];
  if (av.convnotes.kind === 'reference') notes.push(`convnotes rows are the float64 reference Network (single-threaded): ${av.convnotes.reason}.`);
  if (av.tfjs) {
    if (av.tfjs.registeredFilterGradient) notes.push(`† ${FILTER_GRAD_NOTE}; checked against the cpu backend above.`);
    notes.push('TF.js runs on one thread in Node (its multithreaded wasm build is disabled there; the cpu backend has none): its one figure is compared with convnotes at every thread count.');
  }
  if (av.jax) notes.push(JAX_NOTE);
  if (typeof av.convnetjs !== 'string' && o.systems.has('convnetjs')) notes.push(`‡ ${CONVNETJS_NOTE}: not the same function, so not checked above.`);
  if (torchOut) notes.push(`torch ${torchOut.torch} (Python ${torchOut.python}, ${av.torch?.python}), torch.set_num_threads(T) per row.`);
  for (const [s, why] of Object.entries(av.skip)) if (why && why !== 'not selected (--systems)') notes.push(`${s} skipped: ${why}`);
  for (const n of runNotices) notes.push(`notice: ${n}`);
  if (mismatches) notes.push(`WARNING: ${mismatches} same-function check(s) failed (see the first table).`);
  out.push(...notes);
  if (epoch) {
    out.push('');
    out.push(...epoch.lines);
  }
  if (kernelLines.length) {
    out.push('');
    out.push(...kernelLines);
  }
  console.log(out.join('\n'));

  if (o.json) {
    const report: Report = { rows: [], kernels: kernelResults, peakGflops, memory: [], epoch: epoch?.results ?? [] };
    for (const b of blocks) {
      for (const t of o.threads) {
        const num = (s: SystemId) => at(b.figures.get(s), t);
        report.rows.push({
          net: b.net.id, phase: b.phase, threads: t,
          convnotes: num('convnotes') ?? NaN,
          tfjsWasm: num('tfjs-wasm'), tfjsCpu: num('tfjs-cpu'), jaxWasm: num('jax-wasm'), torch: num('torch'),
        });
      }
    }
    console.log(JSON.stringify(report));
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.CONVNOTES_DEBUG && e instanceof Error) console.error(e.stack);
    process.exitCode = 1;
  },
);
