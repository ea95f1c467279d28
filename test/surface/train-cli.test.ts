// `convnotes train` / `eval` / `recipe` as a user runs them: a model file and a per-epoch log written,
// a run killed mid-epoch and resumed ending bit-identical to an uninterrupted one, and one-line
// errors (exit 1, nothing written) for bad data, bad model files and bad recipes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { killDuringSecondEpoch } from '../helpers/kill.js';
import { loadModel } from '../../src/model/model-io.js';
import { resolveRecipe } from '../../src/recipes/recipe.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lastJson = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').at(-1)!);
const bits = (a: Float32Array | Float64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('convnotes train', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convnotes-train-'));

  it('trains, writes the model, the log and the JSON summary; eval agrees with it', () => {
    const out = join(dir, 'dlt.safetensors');
    const r = run('train', '--recipe', 'dlt', '--limit', '2000', '--epochs', '2', '--eval-train', '500', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = lastJson(r.stdout);
    expect(Object.keys(summary).sort()).toEqual(['epochs', 'imagesPerSecond', 'model', 'recipe', 'seconds', 'testError', 'trainError', 'valError']);
    expect(summary).toMatchObject({ recipe: 'dlt', epochs: 2, model: out });
    const log = readFileSync(join(dir, 'dlt.log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((l) => l.epoch)).toEqual([1, 2]);
    const m = loadModel(out);
    expect(m.training).toMatchObject({ epoch: 2, seed: 1 });
    expect(resolveRecipe(m.recipe).name).toBe('dlt');
    const e = run('eval', '--model', out, '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(lastJson(e.stdout).testError).toBe(summary.testError);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  }, 120_000);

  it('killed mid-epoch, --resume ends with weights bit-identical to an uninterrupted run', async () => {
    const args = ['train', '--recipe', 'dlt', '--limit', '12000', '--epochs', '3', '--eval-train', '0', '--threads', '1', '--no-progress'];
    const whole = join(dir, 'whole.safetensors');
    expect(run(...args, '--out', whole).code).toBe(0);

    const cut = join(dir, 'cut.safetensors');
    expect(await killDuringSecondEpoch(CLI, args, cut)).toBeNull();
    const checkpoint = loadModel(cut);
    expect((checkpoint.training as { epoch: number }).epoch).toBeLessThan(3);

    const r = run('train', '--resume', '--out', cut, '--threads', '2', '--no-progress');
    expect(r.code, r.stderr).toBe(0);
    const a = loadModel(whole);
    const b = loadModel(cut);
    expect(Buffer.compare(bits(a.params), bits(b.params))).toBe(0);
    expect(Buffer.compare(bits(a.state.velocity!), bits(b.state.velocity!))).toBe(0);
  }, 180_000);
});

describe('bad input: one line naming the file and the problem, exit 1, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convnotes-bad-'));
  const idx = (dims: number[], data: number[] | Uint8Array): Buffer => {
    const head = Buffer.alloc(4 + 4 * dims.length);
    head.writeUInt32BE(0x0800 + dims.length, 0);
    dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([head, Buffer.from(data)]);
  };
  const dataset = (name: string, mutate: (files: Record<string, Buffer>) => void): string => {
    const d = join(dir, name);
    mkdirSync(d);
    const files: Record<string, Buffer> = {
      'train-images-idx3-ubyte': idx([20, 28, 28], new Uint8Array(20 * 784)),
      'train-labels-idx1-ubyte': idx([20], Array.from({ length: 20 }, (_, i) => i % 10)),
      't10k-images-idx3-ubyte': idx([10, 28, 28], new Uint8Array(10 * 784)),
      't10k-labels-idx1-ubyte': idx([10], Array.from({ length: 10 }, (_, i) => i)),
    };
    mutate(files);
    for (const [f, b] of Object.entries(files)) writeFileSync(join(d, `${f}.gz`), gzipSync(b));
    return d;
  };
  const model = join(dir, 'good.safetensors');
  const cases: [string, () => string[], RegExp][] = [
    ['a truncated IDX file', () => ['train', '--data', dataset('truncated', (f) => { f['train-images-idx3-ubyte'] = f['train-images-idx3-ubyte'].subarray(0, 3000); })], /train-images-idx3-ubyte\.gz: truncated: 3000 bytes/],
    ['a wrong magic number', () => ['train', '--data', dataset('magic', (f) => { f['t10k-labels-idx1-ubyte'].writeUInt32BE(0x0d01, 0); })], /t10k-labels-idx1-ubyte\.gz: bad magic number 0x00000d01/],
    ['an image/label count mismatch', () => ['train', '--data', dataset('count', (f) => { f['train-labels-idx1-ubyte'] = idx([19], new Uint8Array(19)); })], /train-labels-idx1-ubyte\.gz: holds 19 labels but .*train-images-idx3-ubyte\.gz holds 20 images/],
    // a label above 9 is a 13th class, which a recipe fits by its output layer, but not by class codes
    ['a label above 9 for a recipe of 10 class codes', () => ['train', '--recipe', 'lenet5', '--data', dataset('label', (f) => { f['train-labels-idx1-ubyte'][8 + 3] = 12; })], /lenet5: network\.codes: expected 13 class codes for .*label's 13 classes/],
    ['a missing data folder', () => ['train', '--data', join(dir, 'nowhere')], /nowhere: no such folder/],
    ['an unknown recipe', () => ['train', '--recipe', 'alexnet'], /--recipe alexnet: not a built-in recipe \(dlt, bouvrie, lenet5, learned, lenet5-distort, simard, simard-wide, simard-2003, lenet-bn, speedrun-99, speedrun-995\) and no such file/],
    ['a recipe with a bad field', () => {
      const f = join(dir, 'bad-recipe.json');
      writeFileSync(f, JSON.stringify({ name: 'x', network: 'dlt', training: { rate: [{ epochs: 0, rate: 1 }] } }));
      return ['train', '--recipe', f];
    }, /bad-recipe\.json: training\.rate\[0\]\.epochs: expected a positive integer/],
    ['a model file with a corrupt header', () => {
      const f = join(dir, 'corrupt.safetensors');
      writeFileSync(f, Buffer.concat([Buffer.from([40, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"C1.kernel": {"dtype": "F32", "sha')]));
      return ['eval', '--model', f];
    }, /corrupt\.safetensors: /],
    ['a model file with mismatched shapes', () => {
      // a dlt model file whose description claims 7 maps in C1
      const m = readFileSync(model);
      const n = Number(m.readBigUInt64LE(0));
      const header = m.subarray(8, 8 + n).toString('utf8').replace('\\"maps\\":6', '\\"maps\\":7');
      const f = join(dir, 'shapes.safetensors');
      const h = Buffer.from(header.padEnd(n, ' '));
      writeFileSync(f, Buffer.concat([m.subarray(0, 8), h, m.subarray(8 + n)]));
      return ['eval', '--model', f];
    }, /shapes\.safetensors: .*C1/],
    ['a missing model file', () => ['eval', '--model', join(dir, 'none.safetensors')], /none\.safetensors: no such file/],
  ];
  it('(a good model file to corrupt)', () => {
    expect(run('train', '--recipe', 'dlt', '--limit', '100', '--eval-train', '0', '--out', model).code).toBe(0);
  }, 60_000);
  for (const [what, args, message] of cases) {
    it(what, () => {
      const a = args();
      const before = new Set(readdirSync(dir));
      const r = run(...a, ...(a[0] === 'train' ? ['--out', join(dir, 'should-not-exist.safetensors')] : []));
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^convnotes: /);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(join(dir, 'should-not-exist.safetensors'))).toBe(false);
      expect(readdirSync(dir).filter((f) => !before.has(f) && !f.startsWith('should'))).toEqual([]);
    }, 60_000);
  }
});
