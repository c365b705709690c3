/**
 * The conversation part of the Store port (rallies, multi-round discussions, consensus verdicts).
 * Same conventions as store.ts: times are epoch milliseconds, methods are synchronous and atomic on
 * their own, "not found" is null/false, and the service groups calls with `Store.transaction`.
 * The rules (who counts, when a round completes) belong to src/conversations/; the repo only keeps
 * what it is given.
 */

export const CONVERSATION_TYPES = ['rally', 'collab', 'escalation', 'broadcast', 'opinion', 'brainstorm'] as const;
export type ConversationType = (typeof CONVERSATION_TYPES)[number];
export const isConversationType = (s: string): s is ConversationType => (CONVERSATION_TYPES as readonly string[]).includes(s);

/** initiator: this node asked; participant: this node was asked (it records the invitation). */
export type ConversationRole = 'initiator' | 'participant';

export const CONVERSATION_STATUSES = ['active', 'complete', 'timeout', 'closed', 'cancelled'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
/** Statuses that no longer change by themselves (cleanup removes old ones). */
export const TERMINAL_CONVERSATION_STATUSES: readonly ConversationStatus[] = ['complete', 'timeout', 'closed', 'cancelled'];

export type RoundStatus = 'pending' | 'partial' | 'complete' | 'superseded' | 'timeout';
/** How a response was authenticated by the inbound pipeline. */
export type ResponseAuth = 'hmac' | 'ed25519' | 'none';
/**
 * Which rule tied a response to its round (the first four are tried in this order on verified
 * messages); `api`: posted to the local API's response-ingestion endpoint (bash's side channel),
 * unauthenticated and never counted.
 */
export type CorrelationMethod = 'correlation' | 'reply_context' | 'conversation_id' | 'subject' | 'api';

/** One counted response a verdict rests on: its envelope id and the SHA-256 (hex) of its body. */
export interface VerdictBasisEntry {
  responseId: string;
  agent: string;
  sha256: string;
}

export interface VerdictRecord {
  verdict: string;
  summary: string | null;
  /** Agent that set it: this node, or the participant whose verdict notification was recorded. */
  setBy: string;
  setAt: number;
  round: number;
  basis: VerdictBasisEntry[];
}

/** The label an agent's answers carry in anonymised context blocks (A, B, C…). */
export interface AnonLabel {
  agent: string;
  label: string;
}

export interface ConversationRecord {
  /** `conv_<epoch seconds>_<8 hex>`. */
  id: string;
  type: ConversationType;
  role: ConversationRole;
  initiator: string;
  /** Everyone asked so far, in order of first invitation. */
  participants: string[];
  subject: string;
  ttlSeconds: number;
  createdAt: number;
  updatedAt: number;
  /** When the latest round (and with it the conversation) times out. */
  deadline: number;
  status: ConversationStatus;
  /** Why the status was set (close/cancel reason, "round 2 timed out with 1/3 answers"…), or null. */
  statusReason: string | null;
  /** Number of the latest round (rounds are 1, 2, 3…). */
  currentRound: number;
  /** Share prior answers without names in later rounds. */
  anonymize: boolean;
  /** broadcast: acknowledgements are requested and tracked. */
  ack: boolean;
  /** escalation: the chain, in order; round k asks chain[k-1]. Empty for other types. */
  escalationChain: string[];
  /** Stable anonymisation labels, assigned as agents first appear in a context block. */
  labels: AnonLabel[];
  verdict: VerdictRecord | null;
}

export interface RoundRecord {
  conversationId: string;
  round: number;
  /** The question as asked (without framing or shared context); for a participant, the body received. */
  question: string;
  createdAt: number;
  deadline: number;
  /** Agents whose answers the round waits for (a participant node stores replyContext.participants). */
  expected: string[];
  /** Complete at this many answers; null = all expected. */
  quorum: number | null;
  status: RoundStatus;
  closedAt: number | null;
}

export interface ResponseRecord {
  /** Envelope id of the response (unique). */
  id: string;
  conversationId: string;
  round: number;
  /** Sender. */
  agent: string;
  correlationId: string | null;
  /** Full plaintext body. */
  body: string;
  receivedAt: number;
  auth: ResponseAuth;
  correlatedBy: CorrelationMethod;
  /** The first response of an expected participant in an open round; later ones are kept, not counted. */
  counted: boolean;
  /** false = the sender is not a participant of the conversation (flagged). */
  fromParticipant: boolean;
}

/** Delivery of one outgoing request: 'pending' until the outbound port answered. */
export type RequestDelivery = 'pending' | 'delivered' | 'queued' | 'dead_lettered' | 'expired' | 'failed';

/** An outgoing request of a round, written before it is sent so a fast answer correlates. */
export interface ConversationRequestRecord {
  /** Envelope id of the request (= correlationId of its answer). */
  id: string;
  conversationId: string;
  round: number;
  /** Target agent. */
  agent: string;
  createdAt: number;
  delivery: RequestDelivery;
  error: string | null;
}

export interface ConversationSearch {
  /** Initiator or participant (exact name). */
  agent?: string;
  type?: ConversationType;
  /** One status, or any of several. */
  status?: ConversationStatus | readonly ConversationStatus[];
  role?: ConversationRole;
  /** createdAt >= since. */
  since?: number;
  /**
   * Text in a round's question or a response body. SQLite: the words as a phrase, the last one as a
   * prefix (FTS5); memory: case-insensitive substring. Whole words behave the same in both.
   */
  query?: string;
  limit?: number;
}

export interface ConversationStats {
  byStatus: Partial<Record<ConversationStatus, number>>;
  byType: Partial<Record<ConversationType, number>>;
  byRole: Partial<Record<ConversationRole, number>>;
  /** Initiator rounds only: answers expected in total, and counted answers received. */
  expectedAnswers: number;
  countedAnswers: number;
}

/** A conversation's current round at a glance (listings): who answered in a way that counts, how many responses. */
export interface CurrentRoundDigest {
  round: RoundRecord;
  /** Agents with a counted response in the round (any order). */
  answered: string[];
  /** Responses recorded for the round, counted or not. */
  responses: number;
}

export interface ConversationRepo {
  /** Inserts; false (and no change) when the id exists. */
  create(c: ConversationRecord): boolean;
  get(id: string): ConversationRecord | null;
  /** Replaces every field of an existing conversation; a missing one stays missing. */
  update(c: ConversationRecord): void;
  /** Every filter applies together; newest created first. */
  search(filter?: ConversationSearch): ConversationRecord[];
  /** Active conversations, earliest deadline first (the scheduler's work list). */
  active(limit?: number): ConversationRecord[];
  /** Deletes conversations in a terminal status last updated before `before`, with their rounds, responses and requests. Returns their ids. */
  deleteTerminal(before: number): string[];
  stats(): ConversationStats;

  /** Inserts; false when (conversationId, round) exists. The question is never changed afterwards. */
  addRound(r: RoundRecord): boolean;
  /** Updates expected, quorum, deadline, status and closedAt of an existing round. */
  updateRound(r: RoundRecord): void;
  round(conversationId: string, round: number): RoundRecord | null;
  /** Ascending by round number. */
  rounds(conversationId: string): RoundRecord[];
  /**
   * The current round (`currentRound`) of each conversation given, with its counted answerers and
   * response count, in one read; conversations without that round are left out. Any order.
   */
  currentRounds(conversationIds: readonly string[]): CurrentRoundDigest[];

  /** Inserts; false (and no change) when a response with this envelope id exists. */
  addResponse(r: ResponseRecord): boolean;
  response(id: string): ResponseRecord | null;
  /** Ordered by round, then arrival (receivedAt, then insertion). */
  responses(conversationId: string, round?: number): ResponseRecord[];

  /** Inserts or replaces by id. */
  putRequest(r: ConversationRequestRecord): void;
  request(id: string): ConversationRequestRecord | null;
  /** Ordered by round, then insertion. */
  requests(conversationId: string, round?: number): ConversationRequestRecord[];
  setRequestDelivery(id: string, delivery: RequestDelivery, error: string | null): void;
}
