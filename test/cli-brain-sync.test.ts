/**
 * `mesh brain-sync` through the real CLI and `mesh serve`'s schedule, against a real ingest server
 * on loopback that answers 500 to its 3rd post and 200 to every other one. The server de-duplicates
 * nothing: it keeps every post it accepted. Across runs, every audit entry and conversation event of
 * the node must have been accepted exactly once (the cursor does the work).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { openNode } from '../src/node/mesh-node.ts';
import { conversationsOf } from '../src/node/node-conversations.ts';
import { MeshCluster, waitFor, type ClusterNode } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS } from './support/timeouts.ts';

const TOKEN = 'brain-token-0123456789abcdef';
const CONVERSATION_EVENTS = ['conversation.opened', 'round.opened', 'response.received', 'round.closed', 'conversation.status', 'consensus.set'];

interface Post {
  status: number;
  path: string;
  auth: string | undefined;
  idempotencyKey: string | undefined;
  body: { text: string; agent: string; source_file: string; id: string };
}

interface IngestServer {
  url: string;
  posts: Post[];
  /** Bodies the server accepted (answered 2xx), in arrival order, duplicates included. */
  accepted(): Post['body'][];
  close(): Promise<void>;
}

function ingestServer(failOnPost: number): Promise<IngestServer> {
  const posts: Post[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = posts.length + 1 === failOnPost ? 500 : 200;
      posts.push({
        status, path: req.url ?? '', auth: req.headers.authorization, idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Post['body'],
      });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status === 200 ? '{"ok":true}' : '{"error":"boom"}');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        url: `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`,
        posts,
        accepted: () => posts.filter((p) => p.status === 200).map((p) => p.body),
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

/** The ids brain-sync must have delivered for `node`: every audit entry and every conversation event. */
function expectedIds(node: ClusterNode): string[] {
  const audit = node.query<{ seq: number }>('SELECT seq FROM audit ORDER BY seq').map((r) => `mesh:${node.name}:audit:${r.seq}`);
  const events = node.query<{ seq: number; type: string }>('SELECT seq, type FROM events ORDER BY seq')
    .filter((r) => CONVERSATION_EVENTS.includes(r.type)).map((r) => `mesh:${node.name}:event:${r.seq}`);
  return [...audit, ...events];
}

/** Each id with the number of times the server accepted it. */
function counts(bodies: readonly Post['body'][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const b of bodies) m.set(b.id, (m.get(b.id) ?? 0) + 1);
  return m;
}

describe('mesh brain-sync against a real ingest server', { timeout: 180_000 }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    [alpha, beta] = [cluster.node('alpha'), cluster.node('beta')];
    await Promise.all([alpha.serve(), beta.serve()]);
    // Activity on alpha: plain messages, and a rally round that beta answers (conversation events).
    for (const i of [1, 2]) assert.equal((await alpha.mesh(['send', 'beta', 'notification', `note ${i}`])).code, 0);
    const node = openNode({ home: alpha.home, env: {} });
    try {
      const round = await conversationsOf(node).openRally({ question: 'How many rows?', targets: ['beta'], subject: 'rows' });
      const requestId = round.targets[0]?.requestId ?? '';
      const reply = await beta.mesh(['reply', requestId, '1260']);
      assert.equal(reply.code, 0, describeRun(reply));
      await waitFor('the answer in alpha\'s round', BACKGROUND_WORK_TIMEOUT_MS, () => (conversationsOf(node).get(round.conversationId)?.conversation.status === 'complete' ? true : undefined));
    } finally {
      await node.close();
    }
  });

  after(async () => {
    await cluster?.close();
  });

  test('a 500 in the middle stops the run; the next run resumes; every entry accepted exactly once', async () => {
    const server = await ingestServer(3);
    const tokenFile = cluster.path('brain.token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    try {
      const first = await alpha.mesh(['brain-sync', '--url', server.url, '--token-file', tokenFile, '--json']);
      assert.equal(first.code, 1, describeRun(first));
      const r1 = JSON.parse(first.stdout) as { ok: boolean; posted: { audit: number }; failed: { id: string; error: string }; caughtUp: boolean };
      assert.deepEqual([r1.ok, r1.posted.audit, r1.failed.error, r1.caughtUp], [false, 2, 'http_500', false]);
      assert.equal(r1.failed.id, server.posts[2]?.body.id);

      const second = await alpha.mesh(['brain-sync', '--url', server.url, '--token-file', tokenFile]);
      assert.equal(second.code, 0, describeRun(second));
      assert.match(second.stdout, /^Synced \d+ new MESH entries to Brain \(\d+ audit, [1-9]\d* conversation events\)/);
      for (const out of [first, second]) assert.doesNotMatch(out.stdout + out.stderr, new RegExp(TOKEN));

      // New activity: only the new entries go.
      assert.equal((await alpha.mesh(['send', 'beta', 'notification', 'note 3'])).code, 0);
      const before3 = server.posts.length;
      const third = await alpha.meshJson<{ posted: { audit: number; events: number }; caughtUp: boolean }>(['brain-sync', '--url', server.url, '--token-file', tokenFile]);
      assert.equal(third.caughtUp, true);
      assert.ok(server.posts.length - before3 >= 1 && third.posted.events === 0);

      const seen = counts(server.accepted());
      assert.deepEqual([...seen.keys()].sort(), expectedIds(alpha).sort(), 'every audit entry and conversation event arrived');
      assert.deepEqual([...seen.entries()].filter(([, n]) => n !== 1), [], 'none twice');
      assert.equal(server.posts.filter((p) => p.body.id === r1.failed.id).length, 2, 'the failed entry was posted again, once');
      for (const p of server.posts) {
        assert.deepEqual([p.path, p.auth, p.idempotencyKey], ['/ingest', `Bearer ${TOKEN}`, p.body.id]);
        assert.deepEqual(Object.keys(p.body), ['text', 'agent', 'source_file', 'id']);
        assert.match(p.body.text, /^MESH /);
      }
      const sources = new Set(server.accepted().map((b) => b.source_file));
      assert.deepEqual([...sources].sort(), ['mesh-audit', 'mesh-conversations']);
      assert.ok(server.accepted().some((b) => /^MESH conversation conv_\d+_[0-9a-f]{8} round 1 at .*: response msg_\S+ from beta \(recorded, counted\)$/.test(b.text)));

      const dry = await alpha.meshJson<{ dryRun: boolean; entries: unknown[] }>(['brain-sync', '--url', server.url, '--dry-run']);
      assert.deepEqual([dry.dryRun, dry.entries.length], [true, 0], 'nothing left to sync');
    } finally {
      await server.close();
    }
  });

  test('mesh serve syncs on its schedule, through a failure, once per entry', async () => {
    const server = await ingestServer(3);
    try {
      await beta.daemon?.stop(10_000);
      beta.updateConfig({ brainSync: { url: server.url, intervalMs: 1000, token: TOKEN, timeoutMs: 5000 } });
      await beta.serve();
      await waitFor('beta\'s daemon to sync everything', BACKGROUND_WORK_TIMEOUT_MS, () => {
        const want = expectedIds(beta);
        const got = new Set(server.accepted().map((b) => b.id));
        return server.posts.length > 3 && want.every((id) => got.has(id)) ? true : undefined;
      }, 200);
      assert.equal(server.posts[2]?.status, 500, 'the 3rd post failed');
      const seen = counts(server.accepted());
      assert.deepEqual([...seen.entries()].filter(([, n]) => n !== 1), [], 'none twice');
      assert.ok([...seen.keys()].every((id) => id.startsWith('mesh:beta:')));
      assert.ok(server.posts.every((p) => p.auth === `Bearer ${TOKEN}`));
    } finally {
      await beta.daemon?.stop(10_000);
      await server.close();
    }
  });
});
