// Issue 16: validation. `--val FRACTION` holds a seeded share of the training set out (holdOut), the log
// reports its error each epoch, `--keep-best` writes the epoch of the lowest validation error, and a
// resumed run validates on the same patterns. The test set chooses nothing. Runs the built CLI on the
// shipped digits.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { holdOut } from '../../src/data/split.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { realDigits } from '../helpers/mnist.js';
import { greyRgba, pngBytes } from '../helpers/images.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const DIGITS = join(ROOT, 'data', 'digits');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('holdOut', () => {
  it('splits into disjoint parts that together are the set, round(fraction · count) held out, the same for the same seed', () => {
    const data = realDigits().test;
    const size = data.rows * data.cols;
    const { train, val } = holdOut(data, 0.1, 7);
    expect(val.count).toBe(Math.round(0.1 * data.count));
    expect(train.count + val.count).toBe(data.count);
    // every image of the set is in exactly one part (images as strings, with their labels)
    const key = (d: typeof data, i: number) => `${d.labels[i]}:${Buffer.from(d.images.subarray(i * size, (i + 1) * size)).toString('base64')}`;
    const all = Array.from({ length: data.count }, (_, i) => key(data, i)).sort();
    const parts = [...Array.from({ length: train.count }, (_, i) => key(train, i)), ...Array.from({ length: val.count }, (_, i) => key(val, i))].sort();
    expect(parts).toEqual(all);
    const again = holdOut(data, 0.1, 7);
    expect(Buffer.from(again.val.images).equals(Buffer.from(val.images))).toBe(true);
    expect(Buffer.from(holdOut(data, 0.1, 8).val.images).equals(Buffer.from(val.images))).toBe(false);
    expect(() => holdOut(data, 1, 7)).toThrow('fraction: expected a number in (0, 1)');
  });
});

describe('convnotes train --val, --keep-best', () => {
  it('reports the validation error each epoch, keeps the best epoch, and validates on the same patterns after --resume', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convnotes-val-'));
    const common = ['--recipe', 'dlt', '--data', DIGITS, '--limit', '600', '--val', '0.1', '--eval-train', '0', '--no-progress', '--threads', '1'];
    const whole = run('train', ...common, '--epochs', '3', '--keep-best', '--json', '--out', join(dir, 'whole.safetensors'));
    expect(whole.code, whole.stderr).toBe(0);
    // with --json the log goes to stderr
    expect(whole.stderr).toContain('validating on 834');
    const epochs = whole.stderr.split('\n').filter((l) => l.startsWith('epoch '));
    expect(epochs).toHaveLength(3);
    for (const l of epochs) expect(l).toMatch(/ val error \d+\.\d\d % /);
    const log = readFileSync(join(dir, 'whole.log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { epoch: number; valError: number; testError: number });
    expect(log.map((l) => typeof l.valError)).toEqual(['number', 'number', 'number']);
    const summary = JSON.parse(whole.stdout.trim().split('\n').at(-1)!) as { valError: number };
    expect(summary.valError).toBe(log[2].valError);
    // the best file is the checkpoint of the first epoch of the lowest validation error
    const lowest = Math.min(...log.map((l) => l.valError));
    const best = loadCheckpoint(join(dir, 'whole.best.safetensors'));
    expect(best.state.epoch).toBe(log.find((l) => l.valError === lowest)!.epoch);
    expect(best.state.history.at(-1)!.valError).toBe(lowest);

    // 2 epochs, then resumed to 3: the same validation set and the same weights as the whole run
    const first = run('train', ...common, '--epochs', '2', '--out', join(dir, 'part.safetensors'));
    expect(first.code, first.stderr).toBe(0);
    const resumed = run('train', '--resume', '--epochs', '3', '--data', DIGITS, '--no-progress', '--threads', '1', '--out', join(dir, 'part.safetensors'));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('validating on 834');
    const a = loadCheckpoint(join(dir, 'whole.safetensors'));
    const b = loadCheckpoint(join(dir, 'part.safetensors'));
    expect(Buffer.from(b.params.buffer).equals(Buffer.from(a.params.buffer))).toBe(true);
    expect(b.state.history.map((h) => h.valError)).toEqual(log.map((l) => l.valError));
  }, 240_000);

  it('an image folder\'s own val/ split is the validation set; --val beside it is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convnotes-val-'));
    const data = join(dir, 'digits');
    const { train, test } = realDigits();
    for (const [split, d, from, n] of [['train', train, 0, 300], ['val', train, 300, 60], ['test', test, 0, 60]] as const) {
      for (let i = from; i < from + n; i++) {
        const folder = join(data, split, String(d.labels[i]));
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, `${i}.png`), pngBytes(greyRgba(d.images.subarray(i * 784, (i + 1) * 784), 784), 28, 28, 0));
      }
    }
    const env = { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') };
    const args = ['train', '--recipe', 'dlt', '--data', data, '--epochs', '1', '--eval-train', '0', '--no-progress', '--threads', '1', '--out', join(dir, 'm.safetensors')];
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('on 300 images from');
    expect(r.stdout).toContain('validating on 60');
    expect(r.stdout).toMatch(/epoch {2}1\/1 .* val error \d+\.\d\d % /);
    const both = spawnSync(process.execPath, [CLI, ...args, '--val', '0.1'], { encoding: 'utf8', env });
    expect(both.status).toBe(1);
    expect(both.stderr.trim()).toMatch(/^convnotes: --val: .* has a validation set of its own \(val\/\); leave --val out$/);
  });

  it('--keep-best without a validation set, and --val on data with its own: one line, exit 1, nothing written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convnotes-val-'));
    const r = run('train', '--recipe', 'dlt', '--data', DIGITS, '--keep-best', '--out', join(dir, 'm', 'x.safetensors'));
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('convnotes: --keep-best: keeps the epoch of the lowest validation error; give --val FRACTION (or data with a val/ folder)');
    const bad = run('train', '--recipe', 'dlt', '--data', DIGITS, '--val', '1.5', '--out', join(dir, 'm', 'x.safetensors'));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--val <fraction>.*expected a fraction in \(0, 1\), got "1\.5"/);
    expect(existsSync(join(dir, 'm')) ? readdirSync(join(dir, 'm')) : []).toEqual([]);
  });
});
