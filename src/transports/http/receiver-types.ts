/**
 * What the receiver app needs from the inbound pipeline, declared structurally so this adapter does
 * not import src/inbound (adapters may not import services). The pipeline's InboundRequest and
 * InboundResult satisfy these shapes; the composition root passes `(req) => pipeline.handle(req)`.
 */
export interface ReceiverInboundRequest {
  /** Sender named by the URL path (`/hooks/<sender>`), or null for `/hooks/agent`. */
  pathSender: string | null;
  /** The request body exactly as received (UTF-8). */
  bodyText: string;
  /** True: the body is the `{"message": …}` hook wrapper. */
  wrapped: boolean;
}

export interface ReceiverInboundResult {
  status: number;
  /** JSON-serialisable answer body, e.g. `{ ok: true, id }` or `{ ok: false, code, error }`. */
  body: unknown;
  /** Sent as Retry-After (whole seconds, rounded up) when set, e.g. with a 429 from the sender's rate limit. */
  retryAfterMs?: number;
}

export type InboundHandler = (
  req: ReceiverInboundRequest,
) => ReceiverInboundResult | Promise<ReceiverInboundResult>;
