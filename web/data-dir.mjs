// The folder the playground serves MNIST from: `npm run play -- --data DIR` (CONVNOTES_PLAY_DATA),
// else the project's tools' default (scripts/dev-data.mjs).
import { resolve } from 'node:path';
import { devDataDir } from '../scripts/dev-data.mjs';

export function playDataDir() {
  if (process.env.CONVNOTES_PLAY_DATA) return resolve(process.env.CONVNOTES_PLAY_DATA);
  return devDataDir();
}
