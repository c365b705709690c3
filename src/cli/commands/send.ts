import { inlineAttachment, urlAttachment } from '../../node/attachments.ts';
import { CLEAR_ATTACHMENTS_OPTION } from '../../node/compose.ts';
import { openNode, type MeshNode } from '../../node/mesh-node.ts';
import { draftAttachments, sendMessage, transportFields, type SendInput, type TargetResult } from '../../node/send-message.ts';
import { waitForDelivery } from '../../node/wait-delivery.ts';
import { parseOrdered } from '../../protocol/canonical-json.ts';
import { isMessageType, MESSAGE_TYPES } from '../../protocol/envelope.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import type { JsonValue } from '../../protocol/json.ts';
import { flag, list, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import type { Output } from '../output.ts';

/** Options shared by send, request and reply. */
export const messageOptions = {
  subject: { type: 'string', placeholder: 'text', description: 'subject (default: first 80 bytes of the body)' },
  priority: { type: 'string', placeholder: 'p', description: 'priority label (default normal)' },
  ttl: { type: 'string', placeholder: 'seconds', description: 'time to live (default 300): expired messages are purged, never sent' },
  'correlation-id': { type: 'string', placeholder: 'id', description: 'correlationId (the request this answers)' },
  'conversation-id': { type: 'string', placeholder: 'id', description: 'conversationId' },
  'idempotency-key': { type: 'string', placeholder: 'key', description: 'receivers deliver one message per (sender, key)' },
  metadata: { type: 'string', placeholder: 'json', description: 'payload.metadata JSON object (key order kept)' },
  'reply-context': { type: 'string', placeholder: 'json', description: 'replyContext JSON, echoed back by the responder' },
  session: { type: 'string', placeholder: 'json', description: 'session JSON' },
  'session-key': { type: 'string', placeholder: 'key', description: 'shorthand for --session \'{"key":"<key>"}\'' },
  attachment: { type: 'string', multiple: true, placeholder: 'url[|mime|desc]', description: 'URL attachment' },
  file: { type: 'string', multiple: true, placeholder: 'path', description: 'file attachment (inline below 64 KiB, else served by this node for the message\'s TTL)' },
  inline: { type: 'string', multiple: true, placeholder: 'base64', description: 'inline base64 attachment' },
  encrypt: { type: 'boolean', description: 'encrypt the body, and for aes-256-gcm peers the attachments, with the peer\'s key' },
  'clear-attachments': { type: 'boolean', description: 'with --encrypt: send attachments unencrypted to aes-256-cbc (bash) peers, which cannot decrypt them' },
  'no-retry': { type: 'boolean', description: 'one attempt only; a failure goes straight to dead letters' },
  'dry-run': { type: 'boolean', description: 'print the signed envelope(s); store and send nothing' },
} as const;

function jsonOption(args: ParsedArgs, name: string, onInvalid: 'error' | 'string', out: Output): JsonValue | undefined {
  const raw = str(args, name);
  if (raw === undefined) return undefined;
  try {
    return parseOrdered(raw);
  } catch (e) {
    if (onInvalid === 'string') {
      out.warn(`--${name} is not valid JSON; sending it as a JSON string (as bash MESH does)`);
      return raw;
    }
    throw new MeshError(MeshErrorCode.InvalidJson, `--${name}: ${(e as Error).message}`);
  }
}

/**
 * Builds the SendInput fields common to send/request/reply from parsed options. `target` is where
 * the message goes: an encrypted message whose attachments a target could only get in clear is
 * refused here, before any --file is copied for serving.
 */
export function draftFromArgs(ctx: CliContext, args: ParsedArgs, node: MeshNode, target: string): Omit<SendInput, 'target' | 'type' | 'body'> {
  const ttlText = str(args, 'ttl');
  let ttlSeconds: number | undefined;
  if (ttlText !== undefined) {
    ttlSeconds = Number(ttlText);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 30 * 86_400) {
      throw new MeshError(MeshErrorCode.InvalidArgument, `--ttl must be whole seconds 1..2592000, got "${ttlText}"`);
    }
  }
  const metadata = jsonOption(args, 'metadata', 'error', ctx.out);
  if (metadata !== undefined && !(metadata instanceof Map)) throw new MeshError(MeshErrorCode.InvalidArgument, '--metadata must be a JSON object');
  const sessionKey = str(args, 'session-key');
  let session = jsonOption(args, 'session', 'string', ctx.out);
  if (typeof session === 'string') session = new Map([['key', session]]);
  if (sessionKey !== undefined) session = new Map([['key', sessionKey]]);
  const encrypt = flag(args, 'encrypt');
  const clearAttachments = flag(args, 'clear-attachments');
  if (clearAttachments && !encrypt) ctx.out.warn(`${CLEAR_ATTACHMENTS_OPTION} has no effect without --encrypt`);
  const urls = list(args, 'attachment').map(urlAttachment);
  const inline = list(args, 'inline').map(inlineAttachment);
  const files = list(args, 'file');
  const attachments = draftAttachments(node, target, [...urls, ...inline], files, { encrypt, clearAttachments, ttlSeconds });
  return {
    subject: str(args, 'subject'),
    priority: str(args, 'priority'),
    ttlSeconds,
    correlationId: str(args, 'correlation-id'),
    conversationId: str(args, 'conversation-id'),
    idempotencyKey: str(args, 'idempotency-key'),
    metadata,
    replyContext: jsonOption(args, 'reply-context', 'string', ctx.out),
    session,
    attachments,
    encrypt,
    clearAttachments,
    noRetry: flag(args, 'no-retry'),
    dryRun: flag(args, 'dry-run'),
  };
}

