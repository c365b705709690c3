import type { MeshNode } from '../../node/mesh-node.ts';
import { purgeOutbox } from '../../node/queue-admin.ts';
import type { OutboxMessage } from '../../ports/store.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, str, type CliContext, type CommandSpec } from '../command.ts';
import { confirm } from '../confirm.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { agentFilter, noMoreArgs, subcommand } from '../subcommand.ts';
import { formatRelative, isoTime } from '../time-args.ts';

const DEFAULT_ROUNDS = 50;

interface PeerRow {
  peer: string;
  pending: number;
  inFlight: number;
  nextAttemptAt: number | null;
  oldestCreatedAt: number | null;
  lastError: string | null;
  deadLetters: number;
  circuit: string;
  consecutiveFailures: number;
  circuitOpenUntil: number | null;
}

/** Smallest value, or null; a loop, because spreading a large backlog into Math.min overflows the stack. */
function earliest(values: readonly number[]): number | null {
  let min: number | null = null;
  for (const v of values) if (min === null || v < min) min = v;
  return min;
}

function status(ctx: CliContext, node: MeshNode, peer: string | undefined): number {
  const now = node.clock.now();
  const pending = node.store.outbox.listPending(peer);
  const dead = node.store.deadLetters.counts();
  const circuits = new Map(node.delivery.breaker.list(now).map((b) => [b.peer, b]));
  const names = new Set<string>([...pending.map((m) => m.peer), ...Object.keys(dead)]);
  for (const b of circuits.values()) if (b.state !== 'closed' || b.consecutiveFailures > 0) names.add(b.peer);
  const rows: PeerRow[] = [...names].filter((n) => peer === undefined || n === peer).sort().map((name) => {
    const mine = pending.filter((m) => m.peer === name);
    // The message rescheduled last carries the freshest error.
    const lastFailed = mine.filter((m) => m.lastError !== null).sort((a, b) => b.nextAttemptAt - a.nextAttemptAt)[0];
    const b = circuits.get(name);
    return {
      peer: name,
      pending: mine.length,
      inFlight: mine.filter((m) => m.leaseUntil > now).length,
      nextAttemptAt: earliest(mine.map((m) => m.nextAttemptAt)),
      oldestCreatedAt: earliest(mine.map((m) => m.createdAt)),
      lastError: lastFailed?.lastError ?? null,
      deadLetters: Object.hasOwn(dead, name) ? (dead[name] ?? 0) : 0,
      circuit: b?.state ?? 'closed',
      consecutiveFailures: b?.consecutiveFailures ?? 0,
      circuitOpenUntil: b?.state === 'open' ? b.openUntil : null,
    };
  });
  const totals = { pending: rows.reduce((n, r) => n + r.pending, 0), deadLetters: rows.reduce((n, r) => n + r.deadLetters, 0) };
  const { out } = ctx;
  if (out.json) {
    out.data({
      ...totals,
      peers: rows.map((r) => ({ ...r, nextAttemptAt: isoTime(r.nextAttemptAt), oldestCreatedAt: isoTime(r.oldestCreatedAt), circuitOpenUntil: isoTime(r.circuitOpenUntil) })),
    });
    return ExitCode.Ok;
  }
  if (rows.length === 0) {
    out.line(peer === undefined ? 'Outbox empty, no dead letters, all circuits closed.' : `Nothing queued for ${peer}; no dead letters; circuit closed.`);
    return ExitCode.Ok;
  }
  out.line(`Outbox: ${totals.pending} pending · dead letters: ${totals.deadLetters}`);
  out.table(
    ['PEER', 'PENDING', 'NEXT ATTEMPT', 'OLDEST', 'LAST ERROR', 'CIRCUIT', 'DEAD'],
    rows.map((r) => [
      r.peer,
      r.inFlight > 0 ? `${r.pending} (${r.inFlight} in flight)` : String(r.pending),
      formatRelative(r.nextAttemptAt, now),
      formatRelative(r.oldestCreatedAt, now),
      r.lastError ?? '-',
      r.circuit === 'open' ? `open until ${formatRelative(r.circuitOpenUntil, now)}` : r.circuit === 'closed' && r.consecutiveFailures > 0 ? `closed (${r.consecutiveFailures} failed)` : r.circuit,
      String(r.deadLetters),
    ]),
  );
  if (totals.deadLetters > 0) out.info('Dead letters: mesh dlq list · retry them: mesh dlq replay --all');
  return ExitCode.Ok;
}

