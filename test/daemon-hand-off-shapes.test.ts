/**
 * Every envelope shape the receiver accepts must also be handed off: a real `mesh serve` with a
 * handler command gets messages shaped like bash's `build_mesh_response` (no replyTo, no nonce, no
 * ttl, bare base64 HMAC), with `payload` null and with no `payload` at all, and a request without
 * replyTo whose handler output must still go back to the sender (through the registry, as `mesh
 * reply` does). Each one reaches the handler once and ends `delivered`; nothing is retried in a loop.
 * A hand-off that fails for good ends `failed` with its reason, and `mesh inbox retry` hands it off
 * again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jqText, obj, signText } from '../src/inbound/test-fixtures.ts';
import { wrapForHook } from '../src/protocol/hook.ts';
import type { JsonValue } from '../src/protocol/json.ts';
import { wireTimestamp } from '../src/protocol/time.ts';
import { MeshCluster, waitFor, type ClusterNode } from './support/mesh-cluster.ts';
import { describeRun } from './support/mesh-process.ts';
import { BACKGROUND_WORK_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, SUITE_TIMEOUT_MS } from './support/timeouts.ts';

/** Generous for a loaded 2-core machine; a wedged message never gets there at all. */
const HAND_OFF_WAIT_MS = BACKGROUND_WORK_TIMEOUT_MS;

interface InboxRow {
  id: string;
  deliveryState: string;
  deliveryAttempts: number;
  deliveryError: string | null;
}

