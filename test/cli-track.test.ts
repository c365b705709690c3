import assert from 'node:assert/strict';
import { test } from 'node:test';
import { audit, envelope, inbound, makeHome, outbox, runCli, type TestHome } from './support/cli-harness.ts';

/**
 * Four requests: answered (response in the inbox), pending (queued), failed (dead-lettered), and
 * answered with both the request's outbox row and the response pruned (known from the audit only).
 */
function seed({ node }: TestHome, t: number): void {
  const s = node.store;
  const rec = node.audit;
  s.outbox.enqueue(outbox('req1', 'beta', t));
  s.outbox.markDelivered('req1', t + 10);
  rec.record(audit({ ts: t + 10, id: 'req1', type: 'request', subject: 'disk?', detail: 'http_202; attempt 1' }));
  rec.record(audit({ ts: t + 20, id: 'n1', type: 'notification' }));

  s.outbox.enqueue(outbox('req2', 'beta', t + 30));
  s.outbox.recordFailure('req2', 'http_503', t + 5_000);
  rec.record(audit({ ts: t + 31, id: 'req2', type: 'request', status: 'retry_scheduled', detail: 'http_503; attempt 1/4' }));

  s.deadLetters.put({
    id: 'req3', peer: 'gamma', type: 'request', envelope: envelope({ id: 'req3', to: 'gamma', subject: 'lost' }), sessionKey: null,
    reason: 'client_error_404', attempts: 1, lastError: 'client_error_404', createdAt: t + 40, expiresAt: t + 3_600_000, failedAt: t + 41,
  });
  rec.record(audit({ ts: t + 41, id: 'req3', to: 'gamma', type: 'request', status: 'dead_lettered', subject: 'lost' }));

  rec.record(audit({ ts: t + 50, id: 'req4', type: 'request', subject: 'old one' }));

  s.inbox.insert(inbound('resp1', t + 100, { type: 'response', correlationId: 'req1', subject: 'Re: disk?', body: '42 GB free' }));
  rec.record(audit({ ts: t + 100, direction: 'in', status: 'received', id: 'resp1', from: 'beta', to: 'alpha', type: 'response', correlationId: 'req1' }));
  rec.record(audit({ ts: t + 110, direction: 'in', status: 'received', id: 'resp4', from: 'beta', to: 'alpha', type: 'response', correlationId: 'req4' }));
}

async function withSeed(fn: (h: TestHome) => Promise<void>): Promise<void> {
  const h = makeHome({ beta: 'http://127.0.0.1:9', gamma: 'http://127.0.0.1:9' });
  try {
    seed(h, Date.now() - 60_000);
    await fn(h);
  } finally {
    await h.cleanup();
  }
}

interface Req { id: string; to: string; status: string; delivery: string; responses: number; attempts: number | null; error: string | null; subject: string | null }

test('track status: answered / pending / failed from the outbox, dead letters, inbox and audit', async () => {
  await withSeed(async ({ home }) => {
    const r = await runCli(home, ['track', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { total: number; requests: Req[] };
    assert.deepEqual(doc.requests.map((q) => [q.id, q.status, q.delivery, q.responses]), [
      ['req1', 'answered', 'delivered', 1],
      ['req2', 'pending', 'queued', 0],
      ['req3', 'failed', 'dead_lettered', 0],
      ['req4', 'answered', 'delivered', 1],
    ]);
    const req2 = doc.requests[1];
    assert.equal(req2?.attempts, 1);
    assert.equal(req2?.error, 'http_503');
    assert.equal(doc.requests[2]?.subject, 'lost');

    const pending = await runCli(home, ['track', 'status', '--status', 'pending', '--json']);
    assert.deepEqual((JSON.parse(pending.stdout) as { requests: Req[] }).requests.map((q) => q.id), ['req2']);
    const gamma = await runCli(home, ['track', '--agent', 'gamma', '--json']);
    assert.deepEqual((JSON.parse(gamma.stdout) as { requests: Req[] }).requests.map((q) => q.id), ['req3']);

    const human = await runCli(home, ['track']);
    assert.match(human.stdout, /beta\s+req1\s+disk\?\s+delivered \(1 attempt\)\s+answered\s+1/);
    assert.match(human.stdout, /gamma\s+req3\s+lost\s+dead_lettered \(1 attempt\): client_error_404\s+failed\s+0/);
    assert.match(human.stderr, /4 request\(s\): 2 answered, 1 pending, 1 failed/);

    assert.equal((await runCli(home, ['track', '--status', 'lost'])).code, 2);
    assert.equal((await runCli(home, ['track', 'stauts'])).code, 2);
  });
});

test('track summary: request counts, response rate, per type and per agent', async () => {
  await withSeed(async ({ home }) => {
    const r = await runCli(home, ['track', 'summary', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      requests: Record<string, number>; byType: Record<string, { sent: number; received: number }>;
      agents: Record<string, Record<string, number>>; byStatus: Record<string, number>;
    };
    assert.deepEqual(s.requests, { total: 4, answered: 2, pending: 1, failed: 1, responseRate: 0.5 });
    assert.deepEqual(s.byType['request'], { sent: 2, received: 0 });
    assert.deepEqual(s.byType['notification'], { sent: 1, received: 0 });
    assert.deepEqual(s.byType['response'], { sent: 0, received: 2 });
    assert.deepEqual(s.agents['beta'], { sent: 3, received: 2, requests: 3, answered: 2 });
    assert.deepEqual(s.agents['gamma'], { sent: 0, received: 0, requests: 1, answered: 0 });
    assert.equal(s.byStatus['received'], 2);

    const human = await runCli(home, ['track', 'summary']);
    assert.match(human.stdout, /Requests: 4 sent · 2 answered · 1 pending · 1 failed · response rate 50%/);
    assert.match(human.stdout, /beta\s+3\s+2\s+3\s+2/);
  });
});

test('track check: delivery state, history and every correlated reply with its body', async () => {
  await withSeed(async ({ home }) => {
    const r = await runCli(home, ['track', 'check', 'req1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /status\s+answered \(1 reply\)/);
    assert.match(r.stdout, /delivery\s+delivered \(1 attempt\)/);
    assert.match(r.stdout, /sent\s+http_202; attempt 1/);
    assert.match(r.stdout, /from beta\s+response\s+resp1\s+Re: disk\?\n {4}42 GB free\n/);

    const j = JSON.parse((await runCli(home, ['track', 'check', 'req1', '--json'])).stdout) as {
      type: string; request: Req; outbox: { state: string }; replies: { id: string; body: string | null }[]; history: { status: string }[];
    };
    assert.equal(j.type, 'request');
    assert.equal(j.outbox.state, 'delivered');
    assert.deepEqual(j.replies.map((x) => [x.id, x.body]), [['resp1', '42 GB free']]);
    assert.deepEqual(j.history.map((h) => h.status), ['sent']);

    const pruned = await runCli(home, ['track', 'check', 'req4']);
    assert.match(pruned.stdout, /resp4[\s\S]*body not kept/);

    const dead = await runCli(home, ['track', 'check', 'req3']);
    assert.match(dead.stdout, /dead\s+client_error_404 at .* mesh dlq replay req3/);

    const missing = await runCli(home, ['track', 'check', 'msg_unknown']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothing known about "msg_unknown"/);
    assert.equal((await runCli(home, ['track', 'check'])).code, 2);
  });
});
