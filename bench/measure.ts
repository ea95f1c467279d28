// Timing: warm up, then repeat a step until a minimum time has passed, and report images per second.

export interface TimingOptions {
  /** Minimum timed duration, seconds. */
  seconds: number;
  /** Minimum warm-up duration, seconds (and at least `warmupIterations` steps). */
  warmup: number;
  warmupIterations?: number;
  /** At least this many timed steps, however long they take. */
  minIterations?: number;
}

export interface Timing {
  imagesPerSecond: number;
  iterations: number;
  seconds: number;
}

/**
 * Times `step(i)` (i = 0, 1, …, continuing through warm-up), each processing `batch` images. The timed
 * part is cut into windows of ≥ WINDOW seconds (and ≥ 1 step), and the fastest window is reported:
 * on a shared 2-core machine other work steals time in bursts, and the best window is the figure
 * that the system itself can sustain. torch_bench.py measures the same way.
 */
export const WINDOW = 0.25;

export function measure(step: (i: number) => unknown, batch: number, o: TimingOptions): Timing {
  let i = 0;
  const w0 = performance.now();
  const wIters = o.warmupIterations ?? 2;
  while (i < wIters || performance.now() - w0 < o.warmup * 1000) step(i++);
  const minIters = o.minIterations ?? 1;
  let n = 0;
  let best = 0;
  const t0 = performance.now();
  let t = t0;
  let windowStart = t0;
  let windowSteps = 0;
  while (n < minIters || t - t0 < o.seconds * 1000) {
    step(i++);
    n++;
    windowSteps++;
    t = performance.now();
    if (t - windowStart >= WINDOW * 1000) {
      best = Math.max(best, (windowSteps * batch) / ((t - windowStart) / 1000));
      windowStart = t;
      windowSteps = 0;
    }
  }
  const seconds = (t - t0) / 1000;
  if (best === 0) best = (n * batch) / seconds;
  return { imagesPerSecond: best, iterations: n, seconds };
}

/** The number of distinct batches of size `batch` in a pool of `count` images (step i uses i mod that). */
export function batchesIn(count: number, batch: number): number {
  const n = Math.floor(count / batch);
  if (n < 1) throw new Error(`the data pool holds ${count} images, fewer than one batch of ${batch}; raise --images`);
  return n;
}
