/**
 * Text and JSON views of a fleet snapshot (node/fleet-status.ts) for `mesh status` and
 * `mesh discover`: the §10.2 dashboard of bash done right (it never fails on a missing file, shows
 * latency median/p95, routes, the relay with its epoch, and message counts from the audit).
 * Peer-supplied text (subjects) goes through `cell`, so it cannot move the cursor of a live view.
 */
import type { FleetSnapshot, PeerStatus, RecentMessage } from '../node/fleet-status.ts';
import type { Output } from './output.ts';
import { cell } from './printable.ts';
import { formatTime, isoTime } from './time-args.ts';

/** `12:00:03Z`: the time of day (UTC) a live view needs. */
export const clockTime = (ms: number | null): string => (ms === null ? '-' : formatTime(ms).slice(11));

const ms = (v: number | null): string => (v === null ? '-' : v < 10 ? v.toFixed(1) : String(Math.round(v)));

export function latencyText(p: Pick<PeerStatus, 'medianMs' | 'p95Ms'>): string {
  return p.medianMs === null ? '-' : `${ms(p.medianMs)}/${ms(p.p95Ms)} ms`;
}

function circuitText(p: PeerStatus, now: number): string {
  if (p.circuit === 'open') return p.circuitOpenUntil === null ? 'OPEN' : `OPEN ${Math.max(0, Math.ceil((p.circuitOpenUntil - now) / 1000))}s`;
  return p.circuit === 'half-open' ? 'HALF' : 'closed';
}

function statusText(out: Output, p: PeerStatus): string {
  if (p.status === 'up') return out.style('green', 'up');
  if (p.status === 'down') return out.style('red', 'DOWN');
  if (p.status === 'unsure') return out.style('yellow', 'failing');
  return out.style('dim', 'unknown');
}

export function hubText(s: FleetSnapshot): string {
  if (s.hub.name === null) return 'none';
  const state = s.hub.status === 'self' ? 'this node' : s.hub.status === 'up' ? 'up' : s.hub.status === 'down' ? 'DOWN' : s.hub.status === 'unsure' ? 'failing' : '?';
  return `${s.hub.name} (${state})`;
}

export function relayText(s: FleetSnapshot): string {
  if (s.epoch === 0) return 'none';
  const who = s.electedBy === null ? '' : ` by ${s.electedBy}`;
  return `${s.relay ?? 'none'} · epoch ${s.epoch}${who}${s.electedAt === null ? '' : ` at ${clockTime(s.electedAt)}`}`;
}

function peersUp(s: FleetSnapshot): string {
  return `${s.peers.filter((p) => p.status === 'up').length}/${s.peers.length}`;
}

function circuitsSummary(s: FleetSnapshot): string {
  const open = s.peers.filter((p) => p.circuit !== 'closed').length;
  return open === 0 ? 'all closed' : `${open} OPEN`;
}

/** One line (`--compact`), like bash's but with the relay and its epoch. */
export function compactLine(s: FleetSnapshot): string {
  const m = s.messages;
  return `MESH ${s.agent} | peers ${peersUp(s)} up | queue ${s.queue.pending} | dead ${s.queue.deadLetters} | circuits ${circuitsSummary(s)} | ` +
    `hub ${hubText(s)} | relay ${s.relay ?? 'none'}${s.epoch > 0 ? ` #${s.epoch}` : ''} | msgs out ${m.out.sent} in ${m.in.received}`;
}

function recentLine(out: Output, r: RecentMessage): string {
  const ok = r.status === 'dead_lettered' ? out.style('red', '✗') : out.style('green', '✓');
  const arrow = `${cell(r.from, 24)} → ${cell(r.to, 24)}`;
  const flags = [r.signed ? 'signed' : 'unsigned', ...(r.encrypted ? ['encrypted'] : [])].join(',');
  const how = r.status === 'relay_forwarded' ? ' forwarded as relay' : r.via === null ? '' : ` via ${r.via}`;
  return `  ${clockTime(r.ts)} ${ok} ${r.direction === 'in' ? 'in ' : 'out'} ${arrow} [${r.type ?? '?'}] ${flags}${how}  ${cell(r.subject, 40)}`;
}

/** Aligned rows as lines (the live view diffs lines, so the table is built here, not printed). */
export function tableLines(out: Output, headers: string[], rows: string[][]): string[] {
  // eslint-disable-next-line no-control-regex -- widths ignore the colour escapes of styled cells
  const width = (t: string): number => t.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ''))));
  const fmt = (cells: string[]): string => cells.map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(c)))).join('  ').trimEnd();
  return [out.style('bold', fmt(headers)), ...rows.map(fmt)];
}

export function peerRows(out: Output, s: FleetSnapshot): string[][] {
  return s.peers.map((p) => [
    p.name, p.role, p.endpoint, statusText(out, p), latencyText(p), String(p.failures), circuitText(p, s.at),
    p.route === 'relay' ? `via ${p.via ?? '?'}` : 'direct', String(p.queued), clockTime(p.lastSeenAt),
  ]);
}

export const PEER_HEADERS = ['AGENT', 'ROLE', 'ENDPOINT', 'STATUS', 'LATENCY p50/p95', 'FAILS', 'CIRCUIT', 'ROUTE', 'QUEUE', 'LAST SEEN'];

/** The full dashboard as lines. */
export function dashboardLines(out: Output, s: FleetSnapshot): string[] {
  const m = s.messages;
  const lines = [
    `${out.style('bold', `MESH ${s.agent}`)}${s.forwarding ? ' (forwards as relay)' : ''} · ${formatTime(s.at)}`,
    `Peers ${peersUp(s)} up · queue ${s.queue.pending} · dead letters ${s.queue.deadLetters} · circuits ${circuitsSummary(s)}`,
    `Hub ${hubText(s)} · relay ${relayText(s)}`,
    `Messages (24 h): out ${m.out.sent} (${m.out.signed} signed, ${m.out.encrypted} encrypted, ${m.out.viaRelay} via relay, ${m.out.deadLettered} dead-lettered)` +
      ` · in ${m.in.received} (${m.in.signed} signed, ${m.in.encrypted} encrypted, ${m.in.rejected} rejected)${m.forwarded > 0 ? ` · forwarded ${m.forwarded}` : ''}`,
    '',
  ];
  if (s.peers.length === 0) lines.push('No peers: add one with `mesh join <name> <ip> [port] [token]`.');
  else lines.push(...tableLines(out, PEER_HEADERS, peerRows(out, s)));
  lines.push('', 'Recent messages');
  if (s.recent.length === 0) lines.push('  (none)');
  else lines.push(...s.recent.map((r) => recentLine(out, r)));
  return lines;
}

/** `--json`: the snapshot with ISO times (`.agent` first, as bash's). */
export function snapshotJson(s: FleetSnapshot): Record<string, unknown> {
  return {
    agent: s.agent,
    at: isoTime(s.at),
    forwarding: s.forwarding,
    hub: s.hub,
    relay: s.relay,
    epoch: s.epoch,
    electedBy: s.electedBy,
    electedAt: isoTime(s.electedAt),
    peers: s.peers.map((p) => ({
      ...p, lastProbeAt: isoTime(p.lastProbeAt), lastSeenAt: isoTime(p.lastSeenAt), circuitOpenUntil: isoTime(p.circuitOpenUntil),
    })),
    queue: s.queue,
    messages: s.messages,
    recent: s.recent.map((r) => ({ ...r, ts: isoTime(r.ts) })),
  };
}
