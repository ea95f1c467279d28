// Resolving `--recipe NAME|FILE` to a network description.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { DescriptionError, resolveDescription, type ResolvedDescription } from '../description.js';
import { builtinNetwork, builtinNetworks } from '../networks/builtin.js';
import { CliError } from './errors.js';

/** A built-in name, or a path to a JSON description; errors name the file and the field. */
export function loadDescription(arg: string): ResolvedDescription {
  if (Object.hasOwn(builtinNetworks, arg)) return resolveDescription(builtinNetwork(arg));
  if (!existsSync(arg)) {
    throw new CliError(`--recipe ${arg}: not a built-in network (${Object.keys(builtinNetworks).join(', ')}) and no such file`);
  }
  if (statSync(arg).isDirectory()) throw new CliError(`${arg}: is a directory, expected a JSON network description`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(arg, 'utf8'));
  } catch (e) {
    throw new CliError(`${arg}: invalid JSON (${(e as Error).message})`);
  }
  try {
    return resolveDescription(json);
  } catch (e) {
    if (e instanceof DescriptionError) throw new DescriptionError(`${arg}: ${e.path}`, e.message.slice(e.path.length + 2));
    throw e;
  }
}
