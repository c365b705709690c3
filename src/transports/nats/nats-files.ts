/**
 * The files a NATS connection reads, checked before every connect attempt: the credentials file,
 * NKey seed file and token file, and the TLS CA, certificate and key. A missing file, and a secret
 * file (all but the CA and the certificate) whose mode lets group or others in, stop the attempt with
 * a NatsFileError that names the file and the fix, never its content.
 *
 * Loose modes are refused, not warned about (as ssh refuses a private key others can read): a seed or
 * token readable by other local users lets them speak on the bus as this node, and a warning in a
 * daemon's log is easily missed. `mesh nats setup` warns at once; `mesh nats status`, `mesh send` and
 * the daemon's log say `nats_secret_file_mode` with the path until the file is `chmod 600`.
 * Paths are the ones the node's config names (nothing from a peer or the wire becomes a path).
 */
import { statSync } from 'node:fs';

export type NatsFileKind = 'credentials' | 'NKey seed' | 'token' | 'TLS CA' | 'TLS certificate' | 'TLS key';
export interface NatsFile {
  kind: NatsFileKind;
  path: string;
}

/** Mode bits that let group or others read, write or run a file. */
const GROUP_OTHER_BITS = 0o077;
const SECRET_KINDS: ReadonlySet<NatsFileKind> = new Set(['credentials', 'NKey seed', 'token', 'TLS key']);

export class NatsFileError extends Error {
  readonly code: 'nats_file_missing' | 'nats_secret_file_mode';
  readonly path: string;
  constructor(code: NatsFileError['code'], path: string, message: string) {
    super(message);
    this.name = 'NatsFileError';
    this.code = code;
    this.path = path;
  }
}

/** The problem with one file, or null when it can be used. */
export function natsFileProblem(f: NatsFile): NatsFileError | null {
  let mode: number;
  try {
    const st = statSync(f.path);
    if (!st.isFile()) return new NatsFileError('nats_file_missing', f.path, `the NATS ${f.kind} file ${f.path} is not a regular file`);
    mode = st.mode & 0o777;
  } catch {
    return new NatsFileError('nats_file_missing', f.path, `the NATS ${f.kind} file ${f.path} does not exist or cannot be read`);
  }
  if (SECRET_KINDS.has(f.kind) && (mode & GROUP_OTHER_BITS) !== 0) {
    return new NatsFileError('nats_secret_file_mode', f.path,
      `the NATS ${f.kind} file ${f.path} is open to group or others (mode ${mode.toString(8).padStart(3, '0')}): run chmod 600 ${f.path}`);
  }
  return null;
}

/** Throws the first file's problem (see natsFileProblem). */
export function checkNatsFiles(files: readonly NatsFile[]): void {
  for (const f of files) {
    const problem = natsFileProblem(f);
    if (problem !== null) throw problem;
  }
}
