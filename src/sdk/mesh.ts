/**
 * The SDK: a node of MESH for TypeScript programs, opened by its home folder. A thin, typed facade
 * over the same use cases the `mesh` CLI runs (node/): send, request, reply, the inbox, the event
 * log, conversations, peers and status. It never writes to the console; errors are MeshError with
 * the CLI's stable codes (INVALID_ARGUMENT, UNKNOWN_AGENT, NOT_FOUND, TIMEOUT, DELIVERY_FAILED, …).
 *
 * Like every `mesh` command, a Mesh works on the node's database directly; what needs time (later
 * retries, receiving, answers arriving) is the job of the node's daemon, `mesh serve`, which must run
 * for `request`, `rally` answers and incoming messages. docs/sdk.md is the reference.
 */
import { acknowledgeMessages } from '../node/acknowledge.ts';
import { awaitRound } from '../node/await-round.ts';
import { inboxDetail, inboxView, type MessageDetail, type MessageView } from '../node/inbox-view.ts';
import { openNode, type MeshNode } from '../node/mesh-node.ts';
import { conversationsOf, type ConsensusReport, type ConversationView, type SetVerdictResult } from '../node/node-conversations.ts';
import { peerViews, type PeersView } from '../node/peer-views.ts';
import { resolveOriginal, replyToMessage } from '../node/reply.ts';
import { requestAndAwait } from '../node/request-response.ts';
import { roundHasConsensus, roundInput } from '../node/round-input.ts';
import { draftAttachments, sendMessage, type SendInput, type TargetResult } from '../node/send-message.ts';
import { statusSnapshot, type StatusSnapshot } from '../node/status-snapshot.ts';
import { EventSubscription, type EventFilter, type SubscribeOptions } from '../node/event-subscription.ts';
import type { ConversationRecord } from '../ports/conversation-repo.ts';
import type { InboxFilter } from '../ports/store.ts';
import { isMessageType } from '../protocol/envelope.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { getField } from '../protocol/json.ts';
import type {
  InboxListOptions, MessageMatch, MessageOptions, OpenMeshOptions, RallyOptions, RallyResult, ReplyOptions, RequestOptions,
  SendOptions, WaitForMessageOptions,
} from './sdk-types.ts';

export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;
export const DEFAULT_INBOX_LIMIT = 100;
const MAX_TTL_SECONDS = 30 * 86_400;

/** What one target of a send came to (delivered, queued for retry, dead_lettered, expired, error). */
export type SendResult = Omit<TargetResult, 'envelope'>;

function invalid(message: string): MeshError {
  return new MeshError(MeshErrorCode.InvalidArgument, message);
}

