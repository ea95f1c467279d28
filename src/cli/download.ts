// `convnotes download`: a dataset's four IDX files (src/data/download.ts), with progress lines.
import { downloadDataset } from '../data/download.js';

export async function runDownload(name: string, o: { dir?: string; json: boolean }): Promise<number> {
  const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
  const r = await downloadDataset({ name, dir: o.dir, log: (l) => say(`  ${l}`) });
  say(`${name}: ${r.fetched.length} file(s) downloaded, ${r.kept.length} already present, in ${r.dir}`);
  if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  return 0;
}
