import { setTimeout as sleep } from 'node:timers/promises';
import { acknowledgeMessages } from '../../node/acknowledge.ts';
import { retryHandOff } from '../../node/hand-off-audit.ts';
import type { MeshNode } from '../../node/mesh-node.ts';
import { receivedAttachments, receivedEncryption } from '../../node/received-attachments.ts';
import type { Attachment } from '../../protocol/envelope.ts';
import type { InboxMessage } from '../../ports/store.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { cell, printable } from '../printable.ts';
import { redactedEnvelope } from '../../protocol/redact-envelope.ts';
import { agentFilter, noMoreArgs, subcommand } from '../subcommand.ts';
import { formatTime, isoTime, parseLimit, parseTimeArg } from '../time-args.ts';

const DEFAULT_LIMIT = 50;
/** --follow re-reads the inbox this often. */
export const FOLLOW_POLL_MS = 500;
/**
 * --follow asks for messages received since (newest seen − this), and skips ids already shown: a
 * message stamped just before one we saw but committed just after it is still caught.
 */
const FOLLOW_OVERLAP_MS = 30_000;

interface Filter { unread?: boolean; from?: string; type?: string; since?: number }

function view(m: InboxMessage): Record<string, unknown> {
  return {
    id: m.id, receivedAt: isoTime(m.receivedAt), from: m.from, to: m.to, type: m.type, subject: m.subject,
    correlationId: m.correlationId, conversationId: m.conversationId, read: m.readAt !== null, readAt: isoTime(m.readAt),
    auth: m.auth, deliveryState: m.deliveryState, deliveryError: m.deliveryError, body: m.body, attachments: receivedAttachments(m),
    encrypted: receivedEncryption(m),
    alert: m.alertDecision === null ? null : { decision: m.alertDecision, incidentId: m.incidentId },
  };
}

/** How the hand-off ended, for `show`: a suppressed alert never reached the agent. */
function handOffText(m: InboxMessage): string {
  if (m.alertDecision === 'suppressed') return 'suppressed: a duplicate alert, not handed to the agent';
  return `${m.deliveryState}${m.deliveryError ? ` (${cell(m.deliveryError, 200)})` : ''}`;
}

/** One line per attachment for `inbox show`: what it is and where it is, never inline data. */
function attachmentLine(a: Attachment): string {
  const name = a.filename === undefined ? '(unnamed)' : cell(a.filename, 120);
  const facts = [a.mimeType, a.size === undefined ? undefined : `${a.size} bytes`].filter((x) => x !== undefined).map((x) => cell(String(x), 80));
  const where = a.type === 'inline'
    ? `inline, ${a.data.length} base64 characters`
    : `${cell(a.url, 300)}${a.expiresAt === undefined ? '' : ` (expires ${cell(a.expiresAt, 40)})`}`;
  return `${name}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}: ${where}`;
}

function encryptionText(m: InboxMessage): string {
  const e = receivedEncryption(m);
  if (!e.body) return 'no';
  return e.attachments === 'none' ? 'body' : e.attachments ? 'body and attachments' : 'body only (attachments travelled in clear)';
}

function line(ctx: CliContext, m: InboxMessage): string {
  const { out } = ctx;
  const mark = m.readAt === null ? out.style('cyan', '*') : ' ';
  const re = m.correlationId ? ` ${out.style('dim', `re ${m.correlationId}`)}` : '';
  return `${mark} ${formatTime(m.receivedAt)}  ${cell(m.from, 64)}  ${m.type}  ${m.id}  ${cell(m.subject, 80)}${re}`;
}

function printBatch(ctx: CliContext, messages: InboxMessage[], follow: boolean): void {
  const { out } = ctx;
  if (out.json && follow) {
    for (const m of messages) out.line(JSON.stringify(view(m)));
  } else if (!out.json) {
    for (const m of messages) out.line(line(ctx, m));
  }
}

async function follow(ctx: CliContext, node: MeshNode, filter: Filter, seen: Map<string, number>, markRead: boolean): Promise<void> {
  const { store, clock } = node;
  let newest = clock.now();
  for (const at of seen.values()) if (at > newest) newest = at;
  /** Only ids inside the overlap window can come back from the next query. */
  const forgetOld = (): void => {
    for (const [id, at] of seen) if (at < newest - FOLLOW_OVERLAP_MS) seen.delete(id);
  };
  forgetOld();
  ctx.out.info('following new messages (Ctrl-C to stop)…');
  while (!ctx.signal.aborted) {
    try {
      await sleep(FOLLOW_POLL_MS, undefined, { signal: ctx.signal });
    } catch {
      break; // aborted: SIGINT/SIGTERM
    }
    const floor = newest - FOLLOW_OVERLAP_MS;
    const fresh = store.inbox.list({ ...filter, since: Math.max(filter.since ?? floor, floor) }).filter((m) => !seen.has(m.id));
    if (fresh.length === 0) continue;
    printBatch(ctx, fresh, true);
    if (markRead) acknowledgeMessages(node, fresh.map((m) => m.id), clock.now());
    for (const m of fresh) {
      seen.set(m.id, m.receivedAt);
      newest = Math.max(newest, m.receivedAt);
    }
    forgetOld();
  }
}

