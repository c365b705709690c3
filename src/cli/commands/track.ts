import type { MeshNode } from '../../node/mesh-node.ts';
import { checkRequest, trackedRequests, trackingSummary, type RequestCheck, type TrackedRequest } from '../../node/request-tracking.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { cell, printable } from '../printable.ts';
import { agentFilter, noMoreArgs, subcommand } from '../subcommand.ts';
import { formatRelative, formatTime, isoTime, parseLimit, parseTimeArg } from '../time-args.ts';

const DEFAULT_LIMIT = 50;
const STATUSES = ['answered', 'pending', 'failed'] as const;

function requestJson(r: TrackedRequest): Record<string, unknown> {
  return { ...r, sentAt: isoTime(r.sentAt), lastResponseAt: isoTime(r.lastResponseAt) };
}

function filterOf(args: ParsedArgs, now: number): { agent?: string; since?: number } {
  const agent = agentFilter(undefined, str(args, 'agent'));
  const since = str(args, 'since');
  return { ...(agent === undefined ? {} : { agent }), ...(since === undefined ? {} : { since: parseTimeArg(since, now, 'since') }) };
}

function deliveryText(r: TrackedRequest): string {
  const tries = r.attempts === null ? '' : ` (${r.attempts} attempt${r.attempts === 1 ? '' : 's'})`;
  return r.error ? `${r.delivery}${tries}: ${r.error}` : `${r.delivery}${tries}`;
}

function status(ctx: CliContext, node: MeshNode, args: ParsedArgs): number {
  const wanted = str(args, 'status');
  if (wanted !== undefined && !(STATUSES as readonly string[]).includes(wanted)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `--status must be one of ${STATUSES.join(', ')}, got "${wanted}"`);
  }
  const limit = parseLimit(str(args, 'limit'), DEFAULT_LIMIT, true);
  const all = trackedRequests(node, filterOf(args, node.clock.now())).filter((r) => wanted === undefined || r.status === wanted);
  const shown = limit === undefined ? all : all.slice(-limit);
  const { out } = ctx;
  if (out.json) {
    out.data({ total: all.length, shown: shown.length, requests: shown.map(requestJson) });
    return ExitCode.Ok;
  }
  if (shown.length === 0) {
    out.line('No requests sent yet (or none match the filters).');
    return ExitCode.Ok;
  }
  out.table(
    ['SENT', 'TO', 'ID', 'SUBJECT', 'DELIVERY', 'STATUS', 'REPLIES'],
    shown.map((r) => [formatTime(r.sentAt), r.to, r.id, cell(r.subject, 40), deliveryText(r), r.status, String(r.responses)]),
  );
  const n = (s: string): number => all.filter((r) => r.status === s).length;
  out.info(`${all.length} request(s): ${n('answered')} answered, ${n('pending')} pending, ${n('failed')} failed · details: mesh track check <id>`);
  return ExitCode.Ok;
}

