/**
 * `--file` attachments: below 64 KiB inline (base64, as bash); larger files are copied into the
 * node's files/ folder under an unguessable token and served by `mesh serve` at
 * <self baseUrl>/files/<token>/<name> until they expire — that one file, never a folder
 * (bash served the whole directory with python -m http.server). A served file lives as long as
 * its message may be delivered (the message TTL), within [SERVED_FILE_MIN_TTL_MS,
 * SERVED_FILE_MAX_TTL_MS]: a URL that outlives its message only widens the window for a leaked one.
 */
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, extname, join } from 'node:path';
import { DEFAULT_TTL_SECONDS, type Attachment } from '../protocol/envelope.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { MeshNode } from './mesh-node.ts';

export const INLINE_MAX_BYTES = 65_536;
/** Even a message with a very short TTL leaves its receiver this long to fetch the file. */
export const SERVED_FILE_MIN_TTL_MS = 60_000;
/** No served file outlives this, whatever the TTL (the receiver accepts no message older than 24 h either). */
export const SERVED_FILE_MAX_TTL_MS = 86_400_000;
export const SERVED_FILE_KEY_PREFIX = 'file:';

const MIME: Record<string, string> = {
  '.txt': 'text/plain', '.md': 'text/markdown', '.json': 'application/json', '.csv': 'text/csv', '.html': 'text/html',
  '.pdf': 'application/pdf', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
  '.svg': 'image/svg+xml', '.zip': 'application/zip', '.gz': 'application/gzip', '.tar': 'application/x-tar',
  '.log': 'text/plain', '.yaml': 'application/yaml', '.yml': 'application/yaml', '.xml': 'application/xml',
};

export function mimeTypeOf(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export interface ServedFile {
  name: string;
  path: string;
  mimeType: string;
  size: number;
  expiresAt: number;
}

/** How long a file attached to a message with this TTL (seconds; default the envelope's) is served. */
export function servedFileLifetimeMs(ttlSeconds: number = DEFAULT_TTL_SECONDS): number {
  return Math.min(SERVED_FILE_MAX_TTL_MS, Math.max(SERVED_FILE_MIN_TTL_MS, ttlSeconds * 1000));
}

/** The attachment for a file; `ttlSeconds` is the TTL of the message it goes with. */
export function attachFile(node: MeshNode, path: string, ttlSeconds?: number): Attachment {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--file ${path}: ${(e as Error).message}`);
  }
  const filename = basename(path);
  const mimeType = mimeTypeOf(path);
  if (size < INLINE_MAX_BYTES) {
    return { type: 'inline', encoding: 'base64', data: readFileSync(path).toString('base64'), filename, mimeType, size };
  }
  const self = node.selfEntry();
  if (self === null) throw new MeshError(MeshErrorCode.ConfigInvalid, 'large attachments are served by this node, but it has no registry entry with an address');
  const token = randomBytes(24).toString('base64url');
  const dir = join(node.layout.filesDir, token);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stored = join(dir, 'content');
  copyFileSync(path, stored);
  const expiresAt = node.clock.now() + servedFileLifetimeMs(ttlSeconds);
  const served: ServedFile = { name: filename, path: stored, mimeType, size, expiresAt };
  node.store.kv.set(`${SERVED_FILE_KEY_PREFIX}${token}`, { ...served }, node.clock.now());
  return {
    type: 'url',
    url: `${self.baseUrl}/files/${token}/${encodeURIComponent(filename)}`,
    filename,
    mimeType,
    size,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/** `--attachment "url|mimeType|description"` or a bare URL (bash §2.4). */
export function urlAttachment(spec: string): Attachment {
  const [url = '', mimeType, description] = spec.split('|');
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--attachment needs an http(s) URL, got "${url.slice(0, 100)}"`);
  }
  if (!spec.includes('|')) return { type: 'url', url };
  return { type: 'url', url, mimeType: mimeType || 'application/octet-stream', description: description ?? '' };
}

export function inlineAttachment(b64: string): Attachment {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new MeshError(MeshErrorCode.InvalidArgument, '--inline expects base64 data');
  return { type: 'inline', encoding: 'base64', data: b64 };
}
