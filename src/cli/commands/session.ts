import type { MeshNode } from '../../node/mesh-node.ts';
import { inboundOf } from '../../node/node-inbound.ts';
import { sessionsOf, type SessionRecipient, type SessionView } from '../../node/node-sessions.ts';
import { parseOrdered } from '../../protocol/canonical-json.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { getField } from '../../protocol/json.ts';
import { flag, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { cell } from '../printable.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';
import { formatRelative, isoTime } from '../time-args.ts';

const SUBS = ['list', 'start', 'send', 'receive', 'context', 'close', 'cleanup'] as const;

function viewJson(v: SessionView): Record<string, unknown> {
  return { ...v, createdAt: isoTime(v.createdAt), lastActivity: isoTime(v.lastActivity) };
}

function stateOf(v: SessionView): string {
  return v.status === 'closed' ? 'closed' : v.expired ? 'expired' : 'active';
}

function need(value: string | undefined, usage: string): string {
  if (value === undefined || value === '') throw new MeshError(MeshErrorCode.InvalidArgument, `usage: mesh session ${usage}`);
  return value;
}

async function readAll(ctx: CliContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function start(ctx: CliContext, node: MeshNode, rest: string[]): number {
  const [key, ...agents] = rest;
  const k = need(key, 'start <key> <agent…>');
  for (const a of agents) node.peer(a); // UNKNOWN_AGENT (exit 2) with the known names
  const v = sessionsOf(node).start(k, agents);
  if (ctx.out.json) ctx.out.data(viewJson(v));
  else ctx.out.line(`Session ${v.key}: ${v.participants.join(', ')} (${v.messageCount} message${v.messageCount === 1 ? '' : 's'})`);
  return ExitCode.Ok;
}

/** The worst outcome decides, as for `mesh send`. */
function sendExit(recipients: readonly SessionRecipient[]): number {
  const s = new Set(recipients.map((r) => r.outcome.status));
  if (s.has('failed')) return ExitCode.Error;
  if (s.has('dead_lettered')) return ExitCode.DeadLettered;
  if (s.has('expired')) return ExitCode.Expired;
  if (s.has('queued')) return ExitCode.Queued;
  return ExitCode.Ok;
}

async function send(ctx: CliContext, node: MeshNode, rest: string[], args: ParsedArgs): Promise<number> {
  const usage = 'send <key> <agent> <message|-> [subject]';
  const [key, agent, text, subjectArg, ...extra] = rest;
  noMoreArgs('session send', extra);
  let message = need(text, usage);
  if (message === '-') message = await readAll(ctx);
  const subject = str(args, 'subject') ?? subjectArg;
  const ttlText = str(args, 'ttl');
  const ttlSeconds = ttlText === undefined ? undefined : Number(ttlText);
  const r = await sessionsOf(node).send({
    key: need(key, usage), agent: need(agent, usage), message, subject, ttlSeconds, priority: str(args, 'priority'),
  });
  const code = sendExit(r.recipients);
  if (ctx.out.json) {
    ctx.out.data({ ok: code === ExitCode.Ok, exitCode: code, ...r });
    return code;
  }
  for (const x of r.recipients) {
    const error = x.outcome.error === undefined ? '' : ` (${x.outcome.error})`;
    ctx.out.line(`→ ${x.agent.padEnd(16)} ${x.outcome.status}${error}  ${x.id}`);
  }
  ctx.out.info(`session ${r.key}: ${r.messageCount} message(s), participants ${r.participants.join(', ')}`);
  return code;
}

async function receive(ctx: CliContext, node: MeshNode, rest: string[]): Promise<number> {
  const [arg, ...extra] = rest;
  noMoreArgs('session receive', extra);
  let text = need(arg, 'receive <envelope-json|hook-body-json|->');
  if (text === '-') text = await readAll(ctx);
  let wrapped = false;
  try {
    const doc = parseOrdered(text);
    wrapped = getField(doc, 'message') !== undefined && getField(doc, 'protocol') === undefined;
  } catch {
    // The pipeline gives the precise malformed_body answer.
  }
  // The pipeline verifies and stores the message; its observer records it in its session.
  const res = inboundOf(node).handle({ pathSender: null, bodyText: text, wrapped });
  const id = typeof res.body.id === 'string' ? res.body.id : null;
  const msg = res.status >= 200 && res.status < 300 && id !== null ? node.store.inbox.get(id) : null;
  if (msg === null) {
    ctx.out.data({ ok: false, status: res.status, code: res.body.code, error: res.body.error });
    if (!ctx.out.json) ctx.out.error(`rejected: ${res.body.code ?? res.status} ${res.body.error ?? ''}`.trim());
    return ExitCode.Rejected;
  }
  const sessionKey = getField(getField(parseOrdered(msg.envelope), 'session'), 'key');
  const sessions = sessionsOf(node);
  const view = typeof sessionKey === 'string' ? sessions.get(sessionKey) : null;
  ctx.out.data({
    ok: true,
    duplicate: res.body.duplicate === true,
    id: msg.id,
    from: msg.from,
    type: msg.type,
    // null: the message names no session (bash printed NO_SESSION), or one this node did not keep.
    sessionKey: typeof sessionKey === 'string' ? sessionKey : null,
    session: view === null ? null : viewJson(view),
  });
  if (view !== null) ctx.out.info(sessions.context(view.key).trimEnd());
  return ExitCode.Ok;
}

function context(ctx: CliContext, node: MeshNode, rest: string[]): number {
  const [key, maxText, ...extra] = rest;
  noMoreArgs('session context', extra);
  const k = need(key, 'context <key> [max]');
  const max = maxText === undefined ? undefined : Number(maxText);
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new MeshError(MeshErrorCode.InvalidArgument, `max must be a whole number of messages, at least 1, got "${maxText}"`);
  const sessions = sessionsOf(node);
  const text = sessions.context(k, max);
  if (!ctx.out.json) {
    ctx.stdout.write(text);
    return ExitCode.Ok;
  }
  const v = sessions.get(k);
  ctx.out.data({
    ...(v === null ? {} : viewJson(v)),
    messages: sessions.messages(k, max ?? 20).map((m) => ({
      from: m.from, to: m.to, type: m.type, subject: m.subject, body: m.body, messageId: m.messageId, correlationId: m.correlationId, timestamp: isoTime(m.ts),
    })),
    text,
  });
  return ExitCode.Ok;
}

function list(ctx: CliContext, node: MeshNode, args: ParsedArgs): number {
  const views = sessionsOf(node).list({ all: flag(args, 'all') });
  if (ctx.out.json) {
    ctx.out.data({ sessions: views.map(viewJson) });
    return ExitCode.Ok;
  }
  if (views.length === 0) {
    ctx.out.line(flag(args, 'all') ? 'No sessions.' : 'No active sessions (mesh session list --all shows closed and expired ones).');
    return ExitCode.Ok;
  }
  const now = node.clock.now();
  ctx.out.table(
    ['KEY', 'STATE', 'PARTICIPANTS', 'MESSAGES', 'LAST ACTIVITY'],
    views.map((v) => [cell(v.key, 64), stateOf(v), cell(v.participants.join(','), 50), String(v.messageCount), formatRelative(v.lastActivity, now)]),
  );
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'session',
  summary: 'collaborative sessions (bash mesh-session-router): start | send | receive | context | list | close | cleanup',
  usage: [
    'session list [--active|--all]',
    'session start <key> <agent…>',
    'session send <key> <agent> <message|-> [subject] [--ttl <s>] [--priority <p>]',
    'session receive <envelope-json|hook-body-json|->',
    'session context <key> [max=20]',
    'session close <key>',
    'session cleanup',
  ],
  description:
    'A session is a group conversation keyed by the envelope\'s session.key, so bash MESH peers\n' +
    '(mesh-session-router.sh, mesh-send.sh --session-key) take part unchanged. Every verified message\n' +
    'that carries a session key joins its session on arrival (mesh serve or mesh receive).\n\n' +
    '  start    create the session (this node first) or reopen a closed one, adding the agents\n' +
    '  send     record the message, then send ONE request to every other participant (the named agent\n' +
    '           joins first), with session {"key"}, metadata {sessionContext, sessionKey, participants}\n' +
    '           and, from the second message on, the prior conversation at the top of the body\n' +
    '  receive  direct topology: verify and record an envelope your gateway got, print JSON (never\n' +
    '           shell); the session\'s context goes to stderr\n' +
    '  context  the newest max messages in bash\'s format; peer text is quoted behind "│" and made inert\n' +
    '  list     active sessions; --all adds closed and expired ones\n' +
    '  close    mark it closed (messages that arrive are still recorded; send refuses until start)\n' +
    '  cleanup  delete sessions without a message for longer than the session TTL (mesh serve does this\n' +
    '           itself)\n\n' +
    'Limits: config/mesh.json "sessions": {"maxMessages": 50, "ttlHours": 24}; the bash variables\n' +
    'MESH_MAX_SESSION_MESSAGES and MESH_SESSION_TTL_HOURS override them.',
  options: {
    active: { type: 'boolean', description: 'list: active sessions only (the default)' },
    all: { type: 'boolean', description: 'list: closed and expired sessions too' },
    subject: { type: 'string', placeholder: 'text', description: 'send: subject (default: the start of the message)' },
    ttl: { type: 'string', placeholder: 'seconds', description: 'send: time to live of each request (default 300)' },
    priority: { type: 'string', placeholder: 'p', description: 'send: priority label (default normal)' },
  },
  examples: [
    'mesh session start collab-1767225600-a1b2c3 beta gamma',
    'mesh session send collab-1767225600-a1b2c3 beta "Which index should we drop?"',
    'mesh session context collab-1767225600-a1b2c3 10',
    'printf %s "$MESSAGE" | mesh session receive -',
  ],
  async run(ctx, args) {
    const { sub, rest } = subcommand('session', args.positionals, SUBS, 'list');
    if (flag(args, 'active') && flag(args, 'all')) throw new MeshError(MeshErrorCode.InvalidArgument, 'give --active or --all, not both');
    switch (sub) {
      case 'list':
        noMoreArgs('session list', rest);
        return withNode(ctx, (node) => list(ctx, node, args), { readOnly: true });
      case 'context':
        return withNode(ctx, (node) => context(ctx, node, rest), { readOnly: true });
      case 'start':
        return withNode(ctx, (node) => start(ctx, node, rest));
      case 'send':
        return withNode(ctx, (node) => send(ctx, node, rest, args));
      case 'receive':
        return withNode(ctx, (node) => receive(ctx, node, rest));
      case 'close':
        return withNode(ctx, (node) => {
          const [key, ...extra] = rest;
          noMoreArgs('session close', extra);
          const v = sessionsOf(node).close(need(key, 'close <key>'));
          if (ctx.out.json) ctx.out.data(viewJson(v));
          else ctx.out.line(`Session ${v.key} closed.`);
          return ExitCode.Ok;
        });
      case 'cleanup':
        noMoreArgs('session cleanup', rest);
        return withNode(ctx, (node) => {
          const deleted = sessionsOf(node).cleanup();
          if (ctx.out.json) ctx.out.data({ deleted });
          else ctx.out.line(deleted.length === 0 ? 'No expired sessions.' : `Deleted ${deleted.length} expired session(s): ${deleted.join(', ')}`);
          return ExitCode.Ok;
        });
    }
  },
};
