/**
 * What `mesh rally` and `mesh converse` share: their options, turning them into a round, opening it,
 * reporting each target like `mesh send`, and with --wait following the round live ("k/n answered"
 * on stderr) until it ends, then printing the answers and the consensus (stdout).
 *
 * Exit codes (README "Exit codes"). Without --wait, as `mesh send` for the round's requests (worst
 * wins): 0 all delivered, 10 some queued for retry, 11 dead-lettered, 12 expired, 1 not sent.
 * With --wait: 0 when the round completed (every answer, or the quorum; an escalation: resolved),
 * else 13 (the wait or the round's deadline ended first); a target that could never be reached
 * turns a 0 into its `mesh send` code (11, 12, 1), and so does a round where no target was reachable.
 */
import { awaitRound, type RoundWaitEnd } from '../node/await-round.ts';
import { openNode, type MeshNode } from '../node/mesh-node.ts';
import {
  conversationsOf, type ConversationService, type ConversationView, type OpenRoundInput, type OpenRoundResult,
} from '../node/node-conversations.ts';
import { roundHasConsensus, roundInput } from '../node/round-input.ts';
import type { ConversationType } from '../ports/conversation-repo.ts';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { CONVERSATION_ID_RE } from '../protocol/ids.ts';
import { flag, list, str, type CliContext, type OptionSpec, type ParsedArgs } from './command.ts';
import { consensusJson, conversationJson, responseJson } from './conversation-json.ts';
import { answeredText, consensusLines, progressText, roundLines, RESULT_ANSWER_CHARS } from './conversation-text.ts';
import { ExitCode } from './exit-codes.ts';
import { LiveLine } from './live-line.ts';
import { cell } from './printable.ts';
import { isoTime } from './time-args.ts';

export const roundOptions: Record<string, OptionSpec> = {
  agents: { type: 'string', placeholder: 'a,b|all|@group', description: 'who to ask (a follow-up round: default the conversation\'s participants)' },
  'conv-id': { type: 'string', placeholder: 'id', description: 'open the next round of this conversation (shared context from its earlier rounds)' },
  subject: { type: 'string', placeholder: 'text', description: 'subject (default: the question\'s first line); sent as "[conv_…] <subject>"' },
  ttl: { type: 'string', placeholder: 'seconds', description: 'how long the round waits for answers (rally default 300; later rounds keep it)' },
  priority: { type: 'string', placeholder: 'p', description: 'priority label (default normal; escalations are high)' },
  file: { type: 'string', multiple: true, placeholder: 'path', description: 'attach a file to every request (inline below 64 KiB, else served by this node for the TTL)' },
  quorum: { type: 'string', placeholder: 'k', description: 'the round is complete at k answers' },
  anonymize: { type: 'boolean', description: 'later rounds share the answers without names (labelled A, B, C…)' },
  encrypt: { type: 'boolean', description: 'encrypt each request with that peer\'s key' },
  wait: { type: 'string', placeholder: 'seconds', description: 'follow the round live ("k/n answered" on stderr), then print the answers and the consensus' },
};

function positiveNumber(text: string | undefined, option: string, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--${option} takes ${integer ? 'a whole number' : 'a number of seconds'} above 0, got "${text}"`);
  }
  return n;
}

export interface RoundRequest {
  /** undefined: `mesh rally` (the conversation's type, else rally). */
  type: ConversationType | undefined;
  question: string;
  /** broadcast --ack */
  ack?: boolean | undefined;
  /** Targets when neither --agents nor a follow-up says (bash converse: all). */
  defaultAgents?: string | undefined;
}

function inputFromArgs(node: MeshNode, conversations: ConversationService, args: ParsedArgs, req: RoundRequest): OpenRoundInput {
  const conversationId = str(args, 'conv-id');
  if (conversationId !== undefined && !CONVERSATION_ID_RE.test(conversationId)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--conv-id "${cell(conversationId, 60)}" is not a conversation id (conv_<epoch seconds>_<8 hex>; see mesh conv list)`);
  }
  // --ttl and --quorum are parsed when roundInput reads them (after the agents), so of several
  // usage errors the same one is reported first as always.
  return roundInput(node, conversations, {
    type: req.type, question: req.question, agents: str(args, 'agents'), defaultAgents: req.defaultAgents, conversationId,
    subject: str(args, 'subject'), priority: str(args, 'priority'), anonymize: flag(args, 'anonymize'), ack: req.ack,
    encrypt: flag(args, 'encrypt'), files: list(args, 'file'),
    get ttlSeconds() { return positiveNumber(str(args, 'ttl'), 'ttl', true); },
    get quorum() { return positiveNumber(str(args, 'quorum'), 'quorum', true); },
  });
}

