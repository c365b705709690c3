/**
 * Commands that only look work on a home that cannot be written (a read-only mount, or data/ without
 * write permission): they open the database read-only, never migrate or write it. A database whose
 * schema is older than this MESH is upgraded when it can be, and where it cannot the error says so.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { layoutOf } from '../src/node/home.ts';
import { SCHEMA_VERSION } from '../src/store/sqlite/migrate.ts';
import { audit, inbound, makeHome, outbox, type TestHome } from './support/cli-harness.ts';
import { describeRun, runMesh, type CliResult } from './support/mesh-process.ts';
import { readOnlyRunsUnavailable, runMeshOnReadOnlyHome } from './support/read-only-home.ts';

const unavailable = readOnlyRunsUnavailable();

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A home with something for every read-only command to show, its database closed (no -wal/-shm left). */
async function populatedHome(): Promise<TestHome> {
  const h = makeHome({ beta: 'http://127.0.0.1:9' });
  const now = Date.now();
  const { store } = h.node;
  store.inbox.insert(inbound('in1', now - 5_000));
  store.inbox.insert(inbound('rep1', now - 1_000, { type: 'response', correlationId: 'msg_req1' }));
  store.outbox.enqueue(outbox('msg_q1', 'beta', now));
  store.outbox.enqueue(outbox('msg_dead1', 'beta', now));
  store.deadLetters.moveFromOutbox('msg_dead1', 'client_error_404', now);
  store.audit.append(audit({ ts: now - 3_000, id: 'msg_req1', type: 'request', to: 'beta', status: 'sent' }));
  store.audit.append(audit({ ts: now - 2_000, id: 'msg_q1', type: 'request', to: 'beta', status: 'queued' }));
  store.incidents.put({
    id: 'inc_20260101_beta_gateway_0a1b2c3d', dedupKey: 'beta/gateway', type: 'service_alert', scope: 'beta/gateway', host: 'beta',
    check: 'gateway', summary: 'gateway down', status: 'active', firstSeen: now - 4_000, lastSeen: now - 4_000, alertCount: 1,
    affectedHosts: ['beta'], escalated: false, lastNotifiedAt: now - 4_000, windowCount: 1, notifications: 1, resolvedAt: null, resolvedBy: null,
  });
  await h.node.close();
  return h;
}

function ok(r: CliResult): unknown {
  assert.equal(r.code, 0, describeRun(r));
  return r.args.includes('export') ? r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown) : JSON.parse(r.stdout);
}

