// Activation names (as descriptions write them) and their kernel codes. The functions themselves are
// kernels (kernels/reference.ts: activate, activationBackward), because they run per element.
import { Act } from '../kernels/kernels.js';
import type { ActivationName } from './description.js';

export function activationCode(name: ActivationName): Act {
  switch (name) {
    case 'identity': return Act.Identity;
    case 'sigmoid': return Act.Sigmoid;
    case 'tanh': return Act.Tanh;
    case 'lecun': return Act.LeCun;
    case 'relu': return Act.Relu;
  }
}
