/**
 * Benchmark 5: a rally to 10 local daemons. Ten participants (p01…p10) run `mesh serve` with
 * MESH_HANDLER (a shell script that answers at once); alpha runs `mesh serve` to receive the answers.
 * This process opens alpha's home and calls the conversations service (`openRally`, what `mesh rally`
 * does), then polls alpha's event log until the round's `round.closed` (complete, 10/10) appears.
 * Baseline, interleaved one by one in the same run: one request to one participant (what `mesh
 * request` does: sendMessage, then alpha's inbox polled for the correlated answer), same poll interval.
 * Target (issue 9 item 6): the rally's median ≤ 1.5 × the single request's median.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openNode, type MeshNode } from '../src/node/mesh-node.ts';
import { conversationsOf } from '../src/node/node-conversations.ts';
import { sendMessage } from '../src/node/send-message.ts';
import { createStar, patchNodeConfig } from './support/fixture.ts';
import { cpuSplitMsOf, freePort, startServe, type ServeHandle } from './support/processes.ts';
import { ratioRow, row, type BenchContext, type BenchOutcome, type Benchmark } from './support/report.ts';
import { median, percentile, round } from './support/stats.ts';

const PARTICIPANTS = Number(process.env['BENCH_RALLY_PARTICIPANTS'] ?? 10);
const RUNS = Number(process.env['BENCH_RALLY_RUNS'] ?? 20);
const WARMUP = 2;
const POLL_MS = 2;
const TIMEOUT_MS = 30_000;
const TARGET_RATIO = 1.5;
/** CPU accounting: this many rallies, then this many single requests, each block measured alone. */
const CPU_RUNS = 5;
/** Background CPU of the idle daemons is measured over this long and subtracted. */
const IDLE_MS = 3000;

interface RallySample {
  totalMs: number;
  /** openRally returned: the round committed and every request's first attempt answered. */
  sentMs: number;
}

async function rallyOnce(node: MeshNode, targets: readonly string[], i: number): Promise<RallySample> {
  const conv = conversationsOf(node);
  let seq = node.store.events.latestSeq();
  const t0 = performance.now();
  const r = await conv.openRally({ question: `How many rows? (${i})`, targets, subject: 'bench', ttlSeconds: 60 });
  const sentMs = performance.now() - t0;
  const notDelivered = r.targets.filter((t) => t.status !== 'delivered');
  if (notDelivered.length > 0) throw new Error(`rally requests not delivered: ${JSON.stringify(notDelivered)}`);
  while (performance.now() - t0 < TIMEOUT_MS) {
    for (const e of node.store.events.after(seq)) {
      seq = e.seq;
      const d = e.data as { conversationId?: string; status?: string; answered?: number };
      if (e.type === 'round.closed' && d.conversationId === r.conversationId) {
        if (d.status !== 'complete' || d.answered !== targets.length) throw new Error(`round closed ${String(d.status)} with ${String(d.answered)} answers`);
        return { totalMs: performance.now() - t0, sentMs };
      }
    }
    await sleep(POLL_MS);
  }
  throw new Error(`rally ${r.conversationId} not complete within ${TIMEOUT_MS} ms: ${JSON.stringify(conv.get(r.conversationId)?.rounds.at(-1)?.responses.map((x) => x.agent))}`);
}

async function requestOnce(node: MeshNode, target: string, i: number): Promise<number> {
  const t0 = performance.now();
  const [r] = await sendMessage(node, { target, type: 'request', body: `How many rows? (${i})`, ttlSeconds: 60 });
  if (r?.status !== 'delivered' || r.id === null) throw new Error(`request not delivered: ${JSON.stringify(r)}`);
  while (performance.now() - t0 < TIMEOUT_MS) {
    if (node.store.inbox.findByCorrelation(r.id).length > 0) return performance.now() - t0;
    await sleep(POLL_MS);
  }
  throw new Error(`no response to ${r.id} within ${TIMEOUT_MS} ms`);
}

interface CpuBlock {
  wallMs: number;
  /** CPU of every process involved: the daemons, their handler scripts, and this one (openRally/sendMessage). */
  cpuMs: number;
  /** This process (the initiator's sends). */
  benchMs: number;
  /** Per daemon (alpha first): its own CPU and its handler scripts'. */
  daemons: { own: number; children: number }[];
}