type Target = OpenRoundResult['targets'][number];
const DELIVERY_RANK: Record<Target['status'], number> = { delivered: 0, queued: 1, expired: 2, dead_lettered: 3, failed: 4 };
const DELIVERY_EXIT: Record<Target['status'], number> = {
  delivered: ExitCode.Ok, queued: ExitCode.Queued, expired: ExitCode.Expired, dead_lettered: ExitCode.DeadLettered, failed: ExitCode.Error,
};
const PERMANENT = new Set<Target['status']>(['expired', 'dead_lettered', 'failed']);

function worst(targets: readonly Target[]): Target['status'] {
  return targets.reduce<Target['status']>((w, t) => (DELIVERY_RANK[t.status] > DELIVERY_RANK[w] ? t.status : w), 'delivered');
}

/** The exit code of a round (see the header). */
export function roundExitCode(targets: readonly Target[], end: RoundWaitEnd | null): number {
  if (end === null) return DELIVERY_EXIT[worst(targets)];
  const failed = targets.filter((t) => PERMANENT.has(t.status));
  const failure = failed.length === 0 ? ExitCode.Ok : DELIVERY_EXIT[worst(failed)];
  if (end === 'complete') return failure;
  return targets.length > 0 && failed.length === targets.length ? failure : ExitCode.Timeout;
}

function targetLine(ctx: CliContext, t: Target): string {
  const { out } = ctx;
  const why = t.error === undefined ? '' : ` (${cell(t.error, 80)})`;
  switch (t.status) {
    case 'delivered': return `${out.style('green', '✓')} ${t.agent}: asked ${t.requestId}`;
    case 'queued': return `${out.style('yellow', '…')} ${t.agent}: queued for retry${why} ${t.requestId} — \`mesh serve\` delivers it`;
    case 'dead_lettered': return `${out.style('red', '✗')} ${t.agent}: dead-lettered${why} ${t.requestId} — see \`mesh dlq show ${t.requestId}\``;
    case 'expired': return `${out.style('red', '✗')} ${t.agent}: expired before delivery ${t.requestId}`;
    case 'failed': return `${out.style('red', '✗')} ${t.agent}: not sent${why}`;
  }
}

function answersOf(view: ConversationView | null, round: number): ConversationView['rounds'][number]['responses'] {
  if (view === null) return [];
  const rounds = view.conversation.type === 'escalation' ? view.rounds : view.rounds.filter((r) => r.round === round);
  return rounds.flatMap((r) => r.responses.filter((x) => x.counted));
}

const hasConsensus = roundHasConsensus;

const END_TEXT: Record<RoundWaitEnd, string> = {
  complete: 'complete',
  timeout: 'timed out',
  superseded: 'superseded by a later round',
  closed: 'closed',
  wait_expired: 'still open when the wait ended',
  interrupted: 'still open (interrupted)',
};

function printHuman(ctx: CliContext, node: MeshNode, opened: OpenRoundResult, view: ConversationView | null, end: RoundWaitEnd, conversations: ConversationService): void {
  const { out } = ctx;
  const c = view?.conversation;
  if (view === null || c === undefined) {
    out.line(`${opened.conversationId}: the conversation is gone (deleted while waiting)`);
    return;
  }
  const now = node.clock.now();
  if (c.type === 'escalation') {
    out.line(`${out.style('bold', c.id)} · escalation · ${END_TEXT[end]}${c.statusReason === null ? '' : `: ${cell(c.statusReason, 200)}`}`);
    for (const r of view.rounds) {
      out.line('');
      for (const l of roundLines(out, c, r, now, RESULT_ANSWER_CHARS)) out.line(l);
    }
    return;
  }
  const r = view.rounds.find((x) => x.round === opened.round);
  if (r === undefined) return;
  const type = c.type === 'rally' ? '' : ` (${c.type})`;
  out.line(`${out.style('bold', c.id)}${type} · round ${r.round} ${END_TEXT[end]} · ${answeredText(c, r)}`);
  for (const l of roundLines(out, c, r, now, RESULT_ANSWER_CHARS, false)) out.line(l);
  if (hasConsensus(c.type)) {
    out.line('');
    for (const l of consensusLines(out, conversations.consensus(c.id, { round: opened.round }))) out.line(l);
  }
}

