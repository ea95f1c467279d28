// `convnotes train` and `eval` on an image folder (train/ and test/ of class folders of PNGs made from real
// digits): it trains, says where the data came from, skips an unreadable file with a line on stderr,
// and the second run reads the decoded images from the cache ($XDG_CACHE_HOME, a temporary folder here).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realDigits } from '../helpers/mnist.js';
import { greyRgba, pngBytes } from '../helpers/images.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'convnotes-image-cli-'));
const cache = join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, XDG_CACHE_HOME: cache } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const data = join(dir, 'digits');
{
  const { train, test } = realDigits();
  for (const [split, d, n] of [['train', train, 400], ['test', test, 100]] as const) {
    for (let i = 0; i < n; i++) {
      const folder = join(data, split, String(d.labels[i]));
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, `${String(i).padStart(3, '0')}.png`), pngBytes(greyRgba(d.images.subarray(i * 784, (i + 1) * 784), 784), 28, 28, 0));
    }
  }
  writeFileSync(join(data, 'train', '3', 'notes.txt'), 'threes\n');
}

describe('train and eval on an image folder', () => {
  const model = join(dir, 'dlt.safetensors');
  const args = ['train', '--recipe', 'dlt', '--data', data, '--epochs', '1', '--eval-train', '0', '--no-progress', '--threads', '1', '--out', model];

  it('trains, skipping the unreadable file with a line on stderr', () => {
    const r = run(...args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`on 400 images from ${data} (10 classes, 400 training, 100 test images, 28×28 grey)`);
    expect(r.stderr.trim().split('\n')).toEqual([
      `skipped ${join(data, 'train', '3', 'notes.txt')}: not a PNG or JPEG image (starts with 74 68 72 65)`,
      'skipped 1 of 501 files',
    ]);
    expect(existsSync(model)).toBe(true);
    expect(readdirSync(join(cache, 'convnotes', 'images'))).toHaveLength(1);
  });

  it('reads the decoded images from the cache the second time, saying the same', () => {
    const r = run(...args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('28×28 grey, decoded earlier (cache))');
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('with --on-bad-file error, stops at the file instead', () => {
    const r = run(...args, '--on-bad-file', 'error');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`convnotes: ${join(data, 'train', '3', 'notes.txt')}: not a PNG or JPEG image (starts with 74 68 72 65)`);
  });

  it('eval reads the folder\'s test split', () => {
    const r = run('eval', '--model', model, '--data', data, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).count).toBe(100);
  });
});
