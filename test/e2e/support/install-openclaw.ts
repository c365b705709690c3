// Installs a pinned OpenClaw release once, outside the repo, for the end-to-end tests.
//
// Contract:
// - The install lives in `MESH_E2E_OPENCLAW_DIR` (default `~/.cache/mesh-e2e/openclaw`), never in the
//   repo: it is ~650 MB and must not be picked up by lint, tsc or the unit tests.
// - It is idempotent: `npm install` only runs when the entry point or the "installed" marker is
//   missing, or the installed version differs. The marker is written last, so an interrupted install
//   is repeated, not trusted.
// - Concurrent callers (two test files, two terminals) serialise on an exclusive lock file; a lock
//   left by a dead process is taken over.
// - npm runs on the Node that runs the tests (Node 24): its directory goes first on PATH, so npm's
//   `#!/usr/bin/env node` resolves to it.
//
// Also runnable as a script to warm the cache: `node test/e2e/support/install-openclaw.ts`.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const OPENCLAW_VERSION = '2026.9.6';

export interface InstallOpenClawOptions {
  /** Where to install; default `$MESH_E2E_OPENCLAW_DIR` or `~/.cache/mesh-e2e/openclaw`. */
  dir?: string;
  version?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** How long to wait for another process's install to finish. */
  lockTimeoutMs?: number;
  /** How long `npm install` may take. */
  installTimeoutMs?: number;
}

export interface OpenClawInstall {
  dir: string;
  version: string;
  /** Absolute path of `node_modules/openclaw/openclaw.mjs`; run it with `process.execPath`. */
  entry: string;
  /** True when this call ran `npm install`. */
  installedNow: boolean;
  durationMs: number;
}

const MARKER = '.mesh-e2e-installed';
const LOCK = '.install.lock';
const PROGRESS_EVERY_MS = 5_000;
const LOCK_POLL_MS = 1_000;

export function defaultOpenClawDir(): string {
  return process.env['MESH_E2E_OPENCLAW_DIR'] || join(homedir(), '.cache', 'mesh-e2e', 'openclaw');
}

const stderrLog = (line: string): void => {
  process.stderr.write(`[openclaw-install] ${line}\n`);
};

export async function installOpenClaw(opts: InstallOpenClawOptions = {}): Promise<OpenClawInstall> {
  const started = performance.now();
  const dir = opts.dir ?? defaultOpenClawDir();
  const version = opts.version ?? OPENCLAW_VERSION;
  const log = opts.log ?? stderrLog;
  const entry = join(dir, 'node_modules', 'openclaw', 'openclaw.mjs');
  const done = (installedNow: boolean): OpenClawInstall => ({
    dir, version, entry, installedNow, durationMs: Math.round(performance.now() - started),
  });

  if (isReady(dir, version)) return done(false);
  mkdirSync(dir, { recursive: true });
  const releaseLock = await acquireLock(join(dir, LOCK), opts.lockTimeoutMs ?? 15 * 60_000, log);
  try {
    // Another process may have finished the install while we waited for the lock.
    if (isReady(dir, version)) return done(false);
    await runInstall(dir, version, log, opts.installTimeoutMs ?? 10 * 60_000);
    const reported = await runNode([entry, '--version'], dir, 60_000);
    if (!reported.includes(version)) {
      throw new Error(`openclaw --version printed ${JSON.stringify(reported.trim())}, expected ${version}`);
    }
    writeFileSync(join(dir, MARKER), `${version}\n`);
    const result = done(true);
    log(`openclaw@${version} ready in ${(result.durationMs / 1000).toFixed(1)} s: ${entry}`);
    return result;
  } finally {
    releaseLock();
  }
}

function isReady(dir: string, version: string): boolean {
  try {
    const entry = join(dir, 'node_modules', 'openclaw', 'openclaw.mjs');
    const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', 'openclaw', 'package.json'), 'utf8')) as { version?: unknown };
    return existsSync(entry) && pkg.version === version && readFileSync(join(dir, MARKER), 'utf8').trim() === version;
  } catch {
    return false;
  }
}

async function acquireLock(path: string, timeoutMs: number, log: (line: string) => void): Promise<() => void> {
  const deadline = performance.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try { unlinkSync(path); } catch { /* already gone */ }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(readFileOr(path, ''), 10);
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
      // Stale (owner died) or half-written by a process that is gone: take it over.
      if (Number.isInteger(owner) && owner > 0) log(`removing stale install lock of dead pid ${owner}`);
      try { unlinkSync(path); } catch { /* raced with another taker */ }
      continue;
    }
    if (!announced) {
      log(`waiting for the install running in pid ${owner} (lock ${path})`);
      announced = true;
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for install lock ${path} held by pid ${owner}`);
    await sleep(LOCK_POLL_MS);
  }
}

function readFileOr(path: string, fallback: string): string {
  try { return readFileSync(path, 'utf8'); } catch { return fallback; }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function runInstall(dir: string, version: string, log: (line: string) => void, timeoutMs: number): Promise<void> {
  const npmLog = join(dir, 'npm-install.log');
  if (!existsSync(join(dir, 'package.json'))) await runNpm(['init', '-y'], dir, npmLog, timeoutMs);
  log(`installing openclaw@${version} into ${dir} (about 25 s and 650 MB on first run; npm output in ${npmLog})`);
  const t0 = performance.now();
  const ticker = setInterval(() => {
    const secs = Math.round((performance.now() - t0) / 1000);
    log(`  still installing: ${secs} s, ${countEntries(join(dir, 'node_modules'))} packages so far`);
  }, PROGRESS_EVERY_MS);
  try {
    await runNpm(['install', `openclaw@${version}`, '--no-fund', '--no-audit'], dir, npmLog, timeoutMs);
  } finally {
    clearInterval(ticker);
  }
  log(`npm install finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function countEntries(dir: string): number {
  try { return readdirSync(dir).length; } catch { return 0; }
}

/** Environment whose PATH starts with the running Node's directory (npm's shebang is `env node`). */
function nodeFirstEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` };
}

function runNpm(args: string[], cwd: string, logFile: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = openSync(logFile, 'a');
    writeSync(out, `\n$ npm ${args.join(' ')}\n`);
    const child = spawn('npm', args, { cwd, env: nodeFirstEnv(), stdio: ['ignore', out, out], timeout: timeoutMs });
    child.on('error', (err) => { closeSync(out); reject(err); });
    child.on('exit', (code, signal) => {
      closeSync(out);
      if (code === 0) return resolve();
      const tail = readFileOr(logFile, '').split('\n').slice(-30).join('\n');
      reject(new Error(`npm ${args[0]} failed (${signal ?? `exit ${code}`}); last lines of ${logFile}:\n${tail}`));
    });
  });
}

function runNode(args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: nodeFirstEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`node ${args.join(' ')} exited ${code}: ${out.slice(-2000)}`))));
  });
}

if (import.meta.main) {
  const res = await installOpenClaw();
  console.log(JSON.stringify(res));
}
