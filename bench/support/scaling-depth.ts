/**
 * The queue-depth half of the scaling benchmark: for one depth D, a fresh alpha/beta pair (CLI),
 * D signed messages for beta enqueued in alpha's store while beta is down, alpha's `mesh serve`
 * retrying against the closed port (RSS sampled from /proc), then beta's `mesh serve` started and the
 * drain measured from alpha's outbox (delivered_at of the delivered rows) over a bounded window.
 * Alpha keeps the default retry schedule and circuit breaker, so the backlog waits for the breaker's
 * cool-down after beta is back; that wait is reported on its own and kept out of the drain rate.
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueBacklog } from './backlog.ts';
import { createPair, patchNodeConfig } from './fixture.ts';
import { cpuMsOf, freePort, rssKb, startServe, type ServeHandle } from './processes.ts';
import { Peek } from './sqlite-peek.ts';
import { median, round } from './stats.ts';

export interface DepthSettings {
  downMs: number;
  /** After beta starts: how long to wait for the first delivery (the breaker's cool-down is 60 s). */
  firstDeliveryTimeoutMs: number;
  /** The drain is measured over this long from the first delivery, or until the outbox is empty. */
  windowMs: number;
  ttlSeconds: number;
  keep: boolean;
  log(message: string): void;
}

export interface DepthResult {
  depth: number;
  enqueueMs: number;
  /** Load average (1, 5, 15 min) when alpha's daemon started, and when the drain window ended. */
  loadAtStart: number[];
  loadAtEnd: number[];
  rssDownSteadyMb: number;
  rssDownPeakMb: number;
  /** Alpha's RSS while beta was up but nothing was delivered yet (circuit open). */
  rssWaitPeakMb: number | null;
  /** Attempts alpha made while beta was down, and its circuit for beta when beta started. */
  attemptedWhileDown: number;
  breakerWhenBack: string;
  /** From beta's start to the first delivered row (ms), or null if none came in time. */
  firstDeliveryMs: number | null;
  delivered: number;
  /** Delivered in the window ÷ the window (or ÷ first-to-last delivery when everything went). */
  drainRate: number;
  /** First to last delivery when the whole backlog was delivered within the window, else null. */
  drainedInMs: number | null;
  rssDrainPeakMb: number | null;
  betaRssDrainPeakMb: number | null;
  /** CPU per delivered message in the window, alpha's and beta's daemon. */
  alphaCpuMsPerMsg: number | null;
  betaCpuMsPerMsg: number | null;
  deadLetters: number;
}

const mb = (kb: number | null): number | null => (kb === null ? null : kb / 1024);
const maxOf = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : Math.max(...v);
};

interface DeliveredNow {
  n: number;
  first: number | null;
  last: number | null;
}

function deliveredNow(peek: Peek): DeliveredNow {
  const [r] = peek.all<{ n: number; first: number | null; last: number | null }>(
    `SELECT COUNT(*) AS n, MIN(delivered_at) AS first, MAX(delivered_at) AS last FROM outbox WHERE state = 'delivered'`);
  return { n: Number(r?.n ?? 0), first: r?.first ?? null, last: r?.last ?? null };
}

