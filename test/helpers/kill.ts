// Starts `convnotes train ARGS --out FILE` and SIGKILLs it during its second epoch (the first epoch's
// checkpoint written, the run still going): what --resume must then continue exactly.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export async function killDuringSecondEpoch(cli: string, args: string[], out: string): Promise<number | null> {
  const log = out.replace(/\.safetensors$/, '') + '.log.jsonl';
  const child = spawn(process.execPath, [cli, ...args, '--out', out], { stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  // wait for the first epoch's checkpoint, then kill during the second epoch
  while (!existsSync(log) || readFileSync(log, 'utf8').trim().split('\n').length < 1) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGKILL');
  return exited;
}
