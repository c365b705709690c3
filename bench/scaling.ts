/**
 * Benchmark: how a `mesh serve` daemon scales with the depth of its queue and with its number of
 * peers (issue 13's scaling table). Two halves, each with real daemons set up with the CLI:
 *  A. queue depth D (1k, 100k, 1M): D signed messages queued for a dead peer; alpha's RSS while it
 *     retries with its default schedule and breaker; then the peer comes back and the drain rate
 *     (delivered_at of alpha's outbox rows) and RSS are measured over a bounded window
 *     (support/scaling-depth.ts);
 *  B. number of peers N (1, 10, 50): M messages queued round-robin for N live receivers, alpha's
 *     drain rate and RSS, and the receivers' RSS summed (support/scaling-peers.ts).
 * Prints the figures as rows and as a markdown table (notes), with the load average of each run.
 */
import { DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_CONCURRENT_PER_BATCHING_PEER, DEFAULT_MAX_CONCURRENT_PER_PEER } from '../src/delivery/delivery-options.ts';
import { join } from 'node:path';
import { row, type BenchContext, type BenchOutcome, type BenchRow, type Benchmark } from './support/report.ts';
import { measureDepth, type DepthResult } from './support/scaling-depth.ts';
import { PeerScaling, type PeersResult } from './support/scaling-peers.ts';
import { round } from './support/stats.ts';

function list(name: string, fallback: readonly number[]): number[] {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return [...fallback];
  if (v.trim() === 'none') return [];
  const xs = v.split(',').map((x) => Number(x.trim()));
  if (xs.some((x) => !Number.isSafeInteger(x) || x < 1)) throw new Error(`${name} must be a comma-separated list of positive integers`);
  return xs;
}

const DEFAULT_DEPTHS = [1_000, 100_000, 1_000_000];
const DEFAULT_PEERS = [1, 10, 50];
const PEER_MESSAGES = Number(process.env['BENCH_SCALING_PEER_MESSAGES'] ?? 20_000);
const DOWN_MS = Number(process.env['BENCH_SCALING_DOWN_S'] ?? 20) * 1000;
const WINDOW_MS = Number(process.env['BENCH_SCALING_WINDOW_S'] ?? 45) * 1000;
/** The default breaker cool-down (60 s) after alpha's daemon opened the circuit, and room for the probe. */
const FIRST_DELIVERY_TIMEOUT_MS = 120_000;
const PEERS_TIMEOUT_MS = 180_000;
const TTL_SECONDS = 4 * 3600;
const DRAIN_TARGET_PER_S = 5_000;

/** Issue 13: ≤ 150 MB with 100k queued, ≤ 200 MB with 1M. */
function rssTargetMb(depth: number): number | null {
  if (depth <= 100_000) return 150;
  if (depth <= 1_000_000) return 200;
  return null;
}

