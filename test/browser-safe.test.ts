// The package's entry point (dist/index.js, what `import … from 'convnotes'` gives npm users and what
// the playground bundles) is browser-safe: nothing it imports statically, at any depth, is a node:
// module or one of the Node-only packages the CLI uses; the only node: modules reachable at all are dynamic imports behind a
// Node check (wasm/module.ts, wasm/engine.ts). Needs `npm run build` (npm test does it).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '..', 'dist');
const NODE_ONLY = /^(node:|fs$|path$|os$|worker_threads$|pngjs|commander|cli-progress|onnxruntime-node)/;

function graph(): { files: string[]; staticImports: string[]; dynamicNode: string[] } {
  const seen = new Set<string>();
  const staticImports: string[] = [];
  const dynamicNode: string[] = [];
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
    for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      if (m[1].startsWith('node:')) dynamicNode.push(`${relative(DIST, file)} → ${m[1]}`);
      else if (m[1].startsWith('.')) walk(resolve(dirname(file), m[1]));
    }
  };
  walk(join(DIST, 'index.js'));
  return { files: [...seen].map((f) => relative(DIST, f)), staticImports, dynamicNode };
}

describe.skipIf(!existsSync(join(DIST, 'index.js')))('dist/index.js in browsers', () => {
  it('imports no node: module and no Node-only package, statically, at any depth', () => {
    const g = graph();
    expect(g.files).toContain('wasm/engine.js');
    expect(g.files).toContain('train/trainer.js');
    expect(g.staticImports).toEqual([]);
    expect(g.files.filter((f) => /^(cli|data\/files|data\/bundled|model\/model-io)/.test(f))).toEqual([]);
    for (const d of g.dynamicNode) expect(d).toMatch(/^wasm\/(module|engine)\.js → node:/);
  });
});