async function list(ctx: CliContext, node: MeshNode, args: ParsedArgs): Promise<number> {
  const { out } = ctx;
  const now = node.clock.now();
  const sinceText = str(args, 'since');
  const from = agentFilter(undefined, str(args, 'from'));
  const type = str(args, 'type');
  const filter: Filter = {
    ...(flag(args, 'unread') ? { unread: true } : {}),
    ...(from === undefined ? {} : { from }),
    ...(type === undefined ? {} : { type }),
    ...(sinceText === undefined ? {} : { since: parseTimeArg(sinceText, now, 'since') }),
  };
  const limit = parseLimit(str(args, 'limit'), DEFAULT_LIMIT, true);
  const markRead = flag(args, 'mark-read');
  const following = flag(args, 'follow');

  const all = node.store.inbox.list(filter);
  const shown = limit === undefined ? all : all.slice(-limit);
  const marked = markRead ? acknowledgeMessages(node, shown.map((m) => m.id), node.clock.now()).length : 0;
  if (out.json && !following) {
    out.data({ total: all.length, shown: shown.length, markedRead: marked, messages: shown.map(view) });
  } else if (!out.json && !following && shown.length === 0) {
    out.line(all.length === 0 ? 'No messages.' : 'No messages shown (--limit).');
  } else if (!out.json && !following) {
    out.table(
      ['', 'RECEIVED', 'FROM', 'TYPE', 'ID', 'SUBJECT', 'RE'],
      shown.map((m) => [m.readAt === null ? '*' : '', formatTime(m.receivedAt), cell(m.from, 64), m.type, m.id, cell(m.subject, 50), m.correlationId ?? '']),
    );
    const unread = shown.filter((m) => m.readAt === null).length;
    out.info(`${shown.length} of ${all.length} message(s)${unread > 0 ? `, ${unread} unread (*)` : ''}${markRead ? `; ${marked} marked read` : ''} · read one: mesh inbox show <id>`);
    const suppressed = shown.filter((m) => m.alertDecision === 'suppressed').length;
    if (suppressed > 0) out.info(`${suppressed} duplicate alert(s) not handed to the agent (fleet.dedupAlerts) · mesh incidents`);
    const failed = shown.filter((m) => m.deliveryState === 'failed');
    if (failed.length > 0) {
      out.info(`${failed.length} hand-off${failed.length === 1 ? '' : 's'} failed (${failed.slice(0, 3).map((m) => m.id).join(', ')}${failed.length > 3 ? ', …' : ''}) · reason: mesh inbox show <id> · again: mesh inbox retry <id>`);
    }
  } else {
    printBatch(ctx, shown, true);
  }
  if (following) await follow(ctx, node, filter, new Map(all.map((m) => [m.id, m.receivedAt])), markRead);
  return ExitCode.Ok;
}

function show(ctx: CliContext, node: MeshNode, id: string, markRead: boolean): number {
  const m = node.store.inbox.get(id);
  if (m === null) throw new MeshError(MeshErrorCode.NotFound, `no message with id "${id}" in the inbox (see mesh inbox)`);
  if (markRead) acknowledgeMessages(node, [id], node.clock.now());
  const env = redactedEnvelope(m.envelope) as { replyTo?: { url?: unknown } | null; priority?: unknown; timestamp?: unknown } | null;
  const replyUrl = typeof env?.replyTo?.url === 'string' ? env.replyTo.url : null;
  const { out } = ctx;
  if (out.json) {
    out.data({ ...view(m), deliveryAttempts: m.deliveryAttempts, deliveryError: m.deliveryError, replyTo: replyUrl, envelope: env });
    return ExitCode.Ok;
  }
  const field = (k: string, v: string): void => out.line(`${out.style('bold', k.padEnd(10))} ${v}`);
  field('id', m.id);
  field('from', `${cell(m.from, 64)} → ${cell(m.to, 64)}`);
  field('type', m.type);
  field('subject', cell(m.subject, 500));
  field('received', `${formatTime(m.receivedAt)}${m.readAt === null ? ' (unread)' : ` (read ${formatTime(m.readAt)})`}`);
  field('auth', m.auth);
  field('encrypted', encryptionText(m));
  if (m.correlationId) field('re', m.correlationId);
  if (m.conversationId) field('conv', m.conversationId);
  if (replyUrl) field('reply to', `${cell(replyUrl, 200)} (token hidden)`);
  if (m.type === 'request') field('answer', `mesh reply ${m.id} "<body>"`);
  if (m.deliveryState !== 'none') field('hand-off', handOffText(m));
  if (m.alertDecision !== null) field('alert', `${m.alertDecision}${m.incidentId === null ? '' : ` (incident ${m.incidentId} · mesh incidents --all)`}`);
  const attachments = receivedAttachments(m);
  attachments.forEach((a, i) => field(i === 0 ? 'attached' : '', attachmentLine(a)));
  out.line('');
  out.line(printable(m.body));
  return ExitCode.Ok;
}

