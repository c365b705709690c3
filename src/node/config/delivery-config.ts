/** config/mesh.json `delivery`: outbound retry schedule, request time-outs and circuit breaker. */
import type { Obj, Reader } from './config-reader.ts';

export interface DeliveryConfig {
  retryDelaysMs: number[]; requestTimeoutMs: number; connectTimeoutMs: number; breakerFailureThreshold: number; breakerCooldownMs: number;
}

export const DELIVERY_KEYS = ['retryDelaysMs', 'requestTimeoutMs', 'connectTimeoutMs', 'breakerFailureThreshold', 'breakerCooldownMs'] as const;

export function defaultDeliveryConfig(): DeliveryConfig {
  return { retryDelaysMs: [0, 5_000, 15_000, 60_000], requestTimeoutMs: 30_000, connectTimeoutMs: 10_000, breakerFailureThreshold: 3, breakerCooldownMs: 60_000 };
}

export function readDeliveryConfig(r: Reader, dl: Obj | null): DeliveryConfig {
  const d = defaultDeliveryConfig();
  const retry = dl?.['retryDelaysMs'];
  if (retry !== undefined && (!Array.isArray(retry) || retry.length === 0 || !retry.every((x) => Number.isInteger(x) && x >= 0))) {
    r.fail('delivery.retryDelaysMs', 'a non-empty array of non-negative integers (milliseconds)');
  }
  return {
    retryDelaysMs: (retry as number[] | undefined) ?? d.retryDelaysMs,
    requestTimeoutMs: r.int(dl, 'delivery', 'requestTimeoutMs', d.requestTimeoutMs, 100, 600_000),
    connectTimeoutMs: r.int(dl, 'delivery', 'connectTimeoutMs', d.connectTimeoutMs, 100, 600_000),
    breakerFailureThreshold: r.int(dl, 'delivery', 'breakerFailureThreshold', d.breakerFailureThreshold, 1, 1000),
    breakerCooldownMs: r.int(dl, 'delivery', 'breakerCooldownMs', d.breakerCooldownMs, 0, 86_400_000),
  };
}
