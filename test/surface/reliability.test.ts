// docs/RELIABILITY.md's catalogue of bad inputs, one test per row: each runs the built CLI on a bad
// input and expects exit code 1, a first stderr line `convnotes: …` naming the file or flag and the
// problem (the row's regex), no stack trace, and nothing written (the numerics rows check instead that
// the last good checkpoint is kept). Fixtures are small synthetic IDX sets, image folders and CIFAR-10
// batches, and a real model file trained on one IDX set, all in a temporary folder. `npm run reliability` runs this file and reports per row.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/model/model-io.js';
import { decodeSafetensors, encodeSafetensors, type Safetensors } from '../../src/model/safetensors.js';
import { firstNonFinite } from '../../src/model/finite.js';
import { builtinRecipes } from '../../src/recipes/recipe.js';
import { greyRgba, jpegBytes, pngBytes } from '../helpers/images.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'convnotes-reliability-'));
/** The commands' user cache ($XDG_CACHE_HOME: the decoded-image cache would go there); it must stay unmade. */
const CACHE = join(dir, 'user-cache');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, XDG_CACHE_HOME: CACHE } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Where every command of a case may write; it must stay empty. */
const outDir = join(dir, 'out');
const OUT = join(outDir, 'should-not-exist.safetensors');
const ONNX = join(outDir, 'should-not-exist.onnx');
const file = (name: string, content: string | Uint8Array): string => {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
};
const json = (name: string, value: unknown): string => file(name, JSON.stringify(value));

// ---- IDX fixtures -------------------------------------------------------------------------------

/** IDX bytes: magic 0x0800 + dims (or `magic`), one big-endian uint32 per dimension, then the data. */
const idx = (dims: number[], data: ArrayLike<number>, magic = 0x0800 + dims.length): Buffer => {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(Uint8Array.from(data))]);
};
/** Deterministic pseudo-random grey levels (so that training sees real gradients). */
const noise = (n: number, seed = 1): Uint8Array => {
  let s = seed;
  return Uint8Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24));
};
const labels = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 10);
const IMAGES = 'train-images-idx3-ubyte';
const LABELS = 'train-labels-idx1-ubyte';
const TEST_IMAGES = 't10k-images-idx3-ubyte';
const TEST_LABELS = 't10k-labels-idx1-ubyte';
const goodFiles = (side = 28): Record<string, Buffer> => ({
  [IMAGES]: idx([60, side, side], noise(60 * side * side)),
  [LABELS]: idx([60], labels(60)),
  [TEST_IMAGES]: idx([20, side, side], noise(20 * side * side, 2)),
  [TEST_LABELS]: idx([20], labels(20)),
});
/** A data folder of gzipped IDX files; `mutate` breaks one. Raw entries (Buffer | 'dir') are written as given. */
const dataset = (name: string, mutate: (f: Record<string, Buffer>) => void = () => {}, raw: Record<string, Buffer | 'dir'> = {}): string => {
  const d = join(dir, name);
  mkdirSync(d);
  const files = goodFiles();
  mutate(files);
  for (const [f, b] of Object.entries(files)) if (!(`${f}.gz` in raw)) writeFileSync(join(d, `${f}.gz`), gzipSync(b));
  for (const [f, b] of Object.entries(raw)) {
    if (b === 'dir') mkdirSync(join(d, f));
    else writeFileSync(join(d, f), b);
  }
  return d;
};
const header3 = (): Buffer => idx([60, 28, 28], noise(60 * 784));
const trainOn = (data: string): string[] => ['train', '--recipe', 'dlt', '--data', data, '--epochs', '1', '--eval-train', '0', '--no-progress', '--out', OUT];

// ---- image folder and CIFAR-10 fixtures ---------------------------------------------------------

/** A grey side×side PNG of seeded noise. */
const noisePng = (seed: number, side = 28): Uint8Array => pngBytes(greyRgba(noise(side * side, seed), side * side), side, side, 0);
/** A data folder holding these files (paths relative to it, '/'-separated); none: an empty folder. */
const folder = (name: string, files: Record<string, Uint8Array | string> = {}): string => {
  const d = join(dir, name);
  mkdirSync(d);
  for (const [f, b] of Object.entries(files)) {
    mkdirSync(join(d, f, '..'), { recursive: true });
    writeFileSync(join(d, f), b);
  }
  return d;
};
/** train/ and test/ of two classes, a and b, one good PNG each; `extra` adds (or replaces) files. */
const twoClasses = (name: string, extra: Record<string, Uint8Array | string> = {}): string =>
  folder(name, { 'train/a/1.png': noisePng(1), 'train/b/1.png': noisePng(2), 'test/a/1.png': noisePng(3), 'test/b/1.png': noisePng(4), ...extra });

// ---- model fixtures -----------------------------------------------------------------------------

