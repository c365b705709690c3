/**
 * Benchmark: `GET /api/conversations` on a node holding 10,000 conversations (one round each, two
 * participants, one or two answers, statuses and types mixed, questions with searchable words),
 * written straight into the store before `mesh serve` starts. Requests go over loopback to the real
 * daemon one at a time (keep-alive): the default listing (100 newest, each with its latest round's
 * state), 1000 at once, a full-text search, a status and an agent filter, and one conversation's
 * detail. The target is on the default listing; the others are for reading next to it.
 */
import { join } from 'node:path';
import { openNode } from '../src/node/mesh-node.ts';
import type { ConversationRecord, ConversationStatus, ConversationType } from '../src/ports/conversation-repo.ts';
import { cli, freePort, startServe } from './support/processes.ts';
import { row, type BenchContext, type BenchOutcome, type Benchmark, type BenchRow } from './support/report.ts';
import { median, percentile, round } from './support/stats.ts';

const CONVERSATIONS = Number(process.env['BENCH_CONVERSATIONS'] ?? 10_000);
const RUNS = Number(process.env['BENCH_CONV_RUNS'] ?? 40);
const WARMUP = 3;
const TARGET_MS = 100;
const WORDS = ['orders', 'backup', 'latency', 'replica', 'invoice', 'cluster', 'rollout', 'quota', 'billing', 'cache'];
const STATUSES: ConversationStatus[] = ['active', 'complete', 'complete', 'timeout', 'closed'];
const TYPES: ConversationType[] = ['rally', 'rally', 'opinion', 'collab', 'brainstorm'];

async function populate(home: string): Promise<string> {
  const node = openNode({ home, env: {} });
  const now = Date.now();
  let sample = '';
  try {
    node.store.transaction(() => {
      const repo = node.store.conversations;
      for (let i = 0; i < CONVERSATIONS; i++) {
        const createdAt = now - (CONVERSATIONS - i) * 60_000;
        const id = `conv_${Math.floor(createdAt / 1000)}_${i.toString(16).padStart(8, '0')}`;
        const status = STATUSES[i % STATUSES.length] as ConversationStatus;
        const participants = ['beta', i % 3 === 0 ? 'gamma' : 'delta'];
        // Active ones are still open (a deadline in the past would have the daemon time them all out at start).
        const deadline = status === 'active' ? now + 7 * 86_400_000 : createdAt + 300_000;
        const c: ConversationRecord = {
          id, type: TYPES[i % TYPES.length] as ConversationType, role: 'initiator', initiator: 'alpha', participants,
          subject: `${WORDS[i % WORDS.length]} check ${i}`, ttlSeconds: 300, createdAt, updatedAt: createdAt, deadline,
          status, statusReason: null, currentRound: 1, anonymize: false, ack: false, escalationChain: [], labels: [], verdict: null,
        };
        repo.create(c);
        repo.addRound({
          conversationId: id, round: 1, question: `How is the ${WORDS[i % WORDS.length]} of shard ${i} doing? Please count the ${WORDS[(i * 7) % WORDS.length]} rows.`,
          createdAt, deadline, expected: participants, quorum: null,
          status: status === 'active' ? 'partial' : status === 'timeout' ? 'timeout' : 'complete', closedAt: status === 'active' ? null : createdAt + 5_000,
        });
        for (const [k, agent] of participants.entries()) {
          if (status === 'active' && k === 1) continue;
          repo.putRequest({ id: `msg_req_${i}_${k}`, conversationId: id, round: 1, agent, createdAt, delivery: 'delivered', error: null });
          repo.addResponse({
            id: `msg_resp_${i}_${k}`, conversationId: id, round: 1, agent, correlationId: `msg_req_${i}_${k}`, body: `${1200 + (i % 50)} ${WORDS[(i + k) % WORDS.length]} rows`,
            receivedAt: createdAt + 1_000, auth: 'hmac', correlatedBy: 'correlation', counted: true, fromParticipant: true,
          });
        }
        if (i === Math.floor(CONVERSATIONS / 2)) sample = id;
      }
    });
  } finally {
    await node.close();
  }
  return sample;
}

async function timed(url: string): Promise<{ ms: number; bytes: number; count: number }> {
  const t0 = performance.now();
  const r = await fetch(url);
  const text = await r.text();
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { count?: number };
  return { ms, bytes: text.length, count: body.count ?? 1 };
}

async function measure(url: string): Promise<{ samples: number[]; bytes: number; count: number }> {
  for (let i = 0; i < WARMUP; i++) await timed(url);
  const samples: number[] = [];
  let last = { bytes: 0, count: 0 };
  for (let i = 0; i < RUNS; i++) {
    const t = await timed(url);
    samples.push(t.ms);
    last = t;
  }
  return { samples, bytes: last.bytes, count: last.count };
}

async function run(ctx: BenchContext): Promise<BenchOutcome> {
  const [port, apiPort] = [await freePort(), await freePort()];
  const home = join(ctx.dir, 'alpha');
  cli(['init', '--agent', 'alpha', '--home', home, '--port', String(port)]);
  ctx.log(`writing ${CONVERSATIONS} conversations into the store`);
  const t0 = performance.now();
  const sample = await populate(home);
  const populateMs = performance.now() - t0;
  const alpha = await startServe(home, port, join(ctx.dir, 'alpha-serve.log'), {}, apiPort);
  const api = alpha.api as string;
  try {
    const cases: Array<[string, string, boolean]> = [
      ['GET /api/conversations (100 newest)', '/api/conversations', true],
      ['GET /api/conversations?q=backup (full-text)', '/api/conversations?q=backup', true],
      ['GET /api/conversations?status=active', '/api/conversations?status=active', false],
      ['GET /api/conversations?agent=gamma', '/api/conversations?agent=gamma', false],
      ['GET /api/conversations?limit=1000', '/api/conversations?limit=1000', false],
      ['GET /api/conversations/:id (detail)', `/api/conversations/${sample}`, false],
    ];
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = { conversations: CONVERSATIONS, runs: RUNS, populateMs: round(populateMs) };
    for (const [name, path, targeted] of cases) {
      ctx.log(`${RUNS} × ${path}`);
      const m = await measure(`${api}${path}`);
      const p99 = percentile(m.samples, 99);
      rows.push(row({ name: `${name}, p50`, value: median(m.samples), unit: 'ms' }));
      rows.push(row({
        name: `${name}, p99`, value: p99, unit: 'ms',
        ...(targeted ? { target: `< ${TARGET_MS} ms`, verdict: p99 < TARGET_MS ? 'PASS' as const : 'MISS' as const } : {}),
      }));
      details[path] = { p50: round(median(m.samples)), p99: round(p99), max: round(Math.max(...m.samples)), bytes: m.bytes, items: m.count };
    }
    return {
      name: 'api-conversations',
      rows,
      notes: [
        `${CONVERSATIONS} conversations (one round, two participants, 1-2 answers each) written to the store directly in ${round(populateMs / 1000, 1)} s; ${RUNS} sequential requests per case after ${WARMUP} warm-ups, over loopback to mesh serve, body read and parsed.`,
        'Each listed conversation carries its latest round\'s state (answered, missing, response count), read for all of them in one query.',
        `p99 of ${RUNS} samples is their maximum: on a loaded machine one descheduled request decides it; read it next to p50.`,
      ],
      details,
    };
  } finally {
    await alpha.stop();
  }
}

export const benchmark: Benchmark = {
  name: 'api-conversations',
  summary: 'GET /api/conversations with 10,000 conversations: listing, search, filters, detail (p99)',
  run,
};
