// The command line as a user runs it: `convnotes gradcheck` on every built-in network, and the
// one-line errors (exit 1, no stack trace) for bad input. Runs the built CLI (npm test builds first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { resolveDescription } from '../../src/network/description.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) first`);
});

describe('convnotes gradcheck --json', () => {
  const kinds: Record<string, string[]> = {
    bouvrie: ['kernel', 'convBias', 'beta', 'subsampleBias', 'weights', 'bias', 'input'],
    dlt: ['kernel', 'convBias', 'weights', 'bias', 'input'],
    lenet5: ['kernel', 'convBias', 'beta', 'subsampleBias', 'weights', 'bias', 'input'],
    learned: ['kernel', 'convBias', 'c', 'beta', 'subsampleBias', 'weights', 'bias', 'input'],
  };
  for (const name of Object.keys(kinds)) {
    it(`${name}: last line is the JSON summary, maxRelativeError ≤ 1e-6, exit 0`, () => {
      const r = run('gradcheck', '--recipe', name, '--json', '--max-per-group', '20');
      expect(r.code, r.stderr).toBe(0);
      const last = r.stdout.trim().split('\n').at(-1)!;
      const summary = JSON.parse(last) as { maxRelativeError: number; groups: { layer: string; kind: string; count: number; maxRelativeError: number }[] };
      expect(summary.maxRelativeError).toBeLessThanOrEqual(1e-6);
      expect(new Set(summary.groups.map((g) => g.kind))).toEqual(new Set(kinds[name]));
      for (const g of summary.groups) {
        expect(g.count).toBeGreaterThan(0);
        expect(g.maxRelativeError).toBeLessThanOrEqual(summary.maxRelativeError);
        expect(Object.keys(g).sort()).toEqual(['count', 'kind', 'layer', 'maxRelativeError']);
      }
    });
  }

  it('a description file works like a built-in name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convnotes-'));
    const file = join(dir, 'small.json');
    writeFileSync(file, JSON.stringify({
      input: [1, 10, 9], loss: 'cross-entropy',
      layers: [{ type: 'conv', maps: 2, kernel: 3, activation: 'tanh' }, { type: 'full', units: 3, activation: 'identity' }],
    }));
    const r = run('gradcheck', '--recipe', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).maxRelativeError).toBeLessThanOrEqual(1e-6);
  });

  it('padding, stride, max pooling, batch normalisation and dropout: every kind checked, on 2 patterns when batchnorm follows a full layer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convnotes-'));
    const file = join(dir, 'modern.json');
    writeFileSync(file, JSON.stringify({
      input: [1, 12, 12], loss: 'cross-entropy',
      layers: [
        { type: 'conv', maps: 2, kernel: 3, pad: 'same', stride: 2, activation: 'identity' },
        { type: 'batchnorm', activation: 'tanh' },
        { type: 'subsample', factor: 2, down: 'max' },
        { type: 'dropout', rate: 0.4 },
        { type: 'full', units: 4, activation: 'identity' },
        { type: 'batchnorm', activation: 'relu' },
        { type: 'full', units: 3, activation: 'identity' },
      ],
    }));
    const r = run('gradcheck', '--recipe', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('on 2 random pattern(s)');
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { maxRelativeError: number; groups: { kind: string }[] };
    expect(summary.maxRelativeError).toBeLessThanOrEqual(1e-6);
    // the running averages are statistics, not parameters: not checked
    expect(new Set(summary.groups.map((g) => g.kind))).toEqual(new Set(['kernel', 'convBias', 'scale', 'shift', 'beta', 'subsampleBias', 'weights', 'bias', 'input']));
  });
});

describe('bad input: one line naming the file or flag, exit 1, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convnotes-'));
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown recipe', () => ['gradcheck', '--recipe', 'nosuchnet'], /--recipe nosuchnet: not a built-in network \(bouvrie, dlt, lenet5, learned, lenet5-distort, simard, simard-wide, simard-2003, lenet-bn, speedrun-99, speedrun-995\) and no such file/],
    ['a file that is not JSON', () => {
      const f = join(dir, 'broken.json');
      writeFileSync(f, '{"input": [1, 28, 28], ');
      return ['gradcheck', '--recipe', f];
    }, /broken\.json: invalid JSON/],
    ['a description with a bad field', () => {
      const f = join(dir, 'bad.json');
      writeFileSync(f, JSON.stringify({ input: [1, 12, 12], loss: 'mse', layers: [{ type: 'conv', maps: 2, kernel: 13, activation: 'sigmoid' }] }));
      return ['gradcheck', '--recipe', f];
    }, /bad\.json: layers\[0\]\.kernel: expected a kernel no larger than the 12×12 input maps, got 13×13/],
    ['a directory as recipe', () => ['gradcheck', '--recipe', dir], /is a directory, expected a JSON network description/],
    ['an unknown flag', () => ['gradcheck', '--bogus'], /unknown option '--bogus'/],
    ['a flag without its value', () => ['gradcheck', '--recipe'], /option '--recipe <name\|file>' argument missing/],
    ['a non-numeric value', () => ['gradcheck', '--batch', 'many'], /--batch <n>.*expected a positive integer, got "many"/],
    ['an out-of-range value', () => ['gradcheck', '--max-per-group', '0'], /expected a positive integer, got "0"/],
    ['a bad choice', () => ['gradcheck', '--method', 'forward'], /--method.*forward.*Allowed choices are extrapolated, central/],
    ['an unknown command', () => ['trian'], /unknown command 'trian'/],
    ['an unknown network to describe', () => ['describe', 'alexnet'], /describe alexnet: unknown network, expected one of bouvrie, dlt, lenet5, learned/],
    ['a missing data folder', () => ['gradcheck', '--data', join(dir, 'nothing-here')], /nothing-here: no such folder; put the four IDX files/],
  ];
  for (const [what, args, message] of cases) {
    it(what, () => {
      const r = run(...args());
      expect(r.code).toBe(1);
      const first = r.stderr.trim().split('\n')[0];
      expect(first).toMatch(/^convnotes: /);
      expect(first).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });
  }

  it('--verbose adds the stack trace', () => {
    const r = run('--verbose', 'gradcheck', '--recipe', 'nosuchnet');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

describe('convnotes describe', () => {
  for (const name of ['bouvrie', 'dlt', 'lenet5', 'learned']) {
    it(`${name} prints a description that resolves`, () => {
      const r = run('describe', name);
      expect(r.code).toBe(0);
      expect(resolveDescription(JSON.parse(r.stdout)).name).toBe(name);
    });
  }
});

describe('convnotes --version', () => {
  // src/version.ts, which the CLI prints, held equal to package.json
  const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  it('src/version.ts says what package.json says', () => expect(VERSION).toBe(version));
  for (const flag of ['--version', '-V']) {
    it(`${flag} prints package.json's version alone, exit 0`, () => {
      const r = run(flag);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
      expect(r.stderr).toBe('');
    });
  }
});
