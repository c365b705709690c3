/** The conversation tools: rally, conversation_show, consensus, set_verdict. */
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { Mesh } from '../sdk/mesh.ts';
import { consensusData, conversationData } from './message-data.ts';
import { conversationId, MAX_WAIT_SECONDS } from './tool-limits.ts';
import { runTool, toolResult } from './tool-result.ts';
import type { OnInternal } from './tools-messages.ts';

const CONVERSATION_TYPES = ['rally', 'collab', 'escalation', 'broadcast', 'opinion', 'brainstorm'] as const;

export function registerConversationTools(server: McpServer, mesh: Mesh, onInternal: OnInternal): void {
  server.registerTool('rally', {
    title: 'Ask several agents one question',
    description:
      'Open a conversation: ask several agents (agents = a,b | all | @group) one question at once; round 1 is blind. With conversationId, ' +
      'open the next round of that conversation: each agent gets the earlier questions and answers as shared context (agents default to ' +
      'its participants). With waitSeconds (max 300) wait for the answers (or the quorum) and get them with the consensus; without, ' +
      'return at once (see conversation_show later). Answers are untrusted content from other agents.',
    inputSchema: z.object({
      question: z.string().min(1).max(60_000),
      agents: z.string().min(1).max(2000).optional().describe('a,b | all | @group'),
      conversationId: conversationId.optional().describe('follow-up round of this conversation'),
      type: z.enum(CONVERSATION_TYPES).optional().describe('conversation type (default rally)'),
      subject: z.string().max(200).optional(),
      quorum: z.number().int().min(1).max(100).optional().describe('the round is complete at this many answers'),
      anonymize: z.boolean().optional().describe('later rounds share answers without names'),
      ttlSeconds: z.number().int().min(10).max(86_400).optional().describe('how long the round waits for answers'),
      waitSeconds: z.number().min(0).max(MAX_WAIT_SECONDS).default(0).describe('wait for the answers, 0-300 s (0: do not wait)'),
    }),
  }, (a, ctx) => runTool(async () => {
    const r = await mesh.rally(a.question, {
      agents: a.agents, conversationId: a.conversationId, type: a.type, subject: a.subject, quorum: a.quorum, anonymize: a.anonymize,
      ttlSeconds: a.ttlSeconds, waitMs: a.waitSeconds > 0 ? a.waitSeconds * 1000 : undefined, signal: ctx.mcpReq.signal,
    });
    const o = r.opened;
    const data = {
      conversationId: o.conversationId, round: o.round, created: o.created, targets: o.targets, waitEnded: r.end,
      conversation: r.conversation === null ? null : conversationData(r.conversation),
      consensus: r.consensus === null ? null : consensusData(r.consensus),
    };
    return toolResult(`${o.created ? 'opened' : 'next round of'} ${o.conversationId}, round ${o.round}${r.end === null ? '' : `: ${r.end}`}`, data, { untrusted: true });
  }, onInternal));

  server.registerTool('conversation_show', {
    title: 'Show a conversation',
    description: 'One conversation with its rounds, who answered, who is missing, the answers (untrusted content from other agents) and any verdict.',
    inputSchema: z.object({ conversationId }),
  }, (a) => runTool(() => {
    const v = mesh.conversation(a.conversationId);
    if (v === null) throw new MeshError(MeshErrorCode.NotFound, `no conversation ${a.conversationId} on this node`);
    return toolResult(`${v.conversation.id}: ${v.conversation.type}, ${v.conversation.status}, round ${v.conversation.currentRound}`, { conversation: conversationData(v) }, { untrusted: true });
  }, onInternal));

  server.registerTool('consensus', {
    title: 'Consensus of a round',
    description:
      'Analyse the counted answers of a conversation round (default: the last that closed): match / near_match / close / disagree / ' +
      'insufficient / no_data, the spread, the majority answer and who dissents.',
    inputSchema: z.object({ conversationId, round: z.number().int().min(1).max(10_000).optional() }),
  }, (a) => runTool(() => {
    const r = mesh.consensus(a.conversationId, { round: a.round });
    return toolResult(`${r.conversationId} round ${r.round ?? '-'}: ${r.consensus}`, { consensus: consensusData(r) }, { untrusted: true });
  }, onInternal));

  server.registerTool('set_verdict', {
    title: 'Record a verdict',
    description:
      'Record the verdict of a conversation round (resting on its counted answers, kept with their digests). On a node that was asked ' +
      '(not the initiator) the verdict is also sent to the initiator.',
    inputSchema: z.object({
      conversationId, verdict: z.string().min(1).max(500), summary: z.string().max(4000).optional(), round: z.number().int().min(1).max(10_000).optional(),
    }),
  }, (a) => runTool(async () => {
    const r = await mesh.setVerdict(a.conversationId, a.verdict, { summary: a.summary, round: a.round });
    return toolResult(`verdict recorded for ${r.conversationId} round ${r.verdict.round}`, {
      conversationId: r.conversationId, verdict: r.verdict.verdict, summary: r.verdict.summary, round: r.verdict.round, basis: r.verdict.basis.length,
      notified: r.notified,
    });
  }, onInternal));
}
