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

/** Times `step(i)` (i = 0, 1, …, continuing through warm-up), each processing `batch` images. */
export function measure(step: (i: number) => unknown, batch: number, o: TimingOptions): Timing {
  let i = 0;
  const w0 = performance.now();
  const wIters = o.warmupIterations ?? 2;
  while (i < wIters || performance.now() - w0 < o.warmup * 1000) step(i++);
  const minIters = o.minIterations ?? 1;
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (n < minIters || t - t0 < o.seconds * 1000) {
    step(i++);
    n++;
    t = performance.now();
  }
  const seconds = (t - t0) / 1000;
  return { imagesPerSecond: (n * batch) / seconds, iterations: n, seconds };
}

/** The number of distinct batches of size `batch` in a pool of `count` images (step i uses i mod that). */
export function batchesIn(count: number, batch: number): number {
  const n = Math.floor(count / batch);
  if (n < 1) throw new Error(`the data pool holds ${count} images, fewer than one batch of ${batch}; raise --images`);
  return n;
}
