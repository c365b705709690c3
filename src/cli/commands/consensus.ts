import type { MeshNode } from '../../node/mesh-node.ts';
import { conversationsOf } from '../../node/node-conversations.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { consensusJson, conversationJson } from '../conversation-json.ts';
import { printConsensus } from '../conversation-text.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { cell } from '../printable.ts';
import { conversationIdArg } from './conv.ts';

function roundArg(args: ParsedArgs): number | undefined {
  const text = str(args, 'round');
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--round takes a round number (1, 2, …), got "${cell(text, 30)}"`);
  }
  return n;
}

function analyse(ctx: CliContext, node: MeshNode, id: string, round: number | undefined): number {
  const report = conversationsOf(node).consensus(id, { round });
  if (ctx.out.json) ctx.out.data(consensusJson(report));
  else printConsensus(ctx.out, report);
  return ExitCode.Ok;
}

async function set(ctx: CliContext, node: MeshNode, rest: string[], round: number | undefined): Promise<number> {
  const [id, verdict, ...summary] = rest;
  const conv = conversationIdArg('consensus set', id);
  if (verdict === undefined || verdict.trim() === '') {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'usage: mesh consensus set <conv_id> <verdict> ["<summary>"]');
  }
  const r = await conversationsOf(node).setVerdict(conv, verdict, summary.length > 0 ? summary.join(' ') : null, { round });
  const notified = r.notified;
  const delivered = notified === null || notified.outcome.status === 'delivered' || notified.outcome.status === 'queued';
  const code = notified === null ? ExitCode.Ok
    : notified.outcome.status === 'delivered' ? ExitCode.Ok
    : notified.outcome.status === 'queued' ? ExitCode.Queued
    : notified.outcome.status === 'dead_lettered' ? ExitCode.DeadLettered
    : notified.outcome.status === 'expired' ? ExitCode.Expired : ExitCode.Error;
  const { out } = ctx;
  if (out.json) {
    const view = conversationsOf(node).get(conv);
    out.data({
      ok: code === ExitCode.Ok, exitCode: code, conversationId: r.conversationId,
      verdict: { ...r.verdict, setAt: new Date(r.verdict.setAt).toISOString() }, notified,
      conversation: view === null ? null : conversationJson(view.conversation),
    });
    return code;
  }
  const v = r.verdict;
  out.line(`${r.conversationId}: verdict ${out.style('bold', cell(v.verdict, 200))} recorded for round ${v.round}, resting on ${v.basis.length} answer(s) (ids and SHA-256 digests kept)`);
  if (notified === null) out.info('This node started the conversation: the verdict stays here (nobody else to tell).');
  else if (notified.outcome.status === 'delivered') out.info(`Sent to the initiator ${notified.to} (${notified.messageId}).`);
  else if (delivered) out.info(`Queued for the initiator ${notified.to} (${notified.messageId}); \`mesh serve\` delivers it.`);
  else out.error(`not sent to the initiator ${notified.to}: ${notified.outcome.status}${notified.outcome.error === undefined ? '' : ` (${cell(notified.outcome.error, 80)})`}`);
  return code;
}

export const command: CommandSpec = {
  name: 'consensus',
  summary: 'the consensus of a conversation round, and its verdict: <conv_id> | set <conv_id> <verdict> [summary]',
  usage: ['consensus <conv_id> [--round <n>]', 'consensus set <conv_id> <verdict> ["<summary>"] [--round <n>]'],
  description:
    'Analyses the counted answers of a round (default: the last round that closed, else the last) as bash\'s\n' +
    'mesh-consensus.sh does: numbers agree (match), lie within 1% (near_match) or 5% (close) of their mean,\n' +
    'or disagree (with the spread as discrepancy, in %); texts match when equal; insufficient with one\n' +
    'answer, no_data with none. Added: the majority answer, its share and margin, and who dissents.\n' +
    '--json prints bash\'s keys (conversationId, round, agents, values, rawResponses, consensus, detail,\n' +
    'consensusValue on a match) plus discrepancy, majority and dissenters.\n' +
    '\n' +
    '`set` records the verdict with the ids and SHA-256 digests of the answers it rests on. On a node that\n' +
    'took part (not the initiator) it is also sent to the initiator, which records it as the conversation\'s\n' +
    'verdict. Exit as `mesh send` for that message (0 sent or nothing to send, 10 queued, 11 dead-lettered).',
  options: {
    round: { type: 'string', placeholder: 'n', description: 'the round to analyse or to set the verdict on' },
  },
  examples: [
    'mesh consensus conv_1767225600_0a1b2c3d',
    'mesh consensus conv_1767225600_0a1b2c3d --round 1 --json',
    'mesh consensus set conv_1767225600_0a1b2c3d confirmed "1260 rows: gamma counted archived rows"',
  ],
  async run(ctx, args) {
    const [first, ...rest] = args.positionals;
    const round = roundArg(args);
    if (first === 'set') return withNode(ctx, (node) => set(ctx, node, rest, round));
    const id = conversationIdArg('consensus', first);
    if (rest.length > 0) throw new MeshError(MeshErrorCode.InvalidArgument, `unexpected argument "${cell(rest[0], 40)}" (to record a verdict: mesh consensus set ${id} <verdict>)`);
    return withNode(ctx, (node) => analyse(ctx, node, id, round), { readOnly: true });
  },
};