const exitRank: Record<string, number> = { delivered: 0, dry_run: 0, queued: 1, expired: 2, dead_lettered: 3, error: 4 };

/** Exit code for a set of target results: the worst outcome wins. */
export function exitCodeFor(results: readonly TargetResult[]): number {
  const worst = results.reduce((w, r) => ((exitRank[r.status] ?? 4) > (exitRank[w] ?? 0) ? r.status : w), 'delivered');
  return worst === 'delivered' || worst === 'dry_run' ? ExitCode.Ok
    : worst === 'queued' ? ExitCode.Queued
    : worst === 'expired' ? ExitCode.Expired
    : worst === 'dead_lettered' ? ExitCode.DeadLettered
    : ExitCode.Error;
}

/** Said of every sent message whose attachments travelled in clear although --encrypt was given. */
function clearNote(r: TargetResult): string {
  return r.encrypted?.body === true && r.encrypted.attachments === false
    ? ` (attachments NOT encrypted: ${CLEAR_ATTACHMENTS_OPTION})`
    : '';
}

export function describe(out: Output, r: TargetResult, now: number): string {
  const http = r.httpStatus ? `HTTP ${r.httpStatus}` : r.error ?? '';
  return `${describeStatus(out, r, http, now)}${r.status === 'error' ? '' : clearNote(r)}`;
}

/** What the receiver said, in words: an HTTP status, or over NATS its receipt. */
function answer(r: TargetResult): string {
  if (r.transport !== 'nats') return r.httpStatus ? `HTTP ${r.httpStatus}` : '';
  const by = r.via ?? r.peer;
  return r.receipt === 'duplicate' ? `already stored by ${by} via NATS` : r.receipt === 'stored' ? `stored by ${by} via NATS` : 'via NATS';
}

/** Why a NATS attempt failed, in words (the codes are nats-link.ts / nats-transport.ts's). */
function natsFailure(r: TargetResult): string {
  const why = r.error === 'no_receipt' ? `no receipt from ${r.peer} yet` : r.error ?? 'no answer';
  return `NATS: ${why}`;
}

function describeStatus(out: Output, r: TargetResult, http: string, now: number): string {
  switch (r.status) {
    case 'delivered': {
      const detail = [answer(r), r.attempts > 1 ? `attempt ${r.attempts}` : ''].filter(Boolean).join(', ');
      const via = r.via === undefined ? '' : ` to relay ${r.via}`;
      return `${out.style('green', '✓')} ${r.peer}: delivered${via}${detail ? ` (${detail})` : ''} ${r.id}`;
    }
    case 'queued': {
      const wait = r.nextAttemptAt ? `; next attempt in ${Math.max(0, Math.round((r.nextAttemptAt - now) / 1000))}s` : '';
      const why = r.reason === 'circuit_open' ? 'circuit open' : r.reason === 'throttled' ? 'peer busy, HTTP 429' : r.transport === 'nats' ? natsFailure(r) : http || 'no answer';
      return `${out.style('yellow', '…')} ${r.peer}: queued for retry (${why}${wait}) ${r.id} — \`mesh serve\` or \`mesh queue drain\` delivers it`;
    }
    case 'dead_lettered': {
      const detail = `${r.reason ?? http}${r.attempts > 1 ? `, ${r.attempts} attempts` : ''}`;
      return `${out.style('red', '✗')} ${r.peer}: dead-lettered (${detail}) ${r.id} — see \`mesh dlq show ${r.id}\``;
    }
    case 'expired': return `${out.style('red', '✗')} ${r.peer}: expired before delivery ${r.id}`;
    case 'dry_run': return `[dry run] ${r.peer}: ${r.id}`;
    default: return `${out.style('red', '✗')} ${r.peer}: ${r.error ?? 'failed'}`;
  }
}

