import type { ChildProcess } from 'node:child_process';

export interface PlaygroundServer {
  proc: ChildProcess;
  /** Where it listens, e.g. http://127.0.0.1:43117 */
  origin: string;
  /** What it has printed so far. */
  log: string;
  stop(): void;
}

/** scripts/play.mjs on a free port serving `dataDir` under /data/ (`extra`: e.g. ['--no-hmr'], ['--preview']). */
export function startPlayground(dataDir: string, extra?: string[]): Promise<PlaygroundServer>;
