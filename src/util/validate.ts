// Checks of the arguments of the public functions, made once per call at the API boundary (never in a
// hot loop), so that a wrong argument fails at once with the same one-line message a description
// does (description.ts): the argument or field by its path, what was expected, what was given:
//
//   labels: expected 50 class labels (one per pattern of the batch), got a Uint8Array of 10
//   rate: expected a finite number, got NaN
//
// ArgumentError is a RangeError (what the library threw for these before), with `path` like
// DescriptionError's and RecipeError's.

/** An argument that is not what the function takes; `path` names it (`options.batch`, `labels[3]`). */
export class ArgumentError extends RangeError {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ArgumentError';
  }
}

/** A value as a message shows it, on one short line: JSON for small values, a kind and length for arrays. */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return String(v);
  if (ArrayBuffer.isView(v)) {
    const n = (v as unknown as { length?: number }).length;
    return `${/^[AEIO]/.test(v.constructor.name) ? 'an' : 'a'} ${v.constructor.name}${n === undefined ? '' : ` of ${n}`}`;
  }
  let s: string | undefined;
  if (Array.isArray(v)) {
    if (v.length > 8) return `an array of ${v.length}`;
    // element by element, so that NaN and Infinity show as themselves (JSON would write null)
    s = `[${v.map(show).join(',')}]`;
  } else {
    try {
      s = JSON.stringify(v);
    } catch {
      s = undefined; // a BigInt inside, a cycle
    }
    s ??= String(v);
  }
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

export function fail(path: string, expected: string, got: unknown): never {
  throw new ArgumentError(path, `expected ${expected}, got ${show(got)}`);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object (options, a dataset, …). */
export function object(v: unknown, path: string, what = 'an object'): Record<string, unknown> {
  if (!isObject(v)) fail(path, what, v);
  return v;
}

/** A finite number, optionally within [min, max]. */
export function finite(v: unknown, path: string, min = -Infinity, max = Infinity, what?: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    fail(path, what ?? (min === -Infinity && max === Infinity ? 'a finite number' : `a finite number in [${min}, ${max}]`), v);
  }
  return v;
}

/** An integer in [min, max]. */
export function integer(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER, what?: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    fail(path, what ?? (max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : `an integer ≥ ${min}`) : `an integer in [${min}, ${max}]`), v);
  }
  return v;
}

/** A batch size: 1 … max (the batch a network was laid out for, when it has one). */
export function batchSize(v: unknown, path: string, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > max) {
    fail(path, max === Infinity ? 'a positive integer' : `an integer in [1, ${max}] (the batch this network was laid out for is ${max})`, v);
  }
  return v;
}

/** An array or typed array of numbers holding at least `min` values ([what] says what they are). */
export function numbers(v: unknown, path: string, min: number, what: string): ArrayLike<number> {
  const ok = (ArrayBuffer.isView(v) && !(v instanceof DataView)) || Array.isArray(v);
  if (!ok || (v as ArrayLike<number>).length < min) fail(path, what, v);
  return v as ArrayLike<number>;
}

/** A Float32Array or Float64Array of at least `min` values. */
export function floats(v: unknown, path: string, min: number, what: string): Float32Array | Float64Array {
  if (!(v instanceof Float32Array || v instanceof Float64Array) || v.length < min) fail(path, what, v);
  return v;
}

/**
 * Class labels of a batch: `batch` integers in [0, classes). One pass over the batch's labels, once
 * per call (as the loss reads them anyway).
 */
export function labels(v: unknown, path: string, batch: number, classes: number): ArrayLike<number> {
  const ok = (ArrayBuffer.isView(v) && !(v instanceof DataView)) || Array.isArray(v);
  if (!ok || (v as ArrayLike<number>).length < batch) fail(path, `${batch} class labels (one per pattern of the batch)`, v);
  const l = v as ArrayLike<number>;
  for (let b = 0; b < batch; b++) {
    const c = l[b];
    if (!Number.isInteger(c) || c < 0 || c >= classes) fail(`${path}[${b}]`, `a class index in [0, ${classes - 1}]`, c);
  }
  return l;
}

/** One of a list of strings. */
export function oneOf<T extends string>(v: unknown, path: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) fail(path, `one of ${options.join(', ')}`, v);
  return v as T;
}
