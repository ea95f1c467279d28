#!/usr/bin/env node
// `node scripts/param-hashes.mjs FILE.safetensors …`: the SHA-256 of each model file's parameters (the
// float values only, not the metadata), one line per file: how a change is shown to leave trained
// weights bit-identical (train the same recipes, seeds and data before and after; compare the lines).
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { loadModel } from '../dist/node.js';

for (const file of process.argv.slice(2)) {
  const { params } = loadModel(file);
  const bytes = Buffer.from(params.buffer, params.byteOffset, params.byteLength);
  console.log(`${basename(file)} ${createHash('sha256').update(bytes).digest('hex')}`);
}
