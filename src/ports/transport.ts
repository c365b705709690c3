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
  /** `a2a`: `body` is the bare envelope for an A2A peer's JSON-RPC endpoint (the node's transport converts it). */
  binding?: 'hook' | 'a2a';
  /**
   * The peer's base URL, when this hook POST may share one request with others to the same hook
   * (protocol/hook-batch.ts; only peers that advertise `batch/1` get batches). Absent: sent alone.
   */
  batchBase?: string;
  /** Keep this much of the answer's body in `bodySnippet` (default 2048 bytes; the HTTP adapter caps it at 64 KiB). */
  keepBodyBytes?: number;
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
  /** An A2A peer's task for the message (binding `a2a`, when it answered with one). */
  a2aTask?: RemoteA2ATask;
}

/** What a MESH node needs of a task on another A2A server: enough to follow it and read its answer. */
export interface RemoteA2ATask {
  id: string;
  contextId: string;
  /** A2A TaskState name, e.g. TASK_STATE_WORKING. */
  state: string;
  /** The text of its artifacts (or of its status message when it has none), once it has any. */
  text: string | null;
}

export interface Transport {
  send(req: OutboundRequest): Promise<TransportResult>;
  /** Health probe: GET <baseUrl>/health (OpenClaw gateways and mesh serve both answer it). */
  probe(baseUrl: string, timeoutMs: number): Promise<TransportResult>;
  close?(): Promise<void>;
}