describe('mesh serve hands off every accepted envelope shape', { timeout: SUITE_TIMEOUT_MS }, () => {
  let cluster: MeshCluster;
  let alpha: ClusterNode;
  let beta: ClusterNode;
  let key: string;
  let seenFile: string;
  let failSwitch: string;

  before(async () => {
    cluster = await MeshCluster.create({ agents: ['alpha', 'beta'] });
    alpha = cluster.node('alpha');
    beta = cluster.node('beta');
    key = readFileSync(join(alpha.home, 'config', 'signing-keys', 'beta.key'), 'utf8');
    seenFile = cluster.path('seen.jsonl');
    failSwitch = cluster.path('fail-switch');
    // Records every envelope it is given; answers requests; refuses (EX_USAGE: permanent) while the
    // fail switch exists.
    const handler = cluster.script('record.mjs', [
      `#!${process.execPath}`,
      "import { appendFileSync, existsSync } from 'node:fs';",
      "let text = ''; process.stdin.setEncoding('utf8');",
      "process.stdin.on('data', (c) => (text += c));",
      "process.stdin.on('end', () => {",
      `  if (existsSync(${JSON.stringify(failSwitch)})) process.exit(64);`,
      `  appendFileSync(${JSON.stringify(seenFile)}, text.trim() + '\\n');`,
      "  if (process.env.MESH_TYPE === 'request') process.stdout.write(`answer to ${process.env.MESH_ID}\\n`);",
      '});',
      '',
    ].join('\n'));
    await Promise.all([alpha.serve(), beta.serve({ handler })]);
  });

  after(async () => {
    await cluster?.close();
  });

  /** A bash-style message from alpha to beta: given keys in this order, signed bare base64 (§2.2). */
  function bashMessage(entries: [string, JsonValue][]): { id: string; text: string } {
    const id = `msg_${randomUUID().toUpperCase()}`;
    const head: [string, JsonValue][] = [
      ['protocol', 'mesh/1.0'],
      ['id', id],
      ['timestamp', wireTimestamp(Date.now())],
      ['from', 'alpha'],
      ['to', 'beta'],
    ];
    return { id, text: signText(jqText([...head, ...entries]), key, '') };
  }

  async function post(text: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`${beta.url}/hooks/alpha`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${beta.token}` },
      body: wrapForHook(text),
      signal: AbortSignal.timeout(HTTP_REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, body: await res.text() };
  }

  function seen(): Record<string, unknown>[] {
    if (!existsSync(seenFile)) return [];
    return readFileSync(seenFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async function row(node: ClusterNode, id: string): Promise<InboxRow> {
    return node.meshJson<InboxRow>(['inbox', 'show', id]);
  }

  /** Waits until the row's hand-off is no longer pending and returns it. */
  function settled(id: string): Promise<InboxRow> {
    return waitFor(`hand-off of ${id} to settle`, HAND_OFF_WAIT_MS, () => {
      const r = beta.query<{ state: string }>('SELECT delivery_state AS state FROM inbox WHERE id = ?', id)[0];
      return r && r.state !== 'pending' ? row(beta, id) : undefined;
    }, 200);
  }

  test('build_mesh_response, payload null, payload absent, and a request without replyTo all reach the handler once', async () => {
    const original = `msg_${randomUUID()}`;
    const messages = {
      bashResponse: bashMessage([
        ['type', 'response'],
        ['correlationId', original],
        ['replyContext', null],
        ['payload', obj([['subject', 'Response'], ['body', 'done: 42 rows']])],
      ]),
      payloadNull: bashMessage([['type', 'notification'], ['payload', null]]),
      payloadAbsent: bashMessage([['type', 'alert']]),
      requestNoReplyTo: bashMessage([
        ['type', 'request'],
        ['replyContext', obj([['conversationId', 'conv_1767225600_0a1b2c3d']])],
        ['payload', obj([['subject', 'disk?'], ['body', 'How full is /var?']])],
      ]),
    };
    for (const [name, m] of Object.entries(messages)) {
      const a = await post(m.text);
      assert.equal(a.status, 202, `${name}: ${a.body}`);
    }

    for (const [name, m] of Object.entries(messages)) {
      const r = await settled(m.id);
      assert.deepEqual([r.deliveryState, r.deliveryAttempts, r.deliveryError], ['delivered', 0, null], `${name}: ${JSON.stringify(r)}`);
    }
    const views = seen();
    assert.deepEqual(views.map((v) => v['id']).sort(), Object.values(messages).map((m) => m.id).sort(), 'each message reached the handler exactly once');
    const byId = new Map(views.map((v) => [v['id'], v]));
    const view = (m: { id: string }): Record<string, unknown> => byId.get(m.id) ?? {};
    assert.deepEqual(view(messages.bashResponse)['payload'], { subject: 'Response', body: 'done: 42 rows', attachments: [], metadata: {} });
    assert.equal(view(messages.bashResponse)['replyTo'], null);
    assert.equal(view(messages.bashResponse)['correlationId'], original);
    assert.deepEqual(view(messages.payloadNull)['payload'], { subject: '', body: '', attachments: [], metadata: {} });
    assert.deepEqual(view(messages.payloadAbsent)['payload'], { subject: '', body: '', attachments: [], metadata: {} });

    // The handler's answer to the replyTo-less request goes to alpha's registry address.
    const answer = await waitFor('the handler answer in alpha\'s inbox', HAND_OFF_WAIT_MS, async () => {
      const inbox = await alpha.inbox();
      return inbox.find((x) => x.correlationId === messages.requestNoReplyTo.id);
    }, 200);
    assert.deepEqual([answer.from, answer.type, answer.body], ['beta', 'response', `answer to ${messages.requestNoReplyTo.id}`]);
    assert.doesNotMatch(beta.daemon?.stderr ?? '', /hand-off worker tick failed/);
  });

  test('a hand-off that fails for good shows as failed with its reason; mesh inbox retry hands it off again', async () => {
    writeFileSync(failSwitch, '');
    const m = bashMessage([['type', 'notification'], ['payload', obj([['subject', 'retry me'], ['body', 'second chance']])]]);
    try {
      assert.equal((await post(m.text)).status, 202);
      const failed = await settled(m.id);
      assert.equal(failed.deliveryState, 'failed');
      assert.equal(failed.deliveryAttempts, 1);
      assert.match(failed.deliveryError ?? '', /handler exited with code 64/);

      const listed = (await beta.meshJson<{ messages: InboxRow[] }>(['inbox', '--limit', '0'])).messages.find((x) => x.id === m.id);
      assert.deepEqual([listed?.deliveryState, listed?.deliveryError], ['failed', failed.deliveryError], '`mesh inbox` shows the failure and its reason');
      const human = await beta.mesh(['inbox', '--limit', '0']);
      assert.match(human.stdout + human.stderr, /1 hand-off failed/);
    } finally {
      rmSync(failSwitch, { force: true });
    }

    const retried = await beta.mesh(['inbox', 'retry', m.id]);
    assert.equal(retried.code, 0, describeRun(retried));
    const again = await settled(m.id);
    assert.deepEqual([again.deliveryState, again.deliveryError], ['delivered', null]);
    assert.equal(seen().filter((v) => v['id'] === m.id).length, 1);

    const twice = await beta.mesh(['inbox', 'retry', m.id]);
    assert.notEqual(twice.code, 0, 'a delivered message is not retried');
    assert.match(twice.stderr, /not failed/);
  });
});