export async function measureDepth(dir: string, depth: number, s: DepthSettings): Promise<DepthResult> {
  const [alphaPort, betaPort] = [await freePort(), await freePort()];
  const pair = createPair(dir, alphaPort, betaPort);
  // As in queue-memory: beta must not pace the backlog with its per-sender (20/s) and per-address
  // (200/s) limits. Alpha's config is left at the defaults.
  patchNodeConfig(pair.b, { serve: { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000, addressRateLimitPerSecond: 1_000_000, addressRateLimitBurst: 1_000_000 } });
  s.log(`depth ${depth}: enqueueing ${depth} signed messages for beta (port ${betaPort}, closed)`);
  const step = Math.max(100_000, Math.ceil(depth / 10));
  const t0 = performance.now();
  const enqueueMs = await enqueueBacklog(pair.a, {
    peers: ['beta'], count: depth, ttlSeconds: s.ttlSeconds,
    onProgress: (done) => {
      if (done % step === 0 && done < depth) s.log(`  ${done} enqueued (${round((performance.now() - t0) / 1000)} s)`);
    },
  });
  s.log(`  ${depth} enqueued in ${round(enqueueMs / 1000)} s (${Math.round((depth / enqueueMs) * 1000)} msg/s)`);

  let alpha: ServeHandle | null = null;
  let beta: ServeHandle | null = null;
  const peek = new Peek(pair.a);
  try {
    const loadAtStart = loadavg();
    alpha = await startServe(pair.a, alphaPort, join(dir, 'alpha-serve.log'));
    s.log(`depth ${depth}: alpha's daemon (pid ${alpha.pid}) retries against the closed port; RSS sampled for ${s.downMs / 1000} s`);
    const down: number[] = [];
    const d0 = performance.now();
    while (performance.now() - d0 < s.downMs) {
      const r = mb(rssKb(alpha.pid));
      if (r !== null) down.push(r);
      await sleep(250);
    }
    const attemptedWhileDown = peek.count(`SELECT COUNT(*) AS n FROM outbox WHERE attempts > 0`);
    const [b] = peek.all<{ state: string; consecutive_failures: number }>(`SELECT state, consecutive_failures FROM breakers WHERE peer = 'beta'`);
    const breakerWhenBack = b === undefined ? 'none' : `${b.state} after ${b.consecutive_failures} failures`;

    beta = await startServe(pair.b, betaPort, join(dir, 'beta-serve.log'));
    const back = performance.now();
    s.log(`depth ${depth}: beta is up (pid ${beta.pid}; alpha's circuit: ${breakerWhenBack}); waiting for the first delivery`);
    const wait: number[] = [];
    let firstDeliveryMs: number | null = null;
    let now = deliveredNow(peek);
    while (performance.now() - back < s.firstDeliveryTimeoutMs) {
      const r = mb(rssKb(alpha.pid));
      if (r !== null) wait.push(r);
      now = deliveredNow(peek);
      if (now.n > 0) {
        firstDeliveryMs = performance.now() - back;
        break;
      }
      await sleep(250);
    }

    let drainRate = 0;
    let drainedInMs: number | null = null;
    const drainRss: (number | null)[] = [];
    const betaRss: (number | null)[] = [];
    let alphaCpuMsPerMsg: number | null = null;
    let betaCpuMsPerMsg: number | null = null;
    if (firstDeliveryMs !== null && now.first !== null) {
      s.log(`depth ${depth}: first delivery ${round(firstDeliveryMs / 1000)} s after beta started; draining for up to ${s.windowMs / 1000} s`);
      const first = now.first;
      const cpuA0 = cpuMsOf(alpha.pid);
      const cpuB0 = cpuMsOf(beta.pid);
      const n0 = now.n;
      const w0 = performance.now();
      let dead = 0;
      while (performance.now() - w0 < s.windowMs) {
        await sleep(500);
        drainRss.push(mb(rssKb(alpha.pid)));
        betaRss.push(mb(rssKb(beta.pid)));
        now = deliveredNow(peek);
        dead = peek.count('SELECT COUNT(*) AS n FROM dead_letters');
        if (now.n + dead >= depth) break;
      }
      const cpuA1 = cpuMsOf(alpha.pid);
      const cpuB1 = cpuMsOf(beta.pid);
      const inWindow = now.n - n0;
      if (inWindow > 0 && cpuA0 !== null && cpuA1 !== null) alphaCpuMsPerMsg = (cpuA1 - cpuA0) / inWindow;
      if (inWindow > 0 && cpuB0 !== null && cpuB1 !== null) betaCpuMsPerMsg = (cpuB1 - cpuB0) / inWindow;
      if (now.n >= depth && now.last !== null) {
        drainedInMs = now.last - first;
        drainRate = (depth / Math.max(1, drainedInMs)) * 1000;
      } else {
        const counted = peek.count(`SELECT COUNT(*) AS n FROM outbox WHERE state = 'delivered' AND delivered_at < ?`, first + s.windowMs);
        drainRate = (counted / Math.min(s.windowMs, Math.max(1, (now.last ?? first) - first))) * 1000;
      }
    } else {
      s.log(`depth ${depth}: nothing delivered within ${s.firstDeliveryTimeoutMs / 1000} s of beta's start`);
    }
    const deadLetters = peek.count('SELECT COUNT(*) AS n FROM dead_letters');
    const laterHalf = down.slice(Math.floor(down.length / 2));
    return {
      depth,
      enqueueMs,
      loadAtStart,
      loadAtEnd: loadavg(),
      rssDownSteadyMb: median(laterHalf),
      rssDownPeakMb: Math.max(...down),
      rssWaitPeakMb: maxOf(wait),
      attemptedWhileDown,
      breakerWhenBack,
      firstDeliveryMs,
      delivered: now.n,
      drainRate,
      drainedInMs,
      rssDrainPeakMb: maxOf(drainRss),
      betaRssDrainPeakMb: maxOf(betaRss),
      alphaCpuMsPerMsg,
      betaCpuMsPerMsg,
      deadLetters,
    };
  } finally {
    peek.close();
    await Promise.all([alpha?.stop(), beta?.stop()]);
    // A million messages take most of a gigabyte: the next depth should not share the disk with it.
    if (!s.keep) rmSync(dir, { recursive: true, force: true });
  }
}
