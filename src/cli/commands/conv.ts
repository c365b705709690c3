import type { MeshNode } from '../../node/mesh-node.ts';
import { conversationsOf, type ConversationService } from '../../node/node-conversations.ts';
import {
  CONVERSATION_STATUSES, isConversationType, type ConversationRecord, type ConversationSearch, type ConversationStatus,
} from '../../ports/conversation-repo.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { CONVERSATION_ID_RE } from '../../protocol/ids.ts';
import { assertAgentName } from '../../protocol/names.ts';
import { flag, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { conversationJson, viewJson } from '../conversation-json.ts';
import { printConversation } from '../conversation-text.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { cell, printable } from '../printable.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';
import { formatDuration, parseLimit, parseTimeArg, TIME_ARG_HELP } from '../time-args.ts';

const SUBS = ['list', 'show', 'context', 'search', 'complete', 'close', 'cancel', 'timeout', 'cleanup', 'stats'] as const;
type Sub = (typeof SUBS)[number];
const READ_ONLY: readonly Sub[] = ['list', 'show', 'search', 'stats'];
const DEFAULT_LIST_LIMIT = 50;
const DEFAULT_SEARCH_LIMIT = 20;
const DEFAULT_CLEANUP_DAYS = 7;

/** A conversation id argument; a malformed one is a usage error (a typo, not a missing record). */
export function conversationIdArg(command: string, id: string | undefined): string {
  if (id === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, `usage: mesh ${command} <conv_id> (see mesh conv list)`);
  if (!CONVERSATION_ID_RE.test(id)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `"${cell(id, 60)}" is not a conversation id: they look like conv_<epoch seconds>_<8 hex> (see mesh conv list)`);
  }
  return id;
}

function statusesArg(text: string | undefined): ConversationStatus[] | undefined {
  if (text === undefined) return undefined;
  const names = text.split(/[\s,]+/).filter(Boolean);
  for (const s of names) {
    if (!(CONVERSATION_STATUSES as readonly string[]).includes(s)) {
      throw new MeshError(MeshErrorCode.InvalidArgument, `--status "${cell(s, 30)}" is not a status: use ${CONVERSATION_STATUSES.join(', ')} (several: comma-separated)`);
    }
  }
  return names as ConversationStatus[];
}

function searchFilter(node: MeshNode, args: ParsedArgs): ConversationSearch {
  const f: ConversationSearch = {};
  const agent = str(args, 'agent');
  if (agent !== undefined) f.agent = assertAgentName(agent, 'agent');
  const type = str(args, 'type');
  if (type !== undefined) {
    if (!isConversationType(type)) throw new MeshError(MeshErrorCode.InvalidArgument, `--type "${cell(type, 30)}" is not a conversation type: rally, collab, escalation, broadcast, opinion, brainstorm`);
    f.type = type;
  }
  const status = statusesArg(str(args, 'status'));
  if (status !== undefined) f.status = status;
  const role = str(args, 'role');
  if (role !== undefined) {
    if (role !== 'initiator' && role !== 'participant') throw new MeshError(MeshErrorCode.InvalidArgument, '--role is initiator (this node asked) or participant (this node was asked)');
    f.role = role;
  }
  const since = str(args, 'since');
  if (since !== undefined) f.since = parseTimeArg(since, node.clock.now(), 'since');
  const query = str(args, 'query');
  if (query !== undefined && query.trim() !== '') f.query = query;
  const limit = parseLimit(str(args, 'limit'), DEFAULT_SEARCH_LIMIT, true);
  if (limit !== undefined) f.limit = limit;
  return f;
}

function listRows(ctx: CliContext, node: MeshNode, conversations: ConversationService, found: ConversationRecord[], empty: string): number {
  const { out } = ctx;
  if (out.json) {
    out.data({ total: found.length, conversations: found.map(conversationJson) });
    return ExitCode.Ok;
  }
  if (found.length === 0) {
    out.line(empty);
    return ExitCode.Ok;
  }
  const now = node.clock.now();
  out.table(
    ['ID', 'TYPE', 'STATUS', 'ROUND', 'ANSWERED', 'ROLE', 'PARTICIPANTS', 'SUBJECT', 'AGE'],
    found.map((c) => {
      const round = conversations.get(c.id)?.rounds.find((r) => r.round === c.currentRound);
      const noAnswers = round === undefined || c.role !== 'initiator' || (c.type === 'broadcast' && !c.ack);
      const answered = noAnswers ? '-' : `${round.answered.length}/${round.expected.length}`;
      return [c.id, c.type, c.status, String(c.currentRound), answered, c.role, cell(c.participants.join(','), 30), cell(c.subject, 40), formatDuration(now - c.createdAt)];
    }),
  );
  out.info(`${found.length} conversation(s) · details: mesh conv show <id>`);
  return ExitCode.Ok;
}

