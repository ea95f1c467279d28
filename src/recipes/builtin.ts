// The built-in network descriptions. Each is a plain JSON-able object: copy one as a template
// (`convnotes describe NAME` prints it) and change what you like.

import type { NetworkDescription } from '../network/description.js';
import * as check from '../util/validate.js';
import bouvrieRecipe from './bouvrie.json' with { type: 'json' };
import dltRecipe from './dlt.json' with { type: 'json' };
import learnedRecipe from './learned.json' with { type: 'json' };
import lenet5Recipe from './lenet5.json' with { type: 'json' };
import lenet5DistortRecipe from './lenet5-distort.json' with { type: 'json' };
import simardRecipe from './simard.json' with { type: 'json' };
import simardWideRecipe from './simard-wide.json' with { type: 'json' };
import simard2003Recipe from './simard-2003.json' with { type: 'json' };
import lenetBnRecipe from './lenet-bn.json' with { type: 'json' };
import speedrun99Recipe from './speedrun-99.json' with { type: 'json' };
import speedrun995Recipe from './speedrun-995.json' with { type: 'json' };

/** The notes' network: §3.1 convolutions and §3.2 subsampling with trainable β, b and activation. */
export const bouvrie = bouvrieRecipe.network as NetworkDescription;

/** DeepLearnToolbox's CNN: the same net with fixed mean pooling (β = 1/4, no b, no activation). */
export const dlt = dltRecipe.network as NetworkDescription;

/**
 * LeNet-5 (LeCun et al. 1998): 32×32 input, C1 6@5×5, S2, C3 16@5×5 with the paper's table, S4,
 * C5 120 (a 5×5 convolution over all of S4's 5×5 maps, hence 1×1 maps), F6 84, all with the scaled
 * tanh 1.7159·tanh(2x/3) and fan-in initialisation ±2.4/F. The paper's RBF output layer compares F6
 * with a fixed ±1 code per class (a stylized 7×12 bitmap of the digit); here F6 is the output, trained
 * by squared error towards its class's code (the description's `codes`), and the nearest code is the
 * class, which is the RBF layer's loss and decision without its (fixed) parameters.
 */
export const lenet5 = lenet5Recipe.network as NetworkDescription;

/** LeNet-5 with C3's hand-made table replaced by §3.3 learned combinations (a kernel per pair of
 *  maps) and the entropy penalty, which does make α sparse (§3.3.1). */
export const learned = learnedRecipe.network as NetworkDescription;

/** LeNet-5 with 10 softmax outputs on F6 (cross-entropy) in place of the digit-specific RBF codes. */
export const lenet5Distort = lenet5DistortRecipe.network as NetworkDescription;

/** Simard et al. 2003: two 5×5 convolutions at stride 2 (convolution + decimation), 5 and 50 maps, 100 hidden, ReLU, softmax. */
export const simard = simardRecipe.network as NetworkDescription;

/** The same plan at LeNet-class widths: 20 and 50 maps with ReLU and mean pooling, 500 hidden ReLU units, softmax. */
export const simardWide = simardWideRecipe.network as NetworkDescription;

/** Simard et al. 2003 as their paper builds it: 29×29 input, 5 and 50 maps of 5×5 convolutions at stride 2, 100 hidden, scaled tanh, softmax. */
export const simard2003 = simard2003Recipe.network as NetworkDescription;

/** A LeNet-class net with padding, batch normalisation, max pooling and dropout (beyond the notes). */
export const lenetBn = lenetBnRecipe.network as NetworkDescription;

/** Time to 99 %: two small 5×5 convolutions with max pooling, 64 hidden, softmax (35,330 weights). */
export const speedrun99 = speedrun99Recipe.network as NetworkDescription;

/** Time to 99.5 %: 5×5 convolutions of 20 and 40 maps with max pooling, 128 hidden, softmax with label smoothing. */
export const speedrun995 = speedrun995Recipe.network as NetworkDescription;

export const builtinNetworks: Record<string, NetworkDescription> = {
  bouvrie, dlt, lenet5, learned, 'lenet5-distort': lenet5Distort, simard, 'simard-wide': simardWide, 'simard-2003': simard2003, 'lenet-bn': lenetBn,
  'speedrun-99': speedrun99, 'speedrun-995': speedrun995,
};

export function builtinNetwork(name: string): NetworkDescription {
  if (typeof name !== 'string' || !Object.hasOwn(builtinNetworks, name)) check.fail('name', `a built-in network: one of ${Object.keys(builtinNetworks).join(', ')}`, name);
  const d = builtinNetworks[name];
  return structuredClone(d);
}
