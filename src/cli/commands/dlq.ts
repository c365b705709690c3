import type { MeshNode } from '../../node/mesh-node.ts';
import { purgeDeadLetters } from '../../node/queue-admin.ts';
import type { DeadLetter } from '../../ports/store.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, str, type CliContext, type CommandSpec } from '../command.ts';
import { confirm } from '../confirm.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { cell } from '../printable.ts';
import { redactedEnvelope, redactedEnvelopeText } from '../../protocol/redact-envelope.ts';
import { agentFilter, noMoreArgs, subcommand } from '../subcommand.ts';
import { formatDuration, formatRelative, formatTime, isoTime, parseLimit } from '../time-args.ts';

/** What the peer's wire code (after `client_error_<status>:`) asks the user to fix. */
const PEER_CODE_HINTS: Readonly<Record<string, string>> = {
  unauthorized: 'check the peer\'s token in the registry (mesh join)',
  unknown_sender: 'the peer does not know this node: it must add it first (mesh join on the peer)',
  signature_missing: 'the peer requires signed messages from this node: share a signing key (mesh keygen) and enable signing for it',
  signature_invalid: 'the peer could not verify the signature: the signing key (or Ed25519 public key) the two nodes hold differ',
  decrypt_failed: 'the peer could not decrypt it: the encryption key or scheme the two nodes hold differ',
  wrong_recipient: 'the peer has another agent name than the registry entry says',
  expired: 'it was too old when it reached the peer (TTL or the peer\'s replay window)',
  future_timestamp: 'the clocks of the two hosts disagree',
  payload_too_large: 'the message is larger than the peer accepts',
};

/** What a dead-letter reason means and what to do about it (bash-mesh-behavior.md §14 A, plus ours). */
export function explainReason(reason: string): string {
  const client = /^client_error_(\d{3})(?::([a-z_]{1,40}))?$/.exec(reason);
  if (client) {
    const [, status, peerCode] = client;
    const hint = (peerCode === undefined ? undefined : PEER_CODE_HINTS[peerCode])
      ?? (status === '401' || status === '403' ? 'check the peer\'s token in the registry (mesh join)'
        : status === '404' ? 'check the peer\'s address and hook path'
          : status === '413' ? 'the message is larger than the peer accepts'
            : 'fix the cause first');
    const said = peerCode === undefined ? '' : ` (${peerCode})`;
    return `the peer refused it with HTTP ${status}${said}, a permanent error: ${hint}, then replay`;
  }
  switch (reason) {
    case 'circuit_open': return 'the peer\'s circuit breaker was open (it kept failing); replay once it is reachable (the daemon does this by itself)';
    case 'all_retries_exhausted': return 'every attempt failed (network error, timeout or 5xx); replay once the peer is reachable (the daemon does this by itself)';
    case 'unknown_peer': return 'the peer is no longer in the registry; add it again (mesh join) before replaying';
    case 'expired': return 'its TTL ran out before delivery; it cannot be replayed';
    default: return 'see the last error';
  }
}

function subjectOf(envelope: string): string | null {
  const v = redactedEnvelope(envelope) as { payload?: { subject?: unknown } } | null;
  return typeof v?.payload?.subject === 'string' ? v.payload.subject : null;
}

function summaryJson(l: DeadLetter, now: number): Record<string, unknown> {
  return {
    id: l.id, peer: l.peer, type: l.type, subject: subjectOf(l.envelope), reason: l.reason, attempts: l.attempts,
    lastError: l.lastError, createdAt: isoTime(l.createdAt), failedAt: isoTime(l.failedAt), expiresAt: isoTime(l.expiresAt),
    ageMs: now - l.createdAt, expired: l.expiresAt <= now,
  };
}

