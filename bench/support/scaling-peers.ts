/**
 * The peer-count half of the scaling benchmark: a star (alpha and up to max(N) receivers, set up once
 * with the CLI), and for each N, in increasing order: receivers p01…pN running (`mesh serve`, started
 * one after another, each answering GET /health before the next starts), alpha's delivered rows
 * pruned, M signed messages enqueued in alpha's store round-robin over the N receivers, then alpha's
 * `mesh serve` started and timed until its outbox is empty. Alpha's retry and breaker settings stay
 * the defaults (every receiver is up, so they never come into play).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openNode } from '../../src/node/mesh-node.ts';
import { enqueueBacklog } from './backlog.ts';
import { createStar, patchNodeConfig, type Star } from './fixture.ts';
import { cpuMsOf, freePort, rssKb, startServe, type ServeHandle } from './processes.ts';
import { Peek } from './sqlite-peek.ts';

export interface PeersSettings {
  /** Messages queued per run, spread evenly over the N receivers. */
  messages: number;
  timeoutMs: number;
  ttlSeconds: number;
  log(message: string): void;
}

export interface PeersResult {
  peers: number;
  messages: number;
  loadAtStart: number[];
  loadAtEnd: number[];
  delivered: number;
  /** Delivered ÷ (last − first delivered_at). */
  drainRate: number;
  /** From spawning alpha's daemon to the last delivery (start-up included), null if not all went. */
  totalMs: number | null;
  alphaRssPeakMb: number | null;
  /** The receivers' RSS summed, before alpha started and at its peak while draining. */
  receiversRssIdleMb: number;
  receiversRssPeakMb: number | null;
  /** Alpha's daemon over its whole life (start-up included), per delivered message. */
  alphaCpuMsPerMsg: number | null;
  /** The receivers' CPU summed, their idle CPU subtracted, per delivered message. */
  receiversCpuMsPerMsg: number | null;
  deadLetters: number;
}

/** The receivers' idle CPU is measured over this long before each run. */
const IDLE_MS = 3_000;
const HEALTH_TRIES = 40;
const HEALTH_PAUSE_MS = 250;

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < HEALTH_TRIES; i++) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not yet
    }
    await sleep(HEALTH_PAUSE_MS);
  }
  throw new Error(`${url}/health did not answer 200`);
}

const sumMb = (pids: readonly number[]): number => pids.reduce((s, p) => s + (rssKb(p) ?? 0), 0) / 1024;
const sumCpu = (pids: readonly number[]): number => pids.reduce((s, p) => s + (cpuMsOf(p) ?? 0), 0);

export class PeerScaling {
  readonly #dir: string;
  readonly #s: PeersSettings;
  readonly #running: ServeHandle[] = [];
  #star: Star | null = null;

  constructor(dir: string, s: PeersSettings) {
    this.#dir = dir;
    this.#s = s;
  }

