/**
 * Runs a `mesh` command with its stdout going where a user sends it: through a real pipe (`|`, made by
 * sh, not the socket pair Node gives a child) into a slow reader process, or into a file (`>`). stdin
 * comes from a file. Arguments travel as sh's positional parameters, never through the script text.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, MESH_BIN, REPO_ROOT } from './mesh-process.ts';
import { killTree, spawnGroup } from './process-group.ts';
import { CLI_RUN_TIMEOUT_MS } from './timeouts.ts';

const SLOW_READER = fileURLToPath(new URL('./slow-reader.ts', import.meta.url));

export interface RedirectedRun {
  /** mesh's exit code (as sh saw it); null if the run was killed on time-out. */
  code: number | null;
  /** Exactly the bytes that reached the reader or the file. */
  stdout: Buffer;
  stderr: string;
}

export interface RedirectOptions {
  /** 'slow-pipe': `mesh … | slow-reader` (default); 'file': `mesh … > file`. */
  to?: 'slow-pipe' | 'file';
  /** The executable run with node (default src/cli/bin.ts). */
  bin?: string;
  /** Text for mesh's stdin (default: empty). */
  input?: string | Buffer;
  /** Bytes the slow reader takes per read (default 4096) and its pause after each (ms, default 2). */
  readChunkBytes?: number;
  readPauseMs?: number;
  timeoutMs?: number;
}

export async function runMeshRedirected(args: readonly string[], o: RedirectOptions = {}): Promise<RedirectedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-redirect-'));
  const files = { in: join(dir, 'stdin'), out: join(dir, 'stdout'), code: join(dir, 'code') };
  writeFileSync(files.in, o.input ?? '');
  const sink = o.to === 'file'
    ? '> "$MESH_T_OUT"'
    : '| "$MESH_T_NODE" "$MESH_T_READER" "$MESH_T_OUT" "$MESH_T_CHUNK" "$MESH_T_PAUSE"';
  const script = `{ "$@" < "$MESH_T_IN"; echo $? > "$MESH_T_CODE"; } ${sink}`;
  const { child, pgid } = spawnGroup('sh', ['-c', script, 'sh', process.execPath, o.bin ?? MESH_BIN, ...args], {
    cwd: REPO_ROOT,
    env: {
      ...childEnv(),
      MESH_T_NODE: process.execPath, MESH_T_READER: SLOW_READER, MESH_T_IN: files.in, MESH_T_OUT: files.out, MESH_T_CODE: files.code,
      MESH_T_CHUNK: String(o.readChunkBytes ?? 4096), MESH_T_PAUSE: String(o.readPauseMs ?? 2),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => killTree(pgid), o.timeoutMs ?? CLI_RUN_TIMEOUT_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', () => resolve());
    });
    const read = (f: string): Buffer | null => {
      try {
        return readFileSync(f);
      } catch {
        return null;
      }
    };
    const codeText = read(files.code)?.toString('utf8').trim();
    return { code: codeText === undefined || codeText === '' ? null : Number(codeText), stdout: read(files.out) ?? Buffer.alloc(0), stderr };
  } finally {
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}
