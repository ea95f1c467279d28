// Model files on disk (Node only; model-file.ts and safetensors.ts stay browser-safe).
//
// saveModel never leaves a half-written model where a good one was: it writes a temporary file in the
// same directory (so the rename stays on one file system), fsyncs it, renames it over the target
// (atomic on POSIX), then fsyncs the directory so that the rename itself survives a crash.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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
  const temp = `${file}.tmp-${process.pid}`;
  let fd: number | null = null;
  try {
    // A temporary file left by a crashed process of the same pid is ours to replace; 'wx' then refuses
    // to follow anything (a symbolic link, say) that appears at the name in between.
    try { unlinkSync(temp); } catch { /* usually there is none */ }
    fd = openSync(temp, 'wx');
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, file);
  } catch (e) {
    if (fd !== null) {
      try { closeSync(fd); } catch { /* already failing: the first error is the one to report */ }
    }
    try { unlinkSync(temp); } catch { /* never created, or already gone */ }
    throw new ModelFileError(file, `cannot write the model (${reason(e)})`);
  }
  syncDirectory(dirname(file));
}

/** Makes a rename durable; some platforms (Windows) and file systems cannot fsync a directory. */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // The file itself is complete and in place; only its durability across a power cut is weaker.
  } finally {
    if (fd !== null) closeSync(fd);
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
