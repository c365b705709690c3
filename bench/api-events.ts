/**
 * Benchmark: the local API's event stream fanning out to many clients. 50 SSE clients on alpha's
 * `mesh serve` (GET /api/events) receive 1,000 events; each event's delivery delay is its arrival at
 * the client minus its `ts` (stamped when it was emitted, before the commit). Two sources:
 *  - daemon: events emitted inside the daemon (POST /api/send to a bare sink: message.queued and
 *    message.delivered), told to the stream by the in-process bus after commit;
 *  - other process: events appended to the log by another process (this one, as a CLI command
 *    would), picked up through the database-file watch (the 250 ms poll is the fallback).
 * Baseline, same clients, same rate: a bare node:http server writing each event to every open
 * response (no SQLite, no feed). Events are paced at BENCH_SSE_RATE per second, not burst.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openNode } from '../src/node/mesh-node.ts';
import { patchNodeConfig } from './support/fixture.ts';
import { childEnv, cli, freePort, REPO, startChild, startServe } from './support/processes.ts';
import { row, type BenchContext, type BenchOutcome, type Benchmark, type BenchRow } from './support/report.ts';
import { complete, openClients, waitForAll, type SseClient } from './support/sse-clients.ts';
import { median, percentile, round } from './support/stats.ts';

const CLIENTS = Number(process.env['BENCH_SSE_CLIENTS'] ?? 50);
const EVENTS = Number(process.env['BENCH_SSE_EVENTS'] ?? 1000);
const RATE = Number(process.env['BENCH_SSE_RATE'] ?? 200);
const TARGET_P99_MS = 50;
const DELIVERY_TIMEOUT_MS = 60_000;

async function paced(n: number, perSecond: number, fn: (i: number) => Promise<void> | void): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    await fn(i);
  }
}

function delays(clients: readonly SseClient[]): number[] {
  return clients.flatMap((c) => c.samples.map((s) => s.delayMs));
}

async function connect(clients: SseClient[]): Promise<SseClient[]> {
  await Promise.all(clients.map((c) => c.connected));
  await sleep(200); // every stream has reached its live phase
  return clients;
}

function summary(d: readonly number[]): Record<string, number> {
  return { n: d.length, p50: round(median(d)), p90: round(percentile(d, 90)), p99: round(percentile(d, 99)), max: round(Math.max(...d)) };
}

async function run(ctx: BenchContext): Promise<BenchOutcome> {
  const [alphaPort, apiPort] = [await freePort(), await freePort()];
  const home = join(ctx.dir, 'alpha');
  const sink = await startChild([join(REPO, 'bench', 'support', 'bare-server.ts'), 'sink'], join(ctx.dir, 'sink.log'), childEnv());
  const bare = await startChild([join(REPO, 'bench', 'support', 'bare-sse.ts')], join(ctx.dir, 'bare-sse.log'), childEnv());
  cli(['init', '--agent', 'alpha', '--home', home, '--port', String(alphaPort)]);
  cli(['join', 'sink', '127.0.0.1', String(sink.ready['port']), 'mesh-sinktoken0000000000000', '--home', home, '--no-probe']);
  patchNodeConfig(home, { api: { maxEventStreams: CLIENTS * 2 } });
  const alpha = await startServe(home, alphaPort, join(ctx.dir, 'alpha-serve.log'), {}, apiPort);
  const api = alpha.api as string;
  const bareUrl = `http://127.0.0.1:${String(bare.ready['port'])}`;
  const open: SseClient[] = [];
  const track = (c: SseClient[]): SseClient[] => (open.push(...c), c);
  try {
    ctx.log(`baseline: ${CLIENTS} clients on a bare node:http event stream, ${EVENTS} events at ${RATE}/s`);
    const baseClients = await connect(track(openClients(CLIENTS, `${bareUrl}/events`)));
    await paced(EVENTS, RATE, async () => {
      await fetch(`${bareUrl}/emit`, { method: 'POST', body: '' });
    });
    await waitForAll(baseClients, EVENTS, DELIVERY_TIMEOUT_MS);
    const base = delays(baseClients);
    for (const c of baseClients) c.close();

    ctx.log(`daemon events: ${CLIENTS} clients on GET /api/events, ${EVENTS / 2} POST /api/send (queued + delivered each)`);
    const startA = ((await (await fetch(`${api}/api/health`)).json()) as { eventSeq: number }).eventSeq;
    const meshA = await connect(track(openClients(CLIENTS, `${api}/api/events`)));
    await paced(EVENTS / 2, RATE / 2, async (i) => {
      const r = await fetch(`${api}/api/send`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'sink', type: 'notification', body: `event ${i}` }),
      });
      if (r.status !== 200) throw new Error(`POST /api/send answered ${r.status}: ${await r.text()}`);
    });
    const endA = ((await (await fetch(`${api}/api/health`)).json()) as { eventSeq: number }).eventSeq;
    await waitForAll(meshA, endA - startA, DELIVERY_TIMEOUT_MS);
    const completeA = complete(meshA, startA + 1, endA - startA);
    const a = delays(meshA);
    for (const c of meshA) c.close();

    ctx.log(`other-process events: ${CLIENTS} clients, ${EVENTS} events appended to the log by this process`);
    const writer = openNode({ home, env: {} });
    let b: number[];
    let completeB: boolean;
    try {
      const startB = writer.store.events.latestSeq();
      const meshB = await connect(track(openClients(CLIENTS, `${api}/api/events`)));
      await paced(EVENTS, RATE, (i) => {
        writer.store.events.append('bench.tick', { i }, Date.now());
      });
      await waitForAll(meshB, EVENTS, DELIVERY_TIMEOUT_MS);
      completeB = complete(meshB, startB + 1, EVENTS);
      b = delays(meshB);
      for (const c of meshB) c.close();
    } finally {
      await writer.close();
    }

    const baseP99 = percentile(base, 99);
    const target = (name: string, d: number[]): BenchRow => {
      const p99 = percentile(d, 99);
      return row({
        name, value: p99, unit: 'ms', baseline: baseP99, baselineName: 'bare node:http fan-out', ratio: p99 / Math.max(1, baseP99),
        target: `< ${TARGET_P99_MS} ms`, verdict: p99 < TARGET_P99_MS ? 'PASS' : 'MISS',
      });
    };
    return {
      name: 'api-events',
      rows: [
        target(`${CLIENTS} clients, daemon events: delivery delay p99`, a),
        row({ name: `${CLIENTS} clients, daemon events: delivery delay p50`, value: median(a), unit: 'ms', baseline: median(base), baselineName: 'bare node:http fan-out' }),
        target(`${CLIENTS} clients, other-process events: delivery delay p99`, b),
        row({ name: `${CLIENTS} clients, other-process events: delivery delay p50`, value: median(b), unit: 'ms', baseline: median(base), baselineName: 'bare node:http fan-out' }),
      ],
      notes: [
        `${EVENTS} events per source at ${RATE}/s to ${CLIENTS} clients (${CLIENTS * EVENTS} deliveries each); delay = arrival − the event's ts (ms clock, emitted before commit). Clients run in the benchmark process.`,
        `every client got every event once and in order: daemon ${completeA ? 'yes' : 'NO'}, other process ${completeB ? 'yes' : 'NO'}`,
        'daemon events come from POST /api/send to a bare sink (message.queued, message.delivered); other-process events are appended to the log by the benchmark process, as a CLI command does.',
      ],
      details: { clients: CLIENTS, events: EVENTS, ratePerSecond: RATE, bare: summary(base), daemon: { ...summary(a), complete: completeA }, otherProcess: { ...summary(b), complete: completeB } },
    };
  } finally {
    for (const c of open) c.close();
    await Promise.all([alpha.stop(), sink.stop(), bare.stop()]);
  }
}

export const benchmark: Benchmark = {
  name: 'api-events',
  summary: '50 SSE clients on GET /api/events receiving 1,000 events: delivery delay p99 (daemon and other-process events) vs a bare fan-out',
  run,
};
