// The Chromium that the browser tests and scripts drive with playwright-core. CONVNOTES_CHROMIUM names a
// browser on the system and is used when set; otherwise the Chromium shipped inside the npm package
// @sparticuz/chromium (a dev dependency, so `npm install` brings it: no download, no system browser).
// Its brotli-packed binary, fonts and libraries are unpacked once per package version and user into
// os.tmpdir()/convnotes-chromium-VERSION-UID: into a fresh folder first, then renamed into place, so
// test files that start at once (vitest runs them in parallel) never see a half-written binary.
// The package's own executablePath() is not used: it unpacks to the shared /tmp/chromium and returns
// whatever is there, however old or half-written.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, createReadStream, createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

// Headless, no sandbox (CI runs as root), no GPU; the background-networking flags keep it from calling
// out on a closed network. None of the package's serverless flags (--single-process,
// --disable-web-security, …): the tests want the usual process model and cross-origin isolation.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const PACKAGE = '@sparticuz/chromium';
let found = null;

/** The browser to drive: { path, env, origin } (origin: 'CONVNOTES_CHROMIUM' or the package and version). */
export function chromiumExecutable() {
  found ??= locate();
  return found;
}

async function locate() {
  const named = process.env.CONVNOTES_CHROMIUM;
  if (named) {
    if (!existsSync(named)) throw new Error(`CONVNOTES_CHROMIUM=${named}: no such file`);
    return { path: named, env: undefined, origin: 'CONVNOTES_CHROMIUM' };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`${PACKAGE} ships Chromium for Linux x64 only, this is ${process.platform} ${process.arch}: set CONVNOTES_CHROMIUM to a Chromium on this system`);
  }
  const require = createRequire(import.meta.url);
  let root;
  try {
    root = join(dirname(require.resolve(PACKAGE)), '..', '..');
  } catch {
    throw new Error(`${PACKAGE} is not installed (run npm install), and CONVNOTES_CHROMIUM is not set`);
  }
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const dir = join(tmpdir(), `convnotes-chromium-${version}-${process.getuid?.() ?? 0}`);
  if (!existsSync(join(dir, 'chromium'))) await unpack(root, dir);
  return {
    path: join(dir, 'chromium'),
    // the package's own fonts beside the system's, and its libraries (NSS, expat) so that none is needed on the system
    env: { ...process.env, FONTCONFIG_FILE: join(dir, 'fonts.conf'), LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
    origin: `${PACKAGE} ${version}`,
  };
}

async function unpack(root, dir) {
  const bin = join(root, 'bin');
  // tar-fs is the package's own dependency: resolved from the package, wherever npm put it
  const { extract } = createRequire(join(root, 'package.json'))('tar-fs');
  const staging = mkdtempSync(`${dir}.partial-`);
  try {
    await Promise.all([
      pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(staging, 'chromium'), { mode: 0o755 })),
      pipeline(createReadStream(join(bin, 'fonts.tar.br')), createBrotliDecompress(), extract(staging, { chown: false })), // fonts/
      pipeline(createReadStream(join(bin, 'swiftshader.tar.br')), createBrotliDecompress(), extract(staging, { chown: false })), // libGLESv2.so, libEGL.so, …
      pipeline(createReadStream(join(bin, 'al2023.tar.br')), createBrotliDecompress(), extract(staging, { chown: false })), // lib/
    ]);
    writeFileSync(join(staging, 'fonts.conf'), [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
      '<fontconfig>',
      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
      `  <dir>${join(dir, 'fonts')}</dir>`,
      `  <cachedir>${join(dir, 'fonts-cache')}</cachedir>`,
      '</fontconfig>',
      '',
    ].join('\n'));
    try {
      renameSync(staging, dir);
    } catch (e) {
      // another process renamed its copy into place first: use that one
      if (!existsSync(join(dir, 'chromium'))) throw e;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * playwright-core's Chromium, launched with CHROMIUM_ARGS (plus options.args). If it cannot start, the
 * error says why in one line, naming the binary.
 */
export async function launchChromium(options = {}) {
  const { path, env, origin } = await chromiumExecutable();
  const { chromium } = await import('playwright-core');
  try {
    return await chromium.launch({ ...options, executablePath: path, env: { ...(env ?? process.env), ...options.env }, args: [...CHROMIUM_ARGS, ...(options.args ?? [])] });
  } catch (e) {
    throw new Error(`Chromium (${origin}: ${path}) did not start: ${whyNot(String(e?.message ?? e))} (CONVNOTES_CHROMIUM=/path/to/chromium names another)`, { cause: e });
  }
}

/** One line out of playwright's launch error: what the browser said on stderr (an error if it said one), and how it exited. */
function whyNot(message) {
  const said = [...message.matchAll(/^\[pid=\d+\]\[err\] (.+)$/gm)].map((m) => m[1].trim()).filter(Boolean);
  const exit = /process did exit: (exitCode=[^,]*, signal=[^>\s]*)/.exec(message)?.[1];
  const line = said.find((l) => /error|cannot|fail|fatal|denied/i.test(l)) ?? said[said.length - 1] ?? message.split('\n').find((l) => l.trim())?.trim() ?? 'unknown error';
  return exit ? `${line} (${exit})` : line;
}
