#!/usr/bin/env node
// Converts an IDX set (MNIST, Fashion-MNIST, …) into an image folder of grey PNGs, the layout
// `convnotes train --data DIR` reads as images (docs/DATA.md): OUT/train/<label>/<index>.png and
// OUT/test/<label>/<index>.png, <index> the image's place in its IDX file, zero-padded so that name
// order is file order. For measuring the image reader (and its cache) on a set whose IDX form is known.
//
//   npm run build && node scripts/mnist-to-png.mjs [IDX_DIR] [--out OUT]
//     IDX_DIR: default $CONVNOTES_DATA (a folder holding the four standard IDX files)
//     OUT: default ./mnist-png; must not exist yet (the folder is written under a temporary name
//          beside it and renamed when complete, so a stopped run leaves no half folder at OUT)

import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';

const DIST = join(import.meta.dirname, '..', 'dist');
if (!existsSync(join(DIST, 'data', 'files.js'))) {
  console.error('mnist-to-png: no dist/ (run npm run build first)');
  process.exit(2);
}
const { loadSplit } = await import(join(DIST, 'data', 'files.js'));

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = resolve(outAt >= 0 ? args[outAt + 1] ?? '' : 'mnist-png');
const positional = args.filter((_, i) => i !== outAt && i !== outAt + 1);
const source = positional[0] ?? process.env.CONVNOTES_DATA;
if (!source) {
  console.error('mnist-to-png: give the IDX folder as the first argument or in CONVNOTES_DATA');
  process.exit(2);
}
if (existsSync(out)) {
  console.error(`mnist-to-png: ${out} already exists; give another --out or remove it`);
  process.exit(2);
}

const temp = `${out}.tmp-${process.pid}`;
mkdirSync(dirname(out), { recursive: true });
try {
  for (const split of ['train', 'test']) {
    const d = loadSplit(source, split);
    const digits = String(d.count - 1).length;
    const png = new PNG({ width: d.cols, height: d.rows });
    png.data.fill(255);
    const made = new Set();
    const started = performance.now();
    for (let i = 0; i < d.count; i++) {
      const label = String(d.labels[i]);
      const folder = join(temp, split, label);
      if (!made.has(label)) {
        mkdirSync(folder, { recursive: true });
        made.add(label);
      }
      const size = d.rows * d.cols;
      for (let p = 0; p < size; p++) png.data[4 * p] = png.data[4 * p + 1] = png.data[4 * p + 2] = d.images[i * size + p];
      writeFileSync(join(folder, `${String(i).padStart(digits, '0')}.png`), PNG.sync.write(png, { colorType: 0 }));
      if ((i + 1) % 5000 === 0 || i + 1 === d.count) {
        console.log(`${split}: ${i + 1}/${d.count} images (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
  }
  renameSync(temp, out);
  console.log(`mnist-to-png: ${out}`);
} catch (e) {
  rmSync(temp, { recursive: true, force: true });
  console.error(`mnist-to-png: ${e.message}`);
  process.exit(1);
}