function positiveMs(value: number | undefined, name: string, fallback?: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalid(`${name} must be a number of milliseconds above 0`);
  return v;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${name} must be a non-empty string`);
  return value;
}

function publicResult(r: TargetResult): SendResult {
  const { envelope: _envelope, ...rest } = r;
  return rest;
}

/** The node's SendInput fields for these options: checked as the CLI checks its flags. */
function draftOf(node: MeshNode, target: string, o: MessageOptions): Omit<SendInput, 'target' | 'type' | 'body'> {
  const ttl = o.ttlSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS)) throw invalid(`ttlSeconds must be whole seconds 1..${MAX_TTL_SECONDS}`);
  if (o.metadata !== undefined && (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata))) throw invalid('metadata must be a JSON object');
  const attachments = draftAttachments(node, target, o.attachments ?? [], o.files ?? [], o);
  return {
    subject: o.subject, priority: o.priority, ttlSeconds: ttl, correlationId: o.correlationId, conversationId: o.conversationId,
    idempotencyKey: o.idempotencyKey, metadata: o.metadata, replyContext: o.replyContext,
    session: o.sessionKey === undefined ? undefined : { key: o.sessionKey }, attachments, encrypt: o.encrypt,
    clearAttachments: o.clearAttachments, noRetry: o.noRetry,
  };
}

/** The error a request that never got out (or was dead-lettered) rejects with. */
function notSent(r: TargetResult): MeshError {
  const code = r.status === 'error' && typeof r.reason === 'string' && (Object.values(MeshErrorCode) as string[]).includes(r.reason)
    ? (r.reason as MeshErrorCode) : MeshErrorCode.DeliveryFailed;
  return new MeshError(code, `the request to ${r.peer} was not delivered (${r.status}${r.error === undefined ? '' : `: ${r.error}`})`, {
    details: { requestId: r.id, peer: r.peer, status: r.status, reason: r.reason ?? null },
  });
}

function matches(m: MessageView, want: MessageMatch): boolean {
  return (want.from === undefined || m.from === want.from) && (want.type === undefined || m.type === want.type) &&
    (want.correlationId === undefined || m.correlationId === want.correlationId) &&
    (want.conversationId === undefined || m.conversationId === want.conversationId);
}

/** The received messages of a node: list, read one, acknowledge (mark read). */
export class MeshInbox {
  readonly #node: MeshNode;

  constructor(node: MeshNode) {
    this.#node = node;
  }

  /** Oldest first; the first `limit` (default 100) matching messages. */
  list(o: InboxListOptions = {}): MessageView[] {
    const limit = o.limit ?? DEFAULT_INBOX_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw invalid('limit must be a whole number above 0');
    const filter: InboxFilter = {
      limit,
      ...(o.unread === undefined ? {} : { unread: o.unread }),
      ...(o.from === undefined ? {} : { from: o.from }),
      ...(o.type === undefined ? {} : { type: o.type }),
      ...(o.since === undefined ? {} : { since: o.since }),
      ...(o.after === undefined ? {} : { after: o.after }),
    };
    return this.#node.store.inbox.list(filter).map(inboxView);
  }

  /** One message with its envelope (tokens masked); NOT_FOUND when the inbox has no such id. */
  read(id: string, o: { markRead?: boolean } = {}): MessageDetail {
    const m = this.#node.store.inbox.get(text(id, 'id'));
    if (m === null) throw new MeshError(MeshErrorCode.NotFound, `no received message with id "${id.slice(0, 80)}"`);
    if (o.markRead === true) acknowledgeMessages(this.#node, [m.id], this.#node.clock.now());
    return inboxDetail(this.#node.store.inbox.get(m.id) ?? m);
  }

  /**
   * Marks messages read (acknowledged), so `list({ unread: true })` leaves them out. Returns how many
   * were unread until now; NOT_FOUND when an id is not in the inbox.
   */
  ack(ids: string | readonly string[]): number {
    const list = typeof ids === 'string' ? [ids] : [...ids];
    for (const id of list) {
      if (this.#node.store.inbox.get(text(id, 'id')) === null) throw new MeshError(MeshErrorCode.NotFound, `no received message with id "${id.slice(0, 80)}"`);
    }
    return acknowledgeMessages(this.#node, list, this.#node.clock.now()).length;
  }
}

export class Mesh {
  readonly #node: MeshNode;
  readonly #owned: boolean;
  /** Open subscriptions: close() ends them (a pending next() resolves done). */
  readonly #subscriptions = new Set<EventSubscription>();
  readonly inbox: MeshInbox;

  private constructor(node: MeshNode, owned: boolean) {
    this.#node = node;
    this.#owned = owned;
    this.inbox = new MeshInbox(node);
  }

  /** Opens the node of a home folder (NOT_INITIALIZED when there is none: `mesh init`). */
  static open(o: OpenMeshOptions = {}): Mesh {
    return new Mesh(openNode({ home: o.home, env: o.env ?? process.env, ...(o.logger === undefined ? {} : { logger: o.logger }) }), true);
  }

  /**
   * A Mesh on a node this process already has open, e.g. the one a daemon runs on in this process:
   * then `subscribe` hears the daemon's events the moment they commit. `close()` leaves it open.
   */
  static fromNode(node: MeshNode): Mesh {
    return new Mesh(node, false);
  }

  /** This node's agent name. */
  get agent(): string {
    return this.#node.self;
  }

  get home(): string {
    return this.#node.layout.home;
  }

  /** Sends to an agent, several (`a,b`), `all` or `@group`; one result per target. Per-target failures are results, not errors. */
  async send(to: string, body: string, o: SendOptions = {}): Promise<SendResult[]> {
    const type = o.type ?? 'notification';
    if (!isMessageType(type)) throw invalid(`unknown message type "${String(type).slice(0, 40)}"`);
    const target = text(to, 'to');
    const results = await sendMessage(this.#node, { ...draftOf(this.#node, target, o), target, type, body: text(body, 'body') });
    return results.map(publicResult);
  }

  /**
   * Sends a request to one agent and resolves with its correlated response (marked read). Rejects
   * with TIMEOUT when none came in `timeoutMs`, DELIVERY_FAILED when the request was dead-lettered or
   * expired, the refusal's code when it could not be sent at all (e.g. KEY_MISSING), and the signal's
   * reason when aborted. Answers reach this node through its daemon (`mesh serve`).
   */
  async request(to: string, body: string, o: RequestOptions = {}): Promise<MessageView> {
    const target = text(to, 'to');
    const timeoutMs = positiveMs(o.timeoutMs, 'timeoutMs', DEFAULT_REQUEST_TIMEOUT_MS);
    const signal = o.signal ?? new AbortController().signal;
    const draft = draftOf(this.#node, target, o);
    const outcome = await requestAndAwait(this.#node, { ...draft, target, body: text(body, 'body') }, { timeoutMs, signal });
    if (outcome.response !== null) return inboxView(outcome.response);
    switch (outcome.end) {
      case 'interrupted':
        throw signal.reason;
      case 'timeout':
        throw new MeshError(MeshErrorCode.Timeout, `no response from ${target} within ${timeoutMs} ms`, {
          details: { requestId: outcome.request.id, peer: target, timeoutMs },
        });
      default:
        throw notSent(outcome.request);
    }
  }

  /** Answers a received message (by id): a `response` to its sender, correlationId set, replyContext echoed. */
  async reply(messageId: string, body: string, o: ReplyOptions = {}): Promise<SendResult> {
    const original = resolveOriginal(this.#node, text(messageId, 'messageId'));
    const draft = draftOf(this.#node, original.from, o);
    const [result] = await replyToMessage(this.#node, original, text(body, 'body'), draft);
    if (result === undefined) throw new MeshError(MeshErrorCode.Internal, 'the reply produced no result');
    return publicResult(result);
  }

  /**
   * Follows the node's event log as an async iterator, from `after` (the last sequence number you
   * have; default: now, live only). Resume later with `after: subscription.cursor`: nothing is missed
   * or repeated, across restarts of the daemon or of this program (docs/sdk.md: how it is woken).
   * Break out of the loop, call `close()`, or abort `signal` to stop.
   */
  subscribe(filter: EventFilter = {}, o: Omit<SubscribeOptions, 'filter'> = {}): EventSubscription {
    let sub: EventSubscription | null = null;
    const onClose = (): void => {
      if (sub !== null) this.#subscriptions.delete(sub);
    };
    sub = new EventSubscription(this.#node, { ...o, filter, onClose });
    if (!sub.closed) this.#subscriptions.add(sub);
    return sub;
  }

  /**
   * Waits for a received message that matches (from, type, correlationId, conversationId), driven by
   * the event log (`subscribe`). Resolves with it, or null when `timeoutMs` passed first; rejects with
   * the signal's reason when aborted.
   */
  async waitForMessage(match: MessageMatch, o: WaitForMessageOptions): Promise<MessageView | null> {
    const timeoutMs = positiveMs(o.timeoutMs, 'timeoutMs');
    const { store } = this.#node;
    let after = o.after;
    const found = (m: MessageView): MessageView => {
      if (o.markRead === true) acknowledgeMessages(this.#node, [m.id], this.#node.clock.now());
      return o.markRead === true ? { ...m, read: true, readAt: store.inbox.get(m.id)?.readAt ?? null } : m;
    };
    if (after === undefined) {
      after = store.events.latestSeq(); // first: anything received after this read is in the log past it
      const waiting = (match.correlationId === undefined
        ? store.inbox.list({ unread: true, ...(match.from === undefined ? {} : { from: match.from }), ...(match.type === undefined ? {} : { type: match.type }) })
        : store.inbox.findByCorrelation(match.correlationId).filter((m) => m.readAt === null)).map(inboxView).find((m) => matches(m, match));
      if (waiting !== undefined) return found(waiting);
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = o.signal === undefined ? timeout : AbortSignal.any([o.signal, timeout]);
    const sub = this.subscribe({
      types: ['message.received'],
      where: (r) => (match.from === undefined || getField(r.data, 'from') === match.from) &&
        (match.type === undefined || getField(r.data, 'messageType') === match.type) &&
        (match.correlationId === undefined || getField(r.data, 'correlationId') === match.correlationId),
    }, { after, signal });
    try {
      for await (const r of sub) {
        const m = store.inbox.get(String(getField(r.data, 'id')));
        if (m === null) continue; // pruned since
        const view = inboxView(m);
        if (matches(view, match)) return found(view);
      }
    } finally {
      sub.close();
    }
    if (o.signal?.aborted === true) throw o.signal.reason;
    return null;
  }

  /**
   * Asks several agents one question (a rally, or another conversation type), or the next round of a
   * conversation with the earlier rounds as shared context. With `waitMs`, resolves once the round
   * ended (every answer, the quorum, its deadline) or the wait did, with the answers and consensus.
   */
  async rally(question: string, o: RallyOptions = {}): Promise<RallyResult> {
    const node = this.#node;
    const conversations = conversationsOf(node);
    const waitMs = o.waitMs === undefined ? null : positiveMs(o.waitMs, 'waitMs');
    const input = roundInput(node, conversations, { ...o, question: text(question, 'question') });
    const fromSeq = node.store.events.latestSeq();
    const opened = o.type === undefined ? await conversations.openRally(input) : await conversations.converse(o.type, input);
    if (waitMs === null) return { opened, end: null, conversation: conversations.get(opened.conversationId), consensus: null };
    const { end, view } = await awaitRound(node, conversations, {
      conversationId: opened.conversationId, round: opened.round, fromSeq, timeoutMs: waitMs, signal: o.signal ?? new AbortController().signal,
    });
    const type = view?.conversation.type ?? opened.type;
    const consensus = view !== null && roundHasConsensus(type) ? conversations.consensus(opened.conversationId, { round: opened.round }) : null;
    return { opened, end, conversation: view, consensus };
  }

  /** One conversation with its rounds, requests and responses; null when this node has none by that id. */
  conversation(conversationId: string): ConversationView | null {
    return conversationsOf(this.#node).get(text(conversationId, 'conversationId'));
  }

  /** Conversations, newest first; closed and cancelled ones only with `all`. */
  conversations(o: { all?: boolean; limit?: number } = {}): ConversationRecord[] {
    return conversationsOf(this.#node).list(o);
  }

  /** The consensus of a round (default: the last that closed, else the last); NOT_FOUND for an unknown conversation. */
  consensus(conversationId: string, o: { round?: number } = {}): ConsensusReport {
    return conversationsOf(this.#node).consensus(text(conversationId, 'conversationId'), { round: o.round });
  }

  /** Records a verdict on a round's counted answers; a participant node also sends it to the initiator. */
  setVerdict(conversationId: string, verdict: string, o: { summary?: string; round?: number } = {}): Promise<SetVerdictResult> {
    return conversationsOf(this.#node).setVerdict(text(conversationId, 'conversationId'), text(verdict, 'verdict'), o.summary ?? null, { round: o.round });
  }

  /** The agents this node can reach (names, roles, addresses, groups; never tokens). */
  peers(): PeersView {
    return peerViews(this.#node);
  }

  /** The node in brief: peers with health, circuits, queue depth and dead letters. */
  status(): StatusSnapshot {
    return statusSnapshot(this.#node);
  }

  /** Ends its subscriptions and closes the database and connections (a Mesh from `fromNode` leaves the node open). */
  async close(): Promise<void> {
    for (const sub of [...this.#subscriptions]) sub.close();
    if (this.#owned) await this.#node.close();
  }
}

/** Opens the node of a home folder: `openMesh({ home: '/srv/mesh' })`, or $MESH_HOME / ~/.mesh. */
export function openMesh(o: OpenMeshOptions = {}): Mesh {
  return Mesh.open(o);
}
