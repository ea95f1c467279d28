// Compiles the AssemblyScript kernels (assembly/) into WebAssembly modules in wasm/:
//   convnotes.wasm                 imports a SHARED memory (threads: worker_threads / Web Workers)
//   convnotes-single.wasm          imports an ordinary memory (pages without cross-origin isolation)
//   convnotes[-single]-relaxed.wasm  the same with relaxed SIMD (fused multiply-add), used where the
//                                  engine validates it (src/wasm/module.ts)
// All use 128-bit SIMD. Run by `npm run build` (and so by `npm install`).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(root, 'wasm'), { recursive: true });

const common = [
  join(root, 'assembly', 'index.ts'),
  '-O3', '--runtime', 'stub', '--noAssert', '--use', 'abort=',
  '--importMemory', '--initialMemory', '2', '--maximumMemory', '65536',
  '--enable', 'simd',
];
const relaxed = ['--enable', 'relaxed-simd'];
for (const [name, extra] of [
  ['convnotes.wasm', ['--sharedMemory', '--enable', 'threads']],
  ['convnotes-single.wasm', []],
  ['convnotes-relaxed.wasm', ['--sharedMemory', '--enable', 'threads', ...relaxed]],
  ['convnotes-single-relaxed.wasm', relaxed],
]) {
  const { error, stderr } = await asc.main([...common, ...extra, '-o', join(root, 'wasm', name)]);
  if (error) {
    process.stderr.write(stderr.toString());
    process.stderr.write(`build-wasm: ${name}: ${error.message}\n`);
    process.exit(1);
  }
}
