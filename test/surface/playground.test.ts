// The playground (web/) end to end in Chromium (scripts/chromium.mjs), driven by playwright-core: its dev server
// (`npm run play`, serving a data folder), a few hundred training steps in the page's worker on a small
// MNIST subset, a digit drawn on the canvas, and model files crossing between the page and the CLI.
// The same launcher as test/surface/browser-threads.test.ts. Needs `npm run build` (npm test does it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.mjs';
import { startPlayground, type PlaygroundServer } from '../../scripts/playground-server.mjs';
import { BUNDLED_DIR } from '../../src/data/bundled.js';

const ROOT = join(import.meta.dirname, '..', '..');

const CLI = join(ROOT, 'dist', 'cli', 'main.js');

let temp = '';
let dataDir = '';
let server: PlaygroundServer | null = null;
let preview: PlaygroundServer | null = null;
let origin = '';

function dataFile(name: string): string {
  return existsSync(join(dataDir, name)) ? join(dataDir, name) : join(dataDir, `${name}.gz`);
}

function cli(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function cliPredictions(model: string): number[] {
  const out = cli(['predict', '--model', model, '--input', dataFile('t10k-images-idx3-ubyte'), '--count', '100', '--json', '--threads', '1']);
  const last = out.trim().split('\n').pop()!;
  return (JSON.parse(last) as { predictions: { class: number }[] }).predictions.map((p) => p.class);
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'convnotes-playground-'));
  // the digits convnotes ships: a folder of the four IDX files, as a user's would be
  dataDir = BUNDLED_DIR;
  // the dev server, as `npm run play -- --data DIR` starts it
  server = await startPlayground(dataDir, ['--no-hmr']);
  origin = server.origin;
});

/** Every server's output, for the failure messages. */
const serverLog = () => [server, preview].map((p) => p?.log ?? '').join('');