  /** Creates alpha and `max` receivers with the CLI (joined both ways, HMAC keys, signing on). */
  async setUp(max: number): Promise<void> {
    const hubPort = await freePort();
    const ports: number[] = [];
    for (let i = 0; i < max; i++) ports.push(await freePort());
    this.#s.log(`setting up alpha and ${max} receivers with the CLI`);
    this.#star = createStar(this.#dir, hubPort, ports);
    // As in queue-memory: receivers must not pace alpha with their per-sender (20/s) and
    // per-address (200/s) limits.
    const limits = { serve: { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000, addressRateLimitPerSecond: 1_000_000, addressRateLimitBurst: 1_000_000 } };
    for (const l of this.#star.leaves) patchNodeConfig(l.home, limits);
  }

  async measure(n: number): Promise<PeersResult> {
    const star = this.#star;
    if (star === null) throw new Error('PeerScaling.setUp first');
    const leaves = star.leaves.slice(0, n);
    if (leaves.length < n) throw new Error(`only ${star.leaves.length} receivers were set up`);
    while (this.#running.length < n) {
      const l = leaves[this.#running.length] as Star['leaves'][number];
      const h = await startServe(l.home, l.port, join(this.#dir, `${l.name}-serve.log`));
      this.#running.push(h);
      await waitHealthy(h.url);
    }
    this.#s.log(`${n} receiver(s) up; queueing ${this.#s.messages} messages for them in alpha's outbox`);
    const node = openNode({ home: star.hub, env: {} });
    try {
      node.store.outbox.pruneDelivered(Date.now() + 1); // the previous run's rows
    } finally {
      await node.close();
    }
    await enqueueBacklog(star.hub, { peers: leaves.map((l) => l.name), count: this.#s.messages, ttlSeconds: this.#s.ttlSeconds });

    const receivers = this.#running.slice(0, n).map((h) => h.pid);
    const receiversRssIdleMb = sumMb(receivers);
    // The receivers' own timers cost CPU too (50 idle daemons add up): measured here, subtracted below.
    const idle0 = sumCpu(receivers);
    const i0 = performance.now();
    await sleep(IDLE_MS);
    const idleCpuPerMs = (sumCpu(receivers) - idle0) / (performance.now() - i0);
    const peek = new Peek(star.hub);
    let alpha: ServeHandle | null = null;
    try {
      const loadAtStart = loadavg();
      const rCpu0 = sumCpu(receivers);
      const t0 = performance.now();
      const spawnedAt = Date.now();
      alpha = await startServe(star.hub, star.hubPort, join(this.#dir, `alpha-${n}-serve.log`));
      this.#s.log(`alpha's daemon (pid ${alpha.pid}) is draining ${this.#s.messages} messages to ${n} receiver(s)`);
      const alphaRss: number[] = [];
      const receiversRss: number[] = [];
      let delivered = 0;
      let dead = 0;
      let done = false;
      while (performance.now() - t0 < this.#s.timeoutMs) {
        await sleep(250);
        const r = rssKb(alpha.pid);
        if (r !== null) alphaRss.push(r / 1024);
        receiversRss.push(sumMb(receivers));
        delivered = peek.count(`SELECT COUNT(*) AS n FROM outbox WHERE state = 'delivered'`);
        dead = peek.count('SELECT COUNT(*) AS n FROM dead_letters');
        if (delivered + dead >= this.#s.messages) {
          done = true;
          break;
        }
      }
      const aCpu = cpuMsOf(alpha.pid) ?? 0; // its whole life, start-up included
      const rCpu = sumCpu(receivers) - rCpu0 - idleCpuPerMs * (performance.now() - t0);
      const [span] = peek.all<{ first: number | null; last: number | null }>(
        `SELECT MIN(delivered_at) AS first, MAX(delivered_at) AS last FROM outbox WHERE state = 'delivered'`);
      const spanMs = span?.first != null && span.last != null ? Math.max(1, span.last - span.first) : null;
      return {
        peers: n,
        messages: this.#s.messages,
        loadAtStart,
        loadAtEnd: loadavg(),
        delivered,
        drainRate: spanMs === null ? 0 : (delivered / spanMs) * 1000,
        totalMs: done && span?.last != null ? span.last - spawnedAt : null,
        alphaRssPeakMb: alphaRss.length === 0 ? null : Math.max(...alphaRss),
        receiversRssIdleMb,
        receiversRssPeakMb: receiversRss.length === 0 ? null : Math.max(...receiversRss),
        alphaCpuMsPerMsg: delivered > 0 ? aCpu / delivered : null,
        receiversCpuMsPerMsg: delivered > 0 ? rCpu / delivered : null,
        deadLetters: dead,
      };
    } finally {
      peek.close();
      await alpha?.stop();
    }
  }

  /** Stops every receiver this object started. */
  async stop(): Promise<void> {
    await Promise.all(this.#running.map((h) => h.stop()));
    this.#running.length = 0;
  }
}
