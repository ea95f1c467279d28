// The folder the playground serves MNIST from: `npm run play -- --data DIR` (CONVNOTES_PLAY_DATA),
// else the CLI's default: $CONVNOTES_DATA, else ../shared/datasets/mnist, else ~/.cache/convnotes/mnist.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function playDataDir() {
  if (process.env.CONVNOTES_PLAY_DATA) return resolve(process.env.CONVNOTES_PLAY_DATA);
  if (process.env.CONVNOTES_DATA) return resolve(process.env.CONVNOTES_DATA);
  const shared = resolve(import.meta.dirname, '..', '..', 'shared', 'datasets', 'mnist');
  if (existsSync(shared)) return shared;
  return join(homedir(), '.cache', 'convnotes', 'mnist');
}
