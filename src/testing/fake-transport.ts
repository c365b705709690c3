/**
 * A scripted Transport for tests. Each send/probe takes the next scripted reply (or the default),
 * records the request, and can be held open by a `Deferred` so tests control when it completes.
 */
import type { OutboundRequest, Transport, TransportResult } from '../ports/transport.ts';

export function httpResult(status: number, retryAfterMs: number | null = null): TransportResult {
  return { status, networkError: null, retryAfterMs, bodySnippet: '', elapsedMs: 1 };
}

export function networkFailure(code = 'connection_refused'): TransportResult {
  return { status: null, networkError: code, retryAfterMs: null, bodySnippet: '', elapsedMs: 1 };
}

/** A result a test releases by hand. */
export class Deferred {
  readonly promise: Promise<TransportResult>;
  #resolve!: (r: TransportResult) => void;
  constructor() {
    this.promise = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }
  resolve(r: TransportResult): void {
    this.#resolve(r);
  }
}

export type Reply = TransportResult | Deferred | ((req: OutboundRequest) => TransportResult);

export interface ProbeCall {
  baseUrl: string;
  timeoutMs: number;
}

export class FakeTransport implements Transport {
  readonly sent: OutboundRequest[] = [];
  readonly probes: ProbeCall[] = [];
  #sendScript: Reply[] = [];
  #probeScript: TransportResult[] = [];
  #defaultSend: Reply = httpResult(202);
  #defaultProbe: TransportResult = httpResult(200);
  #inFlight = 0;
  #maxInFlight = 0;

  /** Queues replies for the next sends, in order. */
  script(...replies: Reply[]): this {
    this.#sendScript.push(...replies);
    return this;
  }

  /** Reply used once the script is empty. */
  setDefault(reply: Reply): this {
    this.#defaultSend = reply;
    return this;
  }

  scriptProbe(...results: TransportResult[]): this {
    this.#probeScript.push(...results);
    return this;
  }

  setDefaultProbe(result: TransportResult): this {
    this.#defaultProbe = result;
    return this;
  }

  /** Highest number of sends that were in flight at once. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Envelope ids of the requests sent, in order (from the Idempotency-Key header). */
  sentIds(): string[] {
    return this.sent.map((r) => r.headers?.['Idempotency-Key'] ?? '');
  }

  async send(req: OutboundRequest): Promise<TransportResult> {
    this.sent.push(req);
    const reply = this.#sendScript.shift() ?? this.#defaultSend;
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    try {
      if (reply instanceof Deferred) return await reply.promise;
      return typeof reply === 'function' ? reply(req) : reply;
    } finally {
      this.#inFlight--;
    }
  }

  async probe(baseUrl: string, timeoutMs: number): Promise<TransportResult> {
    this.probes.push({ baseUrl, timeoutMs });
    return this.#probeScript.shift() ?? this.#defaultProbe;
  }
}