export async function runSend(ctx: CliContext, args: ParsedArgs, input: Omit<SendInput, keyof ReturnType<typeof draftFromArgs>> & Partial<SendInput>): Promise<{ code: number; results: TargetResult[] }> {
  const node = openNode({ home: ctx.home, env: ctx.env });
  try {
    const draft = draftFromArgs(ctx, args, node, input.target);
    const results = await sendMessage(node, { ...draft, ...input } as SendInput);
    const waitText = str(args, 'wait-delivery');
    if (waitText !== undefined && !flag(args, 'dry-run')) {
      const seconds = Number(waitText);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new MeshError(MeshErrorCode.InvalidArgument, `--wait-delivery takes seconds, got "${waitText}"`);
      const waiting = results.filter((r) => r.status === 'queued' && r.id);
      if (waiting.length > 0) {
        // Progress once; the final line per target follows from printResults.
        const names = waiting.slice(0, 8).map((r) => r.peer).join(', ') + (waiting.length > 8 ? ` and ${waiting.length - 8} more` : '');
        ctx.out.info(`waiting up to ${seconds}s for ${waiting.length} message(s) to be delivered: ${names}…`);
        const views = await waitForDelivery(node, waiting.map((r) => r.id as string), seconds * 1000, ctx.signal);
        for (const r of waiting) {
          const v = views.get(r.id as string);
          if (v === undefined) continue;
          r.status = v.status;
          r.attempts = v.attempts;
          Object.assign(r, transportFields(node, r.peer, { httpStatus: v.httpStatus, via: r.via }));
          r.error = v.error;
          r.reason = v.reason;
          r.nextAttemptAt = v.nextAttemptAt;
        }
        if (results.some((r) => r.status === 'queued')) return { code: ExitCode.Timeout, results };
      }
    }
    return { code: exitCodeFor(results), results };
  } finally {
    await node.close();
  }
}

export function printResults(ctx: CliContext, results: TargetResult[], code: number): void {
  const { out } = ctx;
  if (out.json) {
    out.data({ ok: code === ExitCode.Ok, exitCode: code, results });
    return;
  }
  const now = Date.now();
  for (const r of results) {
    if (r.status === 'dry_run' && r.envelope) out.data(r.envelope);
    ctx.stderr.write(`${describe(out, r, now)}\n`);
    if (r.id && r.status !== 'error' && r.status !== 'dry_run') out.line(r.id);
  }
}

export const command: CommandSpec = {
  name: 'send',
  summary: 'send a message to an agent, a @group or all',
  usage: [`send <agent|all|@group> <${MESSAGE_TYPES.join('|')}> <message> [options]`],
  description:
    'Signs (and with --encrypt encrypts) one envelope per target as the registry says, stores it in the durable\n' +
    'outbox and makes the first attempt at once; targets are sent concurrently. Message ids go to stdout, one\n' +
    'per delivered or queued target; progress goes to stderr. Later retries (after 5 s, 15 s, 60 s) are made by\n' +
    '`mesh serve` (or `mesh queue drain`); messages that fail for good go to dead letters (`mesh dlq`).\n' +
    '--encrypt covers the body, and the attachments for aes-256-gcm peers; aes-256-cbc (bash) peers cannot\n' +
    'decrypt attachments, so --encrypt with attachments to them is refused unless --clear-attachments (then they\n' +
    'travel unencrypted). --json reports per target "encrypted": {"body": bool, "attachments": bool|"none"}.\n' +
    'Exit: 0 delivered, 10 queued for retry, 11 dead-lettered, 12 expired, 13 --wait-delivery timed out, 1/2 errors.',
  options: {
    ...messageOptions,
    'wait-delivery': { type: 'string', placeholder: 'seconds', description: 'block until every message is delivered or dead-lettered' },
  },
  examples: [
    'mesh send beta request "What is the current database status?"',
    'mesh send all notification "Maintenance at 22:00" --priority high',
    'mesh send @ops alert "disk 95% on db1" --metadata \'{"host":"db1"}\' --wait-delivery 90',
  ],
  async run(ctx, args) {
    const [target, type, ...rest] = args.positionals;
    if (!target || !type || rest.length === 0) {
      throw new MeshError(MeshErrorCode.InvalidArgument, `usage: mesh send <agent|all|@group> <${MESSAGE_TYPES.join('|')}> <message>`);
    }
    if (!isMessageType(type)) throw new MeshError(MeshErrorCode.InvalidArgument, `unknown message type "${type}": use ${MESSAGE_TYPES.join(', ')}`);
    const { code, results } = await runSend(ctx, args, { target, type, body: rest.join(' ') });
    printResults(ctx, results, code);
    return code;
  },
};
