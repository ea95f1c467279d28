#!/usr/bin/env node
// `npm run play [-- --data DIR] [--port N] [--host H] [--preview] [--no-hmr]`: the playground's dev server (or,
// with --preview, a server for the built site in web/dist), serving the MNIST IDX files of DIR under
// /data/ (default: scripts/dev-data.mjs: $CONVNOTES_DATA, ../shared/datasets/mnist, the user cache). --no-hmr: no file
// watching and no reloads (tests: a rebuild of dist/ mid-test would otherwise reload the page).
import { resolve } from 'node:path';
import { createServer, preview } from 'vite';

const args = process.argv.slice(2);
const options = { port: 5173, host: '127.0.0.1', preview: false, hmr: true };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = () => {
    if (i + 1 >= args.length) throw new Error(`${a}: expected a value`);
    return args[++i];
  };
  if (a === '--data') process.env.CONVNOTES_PLAY_DATA = resolve(value());
  else if (a === '--port') options.port = Number(value());
  else if (a === '--host') options.host = value();
  else if (a === '--preview') options.preview = true;
  else if (a === '--no-hmr') options.hmr = false;
  else if (a === '--help' || a === '-h') {
    console.log('usage: npm run play -- [--data DIR] [--port N] [--host H] [--preview] [--no-hmr]');
    process.exit(0);
  } else {
    console.error(`play: unknown option ${a} (expected --data DIR, --port N, --host H, --preview, --no-hmr)`);
    process.exit(1);
  }
}

const root = resolve(import.meta.dirname, '..', 'web');
const configFile = resolve(root, 'vite.config.ts');
const config = { root, configFile, server: { port: options.port, host: options.host, ...(options.hmr ? {} : { hmr: false, watch: null }) }, preview: { port: options.port, host: options.host } };
const server = options.preview ? await preview(config) : await createServer(config);
if (!options.preview) await server.listen();
const urls = server.resolvedUrls?.local ?? [];
const { playDataDir } = await import('../web/data-dir.mjs'); // after --data is read
console.log(`convnotes playground: ${urls[0] ?? `http://${options.host}:${options.port}/`}  (data: ${playDataDir()})`);
