/**
 * The package as a user installs it: `npm pack` of this repository (dist/ as built, package.json
 * "files"), unpacked into `<dir>/node_modules/openclaw-mesh`, beside the production dependencies it
 * declares (linked from this repository's node_modules: the same versions npm ci installed, and
 * nothing from devDependencies). No registry is asked, so the test runs offline; what it checks is
 * what the tarball holds and what its package.json "exports" and "types" resolve to from outside.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { REPO_ROOT } from './mesh-process.ts';

const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

/** Installs the packed package into `dir` (created); returns the tarball's path. */
export function installPacked(dir: string): string {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO_ROOT)) as { filename: string }[];
  const tarball = join(dir, packed[0]?.filename ?? 'missing.tgz');
  const target = join(dir, 'node_modules', 'openclaw-mesh');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], { timeout: 60_000 });
  // Production dependencies, at the top level of node_modules (nested ones come with their parent).
  const modules = join(REPO_ROOT, 'node_modules');
  for (const path of npm(['ls', '--omit=dev', '--all', '--parseable'], REPO_ROOT).split('\n')) {
    const rel = relative(modules, path.trim());
    if (path.trim() === '' || rel.startsWith('..') || rel.includes(`${sep}node_modules${sep}`)) continue;
    const link = join(dir, 'node_modules', rel);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(path.trim(), link, 'dir');
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  return tarball;
}

/** Links a package of this repository's node_modules (a consumer's own dev tool, e.g. @types/node). */
export function linkDevPackage(dir: string, name: string): void {
  const link = join(dir, 'node_modules', name);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules', name), link, 'dir');
}