function list(ctx: CliContext, node: MeshNode, peer: string | undefined, limit: number | undefined): number {
  const now = node.clock.now();
  const letters = node.store.deadLetters.list({ ...(peer === undefined ? {} : { peer }), ...(limit === undefined ? {} : { limit }) });
  const { out } = ctx;
  if (out.json) {
    out.data({ total: letters.length, deadLetters: letters.map((l) => summaryJson(l, now)) });
    return ExitCode.Ok;
  }
  if (letters.length === 0) {
    out.line(`No dead letters${peer ? ` for ${peer}` : ''}.`);
    return ExitCode.Ok;
  }
  out.table(
    ['ID', 'PEER', 'TYPE', 'REASON', 'ATTEMPTS', 'FAILED AT', 'AGE', 'TTL LEFT'],
    letters.map((l) => [
      l.id, l.peer, l.type, l.reason, String(l.attempts), formatTime(l.failedAt), formatDuration(now - l.createdAt),
      l.expiresAt <= now ? 'expired' : formatDuration(l.expiresAt - now),
    ]),
  );
  out.info(`${letters.length} dead letter(s) · details: mesh dlq show <id> · retry: mesh dlq replay <id> | --agent <name> | --all`);
  return ExitCode.Ok;
}

function show(ctx: CliContext, node: MeshNode, id: string): number {
  const l = node.store.deadLetters.get(id);
  if (l === null) throw new MeshError(MeshErrorCode.NotFound, `no dead letter with id "${id}" (see mesh dlq list)`);
  const now = node.clock.now();
  const { out } = ctx;
  if (out.json) {
    out.data({ ...summaryJson(l, now), sessionKey: l.sessionKey, explanation: explainReason(l.reason), envelope: redactedEnvelope(l.envelope) ?? redactedEnvelopeText(l.envelope) });
    return ExitCode.Ok;
  }
  const field = (k: string, v: string): void => out.line(`${out.style('bold', k.padEnd(11))} ${v}`);
  field('id', l.id);
  field('peer', l.peer);
  field('type', l.type);
  field('subject', cell(subjectOf(l.envelope), 200));
  field('reason', `${l.reason} — ${explainReason(l.reason)}`);
  field('attempts', String(l.attempts));
  field('last error', l.lastError ?? '-');
  field('created', `${formatTime(l.createdAt)} (${formatRelative(l.createdAt, now)})`);
  field('failed', `${formatTime(l.failedAt)} (${formatRelative(l.failedAt, now)})`);
  field('expires', `${formatTime(l.expiresAt)} (${l.expiresAt <= now ? 'expired: cannot be replayed' : formatRelative(l.expiresAt, now)})`);
  if (l.sessionKey !== null) field('session', l.sessionKey);
  out.line(out.style('bold', 'envelope'));
  out.line(redactedEnvelopeText(l.envelope));
  return ExitCode.Ok;
}

function replay(ctx: CliContext, node: MeshNode, id: string | undefined, peer: string | undefined, all: boolean): number {
  if (id === undefined && peer === undefined && !all) {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'say what to replay: mesh dlq replay <id> | --agent <name> | --all');
  }
  if (all && (id !== undefined || peer !== undefined)) {
    throw new MeshError(MeshErrorCode.InvalidArgument, '--all replays every dead letter: do not combine it with an id or --agent');
  }
  if (id !== undefined && node.store.deadLetters.get(id) === null) {
    throw new MeshError(MeshErrorCode.NotFound, `no dead letter with id "${id}" (see mesh dlq list)`);
  }
  const r = node.delivery.replayDeadLetters({ ...(id === undefined ? {} : { id }), ...(peer === undefined ? {} : { peer }) });
  const { out } = ctx;
  const code = id !== undefined && r.replayed === 0 && r.expired > 0 ? ExitCode.Expired : ExitCode.Ok;
  if (out.json) {
    out.data({ replayed: r.replayed, expired: r.expired });
    return code;
  }
  if (r.replayed === 0 && r.expired === 0) {
    out.line(`No dead letters${peer ? ` for ${peer}` : ''} to replay.`);
    return code;
  }
  out.line(`Requeued ${r.replayed} dead letter(s) in the outbox (same ids and bytes; receivers de-duplicate).`);
  if (r.expired > 0) out.line(`${r.expired} had passed their TTL and were purged instead: expired messages are never replayed.`);
  if (r.replayed > 0) out.line('`mesh serve` delivers them on its next tick; without the daemon, run `mesh queue drain` now.');
  return code;
}