function summary(ctx: CliContext, node: MeshNode, args: ParsedArgs): number {
  const s = trackingSummary(node, filterOf(args, node.clock.now()));
  const { out } = ctx;
  if (out.json) {
    out.data(s);
    return ExitCode.Ok;
  }
  const q = s.requests;
  const rate = q.responseRate === null ? 'n/a' : `${Math.round(q.responseRate * 100)}%`;
  out.line(`Requests: ${q.total} sent · ${q.answered} answered · ${q.pending} pending · ${q.failed} failed · response rate ${rate}`);
  const types = Object.entries(s.byType).sort(([a], [b]) => a.localeCompare(b));
  if (types.length > 0) {
    out.line('');
    out.table(['TYPE', 'DELIVERED', 'RECEIVED'], types.map(([t, c]) => [t, String(c.sent), String(c.received)]));
  }
  const agents = Object.entries(s.agents).sort(([a], [b]) => a.localeCompare(b));
  if (agents.length > 0) {
    out.line('');
    out.table(['AGENT', 'DELIVERED', 'RECEIVED', 'REQUESTS', 'ANSWERED'], agents.map(([a, c]) => [a, String(c.sent), String(c.received), String(c.requests), String(c.answered)]));
  }
  const statuses = Object.entries(s.byStatus).sort(([, a], [, b]) => b - a);
  if (statuses.length > 0) {
    out.line('');
    out.line(`Audit entries by status: ${statuses.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return ExitCode.Ok;
}

function checkJson(c: RequestCheck): Record<string, unknown> {
  return {
    id: c.id,
    type: c.type,
    request: c.request === null ? null : requestJson(c.request),
    outbox: c.outbox === null ? null : {
      ...c.outbox, createdAt: isoTime(c.outbox.createdAt), nextAttemptAt: isoTime(c.outbox.nextAttemptAt),
      expiresAt: isoTime(c.outbox.expiresAt), deliveredAt: isoTime(c.outbox.deliveredAt),
    },
    deadLetter: c.deadLetter === null ? null : { ...c.deadLetter, failedAt: isoTime(c.deadLetter.failedAt), expiresAt: isoTime(c.deadLetter.expiresAt) },
    history: c.history.map((h) => ({ ...h, ts: isoTime(h.ts) })),
    replies: c.replies.map((r) => ({ ...r, receivedAt: isoTime(r.receivedAt) })),
  };
}

function check(ctx: CliContext, node: MeshNode, id: string): number {
  const c = checkRequest(node, id);
  if (c === null) throw new MeshError(MeshErrorCode.NotFound, `nothing known about "${id}": not in the outbox, dead letters, audit trail or inbox`);
  const { out } = ctx;
  if (out.json) {
    out.data(checkJson(c));
    return ExitCode.Ok;
  }
  const now = node.clock.now();
  const field = (k: string, v: string): void => out.line(`${out.style('bold', k.padEnd(9))} ${v}`);
  field('id', c.id);
  const r = c.request;
  if (r !== null) {
    field('sent', `${c.type ?? '?'} to ${r.to} at ${formatTime(r.sentAt)} (${formatRelative(r.sentAt, now)})`);
    field('subject', cell(r.subject, 200));
    field('status', `${r.status}${r.responses > 0 ? ` (${r.responses} repl${r.responses === 1 ? 'y' : 'ies'})` : ''}`);
    field('delivery', deliveryText(r));
  } else {
    field('sent', 'not by this node (replies to it are listed below)');
  }
  if (c.outbox?.state === 'pending') field('next try', `${formatRelative(c.outbox.nextAttemptAt, now)}; expires ${formatRelative(c.outbox.expiresAt, now)}`);
  if (c.deadLetter !== null) field('dead', `${c.deadLetter.reason} at ${formatTime(c.deadLetter.failedAt)} · retry: mesh dlq replay ${c.id}`);
  if (c.history.length > 0) {
    out.line('');
    out.line(out.style('bold', 'History'));
    for (const h of c.history) out.line(`  ${formatTime(h.ts)}  ${h.direction.padEnd(3)}  ${h.status}${h.detail ? `  ${cell(h.detail, 120)}` : ''}`);
  }
  out.line('');
  out.line(out.style('bold', `Replies (${c.replies.length})`));
  if (c.replies.length === 0) out.line('  none yet');
  for (const rep of c.replies) {
    out.line(`  ${formatTime(rep.receivedAt)}  from ${cell(rep.from, 64)}  ${rep.type}  ${rep.id}  ${cell(rep.subject, 60)}`);
    const body = rep.body === null ? '(body not kept: the message was pruned from the inbox)' : printable(rep.body);
    for (const l of body.split('\n')) out.line(`    ${l}`);
  }
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'track',
  summary: 'request tracking: status | summary | check <id>',
  usage: [
    'track [status] [--agent <name>] [--status answered|pending|failed] [--since <time>] [--limit <n>]',
    'track summary [--agent <name>] [--since <time>]',
    'track check <id>',
  ],
  description:
    'Follows the requests this node sent. A request is answered when a message whose correlationId is the\n' +
    'request id has arrived (it is looked up in the inbox, then in the audit trail), failed when it was\n' +
    'dead-lettered, expired or purged without an answer, and pending otherwise (queued, or delivered and\n' +
    'waiting for the answer).\n\n' +
    '  status   the requests (newest --limit, default 50; 0 = all) with delivery state and replies\n' +
    '  summary  request counts and response rate, delivered/received messages per type and per agent,\n' +
    '           audit entries per status\n' +
    '  check    one message id: its delivery state (outbox, dead letters), its audit history and every\n' +
    '           correlated reply with its body',
  options: {
    agent: { type: 'string', placeholder: 'name', description: 'only requests to (summary: messages with) this agent' },
    status: { type: 'string', placeholder: 'state', description: 'status: only answered, pending or failed requests' },
    since: { type: 'string', placeholder: 'time', description: 'only since: 30m, 48h, 2d, "2 days ago", 2026-01-31T12:00:00Z' },
    limit: { type: 'string', placeholder: 'n', description: `status: the newest n requests (default ${DEFAULT_LIMIT}; 0 = all)` },
  },
  examples: [
    'mesh track',
    'mesh track status --status pending --agent beta',
    'mesh track summary --since 24h --json',
    'mesh track check msg_5f0c…',
  ],
  async run(ctx, args) {
    const { sub, rest } = subcommand('track', args.positionals, ['status', 'summary', 'check'] as const, 'status');
    if (sub === 'check') {
      const [id, ...extra] = rest;
      if (id === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, 'missing id: mesh track check <id> (ids: mesh track)');
      noMoreArgs('track check', extra);
      return withNode(ctx, (node) => check(ctx, node, id), { readOnly: true });
    }
    noMoreArgs(`track ${sub}`, rest);
    return withNode(ctx, (node) => (sub === 'summary' ? summary(ctx, node, args) : status(ctx, node, args)), { readOnly: true });
  },
};
