/**
 * Benchmark 4: daemon memory with a large backlog for a dead peer, then the time to drain it.
 * 100,000 signed messages are enqueued for beta through the store API (batched transactions) while
 * beta's port is closed; alpha's `mesh serve` then retries for a while and its RSS is sampled from
 * /proc/<pid>/status. Then beta's `mesh serve` starts and we measure how long until alpha's outbox
 * and dead letters are empty. A short retry schedule in alpha's config/mesh.json keeps it in minutes.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueBacklog } from './support/backlog.ts';
import { createPair, patchNodeConfig } from './support/fixture.ts';
import { cpuMsOf, freePort, rssKb, startServe, type ServeHandle } from './support/processes.ts';
import { row, type BenchContext, type BenchOutcome, type BenchRow, type Benchmark } from './support/report.ts';
import { Peek } from './support/sqlite-peek.ts';
import { median, round } from './support/stats.ts';

const MESSAGES = Number(process.env['BENCH_QUEUE_MESSAGES'] ?? 100_000);
const BATCH = 2_000;
const DOWN_MS = Number(process.env['BENCH_DOWN_S'] ?? 25) * 1000;
const DRAIN_TIMEOUT_MS = Number(process.env['BENCH_DRAIN_TIMEOUT_S'] ?? 120) * 1000;
const RSS_TARGET_MB = 150;
/** Issue 13: a 100k backlog drains at ≥ 5,000 msg/s once its peer is back. */
const DRAIN_TARGET_PER_S = 5_000;
const RETRY_DELAYS_MS = [0, 500, 1_000, 2_000];
const BREAKER_COOLDOWN_MS = 2_000;
const TTL_SECONDS = 4 * 3600;

interface Sample {
  t: number;
  rssMb: number | null;
  pending?: number;
  dead?: number;
}

const mb = (kb: number | null): number | null => (kb === null ? null : kb / 1024);

/**
 * Groups delivery times into bursts (a gap > 20 ms starts a new one): the delivered marks alpha
 * commits together. gapMs is null when there was no pause at all.
 */
function bursts(times: readonly number[]): { size: number; gapMs: number | null; count: number } | null {
  if (times.length < 10) return null;
  const sizes: number[] = [];
  const starts: number[] = [];
  let size = 0;
  for (const [i, t] of times.entries()) {
    if (i === 0 || t - (times[i - 1] as number) > 20) {
      if (size > 0) sizes.push(size);
      starts.push(t);
      size = 0;
    }
    size++;
  }
  sizes.push(size);
  const gaps = starts.slice(1).map((s, i) => s - (starts[i] as number));
  return { size: median(sizes), gapMs: gaps.length === 0 ? null : median(gaps), count: sizes.length };
}

