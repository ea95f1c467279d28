// Checkpoints (Node only): a model file that also holds how the network is trained (its recipe) and where
// training stands (the trainer's state and the momentum velocities), written at an epoch end and read
// back to resume exactly: a run resumed from one ends with the weights of an uninterrupted run. What
// `convnotes train` writes at every epoch end and `convnotes train --resume` reads; any model file is
// also a checkpoint's weights (loadModel reads both).

import type { TrainableNetwork } from '../network/backend.js';
import { ModelFileError } from '../model/errors.js';
import type { ParamArray } from '../model/model-file.js';
import { loadModel, saveModel } from '../model/model-io.js';
import { recipeToJson, resolveRecipe, type Recipe } from '../recipes/recipe.js';
import type { TrainingState } from './trainer.js';

/** A checkpoint as read back. */
export interface Checkpoint {
  /** The recipe the run trains (its network description included). */
  recipe: Recipe;
  /** Where training stands: pass it to `train({ state })` to continue. */
  state: TrainingState;
  params: ParamArray;
  /** The momentum velocities, when the file holds them. */
  velocity: ParamArray | null;
  /** Adam's moments m and v (`state.moment1`, `state.moment2`), when the file holds them. */
  moment1: ParamArray | null;
  moment2: ParamArray | null;
  /** What the caller stored beside the state (`saveCheckpoint`'s `run`), if anything. */
  run?: unknown;
}

/**
 * Writes a checkpoint of `net` (atomically, like saveModel): its parameters and velocities (and, when the
 * recipe's optimiser is Adam or AdamW, its moments m and v; the step count t is the state's `updates`), the recipe
 * and the trainer's state (what `train`'s `onEpoch` is given). `run` is stored beside the state for the
 * caller's own notes (JSON-able; the CLI keeps its --limit and --eval-train there).
 */
export function saveCheckpoint(
  file: string,
  net: Pick<TrainableNetwork, 'params' | 'views' | 'velocity'> & Partial<Pick<TrainableNetwork, 'moment1' | 'moment2'>>,
  recipe: Recipe,
  state: TrainingState,
  run?: unknown,
): void {
  saveModel(file, {
    description: recipe.network, params: net.params, views: net.views,
    recipe: recipeToJson(recipe), training: run === undefined ? state : { ...state, run }, state: optimizerState(net, recipe),
  });
}

/** The optimiser arrays a model file of `net` trained by `recipe` holds: the velocities, and Adam's moments when it uses Adam. */
export function optimizerState(
  net: Pick<TrainableNetwork, 'velocity'> & Partial<Pick<TrainableNetwork, 'moment1' | 'moment2'>>, recipe: Recipe,
): Record<string, ParamArray> {
  const adam = recipe.training.optimizer !== undefined && recipe.training.optimizer.type !== 'sgd';
  if (!adam) return { velocity: net.velocity };
  if (!net.moment1 || !net.moment2) throw new TypeError('net: a network with Adam\'s moments (moment1, moment2) to save');
  return { velocity: net.velocity, moment1: net.moment1, moment2: net.moment2 };
}

/** Reads a checkpoint; ModelFileError when the file is no model file or holds no training state. */
export function loadCheckpoint(file: string): Checkpoint {
  const m = loadModel(file);
  if (!m.recipe || !m.training) throw new ModelFileError(file, 'holds no training state to resume (it was not written by convnotes train)');
  const { run, ...state } = m.training as TrainingState & { run?: unknown };
  return { recipe: resolveRecipe(m.recipe), state, params: m.params, velocity: m.state.velocity ?? null,
    moment1: m.state.moment1 ?? null, moment2: m.state.moment2 ?? null, ...(run === undefined ? {} : { run }) };
}

/** Puts a checkpoint's parameters (and velocities and Adam's moments, if it has them) into a network made from its recipe. */
export function restoreCheckpoint(
  net: Pick<TrainableNetwork, 'setParams' | 'velocity'> & Partial<Pick<TrainableNetwork, 'moment1' | 'moment2'>>,
  c: Pick<Checkpoint, 'params' | 'velocity'> & Partial<Pick<Checkpoint, 'moment1' | 'moment2'>>,
): void {
  net.setParams(c.params);
  if (c.velocity) net.velocity.set(c.velocity);
  if (c.moment1 && net.moment1) net.moment1.set(c.moment1);
  if (c.moment2 && net.moment2) net.moment2.set(c.moment2);
}
