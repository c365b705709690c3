/**
 * The one typed event stream of a node. It feeds the event log (SSE with resume), the audit mirror
 * and `mesh status --watch`. Payloads are secret-free.
 */
export type MeshEvent =
  | { type: 'message.queued'; id: string; peer: string; messageType: string }
  | { type: 'message.delivered'; id: string; peer: string; attempts: number; status: number }
  | { type: 'message.retry_scheduled'; id: string; peer: string; attempts: number; nextAttemptAt: number; error: string }
  | { type: 'message.dead_lettered'; id: string; peer: string; reason: string; attempts: number }
  | { type: 'message.expired'; id: string; peer: string }
  | { type: 'message.replayed'; id: string; peer: string }
  | { type: 'message.received'; id: string; from: string; messageType: string; correlationId: string | null }
  | { type: 'message.rejected'; from: string | null; id: string | null; code: string }
  | { type: 'message.handed_off'; id: string; adapter: string }
  | { type: 'message.hand_off_failed'; id: string; adapter: string; error: string; permanent: boolean }
  | { type: 'circuit.opened'; peer: string; until: number }
  | { type: 'circuit.half_opened'; peer: string }
  | { type: 'circuit.closed'; peer: string }
  | { type: 'peer.health'; peer: string; reachable: boolean; latencyMs: number | null };

export type MeshEventType = MeshEvent['type'];
