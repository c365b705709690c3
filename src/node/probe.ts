import { createHttpTransport } from '../transports/http/http-transport.ts';

export interface ProbeResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  elapsedMs: number;
}

/** GET <baseUrl>/health once. Never throws; never wakes an agent (no hook is called). */
export async function probePeer(baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const transport = createHttpTransport({ timeoutMs, connectTimeoutMs: timeoutMs });
  try {
    const r = await transport.probe(baseUrl, timeoutMs);
    return { ok: r.status !== null && r.status >= 200 && r.status < 300, status: r.status, error: r.networkError, elapsedMs: Math.round(r.elapsedMs) };
  } finally {
    await transport.close?.();
  }
}
