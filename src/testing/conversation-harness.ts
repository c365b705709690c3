/**
 * A conversations service on an in-memory store with a manual clock, seeded ids, recording event and
 * audit sinks, and a scripted outbound port; plus builders for the messages peers send back. Node
 * `alpha` is this node; `beta`, `gamma`, `delta`, `epsilon` are peers.
 */
import { createConversationService, type ConversationService } from '../conversations/conversation-service.ts';
import type { ConversationDeps } from '../conversations/conversation-deps.ts';
import type { InboundConversationResult } from '../conversations/inbound-types.ts';
import type {
  ConversationDeliveryOutcome, ConversationMessage, ConversationOutbound,
} from '../ports/conversation-outbound.ts';
import type { ResponseAuth } from '../ports/conversation-repo.ts';
import type { Logger } from '../ports/logger.ts';
import type { AuditEntry, Store } from '../ports/store.ts';
import { buildEnvelope, type Envelope, type EnvelopeFields } from '../protocol/envelope.ts';
import type { MeshEvent } from '../protocol/events.ts';
import { createIdGenerator, type IdGenerator } from '../protocol/ids.ts';
import type { JsonValue } from '../protocol/json.ts';
import { wireTimestamp } from '../protocol/time.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { ManualClock } from './manual-clock.ts';

export const SELF = 'alpha';

/** Deterministic ids: a counter through a small mixing function, so every run sees the same ids. */
export function seededIds(seed = 1): IdGenerator {
  let state = seed >>> 0;
  return createIdGenerator((n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
    }
    return out;
  });
}

/** An outbound port that records every message and answers with a scripted outcome per target. */
export class FakeOutbound implements ConversationOutbound {
  readonly sent: ConversationMessage[] = [];
  readonly outcomes = new Map<string, ConversationDeliveryOutcome | Error>();
  /** Runs synchronously inside `send`, before it resolves (a peer that answers at once). */
  onSend: ((m: ConversationMessage) => void) | null = null;

  async send(m: ConversationMessage): Promise<ConversationDeliveryOutcome> {
    this.sent.push(m);
    this.onSend?.(m);
    const o = this.outcomes.get(m.target) ?? { status: 'delivered' };
    if (o instanceof Error) throw o;
    return o;
  }

  to(target: string): ConversationMessage[] {
    return this.sent.filter((m) => m.target === target);
  }

  last(target: string): ConversationMessage {
    const m = this.to(target).at(-1);
    if (m === undefined) throw new Error(`nothing was sent to ${target}`);
    return m;
  }
}

export interface ConversationHarness {
  store: Store;
  clock: ManualClock;
  ids: IdGenerator;
  outbound: FakeOutbound;
  events: MeshEvent[];
  audit: AuditEntry[];
  errors: string[];
  deps: ConversationDeps;
  service: ConversationService;
  /** Events of one type, in order. */
  eventsOf<T extends MeshEvent['type']>(type: T): Extract<MeshEvent, { type: T }>[];
  /** Hands a peer's message to `onInbound` (as the inbound pipeline would after verifying it). */
  receive(env: Envelope, auth?: ResponseAuth, body?: string): InboundConversationResult;
}

export function createConversationHarness(opts: { store?: Store; clock?: ManualClock } = {}): ConversationHarness {
  const store = opts.store ?? createMemoryStore();
  const clock = opts.clock ?? new ManualClock();
  const ids = seededIds();
  const outbound = new FakeOutbound();
  const events: MeshEvent[] = [];
  const audit: AuditEntry[] = [];
  const errors: string[] = [];
  const log = (): void => {};
  const logger: Logger = { debug: log, info: log, warn: log, error: (msg) => errors.push(msg) };
  const deps: ConversationDeps = {
    self: SELF, store, outbound, clock, ids, logger,
    events: {
      emit: (e) => {
        const { type, ...data } = e;
        store.events.append(type, data as unknown as JsonValue, clock.now());
        events.push(e);
      },
    },
    audit: { record: (e) => { store.audit.append(e); audit.push(e); } },
  };
  const service = createConversationService(deps);
  return {
    store, clock, ids, outbound, events, audit, errors, deps, service,
    eventsOf: <T extends MeshEvent['type']>(type: T) => events.filter((e): e is Extract<MeshEvent, { type: T }> => e.type === type),
    receive: (env, auth = 'hmac', body) => service.onInbound({ envelope: env, body: body ?? env.payload.body, auth }),
  };
}

let inboundCounter = 0;

/** A message from a peer to `alpha`; fields as buildEnvelope takes them. */
export function fromPeer(from: string, fields: Partial<EnvelopeFields> & Pick<EnvelopeFields, 'type' | 'body'>, clock?: ManualClock): Envelope {
  inboundCounter += 1;
  return buildEnvelope({
    id: `msg_00000000-0000-4000-8000-${inboundCounter.toString(16).padStart(12, '0')}`,
    timestamp: wireTimestamp(clock?.now() ?? Date.UTC(2026, 0, 1)),
    from, to: SELF, nonce: inboundCounter.toString(16).padStart(32, '0'), ...fields,
  });
}

/** The answer `mesh reply` gives to one of our requests: correlationId, replyContext echoed, conversationId kept. */
export function answerTo(request: ConversationMessage, body: string, over: Partial<EnvelopeFields> = {}): Envelope {
  return fromPeer(request.target, {
    type: 'response', body, correlationId: request.id, conversationId: request.conversationId,
    replyContext: request.replyContext, ...over,
  });
}
