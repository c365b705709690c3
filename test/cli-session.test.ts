/**
 * Collaborative sessions through the real CLI and real `mesh serve` daemons on loopback: a session
 * message built the way bash's `mesh-session-router.sh send` builds it (jq, then openssl HMAC, as
 * mesh-send.sh does) joins its session on arrival; `mesh session send` among three participants
 * delivers exactly one message to each other participant (bash's mesh-collab sent N²); the direct
 * topology's `mesh session receive` records once and prints JSON.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MeshCluster, type ClusterNode, type JsonObject } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';

const KEY = `collab-${Math.floor(Date.now() / 1000)}-a1b2c3`;

const run = (cmd: string, args: string[], input: string): string =>
  execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] }).replace(/\n$/, '');

/**
 * What bash alpha's `mesh-session-router.sh send <key> <to> <msg>` makes mesh-send.sh emit: the §2.1
 * jq constructor with `--session-key` → `session: {"key": K}` and the router's metadata, signed with
 * `jq -c 'del(.signature)' | openssl dgst -sha256 -hmac "$KEY" -binary | base64`.
 */
function bashSessionEnvelope(o: { from: string; to: string; body: string; key: string | null; participants: string[]; replyUrl: string; replyToken: string; hmacKey: string }): string {
  const now = new Date();
  const metadata = JSON.stringify({
    sessionContext: [{ from: o.from, to: o.to, body: o.body, timestamp: now.toISOString() }],
    sessionKey: o.key,
    participants: o.participants,
  });
  const env = run('jq', [
    '-nc', '--arg', 'id', `msg_${randomUUID()}`, '--arg', 'ts', `${now.toISOString().slice(0, 19)}.000Z`, '--arg', 'from', o.from, '--arg', 'to', o.to,
    '--arg', 'url', o.replyUrl, '--arg', 'token', o.replyToken, '--argjson', 'session', o.key === null ? 'null' : JSON.stringify({ key: o.key }), '--arg', 'nonce', randomBytes(16).toString('hex'),
    '--arg', 'subject', o.body.slice(0, 80), '--arg', 'body', o.body, '--argjson', 'meta', metadata,
    '{protocol:"mesh/1.0",id:$id,timestamp:$ts,from:$from,to:$to,type:"request",correlationId:null,conversationId:null,' +
      'replyTo:{url:$url,token:$token},replyContext:null,session:$session,priority:"normal",ttl:300,idempotencyKey:null,' +
      'nonce:$nonce,payload:{subject:$subject,body:$body,attachments:[],metadata:$meta}}',
  ], '');
  const canonical = run('jq', ['-c', 'del(.signature)'], env);
  const mac = execFileSync('openssl', ['dgst', '-sha256', '-hmac', o.hmacKey.replace(/\s/g, ''), '-binary'], { input: canonical });
  return run('jq', ['-c', '--arg', 's', `sha256:${mac.toString('base64')}`, '. + {signature: $s}'], env);
}

interface SessionJson {
  key: string;
  status: string;
  participants: string[];
  messageCount: number;
  messages?: { from: string; to: string; type: string; body: string; messageId: string | null }[];
}

