/**
 * Benchmark 3: request → response between two daemons. beta runs `mesh serve` with MESH_HANDLER (a
 * tiny shell script that answers "pong"); alpha runs `mesh serve` to receive the response. This process
 * sends each request through alpha's node API and polls alpha's inbox for the correlated response.
 * Baseline, interleaved one by one: the same shape without MESH — POST to a bare node:http server that
 * answers 202, runs the same handler script and POSTs the answer back to a bare callback server here.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openNode, type MeshNode } from '../src/node/mesh-node.ts';
import { sendMessage } from '../src/node/send-message.ts';
import { createPair, patchNodeConfig } from './support/fixture.ts';
import { childEnv, freePort, REPO, startChild, startServe } from './support/processes.ts';
import { ratioRow, row, type BenchContext, type BenchOutcome, type Benchmark } from './support/report.ts';
import { median, percentile, round } from './support/stats.ts';

const RUNS = Number(process.env['BENCH_RT_RUNS'] ?? 200);
const WARMUP = 3;
const POLL_MS = 2;
/** Issue 13: request → response p99 ≤ 1.5 × the bare relay. */
const P99_TARGET_RATIO = 1.5;
const TIMEOUT_MS = 15_000;

async function meshRoundTrip(node: MeshNode, i: number): Promise<number> {
  const t0 = performance.now();
  const [r] = await sendMessage(node, { target: 'beta', type: 'request', body: `ping ${i}` });
  if (r?.status !== 'delivered' || r.id === null) throw new Error(`request not delivered: ${JSON.stringify(r)}`);
  while (performance.now() - t0 < TIMEOUT_MS) {
    const found = node.store.inbox.findByCorrelation(r.id);
    if (found.length > 0) {
      if (found[0]?.body !== 'pong') throw new Error(`unexpected response body ${JSON.stringify(found[0]?.body)}`);
      return performance.now() - t0;
    }
    await sleep(POLL_MS);
  }
  throw new Error(`no response to ${r.id} within ${TIMEOUT_MS} ms`);
}

interface Callbacks {
  url: string;
  wait(id: string): Promise<string>;
  close(): Promise<void>;
}

function callbackServer(): Promise<Callbacks> {
  const waiting = new Map<string, (answer: string) => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      const { id, answer } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; answer: string };
      waiting.get(id)?.(answer);
      waiting.delete(id);
    });
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      ok({
        url: `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}/callback`,
        wait: (id) => new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`bare: no callback for ${id}`)), TIMEOUT_MS);
          waiting.set(id, (answer) => {
            clearTimeout(timer);
            resolve(answer);
          });
        }),
        close: () => new Promise((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

async function bareRoundTrip(agent: http.Agent, url: string, cb: Callbacks, i: number): Promise<number> {
  const id = `bare-${i}`;
  const body = JSON.stringify({ message: `ping ${i}` });
  const t0 = performance.now();
  const answered = cb.wait(id);
  await new Promise<void>((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-callback': cb.url, 'x-id': id },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
  const answer = await answered;
  if (answer !== 'pong') throw new Error(`bare: unexpected answer ${JSON.stringify(answer)}`);
  return performance.now() - t0;
}

async function run(ctx: BenchContext): Promise<BenchOutcome> {
  const [alphaPort, betaPort] = [await freePort(), await freePort()];
  ctx.log('setting up alpha and beta with the CLI');
  const pair = createPair(ctx.dir, alphaPort, betaPort);
  // The default per-sender token bucket (20/s, burst 100) would answer 429 to this many back-to-back requests.
  for (const home of [pair.a, pair.b]) patchNodeConfig(home, { serve: { rateLimitPerSecond: 10_000, rateLimitBurst: 10_000, addressRateLimitPerSecond: 1_000_000, addressRateLimitBurst: 1_000_000 } });
  const handler = join(ctx.dir, 'answer.sh');
  writeFileSync(handler, '#!/bin/sh\ncat >/dev/null\necho pong\n');
  chmodSync(handler, 0o755);
  const alpha = await startServe(pair.a, alphaPort, join(ctx.dir, 'alpha-serve.log'));
  const beta = await startServe(pair.b, betaPort, join(ctx.dir, 'beta-serve.log'), { MESH_HANDLER: handler });
  const bare = await startChild([join(REPO, 'bench', 'support', 'bare-server.ts'), 'relay', handler], join(ctx.dir, 'bare.log'), childEnv());
  const cb = await callbackServer();
  const agent = new http.Agent({ keepAlive: true });
  const node = openNode({ home: pair.a, env: {} });
  try {
    const bareUrl = `http://127.0.0.1:${String(bare.ready['port'])}/hooks/alpha`;
    for (let i = 0; i < WARMUP; i++) {
      await meshRoundTrip(node, -1 - i);
      await bareRoundTrip(agent, bareUrl, cb, -1 - i);
    }
    ctx.log(`${RUNS} interleaved request→response round trips (mesh, bare)`);
    const mesh: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        mesh.push(await meshRoundTrip(node, i));
        base.push(await bareRoundTrip(agent, bareUrl, cb, i));
      } else {
        base.push(await bareRoundTrip(agent, bareUrl, cb, i));
        mesh.push(await meshRoundTrip(node, i));
      }
    }
    const p50 = median(mesh);
    const p99 = percentile(mesh, 99);
    return {
      name: 'round-trip',
      rows: [
        row({ name: 'request → response in alpha\'s inbox, p50', value: p50, unit: 'ms', baseline: median(base), baselineName: 'bare relay', ratio: p50 / median(base) }),
        ratioRow({ name: 'request → response in alpha\'s inbox, p99', value: p99, unit: 'ms', baseline: percentile(base, 99), baselineName: 'bare relay' }, { max: P99_TARGET_RATIO }),
      ],
      notes: [
        `${RUNS} round trips each (p99 of ${RUNS} samples is close to the maximum); the inbox is polled every ${POLL_MS} ms, which adds up to that much.`,
        'Both daemons run with serve.rateLimitPerSecond/rateLimitBurst raised to 10000 and serve.addressRateLimitPerSecond/Burst to 1000000 (the default 20/s per sender and 200/s per address would throttle back-to-back requests).',
        'Both paths make two HTTP hops and start the same handler script once; MESH adds signing and verification, SQLite persistence on both nodes, and the hand-off worker.',
      ],
      details: {
        runs: RUNS,
        pollMs: POLL_MS,
        meshMs: mesh.map((x) => round(x)),
        bareMs: base.map((x) => round(x)),
        mesh: { p50: round(p50), p90: round(percentile(mesh, 90)), p99: round(p99), max: round(Math.max(...mesh)) },
        bare: { p50: round(median(base)), p90: round(percentile(base, 90)), p99: round(percentile(base, 99)), max: round(Math.max(...base)) },
      },
    };
  } finally {
    agent.destroy();
    await node.close();
    await cb.close();
    await Promise.all([alpha.stop(), beta.stop(), bare.stop()]);
  }
}

export const benchmark: Benchmark = {
  name: 'round-trip',
  summary: 'request → response between two daemons (MESH_HANDLER), p50/p99 vs a bare HTTP relay',
  run,
};
