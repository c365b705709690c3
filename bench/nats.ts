/**
 * Benchmark: MESH over NATS JetStream against a raw JetStream loop with the same client library, in
 * the same run, and the same two nodes over HTTP for comparison.
 *
 *   mesh-nats  alpha (this process, node API) → beta (a real `mesh serve` consuming its inbox subject):
 *              sendMessage() composes, HMAC-signs, stores in the outbox, publishes with Nats-Msg-Id,
 *              waits for beta's signed receipt (beta verified and stored the message in SQLite first),
 *              marks it delivered. One message = one end-to-end acknowledged delivery.
 *   raw        the same round trip with nothing but the bus: this process publishes (Nats-Msg-Id,
 *              awaits the PubAck) and waits for a receipt; a child process (raw-jetstream-consumer.ts)
 *              consumes from a durable pull consumer like MESH's receiver, publishes the receipt
 *              through JetStream and acks. Same streams' settings (file storage, work queue), same
 *              body size, same concurrency, same process layout (sender here, receiver a child).
 *   mesh-http  the same alpha and beta daemon, beta's registry entry switched back to HTTP (the
 *              registry is re-read live): POST /hooks/alpha to beta's `mesh serve`.
 * Segments of the three alternate (rotating order) so they share the machine's noise.
 */
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { openNode, type MeshNode } from '../src/node/mesh-node.ts';
import { sendMessage } from '../src/node/send-message.ts';
import { wrapForHook } from '../src/protocol/hook.ts';
import { createPair, patchNodeConfig } from './support/fixture.ts';
import { NATS_SERVER_BIN, NatsFleetServers } from '../test/support/nats-server.ts';
import { benchNatsHost, childEnv, cli, cpuMsOf, freePort, REPO, startChild, startServe } from './support/processes.ts';
import { RAW_INBOX_SUBJECT, RAW_RECEIPT_PREFIX } from './support/raw-jetstream-names.ts';
import { ratioRow, row, type BenchContext, type BenchOutcome, type Benchmark } from './support/report.ts';
import { Peek } from './support/sqlite-peek.ts';
import { percentile, round } from './support/stats.ts';

const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 4);
const SEGMENTS = 4;
const SEGMENT_MS = Number(process.env['BENCH_SEGMENT_MS'] ?? 2_500);
const WARMUP_MS = 1_000;
const BODY = 'x'.repeat(256);
const TARGET_MIN = 0.5;
const RAW_RECEIPT_TIMEOUT_MS = 10_000;
const REGISTRY_SWITCH_TIMEOUT_MS = 10_000;

type Mode = 'raw' | 'nats' | 'http';

interface Side {
  ok: number;
  failed: number;
  lastError: string | null;
  ms: number;
  latenciesMs: number[];
  /** CPU of this process (the sender). */
  selfCpuUs: number;
  /** CPU of the receiving process: beta's daemon, or the raw consumer. */
  receiverCpuMs: number;
  /** CPU of nats-server (0 over HTTP). */
  serverCpuMs: number;
}

const side = (): Side => ({ ok: 0, failed: 0, lastError: null, ms: 0, latenciesMs: [], selfCpuUs: 0, receiverCpuMs: 0, serverCpuMs: 0 });

async function meshWorker(node: MeshNode, until: number, s: Side): Promise<void> {
  while (performance.now() < until) {
    const t0 = performance.now();
    const [r] = await sendMessage(node, { target: 'beta', type: 'notification', body: BODY });
    if (r?.status === 'delivered') {
      s.ok++;
      s.latenciesMs.push(performance.now() - t0);
    } else {
      s.failed++;
      s.lastError = `${r?.status ?? 'none'} ${r?.error ?? ''} ${r?.reason ?? ''}`;
    }
  }
}

/** The raw loop's sender: publish + PubAck, then the consumer's receipt, per message. */
class RawSender {
  readonly #waiting = new Map<string, () => void>();
  #n = 0;
  readonly #body: string;
  readonly #js: ReturnType<typeof jetstream>;

