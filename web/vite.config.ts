// The playground (`npm run play`, `npm run build:web`). It imports the library as npm users do,
// `import … from 'convnotes'`, resolved to the package's built entry point dist/index.js (run
// `npm run build` first). Both servers send the cross-origin isolation headers, so that the training
// worker gets SharedArrayBuffer and runs the network on every core; both serve the MNIST IDX files of
// a data folder under /data/ (scripts/play.mjs passes `--data DIR` in CONVNOTES_PLAY_DATA).
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { playDataDir } from './data-dir.mjs';

const ROOT = resolve(import.meta.dirname, '..');

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const IDX_NAME = /^(train|t10k)-(images-idx3|labels-idx1)-ubyte(\.gz)?$/;

/** GET /data/index.json → {dir, files}; GET /data/NAME → the file (IDX names only). */
function dataFolder(): Plugin {
  const dir = playDataDir();
  // what the page is told: the folder relative to the project, never the server's absolute path
  const shown = relative(ROOT, dir) || '.';
  type Next = () => void;
  type Res = { statusCode: number; setHeader(k: string, v: string): void; end(s?: string): void };
  const handle = (req: { url?: string }, res: Res & NodeJS.WritableStream, next: Next): void => {
    const url = (req.url ?? '').split('?')[0];
    if (!url.startsWith('/data/')) return next();
    for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
    const name = decodeURIComponent(url.slice('/data/'.length));
    if (name === 'index.json') {
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => IDX_NAME.test(f)).sort() : [];
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      res.end(JSON.stringify({ dir: shown, files }));
      return;
    }
    const file = join(dir, basename(name));
    if (!IDX_NAME.test(name) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end(`no ${name} in ${shown}`);
      return;
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    createReadStream(file).pipe(res);
  };
  return {
    name: 'convnotes-data-folder',
    configureServer(server) {
      server.middlewares.use(handle as never);
    },
    configurePreviewServer(server) {
      server.middlewares.use(handle as never);
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  resolve: {
    alias: { convnotes: join(ROOT, 'dist', 'index.js') },
  },
  plugins: [dataFolder()],
  server: { headers: ISOLATION, fs: { allow: [ROOT] } },
  preview: { headers: ISOLATION },
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
