// The fast path in a real browser (Chromium from scripts/chromium.mjs, driven by playwright-core): threads on Web
// Workers over one shared memory in a cross-origin-isolated page, weights bit-identical at 1 and 2
// threads, and bit-identical to the same run in Node. Serves the built package (npm test builds it).
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/chromium.mjs';
import { FastNetwork } from '../../src/wasm/engine.js';
import { builtinNetwork } from '../../src/recipes/builtin.js';
// @ts-expect-error: plain JavaScript shared with the browser page
import { trainAndHash } from './browser/train-and-hash.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.map': 'application/json' };

let server: Server;
let origin = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
    const file = join(ROOT, path);
    if (!file.startsWith(ROOT) || !existsSync(file) || statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      // cross-origin isolation: SharedArrayBuffer and shared WebAssembly memory
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe('fast path in Chromium', () => {
  it('trains on 2 Web Worker threads, bit-identical to 1 thread and to Node', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/test/surface/browser/threads.html`);
      expect(await page.evaluate(() => (window as unknown as { isolated: boolean }).isolated)).toBe(true);
      const out = (await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result)) as {
        ok: boolean; error?: string; results: { threads: number; notice: string | null; relaxedSimd: boolean; hash: string }[];
      };
      expect(out.ok, out.error).toBe(true);
      const [one, two] = out.results;
      expect(one.threads).toBe(1);
      expect(two.threads).toBe(2);
      expect(two.notice).toBeNull();
      expect(two.hash).toBe(one.hash);

      const node = await FastNetwork.create(builtinNetwork('dlt'), { batch: 13, threads: 1, relaxedSimd: one.relaxedSimd });
      expect(node.relaxedSimd).toBe(one.relaxedSimd);
      expect(trainAndHash(node)).toBe(one.hash);
      await node.dispose();
    } finally {
      await browser.close();
    }
  });
});
