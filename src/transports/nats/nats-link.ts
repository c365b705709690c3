/**
 * One NATS connection per node process, shared by the NATS transport (sending) and the receiver
 * (the daemon's consumer). The client library is loaded on first use (`import()`), so a node
 * without NATS peers never loads it and `mesh send` to an HTTP peer pays nothing for it.
 *
 * Two behaviours:
 *  - `persistent` (the daemon): the first connect keeps trying, and a lost connection reconnects on
 *    its own for ever (the client library's reconnect loop); callers wait for it, bounded by their
 *    own deadlines.
 *  - one-shot (CLI commands): one connect attempt bounded by `connectTimeoutMs`; a failure is
 *    reported to the caller (the outbox retries later) and the next use tries again.
 * Secrets (credentials file, NKey seed, token) are read from files at each (re)connect, so a rotated
 * file applies at the next reconnect, and they never appear in logs, errors or results.
 */
import { readFileSync } from 'node:fs';
// Type-only imports are erased: the library itself is loaded by loadNatsLibs() on first use.
import type * as JetStreamLib from '@nats-io/jetstream';
import type * as TransportNode from '@nats-io/transport-node';
import type { Logger } from '../../ports/logger.ts';
import { checkNatsFiles, NatsFileError, type NatsFile } from './nats-files.ts';

export type NatsConnection = TransportNode.NatsConnection;
export type JetStreamClient = JetStreamLib.JetStreamClient;
export type JetStreamManager = JetStreamLib.JetStreamManager;
export type JsMsg = JetStreamLib.JsMsg;

export interface NatsTlsOptions {
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
}

export interface NatsLinkOptions {
  servers: string[];
  /** Connection name shown by the server (`mesh-<agent>`). */
  name: string;
  credsFile: string | null;
  nkeySeedFile: string | null;
  tokenFile: string | null;
  tls: NatsTlsOptions | null;
  persistent: boolean;
  connectTimeoutMs: number;
  logger: Logger;
}

export interface NatsLibs {
  nats: typeof TransportNode;
  js: typeof JetStreamLib;
}

export interface Connected {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  libs: NatsLibs;
}

let libsPromise: Promise<NatsLibs> | null = null;
export function loadNatsLibs(): Promise<NatsLibs> {
  libsPromise ??= Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')]).then(([nats, js]) => ({ nats, js }));
  return libsPromise;
}

/**
 * A short, secret-free code for a connection failure. `nats_auth`: the server refused this node's
 * credentials; `nats_credentials_invalid`: the seed or creds file holds no usable key (not even sent);
 * `nats_file_missing` / `nats_secret_file_mode`: nats-files.ts. `nats_tls`: this node does not trust the
 * server's certificate (unknown CA, wrong host name, expired). A server that refuses this node's
 * client certificate closes the handshake, which the client library reports as `timeout`.
 */
export function natsErrorCode(e: unknown): string {
  if (e instanceof NatsFileError) return e.code;
  const name = e instanceof Error ? e.name : '';
  const msg = e instanceof Error ? e.message.toLowerCase() : '';
  // The configured seed or credentials file holds no usable key (the client library's words; its text is never echoed).
  if (msg.startsWith('nkeys:') || msg.includes('unable to parse credentials')) return 'nats_credentials_invalid';
  if (/certificate|altnames|self[- ]signed|tls/.test(msg)) return 'nats_tls';
  if (name === 'TimeoutError' || msg.includes('timeout')) return 'timeout';
  if (msg.includes('econnrefused') || msg.includes('connection refused')) return 'connection_refused';
  if (name === 'AuthorizationError' || msg.includes('authorization')) return 'nats_auth';
  if (name === 'PermissionViolationError' || msg.includes('permission')) return 'nats_permission';
  if (name === 'ClosedConnectionError' || name === 'DrainingConnectionError') return 'nats_closed';
  return 'nats_unavailable';
}

/** What a failure's code leaves out, when it is ours to say: which file is wrong and how to fix it. */
export function natsErrorDetail(e: unknown): { detail?: string } {
  return e instanceof NatsFileError ? { detail: e.message } : {};
}

/** The daemon waits this long between connect attempts while no server answers (doubling up to the max). */
const PERSISTENT_RETRY_MIN_MS = 250;
const PERSISTENT_RETRY_MAX_MS = 5_000;
/** close() waits this long for pending publishes and acks to flush. */
const DRAIN_TIMEOUT_MS = 5_000;

export class NatsLink {
  readonly #o: NatsLinkOptions;
  #connecting: Promise<Connected> | null = null;
  #connected: Connected | null = null;
  #closed = false;
  /** Wakes a persistent link's retry wait when the link is closed. */
  readonly #stop = new AbortController();

  constructor(o: NatsLinkOptions) {
    this.#o = o;
  }

  get persistent(): boolean {
    return this.#o.persistent;
  }

