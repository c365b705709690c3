import type { AlertDecision, IncidentResolution } from './alerts.ts';
import type {
  ConversationRole, ConversationStatus, ConversationType, CorrelationMethod, RoundStatus,
} from '../ports/conversation-repo.ts';

/**
 * The one typed event stream of a node. It feeds the event log (SSE with resume), the audit mirror
 * and `mesh status --watch`. Payloads are secret-free.
 */
export type MeshEvent =
  | { type: 'message.queued'; id: string; peer: string; messageType: string }
  // `via`: the relay it was handed to (the peer could not be reached directly).
  | { type: 'message.delivered'; id: string; peer: string; attempts: number; status: number; via?: string }
  | { type: 'message.retry_scheduled'; id: string; peer: string; attempts: number; nextAttemptAt: number; error: string }
  | { type: 'message.dead_lettered'; id: string; peer: string; reason: string; attempts: number }
  | { type: 'message.expired'; id: string; peer: string }
  | { type: 'message.replayed'; id: string; peer: string }
  | { type: 'message.received'; id: string; from: string; messageType: string; correlationId: string | null }
  | { type: 'message.rejected'; from: string | null; id: string | null; code: string }
  | { type: 'message.handed_off'; id: string; adapter: string }
  | { type: 'message.hand_off_failed'; id: string; adapter: string; error: string; permanent: boolean }
  /** An alert de-duplicated to `suppressed` (fleet.dedupAlerts): done without waking the agent. */
  | { type: 'message.hand_off_suppressed'; id: string; incidentId: string | null }
  /** A received message was acknowledged (marked read): API, CLI, SDK, MCP or a request's answer. */
  | { type: 'message.read'; id: string }
  /** An A2A task this node serves changed state (docs/a2a.md); `messageId` is the MESH request's id. */
  | { type: 'a2a.task'; taskId: string; client: string; state: string; messageId: string }
  | { type: 'circuit.opened'; peer: string; until: number }
  | { type: 'circuit.half_opened'; peer: string }
  | { type: 'circuit.closed'; peer: string }
  | {
    type: 'peer.health'; peer: string; reachable: boolean; latencyMs: number | null;
    medianMs?: number | null; p95Ms?: number | null; consecutiveFailures?: number;
  }
  // The fleet (fleet/): routes, relay elections (epochs only grow), forwards done by this node as a relay.
  | { type: 'route.changed'; peer: string; route: 'direct' | 'relay'; via: string | null }
  | {
    type: 'relay.elected'; epoch: number; hub: string | null; relay: string | null; electedBy: string;
    source: 'self' | 'announcement';
  }
  | { type: 'relay.election_ignored'; epoch: number; electedBy: string; from: string; reason: ElectionIgnoredReason }
  | { type: 'relay.forwarded'; id: string; from: string; to: string }
  // Conversations: names, ids and counts only (bodies stay in the conversation tables).
  | {
    type: 'conversation.opened'; conversationId: string; conversationType: ConversationType; role: ConversationRole;
    initiator: string; participants: string[];
  }
  | { type: 'round.opened'; conversationId: string; round: number; expected: string[]; quorum: number | null; deadline: number }
  | {
    type: 'response.received'; conversationId: string; round: number; from: string; responseId: string;
    outcome: ResponseOutcome; counted: boolean; fromParticipant: boolean; method: CorrelationMethod;
  }
  | {
    type: 'round.closed'; conversationId: string; round: number; status: Exclude<RoundStatus, 'pending' | 'partial'>;
    answered: number; expected: number;
  }
  | { type: 'conversation.status'; conversationId: string; status: ConversationStatus; reason: string | null }
  | { type: 'consensus.set'; conversationId: string; round: number; verdict: string; setBy: string; basisCount: number }
  // Alert de-duplication (docs/alert-dedup.md): ids, names and counts only, never the alert text.
  | { type: 'incident.opened'; incidentId: string; host: string; check: string }
  | {
    type: 'incident.updated'; incidentId: string; decision: Exclude<AlertDecision, 'recovery'>; alertCount: number;
    windowCount: number; escalated: boolean;
  }
  | { type: 'incident.resolved'; incidentId: string; host: string; check: string; by: IncidentResolution; alertCount: number }
  // Collaborative sessions (keyed by the envelope's session.key): names and ids only.
  | { type: 'session.message'; key: string; direction: 'in' | 'out'; from: string; to: string; messageId: string | null }
  | { type: 'session.status'; key: string; status: 'active' | 'closed' | 'deleted'; participants: string[] };

/**
 * What became of a response: counted; a second one from the same agent in the round (kept, not
 * counted); from a non-participant (flagged); for a round or conversation already closed (late); from
 * a participant the round does not wait for (not_expected); posted to the local API's side channel,
 * unauthenticated (unverified: shown, never counted).
 */
export type ResponseOutcome = 'recorded' | 'duplicate' | 'flagged' | 'late' | 'not_expected' | 'unverified';

/**
 * Why an election announcement was not followed: an older or equal-and-losing epoch (stale), not
 * signed, signed by someone other than its `electedBy`, about another hub than ours, naming a relay
 * we do not know, or not an announcement we can read (malformed).
 */
export type ElectionIgnoredReason = 'stale' | 'unsigned' | 'not_elector' | 'other_hub' | 'unknown_relay' | 'malformed';

export type MeshEventType = MeshEvent['type'];
