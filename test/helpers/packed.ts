// The npm package as a user installs it, offline, for the tests that use it from outside the checkout:
// `npm pack` of the built package (--ignore-scripts: npm test builds first, and packing must not rebuild
// dist/ under the other test files), the tarball extracted into node_modules/convnotes of an empty
// project whose production dependencies are links to this checkout's copies (nothing else: a
// devDependency the package imports fails there), and the bin links npm makes.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string; dependencies: Record<string, string>; bin: Record<string, string>; files: string[];
};

export interface InstalledPackage {
  /** The user's project: package.json and node_modules/. */
  dir: string;
  /** dir/node_modules/convnotes */
  packageDir: string;
  /** What `npm pack --json` said: the tarball's name, sizes and files. */
  filename: string;
  size: number;
  unpackedSize: number;
  files: string[];
  /** Removes the project. */
  remove(): void;
}

function run(command: string, args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Packs the checkout and installs the tarball into a new project in a temporary folder named `prefix…`. */
export function packAndInstall(prefix = 'convnotes-package-'): InstalledPackage {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const packageDir = join(dir, 'node_modules', 'convnotes');
  const p = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  if (p.code !== 0) throw new Error(`npm pack failed:\n${p.stderr}`);
  const [info] = JSON.parse(p.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  // what `npm install ./convnotes-x.y.z.tgz` lays out, without the registry
  mkdirSync(packageDir, { recursive: true });
  const x = run('tar', ['-xzf', join(dir, info.filename), '-C', packageDir, '--strip-components=1'], dir);
  if (x.code !== 0) throw new Error(`tar failed:\n${x.stderr}`);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'user', version: '1.0.0', private: true, type: 'module', dependencies: { convnotes: pkg.version } }));
  // production dependencies: links to this checkout's copies (Node follows a link to its real path, so
  // their own dependencies resolve there too)
  for (const dep of Object.keys(pkg.dependencies)) {
    const link = join(dir, 'node_modules', dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), link, 'dir');
  }
  // the bin links npm makes, executable as npm makes them
  mkdirSync(join(dir, 'node_modules', '.bin'));
  for (const [name, target] of Object.entries(pkg.bin)) {
    chmodSync(join(packageDir, target), 0o755);
    symlinkSync(join('..', 'convnotes', target), join(dir, 'node_modules', '.bin', name));
  }
  return {
    dir, packageDir, filename: info.filename, size: info.size, unpackedSize: info.unpackedSize, files: info.files.map((f) => f.path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
