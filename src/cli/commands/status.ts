import { setTimeout as sleep } from 'node:timers/promises';
import { fleetSnapshot } from '../../node/fleet-status.ts';
import type { MeshNode } from '../../node/mesh-node.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, type CliContext, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { LiveFrame } from '../live-frame.ts';
import { withNode } from '../node-session.ts';
import { compactLine, dashboardLines, snapshotJson } from '../status-view.ts';

/** --watch looks at the event log this often. */
export const WATCH_POLL_MS = 250;
/** --watch recomputes the view at least this often even without events (circuits cool down, clocks move). */
export const WATCH_REFRESH_MS = 5_000;

function lines(ctx: CliContext, node: MeshNode, compact: boolean): string[] {
  const s = fleetSnapshot(node);
  if (ctx.out.json) return [JSON.stringify(snapshotJson(s))];
  return compact ? [compactLine(s)] : dashboardLines(ctx.out, s);
}

/**
 * Redraws from the event log: every event appended by any process (the daemon's probes, elections,
 * deliveries; a CLI send) wakes the view; it recomputes and redraws only the lines that changed.
 */
async function watch(ctx: CliContext, node: MeshNode, compact: boolean): Promise<void> {
  const stdout = ctx.stdout as { isTTY?: boolean; rows?: number };
  const tty = stdout.isTTY === true && !ctx.out.json;
  const frame = new LiveFrame({ out: ctx.stdout, tty, rows: () => (typeof stdout.rows === 'number' ? stdout.rows : null) });
  let seq = node.store.events.latestSeq();
  let drawnAt = node.clock.now();
  frame.draw(lines(ctx, node, compact));
  try {
    while (!ctx.signal.aborted) {
      try {
        await sleep(WATCH_POLL_MS, undefined, { signal: ctx.signal });
      } catch {
        break; // SIGINT / SIGTERM
      }
      const fresh = node.store.events.after(seq, 1000);
      const last = fresh.at(-1);
      if (last !== undefined) seq = last.seq;
      if (last === undefined && node.clock.now() - drawnAt < WATCH_REFRESH_MS) continue;
      drawnAt = node.clock.now();
      frame.draw(lines(ctx, node, compact));
    }
  } finally {
    frame.close();
  }
}

export const command: CommandSpec = {
  name: 'status',
  summary: 'the fleet at a glance: peers, latency, circuits, routes, hub and relay, queue, messages',
  usage: ['status [--compact] [--json] [--watch]'],
  description:
    'One screen about this node and its peers, read from the node\'s database (read-only: it works while\n' +
    '`mesh serve` runs, and on a read-only home): every peer with its endpoint, status from the health probes\n' +
    '(up, failing, DOWN), latency median/p95 over the recent probes, consecutive failures, circuit, route\n' +
    '(direct, or via the relay) and queued messages; the hub and the relay with its election epoch; the outbox\n' +
    'and dead letters; messages in and out over the last 24 h (signed, encrypted, via relay); the recent messages.\n' +
    'Probes and elections are the daemon\'s (`mesh serve`); `mesh discover probe` runs a round now.\n\n' +
    '  --compact  one line, for a status bar\n' +
    '  --json     the same as a JSON object (`.agent`, `.peers[]`, `.relay`, `.epoch`, …)\n' +
    '  --watch    stay and redraw whenever something happens (every event of the node\'s event log); on a\n' +
    '             terminal only the changed lines are rewritten, in place (tmux friendly); otherwise a new\n' +
    '             snapshot is printed per change (one JSON object per line with --json). Ctrl-C ends it.',
  options: {
    compact: { type: 'boolean', description: 'one line' },
    watch: { type: 'boolean', short: 'w', description: 'redraw live until Ctrl-C' },
  },
  examples: ['mesh status', 'mesh status --compact', 'mesh status --watch', 'mesh status --json | jq .relay'],
  async run(ctx, args) {
    if (args.positionals.length > 0) throw new MeshError(MeshErrorCode.InvalidArgument, `unexpected argument "${args.positionals[0]}" for mesh status`);
    const compact = flag(args, 'compact');
    return withNode(ctx, async (node) => {
      if (flag(args, 'watch')) {
        await watch(ctx, node, compact);
        return ExitCode.Ok;
      }
      const s = fleetSnapshot(node);
      if (ctx.out.json) ctx.out.data(snapshotJson(s));
      else if (compact) ctx.out.line(compactLine(s));
      else for (const l of dashboardLines(ctx.out, s)) ctx.out.line(l);
      return ExitCode.Ok;
    }, { readOnly: true });
  },
};