/** Runs `fn` and measures the CPU every process of the benchmark used meanwhile. */
async function measureCpu(daemons: readonly ServeHandle[], fn: () => Promise<unknown>): Promise<CpuBlock> {
  const snap = (): { own: number; children: number }[] => daemons.map((d) => cpuSplitMsOf(d.pid) ?? { own: Number.NaN, children: Number.NaN });
  const c0 = snap();
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const own = process.cpuUsage(u0);
  const perDaemon = snap().map((c, k) => ({ own: c.own - (c0[k]?.own ?? 0), children: c.children - (c0[k]?.children ?? 0) }));
  const benchMs = (own.user + own.system) / 1000;
  return { wallMs, cpuMs: perDaemon.reduce((s, d) => s + d.own + d.children, 0) + benchMs, benchMs, daemons: perDaemon };
}

/** Where a block's CPU went, per round: the initiator's sends, alpha's daemon, a participant's daemon and handler (mean). */
function breakdown(b: CpuBlock, rounds: number, participants: readonly number[]): string {
  const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const leaves = participants.map((k) => b.daemons[k] ?? { own: 0, children: 0 });
  return `sends (this process) ${round(b.benchMs / rounds)} ms, alpha's daemon ${round((b.daemons[0]?.own ?? 0) / rounds)} ms, ` +
    `per participant ${round(avg(leaves.map((l) => l.own)) / rounds)} ms daemon + ${round(avg(leaves.map((l) => l.children)) / rounds)} ms handler`;
}

