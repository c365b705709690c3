/**
 * config/mesh.json `api`: the local API listener of `mesh serve` (JSON API, event stream,
 * dashboard). `port` null = not set: the default port, which `mesh serve` skips with a warning when
 * it is taken (a set port that is taken is an error). Bound to a non-loopback host, every request
 * needs the API token; `requireToken` asks for it on loopback too (hosts shared by several users).
 */
import type { Obj, Reader } from './config-reader.ts';

/** The local API and dashboard listener (the seed README's port). */
export const DEFAULT_API_PORT = 8880;
export const DEFAULT_API_MAX_BODY_BYTES = 256 * 1024;
/** Live event streams (`GET /api/events`) open at once; more are refused with 503. */
export const DEFAULT_API_MAX_EVENT_STREAMS = 64;
/** Bytes of events queued for one stream client; past it live events wait in the log for it instead. */
export const DEFAULT_API_EVENT_STREAM_BUFFER_BYTES = 1024 * 1024;
/** How long a stream client may leave a full buffer unread before it is cut off. */
export const DEFAULT_API_EVENT_STREAM_STALL_MS = 30_000;

export interface ApiConfig {
  enabled: boolean; host: string; port: number | null; requireToken: boolean; maxBodyBytes: number;
  maxEventStreams: number; eventStreamBufferBytes: number; eventStreamStallMs: number;
}

export const API_KEYS = ['enabled', 'host', 'port', 'requireToken', 'maxBodyBytes', 'maxEventStreams', 'eventStreamBufferBytes', 'eventStreamStallMs'] as const;

export function defaultApiConfig(): ApiConfig {
  return {
    enabled: true, host: '127.0.0.1', port: null, requireToken: false, maxBodyBytes: DEFAULT_API_MAX_BODY_BYTES,
    maxEventStreams: DEFAULT_API_MAX_EVENT_STREAMS, eventStreamBufferBytes: DEFAULT_API_EVENT_STREAM_BUFFER_BYTES,
    eventStreamStallMs: DEFAULT_API_EVENT_STREAM_STALL_MS,
  };
}

export function readApiConfig(r: Reader, ap: Obj | null): ApiConfig {
  const d = defaultApiConfig();
  return {
    enabled: r.bool(ap, 'api', 'enabled', d.enabled),
    host: r.str(ap, 'api', 'host', d.host),
    port: ap?.['port'] === undefined ? null : r.int(ap, 'api', 'port', DEFAULT_API_PORT, 0, 65535),
    requireToken: r.bool(ap, 'api', 'requireToken', d.requireToken),
    maxBodyBytes: r.int(ap, 'api', 'maxBodyBytes', d.maxBodyBytes, 1024, 16 * 1024 * 1024),
    maxEventStreams: r.int(ap, 'api', 'maxEventStreams', d.maxEventStreams, 1, 10_000),
    eventStreamBufferBytes: r.int(ap, 'api', 'eventStreamBufferBytes', d.eventStreamBufferBytes, 4096, 256 * 1024 * 1024),
    eventStreamStallMs: r.int(ap, 'api', 'eventStreamStallMs', d.eventStreamStallMs, 100, 3_600_000),
  };
}
