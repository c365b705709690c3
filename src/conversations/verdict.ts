/**
 * Verdicts. `setVerdict` records one on this node, resting on the counted responses of its round (by
 * id and SHA-256 of the body); on a participant node it also sends it to the initiator as a MESH
 * notification (verdict-notice.ts). `recordVerdictNotice` is the initiator's side: a participant's
 * notice becomes the conversation's verdict; anyone else's is refused.
 */
import type { ConversationDeliveryOutcome } from '../ports/conversation-outbound.ts';
import type { ConversationRecord, VerdictRecord } from '../ports/conversation-repo.ts';
import { errorName, auditLocal, invalid, invalidState, notFound, type ConversationDeps } from './conversation-deps.ts';
import { conversationSubject } from './framing.ts';
import type { InboundConversationMessage, InboundConversationResult } from './inbound-types.ts';
import { targetRound } from './round-rules.ts';
import { basisOf, parseVerdictNotice, verdictMetadata, verdictProblem } from './verdict-notice.ts';

/** How long the verdict notification stays deliverable (it may have to wait out a peer's outage). */
export const VERDICT_TTL_SECONDS = 3600;

export interface SetVerdictOptions {
  /** The round it is about; default: the round consensus looks at (the last closed one). */
  round?: number | undefined;
}

export interface SetVerdictResult {
  conversationId: string;
  verdict: VerdictRecord;
  /** The initiator it was sent to (participant nodes only), and how that went. */
  notified: { to: string; messageId: string; outcome: ConversationDeliveryOutcome } | null;
}

function store(deps: ConversationDeps, c: ConversationRecord, v: VerdictRecord, detail: string): void {
  deps.store.conversations.update({ ...c, verdict: v, updatedAt: deps.clock.now() });
  deps.events.emit({
    type: 'consensus.set', conversationId: c.id, round: v.round, verdict: v.verdict, setBy: v.setBy, basisCount: v.basis.length,
  });
  auditLocal(deps, 'conv_verdict', { conversationId: c.id, from: v.setBy, detail });
}

export async function setVerdict(
  deps: ConversationDeps, conversationId: string, verdict: string, summary: string | null, opts: SetVerdictOptions = {},
): Promise<SetVerdictResult> {
  const problem = verdictProblem(verdict, summary);
  if (problem !== null) throw invalid(problem, 'verdict');
  const { c, record } = deps.store.transaction(() => {
    const c = deps.store.conversations.get(conversationId);
    if (c === null) throw notFound(conversationId);
    const r = targetRound(deps.store.conversations.rounds(c.id), opts.round);
    if (r === null) {
      throw opts.round === undefined
        ? invalidState(`conversation ${c.id} has no rounds`, c.id)
        : invalid(`conversation ${c.id} has no round ${opts.round}`, 'round');
    }
    const record: VerdictRecord = {
      verdict, summary, setBy: deps.self, setAt: deps.clock.now(), round: r.round,
      basis: basisOf(deps.store.conversations.responses(c.id, r.round)),
    };
    store(deps, c, record, `${verdict} (round ${r.round}, ${record.basis.length} response(s))`);
    return { c, record };
  });
  if (c.role !== 'participant') return { conversationId: c.id, verdict: record, notified: null };

  const messageId = deps.ids.messageId();
  let outcome: ConversationDeliveryOutcome;
  try {
    outcome = await deps.outbound.send({
      id: messageId, target: c.initiator, type: 'notification',
      body: `Verdict for ${c.id} (round ${record.round}): ${verdict}${summary === null ? '' : `\n\n${summary}`}`,
      subject: conversationSubject(c.id, `Verdict: ${verdict}`), conversationId: c.id, replyContext: null,
      ttlSeconds: VERDICT_TTL_SECONDS, priority: 'normal',
      metadata: verdictMetadata({ conversationId: c.id, round: record.round, verdict, summary, basis: record.basis }),
    });
  } catch (e) {
    deps.logger.error('conversations: verdict notification failed', { conversationId: c.id, error: errorName(e) });
    outcome = { status: 'failed', error: errorName(e) };
  }
  return { conversationId: c.id, verdict: record, notified: { to: c.initiator, messageId, outcome } };
}

function refuse(deps: ConversationDeps, msg: InboundConversationMessage, conversationId: string | null, reason: string): InboundConversationResult {
  auditLocal(deps, 'conv_verdict', {
    conversationId, id: msg.envelope.id, from: msg.envelope.from, to: deps.self, detail: `refused: ${reason}`,
  });
  return { outcome: 'verdict_refused', conversationId, reason };
}

/** A notification whose metadata holds a verdict notice (null: it holds none). Synchronous, store only. */
export function recordVerdictNotice(deps: ConversationDeps, msg: InboundConversationMessage): InboundConversationResult | null {
  const env = msg.envelope;
  const notice = parseVerdictNotice(env.payload.metadata);
  if (notice === null) return null;
  if ('error' in notice) return refuse(deps, msg, null, notice.error);
  if (env.conversationId !== null && env.conversationId !== notice.conversationId) {
    return refuse(deps, msg, notice.conversationId, 'the envelope names another conversation');
  }
  const c = deps.store.conversations.get(notice.conversationId);
  if (c === null || c.role !== 'initiator') return refuse(deps, msg, notice.conversationId, 'not a conversation this node started');
  if (!c.participants.includes(env.from)) return refuse(deps, msg, c.id, `${env.from} is not a participant`);
  const round = deps.store.conversations.round(c.id, notice.round) === null ? c.currentRound : notice.round;
  const record: VerdictRecord = {
    verdict: notice.verdict, summary: notice.summary, setBy: env.from, setAt: deps.clock.now(), round, basis: notice.basis,
  };
  store(deps, c, record, `${notice.verdict} (round ${round}, from participant ${env.from})`);
  return { outcome: 'verdict_recorded', conversationId: c.id, round, setBy: env.from };
}
