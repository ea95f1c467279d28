// Writing a file so that a crash never leaves half of it (Node only): the bytes go to a temporary name
// beside the target, are fsynced, and the temporary file is renamed over the target; then the folder
// is fsynced so the rename itself survives a power cut where the platform allows.

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `bytes` to `file`: readers see the old file or the new one, never a part. Throws the system error. */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
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
    throw e;
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
