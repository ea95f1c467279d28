// The package's entry point (dist/index.js, what `import … from 'convnotes'` gives npm users and what
// the playground bundles) is browser-safe: nothing it imports statically, at any depth, is a node:
// module or one of the Node-only packages the CLI uses; Node's built-ins are reached only through
// wasm/abi.ts's nodeBuiltin(), behind a Node check, by a specifier no bundler follows. And no dynamic
// import of a literal path at all: a bundle would split it off into a chunk, which a worker bundled as
// one classic script (Vite's default for workers) cannot have. Needs `npm run build` (npm test does it).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '..', '..', 'dist');
const NODE_ONLY = /^(node:|fs$|path$|os$|worker_threads$|pngjs|jpeg-js|commander|cli-progress|onnxruntime-node)/;

function graph(): { files: string[]; staticImports: string[]; dynamicImports: string[] } {
  const seen = new Set<string>();
  const staticImports: string[] = [];
  const dynamicImports: string[] = [];
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/^\s*(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) {
        if (NODE_ONLY.test(spec)) staticImports.push(`${relative(DIST, file)} → ${spec}`);
        continue;
      }
      if (spec.endsWith('.json')) continue;
      walk(resolve(dirname(file), spec));
    }
    for (const m of code.matchAll(/\bimport\(\s*(?:\/\*.*?\*\/\s*)*['"]([^'"]+)['"]\s*\)/g)) {
      dynamicImports.push(`${relative(DIST, file)} → ${m[1]}`);
      if (m[1].startsWith('.')) walk(resolve(dirname(file), m[1]));
    }
  };
  walk(join(DIST, 'index.js'));
  return { files: [...seen].map((f) => relative(DIST, f)), staticImports, dynamicImports };
}

describe('dist/index.js in browsers', () => {
  it('imports no node: module and no Node-only package, statically, at any depth', () => {
    expect(existsSync(join(DIST, 'index.js')), 'dist/index.js: run `npm run build` first (npm test does)').toBe(true);
    const g = graph();
    expect(g.files).toContain('wasm/engine.js');
    expect(g.files).toContain('train/trainer.js');
    expect(g.files).toContain('data/cifar.js');
    expect(g.files).toContain('data/resize.js');
    // the image-set rules, the image header walk and the zip reader the playground shares with convnotes/node
    for (const f of ['data/image-set.js', 'data/image-header.js', 'data/zip.js', 'recipes/fit.js']) expect(g.files).toContain(f);
    expect(g.staticImports).toEqual([]);
    // the Node-only modules (convnotes/node's and the CLI's): none of them is reached
    expect(g.files.filter((f) => /^(cli\/|node\.js|data\/(files|bundled|png|download|augment-grid|decode|image-folder|image-cache|cifar-files|load)\.js|model\/model-io\.js|train\/checkpoint\.js|recipes\/load\.js|util\/atomic\.js)/.test(f))).toEqual([]);
    expect(g.dynamicImports).toEqual([]);
  });
});
