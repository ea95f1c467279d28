// The playground trains exactly as `convnotes train` does (issue 14: one trainer): simard-wide, whose
// every training pattern is distorted afresh, trained for 1,000 steps in the page's worker in Chromium
// and by the CLI on the same data and seed, ends with bit-identical weights, and the page's model
// continues under `convnotes train --resume` exactly as the CLI's own checkpoint does. Same launcher and
// dev server as test/surface/playground.test.ts. Needs `npm run build` (npm test does it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.mjs';
import { startPlayground, type PlaygroundServer } from '../../scripts/playground-server.mjs';
import { BUNDLED_DIR } from '../../src/data/bundled.js';
import { decodeModel } from '../../src/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
// 8,000 of the shipped digits' 8,337 training images in batches of 32: 250 steps an epoch, 4 epochs
const LIMIT = 8000;
const EPOCHS = 4;
const STEPS = 1000;

let temp = '';
let server: PlaygroundServer | null = null;
let origin = '';

function cli(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A model file's parameters and velocities as bytes, and its training state. */
function weights(file: string): { params: Buffer; velocity: Buffer; training: Record<string, unknown> } {
  const m = decodeModel(new Uint8Array(readFileSync(file)), file);
  const bytes = (a: ArrayLike<number> & ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  expect(m.state.velocity).toBeDefined();
  return { params: bytes(m.params), velocity: bytes(m.state.velocity!), training: m.training as Record<string, unknown> };
}

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'convnotes-playground-cli-'));
  server = await startPlayground(BUNDLED_DIR, ['--no-hmr']);
  origin = server.origin;
});

afterAll(() => {
  server?.stop();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

type Win = { playground: { state: { ready: boolean; running: boolean; done: boolean; trainCount: number; distortions: boolean; errors: string[]; progress: { step: number; epoch: number } | null }; saveModel(): Promise<Uint8Array> } };

describe('the playground and the CLI train alike', () => {
  it(`simard-wide (distortions on) for ${STEPS} steps: bit-identical weights, and the page's model resumes exactly in the CLI`, async () => {
    const cliModel = join(temp, 'cli.safetensors');
    const common = ['--data', BUNDLED_DIR, '--seed', '1', '--limit', String(LIMIT), '--eval-train', '0', '--no-progress'];
    cli(['train', '--recipe', 'simard-wide', '--epochs', String(EPOCHS), ...common, '--out', cliModel]);

    const browser = await launchChromium();
    const pageModel = join(temp, 'page.safetensors');
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${origin}/`);
      const ready = () => page.waitForFunction(() => (window as unknown as Win).playground?.state.ready, null, { timeout: 30_000 });
      await ready();
      // the built-in simard-wide, its epochs set as the CLI's --epochs sets them
      await page.evaluate(() => { (window as unknown as Win).playground.state.ready = false; });
      await page.selectOption('#recipe-select', 'simard-wide');
      await ready();
      const editor = page.locator('#recipe-json');
      const recipe = JSON.parse(await editor.inputValue()) as { name: string; training: { epochs: number; batch: number } };
      expect([recipe.name, recipe.training.batch]).toEqual(['simard-wide', 32]);
      recipe.training.epochs = EPOCHS;
      await editor.fill(JSON.stringify(recipe, null, 2));
      await page.evaluate(() => { (window as unknown as Win).playground.state.ready = false; });
      await page.click('#apply');
      await ready();
      // the page says it trains as the CLI does, distortions on
      expect(await page.evaluate(() => (window as unknown as Win).playground.state.distortions)).toBe(true);
      expect(await page.locator('#training-info').textContent()).toContain('distortions on');
      expect(await page.locator('#training-info').textContent()).toContain('--seed 1');

      await page.fill('#limit', String(LIMIT));
      await page.fill('#test-limit', '200');
      await page.click('#served');
      await page.waitForFunction((n) => (window as unknown as Win).playground.state.trainCount === n, LIMIT, { timeout: 30_000 });
      await page.click('#start');
      await page.waitForFunction(() => (window as unknown as Win).playground.state.done && !(window as unknown as Win).playground.state.running, null, { timeout: 240_000 });
      const s = await page.evaluate(() => (window as unknown as Win).playground.state);
      expect(s.errors).toEqual([]);
      expect(s.progress).toMatchObject({ step: STEPS, epoch: EPOCHS });
      const saved = await page.evaluate(async () => Array.from(await (window as unknown as Win).playground.saveModel()));
      writeFileSync(pageModel, Buffer.from(saved));
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }

    const fromPage = weights(pageModel);
    const fromCli = weights(cliModel);
    expect(fromPage.params.length).toBe(fromCli.params.length);
    expect(fromPage.params.equals(fromCli.params)).toBe(true);
    expect(fromPage.velocity.equals(fromCli.velocity)).toBe(true);
    // where training stands: the same epoch and random state as the CLI's checkpoint
    expect(fromPage.training.epoch).toBe(EPOCHS);
    expect(fromPage.training.rng).toEqual(fromCli.training.rng);

    // one more epoch of each from the CLI: the page's model goes on exactly as the CLI's own
    for (const file of [pageModel, cliModel]) cli(['train', '--resume', '--out', file, '--epochs', String(EPOCHS + 1), ...common]);
    const resumedPage = weights(pageModel);
    const resumedCli = weights(cliModel);
    expect(resumedCli.params.equals(fromCli.params)).toBe(false);
    expect(resumedPage.params.equals(resumedCli.params)).toBe(true);
  });
});
