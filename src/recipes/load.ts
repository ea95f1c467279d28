// A recipe or a network description by name (a built-in) or from a JSON file (what `--recipe NAME|FILE`
// names), with one-line errors naming the file and the field (Node: reads files).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { DescriptionError, resolveDescription, type ResolvedDescription } from '../network/description.js';
import { builtinNetwork, builtinNetworks } from './builtin.js';
import { builtinRecipe, builtinRecipes, RecipeError, resolveRecipe, type Recipe } from './recipe.js';

/** The JSON in file `arg` (named by --recipe), with one-line errors for a missing file, a folder, bad JSON. */
function readJsonArg(arg: string, builtins: string[], kind: string, what: string): unknown {
  if (!existsSync(arg)) throw new RecipeError(`--recipe ${arg}`, `not a built-in ${kind} (${builtins.join(', ')}) and no such file`);
  if (statSync(arg).isDirectory()) throw new RecipeError(arg, `is a directory, expected ${what}`);
  try {
    return JSON.parse(readFileSync(arg, 'utf8'));
  } catch (e) {
    throw new RecipeError(arg, `invalid JSON (${(e as Error).message})`);
  }
}

/** A built-in name, or a path to a JSON description; errors name the file and the field. */
export function loadDescription(arg: string): ResolvedDescription {
  if (Object.hasOwn(builtinNetworks, arg)) return resolveDescription(builtinNetwork(arg));
  const json = readJsonArg(arg, Object.keys(builtinNetworks), 'network', 'a JSON network description');
  try {
    return resolveDescription(json);
  } catch (e) {
    if (e instanceof DescriptionError) throw new DescriptionError(`${arg}: ${e.path}`, e.message.slice(e.path.length + 2));
    throw e;
  }
}

/** `--recipe NAME|FILE` as a training recipe: a built-in recipe, or a JSON file (a recipe or a bare description). */
export function loadRecipe(arg: string): Recipe {
  if (Object.hasOwn(builtinRecipes, arg)) return builtinRecipe(arg);
  const json = readJsonArg(arg, Object.keys(builtinRecipes), 'recipe', 'a JSON recipe');
  try {
    // a bare network description trains with the default settings
    const isDescription = typeof json === 'object' && json !== null && 'layers' in json;
    return resolveRecipe(isDescription ? { name: (json as { name?: string }).name ?? 'recipe', network: json } : json, builtinNetworks);
  } catch (e) {
    if (e instanceof RecipeError) throw new RecipeError(`${arg}: ${e.path}`, e.message.slice(e.path.length + 2));
    throw e;
  }
}
