// Weight initialisation. Biases start at zero; weights are drawn uniform in ±bound per unit:
//   glorot: bound = √(6 / (fanIn + fanOut))       (Glorot & Bengio 2010; DeepLearnToolbox's choice)
//   lecun:  bound = 2.4 / fanIn                   (LeCun et al. 1998, Appendix A)
//   uniform: bound = scale
// Each is multiplied by `scale` (default 1) so a description can shrink or widen it.
import type { InitSpec } from './description.js';
import type { Rng } from '../util/rng.js';

export function initBound(init: Required<InitSpec>, fanIn: number, fanOut: number): number {
  switch (init.type) {
    case 'glorot': return init.scale * Math.sqrt(6 / (fanIn + fanOut));
    case 'lecun': return init.scale * 2.4 / fanIn;
    case 'uniform': return init.scale;
  }
}

export function fillUniform(rng: Rng, a: Float64Array, offset: number, count: number, bound: number): void {
  for (let i = 0; i < count; i++) a[offset + i] = rng.range(-bound, bound);
}
