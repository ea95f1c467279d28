// Crash safety of `convnotes train` (issue 7): 20 runs SIGKILLed at seeded-random moments spread over
// the run: after a random delay from the start (before the first checkpoint, mid-epoch, at the end),
// the instant a checkpoint's temporary file appears (mid-write: before its fsync and rename), and just
// after an epoch's log line (just after a rename). Every time the model file is absent or a complete
// checkpoint of epoch 1, 2 or 3 that loads cleanly; the only leftover is at most the killed process's
// own temporary file, which no later save trips on (each save writes `F.tmp-<its pid>`, removing a
// stale one of the same name first); and `train --resume` (a fresh run if nothing was saved) ends with
// params and velocity bit-identical to one uninterrupted run. test/surface/train-cli.test.ts has the single
// kill-mid-epoch case this generalises.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/model-io.js';
import { Rng } from '../../src/util/rng.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const ARGS = ['train', '--recipe', 'dlt', '--limit', '3000', '--epochs', '3', '--eval-train', '0', '--threads', '1', '--no-progress'];
const TRIALS = 20;
const PARALLEL = 2;
const bits = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

interface Run { child: ChildProcess; exited: Promise<number | null>; started: number; training: Promise<number> }
function start(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  // when the data is loaded and the network built: the CLI's first line
  const training = new Promise<number>((res) => {
    let stdout = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
      if (stdout.includes('\n')) res(performance.now());
    });
    child.on('exit', () => res(performance.now()));
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => {
    if (code !== null && code !== 0) console.error(stderr);
    res(code);
  }));
  return { child, exited, started: performance.now(), training };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logLines = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);

type Mode = 'delay' | 'temp-file' | 'log-line';
interface Outcome { trial: number; mode: Mode; at: string; checkpoint: number | null; leftover: string[]; ok: boolean }

const root = mkdtempSync(join(tmpdir(), 'convnotes-kill-'));
let whole: { params: Buffer; velocity: Buffer };
let wholeMs = 0;
/** From the CLI's first line to the end of the uninterrupted run: the span the random delays cover. */
let trainMs = 0;

beforeAll(async () => {
  const out = join(root, 'whole.safetensors');
  const r = start([...ARGS, '--out', out]);
  expect(await r.exited).toBe(0);
  wholeMs = performance.now() - r.started;
  trainMs = performance.now() - await r.training;
  const m = loadModel(out);
  whole = { params: bits(m.params), velocity: bits(m.state.velocity!) };
}, 60_000);

async function trial(i: number, rng: Rng): Promise<Outcome> {
  const dir = join(root, `t${i}`);
  mkdirSync(dir);
  const file = join(dir, 'cut.safetensors');
  const log = join(dir, 'cut.log.jsonl');
  const mode: Mode = (['delay', 'temp-file', 'log-line'] as const)[i % 3];
  const epoch = 1 + rng.int(3);
  const delay = mode === 'delay' ? rng.range(0, 1.1 * trainMs) : mode === 'log-line' ? rng.range(0, 30) : rng.range(0, 3);
  const r = start([...ARGS, '--out', file]);
  let at = '';
  if (mode === 'delay') {
    await r.training;
    await sleep(delay);
    at = `${delay.toFixed(0)} ms after the first line`;
  } else if (mode === 'temp-file') {
    // checkpoint k's temporary file appearing (fs.watch: inotify on Linux): k − 1 log lines, as each
    // epoch's line is appended after its checkpoint's rename
    await new Promise<void>((res) => {
      const w = watch(dir, (_event, name) => {
        if (name === `cut.safetensors.tmp-${r.child.pid}` && existsSync(join(dir, name)) && logLines(log) === epoch - 1) {
          w.close();
          res();
        }
      });
      r.exited.then(() => { w.close(); res(); });
    });
    if (delay >= 1) await sleep(delay);
    at = `${delay.toFixed(1)} ms after checkpoint ${epoch}'s temporary file appeared`;
  } else {
    while (logLines(log) < epoch && r.child.exitCode === null) await sleep(1);
    await sleep(delay);
    at = `${delay.toFixed(0)} ms after epoch ${epoch}'s log line`;
  }
  const killed = r.child.kill('SIGKILL');
  const code = await r.exited;
  if (!killed || code !== null) at += ' (the run had already finished)';

  let checkpoint: number | null = null;
  if (existsSync(file)) {
    const m = loadModel(file); // throws if the file is not a complete checkpoint
    checkpoint = (m.training as { epoch: number }).epoch;
    expect([1, 2, 3]).toContain(checkpoint);
  }
  const ownTemp = `cut.safetensors.tmp-${r.child.pid}`;
  const leftover = readdirSync(dir).filter((f) => f !== 'cut.safetensors' && f !== 'cut.log.jsonl');
  expect(leftover.every((f) => f === ownTemp), `leftover files: ${leftover}`).toBe(true);

  // resume (at another thread count on odd trials: the result must not depend on it), or start again
  const threads = i % 2 === 0 ? '1' : '2';
  const again = existsSync(file)
    ? start(['train', '--resume', '--out', file, '--threads', threads, '--no-progress'])
    : start([...ARGS, '--out', file]);
  expect(await again.exited).toBe(0);
  const m = loadModel(file);
  expect((m.training as { epoch: number }).epoch).toBe(3);
  const ok = bits(m.params).equals(whole.params) && bits(m.state.velocity!).equals(whole.velocity);
  // the finished run leaves no temporary file of its own
  expect(readdirSync(dir).filter((f) => f.includes('.tmp-') && f !== ownTemp)).toEqual([]);
  return { trial: i, mode, at, checkpoint, leftover, ok };
}

describe('convnotes train, SIGKILLed at random moments', () => {
  it(`${TRIALS} kills: a complete checkpoint or none, and --resume ends bit-identical`, async () => {
    const rng = new Rng(20261127);
    // draw every trial's moment up front, so the schedule does not depend on the order runs finish in
    const rngs = Array.from({ length: TRIALS }, () => new Rng(rng.int(2 ** 31)));
    const outcomes: Outcome[] = [];
    for (let i = 0; i < TRIALS; i += PARALLEL) {
      outcomes.push(...await Promise.all(rngs.slice(i, i + PARALLEL).map((g, j) => trial(i + j, g))));
    }
    for (const o of outcomes) {
      console.log(`kill ${String(o.trial + 1).padStart(2)}: ${o.at}; checkpoint ${o.checkpoint ?? 'none'}${o.leftover.length ? `, left ${o.leftover}` : ''}; ${o.ok ? 'bit-identical' : 'DIFFERENT'}`);
    }
    const passed = outcomes.filter((o) => o.ok).length;
    console.log(`kill test: ${passed}/${TRIALS} bit-identical after resume (uninterrupted run ${wholeMs.toFixed(0)} ms)`);
    expect(passed).toBe(TRIALS);
    // the schedule must have reached each case: no checkpoint, and each epoch's
    const seen = new Set(outcomes.map((o) => o.checkpoint));
    expect(seen.has(null) && seen.has(1) && seen.has(2) && seen.has(3), `checkpoints seen: ${[...seen]}`).toBe(true);
  }, 150_000);
});
