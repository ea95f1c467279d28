// Errors the command line reports as one line (`convnotes: <file or flag>: <problem>`) with exit code 1.
// A stack trace is printed only with --verbose.
import { DescriptionError } from '../network/description.js';
import { DataError } from '../data/idx.js';
import { DownloadError } from '../data/download.js';
import { ModelFileError } from '../model/errors.js';
import { RecipeError } from '../recipes/recipe.js';
import { DivergenceError } from '../train/trainer.js';

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** Errors that are the user's input, not a bug: reported without a stack trace. */
export function isUserError(e: unknown): boolean {
  return e instanceof CliError || e instanceof DescriptionError || e instanceof DataError || e instanceof RangeError ||
    e instanceof RecipeError || e instanceof ModelFileError || e instanceof DivergenceError || e instanceof DownloadError;
}

export function report(e: unknown, verbose: boolean): number {
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`convnotes: ${message}\n`);
  if (verbose && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  else if (!isUserError(e)) process.stderr.write('(an internal error: run again with --verbose for the stack trace, and please report it)\n');
  return 1;
}
