/**
 * Messages and conversations as MCP tools and resources return them: our own facts (ids, sender,
 * type, times, authentication) beside an `untrusted` object holding what another agent wrote (body,
 * subject, metadata), so a model can tell data from instructions. Inline attachment data is left
 * out (its size is given); bodies past MAX_BODY_CHARS are cut, with `truncated` saying so.
 */
import type { ConsensusReport, ConversationView, MessageView } from '../sdk/sdk-types.ts';

export const MAX_BODY_CHARS = 20_000;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function cut(text: string): { text: string; truncated: boolean } {
  return text.length > MAX_BODY_CHARS ? { text: text.slice(0, MAX_BODY_CHARS), truncated: true } : { text, truncated: false };
}

export function messageData(m: MessageView): Record<string, unknown> {
  const body = cut(m.body);
  return {
    id: m.id, from: m.from, to: m.to, type: m.type, receivedAt: iso(m.receivedAt), read: m.read,
    correlationId: m.correlationId, conversationId: m.conversationId, auth: m.auth, encrypted: m.encrypted,
    attachments: m.attachments.map((a) => (a.type === 'inline'
      ? { type: 'inline', filename: a.filename ?? null, mimeType: a.mimeType ?? null, base64Chars: a.data.length }
      : { type: 'url', filename: a.filename ?? null, mimeType: a.mimeType ?? null, url: a.url })),
    untrusted: { subject: m.subject, body: body.text, metadata: m.metadata, ...(body.truncated ? { truncated: true, fullLength: m.body.length } : {}) },
  };
}

export function conversationData(v: ConversationView): Record<string, unknown> {
  const c = v.conversation;
  // On a node that was asked (participant), the subject and questions are the initiator's words.
  const asked = c.role === 'participant';
  return {
    id: c.id, type: c.type, role: c.role, status: c.status, statusReason: c.statusReason, initiator: c.initiator,
    participants: c.participants, currentRound: c.currentRound, createdAt: iso(c.createdAt), deadline: iso(c.deadline),
    ...(asked ? { untrusted: { subject: c.subject } } : { subject: c.subject }),
    verdict: c.verdict === null ? null : { verdict: c.verdict.verdict, summary: c.verdict.summary, setBy: c.verdict.setBy, round: c.verdict.round, setAt: iso(c.verdict.setAt) },
    rounds: v.rounds.map((r) => ({
      round: r.round, status: r.status, deadline: iso(r.deadline), quorum: r.quorum, expected: r.expected, answered: r.answered, missing: r.missing,
      ...(asked ? { untrusted: { question: r.question } } : { question: r.question }),
      responses: r.responses.map((x) => ({
        id: x.id, agent: x.agent, receivedAt: iso(x.receivedAt), auth: x.auth, counted: x.counted, fromParticipant: x.fromParticipant,
        untrusted: { body: cut(x.body).text },
      })),
    })),
  };
}

export function consensusData(r: ConsensusReport): Record<string, unknown> {
  // values and raw answers are the agents' words; the verdict of the analysis is ours.
  const { values, rawResponses, consensusValue, majority, ...facts } = r as ConsensusReport & Record<string, unknown>;
  return { ...facts, untrusted: { values, rawResponses, consensusValue: consensusValue ?? null, majority: majority ?? null } };
}