async function run(ctx: BenchContext): Promise<BenchOutcome> {
  const [alphaPort, betaPort] = [await freePort(), await freePort()];
  ctx.log('setting up alpha and beta with the CLI');
  const pair = createPair(ctx.dir, alphaPort, betaPort);
  patchNodeConfig(pair.a, { delivery: { retryDelaysMs: RETRY_DELAYS_MS, breakerCooldownMs: BREAKER_COOLDOWN_MS } });
  // beta must not throttle the backlog: raise its per-sender limit. Its acceptance rules stay the
  // defaults: messages older than the 5-minute replay window are accepted because their TTL (4 h)
  // has not run out (inbound.maxMessageAgeMs, 24 h, caps that).
  patchNodeConfig(pair.b, { serve: { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000, addressRateLimitPerSecond: 1_000_000, addressRateLimitBurst: 1_000_000 } });

  ctx.log(`enqueueing ${MESSAGES} signed messages for beta (port ${betaPort}, closed)`);
  const enqueueMs = await enqueueBacklog(pair.a, { peers: ['beta'], count: MESSAGES, ttlSeconds: TTL_SECONDS, batch: BATCH });
  const rows: BenchRow[] = [row({ name: `enqueue ${MESSAGES} (compose + sign + insert, ${BATCH}/transaction)`, value: (MESSAGES / enqueueMs) * 1000, unit: 'msg/s' })];
  const notes: string[] = [
    `alpha's config/mesh.json: delivery.retryDelaysMs ${JSON.stringify(RETRY_DELAYS_MS)}, breakerCooldownMs ${BREAKER_COOLDOWN_MS} (defaults: [0,5000,15000,60000], 60000); messages have ttl ${TTL_SECONDS} s.`,
    `beta's config/mesh.json: serve.rateLimitPerSecond/Burst 100000 (the default 20/s per sender, answered with 429 + Retry-After, would pace the drain at 20 msg/s) and serve.addressRateLimitPerSecond/Burst 1000000 (the default 200/s per client address would too); inbound acceptance at its defaults (queued messages past the 5-min window are accepted within their 4 h TTL).`,
  ];
  const details: Record<string, unknown> = { messages: MESSAGES, enqueueMs: round(enqueueMs), retryDelaysMs: RETRY_DELAYS_MS };

  let alpha: ServeHandle | null = null;
  let beta: ServeHandle | null = null;
  const peek = new Peek(pair.a);
  try {
    alpha = await startServe(pair.a, alphaPort, join(ctx.dir, 'alpha-serve.log'), {});
    ctx.log(`alpha's daemon is retrying (peer down) — sampling its RSS for ${DOWN_MS / 1000} s`);
    const down: Sample[] = [];
    const cpu0 = cpuMsOf(alpha.pid);
    const downStart = Date.now();
    const t0 = performance.now();
    while (performance.now() - t0 < DOWN_MS) {
      down.push({ t: round(performance.now() - t0, 0), rssMb: mb(rssKb(alpha.pid)) });
      await sleep(250);
    }
    const downCpu = (cpuMsOf(alpha.pid) ?? 0) - (cpu0 ?? 0);
    const downAudit = peek.all<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM audit WHERE ts >= ? GROUP BY status ORDER BY n DESC', downStart);
    const downPeak = Math.max(...down.map((s) => s.rssMb ?? 0));
    const pendingDown = peek.count(`SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'`);
    const deadDown = peek.count('SELECT COUNT(*) AS n FROM dead_letters');
    const attempted = peek.count(`SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending' AND attempts > 0`);
    const breaker = peek.all<Record<string, unknown>>('SELECT peer, state, consecutive_failures FROM breakers');
    rows.push({
      ...row({ name: 'daemon peak RSS, peer down', value: downPeak, unit: 'MB' }),
      target: `≤ ${RSS_TARGET_MB} MB`,
      verdict: downPeak <= RSS_TARGET_MB ? 'PASS' : 'MISS',
    });
    rows.push(row({ name: 'daemon CPU while the peer is down', value: (downCpu / DOWN_MS) * 100, unit: '% of a core' }));
    notes.push(`after ${DOWN_MS / 1000} s down: ${pendingDown} pending (${attempted} attempted at least once), ${deadDown} dead letters, breaker ${JSON.stringify(breaker)}.`);
    notes.push(`audit rows alpha wrote while beta was down: ${downAudit.map((a) => `${a.status} ${a.n}`).join(', ') || 'none'}.`);

    ctx.log(`starting beta; waiting up to ${DRAIN_TIMEOUT_MS / 1000} s for alpha's outbox and dead letters to empty`);
    beta = await startServe(pair.b, betaPort, join(ctx.dir, 'beta-serve.log'));
    const drainStart = Date.now();
    const d0 = performance.now();
    const drain: Sample[] = [];
    let drainedMs: number | null = null;
    while (performance.now() - d0 < DRAIN_TIMEOUT_MS) {
      await sleep(1_000);
      const s: Sample = {
        t: round(performance.now() - d0, 0),
        rssMb: mb(rssKb(alpha.pid)),
        pending: peek.count(`SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'`),
        dead: peek.count('SELECT COUNT(*) AS n FROM dead_letters'),
      };
      drain.push(s);
      if (s.pending === 0 && s.dead === 0) {
        drainedMs = s.t;
        break;
      }
    }
    const drainPeak = Math.max(...drain.map((s) => s.rssMb ?? 0));
    rows.push({
      ...row({ name: 'daemon peak RSS, draining', value: drainPeak, unit: 'MB' }),
      target: `≤ ${RSS_TARGET_MB} MB`,
      verdict: drainPeak <= RSS_TARGET_MB ? 'PASS' : 'MISS',
    });
    const last = drain[drain.length - 1];
    const left = (last?.pending ?? MESSAGES) + (last?.dead ?? 0);
    const deliveredTimes = peek.all<{ t: number }>(`SELECT delivered_at AS t FROM outbox WHERE state = 'delivered' AND delivered_at >= ? ORDER BY delivered_at`, drainStart).map((r) => r.t);
    const delivered = deliveredTimes.length;
    const elapsedS = (last?.t ?? DRAIN_TIMEOUT_MS) / 1000;
    const recent = deliveredTimes.filter((t) => t >= drainStart + (elapsedS - 30) * 1000).length;
    const rate = recent / Math.min(30, elapsedS);
    if (drainedMs !== null) {
      rows.push({ ...row({ name: `drain ${MESSAGES} after the peer is back`, value: drainedMs / 1000, unit: 's' }), target: 'drains completely', verdict: 'PASS' });
    } else {
      rows.push({ ...row({ name: `drained within ${DRAIN_TIMEOUT_MS / 1000} s`, value: delivered, unit: 'msgs' }), target: 'drains completely', verdict: 'MISS' });
      rows.push(row({ name: 'drain rate (last 30 s) → time to empty', value: rate > 0 ? (delivered + left) / rate / 60 : Number.POSITIVE_INFINITY, unit: 'min (extrapolated)' }));
    }
    const wholeRate = drainedMs !== null && drainedMs > 0 ? (MESSAGES / drainedMs) * 1000 : rate;
    rows.push({
      ...row({ name: drainedMs !== null ? 'drain rate, whole drain' : 'drain rate, last 30 s (did not finish)', value: wholeRate, unit: 'msg/s' }),
      target: `≥ ${DRAIN_TARGET_PER_S} msg/s`,
      verdict: wholeRate >= DRAIN_TARGET_PER_S ? 'PASS' : 'MISS',
    });
    if (drainedMs !== null) rows.push(row({ name: 'drain rate, last 30 s', value: rate, unit: 'msg/s' }));
    const b = bursts(deliveredTimes);
    if (b !== null && b.gapMs !== null && b.count > 10) {
      notes.push(`deliveries arrive in bursts of ${b.size} every ${round(b.gapMs)} ms (median of ${b.count} bursts): the outcomes that alpha settles in one commit (answers that came back together, mostly one group commit of beta's).`);
    } else if (b !== null) {
      notes.push(`deliveries were continuous: ${b.count} stretch(es) without a pause longer than 20 ms.`);
    }
    const betaPeek = new Peek(pair.b);
    const inboxB = betaPeek.count('SELECT COUNT(*) AS n FROM inbox');
    betaPeek.close();
    notes.push(`drain: ${delivered} delivered in ${elapsedS} s, ${last?.pending ?? '?'} still pending, ${last?.dead ?? '?'} dead letters; beta's inbox holds ${inboxB}.`);
    details['down'] = { samples: down, cpuMs: downCpu, pending: pendingDown, attempted, deadLetters: deadDown, breaker, audit: downAudit };
    details['drain'] = { samples: drain, drainedMs, delivered, ratePerSecondLast30s: round(rate), bursts: b, inboxB };
    return { name: 'queue-memory', rows, notes, details };
  } finally {
    peek.close();
    await Promise.all([alpha?.stop(), beta?.stop()]);
  }
}

export const benchmark: Benchmark = {
  name: 'queue-memory',
  summary: `daemon RSS with ${MESSAGES} messages queued for a dead peer (target ≤ ${RSS_TARGET_MB} MB), then time to drain`,
  run,
};