function show(ctx: CliContext, node: MeshNode, conversations: ConversationService, id: string): number {
  const view = conversations.get(id);
  if (view === null) throw new MeshError(MeshErrorCode.NotFound, `no conversation ${id} on this node (see mesh conv list --all)`);
  if (ctx.out.json) ctx.out.data(viewJson(view));
  else printConversation(ctx.out, view, node.self, node.clock.now());
  return ExitCode.Ok;
}

function context(ctx: CliContext, conversations: ConversationService, id: string): number {
  const text = conversations.context(id);
  if (ctx.out.json) ctx.out.data({ conversationId: id, context: text });
  else if (text === '') ctx.out.line(`${id} has no rounds yet: its first round is blind.`);
  else ctx.out.line(printable(text));
  return ExitCode.Ok;
}

function setStatus(ctx: CliContext, conversations: ConversationService, sub: 'complete' | 'close' | 'cancel', id: string, reason: string | undefined): number {
  const c = sub === 'complete' ? conversations.complete(id, reason) : sub === 'close' ? conversations.close(id, reason) : conversations.cancel(id, reason);
  if (ctx.out.json) ctx.out.data({ ok: true, conversation: conversationJson(c) });
  else ctx.out.line(`${c.id} is now ${c.status}${c.statusReason === null ? '' : `: ${cell(c.statusReason, 200)}`}`);
  return ExitCode.Ok;
}

async function timeout(ctx: CliContext, conversations: ConversationService): Promise<number> {
  const r = await conversations.tick();
  const { out } = ctx;
  if (out.json) {
    out.data(r);
    return ExitCode.Ok;
  }
  if (r.roundsTimedOut.length === 0 && r.conversationsTimedOut.length === 0 && r.escalated.length === 0) {
    out.line('No expired conversations.');
    return ExitCode.Ok;
  }
  for (const x of r.roundsTimedOut) out.line(`${x.conversationId} round ${x.round}: timed out with ${x.answered} of ${x.expected} answers`);
  for (const id of r.conversationsTimedOut) out.line(`${id}: timed out`);
  for (const s of r.escalated) out.line(`${s.conversationId}: escalated to ${s.agent} (level ${s.round}, ${s.status})`);
  return ExitCode.Ok;
}

