// Renders docs/playground.png: the playground (web/) after training the `learned` recipe for two
// epochs on 5,000 MNIST images, so the picture has everything the page shows: curves, kernels, feature
// maps, the learned α matrix and β, a drawn digit and its scores, the confusion matrix.
//
//   npm run build && node scripts/screenshot-playground.mjs [--data DIR] [--out FILE]
//
// With --images, the colour views instead: a folder of class folders of pictures (or a .zip of one)
// loaded as a user picks it, `dlt` fitted to it (its inputs standardised per channel, trained by Adam
// for --epochs, default 25), a picture of its test/ split classified, the class names shown:
//
//   node scripts/screenshot-playground.mjs --images DIR|FILE.zip [--epochs N] --out FILE
//
// Drives Chromium with playwright-core, launched by scripts/chromium.mjs (the one the npm package
// @sparticuz/chromium ships, or the one CONVNOTES_CHROMIUM names).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';
import { devDataDir } from './dev-data.mjs';
import { startPlayground } from './playground-server.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const images = arg('--images', null);
const out = arg('--out', images ? join(ROOT, 'playground-colour.png') : join(ROOT, 'docs', 'playground.png'));
const data = arg('--data', devDataDir());

/** The first picture under DIR/test (else DIR), in name order. */
function firstPicture(dir) {
  for (const sub of [join(dir, 'test'), dir]) {
    const walk = (d) => {
      for (const name of readdirSync(d).filter((n) => !n.startsWith('.')).sort()) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) {
          const found = walk(p);
          if (found) return found;
        } else if (/\.(png|jpe?g)$/i.test(name)) return p;
      }
      return null;
    };
    try {
      const found = walk(sub);
      if (found) return found;
    } catch {
      // no such folder
    }
  }
  return null;
}

const server = await startPlayground(data, ['--no-hmr']);
const origin = server.origin;

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const state = () => page.evaluate(() => window.playground.state);
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.playground?.state.ready, null, { timeout: 30_000 });
  if (images) {
    const recipe = JSON.parse(await page.locator('#recipe-json').inputValue());
    recipe.data.normalise = 'standard';
    recipe.training = { epochs: Number(arg('--epochs', '25')), batch: 50, rate: 0.005, optimizer: { type: 'adam' } };
    await page.locator('#recipe-json').fill(JSON.stringify(recipe, null, 2));
    await page.click('#apply');
    await page.waitForFunction(() => window.playground.state.ready);
    const folder = statSync(images).isDirectory();
    await page.setInputFiles(folder ? '#folder' : '#files', images);
    await page.waitForFunction(() => window.playground.state.dataset?.kind === 'images', null, { timeout: 120_000 });
    await page.click('#start');
    await page.waitForFunction(() => window.playground.state.done && !window.playground.state.running, null, { timeout: 600_000 });
    const picture = folder ? firstPicture(images) : null;
    if (picture) {
      await page.setInputFiles('#picture', picture);
      await page.waitForFunction(() => window.playground.state.picturePrediction !== null);
    }
    await page.waitForTimeout(500);
    await page.screenshot({ path: out, fullPage: true });
    const s = await state();
    const last = s.points[s.points.length - 1];
    console.log(`${out}: dlt fitted to ${s.dataset.source} (${s.dataset.channels}×${s.dataset.rows}×${s.dataset.cols}, ${s.dataset.classes} classes), ${last.images} images, test error ${last.testError === null ? '—' : `${(100 * last.testError).toFixed(2)} %`}`);
  } else {
    await page.selectOption('#recipe-select', 'learned');
    const recipe = JSON.parse(await page.locator('#recipe-json').inputValue());
    recipe.training.epochs = 2;
    await page.locator('#recipe-json').fill(JSON.stringify(recipe, null, 2));
    await page.click('#apply');
    await page.waitForFunction(() => window.playground.state.ready);
    await page.locator('#limit').fill('5000');
    await page.locator('#test-limit').fill('1000');
    await page.click('#served');
    await page.waitForFunction(() => window.playground.state.trainCount === 5000, null, { timeout: 30_000 });
    await page.click('#start');
    await page.waitForFunction(() => window.playground.state.done && !window.playground.state.running, null, { timeout: 120_000 });
    const box = await page.locator('#draw').boundingBox();
    // a 3: two bows down the right side
    await page.mouse.move(box.x + 70, box.y + 50);
    await page.mouse.down();
    for (let k = 0; k <= 16; k++) {
      const t = (Math.PI * k) / 16 - Math.PI / 2;
      await page.mouse.move(box.x + 110 + 50 * Math.cos(t), box.y + 95 + 45 * Math.sin(t));
    }
    for (let k = 0; k <= 16; k++) {
      const t = (Math.PI * k) / 16 - Math.PI / 2;
      await page.mouse.move(box.x + 110 + 55 * Math.cos(t), box.y + 190 + 50 * Math.sin(t));
    }
    await page.mouse.up();
    await page.waitForFunction(() => window.playground.state.drawnScores?.length === 10);
    await page.waitForTimeout(500);
    await page.screenshot({ path: out, fullPage: true });
    const s = await state();
    const last = s.points[s.points.length - 1];
    console.log(`${out}: learned, ${last.images} images, test error ${(100 * last.testError).toFixed(2)} % on ${s.testCount} test images`);
  }
} finally {
  await browser.close();
  server.stop();
}
