#!/usr/bin/env node
// Single-thread training throughput of the playground page (Chromium, the training worker) against
// Node (`convnotes train`), same recipe (dlt: batch 50, one epoch of the 60k MNIST training images),
// both timing the updates only (evaluation excluded), alternating `--runs` times (default 3).
//   node scripts/measure-playground.mjs [--data DIR] [--runs N]     (after `npm run build`)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const { playDataDir } = await import('../web/data-dir.mjs');
const data = opt('--data', playDataDir());
const runs = Number(opt('--runs', '3'));
const temp = mkdtempSync(join(tmpdir(), 'convnotes-measure-'));

const { startPlayground } = await import('./playground-server.mjs');
const server = await startPlayground(data, ['--no-hmr']);
const origin = server.origin;
const { launchChromium } = await import('./chromium.mjs');
const browser = await launchChromium();

async function page1() {
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.playground?.state.ready);
  await page.fill('#threads', '1');
  await page.evaluate(() => { window.playground.state.ready = false; });
  await page.click('#apply');
  await page.waitForFunction(() => window.playground.state.ready);
  const threads = await page.evaluate(() => window.playground.state.engine.threads);
  await page.fill('#test-limit', '1000');
  await page.click('#served');
  await page.waitForFunction(() => window.playground.state.trainCount > 0, null, { timeout: 60_000 });
  await page.click('#start');
  await page.waitForFunction(() => window.playground.state.done, null, { timeout: 300_000 });
  const p = await page.evaluate(() => window.playground.state.progress);
  await page.close();
  return { imagesPerSecond: p.imagesPerSecond, images: p.images, threads };
}

function node1() {
  const out = execFileSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'train', '--recipe', 'dlt', '--threads', '1', '--eval-train', '0', '--no-progress', '--json', '--data', data, '--out', join(temp, 'dlt.safetensors')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').pop()).imagesPerSecond;
}

const results = { page: [], node: [] };
try {
  for (let r = 0; r < runs; r++) {
    const p = await page1();
    results.page.push(Math.round(p.imagesPerSecond));
    results.node.push(Math.round(node1()));
    console.log(`run ${r + 1}: page ${Math.round(p.imagesPerSecond)} images/s (${p.images} images, ${p.threads} thread), node ${results.node[r]} images/s`);
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  console.log(JSON.stringify({ recipe: 'dlt', batch: 50, threads: 1, page: results.page, node: results.node, pageMedian: median(results.page), nodeMedian: median(results.node), ratio: +(median(results.page) / median(results.node)).toFixed(3) }));
} finally {
  await browser.close();
  server.stop();
  rmSync(temp, { recursive: true, force: true });
}