function hints(ctx: CliContext, opened: OpenRoundResult, view: ConversationView | null, end: RoundWaitEnd): void {
  const id = opened.conversationId;
  if (end === 'wait_expired' || end === 'interrupted' || end === 'timeout') {
    if (answersOf(view, opened.round).length === 0) {
      ctx.out.info('No answer arrived. Answers reach this node through `mesh serve`: is it running for this home?');
    }
    if (end !== 'timeout') ctx.out.info(`Answers that come later are still recorded: mesh conv show ${id}`);
  }
  if (view !== null && hasConsensus(view.conversation.type) && end !== 'superseded' && end !== 'closed') {
    ctx.out.info(`Next: a follow-up round  mesh rally "<question>" --conv-id ${id} --wait 60`);
    ctx.out.info(`      or the verdict      mesh consensus set ${id} <verdict> ["<summary>"]`);
  }
}

function resultJson(
  opened: OpenRoundResult, view: ConversationView | null, code: number, wait: { seconds: number; end: RoundWaitEnd; elapsedMs: number } | null,
  conversations: ConversationService,
): Record<string, unknown> {
  const round = view?.rounds.find((r) => r.round === opened.round);
  const type = view?.conversation.type ?? opened.type;
  return {
    ok: code === ExitCode.Ok, exitCode: code, conversationId: opened.conversationId, type, round: opened.round, created: opened.created,
    deadline: isoTime(opened.deadline), targets: opened.targets, escalatedTo: opened.escalatedTo,
    roundStatus: round?.status ?? opened.roundStatus, conversationStatus: view?.conversation.status ?? opened.conversationStatus,
    wait,
    answers: answersOf(view, opened.round).map(responseJson),
    missing: round?.missing ?? [],
    consensus: wait !== null && view !== null && hasConsensus(type) ? consensusJson(conversations.consensus(opened.conversationId, { round: opened.round })) : null,
    conversation: view === null ? null : conversationJson(view.conversation),
  };
}

export async function runRound(ctx: CliContext, args: ParsedArgs, req: RoundRequest): Promise<number> {
  if (req.question.trim() === '') throw new MeshError(MeshErrorCode.InvalidArgument, 'the question is empty');
  const waitSeconds = positiveNumber(str(args, 'wait'), 'wait', false) ?? null;
  const node = openNode({ home: ctx.home, env: ctx.env });
  try {
    const conversations = conversationsOf(node);
    const input = inputFromArgs(node, conversations, args, req);
    const fromSeq = node.store.events.latestSeq();
    const opened = req.type === undefined ? await conversations.openRally(input) : await conversations.converse(req.type, input);
    const { out } = ctx;
    if (!out.json) for (const t of opened.targets) ctx.stderr.write(`${targetLine(ctx, t)}\n`);
    if (!out.json) for (const s of opened.escalatedTo) ctx.stderr.write(`→ ${s.agent}: asked next (level ${s.round}, ${s.status})\n`);

    if (waitSeconds === null) {
      const code = roundExitCode(opened.targets, null);
      if (out.json) out.data(resultJson(opened, conversations.get(opened.conversationId), code, null, conversations));
      else {
        out.line(opened.conversationId);
        out.info(`${opened.created ? 'Opened' : 'Round'} ${opened.conversationId} round ${opened.round}: answers are recorded by this node's \`mesh serve\`; see them with mesh conv show ${opened.conversationId}`);
      }
      return code;
    }

    const live = new LiveLine(ctx.stderr, !out.json);
    out.info(`waiting up to ${waitSeconds}s for the ${opened.type === 'broadcast' ? 'acknowledgements' : 'answers'} (Ctrl-C stops waiting; they keep being recorded)`);
    const started = node.clock.now();
    const { end, view } = await awaitRound(node, conversations, {
      conversationId: opened.conversationId, round: opened.round, fromSeq, timeoutMs: waitSeconds * 1000, signal: ctx.signal,
      onChange: (v) => live.update(progressText(v, opened.round)),
      onTick: (ms) => live.tick(ms),
    });
    live.done();
    const code = roundExitCode(opened.targets, end);
    if (out.json) {
      out.data(resultJson(opened, view, code, { seconds: waitSeconds, end, elapsedMs: node.clock.now() - started }, conversations));
    } else {
      printHuman(ctx, node, opened, view, end, conversations);
      hints(ctx, opened, view, end);
    }
    return code;
  } finally {
    await node.close();
  }
}
