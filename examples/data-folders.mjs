import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';                          // any PNG writer; convnotes reads with this one
import { resizeBilinear } from 'convnotes';
import { loadBundledDigits, loadDataFolder } from 'convnotes/node';

// an image folder: 300 training and 100 test digits as grey PNGs, DIR/train/<digit>/<n>.png and DIR/test/…
const dir = mkdtempSync(join(tmpdir(), 'digits-'));
const { train, test } = loadBundledDigits();
for (const [split, d, n] of [['train', train, 300], ['test', test, 100]]) {
  for (let i = 0; i < n; i++) {
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 784; p++) png.data.set([...Array(3).fill(d.images[i * 784 + p]), 255], 4 * p);
    mkdirSync(join(dir, split, String(d.labels[i])), { recursive: true });
    writeFileSync(join(dir, split, String(d.labels[i]), `${String(i).padStart(3, '0')}.png`), PNG.sync.write(png, { colorType: 0 }));
  }
}

const options = { cacheDir: join(dir, '.cache') };  // default: ~/.cache/convnotes/images
const data = loadDataFolder(dir, options);           // { train, test, val, kind, origin }
console.log(data.kind, data.train.classNames.join(','), data.train.count, data.test.count, `${data.train.rows}×${data.train.cols}×${data.train.channels}`);
// in class order, then file name order: each image as it was written
const order = [...Array(300).keys()].sort((a, b) => train.labels[a] - train.labels[b] || a - b);
console.log('same pixels', order.every((i, k) => data.train.images.subarray(k * 784, (k + 1) * 784).every((v, p) => v === train.images[i * 784 + p])));
console.log('second load from the cache', loadDataFolder(dir, options).fromCache);
console.log('resized to 14×14', resizeBilinear(data.train.images.subarray(0, 784), 28, 28, 14, 14).length, 'levels');
rmSync(dir, { recursive: true });