  constructor(nc: Awaited<ReturnType<typeof connect>>, body: string) {
    this.#body = body;
    this.#js = jetstream(nc);
    nc.subscribe(`${RAW_RECEIPT_PREFIX}*`, {
      callback: (err, msg) => {
        if (err !== null) return;
        this.#waiting.get(msg.subject.slice(RAW_RECEIPT_PREFIX.length))?.();
      },
    });
  }

  async one(): Promise<void> {
    const id = `raw_${process.pid}_${++this.#n}`;
    let timer: NodeJS.Timeout | undefined;
    const receipt = new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, resolve);
      timer = setTimeout(() => reject(new Error('no receipt')), RAW_RECEIPT_TIMEOUT_MS);
    });
    try {
      await this.#js.publish(RAW_INBOX_SUBJECT, this.#body, { msgID: id });
      await receipt;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(id);
    }
  }

  async worker(until: number, s: Side): Promise<void> {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        await this.one();
        s.ok++;
        s.latenciesMs.push(performance.now() - t0);
      } catch (e) {
        s.failed++;
        s.lastError = (e as Error).message;
      }
    }
  }
}

async function segment(s: Side, ms: number, receiverPid: number, serverPid: number | null, work: (until: number, s: Side) => Promise<void>): Promise<void> {
  const cpu0 = process.cpuUsage();
  const receiver0 = cpuMsOf(receiverPid);
  const server0 = serverPid === null ? null : cpuMsOf(serverPid);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, () => work(t0 + ms, s)));
  s.ms += performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  s.selfCpuUs += cpu.user + cpu.system;
  const receiver1 = cpuMsOf(receiverPid);
  if (receiver0 !== null && receiver1 !== null) s.receiverCpuMs += receiver1 - receiver0;
  const server1 = serverPid === null ? null : cpuMsOf(serverPid);
  if (server0 !== null && server1 !== null) s.serverCpuMs += server1 - server0;
}

