// Issue 16, end to end: a colour image folder (train/ and test/ of class folders of RGB PNGs, the bars of
// test/helpers/colour.ts) through the command line. `train` fits a built-in network to the data (its
// channels, size, classes and their names, each said), standardises the channels by the training set,
// flips and crops, validates on a held-out share and keeps the best epoch; `eval --confusion` and
// `predict --image --top` name the classes; `export --levels` writes a graph that ONNX Runtime runs on
// raw levels to the classes convnotes gives.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillBatch, type Dataset } from '../../src/data/dataset.js';
import { loadModel } from '../../src/model/model-io.js';
import { createNetwork } from '../../src/network/backend.js';
import { predictImages } from '../../src/network/predict.js';
import { decodeModel } from '../../src/onnx/onnx-schema.js';
import { resolveRecipe } from '../../src/recipes/recipe.js';
import { argmax, range } from '../../src/train/evaluate.js';
import { normalisation } from '../../src/train/trainer.js';
import { colourBars, NAMES, SIDE } from '../helpers/colour.js';
import { pngBytes } from '../helpers/images.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'convnotes-colour-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Image n of a colour dataset as RGBA. */
function rgbaOf(d: Dataset, n: number): Uint8Array {
  const size = SIDE * SIDE;
  const rgba = new Uint8Array(4 * size);
  for (let p = 0; p < size; p++) {
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = d.images[(n * 3 + c) * size + p];
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

const data = join(dir, 'bars');
const test = colourBars(300, 31);
for (const [split, d] of [['train', colourBars(1500, 30)], ['test', test]] as const) {
  for (let n = 0; n < d.count; n++) {
    const folder = join(data, split, NAMES[d.labels[n]]);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${String(n).padStart(4, '0')}.png`), pngBytes(rgbaOf(d, n), SIDE, SIDE, 2));
  }
}
// the folder's classes are its folder names in code-point order
const SORTED = [...NAMES].sort();
const recipe = join(dir, 'bars.json');
writeFileSync(recipe, JSON.stringify({
  name: 'bars', network: 'lenet-bn',
  data: { normalise: 'standard', augment: { flip: true, crop: 2 } },
  training: { epochs: 3, batch: 32, rate: 0.003, optimizer: 'adam' },
}));
const model = join(dir, 'bars.safetensors');

describe('a colour image folder through the command line', () => {
  it('train fits lenet-bn to the data, says so, standardises, validates and keeps the best epoch', () => {
    const r = run('train', '--recipe', recipe, '--data', data, '--val', '0.1', '--keep-best', '--eval-train', '0', '--no-progress', '--threads', '2', '--out', model);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('bars fitted to the data: input 1×28×28 → 3×28×28 (the data\'s 3×16×16 images)');
    expect(r.stdout).toContain('bars fitted to the data: outputs 10 → 6 (the data\'s classes)');
    expect(r.stdout).toContain(`bars fitted to the data: class names ${SORTED.slice(0, 5).join(', ')}, …`);
    expect(r.stdout).toMatch(/bars: inputs standardised per channel by the training set's mean [\d., ]+ and deviation/);
    expect(r.stdout).toContain('validating on 150');
    const last = r.stdout.split('\n').filter((l) => l.startsWith('epoch ')).at(-1)!;
    const testError = Number(/test error ([\d.]+) %/.exec(last)![1]);
    expect(testError).toBeLessThan(5);
    expect(loadModel(model).description.classNames).toEqual(SORTED);
    expect(loadModel(join(dir, 'bars.best.safetensors')).description.input).toEqual([3, 28, 28]);
  }, 180_000);

  it('eval --confusion names the rows; inspect lists the classes', () => {
    const r = run('eval', '--model', model, '--data', data, '--confusion');
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d \S/.test(l));
    expect(rows.map((l) => l.trim().split(/\s+/)[1])).toEqual(SORTED);
    const i = run('inspect', '--model', model);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toContain(`classes: ${SORTED.map((n, c) => `${c} ${n}`).join(', ')}`);
  });

  it('eval on a folder whose classes are not the model\'s: one line naming the folder and both lists, exit 1', () => {
    const other = join(dir, 'other');
    for (const split of ['train', 'test']) {
      for (const name of ['apple', 'pear']) {
        mkdirSync(join(other, split, name), { recursive: true });
        writeFileSync(join(other, split, name, '0.png'), pngBytes(rgbaOf(test, 0), SIDE, SIDE, 2));
      }
    }
    const r = run('eval', '--model', model, '--data', other);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`convnotes: ${other}: its classes (apple, pear) are not the model's (${SORTED.join(', ')})`);
  });

  it('predict --image --top names the likeliest classes of a picture', () => {
    const n = 7;
    const picture = join(dir, 'picture.png');
    writeFileSync(picture, pngBytes(rgbaOf(test, n), SIDE, SIDE, 2));
    const r = run('predict', '--model', model, '--image', picture, '--top', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const p = (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { predictions: { name: string; top: { class: number; name: string; value: number }[] }[] }).predictions[0];
    expect(p.name).toBe(NAMES[test.labels[n]]);
    expect(p.top).toHaveLength(3);
    expect(p.top[0].name).toBe(p.name);
    expect(p.top[0].value).toBeGreaterThanOrEqual(p.top[1].value);
    expect(r.stderr).toMatch(new RegExp(`image {2}\\d \\(${p.name}\\) \\d\\.\\d{3}, `));
  });

  it('export --levels: ONNX Runtime on raw levels gives convnotes\' classes on the 300 test images', async () => {
    const onnx = join(dir, 'bars.onnx');
    const r = run('export', '--model', model, '--onnx', onnx, '--levels');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('[batch, 3, 28, 28] (levels 0–255)');
    const bytes = readFileSync(onnx);
    expect(decodeModel(bytes).metadataProps).toContainEqual({ key: 'classNames', value: JSON.stringify(SORTED) });
    // convnotes' classes, from the model file (labels of `test` are NAMES' indices; the model's are SORTED's)
    const m = loadModel(model);
    const net = await createNetwork(m.description, { batch: 300, threads: 1 });
    let ours: number[];
    try {
      net.setParams(m.params);
      ours = predictImages(net, test, Array.from(range(test.count)), normalisation(resolveRecipe(m.recipe))).map((p) => p.class);
    } finally {
      await net.dispose();
    }
    const levels = new Float32Array(test.count * 3 * 28 * 28);
    fillBatch(test, range(test.count), 0, test.count, 28, 28, { background: 0, foreground: 255 }, levels, new Uint8Array(test.count));
    const session = await ort.InferenceSession.create(bytes);
    const y = (await session.run({ input: new ort.Tensor('float32', levels, [test.count, 3, 28, 28]) })).output.data as Float32Array;
    expect(Array.from({ length: test.count }, (_, n) => argmax(y, n, 6))).toEqual(ours);
    // and they are right: the model's class names against the bars' own
    const wrong = ours.filter((c, n) => SORTED[c] !== NAMES[test.labels[n]]).length;
    expect(wrong / test.count).toBeLessThan(0.05);
  }, 60_000);
});