function retry(ctx: CliContext, node: MeshNode, id: string): number {
  const before = retryHandOff(node, id);
  const { out } = ctx;
  if (out.json) {
    out.data({ id, retried: true, previousAttempts: before.deliveryAttempts, previousError: before.deliveryError });
    return ExitCode.Ok;
  }
  out.line(`Hand-off of ${id} queued again (it had failed after ${before.deliveryAttempts} attempt(s): ${cell(before.deliveryError ?? 'no error recorded', 200)}).`);
  out.info('`mesh serve` hands it to the agent on its next tick.');
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'inbox',
  summary: 'list received messages (--unread, --follow)',
  usage: [
    'inbox [--unread] [--from <agent>] [--type <type>] [--since <time>] [--limit <n>] [--mark-read] [--follow]',
    'inbox show <id> [--mark-read]',
    'inbox retry <id>',
  ],
  description:
    'Messages this node received and verified, oldest first (the newest --limit of them, default 50;\n' +
    '--limit 0 shows all). `*` marks unread ones. --json prints {total, shown, markedRead, messages[]} with\n' +
    'each message\'s plaintext body and attachments (decrypted when they travelled encrypted) and what was\n' +
    'encrypted ({"body": bool, "attachments": bool|"none"}). --follow then keeps printing new messages as they arrive (the inbox is\n' +
    `re-read every ${FOLLOW_POLL_MS} ms) until Ctrl-C, and exits 0; with --json it prints one JSON object per\n` +
    'line (NDJSON), the already present messages first. --mark-read marks exactly the messages printed as\n' +
    'read. `show` prints one message with its body; tokens in the envelope (replyTo.token) are never shown.\n' +
    'A message the daemon could not hand to the agent (handler/OpenClaw) after its attempts is `failed`;\n' +
    '`show` gives the reason, and `retry` queues its hand-off again. With fleet.dedupAlerts, an alert carries its\n' +
    'de-duplication decision (`alert`: {decision, incidentId}); a `suppressed` one was not handed to the agent.',
  options: {
    unread: { type: 'boolean', description: 'only messages not marked read' },
    from: { type: 'string', placeholder: 'agent', description: 'only messages from this agent' },
    type: { type: 'string', placeholder: 'type', description: 'only this type: request, response, notification, alert, ack' },
    since: { type: 'string', placeholder: 'time', description: 'only messages received since: 30m, 48h, 2d, "2 days ago", 2026-01-31T12:00:00Z' },
    limit: { type: 'string', placeholder: 'n', description: `the newest n matching messages (default ${DEFAULT_LIMIT}; 0 = all)` },
    'mark-read': { type: 'boolean', description: 'mark the messages shown as read' },
    follow: { type: 'boolean', short: 'f', description: 'keep printing new messages until interrupted' },
  },
  examples: [
    'mesh inbox --unread',
    'mesh inbox --from beta --type response --limit 10',
    'mesh inbox --unread --mark-read --json     # an agent pulling its work',
    'mesh inbox --follow --json | jq .subject',
    'mesh inbox show msg_5f0c…',
    'mesh inbox retry msg_5f0c…                 # hand a failed message to the agent again',
  ],
  async run(ctx, args) {
    const { sub, rest } = subcommand('inbox', args.positionals, ['list', 'show', 'retry'] as const, 'list');
    if (sub === 'retry') {
      const [id, ...extra] = rest;
      if (id === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, 'missing id: mesh inbox retry <id> (failed ones: mesh inbox)');
      noMoreArgs('inbox retry', extra);
      return withNode(ctx, (node) => retry(ctx, node, id));
    }
    if (sub === 'show') {
      const [id, ...extra] = rest;
      if (id === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, 'missing id: mesh inbox show <id> (ids: mesh inbox)');
      noMoreArgs('inbox show', extra);
      return withNode(ctx, (node) => show(ctx, node, id, flag(args, 'mark-read')), { readOnly: !flag(args, 'mark-read') });
    }
    noMoreArgs('inbox', rest);
    return withNode(ctx, (node) => list(ctx, node, args), { readOnly: !flag(args, 'mark-read') });
  },
};
