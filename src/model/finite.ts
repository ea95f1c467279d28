// Parameters that are not numbers: a model file written by a run that diverged (or edited by hand)
// may hold NaN or ±Infinity. Using it would print a NaN loss or NaN scores; the commands that read a
// model (eval, predict, export) refuse it instead, naming the tensor. Browser-safe.

import type { ResolvedDescription } from '../network/description.js';
import { ModelFileError } from './errors.js';
import type { ParamArray } from './model-file.js';
import { paramViews } from './views.js';

export interface NonFinite {
  /** The parameter view's name, e.g. `C1.kernel`. */
  tensor: string;
  /** Index within the tensor (row-major). */
  index: number;
  value: number;
  /** How many values of that tensor are not finite. */
  count: number;
}

/** The first tensor (in the description's order) holding a NaN or an infinity, or null if all are finite. */
export function firstNonFinite(description: ResolvedDescription, params: ParamArray): NonFinite | null {
  for (const v of paramViews(description)) {
    let first = -1;
    let count = 0;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(params[v.offset + i])) {
        if (first < 0) first = i;
        count++;
      }
    }
    if (first >= 0) return { tensor: v.name, index: first, value: params[v.offset + first], count };
  }
  return null;
}

/** Throws a ModelFileError naming `file` and the first tensor that is not finite. */
export function assertFiniteParams(file: string, description: ResolvedDescription, params: ParamArray): void {
  const bad = firstNonFinite(description, params);
  if (bad) {
    throw new ModelFileError(file, `tensor "${bad.tensor}" holds ${bad.value} at index ${bad.index} (${bad.count} of its values are not finite): ` +
      'the parameters are unusable (written by a run that diverged?)');
  }
}
