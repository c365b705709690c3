/** config/mesh.json `serve`: the receiver `mesh serve` runs for peers, and its rate limits. */
import type { Obj, Reader } from './config-reader.ts';

export const DEFAULT_SERVE_PORT = 18790;

export interface ServeConfig {
  host: string; port: number; maxBodyBytes: number;
  /** Per authenticated sender (charged by the inbound pipeline). */
  rateLimitPerSecond: number; rateLimitBurst: number;
  /** Per client address, before authentication (charged by the HTTP receiver; protects CPU). */
  addressRateLimitPerSecond: number; addressRateLimitBurst: number;
}

export const SERVE_KEYS = ['host', 'port', 'maxBodyBytes', 'rateLimitPerSecond', 'rateLimitBurst', 'addressRateLimitPerSecond', 'addressRateLimitBurst'] as const;

export function defaultServeConfig(): ServeConfig {
  return {
    host: '127.0.0.1', port: DEFAULT_SERVE_PORT, maxBodyBytes: 256 * 1024, rateLimitPerSecond: 20, rateLimitBurst: 100,
    addressRateLimitPerSecond: 200, addressRateLimitBurst: 1000,
  };
}

export function readServeConfig(r: Reader, s: Obj | null): ServeConfig {
  const d = defaultServeConfig();
  return {
    host: r.str(s, 'serve', 'host', d.host),
    port: r.int(s, 'serve', 'port', d.port, 0, 65535),
    maxBodyBytes: r.int(s, 'serve', 'maxBodyBytes', d.maxBodyBytes, 1024, 64 * 1024 * 1024),
    rateLimitPerSecond: r.int(s, 'serve', 'rateLimitPerSecond', d.rateLimitPerSecond, 1, 100_000),
    rateLimitBurst: r.int(s, 'serve', 'rateLimitBurst', d.rateLimitBurst, 1, 1_000_000),
    addressRateLimitPerSecond: r.int(s, 'serve', 'addressRateLimitPerSecond', d.addressRateLimitPerSecond, 1, 1_000_000),
    addressRateLimitBurst: r.int(s, 'serve', 'addressRateLimitBurst', d.addressRateLimitBurst, 1, 1_000_000),
  };
}
