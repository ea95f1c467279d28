// `convnotes download` against a local HTTP server (tests cannot reach the internet): the four files
// fetched and MD5-checked, a corrupt file refused with an error naming it and nothing left behind,
// valid files not fetched again, and network failures as one line naming the URLs tried.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, downloadDataset, type DatasetSource } from '../../src/data/download.js';
import { BUNDLED_DIR } from '../../src/data/bundled.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const FILES = Object.keys(DATASETS.mnist.md5);

/** The CLI, asynchronously: the server runs in this process, so spawnSync would block it. */
const run = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

const idx = (dims: number[], data: Uint8Array): Buffer => {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
};
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

describe('convnotes download', () => {
  const root = mkdtempSync(join(tmpdir(), 'convnotes-download-'));
  const good = join(root, 'good');
  const bad = join(root, 'bad');
  let server: Server;
  let base = '';
  const requests: string[] = [];
  /** The checksums the served files must match: their own (they are the shipped digits, not the full set). */
  let source: DatasetSource = DATASETS.mnist;

  beforeAll(async () => {
    mkdirSync(good);
    mkdirSync(bad);
    // the shipped digits (real MNIST, gzipped IDX), with their own MD5 table injected through `source`
    const gz: Record<string, Buffer> = {};
    for (const f of FILES) gz[f] = readFileSync(join(BUNDLED_DIR, f));
    source = { ...DATASETS.mnist, md5: Object.fromEntries(FILES.map((f) => [f, md5(gunzipSync(gz[f]))])) };
    for (const f of FILES) {
      writeFileSync(join(good, f), gz[f]);
      writeFileSync(join(bad, f), gz[f]);
    }
    // bad/: t10k-labels is valid gzip, but one label changed: the MD5 of its data is wrong
    const labels = gunzipSync(gz['t10k-labels-idx1-ubyte.gz']);
    labels[8] = (labels[8] + 1) % 10;
    writeFileSync(join(bad, 't10k-labels-idx1-ubyte.gz'), gzipSync(labels));

    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const file = join(root, ...(req.url ?? '/').split('/').filter((s) => s && s !== '..'));
      if (!existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Through the API, with the served files' own MD5 table (the CLI's is real MNIST's, checked below by a failure). */
  const download = async (dir: string, mirror: string) => {
    try {
      await downloadDataset({ name: 'mnist', dir, mirrors: mirror.split(','), source });
      return { code: 0, stdout: '', stderr: '' };
    } catch (e) {
      return { code: 1, stdout: '', stderr: `convnotes: ${(e as Error).message}\n` };
    }
  };

  it('fetches the four files, verified, and does not fetch valid files again', async () => {
    const dir = join(root, 'out-ok');
    requests.length = 0;
    const r = await download(dir, `${base}/good/`);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([...FILES].sort());
    for (const f of FILES) expect(md5(gunzipSync(readFileSync(join(dir, f))))).toBe(source.md5[f]);
    expect(requests.length).toBe(4);

    requests.length = 0;
    const again = await download(dir, `${base}/good/`);
    expect(again.code, again.stderr).toBe(0);
    expect(requests).toEqual([]);

    // a damaged copy is fetched again, and only it
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), 'not gzip');
    requests.length = 0;
    const repair = await download(dir, `${base}/good/`);
    expect(repair.code, repair.stderr).toBe(0);
    expect(requests).toEqual(['/good/t10k-images-idx3-ubyte.gz']);
    expect(md5(gunzipSync(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz'))))).toBe(source.md5['t10k-images-idx3-ubyte.gz']);
  });

  it('refuses a file whose MD5 is wrong, naming it, and leaves nothing of it behind', async () => {
    const dir = join(root, 'out-bad');
    const r = await download(dir, `${base}/bad/`);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/t10k-labels-idx1-ubyte\.gz.*MD5/);
    expect(r.stderr).toContain(`${base}/bad/t10k-labels-idx1-ubyte.gz`);
    // nothing behind: not the bad file, nor the three good ones fetched before it, nor the folder
    expect(existsSync(dir)).toBe(false);
  });

  it('falls back to the next mirror, and names every URL tried when all fail', async () => {
    const dir = join(root, 'out-fallback');
    const r = await download(dir, `${base}/missing/,${base}/good/`);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([...FILES].sort());

    const none = join(root, 'out-none');
    const f = await download(none, `${base}/missing/,http://127.0.0.1:1/`);
    expect(f.code).toBe(1);
    expect(f.stderr.trim().split('\n')).toHaveLength(1);
    expect(f.stderr).toContain(`${base}/missing/train-images-idx3-ubyte.gz (HTTP 404`);
    expect(f.stderr).toContain('http://127.0.0.1:1/train-images-idx3-ubyte.gz');
  });

  it('defaults to $XDG_CACHE_HOME/convnotes/mnist and reads file: mirrors', async () => {
    const cache = join(root, 'cache');
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cache;
    try {
      const r = await downloadDataset({ name: 'mnist', mirrors: [`file://${good}/`], source });
      expect(r).toMatchObject({ dir: join(cache, 'convnotes', 'mnist'), kept: [] });
      expect(r.fetched.sort()).toEqual([...FILES].sort());
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('a failed download leaves no folder behind, and a file fetched before the failure goes too', async () => {
    const cache = join(root, 'cache-fail');
    const dir = join(cache, 'convnotes', 'mnist');
    // good/ serves every file, but the CLI's table is real MNIST's: the shipped digits fail its MD5
    const r = await run(['download', 'mnist', '--dir', dir], { CONVNOTES_MIRROR: `${base}/good/` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/train-images-idx3-ubyte\.gz.*MD5 of the uncompressed data is [0-9a-f]{32}, expected 6bbc9ace/);
    expect(existsSync(cache)).toBe(false);
    // one file fetched, the next one missing everywhere: the first is removed again with the folders
    const partial = await downloadDataset({ name: 'mnist', dir, mirrors: [`${base}/good/`], source: { ...source, md5: { ...source.md5, 'missing.gz': 'x' } } }).catch((e: Error) => e);
    expect(partial).toBeInstanceOf(Error);
    expect((partial as Error).message).toContain(`${base}/good/missing.gz (HTTP 404`);
    expect(existsSync(cache)).toBe(false);
  });

  it('npm start offline: says once why the download failed, leaves nothing behind, trains on the shipped digits', async () => {
    const home = mkdtempSync(join(tmpdir(), 'convnotes-home-'));
    const env: Record<string, string> = { HOME: home, XDG_CACHE_HOME: '', CONVNOTES_DATA: '', CONVNOTES_MIRROR: `${base}/missing/` };
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'train', '--recipe', 'dlt', '--download', '--epochs', '1', '--limit', '1000', '--no-progress', '--out', join(home, 'dlt.safetensors')], {
        cwd: home, env: { ...process.env, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    const said = r.stdout.split(`${base}/missing/train-images-idx3-ubyte.gz (HTTP 404`);
    expect(said, r.stdout).toHaveLength(2);
    expect(r.stdout).toContain('the 10,000 MNIST digits shipped with convnotes');
    expect(r.stdout).toMatch(/test error \d+\.\d\d % after 1 epoch/);
    expect(existsSync(join(home, '.cache'))).toBe(false);
  });

  it('rejects an unknown dataset in one line', async () => {
    const r = await run(['download', 'cifar', '--dir', join(root, 'x')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('convnotes: download cifar: unknown dataset, expected one of mnist, fashion-mnist\n');
  });
});
