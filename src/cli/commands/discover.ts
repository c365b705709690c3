import { fleetSnapshot, type FleetSnapshot } from '../../node/fleet-status.ts';
import type { MeshNode } from '../../node/mesh-node.ts';
import { fleetOf } from '../../node/node-fleet.ts';
import { type CliContext, type CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { withNode } from '../node-session.ts';
import { cell } from '../printable.ts';
import { hubText, latencyText, relayText, snapshotJson, tableLines, clockTime } from '../status-view.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';
import { isoTime } from '../time-args.ts';

function healthTable(ctx: CliContext, s: FleetSnapshot): void {
  const { out } = ctx;
  if (s.peers.length === 0) {
    out.line('No peers: add one with `mesh join <name> <ip> [port] [token]`.');
    return;
  }
  const rows = s.peers.map((p) => [
    p.name, p.endpoint, p.status, latencyText(p), p.latencyMs === null ? '-' : `${p.latencyMs} ms`, String(p.failures),
    p.circuit, clockTime(p.lastProbeAt), clockTime(p.lastSeenAt), p.meshNode === null ? '?' : p.meshNode ? (p.forwards ? 'mesh, relay' : 'mesh') : 'gateway',
    p.status === 'up' ? '' : cell(p.detail, 30),
  ]);
  for (const l of tableLines(out, ['AGENT', 'ENDPOINT', 'STATUS', 'p50/p95', 'LAST', 'FAILS', 'CIRCUIT', 'PROBED', 'LAST SEEN', 'KIND', 'DETAIL'], rows)) out.line(l);
  out.info(`${s.peers.filter((p) => p.status === 'up').length}/${s.peers.length} up · mesh serve probes on its own; probe now: mesh discover probe`);
}

function routesView(ctx: CliContext, s: FleetSnapshot): void {
  const { out } = ctx;
  out.line(`Hub: ${hubText(s)}`);
  out.line(`Relay: ${relayText(s)}`);
  out.line(`This node forwards relayed messages: ${s.forwarding ? 'yes' : 'no'}`);
  if (s.peers.length === 0) return;
  out.line('');
  for (const l of tableLines(out, ['AGENT', 'ROUTE', 'STATUS', 'CIRCUIT'], s.peers.map((p) => [p.name, p.route === 'relay' ? `via ${p.via ?? '?'}` : 'direct', p.status, p.circuit]))) {
    out.line(l);
  }
}

function routesJson(s: FleetSnapshot): Record<string, unknown> {
  return {
    agent: s.agent, hub: s.hub, relay: s.relay, epoch: s.epoch, electedBy: s.electedBy, electedAt: isoTime(s.electedAt), forwarding: s.forwarding,
    routes: Object.fromEntries(s.peers.map((p) => [p.name, { route: p.route, via: p.via }])),
  };
}

const DECISION_TEXT: Record<'keep' | 'elect' | 'return' | 'isolated', string> = {
  keep: 'no change',
  elect: 'elected a relay',
  return: 'the hub is reachable: routes go direct',
  isolated: 'the hub is unreachable and no peer can be relay (a relay must run MESH-TS with forwarding on: role relay, sre or hub, or fleet.relay: true)',
};

async function probe(ctx: CliContext, node: MeshNode): Promise<number> {
  const fleet = fleetOf(node);
  const reports = await fleet.probeRound({ all: true });
  fleet.refreshRoutes();
  const s = fleetSnapshot(node);
  if (ctx.out.json) {
    ctx.out.data({ agent: s.agent, probedAt: isoTime(s.at), up: reports.filter((r) => r.health?.reachable === true).length, total: reports.length, peers: snapshotJson(s)['peers'] });
  } else {
    healthTable(ctx, s);
  }
  return ExitCode.Ok;
}

async function elect(ctx: CliContext, node: MeshNode): Promise<number> {
  const fleet = fleetOf(node);
  await fleet.probeRound({ all: true });
  const d = fleet.evaluate({ force: true });
  await fleet.settled();
  const s = fleetSnapshot(node);
  const reason = d.kind === 'keep' ? d.reason : d.kind === 'isolated' ? null : d.reason;
  if (ctx.out.json) {
    ctx.out.data({ decision: d.kind, reason, ...routesJson(s) });
  } else {
    ctx.out.line(`Election: ${DECISION_TEXT[d.kind]}${d.kind === 'keep' ? ` (${d.reason.replaceAll('_', ' ')})` : ''}`);
    routesView(ctx, s);
  }
  return d.kind === 'isolated' ? ExitCode.Error : ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'discover',
  summary: 'peer health and routing: probe | status | routes | elect',
  usage: ['discover [status] [--json]', 'discover probe [--json]', 'discover routes [--json]', 'discover elect [--json]'],
  description:
    'The fleet\'s health and relay failover (bash mesh-discover.sh, done right). `mesh serve` probes every peer\n' +
    'every fleet.probeIntervalMs (30 s, ±20 % jitter) with GET /health, which never wakes an agent, records\n' +
    'latency and failures, feeds the circuit breaker, and runs the election when the hub is unreachable.\n\n' +
    '  status  the health table: status, latency median/p95, last latency, failures, circuit, when probed and\n' +
    '          last seen, what the peer is (a MESH-TS node, one that forwards as relay, or a gateway/bash node)\n' +
    '  probe   probe every peer now (even those whose circuit is open) and record it, then show the table\n' +
    '  routes  hub, relay, election epoch, and the route to each peer (direct, or via the relay)\n' +
    '  elect   probe every peer now, then apply the election rules at once: elect a relay if the hub has been\n' +
    '          unreachable for fleet.unreachableAfterFailures probes, or end the relay when the hub is back;\n' +
    '          an election is announced to the peers as a signed notification. Exit 1 when the hub is\n' +
    '          unreachable and no peer can be relay.\n\n' +
    'Rules, announcement format and what bash peers can do: README "Fleet health and relay failover".',
  options: {},
  examples: ['mesh discover', 'mesh discover probe', 'mesh discover routes --json', 'mesh discover elect'],
  async run(ctx, args) {
    const { sub, rest } = subcommand('discover', args.positionals, ['status', 'probe', 'routes', 'elect'] as const, 'status');
    noMoreArgs(`discover ${sub}`, rest);
    const readOnly = sub === 'status' || sub === 'routes';
    return withNode(ctx, (node) => {
      if (sub === 'probe') return probe(ctx, node);
      if (sub === 'elect') return elect(ctx, node);
      const s = fleetSnapshot(node);
      if (sub === 'routes') {
        if (ctx.out.json) ctx.out.data(routesJson(s));
        else routesView(ctx, s);
      } else if (ctx.out.json) {
        ctx.out.data({ agent: s.agent, peers: snapshotJson(s)['peers'] });
      } else {
        healthTable(ctx, s);
      }
      return ExitCode.Ok;
    }, { readOnly });
  },
};
