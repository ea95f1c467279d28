// The npm package in a user's web project, with no configuration about the package: the tarball
// installed offline (test/helpers/packed.ts) into a project whose page and Web Worker import
// `createNetwork` from 'convnotes' and train a tiny network, then loaded in Chromium
// (scripts/chromium.mjs) from
//   - Vite's dev server, which pre-bundles the package into node_modules/.vite/deps/ (where files found
//     with `new URL(…, import.meta.url)` used to be lost: "cannot fetch the WebAssembly kernels (HTTP 404)
//     …/.vite/deps/undefined" unless the user knew to add optimizeDeps.exclude),
//   - `vite build` served by `vite preview` (workers bundled as one classic script, Vite's default),
//   - plain ES modules served as static files, 'convnotes' mapped by an import map to the package's
//     dist/index.js, cross-origin isolated and not.
// The project's vite.config.js holds only the page's cross-origin isolation headers (its policy, not
// the package's). Isolated, the worker trains on 2 threads and the page's own thread on 1 (a page may
// not wait for workers); not isolated, both on 1; every run gives the same loss, and Node's too.
// Needs `npm run build` (npm test does it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { launchChromium } from '../../scripts/chromium.mjs';
import { packAndInstall, ROOT, type InstalledPackage } from '../helpers/packed.js';

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The user's project, beside node_modules/convnotes. */
const PROJECT: Record<string, string> = {
  'vite.config.js': `// the page's policy: cross-origin isolated, so that workers get SharedArrayBuffer
const ISOLATION = ${JSON.stringify(ISOLATION)};
export default { server: { headers: ISOLATION }, preview: { headers: ISOLATION } };
`,
  // a few steps of a tiny network; takes createNetwork so that both kinds of page share it
  'train.js': `export async function trainTiny(createNetwork, threads) {
  const net = await createNetwork({
    input: [1, 12, 12],
    layers: [
      { type: 'conv', maps: 4, kernel: 5, activation: 'sigmoid', connections: 'all' },
      { type: 'subsample', factor: 2 },
      { type: 'full', units: 3, activation: 'sigmoid' },
    ],
    loss: 'mse',
    seed: 1,
  }, { batch: 8, threads });
  const x = new Float32Array(8 * 144).map((_, i) => ((i * 37) % 11) / 11);
  const labels = [0, 1, 2, 0, 1, 2, 0, 1];
  let loss = NaN;
  for (let s = 0; s < 5; s++) loss = net.trainStep(x, labels, 8, 0.5);
  const out = { backend: net.backend, threads: net.threads, notice: net.notice, relaxedSimd: net.relaxedSimd, loss, isolated: globalThis.crossOriginIsolated === true };
  await net.dispose();
  return out;
}
`,
  // the page: trains on its own thread, then has a Web Worker train (threads), and writes both down
  'page.js': `import { trainTiny } from './train.js';

export async function runPage(createNetwork, startWorker) {
  const out = await (async () => {
    const page = await trainTiny(createNetwork, 2);
    const worker = await new Promise((resolve) => {
      const w = startWorker();
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => resolve({ error: 'worker: ' + e.message });
    });
    return { page, worker };
  })().catch((e) => ({ error: String(e && e.stack ? e.stack : e) }));
  document.getElementById('out').textContent = JSON.stringify(out);
}
`,
  'worker-body.js': `import { trainTiny } from './train.js';

export function runWorker(createNetwork) {
  trainTiny(createNetwork, 2).then((r) => postMessage(r), (e) => postMessage({ error: String(e && e.stack ? e.stack : e) }));
}
`,
  // Vite's entry points: the package by its name
  'index.html': `<!doctype html>
<html><head><meta charset="utf-8"><title>convnotes in Vite</title></head>
<body><pre id="out"></pre><script type="module" src="./main.js"></script></body></html>
`,
  'main.js': `import { createNetwork } from 'convnotes';
import { runPage } from './page.js';

// the worker as Vite's documentation writes it, for Vite to bundle it
runPage(createNetwork, () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
`,
  'worker.js': `import { createNetwork } from 'convnotes';
import { runWorker } from './worker-body.js';

runWorker(createNetwork);
`,
  // plain ES modules: an import map on the page (a worker has none: it imports the file)
  'esm.html': `<!doctype html>
<html><head><meta charset="utf-8"><title>convnotes as plain ES modules</title>
<script type="importmap">{ "imports": { "convnotes": "./node_modules/convnotes/dist/index.js" } }</script></head>
<body><pre id="out"></pre><script type="module">
import { createNetwork } from 'convnotes';
import { runPage } from './page.js';

runPage(createNetwork, () => new Worker(new URL('./esm-worker.js', import.meta.url), { type: 'module' }));
</script></body></html>
`,
  'esm-worker.js': `import { createNetwork } from './node_modules/convnotes/dist/index.js';
import { runWorker } from './worker-body.js';

runWorker(createNetwork);
`,
  // Node, for the loss to compare with
  'node.js': `import { createNetwork } from 'convnotes';
import { trainTiny } from './train.js';

console.log(JSON.stringify(await trainTiny(createNetwork, 2)));
`,
};

