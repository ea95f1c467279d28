// Where this project's own tools (the bench, the playground's dev server, the measuring scripts) read
// MNIST from when not told: $CONVNOTES_DATA, else the full set beside the checkout
// (../shared/datasets/mnist) when it is there, else the library's default (the user cache). The
// library and the CLI know nothing of ../shared; tests use the shipped digits (data/digits).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const IDX = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

export function devDataDir() {
  if (process.env.CONVNOTES_DATA) return resolve(process.env.CONVNOTES_DATA);
  const shared = resolve(import.meta.dirname, '..', '..', 'shared', 'datasets', 'mnist');
  if (IDX.every((f) => existsSync(join(shared, `${f}.gz`)) || existsSync(join(shared, f)))) return shared;
  return join(process.env.XDG_CACHE_HOME || join(process.env.HOME ?? '', '.cache'), 'convnotes', 'mnist');
}
