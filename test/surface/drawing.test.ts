// A digit drawn on the playground's canvas (Chromium, scripts/chromium.mjs) is classified the same by
// the page and by `convnotes predict --png` of that canvas saved as a PNG, with the same model file:
// both make it an MNIST digit with the library's mnistDigitFromRgba (src/data/images.ts) and place it
// with fillBatch. Needs `npm run build` (npm test does it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.mjs';
import { startPlayground, type PlaygroundServer } from '../../scripts/playground-server.mjs';
import { BUNDLED_DIR } from '../../src/data/bundled.js';
import { DIGIT_SIZE, mnistDigitFromRgba } from '../../src/data/images.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const cli = (args: string[]) => execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let temp = '';
let server: PlaygroundServer | null = null;
let origin = '';

beforeAll(async () => {
  temp = mkdtempSync(join(tmpdir(), 'convnotes-drawing-'));
  // the dev server as `npm run play -- --data DIR --no-hmr` starts it, on a free port
  server = await startPlayground(BUNDLED_DIR, ['--no-hmr']);
  origin = server.origin;
});

afterAll(() => {
  server?.stop();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

type Win = { playground: { state: { ready: boolean; loaded: string | null; drawnScores: number[] | null }; saveModel(): Promise<Uint8Array> } };

describe('a drawing, in the page and in `convnotes predict --png`', () => {
  it('is the same MNIST digit, the same class and the same scores', async () => {
    const model = join(temp, 'dlt.safetensors');
    cli(['train', '--recipe', 'dlt', '--limit', '500', '--eval-train', '0', '--no-progress', '--threads', '1', '--out', model, '--data', BUNDLED_DIR]);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => (window as unknown as Win).playground?.state.ready, null, { timeout: 30_000 });
      await page.setInputFiles('#model-file', { name: 'dlt.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(model) });
      await page.waitForFunction(() => (window as unknown as Win).playground.state.loaded === 'dlt.safetensors', null, { timeout: 30_000 });

      // a 2, off-centre and small in the 280×280 pad: an arc, the diagonal down, the base
      const box = (await page.locator('#draw').boundingBox())!;
      const to = (x: number, y: number) => page.mouse.move(box.x + (x * box.width) / 280, box.y + (y * box.height) / 280);
      await to(60, 70);
      await page.mouse.down();
      for (let k = 1; k <= 12; k++) await to(100 - 40 * Math.cos((Math.PI * k) / 12), 70 - 30 * Math.sin((Math.PI * k) / 12));
      for (let k = 1; k <= 10; k++) await to(140 - 8 * k, 70 + 9 * k);
      for (let k = 1; k <= 6; k++) await to(60 + 14 * k, 160);
      await page.mouse.up();
      // the last stroke's prediction is sent on the next animation frame; the worker answers in order,
      // so once a later request (save) is answered, the scores shown are those of the whole drawing
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.evaluate(() => (window as unknown as Win).playground.saveModel());
      const pageScores = await page.evaluate(() => (window as unknown as Win).playground.state.drawnScores);
      expect(pageScores).toHaveLength(10);

      // the pad as a PNG (lossless), and the 28×28 digit the page showed and classified
      const dataUrl = await page.evaluate(() => (document.getElementById('draw') as HTMLCanvasElement).toDataURL('image/png'));
      const file = join(temp, 'drawing.png');
      writeFileSync(file, Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));
      const pageDigit = await page.evaluate(() => Array.from((document.getElementById('draw-small') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0)));
      expect(pageErrors).toEqual([]);

      // the library on the PNG's pixels gives the page's digit: a real drawing, 20 pixels on its longer side
      const png = PNG.sync.read(readFileSync(file));
      expect([png.width, png.height]).toEqual([280, 280]);
      const digit = mnistDigitFromRgba(png.data, png.width, png.height);
      expect(Array.from(digit)).toEqual(pageDigit);
      const rows: number[] = [];
      const cols: number[] = [];
      digit.forEach((v, i) => { if (v > 0) { rows.push(Math.floor(i / DIGIT_SIZE)); cols.push(i % DIGIT_SIZE); } });
      expect(Math.max(Math.max(...rows) - Math.min(...rows), Math.max(...cols) - Math.min(...cols)) + 1).toBe(20);
      expect(digit.filter((v) => v > 0).length).toBeGreaterThan(60);

      // the CLI on the PNG: the same class, the same scores up to float32 rounding
      const out = cli(['predict', '--model', model, '--png', file, '--json', '--threads', '1']);
      const [p] = (JSON.parse(out.trim().split('\n').at(-1)!) as { predictions: { class: number; scores: number[] }[] }).predictions;
      expect(p.class).toBe(pageScores!.indexOf(Math.max(...pageScores!)));
      expect(p.scores).toHaveLength(10);
      p.scores.forEach((s, k) => expect(Math.abs(s - pageScores![k])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(s))));
    } catch (e) {
      throw new Error(`${(e as Error).message}\nserver log: ${server?.log}`, { cause: e });
    } finally {
      await browser.close();
    }
  });
});
