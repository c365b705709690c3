/**
 * Outbound transport port. The HTTP adapter posts hook bodies; a NATS adapter comes later.
 * A transport never throws for delivery problems: it reports them in TransportResult so that the
 * single classification function (delivery/classify.ts) decides transient vs permanent.
 */
export interface OutboundRequest {
  /** Absolute URL, e.g. http://127.0.0.1:18789/hooks/alpha */
  url: string;
  /** Bearer token for the receiving gateway or node (a secret: never log it). */
  token: string | null;
  /** Exact body bytes (UTF-8 JSON). */
  body: string;
  /** Extra headers (e.g. X-MESH-Signature, Idempotency-Key). */
  headers?: Readonly<Record<string, string>>;
  timeoutMs: number;
  connectTimeoutMs?: number;
}

export interface TransportResult {
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Short error code when no response arrived: timeout | connection_refused | dns | reset | network. */
  networkError: string | null;
  /** Parsed Retry-After, in ms, if the peer sent one. */
  retryAfterMs: number | null;
  /** First bytes of the response body (for error reports; never contains our secrets). */
  bodySnippet: string;
  elapsedMs: number;
}

export interface Transport {
  send(req: OutboundRequest): Promise<TransportResult>;
  /** Health probe: GET <baseUrl>/health (OpenClaw gateways and mesh serve both answer it). */
  probe(baseUrl: string, timeoutMs: number): Promise<TransportResult>;
  close?(): Promise<void>;
}
