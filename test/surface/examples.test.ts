// Every TypeScript or JavaScript code block of README.md and docs/*.md is a file of examples/ that this
// test runs, so that what the documentation shows runs as written:
//
//   <!-- example: examples/readme-idea.ts -->
//   ```ts
//   …the file's exact contents…
//   ```
//
// (a) each such block must be preceded by that comment and be byte-identical to the file it names;
// (b) each example runs as a user's program would: TypeScript ones compiled by tsc (examples/
// tsconfig.json, which also type-checks them against dist/*.d.ts), then run by node from a scratch
// folder. They import 'convnotes' and 'convnotes/node' by name: the package resolves itself through
// its package.json `exports`, so they run against this checkout's dist/ (`npm run build` first, as
// `npm test` does). Shell, JSON, text and other blocks are not programs and need no file.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROGRAM = /^(ts|typescript|js|javascript|mjs)$/;
const MARKER = /^<!-- example: (examples\/[\w.-]+\.(?:ts|mjs|js)) -->$/;

interface Block {
  doc: string;
  line: number;
  lang: string;
  code: string;
  /** The example file the comment before the block names, or null. */
  file: string | null;
}

/** The fenced code blocks of a Markdown file that are programs (TypeScript or JavaScript). */
function programBlocks(doc: string): Block[] {
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    let end = i + 1;
    while (end < lines.length && !lines[end].startsWith(fence)) end++;
    if (PROGRAM.test(open[2])) {
      let prev = i - 1;
      while (prev >= 0 && lines[prev].trim() === '') prev--;
      const marker = prev >= 0 ? MARKER.exec(lines[prev].trim()) : null;
      blocks.push({ doc, line: i + 1, lang: open[2], code: lines.slice(i + 1, end).join('\n') + '\n', file: marker ? marker[1] : null });
    }
    i = end;
  }
  return blocks;
}

const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const blocks = docs.flatMap(programBlocks);

/** What each example must print: its figures, parsed and held to floors. */
const expectations: Record<string, (out: string) => void> = {
  'examples/readme-idea.ts': (out) => {
    const f64 = /^float64: test error ([\d.]+) % after 3,000 digits$/m.exec(out);
    const grad = /^gradient check: largest relative error ([\d.e+-]+)$/m.exec(out);
    const wasm = /^wasm: test error ([\d.]+) % after an epoch$/m.exec(out);
    const first = /^first test digit: (\d), predicted (\d) \(p = ([\d.]+)\)$/m.exec(out);
    expect(f64 && grad && wasm && first, out).toBeTruthy();
    // chance is 90 %; the notes' sigmoids with squared error at one rate stay there (the plateau)
    expect(Number(f64![1])).toBeLessThan(20);
    expect(Number(grad![1])).toBeLessThan(1e-6);
    expect(Number(wasm![1])).toBeLessThan(15);
    expect(Number(first![3])).toBeGreaterThan(0.1);
  },
  'examples/readme-node.mjs': (out) => {
    const predicted = /^predicted ((?:\d )+\d)$/m.exec(out);
    const labels = /^labels +((?:\d )+\d)$/m.exec(out);
    expect(predicted && labels, out).toBeTruthy();
    // a model saved, loaded back and run on the fast path: one epoch of simard gets most of ten right
    const agree = predicted![1].split(' ').filter((c, i) => c === labels![1].split(' ')[i]).length;
    expect(agree).toBeGreaterThanOrEqual(8);
  },
  'examples/data-folders.mjs': (out) => {
    // the class folders in code-point order, the counts and size, every image's pixels as written
    expect(out).toMatch(/^images 0,1,2,3,4,5,6,7,8,9 300 100 28×28×1$/m);
    expect(out).toMatch(/^second load from the cache true$/m);
    expect(out).toMatch(/^resized to 14×14 196 levels$/m);
    expect(out).toMatch(/^same pixels true$/m);
  },
};

describe('README and docs code blocks', () => {
  it('finds the README example', () => {
    expect(blocks.some((b) => b.file === 'examples/readme-idea.ts')).toBe(true);
  });

  it('every TypeScript/JavaScript block is an examples/ file, byte for byte', () => {
    const problems: string[] = [];
    for (const b of blocks) {
      const where = `${b.doc}:${b.line} (\`\`\`${b.lang})`;
      if (!b.file) {
        problems.push(`${where}: no <!-- example: examples/NAME.${b.lang === 'ts' || b.lang === 'typescript' ? 'ts' : 'mjs'} --> comment before the block`);
        continue;
      }
      const path = join(ROOT, b.file);
      if (!existsSync(path)) problems.push(`${where}: ${b.file} does not exist`);
      else if (readFileSync(path, 'utf8') !== b.code) problems.push(`${where}: differs from ${b.file}`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  describe('each example runs as written', () => {
    const examples = [...new Set(blocks.map((b) => b.file).filter((f): f is string => f !== null && existsSync(join(ROOT, f))))];
    let scratch = '';
    beforeAll(async () => {
      if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
      scratch = mkdtempSync(join(tmpdir(), 'convnotes-examples-'));
      // compiles (and type-checks) every TypeScript example into dist-examples/
      if (examples.some((f) => f.endsWith('.ts'))) {
        await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'examples', 'tsconfig.json')], { cwd: ROOT })
          .catch((e: { stdout?: string; message: string }) => {
            throw new Error(`the examples do not compile:\n${e.stdout ?? e.message}`);
          });
      }
    }, 120_000);
    afterAll(() => {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    for (const file of examples) {
      it(file, async () => {
        const script = extname(file) === '.ts' ? join(ROOT, 'dist-examples', `${basename(file, '.ts')}.js`) : join(ROOT, file);
        const { stdout } = await run(process.execPath, [script], { cwd: scratch, timeout: 300_000 });
        expect(expectations[file], `${file}: test/surface/examples.test.ts holds no expectation for what it prints`).toBeDefined();
        expectations[file](stdout);
      }, 300_000);
    }
  });
});
