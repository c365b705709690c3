/**
 * The local API's bearer token (`config/api-token`, mode 600): required by the API listener when it
 * is bound to a non-loopback address (or `api.requireToken`), never accepted by the hooks listener,
 * and unrelated to the hook token peers hold. `mesh init` makes it; a home made before it existed
 * gets one on first use (`mesh serve` with the API on, `mesh api token`). The file is read again when
 * it changes, so `mesh api token --rotate` applies to the next request.
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { ensurePrivateDir, readSecretFile, writeSecretFile } from '../crypto/secret-file.ts';
import { isMeshError, MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { Clock } from '../ports/clock.ts';
import { createAuthFailureLimiter, type AuthFailureLimiter } from '../transports/http/auth-failure-limiter.ts';
import { tokensEqual } from '../transports/http/hook-token.ts';
import type { HomeLayout } from './home.ts';

export const API_TOKEN_PREFIX = 'mesh-api-';
/** Anything shorter is not accepted as a token (a hand-edited file must not weaken the API). */
const API_TOKEN_RE = /^[A-Za-z0-9_-]{24,256}$/;

export function newApiToken(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(24).toString('hex')}`;
}

function parseToken(text: string | null, path: string): string | null {
  if (text === null) return null;
  const t = text.trim();
  if (!API_TOKEN_RE.test(t)) {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `${path} does not hold a usable API token (24-256 characters of A-Z a-z 0-9 _ -): run \`mesh api token --rotate\``, { details: { path } });
  }
  return t;
}

/** The token, made now (0600, atomically) when the home has none. */
export function ensureApiToken(layout: HomeLayout): { token: string; created: boolean } {
  const existing = parseToken(readSecretFile(layout.apiTokenFile), layout.apiTokenFile);
  if (existing !== null) return { token: existing, created: false };
  ensurePrivateDir(layout.configDir);
  const token = newApiToken();
  try {
    writeSecretFile(layout.apiTokenFile, `${token}\n`, { overwrite: false });
    return { token, created: true };
  } catch (e) {
    // Another process made it between our read and our write: theirs is the token.
    if (!isMeshError(e) || e.code !== MeshErrorCode.AlreadyExists) throw e;
    const theirs = parseToken(readSecretFile(layout.apiTokenFile), layout.apiTokenFile);
    if (theirs === null) throw e;
    return { token: theirs, created: false };
  }
}

/** Replaces the token; the old one stops working at the daemon's next request. */
export function rotateApiToken(layout: HomeLayout): string {
  ensurePrivateDir(layout.configDir);
  const token = newApiToken();
  writeSecretFile(layout.apiTokenFile, `${token}\n`, { overwrite: true });
  return token;
}

/**
 * Checks presented tokens against the file as it is now (stat per check, re-read on change, like
 * live-file.ts). A missing, unreadable or invalid file accepts nothing, never the previous token;
 * `onInvalid` hears why, once per version of the file.
 */
export class ApiTokenCheck {
  readonly #path: string;
  readonly #onInvalid: (e: unknown) => void;
  #stamp = '';
  #token: string | null = null;

  readonly #failures: AuthFailureLimiter;

  constructor(layout: HomeLayout, clock: Clock, onInvalid: (e: unknown) => void = () => undefined) {
    ensureApiToken(layout);
    this.#path = layout.apiTokenFile;
    this.#onInvalid = onInvalid;
    this.#failures = createAuthFailureLimiter({ clock });
  }

  #current(): string | null {
    const s = statSync(this.#path, { bigint: true, throwIfNoEntry: false });
    const stamp = s === undefined ? 'missing' : `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    if (stamp === this.#stamp) return this.#token;
    this.#stamp = stamp;
    try {
      this.#token = parseToken(readSecretFile(this.#path), this.#path);
    } catch (e) {
      this.#token = null;
      this.#onInvalid(e);
    }
    return this.#token;
  }

  accepts(given: string | null): boolean {
    if (given === null) return false;
    let expected: string | null;
    try {
      expected = this.#current();
    } catch {
      return false;
    }
    return expected !== null && tokensEqual(given, expected);
  }

  /**
   * `accepts`, with the hooks listener's throttle per client address: 20 failures within 60 s lock
   * the address out for 60 s (`lockedForMs` > 0: answer 429); a right token still passes.
   */
  authenticate(given: string | null, client: string): { ok: true } | { ok: false; lockedForMs: number } {
    if (this.accepts(given)) return { ok: true };
    const locked = this.#failures.lockedFor(client);
    if (locked > 0) return { ok: false, lockedForMs: locked };
    this.#failures.fail(client);
    return { ok: false, lockedForMs: 0 };
  }
}
