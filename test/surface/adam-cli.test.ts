// `convnotes train` with Adam (issue 15): a recipe file naming training.optimizer trains; the model file
// holds Adam's moments (state.moment1, state.moment2) and the update count t (training.updates); a run
// killed mid-epoch and resumed ends with weights, velocities and moments bit-identical to an uninterrupted one.
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
});