/** Points alpha's entry for beta at NATS or HTTP (as `mesh join` does) and waits until the node sees it. */
async function useTransport(node: MeshNode, home: string, mode: 'nats' | 'http', betaPort: number): Promise<void> {
  if (mode === 'nats') cli(['join', 'beta', '--nats', '--no-probe', '--home', home]);
  else cli(['join', 'beta', '127.0.0.1', String(betaPort), '--no-probe', '--home', home]);
  const deadline = performance.now() + REGISTRY_SWITCH_TIMEOUT_MS;
  while ((node.peer('beta').transport ?? 'http') !== mode) {
    if (performance.now() > deadline) throw new Error(`alpha's registry did not switch beta to ${mode}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const perSecond = (s: Side): number => (s.ok / s.ms) * 1000;
const cpuPerMsg = (s: Side): number => (s.selfCpuUs / 1000 + s.receiverCpuMs + s.serverCpuMs) / s.ok;
/** CPU per message of each process: sender / receiver / nats-server, in ms. */
const cpuSplit = (s: Side): string => [s.selfCpuUs / 1000, s.receiverCpuMs, s.serverCpuMs].map((x) => round(x / s.ok, 2)).join(' / ');

async function run(ctx: BenchContext): Promise<BenchOutcome> {
  if (NATS_SERVER_BIN === null) throw new Error('nats-server is not installed (apt-get install nats-server)');
  const servers = await NatsFleetServers.start(1, { dir: ctx.dir, host: benchNatsHost });
  const nats = { url: servers.urls[0] as string, pid: servers.servers[0]?.pid as number };
  const [alphaPort, betaPort] = [await freePort(), await freePort()];
  ctx.log(`nats-server on ${nats.url}; setting up alpha and beta with the CLI (HMAC signing both ways), then mesh nats setup and mesh join --nats`);
  const pair = createPair(ctx.dir, alphaPort, betaPort);
  // The per-sender budget (default 20/s) applies to the bus as to HTTP; it would be what is measured.
  const limits = { serve: { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000, addressRateLimitPerSecond: 1_000_000, addressRateLimitBurst: 1_000_000 } };
  patchNodeConfig(pair.b, limits);
  for (const home of [pair.a, pair.b]) cli(['nats', 'setup', '--server', nats.url, '--home', home]);
  cli(['join', 'alpha', '--nats', '--no-probe', '--home', pair.b]);
  const beta = await startServe(pair.b, betaPort, join(ctx.dir, 'beta-serve.log'));
  const consumer = await startChild([join(REPO, 'bench', 'support', 'raw-jetstream-consumer.ts'), nats.url], join(ctx.dir, 'raw-consumer.log'), childEnv());
  const node = openNode({ home: pair.a, env: {} });
  const nc = await connect({ servers: nats.url, name: 'raw-bench-sender' });
  try {
    await useTransport(node, pair.a, 'nats', betaPort);
    const first = (await sendMessage(node, { target: 'beta', type: 'notification', body: BODY }))[0];
    const sampleRow = first?.id ? node.store.outbox.get(first.id) : null;
    if (sampleRow === null || first?.status !== 'delivered') throw new Error(`first send over NATS was not delivered: ${JSON.stringify(first)}`);
    const wireBody = wrapForHook(sampleRow.envelope, sampleRow.sessionKey);
    const rawBody = JSON.stringify({ message: 'y'.repeat(Math.max(0, Buffer.byteLength(wireBody) - 14)) });
    const raw = new RawSender(nc, rawBody);

    const sides: Record<Mode, Side> = { raw: side(), nats: side(), http: side() };
    const meshWork = (until: number, s: Side): Promise<void> => meshWorker(node, until, s);
    const rawWork = (until: number, s: Side): Promise<void> => raw.worker(until, s);
    const runMode = async (mode: Mode, ms: number, into: Side): Promise<void> => {
      if (mode === 'raw') return segment(into, ms, consumer.pid, nats.pid, rawWork);
      await useTransport(node, pair.a, mode, betaPort);
      return segment(into, ms, beta.pid, mode === 'nats' ? nats.pid : null, meshWork);
    };
    for (const m of ['raw', 'nats', 'http'] as const) await runMode(m, WARMUP_MS, side());

    ctx.log(`${SEGMENTS} × (${SEGMENT_MS} ms each of raw JetStream, MESH over NATS, MESH over HTTP) at concurrency ${CONCURRENCY}, body ${Buffer.byteLength(wireBody)} bytes`);
    const orders: Mode[][] = [['raw', 'nats', 'http'], ['nats', 'http', 'raw'], ['http', 'raw', 'nats']];
    for (let i = 0; i < SEGMENTS; i++) {
      for (const m of orders[i % orders.length] as Mode[]) await runMode(m, SEGMENT_MS, sides[m]);
    }

    const peekB = new Peek(pair.b);
    const inboxB = peekB.count('SELECT COUNT(*) AS n FROM inbox');
    const hmacB = peekB.count(`SELECT COUNT(*) AS n FROM inbox WHERE auth = 'hmac'`);
    peekB.close();
    const peekA = new Peek(pair.a);
    const deliveredA = peekA.count(`SELECT COUNT(*) AS n FROM outbox WHERE state = 'delivered'`);
    const pendingA = peekA.count(`SELECT COUNT(*) AS n FROM outbox WHERE state <> 'delivered'`);
    peekA.close();
    const persisted = inboxB === deliveredA && hmacB === deliveredA && pendingA === 0;

    const [r, n, h] = [sides.raw, sides.nats, sides.http];
    const natsRow = ratioRow({ name: `MESH over NATS, msgs/s at concurrency ${CONCURRENCY}`, value: perSecond(n), unit: 'msg/s', baseline: perSecond(r), baselineName: 'raw JetStream loop' }, { min: TARGET_MIN });
    if (!persisted || n.failed > 0) natsRow.verdict = 'MISS';
    const p = (s: Side, q: number): number => percentile(s.latenciesMs, q);
    const rows = [
      natsRow,
      row({ name: `MESH over HTTP (same nodes), msgs/s`, value: perSecond(h), unit: 'msg/s', baseline: perSecond(r), baselineName: 'raw JetStream loop', ratio: perSecond(h) / perSecond(r) }),
      row({ name: 'MESH over NATS, p50 per message', value: p(n, 50), unit: 'ms', baseline: p(r, 50), baselineName: 'raw JetStream loop', ratio: p(n, 50) / p(r, 50) }),
      row({ name: 'MESH over NATS, p99 per message', value: p(n, 99), unit: 'ms', baseline: p(r, 99), baselineName: 'raw JetStream loop', ratio: p(n, 99) / p(r, 99) }),
      row({ name: 'MESH over HTTP, p50 per message', value: p(h, 50), unit: 'ms', baseline: p(r, 50), baselineName: 'raw JetStream loop', ratio: p(h, 50) / p(r, 50) }),
      row({ name: 'CPU per message, all processes, MESH over NATS', value: cpuPerMsg(n), unit: 'ms', baseline: cpuPerMsg(r), baselineName: 'raw JetStream loop', ratio: cpuPerMsg(n) / cpuPerMsg(r) }),
      row({ name: 'CPU per message, all processes, MESH over HTTP', value: cpuPerMsg(h), unit: 'ms', baseline: cpuPerMsg(r), baselineName: 'raw JetStream loop', ratio: cpuPerMsg(h) / cpuPerMsg(r) }),
    ];
    const notes = [
      `MESH counts a message when beta's signed receipt came back (beta verified the HMAC signature and committed the message to SQLite first); raw counts it when the consumer's receipt came back (consumed, receipt published through JetStream, then acked), with nothing verified or stored outside the bus.`,
      `beta's serve.rateLimitPerSecond/rateLimitBurst raised to 100000 and serve.addressRateLimit* to 1000000 (the default 20/s per sender would be what is measured); the HTTP segments switch alpha's registry entry for beta with \`mesh join\` (the running node re-reads it).`,
      `persistence check: alpha's outbox has ${deliveredA} delivered rows and ${pendingA} not delivered; beta's inbox has ${inboxB} rows (${hmacB} HMAC-verified)${persisted ? '' : ' — MISMATCH'}.`,
      `CPU per message adds this process, beta's daemon (or the raw consumer) and, on the bus, nats-server: with 2 cores shared with other jobs, msgs/s depends on the load; CPU per message less so.`,
      `CPU per message, sender / receiver / nats-server (ms): raw ${cpuSplit(r)}; MESH over NATS ${cpuSplit(n)}; MESH over HTTP ${cpuSplit(h)}.`,
    ];
    if (r.failed + n.failed + h.failed > 0) notes.push(`failures: raw ${r.failed} (${r.lastError ?? ''}), nats ${n.failed} (${n.lastError ?? ''}), http ${h.failed} (${h.lastError ?? ''})`);
    const summary = (s: Side): Record<string, unknown> => ({ ok: s.ok, failed: s.failed, ms: round(s.ms), rate: round(perSecond(s)), p50Ms: round(p(s, 50), 2), p99Ms: round(p(s, 99), 2), cpuPerMsgMs: round(cpuPerMsg(s), 3), cpuSplitMs: cpuSplit(s) });
    return {
      name: 'nats',
      rows,
      notes,
      details: {
        concurrency: CONCURRENCY, segments: SEGMENTS, segmentMs: SEGMENT_MS, wireBodyBytes: Buffer.byteLength(wireBody),
        raw: summary(r), meshNats: summary(n), meshHttp: summary(h),
        persisted: { outboxDeliveredA: deliveredA, outboxPendingA: pendingA, inboxB, hmacVerifiedB: hmacB },
      },
    };
  } finally {
    await nc.close().catch(() => undefined);
    await node.close();
    await Promise.all([beta.stop(), consumer.stop()]);
    await servers.close();
  }
}

export const benchmark: Benchmark = {
  name: 'nats',
  summary: 'MESH over NATS JetStream (signed, persisted, receipted) vs a raw JetStream publish + consume loop, same client, same run (target ≥ 50 %); the same nodes over HTTP',
  run,
};
