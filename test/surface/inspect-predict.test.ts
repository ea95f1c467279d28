// `convnotes inspect` and `convnotes predict` as a user runs them, against what src/ computes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/network/backend.js';
import { BUNDLED_DIR } from '../../src/data/bundled.js';
import { fillBatch, LECUN, UNIT } from '../../src/data/dataset.js';
import { readIdx } from '../../src/data/files.js';
import { loadModel } from '../../src/model/model-io.js';
import { paramViews } from '../../src/model/views.js';
import { argmax } from '../../src/train/evaluate.js';
import { resolveRecipe } from '../../src/recipes/recipe.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lastJson = (stdout: string): any => JSON.parse(stdout.trim().split('\n').at(-1)!);

const dir = mkdtempSync(join(tmpdir(), 'convnotes-inspect-'));
/** The shipped digits (data/digits), a folder of the four IDX files as a user's would be. */
const testImages = join(BUNDLED_DIR, 't10k-images-idx3-ubyte.gz');
const dataArgs = ['--data', BUNDLED_DIR];

describe('convnotes inspect', () => {
  it('shows a learned combination layer\'s α = softmax(c), rows per output map, and counts α_ij > 0.1', () => {
    const model = join(dir, 'learned.safetensors');
    const t = run('train', '--recipe', 'learned', '--limit', '50', '--epochs', '1', '--eval-train', '0', '--no-progress', '--out', model, ...dataArgs);
    expect(t.code, t.stderr).toBe(0);
    const r = run('inspect', '--model', model, '--json');
    expect(r.code, r.stderr).toBe(0);
    const facts = lastJson(r.stdout);
    const m = loadModel(model);
    expect(facts.params).toBe(m.params.length);
    expect(facts.layers.reduce((n: number, l: { params: number }) => n + l.params, 0)).toBe(m.params.length);
    const c3 = facts.layers.find((l: { type: string }) => l.type === 'combination');
    expect(c3).toMatchObject({ name: 'C3', inShape: [6, 14, 14], outShape: [16, 10, 10] });
    // α[j][i] = exp(c[j][i]) / Σ_k exp(c[j][k]), c stored as [maps][inputs]
    const cv = paramViews(m.description).find((v) => v.name === 'C3.c')!;
    expect(cv.shape).toEqual([16, 6]);
    let above = 0;
    for (let j = 0; j < 16; j++) {
      const row = Array.from({ length: 6 }, (_, i) => Math.exp(m.params[cv.offset + j * 6 + i]));
      const s = row.reduce((a, b) => a + b, 0);
      row.forEach((e, i) => expect(c3.alpha[j][i]).toBeCloseTo(e / s, 6));
      expect(c3.alpha[j].reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 9);
      above += row.filter((e) => e / s > 0.1).length;
    }
    expect(c3.alphaAbove01).toBe(above);
    const text = run('inspect', '--model', model);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${above} of 96 α_ij exceed 0.1`);
    expect(text.stdout).toMatch(/C3: learned α/);
  });

  it('shows a recipe\'s initial network: LeNet-5\'s C3 table, β and b', () => {
    const r = run('inspect', '--recipe', 'lenet5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const facts = lastJson(r.stdout);
    const c3 = facts.layers.find((l: { name: string }) => l.name === 'C3');
    expect(c3.table).toHaveLength(16);
    expect(c3.table[0]).toEqual([1, 1, 1, 0, 0, 0]);
    expect(c3.table[15]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(c3.table.flat().reduce((a: number, b: number) => a + b, 0)).toBe(60);
    const s2 = facts.layers.find((l: { name: string }) => l.name === 'S2');
    expect(s2.beta).toHaveLength(6);
    expect(s2.bias).toHaveLength(6);
    expect(facts.params).toBe(60000);
    const text = run('inspect', '--recipe', 'lenet5');
    expect(text.stdout).toContain('60 of 96 connections');
    expect(text.stdout).toContain('    0  X X X . . .');
  });

  it('needs exactly one of --model and --recipe', () => {
    const r = run('inspect');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('convnotes: inspect: give either --model FILE or --recipe NAME|FILE\n');
  });
});

describe('convnotes predict', () => {
  const model = join(dir, 'dlt.safetensors');
  beforeAll(() => {
    const t = run('train', '--recipe', 'dlt', '--limit', '200', '--eval-train', '0', '--no-progress', '--out', model, ...dataArgs);
    expect(t.code, t.stderr).toBe(0);
  });

  /** The classes and outputs of a forward pass computed here, from src/. */
  const forward = async (first: number, count: number) => {
    const m = loadModel(model);
    const norm = resolveRecipe(m.recipe).normalise === 'lecun' ? LECUN : UNIT;
    const idx = readIdx(testImages, 3);
    const [n, rows, cols] = idx.dims;
    const data = { images: idx.data, labels: new Uint8Array(n), count: n, rows, cols, source: testImages };
    const net = await createNetwork(m.description, { batch: count });
    net.setParams(m.params);
    const [, h, w] = m.description.input;
    const x = new Float32Array(count * net.inputSize);
    fillBatch(data, Array.from({ length: count }, (_, k) => first + k), 0, count, h, w, norm, x, new Uint8Array(count));
    const y = Array.from(net.forward(x, count));
    await net.dispose();
    return { classes: Array.from({ length: count }, (_, k) => argmax(y, k, 10)), y, images: idx.data };
  };

  it('classifies IDX images as the network does', async () => {
    const r = run('predict', '--model', model, '--input', testImages, '--index', '5', '--count', '20', '--json');
    expect(r.code, r.stderr).toBe(0);
    const { predictions } = lastJson(r.stdout);
    expect(predictions.map((p: { index: number }) => p.index)).toEqual(Array.from({ length: 20 }, (_, k) => 5 + k));
    const expected = await forward(5, 20);
    expect(predictions.map((p: { class: number }) => p.class)).toEqual(expected.classes);
    predictions.forEach((p: { scores: number[] }, k: number) => p.scores.forEach((s, c) => expect(s).toBeCloseTo(expected.y[k * 10 + c], 4)));
    const one = run('predict', '--model', model, '--input', testImages);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`image +0  class ${(await forward(0, 1)).classes[0]} `));
  });

  // MNIST's digits are fixed points of the preprocessing (src/data/images.ts: ink box to 20×20, centre
  // of mass to (14, 14)), so a picture of one, however large and wherever on the page, is that digit again
  it('a PNG of a test digit (dark on light; as is, twice the size, or 3× and off-centre on a larger page) predicts the IDX path\'s class and scores', async () => {
    const idx = await forward(0, 3);
    for (let k = 0; k < 3; k++) {
      const digit = idx.images.subarray(k * 784, (k + 1) * 784);
      for (const [scale, width, height, left, top] of [[1, 28, 28, 0, 0], [2, 56, 56, 0, 0], [3, 200, 150, 17, 60]]) {
        const png = new PNG({ width, height });
        png.data.fill(255);
        for (let y = 0; y < 28 * scale; y++) {
          for (let x = 0; x < 28 * scale; x++) {
            const v = 255 - digit[Math.floor(y / scale) * 28 + Math.floor(x / scale)]; // dark digit on white
            png.data.set([v, v, v, 255], 4 * ((top + y) * width + left + x));
          }
        }
        const file = join(dir, `digit${k}-${scale}.png`);
        writeFileSync(file, PNG.sync.write(png));
        const r = run('predict', '--model', model, '--png', file, '--json');
        expect(r.code, r.stderr).toBe(0);
        const [p] = lastJson(r.stdout).predictions;
        expect(p.class).toBe(idx.classes[k]);
        p.scores.forEach((s: number, c: number) => expect(s).toBeCloseTo(idx.y[k * 10 + c], 4));
      }
    }
  });

  it('refuses out-of-range images and a missing PNG in one line', () => {
    const r = run('predict', '--model', model, '--input', testImages, '--index', '999999');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/holds \d+ images/);
    const p = run('predict', '--model', model, '--png', join(dir, 'nope.png'));
    expect(p.code).toBe(1);
    expect(p.stderr).toBe(`convnotes: ${join(dir, 'nope.png')}: no such file\n`);
  });
});