interface Run { backend: string; threads: number; notice: string | null; relaxedSimd: boolean; loss: number; isolated: boolean }
interface PageResult { error?: string; page: Run & { error?: string }; worker: Run & { error?: string } }

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.map': 'application/json' };

let installed: InstalledPackage | null = null;
let browser: Browser | null = null;
let nodeRun: Run | null = null;
const closers: (() => Promise<unknown>)[] = [];

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Loads `url` in a new page and waits for what it wrote; every failed request is an error too. */
async function load(url: string): Promise<PageResult> {
  const page = await browser!.newPage();
  const failures: string[] = [];
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) failures.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => failures.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  try {
    await page.goto(url);
    const handle = await page.waitForFunction(() => document.getElementById('out')?.textContent || null, null, { timeout: 60_000 });
    const out = JSON.parse((await handle.jsonValue()) as string) as PageResult;
    expect(failures).toEqual([]);
    expect(out.error).toBeUndefined();
    expect(out.page.error).toBeUndefined();
    expect(out.worker.error).toBeUndefined();
    return out;
  } finally {
    await page.close();
  }
}

/** What an isolated page reports: the page's thread alone, the worker on 2, the same finite loss. */
function expectIsolated(out: PageResult): void {
  for (const r of [out.page, out.worker]) {
    expect(r.backend).toBe('wasm');
    expect(r.isolated).toBe(true);
    expect(Number.isFinite(r.loss)).toBe(true);
  }
  expect(out.page.threads).toBe(1);
  expect(out.page.notice).toMatch(/main thread cannot wait/);
  expect(out.worker.threads).toBe(2);
  expect(out.worker.notice).toBeNull();
  expect(out.worker.loss).toBe(out.page.loss);
  if (nodeRun && nodeRun.relaxedSimd === out.worker.relaxedSimd) expect(out.worker.loss).toBe(nodeRun.loss);
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.js')) || !existsSync(join(ROOT, 'wasm', 'kernels.js'))) {
    throw new Error('dist/ or wasm/kernels.js is missing: run `npm run build` first (npm test does)');
  }
  installed = packAndInstall('convnotes-vite-');
  for (const [name, text] of Object.entries(PROJECT)) writeFileSync(join(installed.dir, name), text);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  await browser?.close();
  installed?.remove();
});

describe('the package in a user\'s web project, no configuration about it', () => {
  it('Node: trains on 2 threads from the installed package', () => {
    const r = spawnSync(process.execPath, ['node.js'], { cwd: installed!.dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    nodeRun = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Run;
    expect(nodeRun.threads).toBe(2);
    expect(Number.isFinite(nodeRun.loss)).toBe(true);
  });

  it('vite dev server (the package pre-bundled): trains on the page, and on 2 threads in a worker', async () => {
    const dir = installed!.dir;
    const server: ViteDevServer = await createServer({
      root: dir, configFile: join(dir, 'vite.config.js'), logLevel: 'warn', clearScreen: false,
      server: { host: '127.0.0.1', port: await freePort(), strictPort: true },
    });
    closers.push(() => server.close());
    await server.listen();
    expectIsolated(await load(server.resolvedUrls!.local[0]));
    // the case of the issue: the package was pre-bundled into node_modules/.vite/deps/
    expect(existsSync(join(dir, 'node_modules', '.vite', 'deps', 'convnotes.js'))).toBe(true);
  }, 120_000);

  it('vite build and preview: trains on the page, and on 2 threads in a worker', async () => {
    const dir = installed!.dir;
    await build({ root: dir, configFile: join(dir, 'vite.config.js'), logLevel: 'warn', clearScreen: false, build: { outDir: join(dir, 'dist') } });
    const server: PreviewServer = await preview({
      root: dir, configFile: join(dir, 'vite.config.js'), logLevel: 'warn', clearScreen: false,
      build: { outDir: join(dir, 'dist') }, preview: { host: '127.0.0.1', port: await freePort(), strictPort: true },
    });
    closers.push(() => server.close());
    expectIsolated(await load(server.resolvedUrls!.local[0]));
  }, 120_000);

  it('plain ES modules with an import map, isolated and not', async () => {
    const dir = installed!.dir;
    // the project's files; under /open/ the same without the isolation headers
    const server: Server = createHttpServer((req, res) => {
      let path = decodeURIComponent((req.url ?? '/').split('?')[0]);
      const open = path.startsWith('/open/');
      if (open) path = path.slice('/open'.length);
      const file = join(dir, normalize(path));
      if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...(open ? {} : ISOLATION) });
      res.end(readFileSync(file));
    });
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

    const isolated = await load(`${origin}/esm.html`);
    expectIsolated(isolated);

    // not isolated: no SharedArrayBuffer, one thread everywhere, the same numbers
    const open = await load(`${origin}/open/esm.html`);
    for (const r of [open.page, open.worker]) {
      expect(r.backend).toBe('wasm');
      expect(r.isolated).toBe(false);
      expect(r.threads).toBe(1);
      expect(r.loss).toBe(isolated.worker.loss);
    }
    expect(open.worker.notice).toMatch(/shared memory is unavailable/);
  }, 120_000);
});