describe('mesh session between real daemons', { timeout: 180_000 }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let gamma: ClusterNode;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta', 'gamma'] });
    [alpha, beta, gamma] = [cluster.node('alpha'), cluster.node('beta'), cluster.node('gamma')];
    await Promise.all([alpha.serve(), beta.serve(), gamma.serve()]);
  });

  after(async () => {
    await cluster?.close();
  });

  /** The envelopes of `node`'s inbox that name session `key`, oldest first. */
  function sessionInbox(node: ClusterNode, key: string): JsonObject[] {
    return node.query<{ envelope: string }>('SELECT envelope FROM inbox ORDER BY received_at, rowid')
      .map((r) => JSON.parse(r.envelope) as JsonObject)
      .filter((e) => (e['session'] as { key?: string } | null)?.key === key);
  }

  test('a bash peer\'s session message joins its session on arrival at mesh serve', async () => {
    const envelope = bashSessionEnvelope({
      from: 'alpha', to: 'beta', body: 'Shall we drop index ix_orders_day?\nIt is unused since March.', key: KEY,
      participants: ['alpha', 'beta', 'gamma'], replyUrl: `${alpha.url}/hooks/beta`, replyToken: alpha.token,
      hmacKey: readFileSync(join(alpha.home, 'config', 'signing-keys', 'beta.key'), 'utf8'),
    });
    const res = await fetch(`${beta.url}/hooks/alpha`, {
      method: 'POST', headers: { authorization: `Bearer ${beta.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ message: envelope }),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(res.status, 202, await res.text());

    const list = await beta.meshJson<{ sessions: SessionJson[] }>(['session', 'list']);
    assert.deepEqual(list.sessions.map((s) => [s.key, s.status, s.participants, s.messageCount]), [[KEY, 'active', ['alpha', 'beta', 'gamma'], 1]],
      'created on arrival; the router\'s metadata.participants join');
    const ctx = await beta.mesh(['session', 'context', KEY]);
    assert.equal(ctx.code, 0, describeRun(ctx));
    assert.match(ctx.stdout, new RegExp(`^=== MESH Collaborative Session: ${KEY} ===\nParticipants: alpha, beta, gamma\n---\n\\[\\d\\d:\\d\\d:\\d\\d\\] alpha → beta \\[request\\]: Shall we drop index ix_orders_day\\? ⏎ It is unused since March\\.\n  │ Shall we drop index ix_orders_day\\?\n  │ It is unused since March\\.\n\n$`));
  });

  test('a 3-participant session send delivers exactly one message to each other participant', async () => {
    // beta answers in the session: alpha and gamma get it once each, with bash's session and metadata.
    const sent = await beta.meshJson<{ ok: boolean; recipients: { agent: string; id: string; outcome: { status: string } }[]; participants: string[] }>(
      ['session', 'send', KEY, 'alpha', 'Yes, drop it: no query plan uses it.'],
    );
    assert.deepEqual(sent.recipients.map((r) => [r.agent, r.outcome.status]), [['alpha', 'delivered'], ['gamma', 'delivered']]);
    assert.deepEqual(beta.query("SELECT peer, count(*) AS n FROM outbox GROUP BY peer ORDER BY peer").map((r) => ({ ...r })), [{ peer: 'alpha', n: 1 }, { peer: 'gamma', n: 1 }]);
    for (const node of [alpha, gamma]) {
      const got = sessionInbox(node, KEY);
      assert.equal(got.length, 1, `${node.name} got exactly one message`);
      const payload = got[0]?.['payload'] as { body: string; metadata: { sessionKey: string; participants: string[]; sessionContext: { from: string; body: string }[] } };
      assert.deepEqual(got[0]?.['session'], { key: KEY });
      assert.equal(got[0]?.['type'], 'request');
      assert.deepEqual([payload.metadata.sessionKey, payload.metadata.participants], [KEY, ['alpha', 'beta', 'gamma']]);
      assert.deepEqual(payload.metadata.sessionContext.map((m) => m.from), ['alpha', 'beta']);
      assert.match(payload.body, /^\[Collaborative Session: .+ - 2 messages\]\n\[Participants: alpha, beta, gamma\]\n\[Prior conversation:\]\n\[alpha → beta\]: Shall we drop index ix_orders_day\? ⏎ It is unused since March\.\n---\n\[Current message from beta:\]\nYes, drop it: no query plan uses it\.\n/);
    }

    // alpha (MESH-TS now) asks the group: one message each to beta and gamma, three sends in all, not N².
    const third = await alpha.meshJson<{ recipients: { agent: string; outcome: { status: string } }[] }>(['session', 'send', KEY, 'gamma', 'Gamma, any objection?']);
    assert.deepEqual(third.recipients.map((r) => [r.agent, r.outcome.status]), [['beta', 'delivered'], ['gamma', 'delivered']]);
    assert.equal(sessionInbox(beta, KEY).length, 2, 'beta: the bash message and alpha\'s');
    assert.equal(sessionInbox(gamma, KEY).length, 2, 'gamma: beta\'s and alpha\'s');
    assert.equal(sessionInbox(alpha, KEY).length, 1, 'alpha: beta\'s; its own message is not sent to itself');

    const atGamma = await gamma.meshJson<SessionJson>(['session', 'context', KEY]);
    assert.deepEqual(atGamma.messages?.map((m) => [m.from, m.to]), [['beta', 'gamma'], ['alpha', 'gamma']]);
    const atAlpha = await alpha.meshJson<SessionJson>(['session', 'context', KEY]);
    assert.deepEqual(atAlpha.messages?.map((m) => [m.from, m.to]), [['beta', 'alpha'], ['alpha', 'beta,gamma']], 'alpha keeps its own message once');

    const closed = await alpha.mesh(['session', 'close', KEY]);
    assert.equal(closed.code, 0, describeRun(closed));
    const refused = await alpha.mesh(['session', 'send', KEY, 'beta', 'more?']);
    assert.equal(refused.code, 1, describeRun(refused));
    assert.match(refused.stderr, /is closed: reopen it with mesh session start/);
  });

  test('mesh session receive (direct topology) records once and prints JSON, never shell', async () => {
    const key = 'collab-direct-1';
    const envelope = bashSessionEnvelope({
      from: 'alpha', to: 'gamma', body: '$(touch /tmp/pwned) `id`', key, participants: ['alpha', 'gamma'],
      replyUrl: `${alpha.url}/hooks/gamma`, replyToken: alpha.token,
      hmacKey: readFileSync(join(alpha.home, 'config', 'signing-keys', 'gamma.key'), 'utf8'),
    });
    const hookBody = JSON.stringify({ message: envelope });
    const first = await gamma.mesh(['session', 'receive', '-'], { input: hookBody });
    assert.equal(first.code, 0, describeRun(first));
    const out = JSON.parse(first.stdout) as { ok: boolean; duplicate: boolean; sessionKey: string; session: SessionJson };
    assert.deepEqual([out.ok, out.duplicate, out.sessionKey, out.session.participants, out.session.messageCount], [true, false, key, ['alpha', 'gamma'], 1]);
    assert.match(first.stderr, /=== MESH Collaborative Session: collab-direct-1 ===/, 'the context goes to stderr');

    const again = await gamma.mesh(['session', 'receive', hookBody]);
    const dup = JSON.parse(again.stdout) as { duplicate: boolean; session: SessionJson };
    assert.deepEqual([again.code, dup.duplicate, dup.session.messageCount], [0, true, 1], 'a message seen before is not recorded twice');

    const gammaKey = readFileSync(join(alpha.home, 'config', 'signing-keys', 'gamma.key'), 'utf8');
    const noSession = bashSessionEnvelope({
      from: 'alpha', to: 'gamma', body: 'no session here', key: null, participants: [], replyUrl: `${alpha.url}/hooks/gamma`, replyToken: alpha.token, hmacKey: gammaKey,
    });
    const plain = await gamma.mesh(['session', 'receive', noSession]);
    assert.equal(plain.code, 0, describeRun(plain));
    assert.deepEqual(JSON.parse(plain.stdout), { ok: true, duplicate: false, id: JSON.parse(noSession).id, from: 'alpha', type: 'request', sessionKey: null, session: null });

    const forged = await gamma.mesh(['session', 'receive', envelope.replace('collab-direct-1', 'collab-direct-2')]);
    assert.equal(forged.code, 14, `an edited envelope no longer verifies\n${describeRun(forged)}`);
    assert.equal((JSON.parse(forged.stdout) as { ok: boolean }).ok, false);
    assert.equal(gamma.count("SELECT count(*) AS n FROM sessions WHERE key = 'collab-direct-2'"), 0);
  });
});
