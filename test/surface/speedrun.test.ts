// `npm run speedrun` (bench/speedrun.ts) as a user runs it, briefly: it compiles with the bench, trains
// each speedrun recipe through `convnotes train` for every seed, and ends with the JSON the issue asks
// for, {"runs": [{recipe, seed, testError, seconds}…]}. --init-seed, which it passes, is checked here too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/model-io.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const DIGITS = join(ROOT, 'data', 'digits');
const node = (...args: string[]) => {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 300_000, cwd: ROOT });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('npm run speedrun', () => {
  it('trains each recipe for every seed through the CLI and ends with {"runs": […]}', () => {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'bench', 'tsconfig.json')], { encoding: 'utf8', cwd: ROOT });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const r = node(join(ROOT, 'bench', 'dist', 'speedrun.js'), '--data', DIGITS, '--seeds', '2', '--epochs', '1', '--limit', '3000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const { runs } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { runs: { recipe: string; seed: number; testError: number; seconds: number }[] };
    expect(runs.map((x) => `${x.recipe} ${x.seed}`)).toEqual(['speedrun-99 1', 'speedrun-99 2', 'speedrun-995 1', 'speedrun-995 2']);
    for (const x of runs) {
      expect(Object.keys(x).sort()).toEqual(['recipe', 'seconds', 'seed', 'testError']);
      // one epoch of 3,000 digits: far from the bars, far from chance (90 %)
      expect(x.testError).toBeLessThan(0.2);
      expect(x.seconds).toBeGreaterThan(0);
    }
    // seeds set the weights and the order: the two seeds' runs are different runs
    expect(runs[0].testError).not.toBe(runs[1].testError);
    expect(r.stderr).toMatch(/\(not judged: --epochs or --limit\)/);
    const bad = node(join(ROOT, 'bench', 'dist', 'speedrun.js'), '--seeds', '0');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('speedrun: --seeds: expected a positive integer, got "0"');
  }, 300_000);
});

describe('convnotes train --init-seed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convnotes-init-seed-'));
  const train = (out: string, ...extra: string[]) =>
    node(CLI, 'train', '--recipe', 'speedrun-99', '--data', DIGITS, '--limit', '500', '--epochs', '1', '--eval-train', '0', '--no-progress', '--out', join(dir, out), ...extra);

  it('seeds the initial weights, which the model file records; the same seed repeats them bit for bit', () => {
    for (const [out, seed] of [['a.safetensors', '7'], ['b.safetensors', '7'], ['c.safetensors', '8']]) expect(train(out, '--init-seed', seed).code).toBe(0);
    const [a, b, c] = ['a', 'b', 'c'].map((f) => loadModel(join(dir, `${f}.safetensors`)));
    expect((a.recipe as { network: { seed: number } }).network.seed).toBe(7);
    expect((c.recipe as { network: { seed: number } }).network.seed).toBe(8);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(c.params.buffer))).toBe(false);
  }, 120_000);

  it('is refused with --resume, whose weights are the saved ones', () => {
    const r = node(CLI, 'train', '--resume', '--out', join(dir, 'a.safetensors'), '--init-seed', '3');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('convnotes: --init-seed: a resumed run goes on from its saved weights; leave --init-seed out');
  });
});
