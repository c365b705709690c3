import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { envelope, inbound, makeHome, runCli, TextSink, until, type TestHome } from './support/cli-harness.ts';

async function withHome(fn: (h: TestHome) => Promise<void>): Promise<void> {
  const h = makeHome({ beta: 'http://127.0.0.1:9', gamma: 'http://127.0.0.1:9' });
  try {
    await fn(h);
  } finally {
    await h.cleanup();
  }
}

interface MessageView { id: string; from: string; type: string; subject: string; read: boolean; body: string; correlationId: string | null; receivedAt: string }

describe('mesh inbox', () => {
  test('lists received messages oldest first, with filters and the newest --limit', async () => {
    await withHome(async ({ home, node }) => {
      const t = Date.now() - 60_000;
      node.store.inbox.insert(inbound('i1', t, { type: 'request' }));
      node.store.inbox.insert(inbound('i2', t + 1_000, { from: 'gamma', correlationId: 'msg_req' }));
      node.store.inbox.insert(inbound('i3', t + 2_000, { type: 'response' }));
      node.store.inbox.markRead(['i1'], t + 3_000);

      const r = await runCli(home, ['inbox', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { total: number; shown: number; markedRead: number; messages: MessageView[] };
      assert.equal(doc.total, 3);
      assert.deepEqual(doc.messages.map((m) => [m.id, m.read]), [['i1', true], ['i2', false], ['i3', false]]);
      assert.equal(doc.messages[1]?.correlationId, 'msg_req');
      assert.equal(doc.messages[1]?.body, 'body of i2');
      assert.equal(doc.messages[0]?.receivedAt, new Date(t).toISOString());

      const ids = async (...args: string[]): Promise<string[]> =>
        (JSON.parse((await runCli(home, ['inbox', ...args, '--json'])).stdout) as { messages: MessageView[] }).messages.map((m) => m.id);
      assert.deepEqual(await ids('--unread'), ['i2', 'i3']);
      assert.deepEqual(await ids('--from', 'gamma'), ['i2']);
      assert.deepEqual(await ids('--type', 'response'), ['i3']);
      assert.deepEqual(await ids('--limit', '2'), ['i2', 'i3'], 'the newest two');
      assert.deepEqual(await ids('--since', '30s'), []);

      const human = await runCli(home, ['inbox']);
      assert.match(human.stdout, /RECEIVED\s+FROM\s+TYPE\s+ID\s+SUBJECT\s+RE/);
      assert.match(human.stdout, /\*\s+\S+ \S+Z\s+gamma\s+notification\s+i2\s+subject i2\s+msg_req/);
      assert.match(human.stderr, /3 of 3 message\(s\), 2 unread/);

      assert.equal((await runCli(home, ['inbox', '--limit', 'x'])).code, 2);
      assert.equal((await runCli(home, ['inbox', '--since', 'yesterday-ish'])).code, 2);
      assert.equal((await runCli(home, ['inbox', 'shwo'])).code, 2);
    });
  });

  test('--mark-read marks exactly what was shown', async () => {
    await withHome(async ({ home, node }) => {
      const t = Date.now() - 10_000;
      for (const [i, id] of ['a', 'b', 'c'].entries()) node.store.inbox.insert(inbound(id, t + i));
      const r = await runCli(home, ['inbox', '--unread', '--limit', '2', '--mark-read', '--json']);
      const doc = JSON.parse(r.stdout) as { markedRead: number; messages: MessageView[] };
      assert.equal(doc.markedRead, 2);
      assert.deepEqual(doc.messages.map((m) => m.id), ['b', 'c']);
      assert.deepEqual(node.store.inbox.list({ unread: true }).map((m) => m.id), ['a']);
    });
  });

  test('show prints one message with its plaintext body and never the replyTo token', async () => {
    await withHome(async ({ home, node }) => {
      const secret = 'mesh-0123abcd-reply-token';
      node.store.inbox.insert(inbound('q1', Date.now(), {
        type: 'request', subject: 'disk usage?', body: 'How full is /var?\nPlease answer.\u001b[2J',
        envelope: envelope({ id: 'q1', from: 'beta', to: 'alpha', replyToken: secret }),
      }));
      const r = await runCli(home, ['inbox', 'show', 'q1']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(secret));
      assert.match(r.stdout, /subject\s+disk usage\?/);
      assert.match(r.stdout, /reply to\s+http:\/\/127\.0\.0\.1:1\/hooks\/beta \(token hidden\)/);
      assert.match(r.stdout, /How full is \/var\?\nPlease answer\.\\x1b\[2J\n$/, 'body printed, terminal escapes neutralised');
      assert.equal(node.store.inbox.get('q1')?.readAt, null, 'show alone does not mark read');

      const j = await runCli(home, ['inbox', 'show', 'q1', '--mark-read', '--json']);
      assert.ok(!j.stdout.includes(secret));
      const doc = JSON.parse(j.stdout) as { body: string; envelope: { replyTo: { token: string } }; replyTo: string };
      assert.equal(doc.body, 'How full is /var?\nPlease answer.\u001b[2J');
      assert.equal(doc.envelope.replyTo.token, '***');
      assert.notEqual(node.store.inbox.get('q1')?.readAt, null);

      const missing = await runCli(home, ['inbox', 'show', 'nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no message with id "nope"/);
    });
  });

  test('--follow --json prints NDJSON, picks up new messages, stops with exit 0 on abort', async () => {
    await withHome(async ({ home, node }) => {
      node.store.inbox.insert(inbound('old', Date.now() - 5_000));
      const stdout = new TextSink();
      const ac = new AbortController();
      const running = runCli(home, ['inbox', '--follow', '--json', '--mark-read'], { signal: ac.signal, stdout });
      await until(() => stdout.text.includes('"old"'));
      node.store.inbox.insert(inbound('new1', Date.now(), { from: 'gamma', subject: 'fresh' }));
      await until(() => stdout.text.includes('"new1"'));
      ac.abort();
      const r = await running;
      assert.equal(r.code, 0, r.stderr);
      const lines = stdout.text.trimEnd().split('\n').map((l) => JSON.parse(l) as MessageView);
      assert.deepEqual(lines.map((m) => m.id), ['old', 'new1'], 'each message once, one JSON object per line');
      assert.equal(lines[1]?.subject, 'fresh');
      assert.deepEqual(node.store.inbox.list({ unread: true }), [], '--mark-read marked both');
    });
  });

  test('--follow in human mode prints lines and ends at once when already aborted', async () => {
    await withHome(async ({ home, node }) => {
      node.store.inbox.insert(inbound('x1', Date.now()));
      const ac = new AbortController();
      ac.abort();
      const r = await runCli(home, ['inbox', '-f'], { signal: ac.signal });
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^\* \S+ \S+Z {2}beta {2}notification {2}x1 {2}subject x1\n$/);
    });
  });
});
