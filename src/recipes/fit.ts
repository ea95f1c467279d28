// A recipe fitted to the data it trains on: the built-in recipes are written for MNIST (one grey
// channel, 28×28, ten classes); on other data the network takes the data's channels, size and class
// count, and everything that changes is said (the CLI prints `notes`). What cannot be fitted fails with
// a RecipeError naming what does not fit. Browser-safe.
//
// Rules (docs/DATA.md, "Recipes on other data"):
// - channels: the input's maps become the images' channels;
// - size: each input side becomes max(recipe's side, image side): images smaller than the input are
//   centred in it (MNIST's 28×28 digits in LeNet-5's 32×32 field), larger ones widen it;
// - classes: the last layer, fully connected, gets one unit per class; a recipe trained towards fixed
//   class codes (LeNet-5's digit bitmaps) fits only as many classes as it has codes; the data's class
//   names (when it has them) become the network's `classNames`.
// The layers in between keep their maps and kernels; a size that no longer divides by a subsampling
// factor (or leaves a convolution nothing) fails with the description's own message.

import { DescriptionError, resolveDescription, type LayerDescription, type NetworkDescription } from '../network/description.js';
import { RecipeError, type Recipe } from './recipe.js';
import { measureStatistics } from '../data/statistics.js';
import type { Dataset } from '../data/dataset.js';

/** What a recipe is fitted to: the training images' shape and the classes they are labelled with. */
export interface DataShape {
  channels: number;
  rows: number;
  cols: number;
  classes: number;
  /** Class c's name, when the data names its classes: the fitted network carries them. */
  classNames?: string[];
  /** Where the data came from, for messages. */
  source: string;
}

/** `recipe` with its network fitted to `data`, and one note per change (none when it fits as it is). */
export function fitRecipe(recipe: Recipe, data: DataShape): { recipe: Recipe; notes: string[] } {
  const d = recipe.network;
  const [maps, height, width] = d.input;
  const input: [number, number, number] = [data.channels, Math.max(height, data.rows), Math.max(width, data.cols)];
  const notes: string[] = [];
  if (input[0] !== maps || input[1] !== height || input[2] !== width) {
    notes.push(`input ${maps}×${height}×${width} → ${input.join('×')} (the data's ${data.channels}×${data.rows}×${data.cols} images)`);
  }
  const layers = d.layers.map((l) => ({ ...l })) as LayerDescription[];
  const last = layers[layers.length - 1];
  if (d.codes) {
    if (d.codes.length !== data.classes) {
      throw new RecipeError(`${recipe.name}: network.codes`,
        `expected ${data.classes} class codes for ${data.source}'s ${data.classes} classes: ${recipe.name} trains its output towards ${d.codes.length} fixed codes (one per digit) and cannot tell other classes apart; use a recipe with a softmax output (e.g. lenet5-distort)`);
    }
  } else if (last.type === 'full') {
    if (last.units !== data.classes) {
      notes.push(`outputs ${last.units} → ${data.classes} (the data's classes)`);
      last.units = data.classes;
    }
  } else {
    const outputs = d.shapes[d.shapes.length - 1].reduce((a, b) => a * b, 1);
    if (outputs !== data.classes) {
      throw new RecipeError(`${recipe.name}: network.layers[${layers.length - 1}]`,
        `expected a fully connected last layer to give ${data.classes} outputs (${data.source}'s classes), got a ${last.type} layer of ${outputs} outputs`);
    }
  }
  const names = data.classNames && data.classNames.length === data.classes ? data.classNames : undefined;
  const renamed = names !== undefined && (d.classNames === undefined || d.classNames.join('\n') !== names.join('\n'));
  if (renamed) notes.push(`class names ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`);
  if (notes.length === 0) return { recipe, notes };
  const { shapes: _, codes, classNames, ...rest } = d;
  // names for another class count do not carry over
  const kept = classNames && classNames.length === data.classes ? classNames : undefined;
  const described: NetworkDescription = { ...rest, codes: codes ?? undefined, input, layers, classNames: renamed ? names : kept };
  let network;
  try {
    network = resolveDescription(described);
  } catch (e) {
    if (e instanceof DescriptionError) {
      throw new RecipeError(`${recipe.name}: network.${e.path}`,
        `${e.message.slice(e.path.length + 2)} (the network fitted to ${data.source}'s ${data.channels}×${data.rows}×${data.cols} images)`);
    }
    throw e;
  }
  return { recipe: { ...recipe, network }, notes };
}

/**
 * A `standard` recipe with its statistics measured on `train` (the training set, after any validation
 * split), and a note saying them; any other recipe, or one whose statistics fit the channels, as it is.
 */
export function withStatistics(recipe: Recipe, train: Dataset): { recipe: Recipe; notes: string[] } {
  if (recipe.normalise !== 'standard' || (recipe.statistics && recipe.statistics.mean.length === recipe.network.input[0])) return { recipe, notes: [] };
  const statistics = measureStatistics(train);
  const show = (v: number[]) => v.map((x) => x.toFixed(4)).join(', ');
  return {
    recipe: { ...recipe, statistics },
    notes: [`inputs standardised per channel by the training set's mean ${show(statistics.mean)} and deviation ${show(statistics.std)} (of level/255)`],
  };
}
