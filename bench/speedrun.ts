// `npm run speedrun`: time to accuracy. Trains each speedrun recipe over several seeds with the CLI a
// user would run (`convnotes train`, as a child process), and times the whole command, from its start
// to the final test error: Node's start, loading the data, training, the test set, writing the model.
// Each seed s sets both the initial weights (--init-seed s) and the shuffling (--seed s). Per-epoch
// evaluation of the training set is off (--eval-train 0); the test set's error is the CLI's own.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from './project.js';

/** The bars of issue 18: test accuracy at least `accuracy` within `seconds` of wall time. */
const BARS: Record<string, { accuracy: number; seconds: number }> = {
  'speedrun-99': { accuracy: 0.99, seconds: 10 },
  'speedrun-995': { accuracy: 0.995, seconds: 60 },
};

const USAGE = `usage: npm run speedrun -- [options]

  --recipes LIST   recipes to run (default: ${Object.keys(BARS).join(',')}); any built-in or recipe file
  --seeds N        seeds 1…N of each (default: 5)
  --data DIR       MNIST folder (default: $CONVNOTES_DATA, else ../shared/datasets/mnist beside the
                   checkout, else the user cache)
  --threads N      threads of each run (default: the CLI's, the available cores)
  --epochs N       override the recipes' epochs (a quick check; the bars are then not judged)
  --limit N        train on N images only (a quick check; the bars are then not judged)
  --json           end stdout with {"runs": [{recipe, seed, testError, seconds}…]}
  -h, --help`;

export interface SpeedrunRun {
  recipe: string;
  seed: number;
  testError: number;
  seconds: number;
}

function fail(message: string): never {
  process.stderr.write(`speedrun: ${message}\n`);
  process.exit(1);
}

function meanAndDeviation(xs: number[]): [number, number] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.length > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
  return [mean, Math.sqrt(variance)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      recipes: { type: 'string' }, seeds: { type: 'string' }, data: { type: 'string' }, threads: { type: 'string' },
      epochs: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const count = (name: string, v: string | undefined, dflt?: number): number | undefined => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) fail(`--${name}: expected a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const seeds = count('seeds', values.seeds, 5)!;
  const threads = count('threads', values.threads);
  const epochs = count('epochs', values.epochs);
  const limit = count('limit', values.limit);
  const recipes = (values.recipes ?? Object.keys(BARS).join(',')).split(',').map((r) => r.trim()).filter((r) => r);
  if (recipes.length === 0) fail('--recipes: expected at least one recipe');
  const { devDataDir } = (await import(pathToFileURL(join(ROOT, 'scripts', 'dev-data.mjs')).href)) as { devDataDir(): string };
  const data = values.data ?? devDataDir();
  const judged = epochs === undefined && limit === undefined;
  const cli = join(ROOT, 'dist', 'cli', 'main.js');
  const out = mkdtempSync(join(tmpdir(), 'convnotes-speedrun-'));
  const say = (s: string) => (values.json ? process.stderr : process.stdout).write(`${s}\n`);
  const runs: SpeedrunRun[] = [];
  try {
    say(`speedrun: ${recipes.join(', ')} × seeds 1–${seeds} on ${data}${threads ? `, ${threads} thread(s)` : ''}`);
    for (const recipe of recipes) {
      for (let seed = 1; seed <= seeds; seed++) {
        const args = [cli, 'train', '--recipe', recipe, '--data', data, '--seed', String(seed), '--init-seed', String(seed),
          '--eval-train', '0', '--no-progress', '--json', '--out', join(out, `${recipe.replace(/[^\w.-]/g, '_')}-${seed}.safetensors`)];
        if (threads) args.push('--threads', String(threads));
        if (epochs) args.push('--epochs', String(epochs));
        if (limit) args.push('--limit', String(limit));
        const start = process.hrtime.bigint();
        const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const last = r.stdout.trim().split('\n').pop() ?? '';
        if (r.status !== 0 || !last.startsWith('{')) fail(`${recipe}, seed ${seed}: convnotes train exited with ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
        const summary = JSON.parse(last) as { testError: number | null };
        if (summary.testError === null) fail(`${recipe}, seed ${seed}: ${data} has no test set`);
        runs.push({ recipe, seed, testError: summary.testError, seconds });
        say(`  ${recipe.padEnd(14)} seed ${seed}   test error ${(100 * summary.testError).toFixed(2)} %   ${seconds.toFixed(2)} s`);
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  say('');
  say('recipe          seeds   test error (mean ± sd)   accuracy   wall time (mean ± sd)   bar');
  for (const recipe of recipes) {
    const mine = runs.filter((r) => r.recipe === recipe);
    const [e, de] = meanAndDeviation(mine.map((r) => r.testError));
    const [s, ds] = meanAndDeviation(mine.map((r) => r.seconds));
    const bar = BARS[recipe];
    let verdict = '—';
    if (bar && !judged) verdict = '(not judged: --epochs or --limit)';
    else if (bar) {
      const every = mine.every((r) => 1 - r.testError >= bar.accuracy && r.seconds <= bar.seconds);
      verdict = `≥ ${(100 * bar.accuracy).toFixed(1)} % in ≤ ${bar.seconds} s: ${every ? 'met by every seed' : 1 - e >= bar.accuracy && s <= bar.seconds ? 'met by the mean, not by every seed' : 'not met'}`;
    }
    say(`${recipe.padEnd(15)} ${String(mine.length).padStart(5)}   ${(100 * e).toFixed(2)} ± ${(100 * de).toFixed(2)} %`.padEnd(48) +
      `${(100 * (1 - e)).toFixed(2)} %    ${s.toFixed(2)} ± ${ds.toFixed(2)} s`.padEnd(36) + verdict);
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ runs })}\n`);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