let good = ''; // a dlt model file trained on the synthetic set
let goodData = '';
const modelBytes = (): Buffer => readFileSync(good);
const parts = (): Safetensors => decodeSafetensors(modelBytes(), good);
/** A model file re-encoded after `mutate` changed its tensors or metadata. */
const remodel = (name: string, mutate: (s: Safetensors) => void): string => {
  const s = parts();
  mutate(s);
  return file(name, encodeSafetensors(s.tensors, s.metadata));
};
/** A model file with its header length (the first 8 bytes) replaced. */
const withHeaderLength = (name: string, n: bigint): string => {
  const b = Buffer.from(modelBytes());
  b.writeBigUInt64LE(n, 0);
  return file(name, b);
};
/** A model file whose JSON header text is replaced (padded to its old length, so offsets still hold). */
const withHeaderText = (name: string, edit: (h: string) => string): string => {
  const m = modelBytes();
  const n = Number(m.readBigUInt64LE(0));
  const h = edit(m.subarray(8, 8 + n).toString('utf8'));
  if (Buffer.byteLength(h) > n) throw new Error('edited header is longer than the original');
  return file(name, Buffer.concat([m.subarray(0, 8), Buffer.from(h.padEnd(n, ' ')), m.subarray(8 + n)]));
};
const modelCmd = (f: string): string[] => ['eval', '--model', f, '--data', goodData];
const dlt = builtinRecipes.dlt as { network: { layers: { type: string; activation?: string }[] } };

// ---- the catalogue --------------------------------------------------------------------------------

interface Case {
  id: string;
  what: string;
  /** The command line (built when the case runs, after the fixtures). */
  args: () => string[];
  /** What the first stderr line must match (after `convnotes: `). */
  message: RegExp;
  /** Extra checks; by default: nothing written to `outDir`. */
  after?: (r: { stdout: string; stderr: string }) => void;
}

