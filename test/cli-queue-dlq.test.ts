import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DeadLetter } from '../src/ports/store.ts';
import { deadUrl, envelope, makeHome, outbox, runCli, startPeer, ttyStdin, type TestHome } from './support/cli-harness.ts';

async function withHome(peers: Record<string, string>, fn: (h: TestHome) => Promise<void>): Promise<void> {
  const h = makeHome(peers);
  try {
    await fn(h);
  } finally {
    await h.cleanup();
  }
}

function letter(id: string, peer: string, now: number, over: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id, peer, type: 'request', envelope: envelope({ id, to: peer }), sessionKey: null, reason: 'all_retries_exhausted',
    attempts: 4, lastError: 'http_503', createdAt: now - 60_000, expiresAt: now + 3_600_000, failedAt: now - 1_000, ...over,
  };
}

const json = (s: string): Record<string, unknown> => JSON.parse(s) as Record<string, unknown>;

describe('mesh queue status', () => {
  test('per peer: pending count, next attempt, last error, circuit and dead letters', async () => {
    await withHome({ beta: 'http://127.0.0.1:9', gamma: 'http://127.0.0.1:9' }, async ({ home, node }) => {
      const now = Date.now();
      const s = node.store;
      s.outbox.enqueue(outbox('m1', 'beta', now));
      s.outbox.enqueue(outbox('m2', 'beta', now));
      s.outbox.recordFailure('m2', 'http_503', now + 5_000);
      s.outbox.enqueue(outbox('m3', 'gamma', now, { nextAttemptAt: now + 60_000 }));
      s.deadLetters.put(letter('d1', 'gamma', now));
      s.breakers.put({
        peer: 'beta', state: 'open', consecutiveFailures: 3, openedAt: now, openUntil: now + 60_000, probeUntil: null,
        lastFailureAt: now, lastSuccessAt: null, updatedAt: now,
      });

      const r = await runCli(home, ['queue', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const doc = json(r.stdout) as { pending: number; deadLetters: number; peers: Record<string, unknown>[] };
      assert.equal(doc.pending, 3);
      assert.equal(doc.deadLetters, 1);
      const beta = doc.peers.find((p) => p['peer'] === 'beta');
      const gamma = doc.peers.find((p) => p['peer'] === 'gamma');
      assert.equal(beta?.['pending'], 2);
      assert.equal(beta?.['lastError'], 'http_503');
      assert.equal(beta?.['circuit'], 'open');
      assert.equal(beta?.['nextAttemptAt'], new Date(now).toISOString());
      assert.equal(gamma?.['deadLetters'], 1);
      assert.equal(gamma?.['circuit'], 'closed');

      const human = await runCli(home, ['queue', 'status']);
      assert.equal(human.code, 0);
      assert.match(human.stdout, /Outbox: 3 pending · dead letters: 1/);
      assert.match(human.stdout, /beta\s+2\s+.*http_503\s+open until in/);

      const one = await runCli(home, ['queue', 'status', 'gamma', '--json']);
      assert.deepEqual((json(one.stdout)['peers'] as { peer: string }[]).map((p) => p.peer), ['gamma']);
    });
  });

  test('unknown sub-command and bad agent names are usage errors (exit 2)', async () => {
    await withHome({}, async ({ home }) => {
      const r = await runCli(home, ['queue', 'drian']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown sub-command "drian".*did you mean "drain"/);
      assert.equal((await runCli(home, ['queue', 'drain', 'bad name'])).code, 2);
      assert.equal((await runCli(home, ['queue', 'status', 'beta', 'extra'])).code, 2);
    });
  });
});

describe('mesh queue drain', () => {
  test('delivers due messages now, dead-letters refusals, keeps transient failures; exit 0 when the queue ends empty', async () => {
    const ok = await startPeer(202);
    const refuses = await startPeer(404);
    const down = await deadUrl();
    try {
      await withHome({ beta: ok.url, nope: refuses.url, down }, async ({ home, node }) => {
        const now = Date.now();
        for (const [id, peer] of [['m-ok', 'beta'], ['m-404', 'nope'], ['m-down', 'down']] as const) node.store.outbox.enqueue(outbox(id, peer, now));

        const r = await runCli(home, ['queue', 'drain', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const doc = json(r.stdout) as { delivered: number; deadLettered: number; pending: number; left: { peer: string; lastError: string }[]; deadLetters: { id: string; reason: string }[] };
        assert.equal(doc.delivered, 1);
        assert.equal(doc.deadLettered, 1);
        assert.equal(doc.pending, 1);
        assert.equal(doc.left[0]?.peer, 'down');
        assert.equal(doc.left[0]?.lastError, 'connection_refused');
        assert.deepEqual(doc.deadLetters, [{ id: 'm-404', peer: 'nope', reason: 'client_error_404' }]);
        assert.deepEqual(ok.hits, ['/hooks/alpha']);
        assert.equal(node.store.outbox.get('m-ok')?.state, 'delivered');

        // The failed one is not due again for 5 s: a second drain attempts nothing and says what is left.
        const again = await runCli(home, ['queue', 'drain']);
        assert.equal(again.code, 0);
        assert.match(again.stdout, /still pending 1/);
        assert.match(again.stdout, /down\s+m-down\s+next attempt in \d+s \(connection_refused\)/);
        assert.match(again.stderr, /Draining 1 pending message/);

        node.store.outbox.purgePending();
        const empty = await runCli(home, ['queue', 'drain']);
        assert.equal(empty.code, 0, 'bash exits 1 on an empty queue; we do not');
        assert.match(empty.stdout, /Nothing to drain/);
      });
    } finally {
      await ok.close();
      await refuses.close();
    }
  });

  test('an agent limits the drain to that peer; --force skips the back-off', async () => {
    const ok = await startPeer(202);
    try {
      await withHome({ beta: ok.url, gamma: ok.url }, async ({ home, node }) => {
        const now = Date.now();
        node.store.outbox.enqueue(outbox('b1', 'beta', now));
        node.store.outbox.enqueue(outbox('g1', 'gamma', now));
        node.store.outbox.enqueue(outbox('b2', 'beta', now, { nextAttemptAt: now + 60_000 }));

        const r = await runCli(home, ['queue', 'drain', 'beta', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const doc = json(r.stdout) as { delivered: number; pending: number };
        assert.equal(doc.delivered, 1);
        assert.equal(doc.pending, 1, 'b2 is not due');
        assert.equal(node.store.outbox.get('g1')?.state, 'pending', 'gamma untouched');
        assert.equal(ok.hits.length, 1);

        const forced = await runCli(home, ['queue', 'drain', '--agent', 'beta', '--force', '--json']);
        assert.equal((json(forced.stdout) as { delivered: number }).delivered, 1);
        assert.equal(node.store.outbox.get('b2')?.state, 'delivered');
        assert.equal(node.store.outbox.get('g1')?.state, 'pending');

        assert.equal((await runCli(home, ['queue', 'drain', '--auto'])).code, 0, 'the bash cron flag is accepted');
        assert.equal(node.store.outbox.get('g1')?.state, 'delivered');
        assert.equal((await runCli(home, ['queue', 'drain', '--rounds', '0'])).code, 2);
      });
    } finally {
      await ok.close();
    }
  });
});

describe('mesh queue purge', () => {
  test('refuses without --yes in scripts, purges one agent with --yes, audits each as purged, asks on a TTY', async () => {
    await withHome({ beta: 'http://127.0.0.1:9', gamma: 'http://127.0.0.1:9' }, async ({ home, node }) => {
      const now = Date.now();
      for (const [id, peer] of [['p1', 'beta'], ['p2', 'beta'], ['p3', 'gamma']] as const) node.store.outbox.enqueue(outbox(id, peer, now));

      const refused = await runCli(home, ['queue', 'purge', 'beta']);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--yes/);
      assert.equal(node.store.outbox.listPending().length, 3);

      const r = await runCli(home, ['queue', 'purge', 'beta', '--yes', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(json(r.stdout), { purged: 2, inFlight: 0, ids: ['p1', 'p2'] });
      assert.deepEqual(node.store.outbox.listPending().map((m) => m.id), ['p3']);
      const audited = node.store.audit.query({ status: 'purged' });
      assert.deepEqual(audited.map((a) => [a.id, a.to, a.direction]), [['p1', 'beta', 'out'], ['p2', 'beta', 'out']]);

      const declined = await runCli(home, ['queue', 'purge'], { stdin: ttyStdin('n\n') });
      assert.equal(declined.code, 1);
      assert.match(declined.stderr, /Delete 1 pending message\(s\) to all peers from the outbox\? \[y\/N\]/);
      assert.equal(node.store.outbox.listPending().length, 1);

      assert.equal((await runCli(home, ['queue', 'purge'], { stdin: ttyStdin('') })).code, 1, 'end of input is a no');
      assert.equal(node.store.outbox.listPending().length, 1);

      const yes = await runCli(home, ['queue', 'purge', 'all'], { stdin: ttyStdin('y\n') });
      assert.equal(yes.code, 0, yes.stderr);
      assert.match(yes.stdout, /Purged 1 pending message/);
      assert.equal(node.store.outbox.listPending().length, 0);
    });
  });
});

describe('mesh dlq', () => {
  test('list shows reason, attempts, failed-at, age and expiry; --agent filters', async () => {
    await withHome({}, async ({ home, node }) => {
      const now = Date.now();
      node.store.deadLetters.put(letter('d1', 'beta', now, { reason: 'client_error_404', attempts: 1 }));
      node.store.deadLetters.put(letter('d2', 'gamma', now));
      node.store.deadLetters.put(letter('d3', 'beta', now, { reason: 'circuit_open', expiresAt: now - 1_000 }));

      const r = await runCli(home, ['dlq', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const doc = json(r.stdout) as { total: number; deadLetters: Record<string, unknown>[] };
      assert.equal(doc.total, 3);
      const d1 = doc.deadLetters.find((d) => d['id'] === 'd1');
      assert.equal(d1?.['reason'], 'client_error_404');
      assert.equal(d1?.['attempts'], 1);
      assert.equal(d1?.['failedAt'], new Date(now - 1_000).toISOString());
      assert.equal(d1?.['subject'], 'subject d1');
      assert.equal(d1?.['expired'], false);
      assert.equal(doc.deadLetters.find((d) => d['id'] === 'd3')?.['expired'], true);

      const beta = await runCli(home, ['dlq', 'list', '--agent', 'beta', '--json']);
      assert.deepEqual((json(beta.stdout)['deadLetters'] as { id: string }[]).map((d) => d.id).sort(), ['d1', 'd3']);

      const human = await runCli(home, ['dlq', 'list']);
      assert.match(human.stdout, /d1\s+beta\s+request\s+client_error_404\s+1\s+\d{4}-\d{2}-\d{2} [\d:]+Z\s+1m\s+(1h|59m)/);
      assert.match(human.stdout, /d3 .*expired/);
    });
  });

  test('show prints the full dead letter with replyTo.token masked', async () => {
    await withHome({}, async ({ home, node }) => {
      const secret = 'mesh-5ec7e7-hook-token';
      node.store.deadLetters.put(letter('d1', 'beta', Date.now(), {
        reason: 'client_error_401', envelope: envelope({ id: 'd1', replyToken: secret, subject: 'quarterly numbers' }),
      }));
      const human = await runCli(home, ['dlq', 'show', 'd1']);
      assert.equal(human.code, 0, human.stderr);
      assert.ok(!human.stdout.includes(secret), 'token must not be printed');
      assert.match(human.stdout, /"token": "\*\*\*"/);
      assert.match(human.stdout, /"url": "http:\/\/127\.0\.0\.1:1\/hooks\/beta"/);
      assert.match(human.stdout, /reason\s+client_error_401 — the peer refused it with HTTP 401.*token/);
      assert.match(human.stdout, /subject\s+quarterly numbers/);

      const r = await runCli(home, ['dlq', 'show', 'd1', '--json']);
      assert.ok(!r.stdout.includes(secret));
      const doc = json(r.stdout) as { envelope: { replyTo: { token: string }; payload: { subject: string } } };
      assert.equal(doc.envelope.replyTo.token, '***');
      assert.equal(doc.envelope.payload.subject, 'quarterly numbers');

      const missing = await runCli(home, ['dlq', 'show', 'msg_nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no dead letter with id "msg_nope"/);
      assert.equal((await runCli(home, ['dlq', 'show'])).code, 2);
    });
  });

  test('replay requeues by id, agent or all; expired ones are purged, never replayed', async () => {
    await withHome({}, async ({ home, node }) => {
      const now = Date.now();
      node.store.deadLetters.put(letter('d1', 'beta', now));
      node.store.deadLetters.put(letter('d2', 'gamma', now));
      node.store.deadLetters.put(letter('d3', 'beta', now, { expiresAt: now - 1 }));
      node.store.deadLetters.put(letter('d4', 'gamma', now, { expiresAt: now - 1 }));

      const none = await runCli(home, ['dlq', 'replay']);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /--all/);
      assert.equal((await runCli(home, ['dlq', 'replay', 'd1', '--all'])).code, 2);
      assert.equal((await runCli(home, ['dlq', 'replay', 'msg_nope'])).code, 1);

      // Replay purges every expired dead letter first (audited "expired"), and reports the matching ones.
      const expired = await runCli(home, ['dlq', 'replay', 'd3', '--json']);
      assert.equal(expired.code, 12, 'the one id asked for had expired');
      assert.deepEqual(json(expired.stdout), { replayed: 0, expired: 1 });
      assert.equal(node.store.outbox.get('d3'), null);
      assert.equal(node.store.deadLetters.get('d4'), null);
      assert.deepEqual(node.store.audit.query({ status: 'expired' }).map((a) => a.id).sort(), ['d3', 'd4']);

      const one = await runCli(home, ['dlq', 'replay', 'd1']);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /Requeued 1 dead letter/);
      assert.match(one.stdout, /mesh queue drain/);
      assert.equal(node.store.outbox.get('d1')?.state, 'pending');
      assert.equal(node.store.deadLetters.get('d1'), null);

      node.store.deadLetters.put(letter('d5', 'gamma', now, { expiresAt: now - 1 }));
      const all = await runCli(home, ['dlq', 'replay', '--all']);
      assert.equal(all.code, 0);
      assert.match(all.stdout, /Requeued 1 dead letter/);
      assert.match(all.stdout, /1 had passed their TTL and were purged instead/);
      assert.equal(node.store.outbox.get('d2')?.state, 'pending');
      assert.equal(node.store.outbox.get('d5'), null);
      assert.deepEqual(node.store.deadLetters.list(), []);
      assert.deepEqual(node.store.audit.query({ status: 'replayed' }).map((a) => a.id), ['d1', 'd2']);
    });
  });

  test('purge needs --yes in scripts, audits each letter', async () => {
    await withHome({}, async ({ home, node }) => {
      const now = Date.now();
      node.store.deadLetters.put(letter('e1', 'beta', now));
      node.store.deadLetters.put(letter('e2', 'beta', now, { reason: 'client_error_410' }));
      node.store.deadLetters.put(letter('e3', 'gamma', now));

      assert.equal((await runCli(home, ['dlq', 'purge', '--agent', 'beta'])).code, 2);
      assert.equal(node.store.deadLetters.list().length, 3);
      const r = await runCli(home, ['dlq', 'purge', '--agent', 'beta', '--yes', '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(json(r.stdout), { purged: 2, ids: ['e1', 'e2'] });
      assert.deepEqual(node.store.deadLetters.list().map((l) => l.id), ['e3']);
      const rows = node.store.audit.query({ status: 'purged' });
      assert.deepEqual(rows.map((a) => a.id), ['e1', 'e2']);
      assert.match(rows[1]?.detail ?? '', /dead_letters.*was client_error_410/);
      assert.equal((await runCli(home, ['dlq', 'frob'])).code, 2);
    });
  });
});