afterAll(() => {
  server?.stop();
  preview?.stop();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

type Win = { playground: { state: Record<string, unknown> & { ready: boolean; running: boolean; done: boolean; trainCount: number; points: { testError: number | null; images: number }[]; drawnScores: number[] | null; errors: string[]; inspection: { confusion: { counts: number[]; classes: number; count: number } | null } | null; loaded: string | null }; predictTest(n: number): Promise<number[]>; saveModel(): Promise<Uint8Array> } };

describe('playground in Chromium', () => {
  it('trains in its worker, classifies a drawing, and shares model files with the CLI', async () => {
    // a model made by the CLI, and the CLI's predictions with it
    const cliModel = join(temp, 'cli-dlt.safetensors');
    cli(['train', '--recipe', 'dlt', '--limit', '500', '--eval-train', '0', '--out', cliModel, '--data', dataDir, '--no-progress', '--threads', '1']);
    const cliClasses = cliPredictions(cliModel);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${origin}/`);
      const st = () => page.evaluate(() => (window as unknown as Win).playground.state);
      await page.waitForFunction(() => (window as unknown as Win).playground?.state.ready, null, { timeout: 30_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

      // an invalid recipe: an inline error naming the field, the page still alive
      const editor = page.locator('#recipe-json');
      const good = await editor.inputValue();
      await editor.fill(good.replace('"kernel": 5', '"kernel": 99'));
      await page.click('#apply');
      await expect.poll(() => page.locator('#recipe-error').textContent()).toContain('network.layers[0].kernel');
      // an unreadable data file: a visible message
      await page.setInputFiles('#files', { name: 'train-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: Buffer.from('not an IDX file') });
      await expect.poll(() => page.locator('#errors').textContent()).toContain('train-images-idx3-ubyte');

      // dlt for 6 epochs of 5,000 images: 600 steps of 50
      const recipe = JSON.parse(good) as { training: { epochs: number } };
      recipe.training.epochs = 6;
      await editor.fill(JSON.stringify(recipe, null, 2));
      await page.evaluate(() => { (window as unknown as Win).playground.state.ready = false; });
      await page.click('#apply');
      await page.waitForFunction(() => (window as unknown as Win).playground.state.ready);
      await page.fill('#limit', '5000');
      await page.fill('#test-limit', '1000');
      await page.click('#served');
      await page.waitForFunction(() => (window as unknown as Win).playground.state.trainCount === 5000, null, { timeout: 30_000 });
      await page.waitForFunction(() => (window as unknown as Win).playground.state.inspection?.confusion);
      const before = (await st()).inspection!.confusion!;
      const initialError = 1 - Array.from({ length: before.classes }, (_, k) => before.counts[k * before.classes + k]).reduce((a, b) => a + b, 0) / before.count;

      await page.click('#start');
      // pause: training stops (the worker answers between slices); resume: it goes on
      await page.waitForFunction(() => (window as unknown as Win).playground.state.points.length >= 1, null, { timeout: 20_000 });
      await page.click('#pause');
      await page.waitForFunction(() => !(window as unknown as Win).playground.state.running);
      const pausedAt = await page.evaluate(() => (window as unknown as { playground: { state: { progress: { step: number } } } }).playground.state.progress.step);
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => (window as unknown as { playground: { state: { progress: { step: number } } } }).playground.state.progress.step)).toBe(pausedAt);
      expect(pausedAt).toBeLessThan(600);
      expect(await page.locator('#start').textContent()).toBe('Resume');
      await page.click('#start');
      await page.waitForFunction(() => (window as unknown as Win).playground.state.done && !(window as unknown as Win).playground.state.running, null, { timeout: 40_000 });
      const s = await st();
      const errors = s.points.map((p) => p.testError!);
      const final = errors[errors.length - 1];
      expect(s.points[s.points.length - 1].images).toBe(30_000);
      expect(initialError).toBeGreaterThan(0.5);
      expect(final).toBeLessThan(initialError - 0.3);
      expect(final).toBeLessThan(0.5);
      expect(final).toBeLessThanOrEqual(errors[0]);

      // a stroke on the canvas: class scores appear
      const box = (await page.locator('#draw').boundingBox())!;
      // a 7: a bar, then the diagonal down
      await page.mouse.move(box.x + 80, box.y + 60);
      await page.mouse.down();
      for (let k = 1; k <= 8; k++) await page.mouse.move(box.x + 80 + 15 * k, box.y + 60);
      for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + 200 - 7 * k, box.y + 60 + 17 * k);
      await page.mouse.up();
      await page.waitForFunction(() => (window as unknown as Win).playground.state.drawnScores?.length === 10);
      expect(await page.locator('#scores .bar').count()).toBe(10);
      // the committed docs/playground.png comes from scripts/screenshot-playground.mjs (the learned recipe)
      await page.screenshot({ path: join(temp, 'playground.png'), fullPage: true });
      expect(readFileSync(join(temp, 'playground.png')).subarray(1, 4).toString()).toBe('PNG');

      // the page's model, saved, is read by the CLI, which predicts as the page does
      const saved = await page.evaluate(async () => Array.from(await (window as unknown as Win).playground.saveModel()));
      const pageModel = join(temp, 'page.safetensors');
      writeFileSync(pageModel, Buffer.from(saved));
      const pagePredictions = await page.evaluate(() => (window as unknown as Win).playground.predictTest(100));
      expect(cliPredictions(pageModel)).toEqual(pagePredictions);

      // the CLI's model opens in the page, which predicts as the CLI does
      await page.evaluate(() => { (window as unknown as Win).playground.state.loaded = null; });
      await page.setInputFiles('#model-file', { name: 'cli-dlt.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(cliModel) });
      await page.waitForFunction(() => (window as unknown as Win).playground.state.loaded === 'cli-dlt.safetensors');
      expect(await page.evaluate(() => (window as unknown as Win).playground.predictTest(100))).toEqual(cliClasses);
      expect(pageErrors).toEqual([]);
    } catch (e) {
      const page = browser.contexts()[0]?.pages()[0];
      if (page) {
        const s = await page.evaluate(() => { const st = (window as unknown as Win).playground?.state; return st ? { errors: st.errors, ready: st.ready, trainCount: st.trainCount, done: st.done, running: st.running, points: st.points.length } : null; }).catch(() => null);
        const shown = await page.locator('#errors').textContent().catch(() => '');
        throw new Error(`${(e as Error).message}\npage state: ${JSON.stringify(s)}\nerrors shown: ${shown}\nserver log: ${serverLog()}`, { cause: e });
      }
      throw e;
    } finally {
      await browser.close();
    }
  });

  it('builds to a static site (npm run build:web) that trains in a cross-origin-isolated preview', async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web', '--logLevel', 'error'], { cwd: ROOT, stdio: 'pipe' });
    expect(existsSync(join(ROOT, 'web', 'dist', 'index.html'))).toBe(true);
    preview = await startPlayground(dataDir, ['--preview']);
    const url = preview.origin;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${url}/`);
      await page.waitForFunction(() => (window as unknown as Win).playground?.state.ready, null, { timeout: 30_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      await page.fill('#limit', '1000');
      await page.fill('#test-limit', '200');
      await page.click('#served');
      await page.waitForFunction(() => (window as unknown as Win).playground.state.trainCount === 1000, null, { timeout: 30_000 });
      await page.click('#start');
      await page.waitForFunction(() => (window as unknown as Win).playground.state.done, null, { timeout: 30_000 });
      const s = await page.evaluate(() => (window as unknown as Win).playground.state);
      expect(s.errors).toEqual([]);
      expect(s.points[s.points.length - 1].images).toBe(1000);
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