async function run(ctx: BenchContext): Promise<BenchOutcome> {
  const hubPort = await freePort();
  const leafPorts: number[] = [];
  for (let i = 0; i < PARTICIPANTS; i++) leafPorts.push(await freePort());
  ctx.log(`setting up alpha and ${PARTICIPANTS} participants with the CLI`);
  const star = createStar(ctx.dir, hubPort, leafPorts);
  // Back-to-back rounds would otherwise meet the per-sender (20/s, burst 100) and per-address limits.
  const limits = { serve: { rateLimitPerSecond: 10_000, rateLimitBurst: 10_000, addressRateLimitPerSecond: 1_000_000, addressRateLimitBurst: 1_000_000 } };
  for (const home of [star.hub, ...star.leaves.map((l) => l.home)]) patchNodeConfig(home, limits);
  const handler = join(ctx.dir, 'answer.sh');
  writeFileSync(handler, '#!/bin/sh\ncat >/dev/null\necho 42\n');
  chmodSync(handler, 0o755);

  const daemons: ServeHandle[] = [];
  let node: MeshNode | null = null;
  try {
    daemons.push(await startServe(star.hub, hubPort, join(ctx.dir, 'alpha-serve.log')));
    for (const l of star.leaves) daemons.push(await startServe(l.home, l.port, join(ctx.dir, `${l.name}-serve.log`), { MESH_HANDLER: handler }));
    node = openNode({ home: star.hub, env: {} });
    const targets = star.leaves.map((l) => l.name);
    const one = targets[0] as string;
    for (let i = 0; i < WARMUP; i++) {
      await rallyOnce(node, targets, -1 - i);
      for (const t of targets) await requestOnce(node, t, -1 - i); // every participant's first hand-off warm
    }
    ctx.log(`${RUNS} interleaved rallies (${PARTICIPANTS} participants) and single requests`);
    const rallies: RallySample[] = [];
    const singles: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        rallies.push(await rallyOnce(node, targets, i));
        singles.push(await requestOnce(node, one, i));
      } else {
        singles.push(await requestOnce(node, one, i));
        rallies.push(await rallyOnce(node, targets, i));
      }
    }
    ctx.log(`CPU accounting: ${IDLE_MS} ms idle, ${CPU_RUNS} rallies alone, ${CPU_RUNS} requests alone`);
    const idle = await measureCpu(daemons, () => sleep(IDLE_MS));
    const idlePerMs = idle.cpuMs / idle.wallMs;
    const rallyCpu = await measureCpu(daemons, async () => {
      for (let i = 0; i < CPU_RUNS; i++) await rallyOnce(node as MeshNode, targets, 1000 + i);
    });
    const singleCpu = await measureCpu(daemons, async () => {
      for (let i = 0; i < CPU_RUNS; i++) await requestOnce(node as MeshNode, one, 1000 + i);
    });
    const perRally = (rallyCpu.cpuMs - idlePerMs * rallyCpu.wallMs) / CPU_RUNS;
    const perSingle = (singleCpu.cpuMs - idlePerMs * singleCpu.wallMs) / CPU_RUNS;
    const cores = availableParallelism();
    const everyLeaf = star.leaves.map((_, k) => k + 1);
    const total = rallies.map((r) => r.totalMs);
    const sent = rallies.map((r) => r.sentMs);
    return {
      name: 'rally',
      rows: [
        ratioRow({ name: `rally of ${PARTICIPANTS} → round complete, p50`, value: median(total), unit: 'ms', baseline: median(singles), baselineName: 'one request' }, { max: TARGET_RATIO }),
        row({ name: `rally of ${PARTICIPANTS} → round complete, p95`, value: percentile(total, 95), unit: 'ms', baseline: percentile(singles, 95), baselineName: 'one request', ratio: percentile(total, 95) / percentile(singles, 95) }),
        row({ name: `rally: openRally returned (all ${PARTICIPANTS} sent and accepted), p50`, value: median(sent), unit: 'ms' }),
        row({ name: 'CPU per round, all processes (idle subtracted)', value: perRally, unit: 'ms', baseline: perSingle, baselineName: 'one request', ratio: perRally / perSingle }),
        row({ name: `rally floor on ${cores} cores: CPU per round ÷ cores`, value: perRally / cores, unit: 'ms', baseline: median(singles), baselineName: 'one request p50', ratio: perRally / cores / median(singles) }),
      ],
      notes: [
        `${RUNS} rallies and ${RUNS} single requests, interleaved; alpha's event log (rally) and inbox (request) are polled every ${POLL_MS} ms.`,
        `${PARTICIPANTS + 1} mesh serve daemons on this machine's cores; each participant answers through MESH_HANDLER (a /bin/sh script), so a round starts ${PARTICIPANTS} handler processes at once.`,
        'All daemons run with serve.rateLimitPerSecond/rateLimitBurst raised to 10000 and serve.addressRateLimitPerSecond/Burst to 1000000.',
        `CPU accounting (after the timed runs, each block alone): ${CPU_RUNS} rallies took ${round(rallyCpu.cpuMs)} ms CPU in ${round(rallyCpu.wallMs)} ms, ${CPU_RUNS} requests ${round(singleCpu.cpuMs)} ms CPU in ${round(singleCpu.wallMs)} ms; the idle daemons used ${round(idlePerMs * 1000)} ms CPU per second, subtracted. CPU counts the daemons, their handler scripts and this process.`,
        `CPU per rally (before subtracting idle): ${breakdown(rallyCpu, CPU_RUNS, everyLeaf)}; per request: ${breakdown(singleCpu, CPU_RUNS, [1])}.`,
        'A round is CPU-bound: no schedule finishes it faster than its CPU divided by the cores, so when that floor is above the target (1.5 × one request) the target cannot be met on this machine, whatever the rally path does.',
      ],
      details: {
        participants: PARTICIPANTS,
        runs: RUNS,
        pollMs: POLL_MS,
        rallyMs: total.map((x) => round(x)),
        rallySentMs: sent.map((x) => round(x)),
        singleMs: singles.map((x) => round(x)),
        rally: { p50: round(median(total)), p95: round(percentile(total, 95)), max: round(Math.max(...total)) },
        single: { p50: round(median(singles)), p95: round(percentile(singles, 95)), max: round(Math.max(...singles)) },
        cpu: { cores, idleMsPerSecond: round(idlePerMs * 1000), perRallyMs: round(perRally), perRequestMs: round(perSingle), rallyBlock: rallyCpu, requestBlock: singleCpu },
      },
    };
  } finally {
    await node?.close();
    await Promise.all(daemons.map((d) => d.stop()));
  }
}

export const benchmark: Benchmark = {
  name: 'rally',
  summary: `a rally to ${PARTICIPANTS} local daemons (MESH_HANDLER answers at once) vs one request to one of them`,
  run,
};