function label(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

const f0 = (x: number | null): string => (x === null ? '—' : String(Math.round(x)));
const f2 = (x: number | null): string => (x === null ? '—' : String(round(x, 2)));
const load = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');

function rssRow(name: string, value: number | null, target: number | null): BenchRow {
  const v = value ?? Number.NaN;
  if (target === null) return row({ name, value: v, unit: 'MB' });
  return { ...row({ name, value: v, unit: 'MB' }), target: `≤ ${target} MB`, verdict: value !== null && value <= target ? 'PASS' : 'MISS' };
}

function depthRows(r: DepthResult): BenchRow[] {
  const d = label(r.depth);
  const target = rssTargetMb(r.depth);
  const drain = row({ name: `depth ${d}: drain rate after the peer is back${r.drainedInMs === null ? ` (first ${WINDOW_MS / 1000} s)` : ' (whole queue)'}`, value: r.drainRate, unit: 'msg/s' });
  return [
    row({ name: `depth ${d}: enqueue (compose + sign + insert)`, value: (r.depth / r.enqueueMs) * 1000, unit: 'msg/s' }),
    rssRow(`depth ${d}: alpha RSS, peer down (steady)`, r.rssDownSteadyMb, target),
    rssRow(`depth ${d}: alpha RSS, peer down (peak)`, r.rssDownPeakMb, target),
    row({ name: `depth ${d}: first delivery after the peer is back`, value: r.firstDeliveryMs === null ? Number.NaN : r.firstDeliveryMs / 1000, unit: 's' }),
    r.depth >= 100_000 ? { ...drain, target: `≥ ${DRAIN_TARGET_PER_S} msg/s`, verdict: r.drainRate >= DRAIN_TARGET_PER_S ? 'PASS' : 'MISS' } : drain,
    rssRow(`depth ${d}: alpha RSS, draining (peak)`, r.rssDrainPeakMb, target),
  ];
}

function peerRows(r: PeersResult): BenchRow[] {
  return [
    row({ name: `peers ${r.peers}: drain rate (${r.messages} queued)`, value: r.drainRate, unit: 'msg/s' }),
    row({ name: `peers ${r.peers}: alpha RSS, draining (peak)`, value: r.alphaRssPeakMb ?? Number.NaN, unit: 'MB' }),
    row({ name: `peers ${r.peers}: receivers' RSS summed (peak)`, value: r.receiversRssPeakMb ?? Number.NaN, unit: 'MB' }),
  ];
}

function depthTable(rs: readonly DepthResult[]): string {
  const lines = [
    '| queued | enqueue | alpha RSS, peer down: steady / peak | first delivery after the peer is back | drain rate | alpha RSS draining (peak) | CPU per message: alpha / beta | load average |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rs) {
    const rate = r.drainedInMs === null ? `${f0(r.drainRate)} msg/s (first ${WINDOW_MS / 1000} s)` : `${f0(r.drainRate)} msg/s (all in ${round(r.drainedInMs / 1000)} s)`;
    lines.push(`| ${label(r.depth)} | ${f0((r.depth / r.enqueueMs) * 1000)} msg/s | ${f0(r.rssDownSteadyMb)} / ${f0(r.rssDownPeakMb)} MB | ${r.firstDeliveryMs === null ? 'none' : `${round(r.firstDeliveryMs / 1000)} s`} | ${rate} | ${f0(r.rssDrainPeakMb)} MB | ${f2(r.alphaCpuMsPerMsg)} / ${f2(r.betaCpuMsPerMsg)} ms | ${load(r.loadAtStart)} |`);
  }
  return lines.join('\n');
}

function peersTable(rs: readonly PeersResult[]): string {
  const lines = [
    '| peers | queued | drain rate | daemon start → empty | alpha RSS (peak) | receivers\' RSS summed: idle / peak | CPU per message: alpha / receivers | load average |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rs) {
    lines.push(`| ${r.peers} | ${r.messages} | ${f0(r.drainRate)} msg/s | ${r.totalMs === null ? 'not empty' : `${round(r.totalMs / 1000)} s`} | ${f0(r.alphaRssPeakMb)} MB | ${f0(r.receiversRssIdleMb)} / ${f0(r.receiversRssPeakMb)} MB | ${f2(r.alphaCpuMsPerMsg)} / ${f2(r.receiversCpuMsPerMsg)} ms | ${load(r.loadAtStart)} |`);
  }
  return lines.join('\n');
}

async function run(ctx: BenchContext): Promise<BenchOutcome> {
  const keep = process.env['BENCH_KEEP'] === '1';
  const depthList = list('BENCH_SCALING_DEPTHS', DEFAULT_DEPTHS);
  const peerList = list('BENCH_SCALING_PEERS', DEFAULT_PEERS).sort((a, b) => a - b);
  const depths: DepthResult[] = [];
  for (const d of depthList) {
    depths.push(await measureDepth(join(ctx.dir, `depth-${d}`), d, {
      downMs: DOWN_MS, firstDeliveryTimeoutMs: FIRST_DELIVERY_TIMEOUT_MS, windowMs: WINDOW_MS, ttlSeconds: TTL_SECONDS, keep, log: ctx.log,
    }));
  }
  const peers: PeersResult[] = [];
  if (peerList.length > 0) {
    const scaling = new PeerScaling(join(ctx.dir, 'peers'), { messages: PEER_MESSAGES, timeoutMs: PEERS_TIMEOUT_MS, ttlSeconds: TTL_SECONDS, log: ctx.log });
    try {
      await scaling.setUp(Math.max(...peerList));
      for (const n of peerList) peers.push(await scaling.measure(n));
    } finally {
      await scaling.stop();
    }
  }
  const notes = [
    `queue depth: alpha runs with the default delivery settings (retryDelaysMs [0,5000,15000,60000], breaker: 3 failures open the circuit for 60 s), unlike queue-memory, which shortens them to [0,500,1000,2000] and 2 s. So the backlog waits out the breaker's cool-down after the peer is back ("first delivery"); the drain rate is counted from the first delivery, over ${WINDOW_MS / 1000} s or until the queue is empty. Alpha retried against the closed port for ${DOWN_MS / 1000} s.`,
    "receivers' config/mesh.json (beta, p01…): serve.rateLimitPerSecond/Burst 100000 and serve.addressRateLimitPerSecond/Burst 1000000, as in queue-memory (the default 20/s per sender and 200/s per address would pace the drain); everything else at the defaults.",
    `peers: ${PEER_MESSAGES} messages per run, round-robin over the N receivers, every receiver up before alpha's daemon starts; alpha's registry holds all ${Math.max(0, ...peerList)} receivers in every run; runs in increasing N reuse the receivers already started. Alpha's CPU per message counts its whole life (start-up included).`,
    `Between MESH-TS nodes the drain uses hook batches (batch/1): attempts to one peer that start in the same turn share one POST; the delivery window is ${DEFAULT_MAX_CONCURRENT} attempts in flight, at most ${DEFAULT_MAX_CONCURRENT_PER_BATCHING_PEER} per peer that takes batches (${DEFAULT_MAX_CONCURRENT_PER_PEER} per peer that does not).`,
    `depths:\n${depthTable(depths)}`,
    `peers:\n${peersTable(peers)}`,
  ];
  for (const r of depths) {
    notes.push(`depth ${label(r.depth)}: ${r.attemptedWhileDown} message(s) attempted while the peer was down, circuit ${r.breakerWhenBack} when it came back; ${r.delivered} delivered in the window, ${r.deadLetters} dead letters; beta's peak RSS ${f0(r.betaRssDrainPeakMb)} MB; alpha's peak RSS between the peer's return and the first delivery ${f0(r.rssWaitPeakMb)} MB; load average at the end ${load(r.loadAtEnd)}.`);
  }
  for (const r of peers) {
    if (r.delivered + r.deadLetters < r.messages || r.deadLetters > 0) notes.push(`peers ${r.peers}: ${r.delivered} of ${r.messages} delivered, ${r.deadLetters} dead letters within ${PEERS_TIMEOUT_MS / 1000} s.`);
  }
  return {
    name: 'scaling',
    rows: [...depths.flatMap(depthRows), ...peers.flatMap(peerRows)],
    notes,
    details: { depths, peers, settings: { downMs: DOWN_MS, windowMs: WINDOW_MS, peerMessages: PEER_MESSAGES, ttlSeconds: TTL_SECONDS } },
  };
}

export const benchmark: Benchmark = {
  name: 'scaling',
  summary: `RSS and drain rate against queue depth (${process.env['BENCH_SCALING_DEPTHS'] ?? DEFAULT_DEPTHS.map(label).join(', ')}) and number of peers (${process.env['BENCH_SCALING_PEERS'] ?? DEFAULT_PEERS.join(', ')})`,
  run,
};
