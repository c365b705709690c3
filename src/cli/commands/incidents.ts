import type { MeshNode } from '../../node/mesh-node.ts';
import { alertsOf } from '../../node/node-alerts.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { flag, str, type CliContext, type CommandSpec, type ParsedArgs } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { incidentJson, incidentState } from '../incident-view.ts';
import { withNode } from '../node-session.ts';
import { cell } from '../printable.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';
import { formatRelative, formatTime, parseLimit } from '../time-args.ts';

const DEFAULT_LIMIT = 100;

function list(ctx: CliContext, node: MeshNode, args: ParsedArgs): number {
  const all = alertsOf(node).list({ all: flag(args, 'all') });
  const limit = parseLimit(str(args, 'limit'), DEFAULT_LIMIT, true);
  const shown = limit === undefined ? all : all.slice(-limit);
  const windowMs = node.config.fleet.dedupWindowMs;
  const { out } = ctx;
  if (out.json) {
    out.data({ total: all.length, shown: shown.length, incidents: shown.map((i) => incidentJson(i, windowMs)) });
    return ExitCode.Ok;
  }
  if (shown.length === 0) {
    out.line(flag(args, 'all') ? 'No incidents.' : 'No active incidents (resolved ones too: mesh incidents --all).');
    return ExitCode.Ok;
  }
  const now = node.clock.now();
  out.table(
    ['ID', 'HOST', 'CHECK', 'STATE', 'ALERTS', 'FIRST', 'LAST', 'SUMMARY'],
    shown.map((i) => [i.id, i.host, i.check, incidentState(i), String(i.alertCount), formatTime(i.firstSeen), formatRelative(i.lastSeen, now), cell(i.summary, 50)]),
  );
  const active = all.filter((i) => i.status === 'active').length;
  out.info(`${shown.length} of ${all.length} incident(s), ${active} active · resolve one: mesh incidents resolve <id>`);
  return ExitCode.Ok;
}

function resolve(ctx: CliContext, node: MeshNode, id: string): number {
  const r = alertsOf(node).resolve(id);
  const { out } = ctx;
  if (out.json) {
    out.data({ resolved: r.changed, incident: incidentJson(r.incident, node.config.fleet.dedupWindowMs) });
    return ExitCode.Ok;
  }
  out.line(r.changed
    ? `Resolved ${r.incident.id} (${r.incident.host}/${r.incident.check}, ${r.incident.alertCount} alert(s)); its next alert is new.`
    : `${r.incident.id} was already resolved (${r.incident.resolvedBy ?? 'unknown'}, ${formatTime(r.incident.resolvedAt)}).`);
  return ExitCode.Ok;
}

export const command: CommandSpec = {
  name: 'incidents',
  summary: 'incidents from alert de-duplication: list [--all] | resolve <id>',
  usage: ['incidents [list] [--all] [--limit <n>] [--json]', 'incidents resolve <id> [--json]'],
  description:
    'Incidents made by `mesh dedup` (and by the daemon when fleet.dedupAlerts is on), oldest first: active ones,\n' +
    'or with --all the resolved ones too (kept retention.incidentsDays, 30 days). --limit shows the newest n\n' +
    '(default 100; 0 = all). --json prints {total, shown, incidents[]}; an active incident\'s `windowEndsAt` is\n' +
    'when its next alert notifies again. `resolve` closes an incident by hand (its next alert is `new`);\n' +
    'resolving a resolved one changes nothing. Rules: docs/alert-dedup.md.',
  options: {
    all: { type: 'boolean', description: 'resolved incidents too' },
    limit: { type: 'string', placeholder: 'n', description: 'show the newest n (default 100; 0 = all)' },
  },
  examples: ['mesh incidents', 'mesh incidents --all --json', 'mesh incidents resolve inc_20260101_beta_gateway_0a1b2c3d'],
  async run(ctx, args) {
    const { sub, rest } = subcommand('incidents', args.positionals, ['list', 'resolve'] as const, 'list');
    if (sub === 'resolve') {
      const [id, ...extra] = rest;
      if (id === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, 'mesh incidents resolve needs an incident id (see mesh incidents)');
      noMoreArgs('incidents resolve', extra);
      return withNode(ctx, (node) => resolve(ctx, node, id));
    }
    noMoreArgs('incidents', rest);
    return withNode(ctx, (node) => list(ctx, node, args), { readOnly: true });
  },
};