/** Attempts the given messages by id, a few at a time; returns how many were attempted (not busy elsewhere). */
async function attemptEach(node: MeshNode, ids: readonly string[], concurrency: number): Promise<number> {
  let next = 0;
  let attempted = 0;
  async function worker(): Promise<void> {
    while (next < ids.length) {
      const id = ids[next++] as string;
      try {
        const r = await node.delivery.attempt(id);
        if (r.status !== 'busy') attempted++;
      } catch (e) {
        // Gone in between (delivered or purged by another process): nothing left to attempt.
        if ((e as MeshError).code !== MeshErrorCode.NotFound) throw e;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return attempted;
}

type Outcome = 'delivered' | 'pending' | 'dead_lettered' | 'gone';

function outcomeOf(node: MeshNode, id: string): { outcome: Outcome; row: OutboxMessage | null; reason: string | null } {
  const row = node.store.outbox.get(id);
  if (row !== null) return { outcome: row.state === 'delivered' ? 'delivered' : 'pending', row, reason: null };
  const letter = node.store.deadLetters.get(id);
  if (letter !== null) return { outcome: 'dead_lettered', row: null, reason: letter.reason };
  return { outcome: 'gone', row: null, reason: null };
}

async function drain(ctx: CliContext, node: MeshNode, peer: string | undefined, force: boolean, maxRounds: number): Promise<number> {
  const { out } = ctx;
  const before = node.store.outbox.listPending(peer);
  if (before.length === 0) {
    if (out.json) out.data({ attempted: 0, rounds: 0, delivered: 0, deadLettered: 0, removed: 0, pending: 0, left: [], deadLetters: [] });
    else out.line(`Nothing to drain${peer ? ` for ${peer}` : ''}: the outbox is empty.`);
    return ExitCode.Ok;
  }
  out.info(`Draining ${before.length} pending message(s)${peer ? ` to ${peer}` : ''}…`);
  const opts = node.delivery.options;
  let attempted = 0;
  let rounds = 0;
  for (let round = 1; round <= maxRounds && !ctx.signal.aborted; round++) {
    const now = node.clock.now();
    let n: number;
    if (peer === undefined && !(force && round === 1)) {
      n = await node.delivery.runDue();
    } else {
      // runDue cannot be limited to one peer, so due messages are attempted one by one (same code
      // path, same breaker and retry rules). --force skips the back-off, in the first round only.
      const due = node.store.outbox.listPending(peer).filter((m) => m.leaseUntil <= now && (force && round === 1 ? true : m.nextAttemptAt <= now));
      n = await attemptEach(node, due.map((m) => m.id), peer === undefined ? opts.maxConcurrent : opts.maxConcurrentPerPeer);
    }
    if (n === 0) break;
    rounds = round;
    attempted += n;
    const left = node.store.outbox.listPending(peer).length;
    out.info(`  round ${round}: ${n} attempted, ${left} pending`);
  }
  const results = before.map((m) => ({ m, ...outcomeOf(node, m.id) }));
  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length;
  const left = results.filter((r) => r.outcome === 'pending');
  const now = node.clock.now();
  const summary = {
    attempted, rounds,
    delivered: count('delivered'),
    deadLettered: count('dead_lettered'),
    /** Expired (TTL) or deleted by another process meanwhile. */
    removed: count('gone'),
    pending: left.length,
    left: left.map((r) => ({ id: r.m.id, peer: r.m.peer, attempts: r.row?.attempts ?? 0, lastError: r.row?.lastError ?? null, nextAttemptAt: isoTime(r.row?.nextAttemptAt ?? null) })),
    deadLetters: results.filter((r) => r.outcome === 'dead_lettered').map((r) => ({ id: r.m.id, peer: r.m.peer, reason: r.reason })),
  };
  if (out.json) {
    out.data(summary);
    return ExitCode.Ok;
  }
  if (ctx.signal.aborted) out.warn('interrupted: attempts in progress were finished, the rest stays queued');
  out.line(`Delivered ${summary.delivered}, dead-lettered ${summary.deadLettered}, expired or removed ${summary.removed}, still pending ${summary.pending}.`);
  for (const r of left) {
    out.line(`  ${r.m.peer}  ${r.m.id}  next attempt ${formatRelative(r.row?.nextAttemptAt ?? null, now)}${r.row?.lastError ? ` (${r.row.lastError})` : ''}`);
  }
  for (const d of summary.deadLetters) out.line(`  ${d.peer}  ${d.id}  dead-lettered: ${d.reason ?? '?'}`);
  if (summary.pending > 0) out.info('Pending messages are retried on schedule by `mesh serve`, or by running `mesh queue drain` again.');
  if (summary.deadLettered > 0) out.info('See `mesh dlq list`; retry with `mesh dlq replay`.');
  return ExitCode.Ok;
}

async function purge(ctx: CliContext, node: MeshNode, peer: string | undefined, yes: boolean): Promise<number> {
  const { out } = ctx;
  const n = node.store.outbox.listPending(peer).length;
  if (n === 0) {
    if (out.json) out.data({ purged: 0, inFlight: 0, ids: [] });
    else out.line(`Nothing to purge${peer ? ` for ${peer}` : ''}: the outbox is empty.`);
    return ExitCode.Ok;
  }
  const what = `Delete ${n} pending message(s)${peer ? ` to ${peer}` : ' to all peers'} from the outbox?`;
  if (!(await confirm(ctx, what, yes, `mesh queue purge ${peer ?? 'all'} --yes`))) {
    out.error('not confirmed: nothing deleted');
    return ExitCode.Error;
  }
  const r = purgeOutbox(node, peer);
  if (out.json) {
    out.data({ purged: r.purged.length, inFlight: r.inFlight, ids: r.purged.map((m) => m.id) });
    return ExitCode.Ok;
  }
  out.line(`Purged ${r.purged.length} pending message(s)${peer ? ` to ${peer}` : ''} (audited as "purged").`);
  if (r.inFlight > 0) out.warn(`${r.inFlight} of them were being sent at that moment and may still arrive`);
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'queue',
  summary: 'outbox: status | drain [agent] | purge [agent]',
  usage: ['queue [status] [agent]', 'queue drain [agent] [--force] [--rounds <n>]', 'queue purge [agent] [--yes]'],
  description:
    'The outbox holds messages that are signed and stored but not yet delivered; `mesh serve` retries them on\n' +
    'schedule (by default 0/5/15/60 s, then dead letters) behind a per-peer circuit breaker.\n\n' +
    '  status  pending messages per peer: count, next attempt, oldest, last error, circuit state, dead letters\n' +
    '  drain   attempt due messages now, round after round until none is due (at most --rounds), then print what\n' +
    '          was delivered, dead-lettered or is still pending. Failed attempts follow the normal schedule, so a\n' +
    '          retry that is not due yet stays pending. With an agent only that peer\'s messages are attempted.\n' +
    '          Exit 0 whenever the drain ran, including when the queue ends empty; progress goes to stderr.\n' +
    '  purge   delete pending messages (all, or one agent\'s), each audited as "purged". Asks on a terminal;\n' +
    '          refuses without --yes in scripts or with --json. Exit 1 when not confirmed.',
  options: {
    agent: { type: 'string', placeholder: 'name', description: 'only this peer (same as the positional agent)' },
    force: { type: 'boolean', description: 'drain: also attempt messages whose retry is not due yet (first round; the circuit breaker still applies)' },
    rounds: { type: 'string', placeholder: 'n', description: `drain: at most this many rounds (default ${DEFAULT_ROUNDS})` },
    yes: { type: 'boolean', short: 'y', description: 'purge: do not ask for confirmation' },
    auto: { type: 'boolean', description: 'drain: accepted for the bash cron line `mesh-queue.sh drain --auto`; no effect' },
  },
  examples: [
    'mesh queue                      # status of every peer',
    'mesh queue status beta --json',
    'mesh queue drain                # attempt everything that is due now',
    'mesh queue drain beta --force   # retry beta\'s messages now, skipping the back-off',
    'mesh queue purge beta --yes',
  ],
  async run(ctx, args) {
    const { sub, rest } = subcommand('queue', args.positionals, ['status', 'drain', 'purge'] as const, 'status');
    const [agentArg, ...extra] = rest;
    noMoreArgs(`queue ${sub}`, extra);
    const peer = agentFilter(agentArg, str(args, 'agent'));
    const roundsText = str(args, 'rounds');
    const rounds = roundsText === undefined ? DEFAULT_ROUNDS : Number(roundsText);
    if (!Number.isInteger(rounds) || rounds < 1) throw new MeshError(MeshErrorCode.InvalidArgument, `--rounds must be a positive integer, got "${roundsText}"`);
    return withNode(ctx, (node) => {
      if (sub === 'drain') return drain(ctx, node, peer, flag(args, 'force'), rounds);
      if (sub === 'purge') return purge(ctx, node, peer, flag(args, 'yes'));
      return status(ctx, node, peer);
    }, { readOnly: sub === 'status' });
  },
};
