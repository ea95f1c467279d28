// The npm package as a user installs it, offline (test/helpers/packed.ts: `npm pack` of the built
// dist/, the tarball extracted into node_modules/convnotes of an empty project whose production
// dependencies are links to this checkout's copies, so that a devDependency the package imports fails
// here). Then: what it ships; that installing it runs no script; the CLI by its bin link (--version,
// train, eval, predict, inspect, export); an ESM program that imports `convnotes` and
// `convnotes/node`, trains, saves a model file and a checkpoint and gets the same classes back from
// them; a TypeScript file type-checked against the package's types with module and moduleResolution
// nodenext. Needs `npm run build` (npm test does it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAndInstall, pkg, ROOT, type InstalledPackage } from '../helpers/packed.js';

let installed: InstalledPackage;
let tmp = '';
let files: string[] = [];

function run(command: string, args: string[], cwd = tmp) {
  // no data folder but the ones given: CONVNOTES_DATA names an empty one
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, CONVNOTES_DATA: join(tmp, 'no-data') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const bin = (...args: string[]) => run(join(tmp, 'node_modules', '.bin', 'convnotes'), args);

describe('the npm package, installed with its production dependencies only', () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    installed = packAndInstall();
    tmp = installed.dir;
    files = installed.files;
  });

  afterAll(() => installed?.remove());

  it('ships the built code, the wasm kernels, the digits, the README\'s images and LICENSE, and no tests or build scripts', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts', 'dist/cli/main.js',
      'data/digits/train-images-idx3-ubyte.gz', 'data/digits/t10k-labels-idx1-ubyte.gz']) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => f.startsWith('wasm/'))).toBe(true); // the kernels (the CLI test below runs them)
    // every image and document the README points at by a relative link is in the package (with no
    // repository URL in package.json, the registry cannot send them anywhere else)
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s#]+)[^)]*\)/g)].map((m) => m[1]).filter((u) => !/^[a-z]+:/.test(u));
    expect(links).toContain('docs/augment.png');
    for (const link of links) expect(link.endsWith('/') ? files.some((f) => f.startsWith(link)) : files.includes(link), link).toBe(true);
    expect(files.filter((f) => /^(test|bench|scripts|web|assembly|\.ci)\/|^dist-check\/|\.test\.|^(tsconfig|vitest)/.test(f))).toEqual([]);
    // the source maps' sources ship (dist/x.js.map → ../src/x.ts)
    const map = JSON.parse(readFileSync(join(installed.packageDir, 'dist', 'index.js.map'), 'utf8')) as { sources: string[] };
    for (const s of map.sources) expect(existsSync(join(installed.packageDir, 'dist', s))).toBe(true);
    expect(installed.size).toBeLessThan(3_000_000);
  });

  it('runs no script when installed (npm 11 lists a tarball\'s prepare among the install scripts to approve)', () => {
    const { scripts = {} } = JSON.parse(readFileSync(join(installed.packageDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(Object.keys(scripts).filter((s) => /^(pre|post)?(install|prepare)$/.test(s))).toEqual([]);
  });

  it('npx convnotes --version prints the version', () => {
    const r = bin('--version');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('the CLI trains, evaluates, predicts, inspects and exports', () => {
    const data = join(installed.packageDir, 'data', 'digits');
    const model = join(tmp, 'cli.safetensors');
    const t = bin('train', '--recipe', 'simard', '--epochs', '1', '--limit', '500', '--eval-train', '0', '--threads', '1', '--no-progress', '--data', data, '--out', model, '--json');
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout.trim().split('\n').at(-1)!).epochs).toBe(1);
    const e = bin('eval', '--model', model, '--data', data, '--threads', '1', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout.trim().split('\n').at(-1)!).testError).toBeLessThan(0.9);
    const p = bin('predict', '--model', model, '--input', join(data, 't10k-images-idx3-ubyte.gz'), '--index', '0', '--count', '3', '--threads', '1', '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout.trim().split('\n').at(-1)!).predictions).toHaveLength(3);
    const i = bin('inspect', '--model', model, '--json');
    expect(i.code, i.stderr).toBe(0);
    expect(JSON.parse(i.stdout.trim().split('\n').at(-1)!).name).toBe('simard');
    const x = bin('export', '--model', model, '--onnx', join(tmp, 'cli.onnx'), '--json');
    expect(x.code, x.stderr).toBe(0);
    expect(readFileSync(join(tmp, 'cli.onnx')).length).toBeGreaterThan(1000);
  });

  it('an ESM program imports convnotes and convnotes/node, trains, saves and loads a model and a checkpoint: the same classes', () => {
    writeFileSync(join(tmp, 'program.mjs'), `
import { builtinRecipe, createNetwork, fillBatch, normalisation, predictClass, classScores, Augmenter, range, train } from 'convnotes';
import { loadBundledDigits, loadModel, saveModel, saveCheckpoint, loadCheckpoint, restoreCheckpoint, loadSplit, defaultDataDir } from 'convnotes/node';

const recipe = builtinRecipe('simard');
recipe.training.epochs = 1;
const { train: all, test } = loadBundledDigits();
const n = 500;
const digits = { ...all, images: all.images.subarray(0, n * 784), labels: all.labels.subarray(0, n), count: n };
const net = await createNetwork(recipe.network, { batch: 50, threads: 1 });
const state = await train({ net, recipe, train: digits, test: null, seed: 1, evalTrain: 0 });

const classesOf = (m) => {
  const [, h, w] = m.description.input;
  const x = new Float32Array(20 * h * w);
  fillBatch(test, range(20), 0, 20, h, w, normalisation(recipe), x, new Uint8Array(20));
  const y = m.forward(x, 20);
  const scores = new Float64Array(m.classes);
  classScores(m.description.codes, y, 0, m.outputSize, scores);
  return Array.from({ length: 20 }, (_, r) => predictClass(m.description.codes, y, r, m.outputSize));
};
const before = classesOf(net);

saveModel('model.safetensors', { description: net.description, params: net.params, views: net.views });
const loaded = loadModel('model.safetensors');
const again = await createNetwork(loaded.description, { batch: 50, threads: 1 });
again.setParams(loaded.params);
const after = classesOf(again);

saveCheckpoint('checkpoint.safetensors', net, recipe, state);
const c = loadCheckpoint('checkpoint.safetensors');
const resumed = await createNetwork(c.recipe.network, { batch: 50, threads: 1 });
restoreCheckpoint(resumed, c);
const fromCheckpoint = classesOf(resumed);

console.log(JSON.stringify({
  before, after, fromCheckpoint, epoch: c.state.epoch, augmenter: typeof Augmenter, loadSplit: typeof loadSplit, dataDir: typeof defaultDataDir(),
}));
await Promise.all([net.dispose(), again.dispose(), resumed.dispose()]);
`);
    const r = run(process.execPath, ['program.mjs']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { before: number[]; after: number[]; fromCheckpoint: number[]; epoch: number; augmenter: string; loadSplit: string; dataDir: string };
    expect(out.before).toHaveLength(20);
    expect(new Set(out.before).size).toBeGreaterThan(1); // it learned something
    expect(out.after).toEqual(out.before);
    expect(out.fromCheckpoint).toEqual(out.before);
    expect(out.epoch).toBe(1);
    expect([out.augmenter, out.loadSplit, out.dataDir]).toEqual(['function', 'function', 'string']);
  });

  it('a TypeScript file using the API type-checks with module and moduleResolution nodenext', () => {
    // a user's project has @types/node when it uses convnotes/node
    mkdirSync(join(tmp, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(tmp, 'node_modules', '@types', 'node'), 'dir');
    writeFileSync(join(tmp, 'check.ts'), `
import { builtinRecipe, createNetwork, predictClass, classScores, Augmenter, train, type Dataset, type Recipe, type TrainableNetwork } from 'convnotes';
import { loadBundledDigits, loadModel, saveModel, loadCheckpoint, saveCheckpoint, downloadDataset, type Checkpoint } from 'convnotes/node';

const recipe: Recipe = builtinRecipe('dlt');
const digits: { train: Dataset; test: Dataset } = loadBundledDigits();
const net: TrainableNetwork = await createNetwork(recipe.network, { batch: 50 });
const state = await train({ net, recipe, train: digits.train, seed: 1 });
saveModel('m.safetensors', { description: net.description, params: net.params, views: net.views });
saveCheckpoint('c.safetensors', net, recipe, state, { note: 'mine' });
const c: Checkpoint = loadCheckpoint('c.safetensors');
const epoch: number = c.state.epoch;
const k: number = predictClass(loadModel('m.safetensors').description.codes, net.forward(new Float32Array(784), 1), 0, net.outputSize);
classScores(null, new Float32Array(10), 0, 10, new Float64Array(10));
const a = new Augmenter(28, 28, { elastic: { sigma: 4, alpha: 34 }, affine: null });
const radius: number = a.radius;
const dl: Promise<{ dir: string }> = downloadDataset({ name: 'mnist', dir: 'x' });
// the types are the package's, not \`any\`:
// @ts-expect-error saveModel takes the file name first
saveModel(net, 'm.safetensors');
// @ts-expect-error epoch is a number
const wrong: string = c.state.epoch;
export { epoch, k, radius, dl, wrong };
`);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = run(process.execPath, [tsc, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict', '--noEmit', 'check.ts']);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
