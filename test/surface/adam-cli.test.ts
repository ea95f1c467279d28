// `convnotes train` with Adam (issue 15): a recipe file naming training.optimizer trains; the model file
// holds Adam's moments (state.moment1, state.moment2) and the update count t (training.updates); a run
// killed mid-epoch and resumed ends with weights, velocities and moments bit-identical to an uninterrupted one.
// The same with dropout (whose masks follow the update count) and batch normalisation (whose running
// averages are in the model file), resumed at another thread count.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killDuringSecondEpoch } from '../helpers/kill.js';
import { loadModel } from '../../src/model/model-io.js';
import { builtinRecipes } from '../../src/recipes/recipe.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const bits = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('convnotes train with Adam', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convnotes-adam-'));
  const dlt = builtinRecipes.dlt as { network: unknown };
  const recipe = join(dir, 'dlt-adam.json');
  writeFileSync(recipe, JSON.stringify({
    name: 'dlt-adam', network: dlt.network,
    training: { epochs: 3, batch: 50, rate: 0.002, weightDecay: 0.0001, optimizer: { type: 'adamw', beta2: 0.99 } },
  }));

  it('killed mid-epoch, --resume ends with weights and moments bit-identical to an uninterrupted run', async () => {
    const args = ['train', '--recipe', recipe, '--limit', '12000', '--epochs', '3', '--eval-train', '0', '--threads', '1', '--no-progress'];
    const whole = join(dir, 'whole.safetensors');
    const w = run(...args, '--out', whole);
    expect(w.code, w.stderr).toBe(0);
    const a = loadModel(whole);
    // one update per batch of 50, the same number in every epoch
    const perEpoch = (a.training as { updates: number }).updates / 3;
    expect(Number.isInteger(perEpoch) && perEpoch >= 100).toBe(true);
    expect(a.training).toMatchObject({ epoch: 3, updates: 3 * perEpoch });
    expect(Object.keys(a.state).sort()).toEqual(['moment1', 'moment2', 'velocity']);
    expect(a.state.moment2!.some((x) => x > 0)).toBe(true);

    const cut = join(dir, 'cut.safetensors');
    expect(await killDuringSecondEpoch(CLI, args, cut)).toBeNull();
    const checkpoint = loadModel(cut);
    const epoch = (checkpoint.training as { epoch: number }).epoch;
    expect(epoch).toBeLessThan(3);
    expect((checkpoint.training as { updates: number }).updates).toBe(epoch * perEpoch);

    const r = run('train', '--resume', '--out', cut, '--threads', '2', '--no-progress');
    expect(r.code, r.stderr).toBe(0);
    const b = loadModel(cut);
    expect(bits(b.params).equals(bits(a.params))).toBe(true);
    for (const k of ['velocity', 'moment1', 'moment2']) expect(bits(b.state[k]!).equals(bits(a.state[k]!)), k).toBe(true);
    expect(b.training).toMatchObject({ epoch: 3, updates: 3 * perEpoch });
  }, 180_000);

  it('with dropout and batch normalisation: killed mid-epoch, --resume at 2 threads is bit-identical to 1 thread uninterrupted', async () => {
    const modern = join(dir, 'modern-adam.json');
    writeFileSync(modern, JSON.stringify({
      name: 'modern-adam',
      network: {
        name: 'modern', input: [1, 28, 28], seed: 2, loss: 'cross-entropy',
        layers: [
          { type: 'conv', name: 'C1', maps: 6, kernel: 5, pad: 'same', stride: 2, activation: 'identity' },
          { type: 'batchnorm', name: 'N1', activation: 'relu' },
          { type: 'subsample', name: 'P1', factor: 2, down: 'max', beta: 'fixed', bias: false, activation: 'identity' },
          { type: 'dropout', name: 'D1', rate: 0.25 },
          { type: 'full', name: 'F2', units: 32, activation: 'identity' },
          { type: 'batchnorm', name: 'N2', activation: 'tanh' },
          { type: 'dropout', name: 'D2', rate: 0.4 },
          { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
        ],
      },
      training: { epochs: 3, batch: 40, rate: 0.003, weightDecay: 0.01, optimizer: { type: 'adamw' }, anneal: 'cosine' },
    }));
    const args = ['train', '--recipe', modern, '--limit', '8000', '--epochs', '3', '--eval-train', '0', '--threads', '1', '--no-progress'];
    const whole = join(dir, 'modern-whole.safetensors');
    const w = run(...args, '--out', whole);
    expect(w.code, w.stderr).toBe(0);
    const a = loadModel(whole);
    const perEpoch = (a.training as { updates: number }).updates / 3;
    expect(perEpoch).toBe(8000 / 40);
    // the running averages moved off their start (μ = 0, σ² = 1)
    const firstMean = a.params[6 * 25 + 6 + 2 * 6];
    expect(firstMean).not.toBe(0);

    const cut = join(dir, 'modern-cut.safetensors');
    expect(await killDuringSecondEpoch(CLI, args, cut)).toBeNull();
    const epoch = (loadModel(cut).training as { epoch: number }).epoch;
    expect(epoch).toBeLessThan(3);
    const r = run('train', '--resume', '--out', cut, '--threads', '2', '--no-progress');
    expect(r.code, r.stderr).toBe(0);
    const b = loadModel(cut);
    expect(bits(b.params).equals(bits(a.params))).toBe(true);
    for (const k of ['moment1', 'moment2']) expect(bits(b.state[k]!).equals(bits(a.state[k]!)), k).toBe(true);
  }, 240_000);
});