  /** The connection, connecting first if needed. Rejects (one-shot) when the server cannot be reached. */
  connection(): Promise<Connected> {
    if (this.#closed) return Promise.reject(new Error('NATS link closed'));
    if (this.#connecting === null) {
      const p = this.#o.persistent ? this.#connectUntilUp() : this.#connect();
      this.#connecting = p;
      // A one-shot link that failed tries again on the next use.
      p.catch(() => {
        if (this.#connecting === p) this.#connecting = null;
      });
    }
    return this.#connecting;
  }

  /** The connection if it is up now, without connecting or waiting. */
  current(): Connected | null {
    return this.#connected;
  }

  /** The daemon's first connect: tries until a server answers or the link is closed. */
  async #connectUntilUp(): Promise<Connected> {
    let wait = PERSISTENT_RETRY_MIN_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#connect();
      } catch (e) {
        if (this.#closed) throw e;
        if (attempt === 1 || attempt % 20 === 0) {
          this.#o.logger.warn('nats: cannot connect yet, retrying', { error: natsErrorCode(e), attempt, ...natsErrorDetail(e) });
        }
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.#stop.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      if (this.#closed) throw new Error('NATS link closed');
      wait = Math.min(wait * 2, PERSISTENT_RETRY_MAX_MS);
    }
  }

  /** Every file this link reads, for checkNatsFiles(). */
  #files(): NatsFile[] {
    const o = this.#o;
    const files: NatsFile[] = [];
    const add = (kind: NatsFile['kind'], path: string | null): void => {
      if (path !== null) files.push({ kind, path });
    };
    add('credentials', o.credsFile);
    add('NKey seed', o.nkeySeedFile);
    add('token', o.tokenFile);
    add('TLS CA', o.tls?.caFile ?? null);
    add('TLS certificate', o.tls?.certFile ?? null);
    add('TLS key', o.tls?.keyFile ?? null);
    return files;
  }

  async #connect(): Promise<Connected> {
    const libs = await loadNatsLibs();
    const o = this.#o;
    checkNatsFiles(this.#files());
    const { nats } = libs;
    const authenticators = [];
    if (o.credsFile !== null) {
      const file = o.credsFile;
      authenticators.push(nats.credsAuthenticator(() => readFileSync(file)));
    }
    if (o.nkeySeedFile !== null) {
      const file = o.nkeySeedFile;
      authenticators.push(nats.nkeyAuthenticator(() => new TextEncoder().encode(readFileSync(file, 'utf8').trim())));
    }
    if (o.tokenFile !== null) {
      const file = o.tokenFile;
      authenticators.push(nats.tokenAuthenticator(() => readFileSync(file, 'utf8').trim()));
    }
    const tls = o.tls === null ? undefined : {
      ...(o.tls.caFile === null ? {} : { caFile: o.tls.caFile }),
      ...(o.tls.certFile === null ? {} : { certFile: o.tls.certFile }),
      ...(o.tls.keyFile === null ? {} : { keyFile: o.tls.keyFile }),
    };
    const nc = await nats.connect({
      servers: o.servers,
      name: o.name,
      timeout: o.connectTimeoutMs,
      ...(authenticators.length > 0 ? { authenticator: authenticators } : {}),
      ...(tls === undefined ? {} : { tls }),
      // Once connected, the daemon's connection reconnects for ever (to any server of the cluster);
      // a CLI command's gives up soon and leaves the message to the outbox's schedule.
      ...(o.persistent ? { maxReconnectAttempts: -1, reconnectTimeWait: 500 } : { maxReconnectAttempts: 2, reconnectTimeWait: 200 }),
    });
    if (this.#closed) {
      await nc.close();
      throw new Error('NATS link closed');
    }
    if (o.persistent) void this.#watch(nc);
    const js = libs.js.jetstream(nc);
    const jsm = await libs.js.jetstreamManager(nc, { checkAPI: false });
    if (o.persistent) o.logger.info('nats: connected', { server: nc.getServer() });
    this.#connected = { nc, js, jsm, libs };
    return this.#connected;
  }

  /** Logs disconnects and reconnects (server address only: URLs with credentials are refused by config). */
  async #watch(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.#o.logger.warn('nats: disconnected', { server: s.server });
        else if (s.type === 'reconnect') this.#o.logger.info('nats: reconnected', { server: s.server });
      }
    } catch {
      // The status iterator ends with the connection.
    }
  }

  /** Drains the connection: pending publishes and acks are flushed, subscriptions end. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    const c = this.#connected;
    this.#connected = null;
    if (c === null || c.nc.isClosed()) return;
    // A connection that is reconnecting cannot drain until a server answers: bounded, then closed.
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
    });
    try {
      await Promise.race([c.nc.drain(), bounded]);
    } catch {
      // closed below
    } finally {
      clearTimeout(timer);
    }
    if (!c.nc.isClosed()) await c.nc.close().catch(() => undefined);
  }
}
