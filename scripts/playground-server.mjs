// Starts the playground's server (scripts/play.mjs: the dev server, or with --preview the built site)
// on a free port, serving `dataDir` under /data/, and resolves when it says where it listens. One
// place for the tests and the scripts that drive the page (screenshot, measure).
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

export function startPlayground(dataDir, extra = []) {
  const proc = spawn(process.execPath, [join(ROOT, 'scripts', 'play.mjs'), '--data', dataDir, '--port', '0', ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const server = { proc, origin: '', log: '', stop: () => proc.kill() };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the playground's server did not start:\n${server.log}`)), 30_000);
    const read = (b) => {
      server.log += b.toString();
      const m = /convnotes playground: (http:\/\/\S+?)\/?\s/.exec(server.log);
      if (m && !server.origin) {
        clearTimeout(timer);
        server.origin = m[1];
        resolve(server);
      }
    };
    proc.stdout.on('data', read);
    proc.stderr.on('data', read);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the playground's server exited (${code}):\n${server.log}`));
    });
  });
}