describe('read-only commands on a home that cannot be written', { skip: unavailable ?? false }, () => {
  test('inbox, inbox show, queue status, export, track, dlq list/show, incidents, status, discover all work and change nothing', async () => {
    const h = await populatedHome();
    try {
      const db = layoutOf(h.home).databaseFile;
      const before = sha(db);
      const ro = (...args: string[]): Promise<CliResult> => runMeshOnReadOnlyHome(h.home, [...args, '--json', '--home', h.home]);

      assert.deepEqual((ok(await ro('inbox')) as { messages: { id: string }[] }).messages.map((m) => m.id), ['in1', 'rep1']);
      assert.equal((ok(await ro('inbox', 'show', 'in1')) as { body: string }).body, 'body of in1');
      assert.equal((ok(await ro('queue', 'status')) as { pending: number; deadLetters: number }).pending, 1);
      assert.equal((ok(await ro('export')) as unknown[]).length, 2);
      const tracked = ok(await ro('track')) as { requests: { id: string; status: string }[] };
      assert.deepEqual(tracked.requests.map((r) => [r.id, r.status]), [['msg_req1', 'answered'], ['msg_q1', 'pending'], ['msg_dead1', 'failed']]);
      assert.equal((ok(await ro('track', 'summary')) as { requests: { total: number } }).requests.total, 3);
      assert.equal((ok(await ro('track', 'check', 'msg_req1')) as { replies: unknown[] }).replies.length, 1);
      assert.deepEqual((ok(await ro('dlq', 'list')) as { deadLetters: { id: string }[] }).deadLetters.map((l) => l.id), ['msg_dead1']);
      assert.equal((ok(await ro('dlq', 'show', 'msg_dead1')) as { reason: string }).reason, 'client_error_404');
      assert.deepEqual((ok(await ro('incidents')) as { incidents: { id: string }[] }).incidents.map((i) => i.id), ['inc_20260101_beta_gateway_0a1b2c3d']);
      const status = ok(await ro('status')) as { agent: string; queue: { pending: number; deadLetters: number }; peers: { name: string; queued: number }[] };
      assert.deepEqual([status.agent, status.queue, status.peers.map((p) => [p.name, p.queued])], ['alpha', { pending: 1, deadLetters: 1 }, [['beta', 1]]]);
      assert.equal((ok(await ro('discover', 'routes')) as { epoch: number }).epoch, 0);
      assert.deepEqual((ok(await ro('discover', 'status')) as { peers: { name: string; status: string }[] }).peers.map((p) => [p.name, p.status]), [['beta', 'unknown']]);
      assert.equal(sha(db), before, 'the database file is unchanged');

      // Proof that the home really is read-only for the child: a command that writes fails, saying why.
      const write = await ro('inbox', '--mark-read');
      assert.notEqual(write.code, 0, `--mark-read must not be able to write here\n${describeRun(write)}`);
      assert.match(write.stdout, /is not writable/, describeRun(write));
    } finally {
      await h.cleanup();
    }
  });

  test('conv list, show, search, stats and consensus work and change nothing', async () => {
    const h = makeHome({ beta: 'http://127.0.0.1:9', gamma: 'http://127.0.0.1:9' });
    try {
      const now = Date.now();
      const id = 'conv_1767225600_0a1b2c3d';
      const repo = h.node.store.conversations;
      repo.create({
        id, type: 'rally', role: 'initiator', initiator: 'alpha', participants: ['beta', 'gamma'], subject: 'rows', ttlSeconds: 300,
        createdAt: now, updatedAt: now, deadline: now + 300_000, status: 'complete', statusReason: null, currentRound: 1,
        anonymize: false, ack: false, escalationChain: [], labels: [], verdict: null,
      });
      repo.addRound({ conversationId: id, round: 1, question: 'How many rows?', createdAt: now, deadline: now + 300_000, expected: ['beta', 'gamma'], quorum: null, status: 'complete', closedAt: now });
      for (const [agent, body] of [['beta', '1260'], ['gamma', '1298 rows']] as const) {
        repo.addResponse({
          id: `msg_${agent}`, conversationId: id, round: 1, agent, correlationId: null, body, receivedAt: now, auth: 'hmac',
          correlatedBy: 'conversation_id', counted: true, fromParticipant: true,
        });
      }
      await h.node.close();
      const db = layoutOf(h.home).databaseFile;
      const before = sha(db);
      const ro = (...args: string[]): Promise<CliResult> => runMeshOnReadOnlyHome(h.home, [...args, '--json', '--home', h.home]);

      assert.deepEqual((ok(await ro('conv', 'list')) as { conversations: { id: string }[] }).conversations.map((c) => c.id), [id]);
      assert.equal((ok(await ro('conv', 'show', id)) as { rounds: { responses: unknown[] }[] }).rounds[0]?.responses.length, 2);
      assert.equal((ok(await ro('conv', 'search', '--query', '1298', '--agent', 'gamma')) as { total: number }).total, 1);
      assert.equal((ok(await ro('conv', 'stats')) as { countedAnswers: number }).countedAnswers, 2);
      assert.equal((ok(await ro('consensus', id)) as { consensus: string }).consensus, 'close');
      assert.equal(sha(db), before, 'the database file is unchanged');
      const write = await ro('conv', 'close', id);
      assert.notEqual(write.code, 0, `closing needs a writable database\n${describeRun(write)}`);
    } finally {
      await h.cleanup();
    }
  });

  test('a schema older than this MESH: upgraded when writable, a clear error (exit 3) when not', async () => {
    const h = await populatedHome();
    try {
      const db = layoutOf(h.home).databaseFile;
      // A database file created but never migrated: schema version 0.
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      writeFileSync(db, '');

      const r = await runMeshOnReadOnlyHome(h.home, ['inbox', '--home', h.home]);
      assert.equal(r.code, 3, describeRun(r));
      assert.match(r.stderr, new RegExp(`has schema version 0, older than this MESH's ${SCHEMA_VERSION}, and a read-only open does not upgrade it; upgrading it failed \\(.+\\): run a command that writes`), describeRun(r));

      const upgraded = await runMesh(['inbox', '--json', '--home', h.home]);
      assert.equal((ok(upgraded) as { total: number }).total, 0);
      const check = new DatabaseSync(db, { readOnly: true });
      try {
        assert.equal((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, SCHEMA_VERSION);
      } finally {
        check.close();
      }
    } finally {
      await h.cleanup();
    }
  });
});