function cleanup(ctx: CliContext, conversations: ConversationService, daysText: string | undefined): number {
  const days = daysText === undefined ? DEFAULT_CLEANUP_DAYS : Number(daysText);
  if (daysText !== undefined && (daysText.trim() === '' || !Number.isFinite(days) || days < 0)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--days takes a number of days ≥ 0, got "${daysText}"`);
  }
  const ids = conversations.cleanup(days);
  if (ctx.out.json) ctx.out.data({ deleted: ids.length, ids });
  else ctx.out.line(ids.length === 0 ? `No finished conversation older than ${days} day(s).` : `Deleted ${ids.length} finished conversation(s) not updated for ${days} day(s).`);
  return ExitCode.Ok;
}

function stats(ctx: CliContext, conversations: ConversationService): number {
  const s = conversations.stats();
  const { out } = ctx;
  if (out.json) {
    out.data(s);
    return ExitCode.Ok;
  }
  const total = Object.values(s.byStatus).reduce((a, b) => a + (b ?? 0), 0);
  const counts = (m: Partial<Record<string, number>>): string => Object.entries(m).map(([k, n]) => `${k} ${n ?? 0}`).join(', ') || '-';
  out.line(`conversations  ${total}`);
  out.line(`by status      ${counts(s.byStatus)}`);
  out.line(`by type        ${counts(s.byType)}`);
  out.line(`by role        ${counts(s.byRole)}`);
  out.line(`answers        ${s.countedAnswers} of ${s.expectedAnswers} expected${s.responseRate === null ? '' : ` (${Math.round(s.responseRate * 100)}%)`} in the rounds this node asked`);
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'conv',
  summary: 'conversations: list | show | context | search | complete | close | cancel | timeout | cleanup | stats',
  usage: [
    'conv [list] [--all] [--limit <n>]',
    'conv show <conv_id>',
    'conv context <conv_id>',
    'conv search [--agent <a>] [--type <t>] [--status <s,…>] [--role initiator|participant] [--query <text>] [--since <time>] [--limit <n>]',
    'conv complete|close|cancel <conv_id> [reason]',
    'conv timeout',
    'conv cleanup [--days <n>]',
    'conv stats',
  ],
  description:
    'The conversations this node started (`mesh rally`, `mesh converse`) or took part in.\n' +
    '  list      newest first; closed and cancelled ones only with --all\n' +
    '  show      every round: the question, each answer, who is missing, answers not counted (duplicates,\n' +
    '            non-participants, late), requests not delivered, and the verdict\n' +
    '  context   the shared-context block the next round\'s requests will carry\n' +
    '  search    every filter applies together; --query is full-text over questions and answers (its words\n' +
    `            as a phrase, the last one as a prefix); --agent matches the initiator or a participant;\n` +
    `            --since takes ${TIME_ARG_HELP}\n` +
    '  complete  the open round completes, then the conversation; close and cancel keep it so (no more rounds)\n' +
    '  timeout   time out rounds and conversations past their deadline and move escalations on, once\n' +
    '            (`mesh serve` does this by itself; this is bash\'s cron command)\n' +
    '  cleanup   delete finished conversations not updated for --days (default 7)\n' +
    '  stats     counts by status, type and role, and the answer rate of the rounds this node asked',
  options: {
    all: { type: 'boolean', description: 'list: include closed and cancelled conversations' },
    agent: { type: 'string', placeholder: 'name', description: 'search: initiator or participant' },
    type: { type: 'string', placeholder: 'type', description: 'search: rally, collab, escalation, broadcast, opinion, brainstorm' },
    status: { type: 'string', placeholder: 's,…', description: 'search: active, complete, timeout, closed, cancelled (comma-separated for several)' },
    role: { type: 'string', placeholder: 'role', description: 'search: initiator (this node asked) or participant' },
    query: { type: 'string', placeholder: 'text', description: 'search: words in a question or an answer' },
    since: { type: 'string', placeholder: 'time', description: 'search: started at or after (48h, 2d, 2026-01-31…)' },
    limit: { type: 'string', placeholder: 'n', description: 'list/search: at most n (default 50 / 20; 0 = all)' },
    days: { type: 'string', placeholder: 'n', description: 'cleanup: finished more than n days ago (default 7)' },
  },
  examples: [
    'mesh conv list',
    'mesh conv show conv_1767225600_0a1b2c3d',
    'mesh conv search --agent gamma --type rally --status complete,timeout --query "orders" --since 7d',
    'mesh conv close conv_1767225600_0a1b2c3d "answered in the incident channel"',
  ],
  async run(ctx, args) {
    const { sub, rest } = subcommand('conv', args.positionals, SUBS, 'list');
    const readOnly = READ_ONLY.includes(sub);
    return withNode(ctx, async (node) => {
      const conversations = conversationsOf(node);
      switch (sub) {
        case 'list': {
          noMoreArgs('conv list', rest);
          const limit = parseLimit(str(args, 'limit'), DEFAULT_LIST_LIMIT, true);
          const all = flag(args, 'all');
          const found = conversations.list({ all, ...(limit === undefined ? {} : { limit }) });
          return listRows(ctx, node, conversations, found, all ? 'No conversations.' : 'No conversations (closed and cancelled ones: mesh conv list --all).');
        }
        case 'search': {
          noMoreArgs('conv search', rest);
          return listRows(ctx, node, conversations, conversations.search(searchFilter(node, args)), 'No conversations found matching the criteria.');
        }
        case 'show':
        case 'context': {
          const [id, ...extra] = rest;
          noMoreArgs(`conv ${sub}`, extra);
          const valid = conversationIdArg(`conv ${sub}`, id);
          return sub === 'show' ? show(ctx, node, conversations, valid) : context(ctx, conversations, valid);
        }
        case 'complete':
        case 'close':
        case 'cancel': {
          const [id, ...reason] = rest;
          return setStatus(ctx, conversations, sub, conversationIdArg(`conv ${sub}`, id), reason.length > 0 ? reason.join(' ') : undefined);
        }
        case 'timeout':
          noMoreArgs('conv timeout', rest);
          return timeout(ctx, conversations);
        case 'cleanup':
          noMoreArgs('conv cleanup', rest);
          return cleanup(ctx, conversations, str(args, 'days'));
        case 'stats':
          noMoreArgs('conv stats', rest);
          return stats(ctx, conversations);
      }
    }, { readOnly });
  },
};