async function purge(ctx: CliContext, node: MeshNode, peer: string | undefined, yes: boolean): Promise<number> {
  const { out } = ctx;
  const n = node.store.deadLetters.list(peer === undefined ? {} : { peer }).length;
  if (n === 0) {
    if (out.json) out.data({ purged: 0, ids: [] });
    else out.line(`No dead letters${peer ? ` for ${peer}` : ''} to purge.`);
    return ExitCode.Ok;
  }
  const what = `Delete ${n} dead letter(s)${peer ? ` to ${peer}` : ''} for good?`;
  if (!(await confirm(ctx, what, yes, `mesh dlq purge ${peer ? `--agent ${peer} ` : ''}--yes`))) {
    out.error('not confirmed: nothing deleted');
    return ExitCode.Error;
  }
  const purged = purgeDeadLetters(node, peer);
  if (out.json) out.data({ purged: purged.length, ids: purged.map((l) => l.id) });
  else out.line(`Purged ${purged.length} dead letter(s)${peer ? ` to ${peer}` : ''} (audited as "purged").`);
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'dlq',
  summary: 'dead letters: list | show <id> | replay [id|--agent a|--all] | purge',
  usage: [
    'dlq [list] [--agent <name>] [--limit <n>]',
    'dlq show <id>',
    'dlq replay <id> | --agent <name> | --all',
    'dlq purge [--agent <name>] [--yes]',
  ],
  description:
    'Dead letters are messages that could not be delivered: refused by the peer (client_error_<status>, with\n' +
    'the peer\'s reason when it gave one: client_error_403:signature_invalid), every\n' +
    'retry failed (all_retries_exhausted), the circuit was open (circuit_open), or the peer left the registry\n' +
    '(unknown_peer). They keep their id and exact bytes. `mesh serve` replays circuit_open and\n' +
    'all_retries_exhausted letters by itself when the peer answers its health probe again, and unknown_peer\n' +
    'letters once the peer is back in the registry (mesh join) and answers.\n\n' +
    '  list    id, peer, type, reason, attempts, failed-at, age and TTL left, oldest failure first\n' +
    '  show    one dead letter in full, the envelope pretty-printed (replyTo.token and other tokens shown as ***)\n' +
    '  replay  move dead letters back to the outbox, due now; expired ones are purged, never replayed.\n' +
    '          The daemon (or `mesh queue drain`) then delivers them. Exit 12 when the one id given had expired.\n' +
    '  purge   delete dead letters for good, each audited as "purged"; asks on a terminal, needs --yes otherwise',
  options: {
    agent: { type: 'string', placeholder: 'name', description: 'only dead letters to this peer' },
    all: { type: 'boolean', description: 'replay: every dead letter' },
    limit: { type: 'string', placeholder: 'n', description: 'list: at most n entries (oldest failures first)' },
    yes: { type: 'boolean', short: 'y', description: 'purge: do not ask for confirmation' },
  },
  examples: [
    'mesh dlq',
    'mesh dlq list --agent beta --json',
    'mesh dlq show msg_5f0c…',
    'mesh dlq replay --agent beta && mesh queue drain beta',
    'mesh dlq purge --agent beta --yes',
  ],
  async run(ctx, args) {
    const { sub, rest } = subcommand('dlq', args.positionals, ['list', 'show', 'replay', 'purge'] as const, 'list');
    const peer = agentFilter(undefined, str(args, 'agent'));
    if (sub === 'show') {
      const [id, ...extra] = rest;
      if (id === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, 'missing id: mesh dlq show <id> (ids: mesh dlq list)');
      noMoreArgs('dlq show', extra);
      return withNode(ctx, (node) => show(ctx, node, id), { readOnly: true });
    }
    if (sub === 'replay') {
      const [id, ...extra] = rest;
      noMoreArgs('dlq replay', extra);
      return withNode(ctx, (node) => replay(ctx, node, id, peer, flag(args, 'all')));
    }
    noMoreArgs(`dlq ${sub}`, rest);
    if (sub === 'purge') return withNode(ctx, (node) => purge(ctx, node, peer, flag(args, 'yes')));
    const limit = parseLimit(str(args, 'limit'), undefined);
    return withNode(ctx, (node) => list(ctx, node, peer, limit), { readOnly: true });
  },
};
