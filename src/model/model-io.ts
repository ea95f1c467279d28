// Model files on disk (Node only; model-file.ts and safetensors.ts stay browser-safe).
//
// saveModel never leaves a half-written model where a good one was (src/util/atomic.ts: a temporary file in
// the same directory, fsynced, renamed over the target, the directory fsynced).

import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { ModelFileError } from './errors.js';
import { decodeModel, encodeModel, type LoadedModel, type ModelFile } from './model-file.js';

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EISDIR': return 'is a directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOSPC': return 'no space left on the device';
    default: return code ?? (e as Error).message;
  }
}

/** Writes `m` to `file` atomically: readers see the old file or the new one, never a part. */
export function saveModel(file: string, m: ModelFile): void {
  const bytes = encodeModel(m); // first, so that an invalid model touches nothing on disk
  try {
    writeFileAtomic(file, bytes);
  } catch (e) {
    throw new ModelFileError(file, `cannot write the model (${reason(e)})`);
  }
}

/** Reads and checks a model file (ModelFileError naming the file for any problem). */
export function loadModel(file: string): LoadedModel {
  let bytes: Uint8Array;
  try {
    if (statSync(file).isDirectory()) throw new ModelFileError(file, 'is a directory, expected a model file');
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${reason(e)})`);
  }
  return decodeModel(bytes, file);
}
