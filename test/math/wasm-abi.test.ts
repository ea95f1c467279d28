// The wasm ABI has one definition: src/wasm/abi-constants.ts, compiled by both the AssemblyScript
// kernels and the host, and src/wasm/abi.ts's WasmExports. These tests hold the two sides to it: the
// module exports exactly the functions the host declares, both sides take their numbers from the one
// file (no literal codes, header words or field offsets left in assembly/ or the engine), the codes
// equal the reference kernels' Act, and the arena's words fit where the host lays them out. (That the
// numbers mean the same on both sides is shown by behaviour elsewhere: augment.test.ts's distortions,
// wasm-network.test.ts's networks with every activation, both down() modes and both losses.)
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Act } from '../../src/kernels/kernels.js';
import * as abi from '../../src/wasm/abi-constants.js';
import { WASM_EXPORTS } from '../../src/wasm/abi.js';
import { loadKernelsModule } from '../../src/wasm/module.js';
import { DISTORT_PARAM_BYTES } from '../../src/wasm/plan.js';

const root = join(import.meta.dirname, '..', '..');
const source = (path: string): string => readFileSync(join(root, path), 'utf8');
const assemblyFiles = readdirSync(join(root, 'assembly')).filter((f) => f.endsWith('.ts'));
/** Code without its comments (so that a comment may still name a number). */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('the wasm ABI', () => {
  it('the module exports exactly the functions WasmExports declares, in every build', async () => {
    for (const shared of [true, false]) {
      for (const relaxed of [true, false]) {
        const m = await loadKernelsModule(shared, relaxed);
        const names = WebAssembly.Module.exports(m.module).filter((e) => e.kind === 'function').map((e) => e.name);
        expect(names.sort(), `shared ${shared}, relaxed ${m.relaxed}`).toEqual([...WASM_EXPORTS].sort());
      }
    }
  });

  it('abi-constants.ts is plain integer constants (valid TypeScript and AssemblyScript alike)', () => {
    const lines = code(source('src/wasm/abi-constants.ts')).split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) expect(line).toMatch(/^export const [A-Z][A-Z0-9_]* = \d+;$/);
    for (const value of Object.values(abi)) expect(Number.isInteger(value)).toBe(true);
  });

  it('both sides import it: the kernels that take a code, mode or arena, and the host', () => {
    for (const f of ['activation.ts', 'conv.ts', 'subsample.ts', 'loss.ts', 'augment.ts']) {
      expect(source(`assembly/${f}`), f).toMatch(/from '\.\.\/src\/wasm\/abi-constants'/);
    }
    for (const f of ['src/wasm/abi.ts', 'src/wasm/plan.ts', 'src/wasm/chunk.ts', 'src/wasm/engine.ts']) {
      expect(source(f), f).toMatch(/from '\.\/abi-constants\.js'/);
    }
  });

  it('no literal header word, pattern field, code or flag is left on either side', () => {
    const augment = code(source('assembly/augment.ts'));
    expect(augment).not.toMatch(/word\(arena, \d/);
    expect(augment).not.toMatch(/load<\w+>\((arena|p)\s*(\+\s*\d+)?,\s*\d/);
    expect(augment).not.toMatch(/arena \+ \d/);
    for (const f of assemblyFiles) {
      const text = code(source(`assembly/${f}`));
      expect(text, f).not.toMatch(/\b(mode|kind|act|dyHolds|deltaReady) [!=]= \d/);
      expect(text, f).not.toMatch(/case \d+:/);
    }
    const engine = code(source('src/wasm/engine.ts'));
    expect(engine).not.toMatch(/head(F)?\[\d+\]/);
    expect(engine).not.toMatch(/p[fu]\[[^\]]*\+ \d+[^\]]*\]/);
    const plan = code(source('src/wasm/plan.ts')) + code(source('src/wasm/chunk.ts'));
    expect(plan).not.toMatch(/\? 0 : 1|\? 1 : 0/);
  });

  it('the activation codes are the reference kernels\' Act', () => {
    expect([abi.ACT_IDENTITY, abi.ACT_SIGMOID, abi.ACT_TANH, abi.ACT_LECUN, abi.ACT_RELU])
      .toEqual([Act.Identity, Act.Sigmoid, Act.Tanh, Act.LeCun, Act.Relu]);
  });

  it('codes of one argument differ; the arena\'s words are distinct and inside what the host lays out', () => {
    expect(abi.DOWN_SUM).not.toBe(abi.DOWN_DECIMATE);
    expect(abi.LOSS_MSE).not.toBe(abi.LOSS_CROSS_ENTROPY);
    expect(abi.DY_GRADIENT).not.toBe(abi.DY_SENSITIVITY);
    const header = Object.entries(abi).filter(([k]) => k.startsWith('ARENA_') && k !== 'ARENA_WORDS').map(([, v]) => v);
    expect(new Set(header).size).toBe(header.length);
    for (const w of header) expect(w).toBeLessThan(abi.ARENA_WORDS);
    const fields = [abi.PATTERN_A00, abi.PATTERN_A01, abi.PATTERN_A10, abi.PATTERN_A11, abi.PATTERN_TX, abi.PATTERN_TY, abi.PATTERN_ALPHA];
    // the affine draws are copied as one run of six (engine.ts: A, then t), then α and the 4-word state
    expect(fields.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5].map((k) => abi.PATTERN_A00 + k));
    expect(new Set([...fields, abi.PATTERN_STATE, abi.PATTERN_STATE + 1, abi.PATTERN_STATE + 2, abi.PATTERN_STATE + 3]).size).toBe(11);
    expect(Math.max(...fields, abi.PATTERN_STATE + 3)).toBeLessThan(abi.PATTERN_WORDS);
    expect(DISTORT_PARAM_BYTES).toBe(4 * abi.PATTERN_WORDS);
  });
});