const cases: Case[] = [
  // IDX data files
  { id: 'D01', what: 'empty IDX file', args: () => trainOn(dataset('d01', (f) => { f[IMAGES] = Buffer.alloc(0); })), message: /train-images-idx3-ubyte\.gz: truncated: 0 bytes, expected at least a 4-byte magic number/ },
  { id: 'D02', what: 'IDX truncated in the magic number', args: () => trainOn(dataset('d02', (f) => { f[IMAGES] = header3().subarray(0, 3); })), message: /train-images-idx3-ubyte\.gz: truncated: 3 bytes, expected at least a 4-byte magic/ },
  { id: 'D03', what: 'IDX truncated in dimension 0 (count)', args: () => trainOn(dataset('d03', (f) => { f[IMAGES] = header3().subarray(0, 6); })), message: /train-images-idx3-ubyte\.gz: truncated header: 6 bytes, expected 16 for 3 dimensions/ },
  { id: 'D04', what: 'IDX truncated in dimension 1 (rows)', args: () => trainOn(dataset('d04', (f) => { f[IMAGES] = header3().subarray(0, 10); })), message: /train-images-idx3-ubyte\.gz: truncated header: 10 bytes, expected 16/ },
  { id: 'D05', what: 'IDX truncated in dimension 2 (cols)', args: () => trainOn(dataset('d05', (f) => { f[IMAGES] = header3().subarray(0, 14); })), message: /train-images-idx3-ubyte\.gz: truncated header: 14 bytes, expected 16/ },
  { id: 'D06', what: 'IDX label file truncated in its dimension', args: () => trainOn(dataset('d06', (f) => { f[TEST_LABELS] = f[TEST_LABELS].subarray(0, 7); })), message: /t10k-labels-idx1-ubyte\.gz: truncated header: 7 bytes, expected 8 for 1 dimensions/ },
  { id: 'D07', what: 'IDX truncated mid-data', args: () => trainOn(dataset('d07', (f) => { f[IMAGES] = f[IMAGES].subarray(0, 3000); })), message: /train-images-idx3-ubyte\.gz: truncated: 3000 bytes, the header \(60×28×28\) needs 47056/ },
  { id: 'D08', what: 'IDX with trailing bytes', args: () => trainOn(dataset('d08', (f) => { f[TEST_LABELS] = Buffer.concat([f[TEST_LABELS], Buffer.alloc(5)]); })), message: /t10k-labels-idx1-ubyte\.gz: 5 bytes of trailing data after the 20 values/ },
  { id: 'D09', what: 'IDX wrong magic number', args: () => trainOn(dataset('d09', (f) => { f[LABELS].writeUInt32BE(0x0d01, 0); })), message: /train-labels-idx1-ubyte\.gz: bad magic number 0x00000d01: expected 0x000008XX/ },
  { id: 'D10', what: 'IDX of float type (0x0D) rather than bytes', args: () => trainOn(dataset('d10', (f) => { f[IMAGES].writeUInt32BE(0x0d03, 0); })), message: /train-images-idx3-ubyte\.gz: bad magic number 0x00000d03/ },
  { id: 'D11', what: 'IDX images with 2 dimensions', args: () => trainOn(dataset('d11', (f) => { f[IMAGES] = idx([60, 784], noise(60 * 784)); })), message: /train-images-idx3-ubyte\.gz: expected 3 dimensions \(magic 0x00000803\), the header declares 2/ },
  { id: 'D12', what: 'IDX declaring 0 dimensions', args: () => trainOn(dataset('d12', (f) => { f[LABELS] = idx([], [], 0x0800); })), message: /train-labels-idx1-ubyte\.gz: bad magic number: the file declares 0 dimensions/ },
  { id: 'D13', what: 'IDX with a zero dimension', args: () => trainOn(dataset('d13', (f) => { f[IMAGES] = idx([0, 28, 28], []); })), message: /train-images-idx3-ubyte\.gz: dimension 0 is 0/ },
  { id: 'D14', what: 'IDX claiming far more data than the file holds', args: () => trainOn(dataset('d14', (f) => { f[IMAGES].writeUInt32BE(0xffffffff, 4); })), message: /train-images-idx3-ubyte\.gz: truncated: 47056 bytes, the header \(4294967295×28×28\) needs/ },
  { id: 'D15', what: 'image/label count mismatch', args: () => trainOn(dataset('d15', (f) => { f[LABELS] = idx([59], labels(59)); })), message: /train-labels-idx1-ubyte\.gz: holds 59 labels but .*train-images-idx3-ubyte\.gz holds 60 images/ },
  { id: 'D16', what: 'label out of the model\'s classes', args: () => ['eval', '--model', good, '--data', dataset('d16', (f) => { f[TEST_LABELS][8 + 7] = 10; })], message: /t10k-labels-idx1-ubyte\.gz: label 7 is 10, expected a class in 0–9/ },
  { id: 'D17', what: 'a directory in place of an IDX file', args: () => trainOn(dataset('d17', () => {}, { [`${IMAGES}.gz`]: 'dir' })), message: /train-images-idx3-ubyte\.gz: is a directory, expected an IDX file/ },
  { id: 'D18', what: 'corrupt gzip', args: () => trainOn(dataset('d18', () => {}, { [`${TEST_IMAGES}.gz`]: Buffer.concat([gzipSync(header3()).subarray(0, 40), Buffer.alloc(40, 0xab)]) })), message: /t10k-images-idx3-ubyte\.gz: corrupt gzip data/ },
  { id: 'D19', what: 'images larger than the model\'s input', args: () => {
    const d = join(dir, 'd19');
    mkdirSync(d);
    for (const [f, b] of Object.entries(goodFiles(32))) writeFileSync(join(d, `${f}.gz`), gzipSync(b));
    return ['eval', '--model', good, '--data', d];
  }, message: /t10k-images-idx3-ubyte\.gz: images are 32×32, larger than the network's 28×28 input/ },
  { id: 'D20', what: 'an IDX file missing from the data folder', args: () => trainOn(dataset('d20', (f) => { delete f[TEST_LABELS]; })), message: /t10k-labels-idx1-ubyte\.gz: no such file \(nor t10k-labels-idx1-ubyte uncompressed\)/ },
  { id: 'D21', what: 'a missing data folder', args: () => trainOn(join(dir, 'nowhere')), message: /nowhere: no such folder; put the four IDX files/ },
  { id: 'D22', what: '--data naming a file, not a folder', args: () => trainOn(file('d21.gz', 'x')), message: /d21\.gz: is not a folder: --data takes the folder holding the IDX files/ },
  { id: 'D23', what: 'predict --input given a label file', args: () => ['predict', '--model', good, '--input', join(goodData, `${LABELS}.gz`)], message: /train-labels-idx1-ubyte\.gz: expected 3 dimensions \(magic 0x00000803\), the header declares 1/ },

  // image folders and CIFAR-10
  { id: 'I01', what: 'an empty data folder', args: () => trainOn(folder('i01')), message: /i01: no class folders with PNG or JPEG images/ },
  { id: 'I02', what: 'an image folder of one class only', args: () => trainOn(folder('i02', { 'train/cat/1.png': noisePng(1), 'test/cat/1.png': noisePng(2) })), message: /i02: one class only \("cat"\); a classifier needs at least 2/ },
  { id: 'I03', what: 'a file that is not an image, with --on-bad-file error', args: () => [...trainOn(twoClasses('i03', { 'train/a/notes.txt': 'some notes' })), '--on-bad-file', 'error'], message: /i03\/train\/a\/notes\.txt: not a PNG or JPEG image \(starts with 73 6f 6d 65\)/ },
  { id: 'I04', what: 'a truncated PNG, with --on-bad-file error', args: () => [...trainOn(twoClasses('i04', { 'train/b/2.png': noisePng(5).subarray(0, 50) })), '--on-bad-file', 'error'], message: /i04\/train\/b\/2\.png: truncated PNG \(50 bytes; its "IDAT" chunk at byte 33 needs \d+, 17 remain\)/ },
  { id: 'I05', what: 'a truncated JPEG, with --on-bad-file error', args: () => {
    const jpg = jpegBytes(greyRgba(noise(784, 6), 784), 28, 28);
    return [...trainOn(twoClasses('i05', { 'test/a/2.jpg': jpg.subarray(0, jpg.length - 20) })), '--on-bad-file', 'error'];
  }, message: /i05\/test\/a\/2\.jpg: truncated JPEG \(\d+ bytes; it ends inside the image data, before the end-of-image marker\)/ },
  { id: 'I06', what: 'images of mixed sizes with --no-resize', args: () => [...trainOn(twoClasses('i06', { 'train/a/2.png': noisePng(7, 20) })), '--no-resize'], message: /i06\/train\/a\/2\.png: 20×20 pixels, expected 28×28 \(the size most images have; resizing is off\)/ },
  { id: 'I07', what: 'class folders without a test/ split, to evaluate on', args: () => ['eval', '--model', good, '--data', folder('i07', { 'a/1.png': noisePng(1), 'b/1.png': noisePng(2) })], message: /i07: holds class folders but no test\/ split: give a folder with train\/<class>\/… and test\/<class>\/…/ },
  { id: 'I08', what: 'a test class folder that train/ lacks', args: () => trainOn(twoClasses('i08', { 'test/c/1.png': noisePng(8) })), message: /i08\/test\/c: no class "c" in .*i08\/train \(its class folders: a, b\)/ },
  { id: 'I09', what: 'a CIFAR-10 batch of the wrong length', args: () => trainOn(folder('i09', { 'data_batch_1.bin': new Uint8Array(2 * 3073 + 1), 'test_batch.bin': new Uint8Array(3073) })), message: /i09\/data_batch_1\.bin: 6147 bytes is not a whole number of 3073-byte CIFAR-10 records/ },

  // model files
  { id: 'M01', what: 'model file shorter than the header length', args: () => modelCmd(file('m01.safetensors', Buffer.from([1, 2, 3]))), message: /m01\.safetensors: truncated: 3 bytes, expected at least the 8-byte header length/ },
  { id: 'M02', what: 'header length 0', args: () => modelCmd(withHeaderLength('m02.safetensors', 0n)), message: /m02\.safetensors: the header length is 0/ },
  { id: 'M03', what: 'header length too large', args: () => modelCmd(withHeaderLength('m03.safetensors', 1n << 40n)), message: /m03\.safetensors: the header length 1099511627776 exceeds the format's limit of 100000000 bytes/ },
  { id: 'M04', what: 'header length beyond the file', args: () => modelCmd(withHeaderLength('m04.safetensors', 5_000_000n)), message: /m04\.safetensors: truncated: the header length says 5000000 bytes, but only \d+ follow it/ },
  { id: 'M05', what: 'header not valid JSON', args: () => modelCmd(withHeaderText('m05.safetensors', (h) => h.slice(0, 40))), message: /m05\.safetensors: the header is not valid JSON/ },
  { id: 'M06', what: 'missing tensor', args: () => modelCmd(remodel('m06.safetensors', (s) => { delete s.tensors['F5.bias']; })), message: /m06\.safetensors: no tensor "F5\.bias": layer F5 of the description needs its bias \[10\]/ },
  { id: 'M07', what: 'extra tensor', args: () => modelCmd(remodel('m07.safetensors', (s) => { s.tensors['F6.weights'] = { dtype: 'F32', shape: [2], data: new Float32Array(2) }; })), message: /m07\.safetensors: unknown tensor "F6\.weights": neither a parameter of the description nor optimiser state/ },
  { id: 'M08', what: 'tensor of the wrong shape', args: () => modelCmd(remodel('m08.safetensors', (s) => { s.tensors['C1.kernel'].shape = [5, 6, 5]; })), message: /m08\.safetensors: tensor "C1\.kernel" has shape \[5, 6, 5\], the description needs \[6, 5, 5\]/ },
  { id: 'M09', what: 'tensor of another float dtype than the rest', args: () => modelCmd(remodel('m09.safetensors', (s) => { const t = s.tensors['F5.bias']; s.tensors['F5.bias'] = { dtype: 'F64', shape: t.shape, data: Float64Array.from(t.data) }; })), message: /m09\.safetensors: tensor "F5\.bias" is F64 but "C1\.kernel" is F32: every parameter and state tensor must share one dtype/ },
  { id: 'M10', what: 'tensor of an integer dtype', args: () => modelCmd(remodel('m10.safetensors', (s) => { const t = s.tensors['C1.kernel']; s.tensors['C1.kernel'] = { dtype: 'I32', shape: t.shape, data: new Int32Array(t.data.length) }; })), message: /m10\.safetensors: tensor "C1\.kernel" is I32, expected F32 or F64/ },
  { id: 'M11', what: 'unsupported dtype name in the header', args: () => modelCmd(withHeaderText('m11.safetensors', (h) => h.replace('"dtype":"F32"', '"dtype":"BF"'))), message: /m11\.safetensors: tensor "[^"]+": dtype "BF" is not supported \(expected one of F32, F64, U8, I32, U32\)/ },
  { id: 'M12', what: 'truncated tensor data', args: () => modelCmd(file('m12.safetensors', modelBytes().subarray(0, modelBytes().length - 100))), message: /m12\.safetensors: tensor "[^"]+": data_offsets \[\d+, \d+\] run past the end of the \d+-byte data \(truncated file\?\)/ },
  { id: 'M13', what: 'trailing bytes after the tensors', args: () => modelCmd(file('m13.safetensors', Buffer.concat([modelBytes(), Buffer.alloc(12)]))), message: /m13\.safetensors: 12 trailing bytes after the last tensor's data/ },
  { id: 'M14', what: 'unknown format version', args: () => modelCmd(remodel('m14.safetensors', (s) => { s.metadata.version = '2'; })), message: /m14\.safetensors: format version 2 is not supported \(this convnotes reads version 1\)/ },
  { id: 'M15', what: 'wrong format name', args: () => modelCmd(remodel('m15.safetensors', (s) => { s.metadata.format = 'pytorch'; })), message: /m15\.safetensors: metadata "format" is "pytorch", expected "convnotes-model"/ },
  { id: 'M16', what: 'a plain safetensors file (no format field)', args: () => modelCmd(file('m16.safetensors', encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array(2) } }, {}))), message: /m16\.safetensors: not a convnotes model: the safetensors metadata has no "format" field/ },
  { id: 'M17', what: 'description field not valid JSON', args: () => modelCmd(remodel('m17.safetensors', (s) => { s.metadata.description = s.metadata.description.slice(0, 30); })), message: /m17\.safetensors: metadata "description" is not valid JSON/ },
  { id: 'M18', what: 'description field with an invalid layer', args: () => modelCmd(remodel('m18.safetensors', (s) => { s.metadata.description = s.metadata.description.replace('"kernel":5', '"kernel":50'); })), message: /m18\.safetensors: metadata "description", field layers\[0\]\.kernel: expected a kernel no larger than the 28×28 input maps, got 50×50/ },
  { id: 'M19', what: 'description claiming far more parameters than stored', args: () => modelCmd(remodel('m19.safetensors', (s) => { s.metadata.description = s.metadata.description.replace('"units":10', '"units":10000000'); })), message: /m19\.safetensors: metadata "description", field layers\[4\]\.units: 10000000 units needs at least 10000000 parameters/ },
  { id: 'M20', what: 'model file is a directory', args: () => { mkdirSync(join(dir, 'm20.safetensors')); return modelCmd(join(dir, 'm20.safetensors')); }, message: /m20\.safetensors: is a directory, expected a model file/ },
  { id: 'M21', what: 'model file missing', args: () => modelCmd(join(dir, 'm21.safetensors')), message: /m21\.safetensors: no such file/ },
  { id: 'M22', what: '--resume from a model without training state', args: () => {
    const f = remodel('m22.safetensors', (s) => { delete s.metadata.training; delete s.metadata.recipe; });
    return ['train', '--resume', '--recipe', f, '--data', goodData, '--no-progress'];
  }, message: /m22\.safetensors: holds no training state to resume/ },

  // descriptions and recipes
  { id: 'R01', what: 'description: unknown field', args: () => ['gradcheck', '--recipe', json('r01.json', { input: [1, 12, 12], loss: 'mse', layerz: [] })], message: /r01\.json: layerz: unknown field; expected one of name, input, seed, init, layers, loss, targets, codes/ },
  { id: 'R02', what: 'description: bad type', args: () => ['gradcheck', '--recipe', json('r02.json', { input: [1, 12, 12], loss: 'mse', layers: [{ type: 'conv', maps: 'six', kernel: 3, activation: 'tanh' }] })], message: /r02\.json: layers\[0\]\.maps: expected a positive integer, got "six"/ },
  { id: 'R03', what: 'description: kernel larger than the input', args: () => ['gradcheck', '--recipe', json('r03.json', { input: [1, 12, 12], loss: 'mse', layers: [{ type: 'conv', maps: 2, kernel: 13, activation: 'sigmoid' }] })], message: /r03\.json: layers\[0\]\.kernel: expected a kernel no larger than the 12×12 input maps, got 13×13/ },
  { id: 'R04', what: 'description: subsampling factor not dividing', args: () => ['gradcheck', '--recipe', json('r04.json', { input: [1, 12, 12], loss: 'mse', layers: [{ type: 'subsample', factor: 5 }, { type: 'full', units: 2, activation: 'sigmoid' }] })], message: /r04\.json: layers\[0\]\.factor: expected a factor that divides the 12×12 input maps, got 5/ },
  { id: 'R05', what: 'description: bad connection table', args: () => ['gradcheck', '--recipe', json('r05.json', { input: [1, 12, 12], loss: 'mse', layers: [{ type: 'conv', maps: 2, kernel: 3, activation: 'tanh', connections: 'some' }] })], message: /r05\.json: layers\[0\]\.connections: expected one of .* or a boolean table, got "some"/ },
  { id: 'R06', what: 'description: class codes of the wrong length', args: () => ['gradcheck', '--recipe', json('r06.json', { input: [1, 12, 12], loss: 'mse', codes: [[1, -1, 1], [-1, 1]], layers: [{ type: 'full', units: 3, activation: 'tanh' }] })], message: /r06\.json: codes\[1\]: expected 3 values \(one per network output\), got 2/ },
  { id: 'R07', what: 'description: duplicate layer names', args: () => ['gradcheck', '--recipe', json('r07.json', { input: [1, 12, 12], loss: 'mse', layers: [{ type: 'full', name: 'A', units: 3, activation: 'tanh' }, { type: 'full', name: 'A', units: 2, activation: 'tanh' }] })], message: /r07\.json: layers\[1\]\.name: expected a unique layer name, "A" is used twice/ },
  { id: 'R08', what: 'unknown recipe name', args: () => ['train', '--recipe', 'alexnet', '--out', OUT], message: /--recipe alexnet: not a built-in recipe \(dlt, bouvrie, lenet5, learned, lenet5-distort, simard, simard-wide, simard-2003, lenet-bn, speedrun-99, speedrun-995\) and no such file/ },
  { id: 'R09', what: 'recipe: unknown network name', args: () => ['train', '--recipe', json('r09.json', { name: 'x', network: 'alexnet' }), '--out', OUT], message: /r09\.json: network: unknown network "alexnet"; expected a description or one of/ },
  { id: 'R10', what: 'recipe: bad rate schedule', args: () => ['train', '--recipe', json('r10.json', { name: 'x', network: 'dlt', training: { rate: [{ epochs: 0, rate: 1 }] } }), '--out', OUT], message: /r10\.json: training\.rate\[0\]\.epochs: expected a positive integer/ },
  { id: 'R11', what: 'recipe: empty rate schedule', args: () => ['train', '--recipe', json('r11.json', { name: 'x', network: 'dlt', training: { rate: [] } }), '--out', OUT], message: /r11\.json: training\.rate: expected a positive number or a non-empty list of \{epochs, rate\} stages, got \[\]/ },
  { id: 'R12', what: 'recipe: layer rate for a layer that does not exist', args: () => ['train', '--recipe', json('r12.json', { name: 'x', network: 'dlt', training: { layerRates: { C9: 2 } } }), '--out', OUT], message: /r12\.json: training\.layerRates\.C9: no layer of that name; the network's layers are C1, S2, C3, S4, F5/ },
  { id: 'R13', what: 'recipe: unknown training field', args: () => ['train', '--recipe', json('r13.json', { name: 'x', network: 'dlt', training: { epoch: 2 } }), '--out', OUT], message: /r13\.json: training\.epoch: unknown field; expected one of epochs, batch, rate/ },
  { id: 'R14', what: 'recipe: momentum out of range', args: () => ['train', '--recipe', json('r14.json', { name: 'x', network: 'dlt', training: { momentum: 1 } }), '--out', OUT], message: /r14\.json: training\.momentum: expected a number in \[0, 1\), got 1/ },
  { id: 'R15', what: 'recipe: bad normalisation', args: () => ['train', '--recipe', json('r15.json', { name: 'x', network: 'dlt', data: { normalise: 'z' } }), '--out', OUT], message: /r15\.json: data\.normalise: expected "unit" .*, "lecun" .* or "standard"/ },
  { id: 'R16', what: 'recipe: invalid network inside', args: () => ['train', '--recipe', json('r16.json', { name: 'x', network: { input: [1, 28, 28], loss: 'mse', layers: [{ type: 'full', units: 0, activation: 'tanh' }] } }), '--out', OUT], message: /r16\.json: network\.layers\[0\]\.units: expected a positive integer, got 0/ },
  { id: 'R17', what: 'recipe file not valid JSON', args: () => ['train', '--recipe', file('r17.json', '{"name": "x", '), '--out', OUT], message: /r17\.json: invalid JSON/ },
  { id: 'R18', what: 'recipe is a directory', args: () => { mkdirSync(join(dir, 'r18.json')); return ['train', '--recipe', join(dir, 'r18.json'), '--out', OUT]; }, message: /r18\.json: is a directory, expected a JSON recipe/ },
  { id: 'R19', what: '`recipe` of an unknown name', args: () => ['recipe', 'alexnet'], message: /recipe: unknown recipe "alexnet"; expected one of dlt, bouvrie, lenet5, learned, lenet5-distort, simard, simard-wide, simard-2003, lenet-bn, speedrun-99, speedrun-995/ },
  { id: 'R20', what: 'description: pad "same" with an even kernel', args: () => ['gradcheck', '--recipe', json('r20.json', { input: [1, 12, 12], loss: 'mse', layers: [{ type: 'conv', maps: 2, kernel: 4, pad: 'same', activation: 'tanh' }] })], message: /r20\.json: layers\[0\]\.pad: expected an odd kernel with pad "same" \(P = \(K − 1\)\/2 on every side\), got kernel 4/ },
  { id: 'R21', what: 'description: dropout rate of 1', args: () => ['gradcheck', '--recipe', json('r21.json', { input: [1, 12, 12], loss: 'mse', layers: [{ type: 'dropout', rate: 1 }, { type: 'full', units: 2, activation: 'tanh' }] })], message: /r21\.json: layers\[0\]\.rate: expected a number in \[0, 1\), got 1/ },
  { id: 'R22', what: 'recipe: batch normalisation with full-batch training', args: () => ['train', '--recipe', json('r22.json', { name: 'x', network: { input: [1, 28, 28], loss: 'cross-entropy', layers: [{ type: 'conv', maps: 2, kernel: 5, activation: 'identity' }, { type: 'batchnorm', activation: 'relu' }, { type: 'full', units: 10, activation: 'identity' }] }, training: { batch: 'full' } }), '--out', OUT], message: /r22\.json: training\.batch: expected a batch size with batch normalisation \(layers\[1\] normalises each batch by its own statistics\), got "full"/ },
  { id: 'R23', what: 'recipe: batch normalisation after a full layer, online', args: () => ['train', '--recipe', json('r23.json', { name: 'x', network: { input: [1, 28, 28], loss: 'cross-entropy', layers: [{ type: 'full', units: 8, activation: 'identity' }, { type: 'batchnorm', activation: 'relu' }, { type: 'full', units: 10, activation: 'identity' }] }, training: { batch: 1 } }), '--out', OUT], message: /r23\.json: training\.batch: expected at least 2 with batch normalisation after a fully connected layer \(layers\[1\]: one value a unit has no variance\), got 1/ },

  { id: 'R24', what: 'recipe: class codes on data of other classes', args: () => ['train', '--recipe', 'lenet5', '--data', dataset('r24', (f) => { f[TEST_LABELS][8 + 7] = 11; }), '--out', OUT], message: /lenet5: network\.codes: expected 12 class codes for .*r24's 12 classes: lenet5 trains its output towards 10 fixed codes/ },
  { id: 'R25', what: 'recipe: a size the network cannot take', args: () => {
    const d = join(dir, 'r25');
    mkdirSync(d);
    for (const [f, b] of Object.entries(goodFiles(30))) writeFileSync(join(d, `${f}.gz`), gzipSync(b));
    return ['train', '--recipe', 'dlt', '--data', d, '--out', OUT];
  }, message: /dlt: network\.layers\[3\]\.factor: expected a factor that divides the 9×9 input maps, got 2 \(the network fitted to .*r25's 1×30×30 images\)/ },
  { id: 'R26', what: '--keep-best without a validation set', args: () => [...trainOn(goodData), '--keep-best'], message: /--keep-best: keeps the epoch of the lowest validation error; give --val FRACTION/ },

  // command-line flags
  { id: 'C01', what: 'unknown flag', args: () => ['train', '--bogus', '--out', OUT], message: /unknown option '--bogus'/ },
  { id: 'C02', what: 'flag without its value', args: () => ['train', '--out'], message: /option '--out <file>' argument missing/ },
  { id: 'C03', what: 'out-of-range value', args: () => ['train', '--epochs', '0', '--out', OUT], message: /option '--epochs <n>' argument '0' is invalid\. expected a positive integer, got "0"/ },
  { id: 'C04', what: 'non-numeric value', args: () => ['train', '--limit', 'many', '--out', OUT], message: /option '--limit <n>' argument 'many' is invalid\. expected a positive integer, got "many"/ },
  { id: 'C05', what: 'fractional seed', args: () => ['train', '--seed', '1.5', '--out', OUT], message: /--seed <s>.*expected an integer in \[0, 4294967295\], got "1\.5"/ },
  { id: 'C06', what: 'bad choice', args: () => ['train', '--backend', 'gpu', '--out', OUT], message: /option '--backend <b>' argument 'gpu' is invalid\. Allowed choices are wasm, reference/ },
  { id: 'C07', what: 'unknown command', args: () => ['trian'], message: /unknown command 'trian'/ },
  { id: 'C08', what: 'missing required flag', args: () => ['eval'], message: /required option '--model <file>' not specified/ },
  { id: 'C09', what: 'conflicting --input and --png', args: () => ['predict', '--model', good, '--input', 'a.idx', '--png', 'b.png'], message: /predict: give one of --input FILE\.idx\[\.gz\], --png FILE\.png \(a digit\) or --image FILE/ },
  { id: 'C10', what: 'neither --input, --png nor --image', args: () => ['predict', '--model', good], message: /predict: give one of --input/ },
  { id: 'C11', what: '--index with --png', args: () => ['predict', '--model', good, '--png', 'b.png', '--index', '3'], message: /predict: --index and --count go with --input, not --png/ },
  { id: 'C12', what: '--index past the images', args: () => ['predict', '--model', good, '--input', join(goodData, `${TEST_IMAGES}.gz`), '--index', '19', '--count', '2'], message: /t10k-images-idx3-ubyte\.gz: holds 20 images; --index 19 --count 2 asks for images 19–20/ },
  { id: 'C13', what: 'export without --onnx', args: () => ['export', '--model', good], message: /required option '--onnx <file>' not specified/ },

  // numerics
  { id: 'N01', what: 'a rate that diverges in epoch 2: stops, keeps epoch 1', args: () => {
    const r = structuredClone(builtinRecipes.dlt) as typeof dlt & Record<string, unknown>;
    // dlt with identity activations: sigmoid outputs bound the squared error, so only an unbounded net can show NaN
    for (const l of r.network.layers) if (l.type !== 'subsample') l.activation = 'identity';
    r.name = 'diverge';
    r.training = { epochs: 2, batch: 5, rate: [{ epochs: 1, rate: 0.01 }, { rate: 1e6 }] };
    return ['train', '--recipe', json('n01.json', r), '--data', goodData, '--eval-train', '0', '--no-progress', '--out', join(dir, 'n01.safetensors')];
  }, message: /training diverged in epoch 2, update \d+: the loss is (NaN|-?Infinity)/, after: () => {
    const m = loadModel(join(dir, 'n01.safetensors'));
    expect((m.training as { epoch: number }).epoch).toBe(1);
    expect(firstNonFinite(m.description, m.params)).toBeNull();
    const log = readFileSync(join(dir, 'n01.log.jsonl'), 'utf8').trim().split('\n');
    expect(log).toHaveLength(1);
    const e = run('eval', '--model', join(dir, 'n01.safetensors'), '--data', goodData, '--json');
    expect(e.code, e.stderr).toBe(0);
  } },
  { id: 'N02', what: 'eval of a model holding NaN', args: () => modelCmd(remodel('n02.safetensors', (s) => { (s.tensors['C3.kernel'].data as Float32Array)[7] = NaN; })), message: /n02\.safetensors: tensor "C3\.kernel" holds NaN at index 7 \(1 of its values are not finite\)/ },
  { id: 'N03', what: 'predict with a model holding Infinity', args: () => ['predict', '--model', remodel('n03.safetensors', (s) => { (s.tensors['F5.weights'].data as Float32Array)[0] = -Infinity; }), '--input', join(goodData, `${TEST_IMAGES}.gz`)], message: /n03\.safetensors: tensor "F5\.weights" holds -Infinity at index 0/ },
  { id: 'N04', what: 'export of a model holding NaN', args: () => ['export', '--model', remodel('n04.safetensors', (s) => { (s.tensors['C1.convBias'].data as Float32Array).fill(NaN); }), '--onnx', ONNX], message: /n04\.safetensors: tensor "C1\.convBias" holds NaN at index 0 \(6 of its values are not finite\)/ },

  // resources
  { id: 'X01', what: 'a batch that cannot fit in wasm memory', args: () => ['train', '--recipe', json('x01.json', { name: 'x', network: 'dlt', training: { batch: 100000 } }), '--data', goodData, '--out', OUT], message: /network "dlt" with batch 100000: its memory plan needs an estimated \d+ MB of WebAssembly memory, more than wasm32's limit of 4096 MB/ },
  { id: 'X02', what: 'layers too large for wasm memory at the default batch', args: () => {
    const r = structuredClone(builtinRecipes.dlt) as { network: { layers: { maps?: number }[] } };
    r.network.layers[0].maps = 5000;
    return ['train', '--recipe', json('x02.json', r), '--data', goodData, '--out', OUT];
  }, message: /network "dlt" with batch 250: its memory plan needs an estimated \d+ MB of WebAssembly memory, more than wasm32's limit/ },
];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  mkdirSync(outDir);
  goodData = dataset('good');
  good = join(dir, 'good.safetensors');
  const r = run('train', '--recipe', 'dlt', '--data', goodData, '--limit', '200', '--eval-train', '0', '--no-progress', '--out', good);
  if (r.code !== 0) throw new Error(`could not train the fixture model: ${r.stderr}`);
}, 120_000);

describe('docs/RELIABILITY.md catalogue', () => {
  it('lists exactly the cases tested here', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'RELIABILITY.md'), 'utf8');
    const ids = [...doc.matchAll(/^\| ([A-Z]\d\d) \|/gm)].map((m) => m[1]);
    expect(ids).toEqual(cases.map((c) => c.id));
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  for (const c of cases) {
    it(`${c.id} ${c.what}`, () => {
      const r = run(...c.args());
      expect(r.code, r.stderr).toBe(1);
      const first = r.stderr.trim().split('\n')[0];
      expect(first).toMatch(/^convnotes: /);
      expect(first).toMatch(c.message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(readdirSync(outDir)).toEqual([]);
      expect(existsSync(CACHE), 'a failed command wrote to the user cache').toBe(false);
      c.after?.(r);
    }, 120_000);
  }
});
